"""What labeling the rows the tool suggests (``rows_to_label_next``) gives, against as many other rows.

For each draw (the protocol of docs/benchmarks.md: labeled ratio 0.1, frozen all-MiniLM-L6-v2 embeddings,
K estimated) the tool runs once; then ``--budget`` (a share of the rows: 0.02, a fifth more labels) more rows get their true labels, as a researcher would
give them, chosen three ways: the suggested rows; the least confident proposals (no committee, no spread
over classes); and random rows (outside candidate clusters, like the others). The tool runs again on each.
Scored on the rows no strategy labeled whose class was named in the draw: fill-in accuracy before and
after, and the share of the picked rows whose proposal was wrong (how well a strategy finds the errors).

usage: python bench/label_next.py [--datasets banking ...] [--known-ratios 1.0 0.75] [--seeds 0 1 2] [--budget 0.02]
       (about 3 minutes per draw once the embeddings are cached)
Each setting's means over its seeds go into bench/results/label_next.json (a setting run again replaces its
entry) and from there into docs/benchmarks.md (`python bench/run_benchmarks.py --report-only`).
"""

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from discovery.evaluate import protocol_draw  # noqa: E402
from discovery.result import CANDIDATE_SOURCE, CLUSTER, HUMAN  # noqa: E402
from discovery.suggest import rows_to_label_next  # noqa: E402
from run_benchmarks import _machine, frozen_train_splits, record_setting, run_on_vectors, seed_means  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "label_next.json"
STRATEGIES = ("suggested", "least confident", "random")


def picks(result, strategy: str, budget: int, seed: int) -> np.ndarray:
    """Row positions the strategy labels next (row ids are positions here)."""
    rows = result.rows
    open_rows = np.flatnonzero(~rows.label_source.isin([HUMAN, CANDIDATE_SOURCE, CLUSTER]).to_numpy())
    if strategy == "suggested":
        return rows.index.get_indexer(rows_to_label_next(result, n=budget).index)
    if strategy == "least confident":
        confidence = rows.confidence.to_numpy()[open_rows]
        return open_rows[np.argsort(confidence, kind="stable")[:budget]]
    return np.random.RandomState(seed).choice(open_rows, size=min(budget, len(open_rows)), replace=False)


def score_draw(texts: list, labels: np.ndarray, X: np.ndarray, known_ratio: float, seed: int, budget: int) -> dict:
    known, labeled = protocol_draw(labels, known_ratio, 0.1, seed)
    before = run_on_vectors(texts, labels, labeled, X, seed, f"label-next-{seed}")
    chosen = {s: picks(before, s, budget, seed) for s in STRATEGIES}
    scored = ~labeled & np.isin(labels, list(known))
    for rows in chosen.values():
        scored[rows] = False
    proposed = before.rows.proposed_label.to_numpy(dtype=object)
    out = {"rows_scored": int(scored.sum()), "fillin_before": float(np.mean(proposed[scored] == labels[scored]))}
    for strategy, rows in chosen.items():
        more = labeled.copy()
        more[rows] = True
        after = run_on_vectors(texts, labels, more, X, seed, f"label-next-{seed}").rows.proposed_label.to_numpy(dtype=object)
        out[f"{strategy}: fill-in after"] = float(np.mean(after[scored] == labels[scored]))
        out[f"{strategy}: picked rows proposed wrong"] = float(np.mean(proposed[rows] != labels[rows]))
        out[f"{strategy}: picked rows of unnamed classes"] = float(np.mean(~np.isin(labels[rows], list(known))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["banking", "stackoverflow", "mcid_mtpclnn"])
    parser.add_argument("--known-ratios", nargs="+", type=float, default=[1.0, 0.75])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=0.02)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    for name, texts, labels, X in frozen_train_splits(args.datasets):
        for ratio in args.known_ratios:
            budget = round(args.budget * len(texts))
            draws = [score_draw(texts, labels, X, ratio, seed, budget) for seed in args.seeds]
            setting = {"dataset": name, "known_ratio": ratio, "budget": args.budget, "rows_labeled": budget, "seeds": args.seeds,
                       "means": seed_means(draws),
                       "per_seed": draws, "machine": _machine()}
            record_setting(RESULTS, setting, ("dataset", "known_ratio", "budget"), model="all-MiniLM-L6-v2 (frozen)",
                           labeled_ratio=0.1)
            print(json.dumps(setting["means"] | {"dataset": name, "known_ratio": ratio}), flush=True)
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
