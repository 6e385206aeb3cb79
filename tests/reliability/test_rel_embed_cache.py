"""The embedding cache with the real bundled model: damaged shards are detected and recomputed,
an interrupted run resumes from what it cached, an unwritable cache does not stop a run."""

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from discovery.embed import EmbeddingCache, SentenceEmbedder

DEMO = Path(__file__).resolve().parents[2] / "data" / "banking_demo.csv"


@pytest.fixture(scope="module")
def texts():
    return pd.read_csv(DEMO).text.iloc[:72].tolist()


@pytest.fixture(scope="module")
def model():
    return SentenceEmbedder(cache_dir=False)._load()


def embedder(cache_dir, model, batch_size=4):
    """A fresh embedder (its own cache folder) that reuses the already loaded model, to save ~5 s per test."""
    e = SentenceEmbedder(cache_dir=cache_dir, batch_size=batch_size)
    e._model = model
    return e


class Counter:
    def __init__(self):
        self.calls = []

    def __call__(self, done, total):
        self.calls.append((done, total))

    @property
    def total(self):
        return self.calls[0][1]


def shards(cache_dir):
    return sorted(Path(cache_dir).rglob("keys_*.npy"))


@pytest.mark.parametrize("damage", ["truncate-keys", "truncate-vecs", "flip-bytes", "delete-vecs", "garbage"])
def test_damaged_shard_is_detected_and_recomputed(tmp_path, model, texts, damage):
    first = embedder(tmp_path, model).transform(texts)
    keys_path = shards(tmp_path)[0]
    vecs_path = keys_path.with_name(keys_path.name.replace("keys_", "vecs_"))
    n_in_shard = len(np.load(keys_path))
    if damage == "truncate-keys":
        keys_path.write_bytes(keys_path.read_bytes()[:100])
    elif damage == "truncate-vecs":
        vecs_path.write_bytes(vecs_path.read_bytes()[:-700])
    elif damage == "flip-bytes":  # same size, valid header, wrong numbers: only the checksum can tell
        raw = bytearray(vecs_path.read_bytes())
        raw[-40:-20] = bytes(20)
        vecs_path.write_bytes(bytes(raw))
    elif damage == "delete-vecs":
        vecs_path.unlink()
    else:
        keys_path.write_bytes(b"\x93NUMPY garbage that is not an array")
    counter = Counter()
    with pytest.warns(RuntimeWarning, match="is damaged"):
        again = embedder(tmp_path, model).transform(texts, progress=counter)
    assert counter.total == n_in_shard  # exactly the damaged shard was recomputed
    np.testing.assert_allclose(again, first, atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cache is healthy again: no warning, nothing computed
        counter = Counter()
        embedder(tmp_path, model).transform(texts, progress=counter)
    assert counter.total == 0


def test_interrupted_run_resumes_from_the_cache(tmp_path, model, texts):
    e = embedder(tmp_path, model, batch_size=4)  # progress (and the cache) every 32 texts

    def interrupt(done, total):
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        e.transform(texts, progress=interrupt)
    assert len(shards(tmp_path)) == 1
    counter = Counter()
    vectors = embedder(tmp_path, model, batch_size=4).transform(texts, progress=counter)
    assert counter.total == len(set(texts)) - 32  # only the rest was computed
    reference = embedder(False, model).transform(texts)
    np.testing.assert_allclose(vectors, reference, atol=1e-5)


def test_cache_never_unpickles(tmp_path):
    """A shard holding a pickled object array is refused (allow_pickle=False), not executed."""
    cache = EmbeddingCache(tmp_path)
    cache.store(np.array([b"k" * 32], dtype="S32"), np.ones((1, 3), dtype=np.float32))
    keys_path = shards(tmp_path)[0]
    np.save(keys_path, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.warns(RuntimeWarning, match="is damaged"):
        assert cache.load() == {}


def test_unwritable_cache_warns_and_the_run_goes_on(tmp_path, model, texts):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(RuntimeWarning, match="cannot write the embedding cache"):
        vectors = embedder(blocker, model, batch_size=16).transform(texts[:40])
    assert vectors.shape == (40, 384)
