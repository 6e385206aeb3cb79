"""How many new clusters does the tool make with a label or a few a class?

With a label or two a class the labeled rows are a sliver of the rows the silhouette is scored on, and free clusters
that split a named class cost it almost nothing: on BANKING77 with every class named (1.8 labels a class) the
estimate took the most new clusters it tried. ``cluster.labeled_rows_weight`` has the labeled rows carry a quarter
of the score under ``cluster.FEW_LABELS_TO_ANCHOR`` labels a class. Per dataset, every class named (nothing to find)
and three quarters named, about 2 and 4 labeled rows a class (the protocol's draw at the labeled ratio that gives
them), frozen all-MiniLM-L6-v2 (too few labels to fine-tune), seeds 0 and 1: seeded k-means as the pipeline runs it
(``SeededKMeans``, K estimated), with the labeled rows weighted and, as before, not. Per draw: the new clusters
against the unnamed classes, the share of unlabeled rows of named classes put in new clusters (candidates, which
the researcher must merge back), and the share of unnamed classes' rows put in them (found).

    python bench/few_labels_estimate.py   (about 15 minutes once the frozen vectors are cached)

Results go to bench/results/few_labels_estimate.json and into docs/benchmarks.md
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
from discovery.evaluate import protocol_draw  # noqa: E402
from discovery.labels import median_labels_per_class  # noqa: E402
from run_benchmarks import frozen_train_splits, write_side_result  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "few_labels_estimate.json"
DATASETS = ("banking", "stackoverflow", "snips", "mcid_mtpclnn")
LABELS_A_CLASS = (2, 4)
KNOWN_RATIOS = (1.0, 0.75)
SEEDS = (0, 1)


def one_draw(X: np.ndarray, labels: np.ndarray, known_ratio: float, per_class: int, seed: int, weighted: bool) -> dict:
    sizes = np.unique(labels, return_counts=True)[1]
    known, labeled = protocol_draw(labels, known_ratio, per_class / float(np.mean(sizes)), seed)
    names = sorted(known)
    code = {name: i for i, name in enumerate(names)}
    y = np.array([code[label] if is_labeled else -1 for label, is_labeled in zip(labels, labeled)])
    kept = cluster.FEW_LABELS_TO_ANCHOR
    cluster.FEW_LABELS_TO_ANCHOR = kept if weighted else 0  # 0: no median is under it, every row counts the same
    try:
        fitted = cluster.SeededKMeans(random_state=seed, outside_quantile=cluster.OUTSIDE_QUANTILE["not adapted"]).fit(X, y)
    finally:
        cluster.FEW_LABELS_TO_ANCHOR = kept
    unlabeled = y < 0
    unnamed = ~np.isin(labels, names)
    in_new = fitted.labels_ >= len(names)
    estimate = fitted.new_cluster_estimate_
    return {"known_ratio": known_ratio, "labels_a_class": per_class, "seed": seed, "weighted": weighted,
            "median_labels": median_labels_per_class(y), "unnamed_classes": len(set(labels)) - len(names),
            "new_clusters": int(fitted.n_new_clusters_), "plausible": list(estimate.plausible),
            "labeled_weight": estimate.labeled_weight,
            "named_rows_in_new": float(np.mean(in_new[unlabeled & ~unnamed])),
            "unnamed_rows_in_new": float(np.mean(in_new[unlabeled & unnamed])) if (unlabeled & unnamed).any() else None}


def main() -> int:
    warnings.filterwarnings("ignore")
    started = time.perf_counter()
    draws = []
    for name, _, labels, X in frozen_train_splits(DATASETS):
        for known_ratio in KNOWN_RATIOS:
            for per_class in LABELS_A_CLASS:
                for seed in SEEDS:
                    for weighted in (False, True):
                        draws.append(dict(dataset=name, **one_draw(X, labels, known_ratio, per_class, seed, weighted)))
                        print(draws[-1], flush=True)
    write_side_result(RESULTS, started, seeds=list(SEEDS), weight=cluster.LABELED_ROWS_WEIGHT,
                      below=cluster.FEW_LABELS_TO_ANCHOR, draws=draws, command="python bench/few_labels_estimate.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
