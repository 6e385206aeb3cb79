"""How well *Labels to check* (``label_check.check_labels``) finds wrong labels, and what correcting them gives.

For each draw (every class known, labeled ratio 0.1, frozen all-MiniLM-L6-v2 vectors: the base model's,
which is what the pipeline checks on), ``--noise`` of the labeled rows get another class at random. The
check runs on the labels as given; the found rows are then corrected to their true label, as a
researcher reading the list would. Recorded per dataset, as means over the seeds:

* labeled rows, wrong labels, rows flagged; precision (flagged rows that were wrong: picking rows at
  random finds ``--noise`` of them), recall (wrong labels flagged), and how often the suggested label is
  the true one on the wrong labels found;
* rows flagged on the same draw with no label changed (the dataset's own labels: these are its
  doubtful or ambiguous rows, which a benchmark counts as false alarms);
* fill-in accuracy on the unlabeled rows (the pipeline's ``fill_in`` and chosen method): with the
  clean labels, with the wrong ones, and after correcting the flagged rows.

usage: python bench/label_check.py [--datasets banking ...] [--seeds 0 1 2] [--noise 0.05]
       (about a minute per draw once the embeddings are cached)
Results go to bench/results/label_check.json and into docs/benchmarks.md
(``python bench/run_benchmarks.py --report-only``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from discovery.evaluate import protocol_draw  # noqa: E402
from discovery.label_check import check_labels  # noqa: E402
from discovery.pipeline import DiscoveryConfig, fill_in  # noqa: E402
from run_benchmarks import frozen_train_splits, seed_means, write_side_result  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "label_check.json"
DATASETS = ("banking", "stackoverflow", "snips", "mcid_mtpclnn")


def fill_accuracy(X: np.ndarray, y: np.ndarray, truth: np.ndarray, n_classes: int, seed: int) -> float:
    """The pipeline's fill-in (default methods, the method it chooses) on the rows unlabeled in ``y``."""
    config = DiscoveryConfig(random_state=seed)
    fill = fill_in(X, y, n_classes, config.fill_methods, seed, config.n_neighbors)
    unlabeled = y < 0
    return 100 * float(np.mean(fill.distributions[fill.best].argmax(1)[unlabeled] == truth[unlabeled]))


def score_draw(labels: np.ndarray, X: np.ndarray, seed: int, noise: float) -> dict:
    known, labeled = protocol_draw(labels, 1.0, 0.1, seed)
    code = {name: i for i, name in enumerate(sorted(known))}
    truth = np.array([code[label] for label in labels])
    n_classes = len(code)
    clean = np.where(labeled, truth, -1)
    rng = np.random.RandomState(1000 + seed)
    wrong = labeled & (rng.rand(len(labels)) < noise)
    noisy = clean.copy()
    noisy[wrong] = (truth[wrong] + rng.randint(1, n_classes, int(wrong.sum()))) % n_classes

    start = time.perf_counter()
    check = check_labels(X, noisy, n_classes, random_state=seed)
    seconds = time.perf_counter() - start
    flagged = check[check.flagged]
    found = flagged[wrong[flagged.position.to_numpy()]]
    corrected = noisy.copy()
    corrected[flagged.position.to_numpy()] = truth[flagged.position.to_numpy()]
    clean_check = check_labels(X, clean, n_classes, random_state=seed)
    return {
        "labeled": int(labeled.sum()), "wrong": int(wrong.sum()), "flagged": int(len(flagged)),
        "precision": 100 * len(found) / max(len(flagged), 1), "recall": 100 * len(found) / max(int(wrong.sum()), 1),
        "suggestion_right": 100 * float(np.mean(found.suggested.to_numpy() == truth[found.position.to_numpy()]))
        if len(found) else float("nan"),
        "flagged_clean": int(clean_check.flagged.sum()),
        "fillin_clean": fill_accuracy(X, clean, truth, n_classes, seed),
        "fillin_noisy": fill_accuracy(X, noisy, truth, n_classes, seed),
        "fillin_corrected": fill_accuracy(X, corrected, truth, n_classes, seed),
        "check_seconds": seconds,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--noise", type=float, default=0.05)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    start, datasets = time.perf_counter(), {}
    for name, _, labels, X in frozen_train_splits(args.datasets):
        draws = []
        for seed in args.seeds:
            draws.append(score_draw(labels, X, seed, args.noise))
            print(name, seed, json.dumps({k: round(v, 2) for k, v in draws[-1].items()}), flush=True)
        datasets[name] = {"per_seed": draws, "mean": seed_means(draws)}
    write_side_result(RESULTS, start, known_ratio=1.0, labeled_ratio=0.1, noise=args.noise, seeds=args.seeds,
                      model="all-MiniLM-L6-v2 (frozen)", datasets=datasets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
