"""Contract entries of the coordinate-descent family: ``linalg.greedy_bcd`` and the estimators built on it."""

from ._call import Call

_AS_SKLEARN = {"X": ("object", "str"), "y": ("object", "str")}


def regression():
    from sparsekit.datasets import make_sparse_regression

    A, y, _, _ = make_sparse_regression(20, 30, 3, snr_db=30, random_state=0)
    return A, y


CALLS = {
    "greedy_bcd": Call(regression, dict(alpha=0.01), force=dict(max_iter=1, max_epochs=1, active_set=False, tol=1e-15), solution="x",
                       sparse=("A",)),
    "GreedyLasso": Call(regression, dict(alpha=0.01), force=dict(max_iter=1, tol=1e-15, rule="cyclic"),
                        accepts=_AS_SKLEARN),
}
