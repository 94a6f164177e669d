"""Contract entries of the SWSGP part of sparsekit.learn.gaussian_process."""

import numpy as np

from ._call import Call


def swsgp_data():
    rng = np.random.default_rng(14)
    X = rng.random((40, 2))
    return X, np.sin(4 * X[:, 0]) + X[:, 1] + 0.05 * rng.standard_normal(40)


def _kernel():
    from sklearn.gaussian_process.kernels import Matern, WhiteKernel

    return Matern(0.5, nu=1.5) + WhiteKernel(0.01)


_AS_SKLEARN = {"X": ("object", "str"), "y": ("object", "str")}
_SMALL = dict(n_inducing=20, n_neighbors=5, batch_size=10, max_iter=100, random_state=0)

CALLS = {
    "swsgp_fit": Call(lambda: (*swsgp_data(), _kernel()), dict(_SMALL, tol=1e-2), force=dict(max_iter=1),
                      solution="m"),
    "SparseWithinSparseGaussianProcessRegressor": Call(swsgp_data, dict(_SMALL, kernel=_kernel(), tol=1e-2),
                                                       force=dict(max_iter=1), accepts=_AS_SKLEARN),
}
