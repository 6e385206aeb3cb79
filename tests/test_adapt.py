import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from discovery.adapt import AdaptedEmbedder, can_adapt, pair_batches
from discovery.embed import SentenceEmbedder


def test_pairs_are_same_class_and_batches_hold_each_class_once():
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, -1, 3])  # class 3 has a single row: no pair possible
    batches = pair_batches(y, batch_size=32, epochs=2, max_pairs_per_epoch=100, rng=np.random.RandomState(0))
    pairs = [p for batch in batches for p in batch]
    # every row of classes 0-2 is an anchor once per epoch, but for one pair of the largest class
    # left alone at the end of each epoch (no other class to serve as a negative)
    assert len(pairs) == 2 * 8
    for batch in batches:
        classes = [y[a] for a, _ in batch]
        assert len(classes) == len(set(classes)) >= 2
        for anchor, positive in batch:
            assert anchor != positive and y[anchor] == y[positive] >= 0


def test_pair_budget_caps_training():
    y = np.repeat(np.arange(4), 50)
    batches = pair_batches(y, batch_size=4, epochs=3, max_pairs_per_epoch=20, rng=np.random.RandomState(0))
    assert sum(len(b) for b in batches) == 60


def test_can_adapt_needs_three_classes_with_enough_rows():
    assert not can_adapt(np.array([-1, -1]))
    assert not can_adapt(np.array([0, 0, 1, 1, 2, -1]), min_rows_per_class=1)  # class 2 has one row
    assert can_adapt(np.array([0, 0, 1, 1, 2, 2, -1]), min_rows_per_class=2)
    assert not can_adapt(np.repeat([0, 1, 2], 3))  # 3 rows per class: too few to fine-tune on
    assert can_adapt(np.repeat([0, 1, 2], 5))
    assert not can_adapt(np.repeat([0, 1], 50))  # two classes teach the model one direction only


def _center_accuracy(X, y, truth_codes, rows):
    centers = np.stack([X[y == c].mean(0) for c in range(y.max() + 1)])
    return np.mean((X[rows] @ centers.T).argmax(1) == truth_codes[rows])


@pytest.fixture(scope="module")
def adapted_small_banking(small_banking, tmp_path_factory):
    """The default adaptation of the small banking sample, trained once for the tests that read it."""
    frame, y, _ = small_banking
    return AdaptedEmbedder(random_state=0, cache_dir=tmp_path_factory.mktemp("adapted")).fit(frame.text.tolist(), y)


def test_adaptation_separates_known_classes_better_and_is_cached(small_banking, adapted_small_banking):
    frame, y, X_frozen = small_banking
    texts = frame.text.tolist()
    known = sorted(frame.true_label[y >= 0].unique())
    truth = np.array([known.index(t) if t in known else -1 for t in frame.true_label])
    held_out = np.flatnonzero((y < 0) & (truth >= 0))

    adapted = adapted_small_banking
    X = adapted.transform(texts)
    assert adapted.trained_ and adapted.n_steps_ > 0
    assert X.shape == X_frozen.shape and np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-4)
    assert (adapted.model_path_ / "model.safetensors").exists()  # no pickle anywhere
    # only labeled rows trained it; unlabeled rows of the same intents now sit closer to their class
    assert _center_accuracy(X, y, truth, held_out) >= _center_accuracy(X_frozen, y, truth, held_out)
    assert _center_accuracy(X, y, truth, held_out) > 0.9

    again = AdaptedEmbedder(random_state=0, cache_dir=adapted.cache_dir).fit(texts, y)
    assert not again.trained_ and again.model_id == adapted.model_id
    assert np.allclose(again.transform(texts), X, atol=1e-5)


def test_the_manifest_says_where_the_fine_tuned_model_is(small_banking, adapted_small_banking):
    from discovery.io import table_from_frame
    from discovery.pipeline import DiscoveryConfig, adaptation_record

    frame, y, _ = small_banking
    record = adaptation_record(adapted_small_banking, True, DiscoveryConfig(), table_from_frame(frame[["text"]]))
    assert record["used"] and (Path(record["model_path"]) / "model.safetensors").exists()
    assert Path(record["model_path"]).is_relative_to(adapted_small_banking.cache_dir)
    # the threads it was trained with, which another thread count does not reproduce: the cached model's, kept with
    # it, not those of the run that reads it from the cache (helper 97: the manifest said 1, the weights were 2's)
    import torch

    trained_with = torch.get_num_threads()
    assert record["trained_with_torch_threads"] == trained_with
    torch.set_num_threads(max(1, trained_with - 1) if trained_with > 1 else 2)
    try:
        cached = AdaptedEmbedder(random_state=0, cache_dir=adapted_small_banking.cache_dir).fit(frame.text.tolist(), y)
        assert not cached.trained_ and cached.trained_with_torch_threads_ == trained_with != torch.get_num_threads()
    finally:
        torch.set_num_threads(trained_with)


def test_other_labels_train_another_model(small_banking, tmp_path):
    frame, y, _ = small_banking
    texts = frame.text.tolist()
    other_labels = y.copy()
    other_labels[np.flatnonzero(y >= 0)[0]] = -1
    settings = dict(random_state=0, max_steps=1, cache_dir=tmp_path)
    first = AdaptedEmbedder(**settings).fit(texts, y)
    assert AdaptedEmbedder(**settings).fit(texts, other_labels).model_id != first.model_id


def test_base_model_is_untouched_by_adaptation(small_banking, tmp_path):
    frame, y, X_frozen = small_banking
    adapted = AdaptedEmbedder(random_state=1, max_steps=3, cache_dir=tmp_path).fit(frame.text.tolist(), y)
    assert adapted.trained_ and not np.allclose(adapted.transform(frame.text.tolist()[:20]), X_frozen[:20], atol=1e-3)
    assert np.allclose(SentenceEmbedder(cache_dir=False).transform(frame.text.tolist()[:20]), X_frozen[:20], atol=1e-5)


def test_adaptation_keeps_one_fold_of_labels_for_the_estimate():
    from discovery.fill import holdout_folds
    from discovery.pipeline import DiscoveryConfig, adaptation_labels

    y = np.repeat(np.arange(6), 9)
    y[::7] = -1
    train_labels = adaptation_labels(DiscoveryConfig(random_state=2), y)
    held_out = holdout_folds(y, 5, 2) == 0
    assert held_out.sum() >= 6 and (train_labels[held_out] == -1).all()
    assert (train_labels[~held_out] == y[~held_out]).all()
    assert adaptation_labels(DiscoveryConfig(adapt=False), y) is None
    assert adaptation_labels(DiscoveryConfig(model="tfidf"), y) is None
    assert adaptation_labels(DiscoveryConfig(), np.array([0, 0, 1, -1])) is None


def test_step_cap_shortens_training_and_only_then_changes_the_cache_key(small_banking, adapted_small_banking):
    frame, y, _ = small_banking
    texts = frame.text.tolist()
    cache = adapted_small_banking.cache_dir  # holds the default adaptation, whose plan no cap binds
    assert adapted_small_banking.n_steps_ > 3
    capped = AdaptedEmbedder(random_state=0, max_steps=3, cache_dir=cache).fit(texts, y)
    assert capped.trained_ and capped.n_steps_ == 3 and capped.model_id != adapted_small_banking.model_id
    for cap in (None, 10_000):  # a cap that never binds trains the very model no cap trains
        loose = AdaptedEmbedder(random_state=0, max_steps=cap, cache_dir=cache).fit(texts, y)
        assert not loose.trained_ and loose.model_id == adapted_small_banking.model_id


def test_recomputing_activations_trains_the_very_same_model(small_banking, tmp_path, monkeypatch):
    """Checkpointing (which keeps adaptation under 4 GB) must not change what is learned: cached
    models and every benchmark number trained before it stay valid."""
    import discovery.adapt as adapt
    from safetensors.numpy import load_file

    frame, y, _ = small_banking
    texts = frame.text.tolist()
    settings = dict(epochs=1, random_state=0)
    checkpointed = AdaptedEmbedder(cache_dir=tmp_path / "checkpointed", **settings).fit(texts, y)
    monkeypatch.setattr(adapt, "_checkpoint_layers", lambda model: True)  # plain loss, layers not checkpointed
    plain = AdaptedEmbedder(cache_dir=tmp_path / "plain", **settings).fit(texts, y)
    assert checkpointed.trained_ and plain.trained_ and checkpointed.n_steps_ == plain.n_steps_ > 0
    a = load_file(checkpointed.model_path_ / "model.safetensors")
    b = load_file(plain.model_path_ / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(np.array_equal(a[name], b[name]) for name in a)


def test_adaptation_recomputes_activations_of_every_layer():
    import discovery.adapt as adapt

    model = SentenceEmbedder(cache_dir=False)._load()
    inner = model[0].auto_model
    assert not _checkpointing(inner)
    adapt._checkpoint_layers(model)
    assert _checkpointing(inner)


def _checkpointing(inner) -> bool:
    """Whether a transformer recomputes its activations (the property's name changed in transformers 5)."""
    name = "is_activation_checkpointing" if hasattr(inner, "is_activation_checkpointing") else "is_gradient_checkpointing"
    return bool(getattr(inner, name))


def test_layers_that_cannot_checkpoint_get_the_cached_loss_with_the_same_gradients(small_banking, monkeypatch):
    """all-mpnet-base-v2's layers cannot checkpoint: GradCache must then bound memory (it kept 11.6 GB
    otherwise) and still back-propagate the very loss the whole batch gives."""
    import torch
    from sentence_transformers.sentence_transformer.losses import CachedMultipleNegativesRankingLoss

    import discovery.adapt as adapt

    frame, y, _ = small_banking
    texts = frame.text.tolist()
    model = SentenceEmbedder(cache_dir=False)._load()
    monkeypatch.setattr(type(model[0].auto_model), "supports_gradient_checkpointing", False)
    assert adapt._checkpoint_layers(model) is False
    assert not _checkpointing(model[0].auto_model)
    cached = adapt._contrastive_loss(model, checkpointed=False, mini_batch_size=2)
    assert isinstance(cached, CachedMultipleNegativesRankingLoss)
    batch = pair_batches(y, 16, 1, 1000, np.random.RandomState(0))[0]
    model.eval()  # no dropout, so both losses embed alike

    def loss_and_gradients(loss_fn):
        model.zero_grad()
        loss = loss_fn([model.preprocess([texts[a] for a, _ in batch]),
                        model.preprocess([texts[p] for _, p in batch])], None)
        loss.backward()
        return loss.item(), [p.grad.clone() for p in model.parameters() if p.grad is not None]

    whole_loss, whole = loss_and_gradients(adapt._contrastive_loss(model, checkpointed=True))
    cached_loss, via_cache = loss_and_gradients(cached)
    assert whole_loss > 0 and abs(cached_loss - whole_loss) < 1e-5  # float32 rounding of terms near 20
    assert len(whole) == len(via_cache) > 0
    largest = max(float(g.abs().max()) for g in whole)
    assert all(float((a - b).abs().max()) <= 1e-3 * largest for a, b in zip(whole, via_cache))


def test_model_trained_again_under_its_key_never_reads_the_old_vectors(small_banking, tmp_path, monkeypatch):
    """The key names the settings and labels, not the weights: a model trained again after its folder
    was deleted (or by another code path) must be embedded afresh, not served the old model's vectors."""
    import discovery.adapt as adapt

    frame, y, _ = small_banking
    texts = frame.text.tolist()
    settings = dict(max_steps=3, random_state=0, cache_dir=tmp_path)
    first = AdaptedEmbedder(**settings).fit(texts, y)
    old = first.transform(texts)
    shutil.rmtree(first.model_path_)
    in_order = adapt.pair_batches
    monkeypatch.setattr(adapt, "pair_batches", lambda *args: in_order(*args)[::-1])  # same key, other weights
    second = AdaptedEmbedder(**settings).fit(texts, y)
    assert second.trained_ and second.model_id == first.model_id
    fresh = SentenceEmbedder(str(second.model_path_), cache_dir=False, max_seq_length=second.reading_length_,
                             cap_to_saved_length=False).transform(texts)
    new = second.transform(texts)
    assert np.abs(new - old).max() > 1e-3
    np.testing.assert_allclose(new, fresh, atol=1e-5)


def test_adapted_model_reads_long_texts_as_far_as_its_base_model(small_banking, tmp_path):
    """Training reads 64 tokens a text (time, memory); embedding must read as far as the base model
    (256), or the ending of every long text, which the base model sees, is lost."""
    frame, y, _ = small_banking
    texts = frame.text.tolist()
    tail = " My card was also charged twice for the same coffee, please refund the duplicate payment."
    long_text = " ".join(texts[:6]) + tail * 2
    base = SentenceEmbedder(cache_dir=False)
    n_tokens = len(base._load().tokenizer(long_text)["input_ids"])
    assert n_tokens > 100  # longer than training reads, within what the base model reads

    def cut(text, n):  # the text as a reader of n tokens sees it
        tokenizer = base._load().tokenizer
        return tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"][:n - 2])

    adapted = AdaptedEmbedder(random_state=0, max_steps=3, cache_dir=tmp_path).fit(texts, y)
    assert adapted.reading_length_ == adapted.reading_length() == 256
    full, at_training_length = adapted.transform([long_text, cut(long_text, 64)])
    assert full @ at_training_length < 0.99  # the ending changed the vector: it was read

    # a model adapted when the base model read 128 tokens (or before that was recorded) reads as far as the base
    # model reads now: its vectors follow from its key, not from which run trained it
    meta_path = adapted.model_path_ / "adapted.json"
    meta = json.loads(meta_path.read_text())
    for legacy_meta in ({**meta, "base_max_seq_length": 128},
                        {k: v for k, v in meta.items() if k != "base_max_seq_length"}):
        meta_path.write_text(json.dumps(legacy_meta))
        legacy = AdaptedEmbedder(random_state=0, max_steps=3, cache_dir=tmp_path).fit(texts, y)
        assert not legacy.trained_ and legacy.reading_length_ == 256
    assert np.allclose(legacy.transform([long_text])[0], full, atol=1e-5)
