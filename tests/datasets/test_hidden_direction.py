"""make_hidden_direction_classification: the label follows a weak topic that the leading principal components miss."""

import numpy as np

from sparsekit.datasets import make_hidden_direction_classification


def test_label_is_linear_in_the_data_but_not_in_the_top_components():
    X, y, topics = make_hidden_direction_classification(3000, 60, random_state=0)
    assert X.shape == (3000, 60) and topics.shape == (60, 10) and X.min() >= 0
    np.testing.assert_allclose(np.linalg.norm(topics, axis=0), 1.0)
    Xc = X - X.mean(axis=0)
    target = y - y.mean()

    def explained(F):  # fraction of the label's variance that least squares on F explains
        coef = np.linalg.lstsq(F, target, rcond=None)[0]
        return 1 - np.sum((target - F @ coef) ** 2) / np.sum(target**2)

    top = np.linalg.svd(Xc, full_matrices=False)[2][:5].T
    assert explained(Xc @ top) < 0.02
    assert explained(Xc) > 0.2


def test_no_signal_gives_labels_independent_of_the_data():
    X, y, _ = make_hidden_direction_classification(4000, 30, signal=0.0, random_state=1)
    assert abs(y.mean() - 0.5) < 0.03
    assert np.max(np.abs(np.corrcoef(np.column_stack([X, y]).T)[-1, :-1])) < 0.1


def test_float32():
    X, y, topics = make_hidden_direction_classification(20, 6, dtype="float32", random_state=0)
    assert X.dtype == np.float32 and topics.dtype == np.float32 and y.dtype.kind == "i"
