"""SparseWithinSparseGaussianProcessRegressor and swsgp_fit: ELBO gradients, limits, accuracy, conformance."""

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit import ConvergenceWarning
from sparsekit.learn.gaussian_process import SparseWithinSparseGaussianProcessRegressor, swsgp_fit
from sparsekit.learn.gaussian_process._swsgp import SWSGPState
from sparsekit.learn.gaussian_process._swsgp_model import (
    elbo_batch,
    nearest_inducing,
    pattern_index,
    pattern_of,
    split_noise,
)

SMALL = dict(n_inducing=30, n_neighbors=5, batch_size=20, max_iter=30, tol=1e-3, random_state=0)


@parametrize_with_checks([SparseWithinSparseGaussianProcessRegressor(**dict(SMALL, n_inducing=300))])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _data(rng, n=300, d=2, noise=0.05):
    X = rng.random((n, d))
    return X, np.sin(6 * X[:, 0]) + X[:, 1] ** 2 + noise * rng.standard_normal(n)


KERNEL = ConstantKernel(1.0) * Matern(0.4, nu=1.5) + WhiteKernel(0.01)


@pytest.mark.parametrize("kernel", [ConstantKernel(1.3) * Matern([0.4, 0.6], nu=1.5) + WhiteKernel(0.05),
                                    WhiteKernel(0.05) + RBF(0.2) * ConstantKernel(0.7),
                                    Matern(0.5, nu=2.5)])
@pytest.mark.parametrize("kl_weight", [1.0, 4.0])
def test_elbo_gradient_matches_finite_differences(rng, kernel, kl_weight):
    X, y = _data(rng, n=60)
    M, H = 25, 6
    Z = X[:M]
    latent, white, white_first = split_noise(kernel)
    neighbors = nearest_inducing(Z, X, np.ones(2), H)
    pattern = pattern_of(neighbors, M)
    state = SWSGPState(X=X, y=y, Z=Z, neighbors=neighbors, index=pattern_index(pattern, neighbors, M),
                       m=rng.standard_normal(M), raw=0.3 * rng.standard_normal(pattern.size),
                       is_diagonal=(pattern // M) == (pattern % M), latent=latent, white=white,
                       white_first=white_first, alpha=1e-3, jitter=1e-6, kl_weight=kl_weight)
    batch = np.arange(0, 60, 3)
    _, sparse_m, sparse_raw, grad_theta = elbo_batch(state, batch, eval_gradient=True)
    grad_m, grad_raw = np.zeros(M), np.zeros(pattern.size)
    grad_m[sparse_m[0]], grad_raw[sparse_raw[0]] = sparse_m[1], sparse_raw[1]
    eps = 1e-6

    def central(array, i):
        old = array[i]
        array[i] = old + eps
        up = elbo_batch(state, batch)
        array[i] = old - eps
        down = elbo_batch(state, batch)
        array[i] = old
        return (up - down) / (2 * eps)

    for array, grad in ((state.m, grad_m), (state.raw, grad_raw)):
        numeric = np.array([central(array, i) for i in range(array.size)])
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5 * np.abs(numeric).max())
    theta, numeric = kernel.theta.copy(), []
    for i in range(theta.size):
        values = []
        for sign in (1, -1):
            shifted = theta.copy()
            shifted[i] += sign * eps
            state.set_theta(kernel, shifted)
            values.append(elbo_batch(state, batch))
        numeric.append((values[0] - values[1]) / (2 * eps))
    np.testing.assert_allclose(grad_theta, numeric, rtol=1e-5)


def test_pattern_holds_every_pair_of_a_neighbourhood(rng):
    X, _ = _data(rng, n=80)
    neighbors = nearest_inducing(X[:20], X, np.ones(2), 4)
    assert np.all(np.diff(neighbors, axis=1) > 0)
    pattern = pattern_of(neighbors, 20)
    assert np.all(pattern_index(pattern, neighbors, 20) >= 0)
    distances = ((X[:, None, :] - X[None, :20, :]) ** 2).sum(axis=2)
    brute = np.sort(np.argsort(distances, axis=1, kind="stable")[:, :4], axis=1)
    np.testing.assert_array_equal(neighbors, brute)


def test_all_inducing_neighbours_close_to_the_exact_gp(rng):
    X = rng.random((150, 1))
    y = np.sin(6 * X[:, 0]) + 0.05 * rng.standard_normal(150)
    Xt = np.linspace(0, 1, 40)[:, None]
    exact = GaussianProcessRegressor(KERNEL, optimizer=None, normalize_y=True).fit(X, y)
    ours = SparseWithinSparseGaussianProcessRegressor(KERNEL, n_inducing=30, n_neighbors=30, optimizer=None,
                                                      normalize_y=True, kl_weight="inducing", learning_rate=0.05,
                                                      batch_size=50, random_state=0).fit(X, y)
    assert ours.converged_
    mean, std = ours.predict(Xt, return_std=True)
    mean_ref, std_ref = exact.predict(Xt, return_std=True)
    assert np.max(np.abs(mean - mean_ref)) < 0.05 * np.ptp(mean_ref)
    np.testing.assert_allclose(std, std_ref, rtol=0.2)


def test_recovery_in_two_dimensions_with_learnt_hyperparameters(rng):
    X, y = _data(rng, n=600)
    Xt, yt = _data(rng, n=300)
    start = ConstantKernel(1.0) * Matern([1.0, 1.0], nu=1.5) + WhiteKernel(0.1)
    exact = GaussianProcessRegressor(KERNEL, optimizer=None, normalize_y=True).fit(X, y)
    ours = SparseWithinSparseGaussianProcessRegressor(start, n_inducing=300, n_neighbors=15, normalize_y=True,
                                                      kl_weight="inducing", learning_rate=0.05,
                                                      random_state=0).fit(X, y)
    assert ours.converged_ and ours.n_iter_ == ours.elbo_history_.size
    rmse = np.sqrt(np.mean((ours.predict(Xt) - yt) ** 2))
    rmse_ref = np.sqrt(np.mean((exact.predict(Xt) - yt) ** 2))
    assert rmse <= 1.2 * rmse_ref
    assert 0.0005 < ours.kernel_.k2.noise_level < 0.05  # the true noise variance is 0.0025 (normalised ~0.005)


def test_joint_covariance_and_draws_agree_with_the_marginals(rng):
    X, y = _data(rng, n=200)
    ours = SparseWithinSparseGaussianProcessRegressor(KERNEL, **SMALL).fit(X, y)
    Xt = rng.random((50, 2))
    mean, std = ours.predict(Xt, return_std=True)
    mean_cov, cov = ours.predict(Xt, return_cov=True)
    np.testing.assert_allclose(mean_cov, mean)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), std, rtol=1e-10)
    assert np.linalg.eigvalsh(cov).min() > -1e-10
    draws = ours.sample_y(Xt, n_samples=4000, random_state=1)
    np.testing.assert_allclose(draws.mean(axis=1), mean, atol=5 * std.max() / np.sqrt(4000))
    np.testing.assert_allclose(np.cov(draws), cov, atol=0.1 * cov.max())


def test_iteration_budget_warns_and_reports(rng):
    X, y = _data(rng, n=100)
    with pytest.warns(ConvergenceWarning, match="swsgp_fit"):
        res = swsgp_fit(X, y, KERNEL, n_inducing=20, n_neighbors=5, max_iter=1, random_state=0)
    assert not res.converged and res.n_iter == 1 and res.elbo_history.size == 1


def test_duplicated_inputs_give_finite_predictions(rng):
    X, y = _data(rng, n=60)
    X, y = np.concatenate((X, X)), np.concatenate((y, y + 0.01))
    ours = SparseWithinSparseGaussianProcessRegressor(Matern(0.4, nu=1.5), **SMALL).fit(X, y)
    assert ours.Z_.shape[0] == np.unique(ours.Z_, axis=0).shape[0]
    mean, std = ours.predict(X, return_std=True)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std >= 0)


def test_same_seed_same_fit(rng):
    X, y = _data(rng, n=100)
    first = SparseWithinSparseGaussianProcessRegressor(KERNEL, **SMALL).fit(X, y)
    second = SparseWithinSparseGaussianProcessRegressor(KERNEL, **SMALL).fit(X, y)
    np.testing.assert_array_equal(first.m_, second.m_)
    np.testing.assert_array_equal(first.elbo_history_, second.elbo_history_)


def test_kmeans_inducing_inputs(rng):
    X, y = _data(rng, n=200)
    ours = SparseWithinSparseGaussianProcessRegressor(KERNEL, inducing_init="kmeans", **SMALL).fit(X, y)
    assert ours.Z_.shape == (30, 2) and not np.any(np.all(ours.Z_[:, None] == X[None], axis=2))


def test_errors_name_the_argument(rng):
    X, y = _data(rng, n=50)
    with pytest.raises(TypeError, match="kernel"):
        SparseWithinSparseGaussianProcessRegressor(kernel=lambda a, b: a @ b.T).fit(X, y)
    with pytest.raises(TypeError, match="kernel"):
        swsgp_fit(X, y, "rbf")
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X"):
        SparseWithinSparseGaussianProcessRegressor(KERNEL, **SMALL).fit(bad, y)
    with pytest.raises(ValueError, match="y"):
        swsgp_fit(X, np.where(np.arange(50) == 2, np.inf, y), KERNEL)
    with pytest.raises(ValueError, match="n_neighbors"):
        swsgp_fit(X, y, KERNEL, n_neighbors=0)
    fitted = SparseWithinSparseGaussianProcessRegressor(KERNEL, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="X"):
        fitted.predict(bad)
    with pytest.raises(RuntimeError, match="return_std"):
        fitted.predict(X, return_std=True, return_cov=True)


def test_dask_prediction_is_chunked_and_equal(rng):
    da = pytest.importorskip("dask.array")
    X, y = _data(rng, n=200)
    model = SparseWithinSparseGaussianProcessRegressor(KERNEL, **SMALL).fit(X, y)
    Xt = rng.random((250, 2))
    mean, std = model.predict(da.from_array(Xt, chunks=(60, 2)), return_std=True)
    assert mean.chunks == ((60, 60, 60, 60, 10),)
    mean_ref, std_ref = model.predict(Xt, return_std=True)
    np.testing.assert_allclose(mean.compute(), mean_ref, rtol=1e-12)
    np.testing.assert_allclose(std.compute(), std_ref, rtol=1e-12)
    with pytest.raises(ValueError, match="return_cov"):
        model.predict(da.from_array(Xt, chunks=100), return_cov=True)
