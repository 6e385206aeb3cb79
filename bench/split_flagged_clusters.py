"""What splitting the labeled clusters flagged as maybe hiding a new category gives a researcher.

For each draw (the protocol of docs/benchmarks.md: labeled ratio 0.1, frozen all-MiniLM-L6-v2 embeddings,
K estimated), every cluster flagged by ``may_hide_new_category`` is split once (``split_cluster``), as a
researcher clicking "Split" on the Candidates page would. Scored with the true labels of the unlabeled train
rows: the share of the split-off rows that belong to classes nobody named (against that share among the
flagged clusters' unlabeled rows before the split), and the share of all unnamed-class rows that sit in
candidate clusters before and after. With ``--uneven`` (every class named, every other class labeled at a
third of the rate) each flag is a false alarm, so every split-off row is a known-class row the researcher
would merge back.

usage: python bench/split_flagged_clusters.py [--datasets banking ...] [--known-ratios 0.75 ...] [--seeds 0 1 2]
       [--uneven]   (about 1 minute per draw once the embeddings are cached)
Each setting's totals over its seeds go into bench/results/split_flagged.json (a setting run again replaces its
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

from discovery.evaluate import protocol_draw, split_flagged_check  # noqa: E402
from run_benchmarks import _machine, frozen_train_splits, record_setting, run_on_vectors  # noqa: E402  (the commit, or BENCH_COMMIT, as every result records it)

RESULTS = ROOT / "bench" / "results" / "split_flagged.json"


def uneven(labels: np.ndarray, labeled: np.ndarray, seed: int) -> np.ndarray:
    """Every other class (in sorted order) keeps a third of its labeled rows."""
    kept, rng = labeled.copy(), np.random.RandomState(seed)
    for name in sorted(set(labels))[::2]:
        rows = np.flatnonzero(kept & (labels == name))
        kept[rng.permutation(rows)[: len(rows) - len(rows) // 3]] = False
    return kept


def score_draw(texts: list, labels: np.ndarray, X: np.ndarray, known_ratio: float, seed: int,
               make_uneven: bool) -> dict:
    known, labeled = protocol_draw(labels, known_ratio, 0.1, seed)
    if make_uneven:
        labeled = uneven(labels, labeled, seed)
    result = run_on_vectors(texts, labels, labeled, X, seed, f"split-{seed}")
    return split_flagged_check(result, labels, set(known), labeled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["banking", "stackoverflow", "snips", "mcid_mtpclnn"])
    parser.add_argument("--known-ratios", nargs="+", type=float, default=[0.5, 0.75])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--uneven", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    for name, texts, labels, X in frozen_train_splits(args.datasets):
        for ratio in [1.0] if args.uneven else args.known_ratios:
            draws = [score_draw(texts, labels, X, ratio, seed, args.uneven) for seed in args.seeds]
            setting = {"dataset": name, "known_ratio": ratio, "labels": "uneven" if args.uneven else "even",
                       "seeds": args.seeds, "totals": {key: sum(d[key] for d in draws) for key in draws[0]},
                       "machine": _machine()}
            record_setting(RESULTS, setting, ("dataset", "known_ratio", "labels"), model="all-MiniLM-L6-v2 (frozen)",
                           labeled_ratio=0.1)
            print(json.dumps(setting["totals"] | {"dataset": name, "known_ratio": ratio}), flush=True)
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
