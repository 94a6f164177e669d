"""Contract entries of sparse PCA, supervised and masked dictionary learning, and their two data generators."""

import numpy as np

from ._call import Call


def spiked():
    from sparsekit.datasets import make_spiked_covariance

    X, _, _ = make_spiked_covariance(40, 12, 2, cardinality=3, random_state=0)
    return (X,)


def labelled():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 6))
    return X, (X[:, 5] > 0).astype(int)


CALLS = {
    "make_spiked_covariance": Call(lambda: (40, 12, 2), dict(cardinality=3, random_state=0)),
    "make_hidden_direction_classification": Call(lambda: (60, 12), dict(random_state=0)),
    "sparse_pca": Call(lambda: (*spiked(), 2), dict(cardinality=3), force=dict(max_iter=1),
                       solution="components", sparse=("X",)),
    "SparsePCA": Call(spiked, dict(n_components=2, cardinality=3), force=dict(max_iter=1),
                      sparse=("X",), accepts={"X": ("object", "str")}),
    "supervised_dictionary_learning": Call(lambda: (*labelled(), 2), dict(random_state=0), force=dict(max_iter=1),
                                           solution="components", accepts={"y": ("object", "str")}),
    "SupervisedDictionaryLearning": Call(labelled, dict(n_components=2, random_state=0), force=dict(max_iter=1),
                                         accepts={"X": ("object", "str"), "y": ("object", "str")}),
    "masked_dictionary_learning": Call(lambda: (labelled()[0], 8), dict(n_nonzero_coefs=2, batch_size=20, max_epochs=20,
                                                                    tol=1e-2, random_state=0),
                                       force=dict(max_epochs=1), solution="components"),
    "MaskedDictionaryLearning": Call(lambda: (labelled()[0],), dict(n_components=8, n_nonzero_coefs=2, batch_size=20,
                                                                    max_epochs=20, tol=1e-2, random_state=0),
                                     force=dict(max_epochs=1), accepts={"X": ("object", "str")}),
}
