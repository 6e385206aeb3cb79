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
