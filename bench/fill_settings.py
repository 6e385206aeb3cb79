"""How the fill-in defaults were chosen: the kNN graph's size, and when to balance classes.

On the frozen base model's embeddings (cached; no fine-tuning, so the whole grid takes a few
minutes), for every tuning dataset at known ratio 1.0 (no new category) and 0.75 (a quarter of
the classes unnamed), seeds 0-2, labeled ratio 0.1: accuracy on the unlabeled rows of known
classes of

* ``blend, k=N``: the mean of label spreading on an N-neighbour graph and the logistic regression;
* ``balanced, k=N``: that blend held to the labeled rows' class shares (``fill.balance_classes``),
  over every unlabeled row: what it does when the run finds no candidate cluster;
* ``balanced + self-training, k=10``: the default ``BalancedFill``: the balanced blend refitted twice
  on the labeled rows plus the unlabeled rows it is at least 0.5 sure of, and balanced again.

The pipeline balances only when candidate clusters hold under 5% of the unlabeled rows, because
at 0.75 the rows of unnamed classes take known classes' shares. Balancing assumes the labeled rows
were drawn evenly across classes; ``uneven`` draws (known ratio 1.0, every other class keeps a
third of its labeled rows) show what it costs when they were not, and the share gap
(``fill.class_share_gap`` of the 10-neighbour blend) that ``pipeline.should_balance`` reads to
refuse such draws. stackoverflow_mtpclnn is held
out of every choice and not run here. Results go to bench/results/fill_settings.json and into
docs/benchmarks.md (``python bench/run_benchmarks.py --report-only``).

    python bench/fill_settings.py
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from discovery.embed import SentenceEmbedder  # noqa: E402
from discovery.evaluate import load_dataset, protocol_draw  # noqa: E402
from discovery.fill import BalancedFill, BlendFill, class_share_gap, knn_graph, labeled_shares  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from run_benchmarks import _machine  # noqa: E402  (the commit, or BENCH_COMMIT, as every result records it)

DATA = Path(os.environ.get("BENCH_DATA") or ROOT.parent / "shared" / "datasets")
RESULTS = ROOT / "bench" / "results" / "fill_settings.json"
DATASETS = ("banking", "stackoverflow", "snips", "mcid_mtpclnn")
KNOWN_RATIOS = (1.0, 0.75)
GRAPH_SIZES = (7, 10, 15)


def draw_scores(X: np.ndarray, labels: np.ndarray, known_ratio: float, seed: int, uneven: bool = False) -> dict[str, float]:
    known, labeled = protocol_draw(labels, known_ratio, 0.1, seed)
    code = {name: i for i, name in enumerate(sorted(known))}
    y = np.array([code[label] if is_labeled else -1 for label, is_labeled in zip(labels, labeled)])
    if uneven:  # every other class keeps a third of its labeled rows
        rng = np.random.RandomState(seed)
        for c in range(0, len(code), 2):
            rows = np.flatnonzero(y == c)
            y[rng.choice(rows, max(0, len(rows) - max(2, len(rows) // 3)), replace=False)] = -1
    truth = np.array([code.get(label, -1) for label in labels])
    rows = (y < 0) & (truth >= 0)
    out = {}
    for k in GRAPH_SIZES:
        graph = knn_graph(X, k, seed)
        methods = [(f"blend, k={k}", BlendFill()), (f"balanced, k={k}", BalancedFill(self_training_rounds=0))]
        if k == 10:
            methods.append(("balanced + self-training, k=10", BalancedFill()))
        for name, method in methods:
            dist = method.fit(X, y, len(code), graph=graph).label_distributions_
            out[name] = 100 * float(np.mean(dist[rows].argmax(1) == truth[rows]))
            if name == "blend, k=10":
                out["share gap"] = class_share_gap(labeled_shares(y, len(code)), dist, y < 0)
    return out


def main() -> int:
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    draws = []
    for dataset in DATASETS:
        train, _ = load_dataset(DATA / dataset)
        X = SentenceEmbedder().transform(train.text.tolist())
        labels = train.label.to_numpy().astype(str)
        for known_ratio, uneven in [(ratio, False) for ratio in KNOWN_RATIOS] + [(1.0, True)]:
            per_seed = [draw_scores(X, labels, known_ratio, seed, uneven) for seed in (0, 1, 2)]
            mean = {name: float(np.mean([s[name] for s in per_seed])) for name in per_seed[0]}
            gap = mean.pop("share gap")
            draws.append({"dataset": dataset, "known_ratio": known_ratio, "uneven": uneven, "seeds": [0, 1, 2],
                          "fillin_acc": mean, "share_gap": gap})
            print(json.dumps(draws[-1]), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"model": "all-MiniLM-L6-v2 (frozen)", "labeled_ratio": 0.1, "draws": draws,
                                   "seconds": time.perf_counter() - start,
                                   "machine": _machine()}, indent=1) + "\n")
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
