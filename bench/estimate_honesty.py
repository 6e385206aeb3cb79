"""Does the fill-in's accuracy estimate say what the proposals are worth, and does its caveat fire when it does not?

The estimate is measured on held-back labeled rows (``pipeline.fill_estimate``). Labels drawn evenly across
classes, those rows stand for the unlabeled ones; drawn unevenly, they over-represent the classes labeled
most, which are often the easier ones, and the estimate leans high. The run then says so: its caveat fires
when the labeled rows' class shares differ from the proposals' by 0.1 or more (total variation).

Per draw (every class named, labeled ratio 0.1, frozen all-MiniLM-L6-v2 embeddings, K estimated), labels as
the papers draw them (10% of each class: "even"), a tenth of the rows drawn at random ("at random": the
estimate is honest, and the caveat must not fire although no class gets exactly its share), and with every other
class keeping a third of its labeled rows ("uneven", ``split_flagged_clusters.uneven``): the chosen method's
estimate and its 95% interval, its accuracy on the unlabeled named-class rows it labels (what the estimate
claims to measure), the share gap and whether the caveat fired. A third setting names three quarters of the classes (labels as drawn): rows of the unnamed ones
that take a named class also move the proposals' shares, and the estimate, on named classes only, leans high too.

usage: python bench/estimate_honesty.py [--datasets banking ...] [--seeds 0 1 2] [--modes even uneven ...]
       (about 1 minute a draw)

Results go to bench/results/estimate_honesty.json and into docs/benchmarks.md
(``python bench/run_benchmarks.py --report-only``).
"""

from __future__ import annotations

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
from run_benchmarks import _machine, frozen_train_splits, record_setting, run_on_vectors, seed_means  # noqa: E402
from split_flagged_clusters import uneven  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "estimate_honesty.json"


MODES = {"even": (1.0, "even"), "at random": (1.0, "random"), "uneven": (1.0, "uneven"),
         "even, a quarter unnamed": (0.75, "even")}


def score_draw(texts: list, labels: np.ndarray, X: np.ndarray, seed: int, mode: str) -> dict:
    known_ratio, draw = MODES[mode]
    known, labeled = protocol_draw(labels, known_ratio, 0.1, seed)
    if draw == "uneven":
        labeled = uneven(labels, labeled, seed)
    elif draw == "random":  # as many labels, on rows drawn at random: no class gets exactly its share
        n_labeled, labeled = int(labeled.sum()), np.zeros(len(labels), dtype=bool)
        labeled[np.random.RandomState(seed).choice(len(labels), n_labeled, replace=False)] = True
    result = run_on_vectors(texts, labels, labeled, X, seed, f"estimate-{seed}-{mode}")
    estimate = result.fill_estimate
    proposed = result.rows.proposed_label.to_numpy(dtype=object)
    # the rows it claims to measure: unlabeled named-class rows the proposing method labels
    labels_it = ~labeled & (result.rows.label_source.to_numpy() == result.fill_method)
    named_rows = labels_it & np.isin(labels, list(known))
    accuracy = 100 * float(np.mean(proposed[named_rows] == labels[named_rows]))
    # every row it labels, rows of unnamed categories included (each of them wrong): what the estimate is "for"
    accuracy_all = 100 * float(np.mean(proposed[labels_it] == labels[labels_it]))
    low, high = estimate["interval_95"]
    corrected = estimate.get("accuracy_if_unlike_rows_wrong")
    corrected = 100 * (corrected if corrected is not None else estimate["accuracy"])
    unlike_fired = bool(estimate["caveat"] and "look unlike every labeled row" in estimate["caveat"])
    return {"estimate": 100 * estimate["accuracy"], "interval low": 100 * low, "interval high": 100 * high,
            "accuracy where it labels": accuracy, "estimate - accuracy": 100 * estimate["accuracy"] - accuracy,
            "scored rows": estimate["scored_rows"], "share gap": estimate["labeled_vs_proposed_share_gap"],
            "share gap p-value": estimate["share_gap_p_value"],
            "caveat": float(bool(estimate["caveat"] and "unevenly" in estimate["caveat"])),
            "accuracy inside the interval": float(low * 100 <= accuracy <= high * 100),
            "unnamed share where it labels": 100 * float(np.mean(~np.isin(labels[labels_it], list(known)))),
            "accuracy on every row it labels": accuracy_all,
            "estimate - accuracy on every row": 100 * estimate["accuracy"] - accuracy_all,
            "unlike share": 100 * (estimate.get("unlike_labeled_share") or 0.0),
            "unlike caveat": float(unlike_fired),
            "said - accuracy on every row": (corrected if unlike_fired else 100 * estimate["accuracy"]) - accuracy_all,
            "per-class mean": (float("nan") if estimate.get("accuracy_per_class_mean") is None
                               else 100 * estimate["accuracy_per_class_mean"]),
            "per-class caveat": float(bool(estimate["caveat"] and "per class," in estimate["caveat"])),
            "at proposed shares": 100 * estimate["accuracy_at_proposed_shares"],
            "at proposed shares - accuracy": 100 * estimate["accuracy_at_proposed_shares"] - accuracy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["banking", "stackoverflow", "mcid_mtpclnn", "snips"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    for name, texts, labels, X in frozen_train_splits(args.datasets):
        for mode in args.modes:
            draws = [score_draw(texts, labels, X, seed, mode) for seed in args.seeds]
            setting = {"dataset": name, "labels": mode, "seeds": args.seeds, "means": seed_means(draws),
                       "per_seed": draws, "machine": _machine()}
            record_setting(RESULTS, setting, ("dataset", "labels"), model="all-MiniLM-L6-v2 (frozen)",
                           labeled_ratio=0.1)
            print(json.dumps({"dataset": name, "labels": mode} | setting["means"]), flush=True)
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
