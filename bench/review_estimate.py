"""Is the fill-in's accuracy estimate still honest after a round of labeling the suggested rows?

A researcher labels the rows ``rows_to_label_next`` suggests and runs again (the dashboard's "Run again
with my labels"). Those rows were picked where the proposals were unsure, so scoring the accuracy
estimate on them pulls it below the accuracy on the rows the tool labels. For each draw (labeled ratio
0.1, frozen all-MiniLM-L6-v2 embeddings, K estimated) the tool runs once; ``--budget`` of the rows (a
share, 0.02 by default) get their true labels at the suggested rows; the tool runs again twice: with
those labels as plain labels (held out like any other), and as ``labels_for_next_run`` writes them (a
``label_origin`` column marking them as labeled in review: they train every stage but are never held
out). Recorded per run: the estimate of the chosen method, its accuracy on the named-class rows it
labeled (what the estimate claims to measure), and fill-in accuracy on every unlabeled named-class row.

usage: python bench/review_estimate.py [--datasets banking ...] [--known-ratios 1.0 0.75] [--seeds 0 1 2]
       (2-4 minutes per draw once the embeddings are cached)

Means over the seeds go into bench/results/review_estimate.json and from there into docs/benchmarks.md
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
from discovery.io import ORIGIN_ASSIGNED, ORIGIN_DATA  # noqa: E402
from discovery.suggest import rows_to_label_next  # noqa: E402
from run_benchmarks import _machine, frozen_train_splits, record_setting, run_on_vectors, seed_means  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "review_estimate.json"
RUNS = ("before", "after, picks held out", "after, picks never held out")


def scores(result, labels: np.ndarray, scored: np.ndarray) -> dict:
    proposed = result.rows.proposed_label.to_numpy(dtype=object)
    by_method = scored & (result.rows.label_source.to_numpy() == result.fill_method)
    return {"estimate": 100 * result.fill_accuracy[result.fill_method],
            "accuracy where it labels": 100 * float(np.mean(proposed[by_method] == labels[by_method])),
            "fill-in": 100 * float(np.mean(proposed[scored] == labels[scored]))}


def score_draw(texts: list, labels: np.ndarray, X: np.ndarray, known_ratio: float, seed: int, budget: int) -> dict:
    known, labeled = protocol_draw(labels, known_ratio, 0.1, seed)
    tag = f"review-estimate-{seed}"
    before = run_on_vectors(texts, labels, labeled, X, seed, tag)
    picks = before.rows.index.get_indexer(rows_to_label_next(before, n=budget).index)
    more = labeled.copy()
    more[picks] = True
    origin = np.where(labeled, ORIGIN_DATA, None).astype(object)
    origin[picks] = ORIGIN_ASSIGNED
    scored = ~more & np.isin(labels, list(known))
    runs = dict(zip(RUNS, (before, run_on_vectors(texts, labels, more, X, seed, tag),
                           run_on_vectors(texts, labels, more, X, seed, tag, label_origin=origin))))
    out = {"rows_scored": int(scored.sum())}
    for name, result in runs.items():
        for key, value in scores(result, labels, scored).items():
            out[f"{name}: {key}"] = value
        out[f"{name}: method"] = result.fill_method
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
            setting = {"dataset": name, "known_ratio": ratio, "budget": args.budget, "rows_labeled": budget,
                       "seeds": args.seeds, "means": seed_means(draws),
                       "per_seed": draws, "machine": _machine()}
            record_setting(RESULTS, setting, ("dataset", "known_ratio", "budget"), model="all-MiniLM-L6-v2 (frozen)",
                           labeled_ratio=0.1)
            print(json.dumps(setting["means"] | {"dataset": name, "known_ratio": ratio}), flush=True)
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
