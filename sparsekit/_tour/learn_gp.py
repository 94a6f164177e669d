"""Tour rows for Vecchia Gaussian processes: VecchiaGaussianProcessRegressor vs scikit-learn's exact GP."""

import numpy as np
import scipy.sparse.linalg
from threadpoolctl import threadpool_limits

from sparsekit.learn.gaussian_process import VecchiaGaussianProcessRegressor, sparse_inverse_cholesky

from ._case import TourRow, tour_case

#: Exact draws (a dense Cholesky) up to this many points; Vecchia draws beyond.
EXACT_DRAW_LIMIT = 4000


def gp_kernel(d, length_scale=0.5, noise=0.01):
    """The benchmark kernel: ``ConstantKernel(1) * Matern(length_scale, nu=1.5) + WhiteKernel(noise)``."""
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    return ConstantKernel(1.0) * Matern(length_scale=length_scale, nu=1.5) + WhiteKernel(noise)


def gp_problem(n_train, n_test, d=5, seed=0, length_scale=0.5, noise=0.01):
    """``X, y, X_test, y_test, kernel``: uniform inputs in ``[0, 1]^d``, targets drawn from the GP of ``gp_kernel``.

    Up to ``EXACT_DRAW_LIMIT`` points the draw is exact; beyond, it is drawn from the Vecchia approximation with
    30 neighbours (``y = U⁻ᵀ z`` with the sparse factor ``U``), whose covariance is that of the GP up to the
    factor's KL error.
    """
    rng = np.random.default_rng(seed)
    kernel = gp_kernel(d, length_scale, noise)
    n = n_train + n_test
    X = rng.random((n, d))
    z = rng.standard_normal(n)
    if n <= EXACT_DRAW_LIMIT:
        y = np.linalg.cholesky(kernel(X) + 1e-10 * np.eye(n)) @ z
    else:
        res = sparse_inverse_cholesky(X, kernel, n_neighbors=30)
        order = res.order
        U = res.U.tocsr()[order][:, order]  # upper triangular in the maximin order
        y = np.empty(n)
        y[order] = scipy.sparse.linalg.spsolve_triangular(U.T.tocsr(), z, lower=True)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:], kernel


def rmse(model_mean, y):
    """Root mean squared error."""
    return float(np.sqrt(np.mean((model_mean - y) ** 2)))


def nlpd(mean, std, y):
    """Mean negative log predictive density of ``y`` under ``N(mean, std²)``."""
    return float(np.mean(0.5 * np.log(2 * np.pi * std**2) + 0.5 * ((y - mean) / std) ** 2))


def _fit_predict(model, X, y, X_test):
    model.fit(X, y)
    return model.predict(X_test, return_std=True)


@tour_case("learn.gp", "Vecchia GP vs scikit-learn's exact GaussianProcessRegressor (Matern-1.5, d=5)")
def tour_vecchia_vs_exact(ctx):
    with threadpool_limits(1):
        return _rows(ctx)


def _rows(ctx):
    n, n_test = (600, 300) if ctx.quick else (2000, 1000)
    X, y, Xt, yt, kernel = gp_problem(n, n_test)
    rows = []
    for label, optimizer in (("fixed", None), ("learnt", "fmin_l_bfgs_b")):
        if optimizer is not None and not ctx.quick:
            start = gp_kernel(5, length_scale=[1.0] * 5, noise=0.1)
        else:
            start = kernel
        ours = VecchiaGaussianProcessRegressor(start, optimizer=optimizer, normalize_y=True)
        (mean, std), seconds = ctx.timed(_fit_predict, ours, X, y, Xt)
        peer = peer_seconds = peer_value = None
        if ctx.has("sklearn") and (optimizer is None or ctx.quick):
            from sklearn.gaussian_process import GaussianProcessRegressor

            exact = GaussianProcessRegressor(start, optimizer=optimizer, normalize_y=True)
            (peer_mean, _), peer_seconds = ctx.timed(_fit_predict, exact, X, y, Xt)
            peer, peer_value = f"sklearn GaussianProcessRegressor ({label})", rmse(peer_mean, yt)
        rows.append(TourRow(problem=f"GP draw, d=5, Matern-1.5, {label} hyperparameters",
                            method="VecchiaGaussianProcessRegressor", size=f"{n} train / {n_test} test",
                            seconds=seconds, metric="test RMSE", value=rmse(mean, yt), peer=peer,
                            peer_seconds=peer_seconds, peer_value=peer_value))
    return rows


def moons_log_loss(proba, y):
    """Mean log-loss of the probabilities of class 1."""
    p = np.clip(proba[:, 1], 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


@tour_case("learn.gp", "Vecchia GP classifier vs scikit-learn's GaussianProcessClassifier (two moons)")
def tour_vecchia_classifier(ctx):
    from sklearn.datasets import make_moons
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    from sparsekit.learn.gaussian_process import VecchiaGaussianProcessClassifier

    n = 400 if ctx.quick else 2000
    X, y = make_moons(n, noise=0.2, random_state=0)
    Xt, yt = make_moons(2000, noise=0.2, random_state=1)
    kernel = ConstantKernel(1.0) * RBF(1.0)
    with threadpool_limits(1):
        ours = VecchiaGaussianProcessClassifier(kernel)
        proba, seconds = ctx.timed(lambda: ours.fit(X, y).predict_proba(Xt))
        peer = peer_seconds = peer_value = None
        if ctx.has("sklearn"):
            from sklearn.gaussian_process import GaussianProcessClassifier

            exact = GaussianProcessClassifier(kernel)
            peer_proba, peer_seconds = ctx.timed(lambda: exact.fit(X, y).predict_proba(Xt))
            peer, peer_value = "sklearn GaussianProcessClassifier", moons_log_loss(peer_proba, yt)
    return [TourRow(problem="two moons (noise 0.2), learnt hyperparameters", method="VecchiaGaussianProcessClassifier",
                    size=f"{n} train / 2000 test", seconds=seconds, metric="test log-loss",
                    value=moons_log_loss(proba, yt), peer=peer, peer_seconds=peer_seconds, peer_value=peer_value)]


@tour_case("learn.gp", "Sparse-within-sparse GP (SWSGP) vs scikit-learn's exact GaussianProcessRegressor")
def tour_swsgp_vs_exact(ctx):
    from sparsekit.learn.gaussian_process import SparseWithinSparseGaussianProcessRegressor

    n, n_test = (400, 200) if ctx.quick else (2000, 1000)
    X, y, Xt, yt, kernel = gp_problem(n, n_test)
    with threadpool_limits(1):
        ours = SparseWithinSparseGaussianProcessRegressor(kernel, n_inducing=n, n_neighbors=15, optimizer=None,
                                                          kl_weight="inducing", normalize_y=True, random_state=0,
                                                          max_iter=10 if ctx.quick else 200)
        (mean, _), seconds = ctx.timed(_fit_predict, ours, X, y, Xt)
        peer = peer_seconds = peer_value = None
        if ctx.has("sklearn"):
            from sklearn.gaussian_process import GaussianProcessRegressor

            exact = GaussianProcessRegressor(kernel, optimizer=None, normalize_y=True)
            (peer_mean, _), peer_seconds = ctx.timed(_fit_predict, exact, X, y, Xt)
            peer, peer_value = "sklearn GaussianProcessRegressor (fixed)", rmse(peer_mean, yt)
    return [TourRow(problem="GP draw, d=5, Matern-1.5, fixed hyperparameters",
                    method="SWSGP (M = n, H = 15, KL x M/H)",
                    size=f"{n} train / {n_test} test", seconds=seconds, metric="test RMSE", value=rmse(mean, yt),
                    peer=peer, peer_seconds=peer_seconds, peer_value=peer_value)]
