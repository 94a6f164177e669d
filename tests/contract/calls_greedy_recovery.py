"""Contract entries of loss-based OMP, sparse phase retrieval and fractional CD (sparsekit.learn.linear_model)."""

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


def ratio_problem():
    rng = np.random.default_rng(8)
    G = rng.standard_normal((30, 10))
    return G, G @ np.r_[1.0, -1.0, np.zeros(8)] + 0.01 * rng.standard_normal(30)


CALLS = {
    "loss_omp": Call(regression, dict(loss="sqrt-lasso"), force=dict(loss="sqrt-lasso", alpha=0.0, max_iter=1),
                     solution="x", homogeneous=("A", "y")),
    "sparse_phase_retrieval": Call(lambda: (*phaseless(), 2), force=dict(maxiter=1), solution="x",
                                   homogeneous=("A", "y")),
    "fractional_cd": Call(lambda: (*ratio_problem(), 2), force=dict(maxiter=1, rtol=0.0), solution="x"),
    "LossOMP": Call(corrupted_regression, dict(loss="lad", n_nonzero_coefs=3),
                    force=dict(loss="sqrt-lasso", alpha=0.0, max_iter=1), accepts=_AS_SKLEARN),
}
