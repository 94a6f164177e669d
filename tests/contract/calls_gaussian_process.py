"""Contract entries of sparsekit.learn.gaussian_process: one small, valid call of each public name."""

import numpy as np

from ._call import Call


def gp_points():
    rng = np.random.default_rng(11)
    return (rng.random((40, 2)),)


def gp_data():
    rng = np.random.default_rng(12)
    X = rng.random((40, 2))
    return X, np.sin(4 * X[:, 0]) + X[:, 1] + 0.05 * rng.standard_normal(40)


def _kernel():
    from sklearn.gaussian_process.kernels import Matern, WhiteKernel

    return Matern(0.5, nu=1.5) + WhiteKernel(0.01)


def _order():
    (X,) = gp_points()
    return X, np.random.default_rng(0).permutation(40)


def gp_labels():
    rng = np.random.default_rng(13)
    X = rng.random((40, 2))
    return X, (X[:, 0] + 0.2 * rng.standard_normal(40) > 0.5).astype(np.int64)


def _class_kernel():
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    return ConstantKernel(4.0) * RBF(0.3)


_AS_SKLEARN = {"X": ("object", "str"), "y": ("object", "str")}

CALLS = {
    "maximin_ordering": Call(gp_points),
    "nearest_earlier_neighbors": Call(_order, dict(n_neighbors=5)),
    "sparse_inverse_cholesky": Call(lambda: (*gp_points(), _kernel()), dict(n_neighbors=5), solution="U"),
    "vecchia_gp_fit": Call(lambda: (*gp_data(), _kernel()), dict(n_neighbors=5, max_iter=50),
                           force=dict(max_iter=1), solution="theta"),
    "VecchiaGaussianProcessRegressor": Call(gp_data, dict(kernel=_kernel(), n_neighbors=5, n_neighbors_predict=10,
                                                           max_iter=50),
                                            force=dict(max_iter=1), accepts=_AS_SKLEARN),
    "vecchia_laplace_fit": Call(lambda: (*gp_labels(), _class_kernel()), dict(n_neighbors=5, max_iter=50),
                                force=dict(max_iter=1), solution="theta"),
    "VecchiaGaussianProcessClassifier": Call(gp_labels, dict(kernel=_class_kernel(), n_neighbors=5,
                                                             n_neighbors_predict=10, max_iter=50),
                                             force=dict(max_iter=1), accepts=_AS_SKLEARN),
}
