"""VecchiaGaussianProcessRegressor and vecchia_gp_fit: exactness limits, accuracy, duplicates, conformance."""

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit import ConvergenceWarning
from sparsekit.learn.gaussian_process import VecchiaGaussianProcessRegressor, vecchia_gp_fit

EXPECTED_FAILURES = {
    # scikit-learn's default kernel, ours too, has only fixed hyperparameters: nothing is optimised, n_iter_ = 0
    "check_non_transformer_estimators_n_iter": "the default kernel has no free hyperparameter: n_iter_ is 0",
}


@parametrize_with_checks([VecchiaGaussianProcessRegressor(n_neighbors=5, n_neighbors_predict=10)],
                         expected_failed_checks=lambda estimator: EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _data(rng, n=300, d=2, noise=0.05):
    X = rng.random((n, d))
    return X, np.sin(6 * X[:, 0]) + X[:, 1] ** 2 + noise * rng.standard_normal(n)


KERNEL = ConstantKernel(1.0) * Matern(0.4, nu=1.5) + WhiteKernel(0.01)


def test_all_neighbours_reproduce_the_exact_gp(rng):
    X, y = _data(rng, n=120)
    Xt = rng.random((30, 2))
    exact = GaussianProcessRegressor(KERNEL, optimizer=None, normalize_y=True).fit(X, y)
    ours = VecchiaGaussianProcessRegressor(KERNEL, optimizer=None, normalize_y=True, n_neighbors=200,
                                           n_neighbors_predict=200).fit(X, y)
    mean, std = ours.predict(Xt, return_std=True)
    mean_ref, std_ref = exact.predict(Xt, return_std=True)
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(std, std_ref, rtol=1e-6)
    assert ours.log_marginal_likelihood_value_ == pytest.approx(exact.log_marginal_likelihood_value_, rel=1e-9)
    ll, gradient = ours.log_marginal_likelihood(KERNEL.theta, eval_gradient=True)
    ll_ref, gradient_ref = exact.log_marginal_likelihood(KERNEL.theta, eval_gradient=True)
    np.testing.assert_allclose(gradient, gradient_ref, rtol=1e-7, atol=1e-8)
    mean_cov, cov = ours.predict(Xt, return_cov=True)
    np.testing.assert_allclose(cov, exact.predict(Xt, return_cov=True)[1], atol=1e-8)
    np.testing.assert_allclose(mean_cov, mean_ref, atol=1e-7)


def test_fixed_hyperparameters_close_to_exact_with_few_neighbours(rng):
    X, y = _data(rng, n=1500, d=3)
    Xt, yt = _data(rng, n=400, d=3)
    exact = GaussianProcessRegressor(KERNEL, optimizer=None, normalize_y=True).fit(X, y)
    ours = VecchiaGaussianProcessRegressor(KERNEL, optimizer=None, normalize_y=True).fit(X, y)
    rmse = np.sqrt(np.mean((ours.predict(Xt) - yt) ** 2))
    rmse_ref = np.sqrt(np.mean((exact.predict(Xt) - yt) ** 2))
    assert rmse <= 1.02 * rmse_ref


def test_learnt_hyperparameters_close_to_exact_lbfgs(rng):
    X, y = _data(rng, n=400)
    Xt, yt = _data(rng, n=300)
    start = ConstantKernel(1.0) * Matern([1.0, 1.0], nu=1.5) + WhiteKernel(0.1)
    exact = GaussianProcessRegressor(start, normalize_y=True).fit(X, y)
    ours = VecchiaGaussianProcessRegressor(start, normalize_y=True).fit(X, y)
    assert ours.converged_ and ours.n_iter_ > 0
    rmse = np.sqrt(np.mean((ours.predict(Xt) - yt) ** 2))
    rmse_ref = np.sqrt(np.mean((exact.predict(Xt) - yt) ** 2))
    assert rmse <= 1.05 * rmse_ref
    assert ours.kernel_.k2.noise_level == pytest.approx(exact.kernel_.k2.noise_level, rel=0.3)
    assert np.all(np.diff(ours.result_.history) >= -1e-8 * np.abs(ours.result_.history[:-1]))


def test_iteration_budget_warns_and_reports(rng):
    X, y = _data(rng, n=100)
    with pytest.warns(ConvergenceWarning, match="vecchia_gp_fit"):
        res = vecchia_gp_fit(X, y, Matern(1.0) + WhiteKernel(1.0), max_iter=1)
    assert not res.converged and res.n_iter == 1


def test_duplicated_inputs_without_noise_never_give_nan(rng):
    X, y = _data(rng, n=60)
    X, y = np.vstack([X, X]), np.concatenate([y, y])
    model = VecchiaGaussianProcessRegressor(RBF(0.3), optimizer=None, alpha=0.0, n_neighbors=8).fit(X, y)
    mean, std = model.predict(np.vstack([X[:10], rng.random((10, 2))]), return_std=True)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std >= 0)
    assert model.result_.jitter > 0
    np.testing.assert_allclose(mean[:10], y[:10], atol=1e-3)


def test_more_neighbours_than_points_is_exact(rng):
    X, y = _data(rng, n=20)
    model = VecchiaGaussianProcessRegressor(KERNEL, optimizer=None, n_neighbors=50, n_neighbors_predict=50).fit(X, y)
    assert model.neighbors_.shape == (20, 19)
    exact = GaussianProcessRegressor(KERNEL, optimizer=None).fit(X, y)
    np.testing.assert_allclose(model.predict(X[:5]), exact.predict(X[:5]), atol=1e-8)


def test_bad_kernel_and_nan(rng):
    X, y = _data(rng, n=30)
    with pytest.raises(TypeError, match="kernel"):
        VecchiaGaussianProcessRegressor(kernel="rbf").fit(X, y)
    with pytest.raises(TypeError, match="kernel"):
        vecchia_gp_fit(X, y, lambda a, b: a @ b.T)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="X"):
        VecchiaGaussianProcessRegressor().fit(X, y)


def test_sample_y_follows_the_predictive_distribution(rng):
    X, y = _data(rng, n=80)
    model = VecchiaGaussianProcessRegressor(KERNEL, optimizer=None, random_state=0).fit(X, y)
    Xt = rng.random((5, 2))
    samples = model.sample_y(Xt, n_samples=4000)
    mean, std = model.predict(Xt, return_std=True)
    assert samples.shape == (5, 4000)
    np.testing.assert_allclose(samples.mean(axis=1), mean, atol=4 * std.max() / np.sqrt(4000) + 1e-12)
    np.testing.assert_allclose(samples.std(axis=1), std, rtol=0.1)


def test_dask_prediction_is_chunked_and_equal(rng):
    da = pytest.importorskip("dask.array")
    X, y = _data(rng, n=200)
    model = VecchiaGaussianProcessRegressor(KERNEL, optimizer=None).fit(X, y)
    Xt = rng.random((250, 2))
    mean, std = model.predict(da.from_array(Xt, chunks=(60, 2)), return_std=True)
    assert mean.chunks == ((60, 60, 60, 60, 10),)
    mean_ref, std_ref = model.predict(Xt, return_std=True)
    np.testing.assert_allclose(mean.compute(), mean_ref, rtol=1e-12)
    np.testing.assert_allclose(std.compute(), std_ref, rtol=1e-12)
    np.testing.assert_allclose(model.predict(da.from_array(Xt, chunks=100)).compute(), mean_ref, rtol=1e-12)


def test_progress_is_logged_on_long_fits(rng, caplog):
    X, y = _data(rng, n=100)
    with caplog.at_level("INFO", logger="sparsekit"):
        VecchiaGaussianProcessRegressor(Matern(1.0) + WhiteKernel(1.0), verbose=2).fit(X, y)
    assert any("iter" in record.getMessage() for record in caplog.records)


def test_rho_rule_through_the_estimator(rng):
    X, y = _data(rng)
    knn = VecchiaGaussianProcessRegressor(KERNEL, n_neighbors=30, optimizer=None).fit(X, y)
    radius = VecchiaGaussianProcessRegressor(KERNEL, n_neighbors=30, rho=2.0, optimizer=None).fit(X, y)
    sizes = (radius.neighbors_ >= 0).sum(axis=1)
    assert sizes.max() <= 30 and sizes.sum() < (knn.neighbors_ >= 0).sum() and np.ptp(sizes[radius.order_[30:]]) > 0
    mean, std = radius.predict(X[:20], return_std=True)
    assert np.all(np.isfinite(mean)) and np.all(std > 0)
    with pytest.raises(ValueError, match="rho"):
        VecchiaGaussianProcessRegressor(KERNEL, rho=0.5).fit(X, y)
