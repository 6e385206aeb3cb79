"""What splitting the labeled clusters flagged as maybe hiding a new category gives a researcher.

For each draw (the protocol of docs/benchmarks.md: labeled ratio 0.1, frozen all-MiniLM-L6-v2 embeddings,
K estimated), every cluster flagged by ``may_hide_new_category`` is split once (``split_cluster``), as a
researcher clicking "Split" on the Candidates page would. Scored with the true labels of the unlabeled train
rows: the share of the split-off rows that belong to classes nobody named (against that share among the
flagged clusters' unlabeled rows before the split), and the share of all unnamed-class rows that sit in
candidate clusters before and after. With ``--uneven`` (every class named, every other class labeled at a
third of the rate) each flag is a false alarm, so every split-off row is a known-class row the researcher
would merge back. With ``--unnamed N`` every class but N is named (the known ratio is (classes - N) / classes
for each dataset): a researcher who has named nearly everything, and the few categories left unnamed are the
hardest to see. With ``--adapted`` each draw runs as ``discovery evaluate`` does, the model fine-tuned on
the draw's labels first (the tool's default; minutes a draw where the frozen vectors take seconds).

usage: python bench/split_flagged_clusters.py [--datasets banking ...] [--known-ratios 0.75 ...] [--seeds 0 1 2]
       [--uneven | --unnamed N] [--adapted]   (about 1 minute per draw once the embeddings are cached; with
       --adapted about 10 on banking, 44 minutes for --unnamed 2 on the four datasets)
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

from discovery.evaluate import evaluate_dataset, load_dataset, protocol_draw, split_flagged_check  # noqa: E402
from run_benchmarks import DATA, _machine, frozen_train_splits, record_setting, run_on_vectors  # noqa: E402  (the commit, or BENCH_COMMIT, as every result records it)

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
    parser.add_argument("--unnamed", type=int, default=None, metavar="N",
                        help="name every class but N (instead of --known-ratios)")
    parser.add_argument("--adapted", action="store_true",
                        help="fine-tune the model on each draw's labels first, as the tool does (even labels only)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.adapted and args.uneven:
        parser.error("--adapted runs the protocol's even draws only")
    inputs = (((name, None, load_dataset(DATA / name)[0].label.to_numpy(dtype=object).astype(str), None)
               for name in args.datasets) if args.adapted else frozen_train_splits(args.datasets))
    for name, texts, labels, X in inputs:
        n_classes = len(set(labels))
        ratios = ([1.0] if args.uneven else [(n_classes - args.unnamed) / n_classes] if args.unnamed is not None
                  else args.known_ratios)
        for ratio in ratios:
            if args.adapted:
                report = evaluate_dataset(DATA / name, known_ratio=ratio, labeled_ratio=0.1, seeds=args.seeds)
                draws = [seed["split_flagged"] for seed in report["per_seed"]]
            else:
                draws = [score_draw(texts, labels, X, ratio, seed, args.uneven) for seed in args.seeds]
            kind = "uneven" if args.uneven else "even, adapted" if args.adapted else "even"
            setting = {"dataset": name, "known_ratio": round(ratio, 3), "labels": kind,
                       "seeds": args.seeds, "totals": {key: sum(d[key] for d in draws) for key in draws[0]},
                       "machine": _machine()}
            record_setting(RESULTS, setting, ("dataset", "known_ratio", "labels"), model="all-MiniLM-L6-v2 (frozen)",
                           labeled_ratio=0.1)
            print(json.dumps(setting["totals"] | {"dataset": name, "known_ratio": ratio}), flush=True)
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
