"""Label-aware UMAP: the known labels (-1 = unlabeled) pull same-class rows together."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


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

    def fit(self, X, y=None):
        import umap

        X = np.asarray(X, dtype=np.float32)
        n = len(X)
        if n < 4:  # UMAP cannot embed a handful of points; spread them on a line instead.
            self.embedding_ = np.column_stack([np.arange(n, dtype=np.float32)] + [np.zeros(n, np.float32)] * (self.n_components - 1))
            self.used_labels_ = False
            return self
        y = None if y is None else np.asarray(y)
        self.used_labels_ = bool(y is not None and (y >= 0).any() and self.target_weight > 0)
        reducer = umap.UMAP(n_components=min(self.n_components, n - 2), n_neighbors=min(self.n_neighbors, n - 1),
                            min_dist=self.min_dist, metric=self.metric, target_metric="categorical",
                            target_weight=self.target_weight, random_state=self.random_state,
                            init="spectral" if n > self.n_components + 10 else "random")
        embedding = reducer.fit_transform(X, y=y if self.used_labels_ else None)
        if embedding.shape[1] < self.n_components:
            embedding = np.pad(embedding, ((0, 0), (0, self.n_components - embedding.shape[1])))
        self.embedding_ = embedding.astype(np.float32)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        return self.fit(X, y).embedding_
