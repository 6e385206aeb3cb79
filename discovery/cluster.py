"""Clustering that respects the known labels; the number of clusters is estimated.

* ``SeededKMeans``: spherical k-means on the embeddings. Each known class seeds one
  cluster with its labeled rows (and the rows a classifier is sure belong to it, unless
  a clustering seeded by the labels alone puts them in a new cluster), which never
  leave it; extra clusters take up the rest. Their number comes from ``estimate_n_new_clusters``.
* ``LabelAwareHDBSCAN``: HDBSCAN on a label-aware UMAP space, then labels enforced
  (clusters holding a class are merged into that class's cluster, labeled rows
  moved to it) and noise assigned softly to the nearest cluster, within a noise
  budget that decides how hard HDBSCAN is pushed to cluster everything.

In both, cluster ``c < n_classes`` is known class ``c``; higher ids are new.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.preprocessing import normalize

from .labels import count_classes, median_labels_per_class

CHUNK = 20_000


def nearest_center(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and cosine similarity to the nearest center, in chunks (memory linear in n)."""
    best = np.empty(len(X), dtype=np.int64)
    sim = np.empty(len(X), dtype=np.float32)
    for start in range(0, len(X), CHUNK):
        s = X[start:start + CHUNK] @ centers.T
        nearest = s.argmax(1)
        best[start:start + CHUNK] = nearest
        sim[start:start + CHUNK] = np.take_along_axis(s, nearest[:, None], 1)[:, 0]
    return best, sim


def cluster_sums(X: np.ndarray, assign: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum of the rows of each cluster (rows with assign < 0 are skipped), via a sparse indicator."""
    from scipy.sparse import csr_matrix

    keep = np.flatnonzero(assign >= 0)
    indicator = csr_matrix((np.ones(len(keep), dtype=np.float32), (assign[keep], keep)), shape=(n_clusters, len(X)))
    return np.asarray(indicator @ X, dtype=np.float64)


def _class_centers(X: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    if n_classes == 0:  # nothing labeled: no seeded clusters
        return np.zeros((0, X.shape[1]), dtype=np.float32)
    return normalize(cluster_sums(X, y, n_classes)).astype(np.float32)


def _kmeans_plus_plus(X: np.ndarray, existing: np.ndarray, k: int, rng: np.random.RandomState) -> np.ndarray:
    """k new centers drawn from X by k-means++ (cosine distance), away from ``existing`` centers."""
    chosen = []
    if len(existing):
        _, sim = nearest_center(X, existing)
        dist = np.clip(1.0 - sim, 0, None).astype(np.float64)
    else:
        first = rng.randint(len(X))
        chosen.append(X[first])
        dist = np.clip(1.0 - X @ X[first], 0, None).astype(np.float64)
    while len(chosen) < k:
        weights = dist ** 2
        total = weights.sum()
        idx = rng.randint(len(X)) if total <= 0 else rng.choice(len(X), p=weights / total)
        chosen.append(X[idx])
        dist = np.minimum(dist, np.clip(1.0 - X @ X[idx], 0, None))
    return np.array(chosen, dtype=np.float32).reshape(k, X.shape[1])


def seeded_kmeans(X: np.ndarray, y: np.ndarray, n_new: int, random_state: int = 0, max_iter: int = 100,
                  tol: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means with ``n_classes`` seeded clusters plus ``n_new`` free ones.

    Labeled rows (y >= 0) stay in cluster y. Returns (assignment, centers).
    """
    X = normalize(np.asarray(X, dtype=np.float32))
    y = np.asarray(y)
    n_classes = count_classes(y)
    rng = np.random.RandomState(random_state)
    labeled = y >= 0
    free = X[~labeled] if (~labeled).any() else X
    n_new = int(min(max(n_new, 0), len(free)))
    centers = _class_centers(X, y, n_classes)
    if n_new:
        centers = np.vstack([centers, _kmeans_plus_plus(free, centers, n_new, rng)])
    if len(centers) == 0:
        return np.zeros(len(X), dtype=np.int64), normalize(X.mean(0, keepdims=True))
    assign = np.where(labeled, y, -1)
    for _ in range(max_iter):
        nearest, _ = nearest_center(X, centers)
        new_assign = np.where(labeled, y, nearest)
        changed = np.mean(new_assign != assign)
        assign = new_assign
        sums = cluster_sums(X, assign, len(centers))
        counts = np.bincount(assign, minlength=len(centers))
        empty = np.flatnonzero(counts == 0)
        centers = normalize(sums).astype(np.float32)
        if len(empty):  # re-seed empty clusters at the rows worst served by their center
            _, sim = nearest_center(X, centers)
            worst = np.argsort(sim, kind="stable")
            worst = worst[~labeled[worst]][: len(empty)]
            centers[empty[: len(worst)]] = X[worst]
            continue
        if changed < tol:
            break
    return assign, centers


def start_seed(random_state: int, start: int) -> int:
    """The seed of k-means start ``start``: 1,000 apart, wrapped into NumPy's range (a seed near 2**32 - 1 is valid)."""
    return (random_state + 1000 * start) % 2**32


def best_of_inits(X: np.ndarray, y: np.ndarray, n_new: int, n_init: int, random_state: int = 0,
                  max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """``seeded_kmeans`` from ``n_init`` starts; the run with the highest total similarity to its centers."""
    best = None
    Xn = normalize(np.asarray(X, dtype=np.float32))
    for run in range(max(1, n_init)):
        assign, centers = seeded_kmeans(X, y, n_new, random_state=start_seed(random_state, run), max_iter=max_iter)
        objective = float(np.einsum("ij,ij->", Xn, centers[assign]))
        if best is None or objective > best[0]:
            best = (objective, assign, centers)
    return best[1], best[2]


def confident_seeds(X: np.ndarray, y: np.ndarray, threshold: float = 0.6, random_state: int = 0) -> np.ndarray:
    """``y`` plus the unlabeled rows a classifier trained on the labeled rows is sure of.

    A logistic regression on the labeled rows labels every unlabeled row whose top
    class probability is ``threshold`` of the way from chance (1/classes) to
    certainty; those rows then seed their class's
    cluster like labeled rows. Known classes are thereby classified, which a
    classifier does better than clustering, and the free clusters are left to the
    rows no known class explains. Needs two labeled classes; else ``y`` unchanged.
    Measured from chance because a plain 0.6 is nearly certain among 58 classes but
    barely better than a coin between 2: with two known classes it seeded most novel
    rows into them (snips, known ratio 0.25: ACC 35 -> 63 with the chance-relative bar).
    """
    from .fill import fit_logistic

    y = np.asarray(y)
    labeled = y >= 0
    if threshold is None or threshold >= 1 or len(np.unique(y[labeled])) < 2 or labeled.all():
        return y.copy()
    classifier = fit_logistic(X[labeled], y[labeled], C=10.0, random_state=random_state, max_iter=2000)
    proba = classifier.predict_proba(X[~labeled])
    chance = 1.0 / len(classifier.classes_)
    sure = proba.max(1) >= chance + threshold * (1.0 - chance)
    extended = y.copy()
    rows = np.flatnonzero(~labeled)[sure]
    extended[rows] = classifier.classes_[proba[sure].argmax(1)]
    return extended


def drop_seeds_in_new_clusters(seeds: np.ndarray, y: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """``seeds`` without the confident seeds that a clustering seeded by the human labels alone put in a new cluster.

    The classifier behind ``confident_seeds`` only knows the named classes, so it is sure of
    many rows of unnamed ones too: with 5 of snips' 7 intents named it seeded 14-23% wrongly,
    and the free clusters were left with too little to find the two unnamed intents. Where
    the clustering without those seeds grouped a row with no named class, the row is left to
    the clustering (``clusters``: ids below the number of classes are the named classes).
    """
    seeds, y = np.asarray(seeds), np.asarray(y)
    n_classes = count_classes(y)
    doubtful = (y < 0) & (seeds >= 0) & (np.asarray(clusters) >= n_classes)
    return np.where(doubtful, -1, seeds)


def share_outside_known_classes(X: np.ndarray, y: np.ndarray, quantile: float = 0.02) -> float:
    """Share of the unlabeled rows less similar to every known class's centroid than all but ``quantile``
    of the labeled rows are to their own class's centroid (each left out of it).

    Without unnamed classes this is about ``quantile``. Measured with the adapted vectors at quantile
    0.02: 0.1-3.6% on banking, stackoverflow, snips and mcid with every class known, 17-26% on
    snips with 5 of 7 intents named. Unnamed classes close to named ones stay inside, so a low share
    proves nothing (banking and stackoverflow at known ratio 0.75: 0.4-4.6%).
    """
    X, y = normalize(np.asarray(X, dtype=np.float32)), np.asarray(y)
    unlabeled = y < 0
    bar = _outside_bar(X, y, quantile)
    if bar is None or not unlabeled.any():
        return 0.0
    _, best_similarity = nearest_center(X[unlabeled], bar[1])
    return float(np.mean(best_similarity < bar[0]))


def rows_outside_known_classes(X: np.ndarray, y: np.ndarray, quantile: float = 0.02) -> np.ndarray:
    """Per row, the test ``share_outside_known_classes`` counts: less similar to every known class's centroid than
    all but ``quantile`` of the labeled rows are to their own (all False without two labeled rows of one class)."""
    X, y = normalize(np.asarray(X, dtype=np.float32)), np.asarray(y)
    bar = _outside_bar(X, y, quantile)
    if bar is None:
        return np.zeros(len(y), dtype=bool)
    _, best_similarity = nearest_center(X, bar[1])
    return best_similarity < bar[0]


def _outside_bar(X: np.ndarray, y: np.ndarray, quantile: float) -> tuple[float, np.ndarray] | None:
    """(the similarity to its own class's centroid, each labeled row left out of it, that all but ``quantile`` of
    them reach; the classes' centroids), on normalized ``X``; None without two labeled rows of one class."""
    labeled = np.flatnonzero(y >= 0)
    if not len(labeled):
        return None
    n_classes = count_classes(y)
    sums = cluster_sums(X, y, n_classes)
    counts = np.bincount(y[labeled], minlength=n_classes)
    alone = counts[y[labeled]] < 2  # a class of one row has no centroid without it
    left_out = normalize(sums[y[labeled]] - X[labeled])
    own = np.einsum("ij,ij->i", left_out, X[labeled])[~alone]
    if not len(own):
        return None
    return float(np.quantile(own, quantile)), normalize(sums).astype(np.float32)


@dataclass(frozen=True)
class NewClusterEstimate:
    """How many new clusters the silhouette search chose, and how sure it is.

    ``scores``: extra-cluster count -> mean cosine silhouette over the k-means starts (``best`` is where their
    3-point moving average, ``_smoothed``, peaks: ``to_dict``'s ``smoothed_scores``);
    ``noise``: the typical spread (standard deviation) of one k-means start's score;
    ``plausible``: the smallest and largest count whose smoothed score is within
    ``noise`` of the best; ``outside_share``: ``share_outside_known_classes``.
    A wide range means the data does not pin the number down (the curve is flat):
    the researcher should then choose it, not trust the pick.
    ``preferred``: the count asked to be kept when plausible (a previous run's), and
    ``kept_preferred``: whether it was (then ``n_new`` is it; ``best`` is the count the curve peaks at).
    """

    n_new: int
    scores: dict
    noise: float
    plausible: tuple
    outside_share: float = 0.0
    best: int | None = None
    preferred: int | None = None
    kept_preferred: bool = False
    capped_by_rows: bool = False  # the grid stopped at a fifth of the unlabeled rows, below its usual top
    outside_quantile: float | None = None  # the quantile ``outside_share`` was taken at
    labeled_weight: float | None = None  # the labeled rows' share of the silhouette (``labeled_rows_weight``)

    def to_dict(self) -> dict:
        return {"n_new": self.n_new, "plausible": list(self.plausible), "noise": round(self.noise, 6),
                "capped_by_rows": self.capped_by_rows, "labeled_weight": self.labeled_weight,
                "outside_share": round(self.outside_share, 6), "outside_quantile": self.outside_quantile,
                "scores": {str(k): round(v, 6) for k, v in self.scores.items()},
                "smoothed_scores": {str(k): round(float(v), 6) for k, v in zip(self.scores, _smoothed(self.scores))},
                "best": self.n_new if self.best is None else self.best, "preferred": self.preferred,
                "kept_preferred": self.kept_preferred}


def best_is_largest_tried(estimate: dict | None, even_capped_by_rows: bool = False) -> bool:
    """Whether an estimate (``NewClusterEstimate.to_dict``) peaked at the largest count its search tried:
    the fit was still rising there, so the data may hold more new categories than it picked. Not when the
    search stopped early because the table is small (``capped_by_rows``: more clusters would hold a few rows
    each), unless ``even_capped_by_rows``: vectors whose fit rises with any count (TF-IDF, a model that reads few
    of the texts) took one cluster per five unlabeled rows there, weak evidence all the same."""
    estimate = estimate or {}
    scores, best = estimate.get("scores") or {}, estimate.get("best")
    if (estimate.get("capped_by_rows") and not even_capped_by_rows) or len(scores) < 2 or not best:
        return False
    return int(best) == max(int(k) for k in scores)


NEW_CLASS_EVIDENCE = 0.1  # share of unlabeled rows outside every known class that rules out "no new cluster"


def none_asked_despite_evidence(clustering: dict) -> bool:
    """Whether a run (its manifest's ``clustering``) was asked for no new cluster although more than
    ``NEW_CLASS_EVIDENCE`` of the unlabeled rows lie outside every named class: those rows went to named classes."""
    return bool(clustering.get("n_new_clusters_given") and clustering.get("n_new_clusters_asked") == 0
                and clustering.get("outside_share", 0) > NEW_CLASS_EVIDENCE)
# The quantile ``share_outside_known_classes`` is taken at. Fine-tuned vectors hold the labeled rows tightly (0.02:
# without unnamed classes 0.1-3.6%, snips with 5 of 7 intents named 17-26%). Vectors not fine-tuned (the base model,
# tfidf; also what a run with too few labels to fine-tune gets) hold them loosely: at 0.02 snips read 7.7-16.6%,
# two of three draws under the bar, and the silhouette peaked at no new cluster. At 0.05, seeds 0-2, labeled ratio
# 0.1: without unnamed classes 0.6-4.3% (all-MiniLM-L6-v2 on banking, stackoverflow, snips, mcid; tfidf 0-4.1%),
# snips at known ratio 0.75 13.1-26.1% (tfidf 29-31%; bench/outside_share.py).
OUTSIDE_QUANTILE = {"adapted": 0.02, "not adapted": 0.05}


# Under this median of labeled rows a class the labeled rows carry ``LABELED_ROWS_WEIGHT`` of the silhouette
# (``labeled_rows_weight``); every benchmark draw of docs/benchmarks.md has 7.7 or more, so none is scored otherwise.
FEW_LABELS_TO_ANCHOR = 5
LABELED_ROWS_WEIGHT = 0.25


def labeled_rows_weight(y: np.ndarray, sample_rows: np.ndarray) -> float | None:
    """The share of the silhouette the labeled rows of the sample carry, or None (every row counts the same).

    With a label or a few a class the labeled rows are a sliver of the sample (1.7% on BANKING77 with 2 a class),
    so the score hardly reads how they sit in their clusters, and on BANKING77 it rose with the count whatever the
    data held: with every class named and 2 labels a class, 82 and 198 new clusters (seeds 0, 1) holding 43% and 61%
    of the unlabeled rows (frozen all-MiniLM-L6-v2, too few labels to fine-tune); weighted, 0 and 2. Under
    ``FEW_LABELS_TO_ANCHOR`` labels a class (median) they carry ``LABELED_ROWS_WEIGHT`` of it, when fewer of them
    than that are in the sample (bench/few_labels_estimate.py, docs/benchmarks.md)."""
    labeled = y >= 0
    if not labeled.any() or median_labels_per_class(y) >= FEW_LABELS_TO_ANCHOR:
        return None
    in_sample = labeled[sample_rows]
    if not in_sample.any() or in_sample.all() or in_sample.mean() >= LABELED_ROWS_WEIGHT:
        return None
    return LABELED_ROWS_WEIGHT


def new_cluster_estimate(X: np.ndarray, y: np.ndarray, random_state: int = 0, sample: int = 4000,
                         n_grid: int = 14, n_restarts: int = 3, preferred: int | None = None,
                         progress: Callable[[int, int], None] | None = None,
                         outside_quantile: float = OUTSIDE_QUANTILE["adapted"]) -> NewClusterEstimate:
    """How many clusters beyond the known classes the unlabeled rows need, with the evidence.

    Seeded k-means is run for a geometric grid of extra-cluster counts (0 up to
    4x the known classes, at least 40, at most a fifth of the free rows) and the
    count whose clustering has the best cosine silhouette (smoothed over
    neighbouring counts) on a fixed sample of rows wins: the known classes anchor the comparison, so the extra clusters are
    judged by how well they separate what no known class explains (with under ``FEW_LABELS_TO_ANCHOR`` labels a
    class the labeled rows carry ``LABELED_ROWS_WEIGHT`` of the score: ``labeled_rows_weight``). The curve is flat
    near its top, so each count's silhouette is the mean over ``n_restarts`` k-means
    initialisations: with one, the pick swung between 12 and 43 extra clusters. Measured on
    four benchmarks (docs/benchmarks.md), this beat merging an over-clustering
    with a similarity threshold calibrated on the known classes. With fewer than
    two labeled classes a silhouette search over plain k-means stands in (``_unseeded_estimate``).

    With few known classes the silhouette can peak at 0 new clusters although many rows lie
    outside every known class (snips, 5 of 7 intents named: 2 of 3 draws). When more than
    ``NEW_CLASS_EVIDENCE`` of the unlabeled rows do (``share_outside_known_classes``, about 2%
    without unnamed classes), the best count of at least one is taken. ``outside_quantile``: the quantile that
    share is taken at (``OUTSIDE_QUANTILE``: 0.02 on fine-tuned vectors, 0.05 on others).

    ``preferred``: a count to keep whenever it lies in the plausible range (the previous run's, when
    the researcher runs again with a few more labels). The curve is flat near its top: labeling one
    more row of a named class moved the demo's pick from 25 to 0, 7, 11 or 17 in 9 of 12 draws of the
    row, with 25 still in the plausible range in 8; keeping it spares the researcher a reshuffled
    candidate list the data does not ask for.
    """

    y = np.asarray(y)
    n_classes = count_classes(y)
    n_free = int((y < 0).sum())
    if n_free == 0:
        return NewClusterEstimate(0, {}, 0.0, (0, 0))
    if n_classes < 2:
        return _unseeded_estimate(X[y < 0], n_classes, random_state, sample, n_grid, n_restarts, progress, preferred)
    upper = max(1, min(n_free // 5, max(4 * n_classes, 40)))
    capped = upper < max(4 * n_classes, 40)
    grid = sorted({0} | {int(k) for k in np.geomspace(1, upper, n_grid).round()})
    rng = np.random.RandomState(random_state)
    rows = np.sort(rng.choice(len(X), min(sample, len(X)), replace=False))
    weight = labeled_rows_weight(y, rows)
    scores, errors = _silhouette_curve(
        X[rows], grid, lambda n_new, seed: seeded_kmeans(X, y, n_new, random_state=seed, max_iter=30)[0][rows],
        random_state, n_restarts, progress, labeled=y[rows] >= 0, labeled_weight=weight)
    if not scores:
        return NewClusterEstimate(0, {}, 0.0, (0, 0))
    counts = list(scores)
    smoothed = _smoothed(scores)
    noise = float(np.median(errors)) if errors else 0.0
    best, lowest = _best_count(scores, smoothed, noise)
    outside = share_outside_known_classes(X, y, outside_quantile)
    if counts[best] == 0 and outside > NEW_CLASS_EVIDENCE and len(counts) > 1:
        best = 1 + int(np.argmax(smoothed[1:]))
    # rows outside every known class ruled out "no new cluster": the range the researcher is shown does too
    low, high = _plausible(counts, smoothed, best, noise, at_least=max(lowest, 1 if outside > NEW_CLASS_EVIDENCE else 0))
    keep = preferred is not None and low <= preferred <= high and not (preferred == 0 and outside > NEW_CLASS_EVIDENCE)
    return NewClusterEstimate(int(preferred) if keep else int(counts[best]), scores, noise, (low, high), outside,
                              best=int(counts[best]), preferred=None if preferred is None else int(preferred),
                              kept_preferred=bool(keep), capped_by_rows=capped, outside_quantile=outside_quantile,
                              labeled_weight=weight)


def _silhouette_curve(sample: np.ndarray, grid: list, cluster_sample: Callable[[int, int], np.ndarray],
                      random_state: int, n_restarts: int,
                      progress: Callable[[int, int], None] | None,
                      labeled: np.ndarray | None = None, labeled_weight: float | None = None) -> tuple[dict, list]:
    """Mean cosine silhouette of the sample's clustering for each count of ``grid`` over ``n_restarts`` starts
    (``cluster_sample(count, seed)``: the sample rows' clusters), and each count's spread over the starts.
    ``labeled_weight``: the share of the score the sample's ``labeled`` rows carry (``labeled_rows_weight``),
    None: each row counts the same."""
    from sklearn.metrics import pairwise_distances_chunked, silhouette_samples, silhouette_score

    sample = normalize(np.asarray(sample, dtype=np.float32))
    # the sample's distances once, in the very chunks silhouette_score would compute them in for each of
    # the 42 clusterings (on 50,000 texts that took 28 s of the clustering's 72)
    distances = np.vstack(list(pairwise_distances_chunked(sample, metric="cosine")))
    scores, errors = {}, []
    starts = max(1, n_restarts)
    for i, count in enumerate(grid):
        values = []
        for restart in range(starts):
            assign = cluster_sample(count, start_seed(random_state, restart))
            if not 1 < len(np.unique(assign)) < len(sample):  # outside silhouette's own domain
                pass
            elif labeled_weight is None:
                values.append(float(silhouette_score(distances, assign, metric="precomputed")))
            else:
                each = silhouette_samples(distances, assign, metric="precomputed")
                values.append(float((1 - labeled_weight) * each[~labeled].mean() + labeled_weight * each[labeled].mean()))
            if progress:
                progress(i * starts + restart + 1, len(grid) * starts)
        if values:
            scores[count] = float(np.mean(values))
            if len(values) > 1:
                errors.append(float(np.std(values, ddof=1)))
    return scores, errors


def _smoothed(scores: dict) -> np.ndarray:
    """The silhouette curve's 3-point moving average: it is flat near its top and k-means adds noise."""
    values = np.array(list(scores.values()))
    return np.array([values[max(0, i - 1):i + 2].mean() for i in range(len(values))])


def _best_count(scores: dict, smoothed: np.ndarray, noise: float) -> tuple[int, int]:
    """Where the smoothed curve peaks (its index), unless that is the first count while the next one scores higher by
    more than one k-means start's spread: the first count's average borrows its neighbour's peak (it has no
    neighbour below), so a curve rising steeply from it peaked there (helper 95: 1 new cluster 0.190, 2 new clusters
    0.246, 3 0.202 picked 1, and one unnamed category's 783 rows took the only labeled class); the best count above
    it then; and such a first count is not among the counts said to fit about as well, wherever the peak is (a run
    again asking to keep it got it back). Returns (that index, the smallest count the plausible range may hold). No
    benchmark run picked the first count, except with every class known, where the curve falls from it. The last count's average borrows the same way; not changed: a run of the five
    benchmark tables picked it (banking, 19 classes named), and the run then says the data may hold more."""
    counts, values = list(scores), list(scores.values())
    best = int(np.argmax(smoothed))
    if len(values) > 1 and values[1] - values[0] > noise:
        return (1 + int(np.argmax(smoothed[1:])) if best == 0 else best), int(counts[1])
    return best, int(counts[0])


def _plausible(counts: list, smoothed: np.ndarray, best: int, noise: float, at_least: int = 0) -> tuple[int, int]:
    """The smallest and largest count of at least ``at_least`` whose smoothed score is within ``noise`` of the best one's."""
    near = [counts[i] for i in np.flatnonzero(smoothed >= smoothed[best] - noise) if counts[i] >= min(at_least, counts[best])]
    return int(min(near)), int(max(near))


def _unseeded_estimate(X_free: np.ndarray, n_classes: int, random_state: int, sample: int, n_grid: int,
                       n_restarts: int, progress: Callable[[int, int], None] | None,
                       preferred: int | None = None) -> NewClusterEstimate:
    """With fewer than two labeled classes nothing anchors seeded k-means: plain k-means on the unlabeled rows
    for a grid of k (2 up to 40, at most a fifth of the rows), the best mean cosine silhouette over
    ``n_restarts`` starts winning; k counts the labeled class too, if there is one. Scores, noise, the
    plausible range and ``preferred`` as ``new_cluster_estimate`` gives them, keyed by the new clusters each k means."""
    from sklearn.cluster import KMeans

    n = len(X_free)
    rng = np.random.RandomState(random_state)
    Xs = normalize(np.asarray(X_free[np.sort(rng.choice(n, min(sample, n), replace=False))], dtype=np.float32))
    upper = min(len(Xs) // 5, 40)
    capped = upper < 40
    grid = sorted({int(k) for k in np.geomspace(2, max(upper, 2), n_grid).round() if 2 <= k < len(Xs)})
    by_k, errors = _silhouette_curve(Xs, grid, lambda k, seed: KMeans(k, n_init=1, random_state=seed).fit_predict(Xs),
                                     random_state, n_restarts, progress) if grid else ({}, [])
    scores = {max(1, k - n_classes): value for k, value in by_k.items()}
    if not scores:
        return NewClusterEstimate(1, {}, 0.0, (1, 1), capped_by_rows=capped)
    counts, smoothed = list(scores), _smoothed(scores)
    noise = float(np.median(errors)) if errors else 0.0
    best, lowest = _best_count(scores, smoothed, noise)
    low, high = _plausible(counts, smoothed, best, noise, at_least=lowest)
    keep = preferred is not None and low <= preferred <= high
    return NewClusterEstimate(int(preferred) if keep else int(counts[best]), scores, noise, (low, high),
                              best=int(counts[best]), preferred=None if preferred is None else int(preferred),
                              kept_preferred=bool(keep), capped_by_rows=capped)


def estimate_n_new_clusters(X: np.ndarray, y: np.ndarray, random_state: int = 0, sample: int = 4000,
                            n_grid: int = 14, n_restarts: int = 3) -> int:
    """The count ``new_cluster_estimate`` chooses."""
    return new_cluster_estimate(X, y, random_state, sample, n_grid, n_restarts).n_new


class SeededKMeans(BaseEstimator, ClusterMixin):
    """Seeded spherical k-means; ``n_new_clusters=None`` estimates how many new clusters exist.

    ``seed_threshold``: unlabeled rows a classifier on the labeled rows is this sure of,
    measured from chance to certainty, seed their class too (``confident_seeds``; None: off),
    unless k-means seeded by the human labels alone puts them in a new cluster
    (``drop_seeds_in_new_clusters``: the classifier cannot tell a named class from an unnamed one).
    ``n_init``: k-means runs from different starts; the tightest one (highest total
    cosine similarity to the centers) is kept, as scikit-learn's KMeans does.
    ``preferred_n_new_clusters``: when estimating, keep this count if the data fits it about as well
    as the best (``new_cluster_estimate``'s ``preferred``); ``outside_quantile``: its evidence of rows outside
    every known class (``OUTSIDE_QUANTILE``: the pipeline sets it by whether the vectors were fine-tuned).
    Fitted: ``labels_``, ``cluster_centers_``, ``n_new_clusters_``, ``n_confident_seeds_`` (after that check),
    ``n_seeds_in_new_clusters_`` (dropped by it), ``used_labels_``,
    ``new_cluster_estimate_`` (the ``NewClusterEstimate`` behind the count; None when the count was given),
    ``outside_share_`` (``share_outside_known_classes``, whether the count was estimated or given).
    """

    def __init__(self, n_new_clusters: int | None = None, seed_threshold: float | None = 0.6, max_iter: int = 100,
                 n_init: int = 5, random_state: int | None = 0, preferred_n_new_clusters: int | None = None,
                 outside_quantile: float = OUTSIDE_QUANTILE["adapted"]):
        self.n_new_clusters = n_new_clusters
        self.outside_quantile = outside_quantile
        self.preferred_n_new_clusters = preferred_n_new_clusters
        self.seed_threshold = seed_threshold
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state

    def fit(self, X, y=None, progress: Callable[[int, int], None] | None = None):
        """``progress(done, total)``: the search for the number of new clusters (one step per k-means start
        it scores), then the final clusterings; the search is most of the time on large data."""
        X = np.asarray(X, dtype=np.float32)
        y = np.full(len(X), -1) if y is None else np.asarray(y)
        seed = 0 if self.random_state is None else self.random_state
        report = progress or (lambda done, total: None)
        searched = [0]  # steps the search took, known once it started
        seeds = confident_seeds(X, y, self.seed_threshold, random_state=seed)
        n_new = self.n_new_clusters
        self.new_cluster_estimate_ = None
        if n_new is None:  # judged on the human labels alone: confident seeds made the silhouette erratic

            def search_progress(done, total):
                searched[0] = total
                report(done, total + 2)

            self.new_cluster_estimate_ = new_cluster_estimate(X, y, random_state=seed,
                                                              preferred=self.preferred_n_new_clusters,
                                                              progress=search_progress,
                                                              outside_quantile=self.outside_quantile)
            n_new = self.new_cluster_estimate_.n_new
        # the evidence the estimate weighs, for a count given too: 0 given with many rows outside every class hides them
        self.outside_share_ = (self.new_cluster_estimate_.outside_share if self.new_cluster_estimate_ is not None
                               else share_outside_known_classes(X, y, self.outside_quantile))
        n_added = int(((seeds >= 0) & (y < 0)).sum())
        if n_added and n_new > 0:
            without_seeds, _ = best_of_inits(X, y, n_new, self.n_init, seed, self.max_iter)
            seeds = drop_seeds_in_new_clusters(seeds, y, without_seeds)
        report(searched[0] + 1, searched[0] + 2)
        self.n_confident_seeds_ = int(((seeds >= 0) & (y < 0)).sum())
        self.n_seeds_in_new_clusters_ = n_added - self.n_confident_seeds_
        self.labels_, self.cluster_centers_ = best_of_inits(X, seeds, n_new, self.n_init, seed, self.max_iter)
        report(searched[0] + 2, searched[0] + 2)
        self.n_new_clusters_ = len(self.cluster_centers_) - count_classes(y)
        self.used_labels_ = bool((y >= 0).any())
        self.noise_mask_ = np.zeros(len(X), dtype=bool)
        return self


def known_rows_by_label(X: np.ndarray, clusters: np.ndarray, y: np.ndarray, n_classes: int, labels: np.ndarray,
                        confidence: np.ndarray, min_confidence: float = 0.5,
                        stay: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Unlabeled rows in known classes' clusters whose ``labels`` is at least ``min_confidence`` sure
    move to that class's cluster; returns the clusters and their recomputed centers. ``stay``: rows that
    do not move whatever their label, the rows of candidate clusters (``summarize.candidate_rows``): a
    class labeled only a few times seeds a cluster its labels hardly explain, a category in the making,
    whose rows the fill-in, knowing the class from those few labels, would scatter over the others.

    The clustering decides which rows belong to no known class; which known class a row belongs to
    is better told by the fill-in (a classifier and label spreading on the labeled rows) than by the
    nearest center: on banking at known ratio 0.75 the fill-in labeled 90-92% of the known-class rows
    in known clusters right, seeded k-means 85-89%. An unsure label stays put: a known cluster can hold
    an unnamed class's rows, and scattering them over the classes the fill-in half-guesses lost them
    (banking 0.75, seed 0: novel ACC 52.5 -> 38.7 moving every row, 48.2 moving the rows at least 0.5
    sure). Rows of new clusters and labeled rows stay.
    """
    clusters = np.asarray(clusters).copy()
    y = np.asarray(y)
    move = (clusters < n_classes) & (y < 0) & (np.asarray(confidence) >= min_confidence)
    if stay is not None:
        move &= ~np.asarray(stay, dtype=bool)
    clusters[move] = np.asarray(labels)[move]
    return clusters, cluster_centers(X, clusters)


def automatic_min_cluster_size(n_rows: int) -> int:
    """HDBSCAN's smallest cluster when none is given: a 200th of the rows, from 5 to 50."""
    return max(5, min(50, n_rows // 200))


def cluster_centers(X: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Unit-length mean direction of each cluster's rows (clusters numbered 0..max)."""
    X = normalize(np.asarray(X, dtype=np.float32))
    return _class_centers(X, clusters, int(clusters.max()) + 1 if len(clusters) else 0)


def enforce_labels(clusters: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Renumber free clusters so known classes own clusters 0..n_classes-1 and labeled rows sit in them.

    A cluster whose labeled members are mostly class c joins cluster c; clusters
    without labeled members become new clusters n_classes, n_classes+1, ...
    """
    out = np.full(len(clusters), -1, dtype=np.int64)
    next_id = n_classes
    for c in np.unique(clusters[clusters >= 0]):
        members = clusters == c
        labeled = y[members & (y >= 0)]
        if len(labeled):
            out[members] = np.bincount(labeled, minlength=n_classes).argmax()
        else:
            out[members] = next_id
            next_id += 1
    out[y >= 0] = y[y >= 0]
    return out


class LabelAwareHDBSCAN(BaseEstimator, ClusterMixin):
    """HDBSCAN on label-aware UMAP coordinates, with labels enforced and noise assigned softly.

    ``noise_budget`` is the share of rows HDBSCAN may leave as noise: if it leaves
    more, ``min_samples`` is halved (down to 1) to cluster more, and when no try keeps
    within the budget the one that left the least noise is kept (a smaller ``min_samples``
    can leave more: 11.8% at 1 where 30 left 7.5%); ``noise_budget_met_`` says which.
    Noise rows then join the nearest cluster center and are flagged in ``noise_mask_``.
    """

    def __init__(self, min_cluster_size: int | None = None, min_samples: int | None = None, noise_budget: float = 0.2,
                 n_components: int = 5, target_weight: float = 0.5, random_state: int | None = 0):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.noise_budget = noise_budget
        self.n_components = n_components
        self.target_weight = target_weight
        self.random_state = random_state

    def fit(self, X, y=None, reduced=None, progress: Callable[[int, int], None] | None = None):
        """``progress(done, total)``: the UMAP reduction, then HDBSCAN."""
        import hdbscan

        from .reduce import LabelAwareUMAP

        report = progress or (lambda done, total: None)
        X = normalize(np.asarray(X, dtype=np.float32))
        y = np.full(len(X), -1) if y is None else np.asarray(y)
        n_classes = count_classes(y)
        report(0, 2)
        if reduced is None:
            reduced = LabelAwareUMAP(n_components=self.n_components, target_weight=self.target_weight,
                                     random_state=self.random_state).fit_transform(
                X, y, progress=lambda epochs, total: report(0, 2))  # a stopped run stops within an epoch
        report(1, 2)
        self.reduced_ = reduced
        self.automatic_min_cluster_size_ = automatic_min_cluster_size(len(X))
        mcs = self.min_cluster_size or self.automatic_min_cluster_size_
        min_samples = self.min_samples or mcs
        mcs = min(mcs, max(2, len(X) // 2))  # at most half the rows: a cluster needs another beside it
        tries = []  # (noise share, min_samples, assignment) of each try
        while True:
            if len(X) < 3:  # too few rows for density: all noise, handled below as one cluster
                tries.append((1.0, min_samples, np.full(len(X), -1)))
                break
            raw = hdbscan.HDBSCAN(min_cluster_size=mcs,
                                  min_samples=min(min_samples, len(X) - 1), core_dist_n_jobs=1).fit_predict(reduced)
            tries.append((float(np.mean(raw < 0)), min_samples, raw))
            if tries[-1][0] <= self.noise_budget or min_samples <= 1:
                break
            min_samples = max(1, min_samples // 2)
        self.noise_budget_met_ = tries[-1][0] <= self.noise_budget
        # the last of the tries that left the least (on a tie, the smallest min_samples, as before)
        noise_share, min_samples, raw = tries[-1] if self.noise_budget_met_ else min(reversed(tries), key=lambda t: t[0])
        self.raw_noise_share_ = noise_share
        self.min_cluster_size_ = mcs  # the sizes HDBSCAN was given, for the run's record
        self.min_samples_ = min(min_samples, max(1, len(X) - 1))
        clusters = enforce_labels(raw, y, n_classes)
        self.nothing_dense_ = bool((clusters < 0).all())
        if self.nothing_dense_:
            clusters[:] = 0 if n_classes == 0 else y.max()  # nothing dense: one cluster
            clusters[y >= 0] = y[y >= 0]
        ids = np.unique(clusters[clusters >= 0])
        centers = np.zeros((ids.max() + 1, X.shape[1]), dtype=np.float32)
        for c in ids:
            centers[c] = X[clusters == c].mean(0)
        centers = normalize(centers)
        self.noise_mask_ = clusters < 0
        if self.noise_mask_.any():
            nearest, _ = nearest_center(X[self.noise_mask_], centers[ids])
            clusters[self.noise_mask_] = ids[nearest]
        # drop gaps so ids stay contiguous: known classes keep their codes, new clusters follow
        remap = {c: c for c in range(n_classes)}
        for c in sorted(set(np.unique(clusters)) - set(range(n_classes))):
            remap[c] = len(remap)
        self.labels_ = np.array([remap[c] for c in clusters], dtype=np.int64)
        self.cluster_centers_ = normalize(np.array([X[self.labels_ == c].mean(0) if (self.labels_ == c).any()
                                                    else np.zeros(X.shape[1]) for c in range(len(remap))]))
        self.n_new_clusters_ = len(remap) - n_classes
        report(2, 2)
        self.used_labels_ = bool((y >= 0).any())
        return self
