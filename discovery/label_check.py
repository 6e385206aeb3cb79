"""Labeled rows whose label the rest of the data contradicts: worth a second look.

A wrong label teaches every stage (fine-tuning, the seeds of the clusters, every fill-in method) and
skews the accuracy estimate. Each labeled row's class is predicted with its fold hidden (logistic
regression, as the fill-in's classifier), and cleanlab's confident learning (Northcutt et al. 2021,
``cleanlab.filter.find_label_issues``) flags rows whose held-out probability of another class
passes that class's own typical level, most doubtful first. Run it on vectors that never saw the
labels (the base model's): the adapted model was trained to agree with them, wrong ones included.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .fill import ClassifierFill, heldout_predictions

CHECK_COLUMNS = ["position", "given", "suggested", "given_probability", "suggested_probability", "flagged"]


def check_labels(X: np.ndarray, y: np.ndarray, n_classes: int, n_folds: int = 5, random_state: int = 0,
                 min_suggested_probability: float = 0.5, min_rows: int = 10,
                 copies: np.ndarray | None = None) -> pd.DataFrame:
    """One row per labeled row that could be held out (its class has two labeled rows or more).

    Columns: ``position`` (into ``y``), ``given`` and ``suggested`` class codes, the held-out
    probabilities of each, and ``flagged``: cleanlab finds the label doubtful *and* the held-out
    prediction gives another class at least ``min_suggested_probability``, read with half each class's labeled
    share taken out (``without_half_the_prior``: a class labeled far more than another is not suggested for its
    rows on its numbers alone), as the probability columns are. cleanlab alone flagged
    35-61 of 900 correct labels on BANKING77 (10% labeled, frozen vectors), and a third of the demo's
    175 labels, where a few labeled rows a class leave every prediction unsure; with the floor 7-13
    (docs/benchmarks.md, "Labels to check"). Sorted flagged first, then by how unlikely the given
    label is. Empty when fewer than ``min_rows`` rows of two classes can be checked. ``copies``: per row, an id
    shared by rows of the same text (``io.same_text_ids``): held out together, so a wrong label given to a
    text twice is not vouched for by its own twin.
    """
    y = np.asarray(y)
    labeled = np.flatnonzero(y >= 0)
    empty = pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in zip(
        CHECK_COLUMNS, ("int64", "int64", "int64", "float64", "float64", "bool"))})
    if len(labeled) < min_rows or len(np.unique(y[labeled])) < 2:
        return empty
    held = heldout_predictions(ClassifierFill(random_state=random_state), np.asarray(X)[labeled], y[labeled],
                               n_classes, n_folds=n_folds, random_state=random_state,
                               copies=None if copies is None else np.asarray(copies)[labeled])
    if held is None or len(held[0]) < min_rows:
        return empty
    rows, probabilities = held
    given = y[labeled][rows]
    present = np.unique(given)  # single-row classes are never hidden: cleanlab needs every column seen
    if len(present) < 2:
        return empty
    kept = probabilities[:, present]
    kept = kept / np.maximum(kept.sum(1, keepdims=True), 1e-12)
    position_in_present = np.searchsorted(present, given)
    from cleanlab.filter import find_label_issues

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # n_jobs=1: cleanlab otherwise forks a process pool, and a fork of a threaded process (the
        # Streamlit server, torch's threads) can deadlock: the dashboard's first run hung for good in CI
        flagged = find_label_issues(position_in_present, kept, filter_by="both", n_jobs=1)
    weighed = without_half_the_prior(kept, np.bincount(position_in_present, minlength=len(present)))
    suggested = present[weighed.argmax(1)]
    flagged &= (suggested != given) & (weighed.max(1) >= min_suggested_probability)
    out = pd.DataFrame({"position": labeled[rows], "given": given, "suggested": suggested,
                        "given_probability": weighed[np.arange(len(rows)), position_in_present],
                        "suggested_probability": weighed.max(1), "flagged": flagged})
    return out.sort_values(["flagged", "given_probability", "position"], ascending=[False, True, True],
                           kind="stable").reset_index(drop=True)


def without_half_the_prior(probabilities: np.ndarray, labeled_counts: np.ndarray) -> np.ndarray:
    """``probabilities`` (rows x classes) divided by the square root of each class's labeled share, each row summed
    to one again. A classifier's held-out probabilities carry the labeled shares: on a helper's StackOverflow and
    SNIPS tables (one class 64-80% of the rows and of the labels, classes of 2-10 labels beside it) 4-7 correct
    labels of small classes were flagged, every one toward the big class. The whole share taken out (the
    likelihood alone) flagged none but found 20-39% of labels given at random to another class, against 33-90%;
    half of it flagged 0-1 and found 33-80%, 85-96% of its flags right against 67-91%; classes labeled alike (the
    benchmarks) are left about as they were (``docs/benchmarks.md``, "Labels to check")."""
    share = np.asarray(labeled_counts, dtype=float) / max(float(np.sum(labeled_counts)), 1.0)
    weighed = probabilities / np.sqrt(np.maximum(share, 1e-12))
    return weighed / np.maximum(weighed.sum(1, keepdims=True), 1e-12)
