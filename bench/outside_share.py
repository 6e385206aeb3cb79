"""How many unlabeled rows lie outside every known class, on vectors that were not fine-tuned?

The K estimate takes at least one new cluster when over ``cluster.NEW_CLASS_EVIDENCE`` (10%) of the unlabeled
rows are less similar to every known class's centroid than all but a quantile of the labeled rows are to their
own (``share_outside_known_classes``). Fine-tuned vectors hold the labeled rows tightly, and the quantile 0.02
was measured on them; vectors not fine-tuned (the base model, tfidf, and every run with too few labels to
fine-tune) hold them loosely, and at 0.02 two unnamed SNIPS intents went unnoticed. Per dataset, known ratio
(1.0: nothing unnamed, where the share must stay under the bar; 0.75 and 0.5) and seed, labeled ratio 0.1, frozen
all-MiniLM-L6-v2 and tfidf (``--model tfidf``'s vectors): the share at quantiles 0.02, 0.05 and 0.1 beside the share of unlabeled rows that are of
unnamed classes. Then ``discovery evaluate`` on snips (2,000 train rows, ``--no-adapt``, seeds 0-2) with the
quantile for vectors not fine-tuned at 0.02 (as before) and at its default (``cluster.OUTSIDE_QUANTILE``).

    python bench/outside_share.py   (under a minute once the frozen vectors are cached; embedding the four
                                     train splits from nothing takes about 10 minutes)

Results go to bench/results/outside_share.json and into docs/benchmarks.md
(``python bench/run_benchmarks.py --report-only``).
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from discovery import cluster  # noqa: E402
from discovery.embed import TfidfEmbedder  # noqa: E402
from discovery.evaluate import evaluate_dataset, protocol_draw  # noqa: E402
from run_benchmarks import DATA, frozen_train_splits, write_side_result  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "outside_share.json"
DATASETS = ("banking", "stackoverflow", "snips", "mcid_mtpclnn")
QUANTILES = (0.02, 0.05, 0.1)
KNOWN_RATIOS = (1.0, 0.75, 0.5)
SEEDS = (0, 1, 2)
EVALUATED = {"dataset": "snips", "max_train_rows": 2000}


def shares(X: np.ndarray, labels: np.ndarray, known_ratio: float, seed: int) -> dict:
    known, labeled = protocol_draw(labels, known_ratio, 0.1, seed)
    names = sorted(known)
    code = {name: i for i, name in enumerate(names)}
    y = np.array([code[label] if is_labeled else -1 for label, is_labeled in zip(labels, labeled)])
    unnamed = float(np.mean(~np.isin(labels[y < 0], names)))
    return {"known_ratio": known_ratio, "seed": seed, "unnamed_share": unnamed,
            "outside": {str(q): cluster.share_outside_known_classes(X, y, q) for q in QUANTILES}}


def evaluated(quantile: float) -> dict:
    kept = cluster.OUTSIDE_QUANTILE["not adapted"]
    cluster.OUTSIDE_QUANTILE["not adapted"] = quantile
    try:
        report = evaluate_dataset(DATA / EVALUATED["dataset"], 0.75, 0.1, SEEDS, adapt=False,
                                  max_train_rows=EVALUATED["max_train_rows"])
    finally:
        cluster.OUTSIDE_QUANTILE["not adapted"] = kept
    keys = ("acc", "nmi", "ari", "known_acc", "novel_acc", "n_clusters", "fillin_acc")
    return {"quantile": quantile, "per_seed": [{k: s[k] for k in keys} for s in report["per_seed"]],
            "mean": {k: report["mean"][k] for k in keys}}


def main() -> int:
    warnings.filterwarnings("ignore")
    started = time.perf_counter()
    draws = []
    for name, texts, labels, frozen in frozen_train_splits(DATASETS):
        for model, X in (("all-MiniLM-L6-v2", frozen), ("tfidf", TfidfEmbedder(random_state=0).transform(texts))):
            for known_ratio in KNOWN_RATIOS:
                for seed in SEEDS:
                    draws.append(dict(dataset=name, model=model, **shares(X, labels, known_ratio, seed)))
                    print(draws[-1], flush=True)
    runs = [evaluated(q) for q in sorted({0.02, cluster.OUTSIDE_QUANTILE["not adapted"]})]
    for run in runs:
        print(run["quantile"], run["mean"], flush=True)
    write_side_result(RESULTS, started, labeled_ratio=0.1, seeds=list(SEEDS),
                      evidence=cluster.NEW_CLASS_EVIDENCE, default_quantile=cluster.OUTSIDE_QUANTILE["not adapted"],
                      draws=draws, evaluated=dict(EVALUATED, known_ratio=0.75, runs=runs),
                      command="python bench/outside_share.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
