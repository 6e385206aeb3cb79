"""The whole job in one call: ``run_discovery(table, DiscoveryConfig(...))`` -> ``Discovery``.

One ``random_state`` flows through every stage. ``progress(stage, done, total)``
reports long work; the CLI draws tqdm bars from it, the dashboard progress bars.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .cluster import LabelAwareHDBSCAN, SeededKMeans, nearest_center
from .embed import make_embedder
from .errors import InputError
from .fill import ClassifierFill, KNNFill, PropagationFill, estimate_accuracy, knn_graph
from .io import LabeledTable
from .reduce import LabelAwareUMAP
from .result import Discovery, build_rows
from .summarize import summarize_clusters

METHODS = ("auto", "seeded-kmeans", "hdbscan")
STAGES = ("embed", "cluster", "summarize", "fill", "map")
StageProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DiscoveryConfig:
    """Every setting of a run; written to the manifest so a run can be repeated."""

    model: str | None = None  # None: bundled all-MiniLM-L6-v2; "tfidf": no model; else a name or path
    method: str = "auto"  # auto picks seeded-kmeans, chosen by measurement (docs/benchmarks.md)
    random_state: int = 0
    n_new_clusters: int | None = None  # None: estimated
    min_cluster_size: int | None = None  # hdbscan only; None: from n
    noise_budget: float = 0.2  # hdbscan only: share of rows it may leave as noise before being pushed
    n_neighbors: int = 15
    fill_methods: tuple[str, ...] = ("knn", "propagation", "classifier")
    make_map: bool = True
    cache_dir: str | None = None

    def resolved_method(self) -> str:
        if self.method not in METHODS:
            raise InputError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}.")
        return "seeded-kmeans" if self.method == "auto" else self.method

    def to_dict(self) -> dict:
        return asdict(self)


FILL_METHODS = {"knn": KNNFill, "propagation": PropagationFill, "classifier": ClassifierFill}


@dataclass(frozen=True)
class FillResult:
    distributions: dict[str, np.ndarray]  # method -> n x classes
    accuracy: dict[str, float | None]  # method -> k-fold estimate on labeled rows
    best: str | None = field(default=None)


def fill_in(X: np.ndarray, y: np.ndarray, n_classes: int, methods, random_state: int, n_neighbors: int) -> FillResult:
    """Run each fill-in method on all rows and estimate its accuracy by hidden folds of labeled rows."""
    if n_classes == 0:
        return FillResult({}, {}, None)
    graph = knn_graph(X, n_neighbors, random_state) if "propagation" in methods else None
    distributions, accuracy = {}, {}
    for name in methods:
        method = FILL_METHODS[name]()
        if "random_state" in method.get_params():
            method.set_params(random_state=random_state)
        accuracy[name] = estimate_accuracy(method, X, y, n_classes, graph=graph, random_state=random_state)
        distributions[name] = method.fit(X, y, n_classes=n_classes, graph=graph).label_distributions_
    scored = {k: v for k, v in accuracy.items() if v is not None}
    best = max(scored, key=scored.get) if scored else methods[0]
    return FillResult(distributions, accuracy, best)


def make_clusterer(config: DiscoveryConfig):
    method = config.resolved_method()
    if method == "hdbscan":
        return LabelAwareHDBSCAN(min_cluster_size=config.min_cluster_size, noise_budget=config.noise_budget,
                                 random_state=config.random_state)
    return SeededKMeans(n_new_clusters=config.n_new_clusters, random_state=config.random_state)


def run_discovery(table: LabeledTable, config: DiscoveryConfig = DiscoveryConfig(),
                  progress: StageProgress | None = None, embeddings: np.ndarray | None = None) -> Discovery:
    """Embed, cluster, summarize, fill in and lay out a table; returns an immutable ``Discovery``."""
    report = progress or (lambda stage, done, total: None)
    timings: dict[str, float] = {}
    y = table.labels
    n_classes = len(table.codec)

    start = time.perf_counter()
    if embeddings is None:
        embedder = make_embedder(config.model, config.random_state, config.cache_dir)
        embeddings = embedder.transform(table.texts, progress=lambda d, t: report("embed", d, t))
    report("embed", 1, 1)
    timings["embed"] = time.perf_counter() - start

    start = time.perf_counter()
    report("cluster", 0, 1)
    clusterer = make_clusterer(config).fit(embeddings, y)
    clusters = clusterer.labels_
    report("cluster", 1, 1)
    timings["cluster"] = time.perf_counter() - start

    start = time.perf_counter()
    report("summarize", 0, 1)
    summary = summarize_clusters(table.texts, embeddings, clusters, y, table.codec, row_ids=table.row_ids)
    report("summarize", 1, 1)
    timings["summarize"] = time.perf_counter() - start

    start = time.perf_counter()
    report("fill", 0, 1)
    fill = fill_in(embeddings, y, n_classes, config.fill_methods, config.random_state, config.n_neighbors)
    report("fill", 1, 1)
    timings["fill"] = time.perf_counter() - start

    start = time.perf_counter()
    report("map", 0, 1)
    if config.make_map:
        coords = LabelAwareUMAP(n_components=2, min_dist=0.1, random_state=config.random_state).fit_transform(embeddings, y)
    else:
        coords = np.zeros((len(y), 2), dtype=np.float32)
    report("map", 1, 1)
    timings["map"] = time.perf_counter() - start

    rows, cluster_table = build_rows(table, clusters, clusterer.noise_mask_, summary, fill, coords,
                                     embeddings, clusterer.cluster_centers_)
    return Discovery(table=table, config=config, embeddings=embeddings, cluster_centers=clusterer.cluster_centers_,
                     rows=rows, clusters=cluster_table, fill_accuracy=dict(fill.accuracy), fill_method=fill.best,
                     timings=timings, used_labels={"embed": False, "cluster": bool(clusterer.used_labels_),
                                                   "fill": n_classes > 0, "map": bool(config.make_map and n_classes > 0)})


def assign_to_clusters(discovery: Discovery, X_new: np.ndarray) -> np.ndarray:
    """Cluster ids for new rows (e.g. a test split): the nearest cluster center, as fitted."""
    return nearest_center(np.asarray(X_new, dtype=np.float32), discovery.cluster_centers)[0]
