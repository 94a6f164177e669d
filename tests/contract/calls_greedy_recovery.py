"""Contract entries of loss-based OMP and sparse phase retrieval (sparsekit.learn.linear_model)."""

import numpy as np

from ._call import Call
from .calls import _AS_SKLEARN, regression


def corrupted_regression():
    A, y = regression()
    y = y.copy()
    y[:2] += 5.0
    return A, y


def phaseless():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((60, 12))
    x = np.zeros(12)
    x[[2, 7]] = [1.0, -0.7]
    return A, (A @ x) ** 2


CALLS = {
    "loss_omp": Call(regression, dict(loss="sqrt-lasso"), force=dict(loss="sqrt-lasso", alpha=0.0, max_iter=1),
                     solution="x", homogeneous=("A", "y")),
    "sparse_phase_retrieval": Call(lambda: (*phaseless(), 2), force=dict(maxiter=1), solution="x",
                                   homogeneous=("A", "y")),
    "LossOMP": Call(corrupted_regression, dict(loss="lad", n_nonzero_coefs=3),
                    force=dict(loss="sqrt-lasso", alpha=0.0, max_iter=1), accepts=_AS_SKLEARN),
}
