"""Label-aware UMAP: the known labels (-1 = unlabeled) pull same-class rows together."""

from __future__ import annotations

import functools
import io
import re
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class EpochsReported(io.TextIOBase):
    """The file UMAP's epoch bar (tqdm, drawn as ``done/total``) writes to: each count goes to ``progress``. A run
    stopped from there (the dashboard's background run raises in it) stops at UMAP's next epoch, not after the whole
    layout (hdbscan's reduction of 4,000 rows reported nothing for 25 s on one core: hunt 119)."""

    def __init__(self, progress: Callable[[int, int], None]):
        self.progress = progress

    def write(self, text: str) -> int:
        counts = re.findall(r"(\d+)/(\d+)", text)
        if counts:
            self.progress(*map(int, counts[-1]))
        return len(text)


@functools.cache
def umap_compiled_once():
    """umap-learn, with the machine code numba compiles for it kept on disk. UMAP asks numba to compile its
    functions anew in every process: 20 s on a 2-core machine before a 300-row map that then takes 0.7 s, paid by
    every ``discovery`` command and every dashboard start. ``Dispatcher.enable_caching`` is what numba's own
    ``cache=True`` does; its cache follows UMAP's source files, so an upgrade compiles afresh. Where no cache folder
    can be written, a function is compiled as before."""
    import sys

    import umap
    from numba.core.registry import CPUDispatcher

    for name, module in list(sys.modules.items()):
        if name == "umap" or name.startswith("umap."):
            for function in list(vars(module).values()):
                if isinstance(function, CPUDispatcher):
                    try:
                        function.enable_caching()
                    except RuntimeError:  # numba found no folder it may write
                        pass
    return umap


class LabelAwareUMAP(BaseEstimator, TransformerMixin):
    """UMAP with the partial labels as a categorical target.

    ``target_weight`` sets how strongly labels shape the layout (0: ignore them,
    1: mostly labels). Seeding makes UMAP single-threaded; determinism wins here.
    Fitted: ``embedding_`` and ``used_labels_`` (whether any label reached UMAP).
    """

    def __init__(self, n_components: int = 2, n_neighbors: int = 15, min_dist: float = 0.0,
                 target_weight: float = 0.5, metric: str = "cosine", random_state: int | None = 0):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.target_weight = target_weight
        self.metric = metric
        self.random_state = random_state

    def fit(self, X, y=None, neighbors: tuple[np.ndarray, np.ndarray] | None = None,
            progress: Callable[[int, int], None] | None = None):
        """``neighbors``: each row's nearest other rows and their cosine similarities, most similar first
        (``fill.nearest_neighbors``), at least ``n_neighbors - 1`` of them: UMAP then skips its own
        search (on 50,000 texts its approximate search took 35 s of the 2-d map's 83). ``progress(done, total)``:
        the layout's epochs, about twice a second (``EpochsReported``)."""
        umap = umap_compiled_once()
        X = np.asarray(X, dtype=np.float32)
        n = len(X)
        if n < 4:  # UMAP cannot embed a handful of points; spread them on a line instead.
            self.embedding_ = np.column_stack([np.arange(n, dtype=np.float32)] + [np.zeros(n, np.float32)] * (self.n_components - 1))
            self.used_labels_ = False
            return self
        y = None if y is None else np.asarray(y)
        self.used_labels_ = bool(y is not None and (y >= 0).any() and self.target_weight > 0)
        n_neighbors = min(self.n_neighbors, n - 1)
        reducer = umap.UMAP(n_components=min(self.n_components, n - 2), n_neighbors=n_neighbors,
                            min_dist=self.min_dist, metric=self.metric, target_metric="categorical",
                            target_weight=self.target_weight, random_state=self.random_state,
                            init="spectral" if n > self.n_components + 10 else "random",
                            precomputed_knn=self._with_self(neighbors, n_neighbors),
                            tqdm_kwds=None if progress is None else {
                                "disable": False, "file": EpochsReported(progress), "bar_format": "{n}/{total}",
                                "mininterval": 0.5, "miniters": 1})  # tqdm's monitor thread never reports
        with warnings.catch_warnings():  # without a search index UMAP warns that it cannot transform new rows
            warnings.filterwarnings("ignore", message="precomputed_knn")
            # one random_state for every stage is the point (DESIGN, problem 4); UMAP says so on every run
            warnings.filterwarnings("ignore", message="n_jobs value")
            embedding = reducer.fit_transform(X, y=y if self.used_labels_ else None)
        if embedding.shape[1] < self.n_components:
            embedding = np.pad(embedding, ((0, 0), (0, self.n_components - embedding.shape[1])))
        self.embedding_ = embedding.astype(np.float32)
        return self

    def _with_self(self, neighbors, n_neighbors: int) -> tuple:
        """UMAP's precomputed_knn: each row first (distance 0), then its nearest others as cosine distances."""
        if neighbors is None or self.metric != "cosine" or neighbors[0].shape[1] < n_neighbors - 1:
            return (None, None, None)
        idx, sim = (np.asarray(part)[:, :n_neighbors - 1] for part in neighbors)
        rows = np.arange(len(idx))
        return (np.column_stack([rows, idx]).astype(np.int64),
                np.column_stack([np.zeros(len(idx)), np.clip(1.0 - sim, 0.0, None)]).astype(np.float32))

    def fit_transform(self, X, y=None, neighbors=None, progress=None, **fit_params):
        return self.fit(X, y, neighbors=neighbors, progress=progress).embedding_
