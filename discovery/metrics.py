"""Clustering scores of the New Intent Discovery papers (all x100)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def hungarian_mapping(y_true: np.ndarray, y_pred: np.ndarray) -> dict[int, int]:
    """Best one-to-one map from predicted cluster to true class (by co-occurrence counts)."""
    true_ids, t = np.unique(y_true, return_inverse=True)
    pred_ids, p = np.unique(y_pred, return_inverse=True)
    counts = np.zeros((len(pred_ids), len(true_ids)), dtype=np.int64)
    np.add.at(counts, (p, t), 1)
    rows, cols = linear_sum_assignment(-counts)
    return {int(pred_ids[r]): int(true_ids[c]) for r, c in zip(rows, cols)}


def clustering_scores(y_true, y_pred, known_classes=None) -> dict[str, float]:
    """ACC (Hungarian), NMI, ARI, and for GCD-style reporting known/novel ACC and their H-score."""
    true_names, y_true = np.unique(np.asarray(y_true), return_inverse=True)
    y_pred = np.asarray(y_pred)
    mapping = hungarian_mapping(y_true, y_pred)
    mapped = np.array([mapping.get(int(c), -1) for c in y_pred])
    correct = mapped == y_true
    scores = {
        "acc": 100 * float(correct.mean()),
        "nmi": 100 * float(normalized_mutual_info_score(y_true, y_pred)),
        "ari": 100 * float(adjusted_rand_score(y_true, y_pred)),
    }
    if known_classes is not None:
        known = np.isin(true_names[y_true], list(known_classes))
        scores["known_acc"] = 100 * float(correct[known].mean()) if known.any() else float("nan")
        scores["novel_acc"] = 100 * float(correct[~known].mean()) if (~known).any() else float("nan")
        k, n = scores["known_acc"], scores["novel_acc"]
        if np.isnan(k) or np.isnan(n):  # one side absent: no harmonic mean to take
            scores["h_score"] = float("nan")
        else:
            scores["h_score"] = float(2 * k * n / (k + n)) if k + n > 0 else 0.0
    return scores
