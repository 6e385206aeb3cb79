"""Adapt the sentence model to the researcher's labeled rows before clustering.

A few minutes of contrastive fine-tuning on same-class pairs (sentence-transformers'
``MultipleNegativesRankingLoss``, symmetric, each class at most once per batch so
the in-batch negatives are other classes) pulls each known class together and
pushes the classes apart; the geometry it learns carries over to categories
nobody labeled yet. Only labeled rows are used. The adapted model is saved as
safetensors under the cache, keyed by the base model, the labeled rows and every
setting, so the same labels are never trained twice.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .embed import DEFAULT_MODEL, SentenceEmbedder, default_cache_dir, model_fingerprint, text_digests
from .errors import InputError
from .labels import median_labels_per_class

Progress = Callable[[int, int], None]
FORMAT_VERSION = 1


MIN_ROWS_PER_CLASS = 5
MIN_CLASSES = 3
GRADCACHE_MINI_BATCH = 16  # texts embedded at a time when layers cannot be checkpointed


def can_adapt(y: np.ndarray, min_rows_per_class: int = MIN_ROWS_PER_CLASS, min_classes: int = MIN_CLASSES) -> bool:
    """Fine-tuning needs at least ``min_classes`` classes with two rows, and the median labeled
    class at least ``min_rows_per_class`` rows.

    With fewer rows (the bundled demo has about 3 per class) it overfit the known classes and
    cost 4 points of accuracy on the demo's unnamed intents. With two classes every batch
    holds two pairs, so the loss only learns the one direction that splits them: on snips with
    2 of 7 intents known, adapting cut test ACC from 62.6 to 46.9 (seeds 0-2), while with 4
    known classes (mcid, known ratio 0.25) it lifted it from 49.2 to 63.9.
    """
    return why_not_adapt(y, min_rows_per_class, min_classes) is None


def why_not_adapt(y: np.ndarray, min_rows_per_class: int = MIN_ROWS_PER_CLASS,
                  min_classes: int = MIN_CLASSES) -> str | None:
    """Why ``can_adapt`` refuses these labels, in words a researcher can act on (None: it does not)."""
    y = np.asarray(y)
    counts = np.bincount(y[y >= 0]) if (y >= 0).any() else np.zeros(0, dtype=int)
    counts = counts[counts > 0]
    if int((counts >= 2).sum()) < min_classes:
        enough = int((counts >= 2).sum())
        return (f"fine-tuning needs at least {min_classes} classes with 2 labeled rows or more; "
                f"{enough} {'has' if enough == 1 else 'have'} them")
    if median_labels_per_class(y) < min_rows_per_class:
        return (f"fine-tuning needs a median of {min_rows_per_class} labeled rows per class, here "
                f"{median_labels_per_class(y):g} (with fewer it overfits the named classes)")
    return None


def pair_batches(y: np.ndarray, batch_size: int, epochs: int, max_pairs_per_epoch: int,
                 rng: np.random.RandomState) -> list[list[tuple[int, int]]]:
    """Batches of (anchor, positive) row pairs of the same class, no class twice in a batch.

    Each epoch pairs every labeled row (at most ``max_pairs_per_epoch``) with another
    row of its class; each batch takes the classes with the most pairs left. Pairs of
    a class left alone at the end are dropped (a batch needs other classes as negatives).
    """
    y = np.asarray(y)
    by_class = {c: np.flatnonzero(y == c) for c in np.unique(y[y >= 0])}
    by_class = {c: rows for c, rows in by_class.items() if len(rows) >= 2}
    batch_size = max(2, min(batch_size, len(by_class)))
    batches = []
    for _ in range(epochs):
        queues = {}
        for c, rows in by_class.items():
            anchors = rng.permutation(rows)
            positives = np.array([rng.choice(rows[rows != a]) for a in anchors])
            queues[c] = list(zip(anchors.tolist(), positives.tolist()))
        pairs_left = min(sum(len(q) for q in queues.values()), max_pairs_per_epoch)
        while pairs_left > 0:
            open_classes = [c for c in queues if queues[c]]
            # the classes with the most pairs left go first (ties at random), so queues drain evenly
            tiebreak = rng.permutation(len(open_classes))
            order = sorted(range(len(open_classes)), key=lambda i: (-len(queues[open_classes[i]]), tiebreak[i]))
            chosen = [open_classes[i] for i in order[:min(batch_size, pairs_left)]]
            if len(chosen) < 2:
                break
            batches.append([queues[c].pop() for c in chosen])
            pairs_left -= len(chosen)
    return batches


def _checkpoint_layers(model) -> bool:
    """Recompute each transformer layer's activations in the backward pass instead of keeping them.

    A batch of 77 pairs kept 3-4 GB of activations for the backward pass; checkpointing keeps
    only each layer's input. The arithmetic and the dropout masks are the same, so the trained
    model is too; a step takes longer by one more forward pass. False when some transformer of the
    model cannot checkpoint (all-mpnet-base-v2's cannot), so the loss must bound memory instead.
    """
    every_layer = True
    for module in model:
        inner = getattr(module, "auto_model", None)
        if inner is None:
            continue
        if getattr(inner, "supports_gradient_checkpointing", False):
            # transformers 5 renamed gradient_checkpointing_* to activation_checkpointing_*; older releases know only the old name
            enable = getattr(inner, "activation_checkpointing_enable", None) or inner.gradient_checkpointing_enable
            enable()
        else:
            every_layer = False
    return every_layer


def _contrastive_loss(model, checkpointed: bool, mini_batch_size: int = GRADCACHE_MINI_BATCH):
    """Symmetric in-batch contrastive loss (each anchor against every positive and back).

    With checkpointed layers the whole batch goes through at once. Without them (all-mpnet-base-v2)
    the batch's activations would stay in memory for the backward pass (11.6 GB peak after three
    banking steps), so the cached variant (GradCache) embeds ``mini_batch_size`` texts at a time and
    back-propagates the same loss, replaying each mini-batch's dropout.
    """
    from sentence_transformers.sentence_transformer.losses import (CachedMultipleNegativesRankingLoss,
                                                                   MultipleNegativesRankingLoss)

    settings = dict(directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction")
    if checkpointed:
        return MultipleNegativesRankingLoss(model, **settings)
    return CachedMultipleNegativesRankingLoss(model, mini_batch_size=mini_batch_size, **settings)


def _release_freed_memory() -> None:
    """Hand memory freed by the last step back to the system (glibc only; elsewhere a no-op).

    Every batch pads to a different length, so glibc keeps the freed activations of each one in
    fragments: without this the process held 2.7 GB between steps instead of 0.9 GB.
    """
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.lru_cache(maxsize=1)
def _glibc():
    """The C library when it is glibc (it has ``malloc_trim``); None elsewhere."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ``trainable_layers="auto"``: models this deep or shallower (the default model has 6 layers) train every
# layer; deeper ones train their top AUTO_TOP_LAYERS, the layers below run once per labeled text.
AUTO_EVERY_LAYER_UP_TO = 6
AUTO_TOP_LAYERS = 4


def resolve_trainable_layers(setting, base: SentenceEmbedder) -> int | None:
    """How many top layers to fine-tune (None: every layer) for ``setting``: "auto", "all" or a count."""
    if setting is None or setting == "all":
        return None
    if setting != "auto" and not (isinstance(setting, (int, np.integer)) and not isinstance(setting, bool)
                                  and setting > 0):
        raise InputError(f"layers to fine-tune must be 'auto', 'all' or a positive whole number, not {setting!r}.")
    from .top_layers import layer_stack

    layers = layer_stack(base._load())
    if layers is None:  # not a stack the top-layer path can split: every layer, as before
        return None
    count = (AUTO_TOP_LAYERS if len(layers) > AUTO_EVERY_LAYER_UP_TO else len(layers)) if setting == "auto" else int(setting)
    return None if count >= len(layers) else count


TRAINING_TOKENS = 64  # word pieces of each labeled text fine-tuning reads (time, memory)


class AdaptedEmbedder:
    """A sentence-transformers model fine-tuned on the labeled rows; a drop-in embedder.

    Parameters
    ----------
    model : base model (None: the bundled all-MiniLM-L6-v2).
    epochs, batch_size, learning_rate : the fine-tuning. A batch holds each class
        once, so with up to ``batch_size`` classes every batch sets every class against all the
        others. The defaults (6 epochs, every class in a batch) take about 4 minutes for 720 labeled
        rows of 77 classes on 2 CPU cores. On banking with every class known (seed 0), the earlier
        2 epochs of 32 classes (40 s) labeled the unlabeled rows 0.8 points worse (balanced blend
        89.0 against 89.8; docs/benchmarks.md, "Adaptation settings").
    max_pairs_per_epoch : caps training time on large labeled sets (at most 6,000 pairs in all).
    max_steps : at most this many batches in all. With few classes and many rows per class,
        6 epochs are hundreds of steps on the same few classes, and the model forgets what tells
        the unnamed ones apart: on stackoverflow (48 labeled rows a class) 288 steps cut test
        ACC from 69.2 to 66.2 at known ratio 0.25 and from 81.0 to 77.2 at 0.5 against the earlier
        ~100. Banking (9 rows a class) trains 66-72 steps whatever its known ratio.
    max_seq_length : tokens of each text that training reads (time, memory; 99.7% of banking's texts
        are shorter). Embedding reads as many as the base model does (``reading_length_``, 256 for
        the default model), so long texts are not cut to their first 64 tokens.
    trainable_layers : "all", the number of top transformer layers to fine-tune, or "auto": every layer
        of a model up to 6 layers deep (the default model), the top 4 of a deeper one. The layers below
        stay as they are, so each labeled text passes through them once and every step runs only the
        top ones (``discovery/top_layers.py``): all-mpnet-base-v2 (12 layers) with its top 4 trained
        labeled banking's unlabeled rows as well as with all 12 (fill-in 90.76 against 90.55, every
        class known, seeds 0-2), fine-tuning in 7-8 minutes instead of 25 and 3.0 GB instead of 4.9
        (docs/benchmarks.md, "How far the adapted embedding goes").
    Fitted: ``model_path_`` (folder of the adapted model), ``model_id`` (its cache key), ``base_model_id``,
    ``trained_`` (False when it came from the cache), ``n_steps_``, ``reading_length_``, ``trainable_layers_``
    (None: every layer), ``weights_sha256_`` (of the saved weights; None for models saved before it was recorded),
    ``trained_with_torch_threads_`` (torch's threads when it was trained, which a cached model keeps; None before).
    """

    def __init__(self, model: str | None = None, epochs: int = 6, batch_size: int = 128, learning_rate: float = 2e-5,
                 max_seq_length: int = TRAINING_TOKENS, max_pairs_per_epoch: int = 1000, max_steps: int = 100, random_state: int = 0,
                 cache_dir=None, trainable_layers: int | str = "auto"):
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_seq_length = max_seq_length
        self.max_pairs_per_epoch = max_pairs_per_epoch
        self.max_steps = max_steps
        self.random_state = random_state
        self.cache_dir = cache_dir
        self.trainable_layers = trainable_layers

    def _batches(self, y: np.ndarray) -> tuple[list, bool]:
        """The training plan (pair batches, at most ``max_steps``) and whether the cap shortened it."""
        batches = pair_batches(y, self.batch_size, self.epochs, self.max_pairs_per_epoch,
                               np.random.RandomState(self.random_state))
        capped = self.max_steps is not None and len(batches) > self.max_steps
        return (batches[:self.max_steps] if capped else batches), capped

    def _key(self, base_id: str, texts: Sequence[str], y: np.ndarray, capped: bool, trainable_layers: int | None) -> str:
        labeled = np.flatnonzero(y >= 0)
        digest = hashlib.sha256()
        settings = [FORMAT_VERSION, base_id, self.epochs, self.batch_size, self.learning_rate, self.max_seq_length,
                    self.max_pairs_per_epoch, self.random_state]
        if capped:  # a plan the cap leaves alone trains the very same model as before the cap existed
            settings.append(["max_steps", self.max_steps])
        if trainable_layers is not None:  # every layer keeps the key of models adapted before the setting existed
            settings.append(["trainable_layers", trainable_layers])
        weights = model_fingerprint(self.model) if self.model not in (None, DEFAULT_MODEL) else ""
        if weights:  # a local folder: other weights under one path are another model
            settings.append(["weights", weights])
        digest.update(json.dumps(settings).encode())
        digest.update(text_digests([texts[i] for i in labeled]).tobytes())
        digest.update(np.asarray(y[labeled], dtype=np.int64).tobytes())
        return digest.hexdigest()[:20]

    def fit(self, texts: Sequence[str], y, progress: Progress | None = None) -> "AdaptedEmbedder":
        texts = list(texts)
        y = np.asarray(y)
        base = SentenceEmbedder(self.model, cache_dir=False)
        batches, capped = self._batches(y)
        self.trainable_layers_ = resolve_trainable_layers(self.trainable_layers, base)
        # as far as the base model reads now (asked before training reads fewer tokens with it), not as it read
        # when a cached model was trained (128 tokens before 256): vectors follow from the key, whoever trained it
        self.reading_length_ = base.reading_length()
        key = self._key(base.model_id, texts, y, capped, self.trainable_layers_)
        root = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        self.model_path_ = root / "adapted" / key
        self.model_id = f"adapted-{key}"
        self.base_model_id = base.model_id
        self.trained_ = False
        self.n_steps_ = 0
        if not _complete(self.model_path_):
            self._train(base, texts, batches, progress)
            self.trained_ = True
        elif progress:
            progress(1, 1)
        meta = json.loads((self.model_path_ / "adapted.json").read_text())
        self.weights_sha256_ = meta.get("weights_sha256")  # the manifest's record of which weights embedded
        # the threads it was trained with (other thread counts give other weights): a cached model's, not this run's
        self.trained_with_torch_threads_ = meta.get("torch_threads")
        # training reads at most max_seq_length tokens (time, memory); embedding reads as far as the base model
        self._embedder = SentenceEmbedder(str(self.model_path_), cache_dir=self.cache_dir,
                                          cache_name=self._vectors_cache_name(meta.get("weights_sha256")),
                                          max_seq_length=self.reading_length_, cap_to_saved_length=False)
        return self

    def _vectors_cache_name(self, weights_sha256: str | None) -> str:
        """Where this model's vectors are cached: named by its weights as well as its key, so a model
        trained again under the same key (its folder deleted, another machine's cache, another loss
        path) never reads the vectors of the one it replaced. Models saved before weights were
        recorded keep their old name."""
        weights = f"-{weights_sha256[:12]}" if weights_sha256 else ""
        return f"{self.model_id}{weights}-read{self.reading_length_}"

    def _train(self, base: SentenceEmbedder, texts: list[str], batches: list, progress: Progress | None) -> None:
        import torch
        torch.manual_seed(self.random_state)
        model = base._load()
        base_length = model.max_seq_length
        model.max_seq_length = self.max_seq_length
        if self.trainable_layers_ is None:
            loss_fn = _contrastive_loss(model, checkpointed=_checkpoint_layers(model))

            def features(rows):
                return model.preprocess([texts[i] for i in rows])
        else:
            from .top_layers import TopLayers

            top = TopLayers(model, self.trainable_layers_)
            top.cache_bottom_states(texts, [row for batch in batches for pair in batch for row in pair])
            loss_fn = _contrastive_loss(top, checkpointed=False)

            def features(rows):
                return {"rows": torch.tensor(rows)}
        optimizer = torch.optim.AdamW(model.parameters(), lr=self.learning_rate, weight_decay=0.01)
        warmup = max(1, len(batches) // 10)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(batches) - step) / (len(batches) - warmup + 1))))
        model.train()
        if progress:
            progress(0, len(batches))
        for step, batch in enumerate(batches):
            anchors, positives = features([a for a, _ in batch]), features([p for _, p in batch])
            loss = loss_fn([anchors, positives], None)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            _release_freed_memory()
            if progress:
                progress(step + 1, len(batches))
        model.eval()
        self.n_steps_ = len(batches)
        self.model_path_.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".adapting-", dir=self.model_path_.parent))
        try:
            model.save(str(staging), safe_serialization=True)
            weights_sha256 = _file_sha256(staging / "model.safetensors")
            (staging / "adapted.json").write_text(json.dumps({"base": base.model_id, "steps": len(batches),
                                                              "format": FORMAT_VERSION,
                                                              "base_max_seq_length": base_length,
                                                              "weights_sha256": weights_sha256,
                                                              "torch_threads": torch.get_num_threads()}))
            from filelock import FileLock

            with FileLock(f"{self.model_path_}.lock"):
                if not _complete(self.model_path_):  # else another process trained it meanwhile: it may be reading it
                    if self.model_path_.exists():
                        shutil.rmtree(self.model_path_)
                    os.replace(staging, self.model_path_)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def transform(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Vectors from the adapted model (cached on disk under its own key)."""
        return self._embedder.transform(texts, progress=progress)

    def sentence_and_middle_layer(self, texts: Sequence[str], progress: Progress | None = None) \
            -> tuple[np.ndarray, np.ndarray | None]:
        """The adapted model's vectors and middle layer (``SentenceEmbedder.sentence_and_middle_layer``); no middle
        layer where fine-tuning left it as the base model's (its top layers only: ``trainable_layers``), a case the
        fill-in's weight was not measured on."""
        layer = self._embedder.middle_layer()
        if layer is None or (self.trainable_layers_ is not None
                             and layer <= self._embedder.layer_count() - self.trainable_layers_):
            return self.transform(texts, progress), None
        return self._embedder.sentence_and_middle_layer(texts, progress=progress)

    def reading_length(self) -> int | None:
        """Tokens of each text the adapted model embeds (its base model's; training read ``max_seq_length``)."""
        return self.reading_length_

    def texts_cut(self, texts: Sequence[str], limit: int | None = None) -> int:
        """How many of ``texts`` run past ``limit`` tokens (``SentenceEmbedder.texts_cut``)."""
        return self._embedder.texts_cut(texts, limit)

    def texts_unread(self, texts: Sequence[str]) -> np.ndarray:
        """``SentenceEmbedder.texts_unread`` (the adapted model keeps its base model's tokenizer)."""
        return self._embedder.texts_unread(texts)

    def texts_read_alike(self, texts: Sequence[str]) -> np.ndarray:
        """``SentenceEmbedder.texts_read_alike``."""
        return self._embedder.texts_read_alike(texts)


def _complete(folder: Path) -> bool:
    """A fine-tuned model's folder holds its weights and its record (written last, before the folder is moved in)."""
    return (folder / "model.safetensors").exists() and (folder / "adapted.json").exists()
