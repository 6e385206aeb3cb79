import numpy as np

from discovery.metrics import clustering_scores
from discovery.pipeline import neighbour_vote


def test_neighbour_vote_puts_held_out_texts_in_their_intent_s_cluster(small_banking):
    """Fit on every other real text; the held-out half joins the cluster of its intent."""
    frame, y, X = small_banking
    truth = frame.true_label.to_numpy()
    fitted, new = np.arange(0, len(X), 2), np.arange(1, len(X), 2)
    intent_ids = {name: i for i, name in enumerate(sorted(set(truth)))}
    clusters = np.array([intent_ids[name] for name in truth[fitted]])
    votes = neighbour_vote(X[fitted], clusters, X[new])
    assert clustering_scores(truth[new], votes)["acc"] > 85
    assert neighbour_vote(X[fitted], clusters, X[:0]).shape == (0,)


def test_adaptation_is_dropped_only_when_the_base_model_is_clearly_better():
    from discovery.pipeline import adaptation_helps

    rng = np.random.RandomState(0)
    both = rng.rand(200) < 0.8
    # banking 1.0 seed 2: the base model right on 2 more held-out rows of 209; noise, not evidence
    base, adapted = both.copy(), both.copy()
    flip = np.flatnonzero(~both)
    base[flip[:11]] = True
    adapted[flip[11:20]] = True
    assert base.sum() - adapted.sum() == 2
    assert adaptation_helps(base, adapted)
    # the base model right on 15 rows the adapted one misses, against 2 the other way: overfitting
    base, adapted = both.copy(), both.copy()
    base[flip[:15]] = True
    adapted[flip[15:17]] = True
    assert not adaptation_helps(base, adapted)
    assert adaptation_helps(both, both)


def test_fill_in_prefers_the_balanced_proposal_unless_another_is_clearly_better():
    from discovery.pipeline import choose_fill_method

    rng = np.random.RandomState(1)
    base = rng.rand(300) < 0.85
    wrong = np.flatnonzero(~base)
    slightly, clearly = base.copy(), base.copy()
    slightly[wrong[:4]] = True  # right on 4 rows the default misses, wrong on 2 it gets: z = 0.8, noise
    slightly[np.flatnonzero(base)[:2]] = False
    clearly[wrong[:25]] = True
    assert choose_fill_method({"knn": slightly, "blend": base, "balanced": base}) == "balanced"
    assert choose_fill_method({"knn": clearly, "blend": slightly, "balanced": base}) == "knn"
    assert choose_fill_method({"classifier": base, "blend": base}) == "blend"
    assert choose_fill_method({"blend": None}) is None


def test_balancing_is_skipped_when_candidates_hold_many_rows_or_rows_are_few(small_banking):
    """Rows of new categories outside candidate clusters would take known classes' shares, and a
    handful of rows per class has no class shares to match."""
    from discovery.pipeline import fill_in

    _, y, X = small_banking
    unlabeled = np.flatnonzero(y < 0)
    few, many = np.zeros(len(y), dtype=bool), np.zeros(len(y), dtype=bool)
    few[unlabeled[:2]] = True
    many[unlabeled[:60]] = True
    methods = ("blend", "balanced")
    assert "balanced" in fill_in(X, y, 5, methods, 0, 10, candidate_rows=few).distributions
    skipped = fill_in(X, y, 5, methods, 0, 10, candidate_rows=many)
    assert set(skipped.distributions) == {"blend"} and skipped.best == "blend"
    assert "balanced" not in fill_in(X[:60], y[:60], 5, methods, 0, 10).distributions  # 48 unlabeled rows, 5 classes
