"""The whole job in one call: ``run_discovery(table, DiscoveryConfig(...))`` -> ``Discovery``.

One ``random_state`` flows through every stage. ``progress(stage, done, total)``
reports long work; the CLI draws tqdm bars from it, the dashboard progress bars.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Callable

import numpy as np
import pandas as pd

from .cluster import (OUTSIDE_QUANTILE, LabelAwareHDBSCAN, SeededKMeans, cluster_centers,
                      known_rows_by_label, rows_outside_known_classes, share_outside_known_classes)
from .adapt import TRAINING_TOKENS, AdaptedEmbedder, can_adapt, why_not_adapt
from .boilerplate import (canonical_phrases, describe_boilerplate, find_boilerplate, given_phrases, refused_phrase,
                          spelled_out, without_boilerplate)
from .embed import TFIDF_MODEL, make_embedder
from .errors import InputError
from .fill import (BalancedFill, BlendFill, ClassifierFill, KNNFill, PropagationFill, class_share_gap, clearly_better,
                   apply_power, calibration_power, heldout_predictions, holdout_folds, predictions_correct, knn_graph, knn_search, labeled_shares, unlabeled_shares, drawn_labels,
                   nearest_neighbors, share_correct, blend_distributions, word_features, WORD_WEIGHT)
from .io import LabeledTable, contentless_rows, same_text_ids, table_from_frame
from .label_check import check_labels
from .labels import median_labels_per_class
from .language import LanguageCheck, check_languages, stop_words_for
from .reduce import LabelAwareUMAP
from .result import Discovery, build_rows
from .summarize import FEW_LABELS_A_CLASS, candidate_rows, document_term_counts, summarize_clusters

METHODS = ("auto", "seeded-kmeans", "hdbscan")
STAGES = ("adapt", "embed", "cluster", "fill", "check", "summarize", "map")
StageProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DiscoveryConfig:
    """Every setting of a run; written to the manifest so a run can be repeated."""

    model: str | None = None  # None: bundled all-MiniLM-L6-v2; "tfidf": no model; else a name or path
    adapt: bool = True  # fine-tune the sentence model on the labeled rows first (discovery/adapt.py)
    adapt_layers: int | str = "auto"  # layers fine-tuned: "all", the top N, or "auto" (AdaptedEmbedder.trainable_layers)
    method: str = "auto"  # auto picks seeded-kmeans, chosen by measurement (docs/benchmarks.md)
    random_state: int = 0
    n_new_clusters: int | None = None  # None: estimated
    preferred_n_new_clusters: int | None = None  # estimated: keep this count (a previous run's) when the data fits it about as well
    seed_threshold: float | None = 0.6  # seeded-kmeans: rows a classifier is this sure of (0 chance, 1 certain) seed their class
    min_cluster_size: int | None = None  # hdbscan only; None: from n
    noise_budget: float = 0.2  # hdbscan only: share of rows it may leave as noise before being pushed
    n_neighbors: int = 10  # of the fill-in graph (docs/benchmarks.md, "Fill-in settings")
    fill_methods: tuple[str, ...] = ("knn", "propagation", "classifier", "blend", "balanced")  # balanced: see should_balance
    fill_words: bool = True  # without fine-tuning, blend a classifier on the texts' words into the fill-in (fill.BlendFill)
    known_rows_by_fill: float | None = 0.5  # unlabeled rows in known clusters join the cluster of a fill-in label this sure
    make_map: bool = True  # the dashboard's 2-d map; `discovery run` and `evaluate` skip it (no file they write holds it)
    cache_dir: str | None = None
    leave_out: tuple[str, ...] = ()  # phrases the run does not read, wherever they stand (boilerplate.given_phrases)

    def __post_init__(self):
        for name, value in asdict(self).items():  # numpy numbers as Python's: the manifest writes them as numbers
            if isinstance(value, np.generic):
                object.__setattr__(self, name, value.item())
        # one spelling of the same phrases (matched in any case, spaces aside), so that the dashboard keys the runs
        # and decisions of "Sent from my iPhone" and "sent  from my iphone", typed in any order, as one (helper 88)
        if isinstance(self.leave_out, (tuple, list)) and all(isinstance(phrase, str) for phrase in self.leave_out):
            object.__setattr__(self, "leave_out", canonical_phrases(self.leave_out))

    def resolved_method(self) -> str:
        if self.method not in METHODS:
            raise InputError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}.")
        return "seeded-kmeans" if self.method == "auto" else self.method

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self) -> "DiscoveryConfig":
        """Refuse a setting no run can use, naming it (the CLI checks its flags; this covers the Python API, where a
        ``random_state=None`` or an unknown fill method failed deep inside a stage); returns self."""
        def whole(name, value, low, none_ok=False):
            if value is None and none_ok:
                return
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise InputError(f"DiscoveryConfig({name}={value!r}): give a whole number of at least {low}"
                                 + (" (or None)" if none_ok else "") + ".")

        def share(name, value, none_ok=False, below_one=False):
            if value is None and none_ok:
                return
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
                    0 <= value < 1 if below_one else 0 <= value <= 1):
                raise InputError(f"DiscoveryConfig({name}={value!r}): give a number from 0 to "
                                 f"{'below 1' if below_one else '1'}" + (" (or None)" if none_ok else "") + ".")

        self.resolved_method()
        for name in ("adapt", "fill_words", "make_map"):  # "no" is a true string: both stayed on (helper 112)
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise InputError(f"DiscoveryConfig({name}={getattr(self, name)!r}): give True or False.")
        whole("random_state", self.random_state, 0)
        if self.random_state >= 2 ** 32:
            raise InputError(f"DiscoveryConfig(random_state={self.random_state}): give a seed below 2**32.")
        whole("n_new_clusters", self.n_new_clusters, 0, none_ok=True)
        whole("preferred_n_new_clusters", self.preferred_n_new_clusters, 0, none_ok=True)
        if self.resolved_method() == "hdbscan":  # the other methods never read them (the dashboard keeps them)
            whole("min_cluster_size", self.min_cluster_size, 2, none_ok=True)
            share("noise_budget", self.noise_budget, below_one=True)
        whole("n_neighbors", self.n_neighbors, 1)
        share("seed_threshold", self.seed_threshold, none_ok=True)
        share("known_rows_by_fill", self.known_rows_by_fill, none_ok=True)
        if isinstance(self.fill_methods, str):
            raise InputError(f"DiscoveryConfig(fill_methods={self.fill_methods!r}): give a tuple of method names, "
                             f"such as ({self.fill_methods!r},).")
        unknown = [m for m in self.fill_methods if m not in FILL_METHODS]
        if unknown:
            raise InputError(f"DiscoveryConfig(fill_methods=...): unknown method {unknown[0]!r}; give a tuple of "
                             f"{', '.join(FILL_METHODS)}.")
        if not self.fill_methods:
            raise InputError("DiscoveryConfig(fill_methods=()): no fill-in would run and every row would take its "
                             f"cluster's label; give a tuple of {', '.join(FILL_METHODS)}, or leave it out.")
        if not isinstance(self.leave_out, (tuple, list)) or not all(isinstance(phrase, str) for phrase in self.leave_out):
            raise InputError(f"DiscoveryConfig(leave_out={self.leave_out!r}): give a tuple of phrases, such as "
                             "('Sent from my iPhone',).")
        for phrase in self.leave_out:
            if refused := refused_phrase(phrase):
                raise InputError(f"DiscoveryConfig(leave_out=...): the phrase {phrase!r} {refused}.")
        if self.adapt_layers not in ("auto", "all") and (isinstance(self.adapt_layers, bool) or not isinstance(
                self.adapt_layers, (int, np.integer)) or self.adapt_layers < 1):
            raise InputError(f"DiscoveryConfig(adapt_layers={self.adapt_layers!r}): give 'auto', 'all' or a whole "
                             "number of layers of at least 1.")
        return self


FILL_METHODS = {"knn": KNNFill, "propagation": PropagationFill, "classifier": ClassifierFill, "blend": BlendFill,
                "balanced": BalancedFill}
GRAPH_METHODS = {"propagation", "blend", "balanced"}


@dataclass(frozen=True)
class FillResult:
    distributions: dict[str, np.ndarray]  # method -> n x classes
    accuracy: dict[str, float | None]  # method -> k-fold estimate on labeled rows
    best: str | None = field(default=None)
    balance: dict = field(default_factory=dict)  # whether the balanced proposal ran, and why (BalanceCheck)
    calibration: dict = field(default_factory=dict)  # method -> power its confidences were raised to (calibration_power)
    scored: dict = field(default_factory=dict)  # method -> how many held-out labeled rows its estimate was measured on
    held_out: dict = field(default_factory=dict, repr=False)  # method -> (rows, each labeled right): its estimate's rows


# The fill-in proposal prefers the first of these that ran, unless another is clearly better on the held-out rows.
FILL_PREFERENCE = ("balanced", "blend", "propagation", "classifier", "knn")
# A fine-tuned model's middle layer joined to its sentence vectors, at this weight, for the fill-in's classifier and
# kNN (the neighbour graph stays the sentence vectors'): on banking with every class named (mean of seeds 0-2) the
# fill-in went from 89.75 to 89.97 (by the fill-in alone, weight 1: 89.97, 2: 90.02; layers 2 or 4: up to 89.89), on
# M-CID, never looked at for it, from 86.39 to 86.79 (docs/benchmarks.md, its history)
MIDDLE_LAYER_WEIGHT = 1.5


def with_middle_layer(embeddings: np.ndarray, middle: np.ndarray | None) -> np.ndarray:
    """The vectors the fill-in reads: the sentence vectors, with a fine-tuned model's ``middle`` layer joined at
    ``MIDDLE_LAYER_WEIGHT`` (fine-tuning shapes the sentence vector to the labels; the middle layer keeps more of the
    words, as the words blended into a frozen model's fill-in do), L2-normalised; the sentence vectors alone without."""
    from sklearn.preprocessing import normalize

    if middle is None:
        return embeddings
    middle = given_vectors(middle, len(embeddings), "middle_layer", "the table's rows")
    return normalize(np.hstack([normalize(embeddings), MIDDLE_LAYER_WEIGHT * normalize(middle)])).astype(np.float32)


# A fill-in chooses between labeled classes; with one it has no choice to make and would give that
# class to every row it labels at confidence 1.0 (and score 100% on held-out rows of that same class).
MIN_FILL_CLASSES = 2
BALANCE_MAX_CANDIDATE_SHARE = 0.05
BALANCE_MIN_UNLABELED_PER_CLASS = 10
BALANCE_MIN_LABELED_PER_CLASS = 5  # median over classes
BALANCE_MAX_SHARE_GAP = 0.1


@dataclass(frozen=True)
class BalanceCheck:
    """Whether the balanced proposal may run, and the reason in words, for the manifest and the dashboard."""

    used: bool
    reason: str
    share_gap: float | None = None  # total variation between labeled shares and the blend's shares

    def to_dict(self) -> dict:
        return {"used": self.used, "reason": self.reason,
                "share_gap": None if self.share_gap is None else round(self.share_gap, 4)}


BALANCE_TURNED_OFF = "turned off in the settings (--no-balance)"


def balance_turned_off(config: "DiscoveryConfig", fill) -> dict:
    """The balance record of a run whose fill-in ran without the balanced proposal asked for: said, as a run that
    checked and did not use it says why (helper 129: --no-balance left the manifest's record empty and the CLI and
    the Fill-in page silent); empty when no fill-in ran."""
    if "balanced" in config.fill_methods or not fill.distributions:
        return {}
    return BalanceCheck(False, BALANCE_TURNED_OFF).to_dict()


def should_balance(y: np.ndarray, candidate_rows: np.ndarray, n_classes: int,
                   blend: np.ndarray | None = None, picked: np.ndarray | None = None) -> BalanceCheck:
    """Hold the proposals to the labeled rows' class shares only where those shares are a fair guess.

    Not when candidate clusters hold ``BALANCE_MAX_CANDIDATE_SHARE`` or more of the unlabeled rows
    (rows of new categories outside them would take known classes' shares), nor with fewer than
    ``BALANCE_MIN_UNLABELED_PER_CLASS`` unlabeled rows per class or a median under
    ``BALANCE_MIN_LABELED_PER_CLASS`` labeled rows per class (too few to have shares), nor when the
    blend's own class shares differ from the labeled ones by ``BALANCE_MAX_SHARE_GAP`` or more (total
    variation): then the labels were probably not drawn evenly. With evenly drawn labels and every
    class known the gap was 0.01-0.06 on four benchmarks; labeling every other class at a third of
    the rate gave 0.15-0.25 (bench/fill_settings.py). ``picked``: labeled rows given in review, which are no draw
    (``fill.unlabeled_shares``).
    """
    y = np.asarray(y)
    candidate_rows = np.asarray(candidate_rows, dtype=bool)
    unlabeled = y < 0
    if not unlabeled.any():
        return BalanceCheck(False, "no unlabeled rows")
    share = float(candidate_rows[unlabeled].mean())
    if share >= BALANCE_MAX_CANDIDATE_SHARE:
        return BalanceCheck(False, f"candidate clusters hold {share:.0%} of the unlabeled rows "
                                   f"(balancing needs under {BALANCE_MAX_CANDIDATE_SHARE:.0%})")
    outside = unlabeled & ~candidate_rows
    if outside.sum() < BALANCE_MIN_UNLABELED_PER_CLASS * max(n_classes, 1):
        return BalanceCheck(False, f"{int(outside.sum())} unlabeled rows for {n_classes} classes "
                                   f"(balancing needs {BALANCE_MIN_UNLABELED_PER_CLASS} per class)")
    drawn = drawn_labels(y, picked)  # review labels are no draw
    counts = np.bincount(drawn[drawn >= 0], minlength=n_classes)
    counts = counts[counts > 0] if counts.any() else counts
    if np.median(counts) < BALANCE_MIN_LABELED_PER_CLASS:
        return BalanceCheck(False, f"a median of {np.median(counts):g} labeled rows per class "
                                   f"(balancing needs {BALANCE_MIN_LABELED_PER_CLASS})")
    if blend is None:
        return BalanceCheck(True, "the labeled rows' class shares are used")
    gap = class_share_gap(unlabeled_shares(y, n_classes, picked), blend, outside)
    if gap >= BALANCE_MAX_SHARE_GAP:
        return BalanceCheck(False, f"the labeled rows' class shares differ from the proposals' by {gap:.2f} "
                                   f"(total variation; balancing needs under {BALANCE_MAX_SHARE_GAP}): the labels "
                                   "look unevenly drawn", gap)
    return BalanceCheck(True, f"the labeled rows' class shares match the proposals' (gap {gap:.2f})", gap)


def preferred(names) -> list[str]:
    """``names`` in ``FILL_PREFERENCE`` order (unknown names last)."""
    rank = {name: i for i, name in enumerate(FILL_PREFERENCE)}
    return sorted(names, key=lambda name: rank.get(name, len(rank)))


def choose_fill_method(correct: dict[str, np.ndarray | None]) -> str | None:
    """The preferred method that ran, or the most accurate one that labels the held-out rows
    clearly better (``clearly_better``, a paired test); with nothing scored, the preferred one."""
    if not correct:
        return None
    scored = {name: c for name, c in correct.items() if c is not None and len(c)}
    if not scored:
        return preferred(correct)[0]
    ranked = preferred(scored)
    default = ranked[0]
    better = [name for name in ranked[1:] if clearly_better(scored[name], scored[default])]
    return max(better, key=lambda name: scored[name].mean()) if better else default


def fill_in_steps(methods) -> int:
    """The steps ``fill_in`` reports: the neighbour graph, then one a method asked for (a total that never changes,
    the balanced proposal's check counting as its step when it does not run)."""
    return len(dict.fromkeys(methods)) + 1


def fill_in(X: np.ndarray, y: np.ndarray, n_classes: int, methods, random_state: int, n_neighbors: int,
            adapted: bool = False, candidate_rows: np.ndarray | None = None,
            never_held_out: np.ndarray | None = None,
            neighbors: tuple[np.ndarray, np.ndarray] | None = None,
            progress: Callable[[int, int], None] | None = None, words=None,
            copies: np.ndarray | None = None) -> FillResult:
    """Run each fill-in method on all rows and estimate its accuracy by hidden folds of labeled rows
    (on an adapted embedding: only the fold adaptation never saw), then choose one (``choose_fill_method``).

    ``candidate_rows``: rows of candidate clusters. The balanced method runs only when
    ``should_balance`` says so (balancing every unlabeled row cost about 1 point of fill-in at
    known ratio 0.75 on banking and stackoverflow, and gained 1-2 with every class known on
    banking and mcid: docs/benchmarks.md, "Fill-in settings"); when it does not, the blend runs
    in its place. Each method's confidences are then calibrated on its held-out rows
    (``fill.calibration_power``: a few rows move it only as far as they agree), so that a
    confidence of 0.9 means about nine in ten right whichever method proposed it.
    ``never_held_out``: labeled rows that train every method but are not scored (labels given during
    review, picked where the proposals were unsure: scoring on them would pull the estimate low).
    ``copies``: ``same_text_ids`` of the rows; a labeled text's copies are hidden together (``fill.holdout_folds``).
    ``neighbors``: ``fill.nearest_neighbors(X, k >= n_neighbors)``, when the caller has searched already.
    ``progress(done, total)``: the neighbour graph, then one step per method.
    ``words``: ``fill.word_features`` of the rows, blended into the blend and the balanced methods
    (``BlendFill``); the pipeline gives them when the embedding was not fine-tuned on the labels.
    Under ``MIN_FILL_CLASSES`` labeled classes nothing runs (``best`` None): rows then take their
    cluster's label, with how close they lie to its centre as confidence (``result.propose_labels``).
    """
    if n_classes < MIN_FILL_CLASSES:
        return FillResult({}, {}, None)
    y = np.asarray(y)
    candidate_rows = np.zeros(len(y), dtype=bool) if candidate_rows is None else np.asarray(candidate_rows, dtype=bool)
    methods = list(dict.fromkeys(methods))
    report = progress or (lambda done, total: None)
    steps = fill_in_steps(methods)
    report(0, steps)
    graph = knn_graph(X, n_neighbors, random_state, neighbors) if GRAPH_METHODS & set(methods) else None
    report(1, steps)
    fitted, held_out = {}, {}  # each method's distributions (before calibration) on every row / its held-out rows

    def make(name):
        method = FILL_METHODS[name]()
        if "random_state" in method.get_params():
            method.set_params(random_state=random_state)
        if "words" in method.get_params():
            method.set_params(words=words)
        return method

    blend = make("blend")  # its parts are fitted once, below, and blended as BlendFill.fit blends them

    def on_every_row(name):
        if name not in fitted:
            if name == "blend":  # exactly BlendFill: the blend of the methods it is made of
                fitted[name] = blend_distributions(on_every_row("propagation"), on_every_row("classifier"),
                                                   None if words is None else on_every_row("words"), blend.word_weight)
            elif name == "words":
                fitted[name] = blend.words_classifier().fit(words, y, n_classes).label_distributions_
            else:
                fitted[name] = make(name).fit(X, y, n_classes=n_classes, graph=graph).label_distributions_
        return fitted[name]

    distributions, accuracy, correct, calibration = {}, {}, {}, {}
    balance = {}
    if "balanced" in methods:
        check = should_balance(y, candidate_rows, n_classes, on_every_row("blend"), never_held_out)
        balance = check.to_dict()
        if not check.used:  # the check counts as the balanced step when the blend is asked for already
            methods = [m for m in methods if m != "balanced"] + ([] if "blend" in methods else ["blend"])
    for step, name in enumerate(methods, start=steps + 1 - len(methods)):
        method = make(name)
        fit_params = {"exclude": candidate_rows, "picked": never_held_out} if isinstance(method, BalancedFill) else {}
        if name == "blend" and "propagation" in held_out and "classifier" in held_out:
            held_words = None if words is None else heldout_predictions(
                blend.words_classifier(), words, y, n_classes, n_folds=N_FOLDS, random_state=random_state,
                only_fold=ESTIMATE_FOLD if adapted else None, never_held_out=never_held_out, enough_rows=ESTIMATE_ROWS,
                copies=copies)
            predictions = blend_predictions(held_out["propagation"], held_out["classifier"], held_words,
                                            blend.word_weight)  # the same folds
        else:
            predictions = heldout_predictions(method, X, y, n_classes, graph=graph, n_folds=N_FOLDS,
                                              random_state=random_state, only_fold=ESTIMATE_FOLD if adapted else None,
                                              never_held_out=never_held_out, enough_rows=ESTIMATE_ROWS,
                                              copies=copies, **fit_params)
        held_out[name] = predictions
        correct[name] = predictions_correct(predictions, y)
        accuracy[name] = share_correct(correct[name])
        if name == "balanced":  # the blend on every row is already fitted: start from it
            distributions[name] = method.fit(X, y, n_classes, graph=graph, blend=on_every_row("blend"),
                                             **fit_params).label_distributions_
        else:
            distributions[name] = on_every_row(name)
        if predictions is not None and len(predictions[0]):
            calibration[name] = calibration_power(predictions[1], y[predictions[0]])
            distributions[name] = apply_power(distributions[name], calibration[name])
        report(min(step, steps), steps)
    scored = {name: 0 if c is None else len(c) for name, c in correct.items()}
    rows_right = {name: (held_out[name][0], correct[name]) for name in correct if correct[name] is not None}
    return FillResult(distributions, accuracy, choose_fill_method(correct), balance, calibration, scored, rows_right)


# Under this many held-out rows an accuracy estimate is a rough one (its 95% interval spans about 20 points).
FEW_SCORED_ROWS = 100
ACCEPTED_SHARE_TO_WARN = 0.1  # share of the labeled rows accepted proposals from which the estimate says it may read high
# Under this median of labels a class the estimate reads low: a fit missing a fold's labels is the weaker for it
# (bench/estimate_few_labels.py, frozen model: 4.3, 2.7, 3.0 and 0.9 points below the truth at 3, 5, 10, 20 a class)
FEW_LABELS_PER_CLASS = 15
# Under this median of labels a class, rows of named classes look unlike their few labeled rows too: a helper's
# StackOverflow table (one class 55% of the rows, 1-3 labels for the others) read "about 40% ... look unlike every
# labeled row ... nearer 39%" for 73.7% right, 4.8% of the rows being of unnamed classes.
THIN_LABELS_PER_CLASS = 5


# A share gap is read as labels drawn unevenly when a chi-square test of the labeled rows' class counts against
# the proposals' finds it this unlikely by chance, and it is this large (smaller gaps move the estimate little).
UNEVEN_LABELS_P_VALUE = 0.01


def share_gap_p_value(labeled_counts: np.ndarray, proposed_counts: np.ndarray) -> float:
    """How likely class counts this far apart are when the labeled rows were drawn at random from the same rows
    as the proposed ones (chi-square test of homogeneity on the 2 x classes table; classes neither side holds are
    left out). The papers' draw (a tenth of every class) is closer than random, and passes; labels drawn at random
    pass 99 times in 100 whatever their number; labels drawn unevenly across classes do not."""
    from scipy.stats import chi2_contingency

    table = np.vstack([labeled_counts, proposed_counts]).astype(float)
    table = table[:, table.sum(0) > 0]
    if table.shape[1] < 2 or (table.sum(1) == 0).any():
        return 1.0
    return float(chi2_contingency(table, correction=False).pvalue)


UNLIKE_LABELED_P_VALUE = 0.01  # the covered rows' similarity to the labels below the held-back rows' this surely
UNLIKE_LABELED_MIN_SHARE = 0.05  # and at least this share of them beyond what held-back rows show: a caveat
# A class with one labeled row (or one text) has none to hold back, so the estimate never scores it; from this share
# of the covered rows given such classes on, a caveat says so (60 classes of 1-2 labels: estimated 68.3% for 59.3%
# right, the rows given one-label classes 49% right against 83% for two-label ones).
UNSCORED_CLASSES_MIN_SHARE = 0.05
UNLIKE_LABELED_MAX_ROWS = 20_000  # rows scored on each side (a share: a sample says it as well as every row)


def unlike_labeled_rows(X: np.ndarray, y: np.ndarray, covered: np.ndarray, proposed: np.ndarray, folds: np.ndarray,
                        only_fold: int | None, random_state: int = 0) -> dict:
    """How many of the ``covered`` rows look unlike every labeled class, beyond what labeled rows of those classes do.

    Each held-back labeled row's similarity to its nearest labeled row of the other folds is set against each
    covered row's to the same reference (a fold drawn as the held-back rows' are; ``only_fold``: that fold only, as
    adaptation never saw it, nor the unlabeled rows). The held-back rows are weighted to the covered rows' mix of
    ``proposed`` classes: a class labeled less has fewer labeled neighbours, so its rows are less similar, held
    back or not, and uneven labels must not pass for unnamed categories. Rows of the named classes are then as
    similar as the weighted held-back rows, so half of them reach those rows' weighted median; rows of categories
    nobody named reach it less often. ``share`` = 1 - (share of covered rows at or above that median) / (the held-back
    rows' weighted share there): the covered rows of unnamed categories, those that resemble a named class counted
    as named; ``share_low``: its one-sided 95% lower bound (sampling alone); ``p_value``: one-sided, that fewer
    covered rows reach the median than held-back rows do (normal approximation, both samples' errors, the
    held-back rows' as many as their weights are worth)."""
    from scipy.stats import norm
    from sklearn.preprocessing import normalize

    rng = np.random.RandomState(random_state)
    y = np.asarray(y)
    labeled = np.flatnonzero(y >= 0)
    held = labeled[folds[labeled] >= 0] if only_fold is None else labeled[folds[labeled] == only_fold]
    rows = np.flatnonzero(np.asarray(covered, dtype=bool) & np.isin(proposed, y[held]))  # a class with rows held back
    if len(held) > UNLIKE_LABELED_MAX_ROWS:
        held = np.sort(rng.choice(held, UNLIKE_LABELED_MAX_ROWS, replace=False))
    if len(rows) > UNLIKE_LABELED_MAX_ROWS:
        rows = np.sort(rng.choice(rows, UNLIKE_LABELED_MAX_ROWS, replace=False))
    if len(held) < 10 or not len(rows):
        return {}
    used = np.union1d(labeled, rows)  # only these rows are compared: no copy of every row's vector
    unit = normalize(np.asarray(X[used], dtype=np.float32))

    def vectors(positions):
        return unit[np.searchsorted(used, positions)]

    row_folds = np.full(len(rows), only_fold) if only_fold is not None else rng.choice(folds[held], len(rows))
    held_similarity, row_similarity = np.empty(len(held)), np.empty(len(rows))
    for fold in np.unique(folds[held]):
        reference = labeled[folds[labeled] != fold]
        if not len(reference):
            return {}
        for targets, similarity, fold_of in ((held, held_similarity, folds[held]), (rows, row_similarity, row_folds)):
            chosen = np.flatnonzero(fold_of == fold)
            if len(chosen):
                similarity[chosen] = knn_search(vectors(reference), vectors(targets[chosen]), 1)[1][:, 0]
    n_classes = int(max(y.max(), np.max(proposed)) + 1)
    wanted = np.bincount(np.asarray(proposed)[rows], minlength=n_classes) / len(rows)
    have = np.bincount(y[held], minlength=n_classes) / len(held)
    weights = wanted[y[held]] / have[y[held]]
    order = np.argsort(held_similarity, kind="stable")
    cumulative = np.cumsum(weights[order]) / weights.sum()
    median = held_similarity[order][np.searchsorted(cumulative, 0.5)]
    held_above = float(weights[held_similarity >= median].sum() / weights.sum())
    rows_above = float(np.mean(row_similarity >= median))
    share = max(0.0, 1.0 - rows_above / held_above)
    effective_held = weights.sum() ** 2 / (weights ** 2).sum()
    # the held-back share above their own median varies as a sample of them does (the median is theirs)
    error = np.sqrt(held_above * (1 - held_above) / effective_held + rows_above * (1 - rows_above) / len(rows))
    p_value = float(norm.sf((held_above - rows_above) / error)) if error > 0 else float(rows_above >= held_above)
    low = float(max(0.0, 1.0 - (rows_above + norm.ppf(0.95) * error) / held_above))
    return {"share": share, "share_low": low, "p_value": p_value}


def fill_estimate(fill: FillResult, y: np.ndarray, n_classes: int, in_candidates: np.ndarray,
                  X: np.ndarray | None = None, folds: np.ndarray | None = None, only_fold: int | None = None,
                  random_state: int = 0, copied_rows: np.ndarray | None = None,
                  never_held_out: np.ndarray | None = None, text_ids: np.ndarray | None = None,
                  empty: np.ndarray | None = None, accepted: np.ndarray | None = None,
                  class_names=None) -> dict:
    """What the proposal's accuracy estimate covers and how far to trust it (the manifest's ``fill_estimate``).

    The estimate is the share of held-back labeled rows the proposing method labels right: rows of the named
    classes, drawn as the labeled rows were. So it says nothing of the unlabeled rows in open candidates (they
    get a placeholder, counted here), it has a sampling error (a 95% Wilson interval on the rows scored), and it
    leans to the classes labeled most when the labels were drawn unevenly, or reads high when rows of unnamed
    categories took named classes: then the labeled rows' class counts differ from the proposals' more than labels
    drawn at random would (``share_gap_p_value`` under ``UNEVEN_LABELS_P_VALUE``) and their shares by
    ``BALANCE_MAX_SHARE_GAP`` at least, and a caveat says so. With few labels a class an uneven draw may not show
    (the fill-in also pulls the proposals toward the labeled shares). ``bench/estimate_honesty.py`` measures how
    far the estimate strays, and how often the caveat fires, in each case. ``by_class``: each class's held-back
    rows and how many the method got right (keyed by ``class_names``, else by code), and their mean share right
    over the classes (``accuracy_per_class_mean``): a caveat says when it lies well under the estimate.
    """
    best = fill.best
    accuracy = fill.accuracy.get(best) if best is not None else None
    if accuracy is None:
        return {}
    from scipy.stats import binomtest

    n = int(fill.scored.get(best, 0))
    held = fill.held_out.get(best)
    # copies of a text are held back together and scored as one: the interval counts texts, not rows
    n_texts = len(np.unique(np.asarray(text_ids)[held[0]])) if held is not None and text_ids is not None else n
    interval = binomtest(int(round(accuracy * n_texts)), n_texts).proportion_ci(0.95, method="wilson")
    y = np.asarray(y)
    unlabeled = y < 0
    # labels given in review are picked where the proposals were unsure, never held back: not a draw to compare
    drawn = drawn_labels(y, never_held_out)
    labels_per_class = median_labels_per_class(drawn)
    covered = unlabeled & ~np.asarray(in_candidates, dtype=bool)
    without_words = np.zeros(len(y), dtype=bool) if empty is None else covered & np.asarray(empty, dtype=bool)
    covered &= ~without_words  # a text without a word gets a guess (the labels' shares), never accepted: not estimated
    proposed = fill.distributions[best].argmax(1)
    gap = p_value = None
    # rows given a class only review labels name (a candidate named there) have no drawn share to differ from
    # (helper 89: "labels look unevenly drawn" of an even draw, two intents named in review taking 24% of the rows)
    drawn_counts = np.bincount(drawn[drawn >= 0], minlength=n_classes)
    compared = covered & (drawn_counts > 0)[proposed]
    if compared.any():
        gap = class_share_gap(labeled_shares(drawn, n_classes), fill.distributions[best], compared)
        p_value = share_gap_p_value(drawn_counts, np.bincount(proposed[compared], minlength=n_classes))
    unlike = (unlike_labeled_rows(X, y, covered, proposed, folds, only_fold, random_state)
              if X is not None and folds is not None and covered.any() else {})
    if folds is not None:
        scored_rows = (folds >= 0) if only_fold is None else (folds == only_fold)
        scored_classes = np.unique(y[scored_rows & (y >= 0)])
    else:
        scored_classes = np.flatnonzero(np.bincount(y[y >= 0], minlength=n_classes) >= 2)
    unscored = covered & ~np.isin(proposed, scored_classes)
    if copied_rows is not None:  # copies of a labeled text take its label (labels_of_copies): no guess to score
        unscored[copied_rows] = False
    at_shares = accuracy_at_proposed_shares(held, y, proposed[covered], n_classes)
    conflicted = held_rows_labeled_otherwise(held, y, text_ids)
    by_class = held_back_by_class(held, y, n_classes)
    per_class_mean = (float(np.mean(by_class.right[by_class.scored > 0] / by_class.scored[by_class.scored > 0]))
                      if (by_class.scored > 0).sum() >= PER_CLASS_MIN_CLASSES else None)
    caveats = []
    unlike_sure = bool(unlike) and unlike["p_value"] < UNLIKE_LABELED_P_VALUE and unlike["share"] >= UNLIKE_LABELED_MIN_SHARE
    if unlike_sure:
        caveats.append(f"about {unlike['share']:.0%} (at least {unlike['share_low']:.0%}, 95%) of the rows given a "
                       "named class look unlike every labeled row, more than held-back labeled rows do: if they are "
                       "of categories nobody has named, each of them is wrong, and the accuracy on these rows is "
                       f"nearer {accuracy * (1 - unlike['share']):.0%}; the Map shows where they lie"
                       + (f" (with a median of {labels_per_class:g} labels a class, rows of named classes also lie "
                          "far from their few labeled rows, so this can overstate it)"
                          if labels_per_class < THIN_LABELS_PER_CLASS else ""))
    small_classes_lost = per_class_mean is not None and accuracy - per_class_mean >= PER_CLASS_GAP_TO_WARN
    if small_classes_lost:
        caveats.append(f"per class, {per_class_mean:.0%} of the held-back rows were labeled right on average "
                       f"({int((by_class.scored > 0).sum())} classes), against {accuracy:.0%} of all of them: the "
                       "classes with fewer labels fare worse, so their unlabeled rows likely went to the classes "
                       "labeled most, whose proposals then hold more rows than they should (the Fill-in page's "
                       "table by class; by_class in the manifest)")
    uneven = gap is not None and gap >= BALANCE_MAX_SHARE_GAP and p_value < UNEVEN_LABELS_P_VALUE
    if uneven:
        caveats.append(f"the labeled rows' class shares differ from the proposals' by {gap:.2f} (total variation): "
                       "the labels look unevenly drawn across classes, or rows of categories nobody has named took "
                       "named classes; either way the estimate, measured on held-back labeled rows of the classes "
                       "labeled most, may be several points high")
    unscored_many = covered.any() and unscored.sum() >= UNSCORED_CLASSES_MIN_SHARE * covered.sum()
    if unscored_many:
        caveats.append(f"{int(unscored.sum()):,} of the rows given a named class were given one with no labeled row "
                       "that can be held back (a single label or text, or labels given in review only): their "
                       "accuracy is not in the estimate, and likely lower; more rows of those classes labeled as "
                       "the others were bring them in")
    if conflicted["rows"] >= max(CONFLICTING_COPIES_MIN_ROWS, CONFLICTING_COPIES_MIN_SHARE * n):
        caveats.append(f"{conflicted['rows']:,} of the held-back rows have a copy labeled with another class (the same "
                       "text under two labels, as the reading warnings say): one label of each pair is wrong whatever "
                       "the proposal, so they pull the estimate down"
                       + ("" if conflicted["accuracy_without"] is None else
                          f" (on the other held-back rows it is {conflicted['accuracy_without']:.0%})")
                       + "; correcting those labels (Labels to check lists many of them) brings the two together")
    n_accepted = 0 if accepted is None else int((np.asarray(accepted, dtype=bool) & (y >= 0)).sum())
    # accepting proposals takes the rows they were surest of: the rest are no longer like the draw
    accepted_many = n_accepted > 0 and n_accepted >= ACCEPTED_SHARE_TO_WARN * int((y >= 0).sum())
    if accepted_many:
        caveats.append(f"{n_accepted:,} labels are proposals accepted earlier ('accepted proposal'): accepting takes "
                       "the rows the proposals were surest of, so the rows still unlabeled are harder than the "
                       "held-back labeled rows the estimate is measured on, and it may be far too high for them")
    if n_texts < FEW_SCORED_ROWS:
        caveats.append(f"measured on {n} held-back rows only" + (f" ({n_texts} distinct texts)" if n_texts < n else "")
                       + f": the sampling interval, {interval.low:.0%} to {interval.high:.0%}, is wide; more labeled "
                       "rows narrow it")
    if labels_per_class < FEW_LABELS_PER_CLASS and accuracy < 1:  # every held-back row right: the interval says it
        leans_high = unlike_sure or uneven or unscored_many or accepted_many or small_classes_lost  # said above: not to be read as "low" alone
        caveats.append(f"with a median of {labels_per_class:g} labels a class, each held-back fit learns from fewer labels "
                       "than the proposals do (a fifth fewer, or one fewer where a class has under 5), "
                       + ("which alone would make the estimate read low" if leans_high else
                          "so the estimate tends to read low"))
    return {"method": best, "accuracy": round(float(accuracy), 4), "scored_rows": n, "scored_texts": int(n_texts),
            "interval_95": [round(float(interval.low), 4), round(float(interval.high), 4)],
            "rows_covered": int(covered.sum()), "rows_in_open_candidates": int((unlabeled & ~covered & ~without_words).sum()),
            "rows_without_words": int(without_words.sum()),
            "labeled_vs_proposed_share_gap": None if gap is None else round(gap, 4),
            "share_gap_p_value": None if p_value is None else float(f"{p_value:.3g}"),
            "unlike_labeled_share": round(unlike["share"], 4) if unlike else None,
            "unlike_labeled_share_low": round(unlike["share_low"], 4) if unlike else None,
            "unlike_labeled_p_value": float(f"{unlike['p_value']:.3g}") if unlike else None,
            "accuracy_if_unlike_rows_wrong": round(float(accuracy) * (1 - unlike["share"]), 4) if unlike_sure else None,
            "rows_given_unscored_classes": int(unscored.sum()),
            "accuracy_at_proposed_shares": None if at_shares is None else round(at_shares, 4),
            "held_rows_labeled_otherwise": conflicted["rows"],
            "accuracy_without_rows_labeled_otherwise": conflicted["accuracy_without"],
            "accuracy_per_class_mean": None if per_class_mean is None else round(per_class_mean, 4),
            "by_class": {str(class_names[code] if class_names is not None else code): [int(scored), int(right)]
                         for code, scored, right in zip(by_class.index, by_class.scored, by_class.right) if scored > 0},
            "caveat": "; ".join(caveats) or None}


# The held-back rows' mean share right per class this far under the estimate (of 3 classes or more): a caveat. On a
# helper's StackOverflow tables (one class 80% of the labels, a dozen of 2-10) the estimate read 85.5% for 79.7% right,
# 83-100% of four small classes' rows going to the big one (the held-back rows' mean per class: 23%).
PER_CLASS_GAP_TO_WARN = 0.1
PER_CLASS_MIN_CLASSES = 3


def held_back_by_class(held_out: tuple[np.ndarray, np.ndarray] | None, y: np.ndarray, n_classes: int) -> pd.DataFrame:
    """Per class code: its held-back rows (``scored``) and how many of them the method labeled ``right``."""
    if held_out is None or not len(held_out[0]):
        return pd.DataFrame({"scored": np.zeros(n_classes, dtype=int), "right": np.zeros(n_classes, dtype=int)})
    rows, right = held_out
    classes = np.asarray(y)[rows]
    return pd.DataFrame({"scored": np.bincount(classes, minlength=n_classes),
                         "right": np.bincount(classes, weights=np.asarray(right, dtype=float),
                                              minlength=n_classes).round().astype(int)})


# Held-back rows whose text is labeled otherwise elsewhere get a caveat from this many, and this share of those scored.
CONFLICTING_COPIES_MIN_ROWS = 3
CONFLICTING_COPIES_MIN_SHARE = 0.02


def held_rows_labeled_otherwise(held_out: tuple[np.ndarray, np.ndarray] | None, y: np.ndarray,
                                text_ids: np.ndarray | None) -> dict:
    """How many held-back rows share their text (``same_text_ids``) with a labeled row of another class, and the
    accuracy on the other held-back rows (None when none is left out). Such a pair is scored wrong at least once
    whatever a method proposes: the estimate then measures the labels' disagreement as well as the proposals."""
    if held_out is None or text_ids is None or not len(held_out[0]):
        return {"rows": 0, "accuracy_without": None}
    y, text_ids = np.asarray(y), np.asarray(text_ids)
    labeled = y >= 0
    classes_per_text = pd.Series(y[labeled]).groupby(text_ids[labeled]).nunique()
    torn_texts = classes_per_text.index[classes_per_text > 1].to_numpy()
    rows, right = held_out
    otherwise = np.isin(text_ids[rows], torn_texts)
    if not otherwise.any():
        return {"rows": 0, "accuracy_without": None}
    rest = np.asarray(right, dtype=float)[~otherwise]
    return {"rows": int(otherwise.sum()), "accuracy_without": round(float(rest.mean()), 4) if len(rest) else None}


def accuracy_at_proposed_shares(held_out: tuple[np.ndarray, np.ndarray] | None, y: np.ndarray, proposed: np.ndarray,
                                n_classes: int) -> float | None:
    """The held-back rows' accuracy with each class weighted to its share of the proposals rather than of the
    labels: a class labeled more than its share of the data weighs less (labels drawn unevenly across classes
    make the plain estimate lean to the classes labeled most). None without held-back rows or proposals."""
    if held_out is None or not len(proposed) or not len(held_out[0]):
        return None
    rows, right = held_out
    classes = np.asarray(y)[rows]
    wanted = np.bincount(proposed, minlength=n_classes) / len(proposed)
    have = np.bincount(classes, minlength=n_classes) / len(rows)
    weights = wanted[classes] / have[classes]
    return float(weights @ right / weights.sum()) if weights.sum() > 0 else None


def describe_fill_estimate(estimate: dict) -> str | None:
    """``fill_estimate`` in a sentence for the CLI and the Fill-in page; None without an estimate. A result given
    instead is read as its ``fill_estimate_now`` (helper 112: a TypeError)."""
    if isinstance(estimate, Discovery):
        estimate = estimate.fill_estimate_now
    if not estimate:
        return None
    low, high = estimate["interval_95"]
    text = (f"the proposals' estimated accuracy, {estimate['accuracy']:.1%}, was measured on {estimate['scored_rows']:,} "
            f"held-back labeled rows ({low:.0%} to {high:.0%} from sampling alone, 95%)")
    covered, in_candidates = estimate["rows_covered"], estimate["rows_in_open_candidates"]
    if covered:
        text += f" and is for the {covered:,} unlabeled rows given a named class"
        if in_candidates:
            text += f", not the {in_candidates:,} in open candidates (a name is yours to give)"
        if estimate.get("rows_without_words"):
            text += (f", {'nor' if in_candidates else 'not'} the {estimate['rows_without_words']:,} without a word (empty, punctuation, "
                     "links or mentions only, boilerplate only or nothing the model reads: given a guess, never accepted)")
    elif in_candidates:
        text += f" and is for none of the unlabeled rows: all {in_candidates:,} are in open candidates"
    return text + (f"; {estimate['caveat']}" if estimate.get("caveat") else "")


def blend_predictions(spreading, classifier, words=None, word_weight: float = WORD_WEIGHT):
    """``blend_distributions`` of the methods' held-out predictions on the same rows (None when one has none)."""
    parts = [spreading, classifier] + ([] if words is None else [words])
    if any(part is None for part in parts):
        return None
    if any(not np.array_equal(parts[0][0], part[0]) for part in parts[1:]):
        raise ValueError("held-out predictions of different rows cannot be blended")
    return spreading[0], blend_distributions(spreading[1], classifier[1], None if words is None else words[1], word_weight)


N_FOLDS = 5  # hold-out folds of labeled rows for the fill-in estimates
ESTIMATE_FOLD = 0  # the fold of labeled rows adaptation never sees; the fill-in estimate is measured on it
# Folds are hidden until this many labeled rows were scored: with 2,000 rows an accuracy of 0.8 has a
# standard error of 0.9 points. On 250,000 rows with 11,700 labels (bench/large_table.py, TF-IDF) the
# fill-in took 9.6 minutes this way, and was stopped after 21 refitting every method on five folds.
# No benchmark draw holds 2,000 labeled rows, so none of their numbers moves.
ESTIMATE_ROWS = 2000


def adaptation_labels(config: DiscoveryConfig, y: np.ndarray, never_held_out: np.ndarray | None = None,
                      copies: np.ndarray | None = None) -> np.ndarray | None:
    """The labels the model is adapted on: every labeled row but one hold-out fold (kept for an
    honest fill-in estimate; ``never_held_out`` rows are never in it, ``copies`` of a text are in it together);
    None when there is nothing to adapt (TF-IDF, ``adapt=False``, or fewer than two classes with two rows each)."""
    if not config.adapt or config.model == TFIDF_MODEL:
        return None
    train_labels = _without_estimate_fold(config, y, never_held_out, copies)
    return train_labels if can_adapt(train_labels) else None


def _without_estimate_fold(config: DiscoveryConfig, y: np.ndarray, never_held_out: np.ndarray | None,
                           copies: np.ndarray | None = None) -> np.ndarray:
    """``y`` with the fold kept back to score the fill-in set to unlabeled (-1)."""
    y = np.asarray(y)
    held_out = holdout_folds(y, N_FOLDS, config.random_state, never_held_out, copies) == ESTIMATE_FOLD
    return np.where(held_out, -1, y)


def adaptation_skipped_reason(config: DiscoveryConfig, y: np.ndarray, never_held_out: np.ndarray | None = None,
                              copies: np.ndarray | None = None) -> str:
    """Why ``adaptation_labels`` gave nothing to adapt on, for the manifest, the CLI and the dashboard."""
    if not config.adapt:
        return "turned off in the settings"
    if config.model == TFIDF_MODEL:
        return "TF-IDF vectors come from no model to fine-tune"
    reason = why_not_adapt(_without_estimate_fold(config, y, never_held_out, copies)) or "nothing to adapt on"
    return f"{reason}, counting the labeled rows left after a fifth is kept back to score the fill-in"


def heldout_knn_correct(X_labeled: np.ndarray, y_labeled: np.ndarray, held_out: np.ndarray) -> np.ndarray:
    """Whether kNN from the other labeled rows labels each held-out labeled row right."""
    y_train = np.where(held_out, -1, y_labeled)
    fitted = KNNFill().fit(X_labeled, y_train, n_classes=int(y_labeled.max()) + 1)
    return fitted.label_distributions_[held_out].argmax(1) == y_labeled[held_out]


def adaptation_helps(base_correct: np.ndarray, adapted_correct: np.ndarray) -> bool:
    """Keep the adapted model unless the base model labels the held-out fold clearly better.

    A paired comparison on the same rows (McNemar's): only rows one model gets right and
    the other wrong count, and the adapted model is dropped when the base model wins
    those by more than one standard deviation (z > 1). Adaptation helped on every
    benchmark on average, so it is the default; the fold (a fifth of the labels, ~40-200
    rows) is too small to demand it win outright: "adapted must score higher" rejected
    it on 2 of 3 banking draws at known ratio 0.25 and on banking 1.0 seed 2, where it
    was worse by 2 of 209 rows yet gave 84.7 test ACC against the base model's 79.4.
    """
    return not clearly_better(base_correct, adapted_correct)


def fit_embedder(texts, y: np.ndarray, config: DiscoveryConfig, progress: StageProgress | None = None,
                 never_held_out: np.ndarray | None = None, copies: np.ndarray | None = None, base=None):
    """The run's embedder: the configured model, adapted to the labeled rows when that helps.

    Adaptation never sees one fold of the labeled rows; the adapted model is kept unless
    kNN labels that fold clearly better with the base model (``adaptation_helps``: with
    a couple of labeled rows per class, fine-tuning can overfit). ``adaptation_check_``
    on the returned embedder holds both accuracies. ``base``: the configured model's embedder, when the caller
    has made it (``labels_to_learn_from``).
    """
    report = progress or (lambda stage, done, total: None)
    y = np.asarray(y)
    base = make_embedder(config.model, config.random_state, config.cache_dir) if base is None else base
    train_labels = adaptation_labels(config, y, never_held_out, same_text_ids(texts) if copies is None else copies)
    if train_labels is None:
        return base
    adapted = AdaptedEmbedder(config.model, random_state=config.random_state, cache_dir=config.cache_dir,
                              trainable_layers=config.adapt_layers).fit(
        texts, train_labels, progress=lambda d, t: report("adapt", d, t))
    labeled = np.flatnonzero(y >= 0)
    labeled_texts = [texts[i] for i in labeled]
    held_out = train_labels[labeled] < 0
    base_correct = heldout_knn_correct(base.transform(labeled_texts), y[labeled], held_out)
    adapted_correct = heldout_knn_correct(adapted.transform(labeled_texts), y[labeled], held_out)
    check = {"base": float(base_correct.mean()), "adapted": float(adapted_correct.mean()),
             "held_out_rows": int(held_out.sum()), "layers_trained": adapted.trainable_layers_ or "all"}
    chosen = adapted if adaptation_helps(base_correct, adapted_correct) else base
    chosen.adaptation_check_ = check
    return chosen


def fill_skipped_reason(class_names) -> str | None:
    """Why no fill-in ran for these labeled classes (None: it runs), for the CLI and the dashboard."""
    if len(class_names) >= MIN_FILL_CLASSES:
        return None
    labeled = "no row is labeled" if not class_names else f"only {class_names[0]!r} is labeled"
    return (f"not run, {labeled} (a fill-in needs two labeled classes to choose between); rows take their "
            "cluster's label, with how close they lie to its centre as confidence")


def unestimated_accuracy_advice(table) -> str:
    """What gets the fill-in's accuracy estimated when too few labeled rows could be held out, for the CLI and
    the dashboard: labels given in review are never held out, so more of them cannot help."""
    review = int(table.labeled_in_review.sum())
    if not review:
        return "label a few more rows of each class"
    return (f"the {review:,} labels given in review are never held out (picked where the proposals were unsure, or "
            "proposals accepted, so scoring on them would skew the estimate): label a few more rows of each class, picked at "
            "random, in the data's own label column (or add them with `discovery add-labels --drawn-at-random`)")


def words_turned_off(result) -> bool:
    """Whether the setting alone kept the texts' words out of a run's fill-in (``fill_words=False`` where they would
    have been blended in): a fine-tuned model or TF-IDF never blends them in, so the setting changed nothing there."""
    config = result.config
    return (result.fill_method is not None and not config.fill_words
            and uses_words(replace(config, fill_words=True), bool(result.adaptation.get("used")),
                           len(result.table.codec)))


def uses_words(config: DiscoveryConfig, adapted: bool, n_classes: int) -> bool:
    """Whether the fill-in blends in the texts' words: on a sentence model not fine-tuned on the labels
    (a fine-tuned one has learnt the terms that matter; TF-IDF vectors are words already)."""
    return config.fill_words and not adapted and config.model != TFIDF_MODEL and n_classes >= MIN_FILL_CLASSES


def reading_record(embedder, texts, y: np.ndarray) -> dict:
    """How far the model read the texts (the manifest's ``text_reading``): the tokens it embeds of each and how many
    texts run past them; when fine-tuning ran (kept or not), the tokens it read of each labeled text and how many
    of those run past them; empty for TF-IDF, which reads every word (``run_discovery`` adds the texts it read
    nothing of, ``unread_rows``, when there are some)."""
    if not hasattr(embedder, "texts_cut"):
        return {}
    cut = embedder.texts_cut(texts)
    record = {"tokens_read": embedder.reading_length(), "texts_cut": int(cut),
              "share_cut": round(cut / max(len(texts), 1), 4)}
    alike = embedder.texts_read_alike(texts) if cut and hasattr(embedder, "texts_read_alike") else None
    if alike is not None and (alike >= 0).any():  # distinct texts the model reads as one (helper 95)
        labeled = (np.asarray(y) >= 0) & (alike >= 0)
        classes = pd.DataFrame({"group": alike[labeled], "label": np.asarray(y)[labeled]}).groupby("group").label.nunique()
        record.update(texts_read_alike=int((alike >= 0).sum()), groups_read_alike=int(alike.max() + 1),
                      groups_read_alike_labeled_apart=int((classes > 1).sum()))
    if hasattr(embedder, "adaptation_check_"):  # fine-tuning ran
        labeled = [texts[i] for i in np.flatnonzero(np.asarray(y) >= 0)]
        record.update(training_tokens=TRAINING_TOKENS,
                      labeled_texts_past_training=int(embedder.texts_cut(labeled, TRAINING_TOKENS)),
                      labeled_texts=len(labeled))
    return record


def unread_rows(read_as_unknown: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
    """Rows whose vector says nothing of their text: all zeros (TF-IDF found no word of two characters in it), or
    a text the model reads as unknown pieces only (``read_as_unknown``: ``labels_to_learn_from``'s, from the
    model's ``texts_unread``: a script its vocabulary lacks, symbols). They all embed alike, so they would make a
    cluster, a candidate or a doubted label out of nothing."""
    return np.asarray(read_as_unknown, dtype=bool) | ~np.asarray(embeddings).any(axis=1)


def is_adapted(embedder) -> bool:
    return isinstance(embedder, AdaptedEmbedder)


def vectors_and_middle_layer(embedder, texts, progress: Callable[[int, int], None] | None = None) \
        -> tuple[np.ndarray, np.ndarray | None]:
    """The vectors ``run_discovery`` reads of ``texts``: a fine-tuned model's with its middle layer, from one forward
    pass (``with_middle_layer``), any other embedder's alone (no middle layer: None)."""
    if is_adapted(embedder):
        return embedder.sentence_and_middle_layer(texts, progress=progress)
    return embedder.transform(texts, progress=progress), None


def make_clusterer(config: DiscoveryConfig):
    method = config.resolved_method()
    if method == "hdbscan":
        if config.n_new_clusters is not None:
            raise InputError(f"{config.n_new_clusters} new clusters were asked for, but only seeded-kmeans takes a number; "
                             "hdbscan finds its own (its min cluster size sets how fine): leave the number out, "
                             "or choose seeded-kmeans.")
        return LabelAwareHDBSCAN(min_cluster_size=config.min_cluster_size, noise_budget=config.noise_budget,
                                 random_state=config.random_state)
    return SeededKMeans(n_new_clusters=config.n_new_clusters, seed_threshold=config.seed_threshold,
                        random_state=config.random_state, preferred_n_new_clusters=config.preferred_n_new_clusters)


def cluster_report(clusterer, config: DiscoveryConfig) -> dict:
    """What the clustering decided about new clusters, for the manifest and the dashboard."""
    seeded = config.resolved_method() == "seeded-kmeans"
    report = {"method": config.resolved_method(), "n_new_clusters": int(clusterer.n_new_clusters_),
              "n_new_clusters_given": seeded and config.n_new_clusters is not None,
              "n_new_clusters_asked": config.n_new_clusters if seeded else None}
    estimate = getattr(clusterer, "new_cluster_estimate_", None)
    if estimate is not None:
        report["estimate"] = estimate.to_dict()
    if hasattr(clusterer, "outside_share_"):
        report["outside_share"] = round(float(clusterer.outside_share_), 6)
    if hasattr(clusterer, "n_confident_seeds_"):
        report["confident_seed_rows"] = int(clusterer.n_confident_seeds_)
        report["confident_seeds_left_to_new_clusters"] = int(clusterer.n_seeds_in_new_clusters_)
    if hasattr(clusterer, "raw_noise_share_"):
        report["hdbscan_noise_share"] = round(float(clusterer.raw_noise_share_), 4)
        report["hdbscan_noise_budget_met"] = bool(clusterer.noise_budget_met_)  # else the try leaving least noise
        report["hdbscan_nothing_dense"] = bool(clusterer.nothing_dense_)  # the unlabeled rows are then one cluster
        report["hdbscan_min_cluster_size"] = int(clusterer.min_cluster_size_)
        report["hdbscan_min_samples"] = int(clusterer.min_samples_)
        report["hdbscan_automatic_min_cluster_size"] = int(clusterer.automatic_min_cluster_size_)
        report["hdbscan_min_cluster_size_asked"] = config.min_cluster_size  # cut to half the rows when larger
    return report


MOSTLY_NOISE = 0.5  # share of rows HDBSCAN left as noise above which a run says so


def hdbscan_size_hides_new(clustering: dict) -> tuple[int, int] | None:
    """(min cluster size as asked, the automatic one for the table) when HDBSCAN made no new cluster with a min cluster size
    above the automatic one: no unnamed group that small could stand apart, and their rows went to named classes
    (helper 107: TF-IDF, sizes 15 to 100 on a table of 4 unnamed intents gave 0 candidates where the automatic 5 gave
    13, with nothing said). None otherwise, and for seeded k-means."""
    size, automatic = clustering.get("hdbscan_min_cluster_size"), clustering.get("hdbscan_automatic_min_cluster_size")
    if clustering.get("method") != "hdbscan" or clustering.get("n_new_clusters", 1) != 0 or size is None \
            or automatic is None or size <= automatic:
        return None
    asked = clustering.get("hdbscan_min_cluster_size_asked")  # as typed, before a cut to half the rows
    return int(asked if asked is not None else size), int(automatic)


FEW_LABELS_CAVEAT = ("with a median of {median:g} labeled rows a class {who} cannot tell rows outside the named "
                     "classes from their own (a class's labels are too few to show how far it spreads), so unnamed "
                     "categories may sit inside named ones")


def few_labels_to_judge(clustering: dict) -> float | None:
    """The median labeled rows a class when the number of new clusters was estimated on under
    ``FEW_LABELS_A_CLASS`` of them, else None. A class's labels then show nothing of its spread (with two, the
    centroid left out of one is the other row), so ``share_outside_known_classes`` read 0.0 and no unnamed class
    could raise the count: helper 114's 42 unnamed classes of 126, 2 labels each, got 1 candidate, nothing said."""
    median = clustering.get("median_labels_per_class")
    if median is None or median >= FEW_LABELS_A_CLASS or clustering.get("n_new_clusters_given") or \
            not clustering.get("estimate"):
        return None
    return median


def mostly_noise(clustering: dict) -> dict | None:
    """When HDBSCAN found no dense group for most rows even at the smallest ``min_samples`` (they were put in
    their nearest cluster with halved confidence, and few new categories could show): the noise ``share``, the
    share of rows ``assigned`` from noise (labeled rows stay in their class; the noise share where not recorded),
    ``every``: whether that is every row the run read unlabeled (so no new category can show; counted, as the
    rounded share read 72% for every one of 72.23%: helper 111),
    ``nothing_dense``: no group at all, the unlabeled rows are one cluster,
    the ``size`` it was given (None in runs recorded before it was), whether a smaller size could help
    (``smaller_helps``: the size is above the automatic one), and ``cut_to``: the size used when the one asked
    for was more than half the rows (else None). None otherwise, and for other methods."""
    share = clustering.get("hdbscan_noise_share")
    if share is None or share <= MOSTLY_NOISE:
        return None
    size, automatic = clustering.get("hdbscan_min_cluster_size"), clustering.get("hdbscan_automatic_min_cluster_size")
    asked = clustering.get("hdbscan_min_cluster_size_asked")
    assigned = clustering.get("hdbscan_share_assigned_from_noise")
    unlabeled = clustering.get("hdbscan_unlabeled_rows", 0)
    return {"share": float(share), "size": size, "automatic": automatic,
            "assigned": float(share if assigned is None else assigned),
            "every": clustering.get("hdbscan_rows_assigned_from_noise", 0) >= unlabeled > 0,
            "nothing_dense": bool(clustering.get("hdbscan_nothing_dense")),
            "smaller_helps": size is None or automatic is None or size > automatic,
            "cut_to": size if asked is not None and size is not None and asked > size else None}


def duplicate_groups(texts, y: np.ndarray) -> np.ndarray | None:
    """Per row, a group id shared by the unlabeled rows that hold the very same text (-1: no such twin);
    None when no text repeats among the unlabeled rows."""
    y = np.asarray(y)
    codes = pd.factorize(pd.Series(list(texts), dtype=object))[0]
    unlabeled = y < 0
    counts = np.bincount(codes[unlabeled], minlength=int(codes.max()) + 1 if len(codes) else 0)
    repeated = unlabeled & (counts[codes] > 1)
    if not repeated.any():
        return None
    group = np.full(len(y), -1, dtype=np.int64)
    group[repeated] = np.unique(codes[repeated], return_inverse=True)[1]
    return group


def agree_on_duplicates(fill: FillResult, group: np.ndarray | None) -> FillResult:
    """Every method's distribution on repeated unlabeled texts: the mean over the copies, so one text
    gets one proposed label and one confidence. The copies' neighbours differ (each is the other's
    nearest neighbour, and ties break by row), which otherwise gave copies different proposals."""
    if group is None:
        return fill
    rows = np.flatnonzero(group >= 0)
    members = group[rows]
    counts = np.bincount(members)[:, None]
    distributions = {}
    for name, dist in fill.distributions.items():
        sums = np.zeros((len(counts), dist.shape[1]))
        np.add.at(sums, members, dist[rows])
        shared = dist.copy()
        shared[rows] = (sums / counts)[members]
        distributions[name] = shared
    return replace(fill, distributions=distributions)


def prior_for_empty_texts(fill: FillResult, empty: np.ndarray, y: np.ndarray, n_classes: int) -> FillResult:
    """Unlabeled rows with an empty text (or punctuation only: ``io.is_contentless``) carry no evidence: each method's distribution there is the labeled
    rows' class shares, a guess at a guess's confidence. Every empty text embeds to one point, so they took the
    label of a labeled empty row (or its neighbours') at a confidence as high as any real proposal's.
    ``empty``: ``io.contentless_rows`` of the texts."""
    y = np.asarray(y)
    empty = np.asarray(empty, dtype=bool) & (y < 0)
    if not empty.any() or not fill.distributions:
        return fill
    prior = np.bincount(y[y >= 0], minlength=n_classes)[:n_classes].astype(float)
    prior /= max(prior.sum(), 1.0)
    return replace(fill, distributions={name: np.where(empty[:, None], prior[None, :], dist)
                                        for name, dist in fill.distributions.items()})


def copies_of_labeled_texts(texts, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, shares): the unlabeled rows that hold the very text of a labeled row (case and runs of spaces aside),
    and for each the class shares of the labeled rows holding that text (one class, 1.0, when they agree).

    A researcher labels a text once (label_next.csv lists each text once) and expects its copies to follow; the
    fill-in gave 3 of 25 such copies another class, and copies in a candidate cluster took the candidate's name."""
    y = np.asarray(y)
    if n_classes == 0 or not (y >= 0).any() or len(y) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, n_classes))
    codes = same_text_ids(texts)
    labeled = y >= 0
    counts = np.zeros((int(codes.max()) + 1, n_classes))
    np.add.at(counts, (codes[labeled], y[labeled]), 1.0)
    rows = np.flatnonzero(~labeled & (counts.sum(1) > 0)[codes])
    shares = counts[codes[rows]]
    return rows, shares / shares.sum(1, keepdims=True)


def labels_of_copies(fill: FillResult, rows: np.ndarray, shares: np.ndarray) -> FillResult:
    """Every method's distribution on ``rows`` (``copies_of_labeled_texts``) is the labels of their text's labeled
    copies: the same text, the same label."""
    if len(rows) == 0 or not fill.distributions:
        return fill
    distributions = {}
    for name, dist in fill.distributions.items():
        dist = dist.copy()
        dist[rows] = shares
        distributions[name] = dist
    return replace(fill, distributions=distributions)


def table_boilerplate(table: LabeledTable, leave_out=()) -> frozenset:
    """The boilerplate phrases of the table's texts (``find_boilerplate`` on its texts and labels, read without the
    phrases the researcher asked to leave out) and those (``leave_out``, ``DiscoveryConfig.leave_out``): what the
    run, and the language check before it, leave out of what the model reads."""
    given = given_phrases(leave_out)
    return find_boilerplate(without_boilerplate(table.texts, given), table.labels) | given


def table_languages(table: LabeledTable, random_state: int = 0, boilerplate: frozenset | None = None) -> LanguageCheck:
    """``check_languages`` of the texts without their boilerplate, as the run reads them: a German signature
    under every English question read as 84% German, and the run told a researcher to pick a multilingual model
    (helper 75). ``boilerplate``: the table's ``table_boilerplate`` when the caller already found it."""
    phrases = table_boilerplate(table) if boilerplate is None else boilerplate
    return check_languages(without_boilerplate(table.texts, phrases), random_state=random_state)


def rows_without_words(texts, stripped, read=None) -> np.ndarray:
    """Texts without a word (blank, punctuation, links or mentions only: ``io.is_contentless``), or nothing but
    boilerplate (``stripped``: ``without_boilerplate(texts, ...)``), or nothing left as read (``read``: ``spelled_out``
    of them, where a phrase given to leave out may take an emoji text's only words, its names)."""
    empty = contentless_rows(texts) | contentless_rows(stripped)
    return empty if read is None else empty | contentless_rows(read)


def labels_to_learn_from(table: LabeledTable, stripped, texts, base) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The labels fine-tuning, the clustering, the fill-in and its estimate learn from (``labels_with_words``:
    labeled texts without a word, or that ``base``, the configured model's embedder, reads as unknown pieces
    only, read as unlabeled), and the rows without a word. Made once, before fine-tuning: its held-out fold and
    the estimate's are drawn from the same labels (``holdout_folds``), so the estimate never scores a row the
    model was fine-tuned on. ``stripped``/``texts``: the table's texts without boilerplate, and as read. Returns
    them, the rows without a word and the rows the model reads as unknown pieces only (the fine-tuned model has
    the same vocabulary)."""
    contentless = rows_without_words(table.texts, stripped, texts)
    unknown = base.texts_unread(texts) if hasattr(base, "texts_unread") else np.zeros(len(texts), dtype=bool)
    return labels_with_words(table.labels, contentless | unknown), contentless, unknown


def labels_with_words(y: np.ndarray, empty: np.ndarray) -> np.ndarray:
    """``y`` with the labeled rows of ``empty`` (texts without a word as read: blank, punctuation, boilerplate
    only, unread by the model) as unlabeled, for what learns from the labels: fine-tuning, the clustering's seeds
    and the fill-in, and its held-out estimate. They all read as one point, which a label of each of many classes
    would teach to be every class at once. A class labeled on such rows only keeps them (it has nothing else)."""
    y = np.asarray(y)
    dropped = np.asarray(empty, dtype=bool) & (y >= 0)
    if not dropped.any():
        return y
    kept_classes = np.unique(y[(y >= 0) & ~dropped])
    return np.where(dropped & np.isin(y, kept_classes), -1, y)


def placed_by_label(embeddings: np.ndarray, clusters: np.ndarray, centers: np.ndarray, empty: np.ndarray,
                    y: np.ndarray, fill: FillResult, copies: np.ndarray,
                    shares: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows whose cluster their label decides, not their vector: returns the clusters, their centers and the
    rows so placed (no longer noise).

    Unlabeled copies of a text its labeled rows agree on (``copies_of_labeled_texts``) join that class's
    cluster: a candidate's would give them its name, which their label's class explains. Unlabeled empty or
    punctuation-only texts (``empty``) join the cluster of the class the fill-in guesses for them: they all
    embed close together, so the clustering gave them clusters of their own, candidate new categories made of
    "...", "?" and blanks (two such candidates from 90 of them among 3,090 banking texts). Their guess is the
    most common labeled class (``prior_for_empty_texts``) at a guess's confidence, and the cluster statistics
    leave them out (``result.informative_sizes``); without a fill-in (fewer than two labeled classes) they stay
    where the clustering put them. Labeled ones join their class's cluster, as every labeled row does."""
    target = np.asarray(clusters).copy()
    y, empty = np.asarray(y), np.asarray(empty, dtype=bool)
    agreed = shares.max(1) == 1.0 if len(copies) else np.zeros(0, dtype=bool)
    if agreed.any():
        target[copies[agreed]] = shares[agreed].argmax(1)
    if fill.best is not None:
        guessed = empty & (y < 0)
        target[guessed] = fill.distributions[fill.best].argmax(1)[guessed]
    labeled_empty = np.flatnonzero(empty & (y >= 0))  # the clustering did not see their labels (labels_with_words)
    target[labeled_empty] = y[labeled_empty]
    placed = np.union1d(copies[agreed], labeled_empty).astype(int)
    if np.array_equal(target, clusters):
        return clusters, centers, placed
    return target, cluster_centers(embeddings, target), placed


def same_cluster_for_duplicates(clusters: np.ndarray, noise: np.ndarray, group: np.ndarray | None):
    """Repeated unlabeled texts all join the cluster most of their copies are in (ties: the lowest id).
    Identical vectors get one cluster from k-means, but UMAP places copies apart, so HDBSCAN could split
    them; returns the clusters, the noise mask (noise only if every copy in that cluster was) and whether
    any row moved."""
    if group is None:
        return clusters, noise, False
    rows = np.flatnonzero(group >= 0)
    votes = pd.DataFrame({"group": group[rows], "cluster": clusters[rows], "clear": ~noise[rows]})
    tally = votes.groupby(["group", "cluster"], as_index=False).agg(n=("clear", "size"), clear=("clear", "any"))
    chosen = tally.sort_values(["group", "n", "cluster"], ascending=[True, False, True]).drop_duplicates("group")
    chosen = chosen.set_index("group")
    new_clusters, new_noise = clusters.copy(), noise.copy()
    new_clusters[rows] = chosen.loc[group[rows], "cluster"].to_numpy()
    new_noise[rows] = ~chosen.loc[group[rows], "clear"].to_numpy()
    return new_clusters, new_noise, bool((new_clusters != clusters).any())


def adaptation_record(embedder, adapted: bool, config: DiscoveryConfig, table: LabeledTable,
                      copies: np.ndarray | None = None) -> dict:
    """Whether the model was fine-tuned, the held-out check that decided it, and why not when it was not; where
    the fine-tuned model is saved (``model_path``: to embed other texts with it, or to clear the cache)."""
    record = dict(getattr(embedder, "adaptation_check_", {}), used=adapted)
    if adapted:
        if not hasattr(embedder, "model_path_"):
            return record
        return dict(record, model_path=str(embedder.model_path_), weights_sha256=getattr(embedder, "weights_sha256_", None),
                    trained_with_torch_threads=getattr(embedder, "trained_with_torch_threads_", None))
    if "adapted" in record:
        record["reason"] = ("the base model labeled the held-out labeled rows clearly better "
                            f"({record['base']:.1%} against {record['adapted']:.1%})")
    elif embedder is not None:
        record["reason"] = adaptation_skipped_reason(config, table.labels, table.labeled_in_review,
                                                     same_text_ids(table.texts) if copies is None else copies)
    return record


def labels_in_doubt(table: LabeledTable, config: DiscoveryConfig, embeddings: np.ndarray, adapted: bool,
                    copies: np.ndarray | None = None, texts=None, unread: np.ndarray | None = None) -> pd.DataFrame:
    """``label_check.check_labels`` on the labeled rows, keyed by row id with class names.

    On vectors that never saw the labels: the run's own when nothing was fine-tuned, else the base
    model's (cached: the adaptation check embedded these very rows). Columns: label, suggested_label,
    label_probability, suggested_probability, flagged; the most doubtful first. Labels given (or kept) in
    review are checked but never flagged: a researcher has looked at each of them; nor are texts with nothing
    read (``unread``: empty, punctuation only, or unknown pieces to the model): their vector cannot doubt a label."""
    y = table.labels
    labeled = np.flatnonzero(y >= 0)
    if adapted:
        base = make_embedder(config.model, config.random_state, config.cache_dir)
        texts = table.texts if texts is None else texts  # as the model read them (boilerplate.texts_as_read)
        vectors = base.transform([texts[i] for i in labeled])
    else:
        vectors = embeddings[labeled]
    check = check_labels(vectors, y[labeled], len(table.codec), random_state=config.random_state,
                         copies=None if copies is None else copies[labeled])
    rows = labeled[check.position.to_numpy(dtype=np.int64)]
    names = np.array(table.codec.names, dtype=object)
    # a researcher has looked at these labels (proposals accepted in bulk maybe not)
    reviewed = ((table.labeled_in_review & ~table.accepted_proposals) | table.kept_in_review)[rows]
    if unread is not None:
        reviewed |= np.asarray(unread, dtype=bool)[rows]
    return pd.DataFrame({"label": names[check.given.to_numpy(dtype=np.int64)],
                         "suggested_label": names[check.suggested.to_numpy(dtype=np.int64)],
                         "label_probability": check.given_probability.to_numpy(dtype=float).round(4),
                         "suggested_probability": check.suggested_probability.to_numpy(dtype=float).round(4),
                         "flagged": check.flagged.to_numpy(dtype=bool) & ~reviewed},
                        index=pd.Index(table.row_ids[rows], name="row_id"))


def fill_methods_for(balance: bool) -> tuple[str, ...]:
    """The default fill-in methods, without the balanced one when ``balance`` is off (``--no-balance``)."""
    return tuple(m for m in DiscoveryConfig.fill_methods if balance or m != "balanced")


def effective_config(config: DiscoveryConfig) -> DiscoveryConfig:
    """``config`` with the settings its run never reads at their defaults: hdbscan's min cluster size and noise
    budget under seeded k-means, the count of new clusters kept under hdbscan, the layers to fine-tune when
    nothing is fine-tuned, the words blended in with TF-IDF; and a method named as the default runs it ("auto"). Two settings that run alike then compare alike:
    the dashboard keys its runs and saved decisions by them (a layer count typed while TF-IDF ran hid the
    decisions made before and ran again)."""
    default = DiscoveryConfig()
    changes: dict = {}
    if config.method != default.method and config.resolved_method() == default.resolved_method():
        changes["method"] = default.method  # "seeded-kmeans" is what "auto" runs (helper 107: apart, each ran afresh)
    if config.resolved_method() == "hdbscan":
        changes["preferred_n_new_clusters"] = default.preferred_n_new_clusters
    else:
        changes.update(min_cluster_size=default.min_cluster_size, noise_budget=default.noise_budget)
    if config.model == TFIDF_MODEL or not config.adapt:
        changes["adapt_layers"] = default.adapt_layers
    if config.model == TFIDF_MODEL:
        changes["fill_words"] = default.fill_words
    return replace(config, **changes)


def as_config(config) -> DiscoveryConfig:
    """``config``, or a dict of its settings made one (``{"model": "tfidf"}``, or a manifest's ``config`` to repeat
    its run); InputError naming what is not one."""
    if isinstance(config, DiscoveryConfig):
        return config
    if isinstance(config, dict):
        known = {f.name for f in fields(DiscoveryConfig)}
        unknown = [name for name in config if name not in known]
        if unknown:
            raise InputError(f"DiscoveryConfig has no setting {unknown[0]!r}; the settings are {', '.join(sorted(known))}.")
        for name in ("fill_methods", "leave_out"):
            if isinstance(config.get(name), list):  # as a manifest's JSON holds it
                config = {**config, name: tuple(config[name])}
        return DiscoveryConfig(**config)
    raise InputError(f"config: give a DiscoveryConfig (or a dict of its settings), not {type(config).__name__}.")


def run_discovery(table: LabeledTable | pd.DataFrame, config: DiscoveryConfig = DiscoveryConfig(),
                  progress: StageProgress | None = None, embeddings: np.ndarray | None = None,
                  embeddings_adapted: bool = False, language: LanguageCheck | None = None,
                  boilerplate: frozenset | None = None, middle_layer: np.ndarray | None = None) -> Discovery:
    """Adapt, embed, cluster, summarize, fill in and lay out a table; returns an immutable ``Discovery``.

    ``table``: ``read_table(path)``, or a DataFrame with ``text`` and ``label`` columns (``table_from_frame``
    reads one with other column names); a DataFrame's reading warnings (``LabeledTable.warnings``: a label
    ``-1`` read as a class, empty texts, ...) are raised as ``UserWarning``, since no caller holds the table.

    ``progress``: called as ``progress(stage, done, total)`` while the run goes (``progress.TqdmStages()`` draws the
    CLI's bars, in a notebook too).
    ``embeddings``: precomputed vectors (then nothing is adapted or embedded here);
    ``embeddings_adapted`` says they come from ``fit_embedder``'s adapted model, and ``middle_layer`` gives that
    model's middle layer (``sentence_and_middle_layer``) for the fill-in (``with_middle_layer``).
    ``language``: the texts' ``table_languages(table, config.random_state)`` when the
    caller already made it (to warn before the run starts); made here otherwise. ``boilerplate``: the table's
    ``table_boilerplate(table, config.leave_out)`` when the caller already found it (for ``language``); found here otherwise.
    """
    if isinstance(table, pd.DataFrame):
        table = table_from_frame(table)
        for warning in table.warnings:
            warnings.warn(warning, UserWarning, stacklevel=2)
    elif not isinstance(table, LabeledTable):
        raise InputError(f"run_discovery takes read_table(path) or a DataFrame, not {type(table).__name__}.")
    config = as_config(config)
    config.check()
    report = progress or (lambda stage, done, total: None)
    timings: dict[str, float] = {}
    y = table.labels
    n_classes = len(table.codec)
    clusterer = make_clusterer(config)  # a setting it refuses is refused before minutes of fine-tuning

    start = time.perf_counter()
    embedded_here = embeddings is None
    boilerplate = table_boilerplate(table, config.leave_out) if boilerplate is None else boilerplate
    stripped = without_boilerplate(table.texts, boilerplate)
    texts = spelled_out(stripped, boilerplate)  # what the model, the words and the keywords read (texts_as_read)
    same_texts = same_text_ids(texts)  # copies as read: two greetings a minute apart around one question are one text
    base = make_embedder(config.model, config.random_state, config.cache_dir)
    trained, contentless, read_as_unknown = labels_to_learn_from(table, stripped, texts, base)
    embedder = fit_embedder(texts, trained, config, report, table.labeled_in_review, same_texts,
                            base=base) if embeddings is None else None
    adapted = is_adapted(embedder) if embeddings is None else bool(embeddings_adapted)
    report("adapt", 1, 1)
    timings["adapt"] = time.perf_counter() - start

    start = time.perf_counter()
    if embeddings is None:
        embeddings, middle_layer = vectors_and_middle_layer(embedder, texts, lambda d, t: report("embed", d, t))
    else:
        embeddings = given_vectors(embeddings, len(table), "embeddings", "the table's rows")
    if middle_layer is not None and not adapted:
        raise InputError("middle_layer: the fill-in reads a fine-tuned model's middle layer only; give "
                         "embeddings_adapted=True with the vectors of that model, or leave middle_layer out.")
    fill_vectors = with_middle_layer(embeddings, middle_layer)
    text_reading = reading_record(embedder, texts, y) if embedder is not None else {}
    unread = unread_rows(read_as_unknown, embeddings) & ~contentless
    if unread.any():
        text_reading = {**text_reading, "texts_unread": int(unread.sum()), "labeled_unread": int((unread & (y >= 0)).sum())}
    empty = contentless | unread  # nothing read: a guess, as for an empty text
    if not adapted:  # TF-IDF's rows without a word of two characters (all-zero vectors): no fold of fine-tuning to keep
        trained = labels_with_words(y, empty)
    report("embed", 1, 1)
    timings["embed"] = time.perf_counter() - start

    start = time.perf_counter()
    report("cluster", 0, 1)
    if isinstance(clusterer, SeededKMeans):
        clusterer.set_params(outside_quantile=OUTSIDE_QUANTILE["adapted" if adapted else "not adapted"])
    clusterer.fit(embeddings, trained, progress=lambda d, t: report("cluster", d, t))
    twins = duplicate_groups(texts, y)
    clusters, noise, moved = same_cluster_for_duplicates(clusterer.labels_, clusterer.noise_mask_, twins)
    centers = cluster_centers(embeddings, clusters) if moved else clusterer.cluster_centers_
    nearest = clusters
    report("cluster", 1, 1)
    timings["cluster"] = time.perf_counter() - start

    start = time.perf_counter()
    # the neighbour search and the words take minutes on 250,000 rows: steps of the fill-in's bar (hunt 127: it
    # sat at 0/1 through them)
    before_fill_in = 2
    fill_steps = before_fill_in + fill_in_steps(config.fill_methods)
    report("fill", 0, fill_steps)
    mapper = LabelAwareUMAP(n_components=2, min_dist=0.1, random_state=config.random_state)
    # one neighbour search for the fill-in graph and the map
    neighbors = nearest_neighbors(embeddings, max(config.n_neighbors, mapper.n_neighbors - 1 if config.make_map else 0),
                                  config.random_state) if config.make_map or GRAPH_METHODS & set(config.fill_methods) else None
    report("fill", 1, fill_steps)
    words = word_features(texts) if uses_words(config, adapted, n_classes) else None
    report("fill", 2, fill_steps)
    fill = fill_in(fill_vectors, trained, n_classes, config.fill_methods, config.random_state, config.n_neighbors,
                   adapted=adapted, candidate_rows=candidate_rows(clusters, trained), never_held_out=table.labeled_in_review,
                   neighbors=neighbors, progress=lambda d, t: report("fill", before_fill_in + d, before_fill_in + t),
                   words=words, copies=same_texts)
    copies, copied_labels = copies_of_labeled_texts(table.texts, y, n_classes)
    fill = prior_for_empty_texts(labels_of_copies(agree_on_duplicates(fill, twins), copies, copied_labels),
                                 empty, y, n_classes)
    if config.known_rows_by_fill is not None and fill.best is not None:
        proposal = fill.distributions[fill.best]
        clusters, centers = known_rows_by_label(embeddings, clusters, y, n_classes, proposal.argmax(1),
                                                proposal.max(1), config.known_rows_by_fill,
                                                stay=candidate_rows(clusters, y))
    moved_to_fill_in_class = int((clusters != nearest).sum())
    clusters, centers, placed = placed_by_label(embeddings, clusters, centers, empty, y, fill, copies, copied_labels)
    if len(placed):  # a copy of a labeled text is placed by its label, not left as noise (at halved confidence)
        noise = noise.copy()
        noise[placed] = False
    estimate = fill_estimate(fill, y, n_classes, candidate_rows(clusters, y), X=embeddings,
                             folds=holdout_folds(trained, N_FOLDS, config.random_state, table.labeled_in_review, same_texts),
                             only_fold=ESTIMATE_FOLD if adapted else None, random_state=config.random_state,
                             copied_rows=copies, never_held_out=table.labeled_in_review, text_ids=same_texts,
                             empty=empty, accepted=table.accepted_proposals, class_names=table.codec.names)
    held = np.unique(clusters[clusters >= n_classes])
    clustering = dict(cluster_report(clusterer, config),
                      rows_moved_to_fill_in_class=moved_to_fill_in_class,
                      empty_new_clusters=max(0, int(clusterer.n_new_clusters_) - len(held)))
    if (y >= 0).any():  # how far the labels show each class's spread (``few_labels_to_judge``)
        counts = np.bincount(y[y >= 0])
        clustering["median_labels_per_class"] = float(np.median(counts[counts > 0]))
    if "hdbscan_noise_share" in clustering:
        # as seeded k-means records it: the evidence of rows no named class holds
        clustering["outside_share"] = round(share_outside_known_classes(
            embeddings, trained, OUTSIDE_QUANTILE["adapted" if adapted else "not adapted"]), 6)
        # the rows marked assigned_from_noise, as the files mark them
        clustering["hdbscan_rows_assigned_from_noise"] = int(np.sum(noise))
        # the unlabeled rows as the run read them (hand labels come later), less those placed by a labeled copy
        clustering["hdbscan_unlabeled_rows"] = int(np.sum(y < 0) - np.sum(y[placed] < 0))
        clustering["hdbscan_share_assigned_from_noise"] = round(float(np.mean(noise)), 4)
    report("fill", fill_steps, fill_steps)
    timings["fill"] = time.perf_counter() - start

    start = time.perf_counter()
    report("check", 0, 1)
    label_check = labels_in_doubt(table, config, embeddings, adapted, same_texts, texts, unread=empty)
    if language is None:
        language = check_languages(stripped, random_state=config.random_state)
    report("check", 1, 1)
    timings["check"] = time.perf_counter() - start

    start = time.perf_counter()
    report("summarize", 0, 1)
    term_counts = document_term_counts(texts, stop_words_for(language))
    summary = summarize_clusters(texts, embeddings, clusters, y, table.codec, row_ids=table.row_ids,
                                 term_counts=term_counts, text_ids=same_texts)
    report("summarize", 1, 1)
    timings["summarize"] = time.perf_counter() - start

    coords = np.zeros((len(y), 2), dtype=np.float32)
    if config.make_map:
        start = time.perf_counter()
        report("map", 0, 1)
        coords = mapper.fit_transform(embeddings, trained, neighbors=neighbors,
                                      progress=lambda done, total: report("map", min(done, total - 1), total))
        report("map", 1, 1)
        timings["map"] = time.perf_counter() - start

    outside = rows_outside_known_classes(embeddings, trained, OUTSIDE_QUANTILE["adapted" if adapted else "not adapted"]
                                         ) if (trained >= 0).any() else None
    rows, cluster_table = build_rows(table, clusters, noise, summary, fill, coords, embeddings, centers, empty=empty,
                                     outside=outside)
    boilerplate_record = describe_boilerplate(table.texts, stripped, boilerplate, as_read=texts)
    if boilerplate_record and not embedded_here:  # the caller's vectors: what they read is the caller's to say
        boilerplate_record["vectors_given"] = True
    from .export import run_environment

    return Discovery(table=table, config=config, embeddings=embeddings, cluster_centers=centers,
                     rows=rows, clusters=cluster_table, fill_accuracy=dict(fill.accuracy), fill_method=fill.best,
                     fill_balance=dict(fill.balance) or balance_turned_off(config, fill),
                     fill_calibration=dict(fill.calibration), fill_words=words is not None,
                     fill_estimate=estimate, text_reading=text_reading,
                     boilerplate=boilerplate_record, environment=run_environment(config),
                     timings=timings, adaptation={**adaptation_record(embedder, adapted, config, table, same_texts),
                                                  "fill_reads_middle_layer": middle_layer is not None},
                     clustering=clustering, label_check=label_check, language=language,
                     shared={"term_counts": term_counts, "texts_read": texts, "text_ids": same_texts},
                     used_labels={"embed": adapted, "cluster": bool(clusterer.used_labels_), "fill": fill.best is not None,
                                  **({"map": n_classes > 0} if config.make_map else {})})


def given_vectors(vectors, n_rows: int | None, name: str, rows: str, width: int | None = None) -> np.ndarray:
    """``vectors`` a caller gave, as a 2-d float array of ``n_rows`` rows (any number: None) and ``width`` columns
    (any: None), all finite, or an ``InputError`` naming ``name`` (helper 112: a wrong count, a list of texts or a
    NaN failed deep inside the fill-in or scikit-learn)."""
    if hasattr(vectors, "toarray"):  # scipy's sparse matrices
        raise InputError(f"{name}: a sparse matrix; give a dense array (its .toarray()), one vector per row of {rows}.")
    try:
        array = np.asarray(vectors)
        array = array if array.dtype.kind == "f" else array.astype(np.float32)  # float64 kept: the results as before
    except (TypeError, ValueError):
        raise InputError(f"{name}: give a 2-d array of numbers, one vector per row of {rows} (texts are "
                         "embedded by run_discovery, not here).") from None
    if array.ndim != 2 or (n_rows is not None and len(array) != n_rows) or (width is not None and array.shape[1] != width):
        raise InputError(f"{name}: an array of shape {array.shape}; give one of "
                         f"({'any number' if n_rows is None else n_rows}, {'d' if width is None else width}): one "
                         f"vector per row of {rows}" + (", as wide as the run's" if width is not None else "") + ".")
    if not np.isfinite(array).all():
        raise InputError(f"{name}: {int((~np.isfinite(array).all(1)).sum())} rows hold NaN or infinite values; give "
                         "finite vectors.")
    return array


def assign_to_clusters(discovery: Discovery, X_new: np.ndarray, n_neighbors: int = 15) -> np.ndarray:
    """Cluster ids for new rows (e.g. a test split): a similarity-weighted vote of their
    ``n_neighbors`` nearest fitted rows, which follows cluster shapes a single center cannot. ``X_new``: their
    vectors from the run's model (the run embeds no texts here)."""
    X_new = given_vectors(X_new, None, "X_new", "the new rows", width=discovery.embeddings.shape[1])
    return neighbour_vote(discovery.embeddings, discovery.rows.cluster_id.to_numpy(), X_new, n_neighbors,
                          n_clusters=len(discovery.cluster_centers))


def neighbour_vote(X_fitted: np.ndarray, clusters: np.ndarray, X_new: np.ndarray, n_neighbors: int = 15,
                   n_clusters: int | None = None) -> np.ndarray:
    """The cluster each new row's ``n_neighbors`` nearest fitted rows vote for, weighted by similarity."""
    X_new = np.asarray(X_new, dtype=np.float32)
    clusters = np.asarray(clusters)
    n_clusters = int(clusters.max()) + 1 if n_clusters is None else n_clusters
    if len(X_new) == 0:
        return np.zeros(0, dtype=np.int64)
    k = min(n_neighbors, len(clusters))
    neighbors, similarity = knn_search(np.asarray(X_fitted, dtype=np.float32), X_new, k)
    votes = np.zeros((len(X_new), n_clusters))
    np.add.at(votes, (np.repeat(np.arange(len(X_new)), k), clusters[neighbors].ravel()),
              np.clip(similarity, 1e-6, None).ravel())
    return votes.argmax(1)
