import numpy as np

from discovery.embed import EmbeddingCache, SentenceEmbedder, TfidfEmbedder


def test_default_model_loads_offline_and_normalises(tmp_path):
    texts = ["I lost my card", "my card was stolen", "what is the exchange rate for euros"]
    X = SentenceEmbedder(cache_dir=tmp_path).transform(texts)
    assert X.shape == (3, 384) and X.dtype == np.float32
    assert np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-4)
    assert X[0] @ X[1] > X[0] @ X[2]


def test_second_run_embeds_nothing(tmp_path):
    texts = [f"question number {i} about my card" for i in range(50)]
    calls = []
    first = SentenceEmbedder(cache_dir=tmp_path).transform(texts, progress=lambda d, t: calls.append(t))
    again = []
    second = SentenceEmbedder(cache_dir=tmp_path).transform(texts[::-1], progress=lambda d, t: again.append(t))
    assert calls[0] == 50 and again == [0]
    assert np.array_equal(first[::-1], second)
    assert len(list(EmbeddingCache(SentenceEmbedder(cache_dir=tmp_path)._cache().directory).load())) == 50


def test_duplicate_texts_are_embedded_once(tmp_path):
    seen = []
    X = SentenceEmbedder(cache_dir=tmp_path).transform(["same", "same", "other"], progress=lambda d, t: seen.append(t))
    assert seen[0] == 2 and np.array_equal(X[0], X[1])


def test_reading_lengths_never_share_cached_vectors(tmp_path):
    long_text = " ".join(f"word{i}" for i in range(400))  # far past the 256 tokens the default model is saved with
    capped = SentenceEmbedder(cache_dir=tmp_path, max_seq_length=512).transform([long_text])
    uncapped = SentenceEmbedder(cache_dir=tmp_path, max_seq_length=512, cap_to_saved_length=False).transform([long_text])
    assert SentenceEmbedder(max_seq_length=512)._load().max_seq_length == 256
    assert not np.allclose(capped, uncapped, atol=1e-3)


def test_tfidf_needs_no_model():
    X = TfidfEmbedder(n_components=5).transform(["card lost", "card stolen", "exchange rate", "rate of exchange", "pin"])
    assert X.shape == (5, 4) or X.shape == (5, 5)
    assert np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-5)
