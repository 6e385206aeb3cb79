import numpy as np

from discovery.fill import BlendFill, ClassifierFill, KNNFill, PropagationFill, estimate_accuracy, holdout_folds, knn_graph


def known_rows(frame, y):
    names = sorted(frame.true_label[y >= 0].unique())
    truth = frame.true_label.map({n: i for i, n in enumerate(names)}).fillna(-1).astype(int).to_numpy()
    return truth, (y < 0) & (truth >= 0)


def test_knn_graph_is_sparse_symmetric_and_small(small_banking):
    _, _, X = small_banking
    graph = knn_graph(X, k=10)
    assert (graph != graph.T).nnz == 0
    assert graph.nnz <= 2 * 10 * len(X)
    assert graph.diagonal().sum() == 0


def test_each_method_labels_real_texts_well(small_banking):
    frame, y, X = small_banking
    truth, rows = known_rows(frame, y)
    for method in (KNNFill(), PropagationFill(), ClassifierFill(), BlendFill()):
        dist = method.fit(X, y, n_classes=5).label_distributions_
        assert np.allclose(dist.sum(1), 1)
        accuracy = np.mean(dist[rows].argmax(1) == truth[rows])
        assert accuracy > 0.85, (method, accuracy)


def test_blend_is_the_mean_of_spreading_and_the_classifier(small_banking):
    frame, y, X = small_banking
    graph = knn_graph(X, k=15)
    spreading = PropagationFill().fit(X, y, n_classes=5, graph=graph).label_distributions_
    classifier = ClassifierFill().fit(X, y, n_classes=5).label_distributions_
    blend = BlendFill().fit(X, y, n_classes=5, graph=graph).label_distributions_
    assert np.allclose(blend, (spreading + classifier) / 2)
    truth, rows = known_rows(frame, y)
    accuracy = {name: np.mean(dist[rows].argmax(1) == truth[rows])
                for name, dist in (("spreading", spreading), ("classifier", classifier), ("blend", blend))}
    assert accuracy["blend"] >= min(accuracy["spreading"], accuracy["classifier"]), accuracy


def test_accuracy_estimate_tracks_the_truth(small_banking):
    frame, y, X = small_banking
    truth, rows = known_rows(frame, y)
    method = PropagationFill()
    estimate = estimate_accuracy(method, X, y, 5)
    measured = np.mean(method.fit(X, y, n_classes=5).label_distributions_[rows].argmax(1) == truth[rows])
    assert abs(estimate - measured) < 0.1


def test_holdout_never_hides_a_class_s_last_label():
    y = np.array([0, 0, 0, 1, 1, 2, -1, -1])
    folds = holdout_folds(y, n_folds=5)
    assert folds[5] == -1 and (folds[6:] == -1).all()
    for fold in range(folds.max() + 1):
        kept = y[(folds != fold) & (y >= 0)]
        assert set(kept) == {0, 1, 2}


def test_no_estimate_without_enough_labels(small_banking):
    _, _, X = small_banking
    y = np.full(len(X), -1)
    y[0] = 0
    assert estimate_accuracy(KNNFill(), X, y, 1) is None
