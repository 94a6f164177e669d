"""Contract entries of sparse PCA, supervised and masked dictionary learning, and the spiked-covariance generator."""

from ._call import Call


def spiked():
    from sparsekit.datasets import make_spiked_covariance

    X, _, _ = make_spiked_covariance(40, 12, 2, cardinality=3, random_state=0)
    return (X,)


CALLS = {
    "make_spiked_covariance": Call(lambda: (40, 12, 2), dict(cardinality=3, random_state=0)),
    "sparse_pca": Call(lambda: (*spiked(), 2), dict(cardinality=3), force=dict(max_iter=1),
                       solution="components", sparse=("X",)),
    "SparsePCA": Call(spiked, dict(n_components=2, cardinality=3), force=dict(max_iter=1),
                      sparse=("X",), accepts={"X": ("object", "str")}),
}
