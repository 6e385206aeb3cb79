"""Fine-tuning only the top layers: the cached bottom states embed as the whole model does, and
training changes the top layers alone."""

import numpy as np
import pytest
import torch

from discovery.adapt import AdaptedEmbedder, resolve_trainable_layers
from discovery.embed import SentenceEmbedder
from discovery.errors import InputError
from discovery.top_layers import TopLayers, layer_stack


@pytest.mark.parametrize("trainable", [1, 3, 5])
def test_cached_bottom_states_embed_as_the_whole_model_does(small_banking, trainable):
    frame, _, X_frozen = small_banking
    texts = frame.text.tolist()[:40]
    model = SentenceEmbedder(cache_dir=False)._load()
    top = TopLayers(model, trainable)
    top.cache_bottom_states(texts, range(len(texts)))
    model.eval()
    with torch.no_grad():
        X = top({"rows": torch.arange(len(texts))})["sentence_embedding"].numpy()
    assert np.abs(X - X_frozen[:40]).max() < 1e-5
    # the stack split one layer lower reads states that are not its input
    top.n_frozen -= 1
    with torch.no_grad():
        shifted = top({"rows": torch.arange(len(texts))})["sentence_embedding"].numpy()
    assert np.abs(shifted - X_frozen[:40]).max() > 1e-3


def test_only_the_top_layers_change_and_the_model_learns(small_banking, tmp_path):
    from safetensors.numpy import load_file

    frame, y, X_frozen = small_banking
    texts = frame.text.tolist()
    adapted = AdaptedEmbedder(random_state=0, cache_dir=tmp_path, trainable_layers=2).fit(texts, y)
    assert adapted.trained_ and adapted.trainable_layers_ == 2 and adapted.n_steps_ > 0
    trained = load_file(adapted.model_path_ / "model.safetensors")
    base_model = SentenceEmbedder(cache_dir=False)._load()
    base = {name: value.numpy() for name, value in base_model[0].auto_model.state_dict().items()}
    changed = {name for name, value in trained.items() if not np.array_equal(value, base[name])}
    top = {name for name in trained if name.startswith(("encoder.layer.4.", "encoder.layer.5."))}
    assert changed and changed <= top  # embeddings and layers 0-3 exactly as they were
    # unlabeled rows of the labeled intents sit closer to their class than before
    known = sorted(frame.true_label[y >= 0].unique())
    truth = np.array([known.index(t) if t in known else -1 for t in frame.true_label])
    rows = np.flatnonzero((y < 0) & (truth >= 0))
    X = adapted.transform(texts)

    def center_accuracy(vectors):
        centers = np.stack([vectors[y == c].mean(0) for c in range(y.max() + 1)])
        return np.mean((vectors[rows] @ centers.T).argmax(1) == truth[rows])

    assert center_accuracy(X) > center_accuracy(X_frozen)


def test_auto_trains_every_layer_of_the_default_model_under_its_old_key(small_banking, tmp_path):
    frame, y, _ = small_banking
    texts = frame.text.tolist()
    base = SentenceEmbedder(cache_dir=False)
    assert len(layer_stack(base._load())) == 6
    assert resolve_trainable_layers("auto", base) is None and resolve_trainable_layers("all", base) is None
    assert resolve_trainable_layers(6, base) is None and resolve_trainable_layers(4, base) == 4
    settings = dict(random_state=0, cache_dir=tmp_path, max_steps=1)
    auto = AdaptedEmbedder(**settings).fit(texts, y)
    assert auto.trainable_layers_ is None
    assert AdaptedEmbedder(trainable_layers="all", **settings).fit(texts, y).model_id == auto.model_id
    assert not AdaptedEmbedder(trainable_layers="all", **settings).fit(texts, y).trained_  # same model, from the cache
    assert AdaptedEmbedder(trainable_layers=3, **settings).fit(texts, y).model_id != auto.model_id


@pytest.mark.parametrize("setting", [0, -2, "some", 2.5, True])
def test_a_meaningless_layer_count_is_refused_in_words(setting):
    with pytest.raises(InputError, match="'auto', 'all' or a positive whole number"):
        resolve_trainable_layers(setting, SentenceEmbedder(cache_dir=False))


def test_the_run_records_how_many_layers_it_fine_tuned(small_banking, tmp_path, monkeypatch):
    import functools

    import discovery.pipeline as pipeline
    from discovery.pipeline import DiscoveryConfig, fit_embedder

    # what is recorded, not what is learned: two steps of training say as much as a whole plan
    monkeypatch.setattr(pipeline, "AdaptedEmbedder", functools.partial(AdaptedEmbedder, max_steps=2))
    frame, y, _ = small_banking
    known = sorted(frame.true_label[y >= 0].unique())
    y = np.full(len(frame), -1)  # 12 labeled rows an intent: enough to adapt with one fold held out
    for code, intent in enumerate(known):
        y[np.flatnonzero(frame.true_label.to_numpy() == intent)[:12]] = code
    embedder = fit_embedder(frame.text.tolist(), y, DiscoveryConfig(adapt_layers=2, cache_dir=str(tmp_path)))
    assert embedder.adaptation_check_["layers_trained"] == 2
    default = fit_embedder(frame.text.tolist(), y, DiscoveryConfig(cache_dir=str(tmp_path)))
    assert default.adaptation_check_["layers_trained"] == "all"
