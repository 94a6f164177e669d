import warnings

import numpy as np
import pytest

from sparsekit import ConvergenceWarning, InvalidParameterError
from sparsekit._core._testing import assert_rejects, readonly
from sparsekit.datasets import make_sparse_regression
from sparsekit.learn.linear_model import (
    SBL_METHODS,
    SparseBayesianRegression,
    gamp_damping,
    ggamp_sbl,
    posterior,
    sbl_em,
    sbl_mackay,
    sparse_bayesian_learning,
)
from sparsekit.learn.linear_model._sbl_run import _prune_mask

SOLVERS = {"em": sbl_em, "mackay": sbl_mackay, "gamp": ggamp_sbl}


def nmse_db(estimate, truth):
    return 10 * np.log10(np.sum((estimate - truth) ** 2) / np.sum(truth**2))


def dense_posterior(A, Y, gamma, noise):
    covariance = np.linalg.inv(A.T @ A / noise + np.diag(1 / gamma))
    return covariance @ A.T @ Y / noise, covariance


@pytest.mark.parametrize("shape", [(30, 12), (12, 30)])
def test_posterior_matches_dense_formula(rng, shape):
    A = rng.standard_normal(shape)
    Y = rng.standard_normal((shape[0], 2))
    gamma = rng.uniform(0.1, 2.0, shape[1])
    mean_ref, cov_ref = dense_posterior(A, Y, gamma, 0.3)
    gram = A.T @ A if shape[1] <= shape[0] else None
    mean, variance, well_determined, cov = posterior(A, Y, gamma, 0.3, gram=gram, full_covariance=True)
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cov, cov_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(variance, np.diag(cov_ref), rtol=1e-10)
    np.testing.assert_allclose(well_determined, 1 - np.diag(cov_ref) / gamma, rtol=1e-9, atol=1e-12)


def test_posterior_is_finite_for_extreme_hyperparameters(rng):
    A = rng.standard_normal((20, 40))
    gamma = np.geomspace(1e-12, 1e6, 40)
    mean, variance, _, _ = posterior(A, rng.standard_normal((20, 1)), gamma, 1e-14)
    assert np.isfinite(mean).all() and (variance >= -1e-12 * gamma).all()


@pytest.mark.parametrize("method", ["em", "mackay", "gamp"])
def test_recovers_sparse_vector_near_oracle(method):
    A, y, coef, noise_std = make_sparse_regression(100, 200, 5, snr_db=30, random_state=3)
    res = SOLVERS[method](A, y)
    assert res.converged and res.status == 0
    assert sorted(res.active) == sorted(np.flatnonzero(coef))
    support = np.flatnonzero(coef)
    oracle = np.zeros_like(coef)
    oracle[support] = np.linalg.lstsq(A[:, support], y, rcond=None)[0]
    assert nmse_db(res.x, coef) < nmse_db(oracle, coef) + 1.0
    assert 0.5 < res.noise_variance / noise_std**2 < 2.0
    # stopping rule: the last recorded relative change is below tol, the others above
    tol = 1e-5 if method == "gamp" else 1e-4
    assert res.relative_change[-1] <= tol < min(res.relative_change[:-1])


def test_mackay_matches_ard_on_an_overdetermined_problem():
    ard = pytest.importorskip("sklearn.linear_model").ARDRegression
    A, y, coef, _ = make_sparse_regression(200, 40, 4, snr_db=25, random_state=0)
    ours = sbl_mackay(A, y, prune_threshold=1e-6, tol=1e-8, max_iter=1000)
    peer = ard(fit_intercept=False, tol=1e-10, max_iter=2000, threshold_lambda=1e12).fit(A, y)
    np.testing.assert_allclose(ours.x, peer.coef_, atol=2e-3 * np.abs(coef).max())


def test_multiple_measurement_vectors_share_the_support(rng):
    A, _, coef, _ = make_sparse_regression(60, 150, 6, random_state=1)
    support = np.flatnonzero(coef)
    W = np.zeros((150, 3))
    W[support] = rng.standard_normal((6, 3))
    Y = A @ W + 0.01 * rng.standard_normal((60, 3))
    for method, solver in SOLVERS.items():
        res = solver(A, Y)
        assert res.x.shape == (150, 3), method
        assert sorted(res.active) == sorted(support), method
        assert nmse_db(res.x, W) < -30, method


def test_column_scaling_does_not_change_the_fit(rng):
    A, y, coef, _ = make_sparse_regression(80, 160, 5, snr_db=30, random_state=2)
    scale = rng.uniform(0.01, 100.0, 160)
    for solver in SOLVERS.values():
        plain, scaled = solver(A, y), solver(A * scale, y)
        np.testing.assert_allclose(scaled.x * scale, plain.x, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(scaled.gamma * scale**2, plain.gamma, rtol=1e-6, atol=1e-12)


def test_pruning_rule_and_pure_noise():
    gamma = np.array([1.0, 1e-4, 5e-3, 0.0])
    np.testing.assert_array_equal(_prune_mask(gamma, 0.01, 1e-3), [True, False, True, False])
    np.testing.assert_array_equal(_prune_mask(gamma * 1e-6, 1.0, 1e-3), [False] * 4)
    y = np.random.default_rng(0).standard_normal(50)
    res = sbl_mackay(np.random.default_rng(1).standard_normal((50, 5)) + 5.0, y - y.mean())
    assert res.converged and res.active.size <= 1


def test_zero_and_constant_columns_are_pruned_up_front(rng):
    A, y, coef, _ = make_sparse_regression(40, 60, 3, snr_db=30, random_state=4)
    A = A.copy()
    A[:, 7] = 0.0
    for solver in SOLVERS.values():
        res = solver(readonly(A), readonly(y))
        assert res.x[7] == 0 and 7 not in res.active
    res = sbl_em(A, np.zeros(40))
    assert res.converged and not res.x.any() and res.active.size == 0


def test_known_noise_variance_is_kept():
    A, y, _, noise_std = make_sparse_regression(60, 100, 4, random_state=5)
    res = sbl_em(A, y, noise_variance=noise_std**2)
    assert res.noise_variance == noise_std**2
    assert set(res.noise_variance_history) == {noise_std**2}


def test_max_iter_warns_and_callback_stops():
    A, y, _, _ = make_sparse_regression(60, 100, 4, random_state=6)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        res = sbl_em(A, y, max_iter=2)
    assert not res.converged and res.status == 1 and res.n_iter == 2
    seen = []
    res = sbl_mackay(A, y, callback=lambda x: seen.append(x.copy()) or len(seen) == 2)
    assert res.status == 2 and res.n_iter == 2 and seen[0].shape == (100,)
    # a stop asked at the iteration that met tol leaves the run converged
    res = sbl_mackay(A, y, tol=1.0, callback=lambda x: True)
    assert res.status == 0 and res.converged and res.n_iter == 1


@pytest.mark.parametrize("run", [
    lambda A, y: sbl_em(A, y, max_iter=1),
    lambda A, y: sparse_bayesian_learning(A, y, method="em", max_iter=1),
    lambda A, y: SparseBayesianRegression(max_iter=1).fit(A, y),
    lambda A, y: SparseBayesianRegression(solver="gamp", max_iter=1).fit(A, y),
], ids=["sbl_em", "front door", "estimator", "estimator-gamp"])
def test_one_convergence_warning_at_the_users_line(run):
    A, y, _, _ = make_sparse_regression(60, 100, 4, random_state=6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(A, y)
    [w] = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert w.filename == __file__ and "did not converge in max_iter=1 iterations" in str(w.message)


def test_covariance_option_and_units(rng):
    A, y, _, _ = make_sparse_regression(50, 80, 4, snr_db=30, random_state=7)
    A = A * rng.uniform(0.5, 2.0, 80)
    full = sbl_em(A, y, covariance="full")
    diag = sbl_em(A, y, covariance="diag")
    _, cov_ref = dense_posterior(A[:, full.active], y, full.gamma[full.active], full.noise_variance)
    np.testing.assert_allclose(full.sigma, cov_ref, rtol=1e-8)
    np.testing.assert_allclose(diag.sigma, np.diag(cov_ref), rtol=1e-8)


def test_gamp_damping_follows_the_rule():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((200, 400)) / np.sqrt(200)
    assert 0.95 < gamp_damping(A) <= 1.0
    # kappa = 10 over 200 singular values, as in the notes' reproduction (theta 0.79 at 500 x 1000)
    U, _ = np.linalg.qr(rng.standard_normal((200, 200)))
    V, _ = np.linalg.qr(rng.standard_normal((400, 200)))
    ill = (U * np.geomspace(1, 0.1, 200)) @ V.T
    ratio = np.linalg.norm(ill, 2) ** 2 / np.linalg.norm(ill) ** 2
    a, b, c = 1.1 * 200 * 400 * ratio, 2 * 200, 4 * 400
    assert gamp_damping(ill) == pytest.approx((-b + np.sqrt(b * b + 4 * a * c)) / (2 * a), rel=1e-3)
    assert gamp_damping(ill) < 0.9


@pytest.mark.parametrize("design", ["ill-conditioned", "correlated"])
def test_gamp_does_not_diverge_on_hard_matrices(design):
    A, y, coef, _ = make_sparse_regression(200, 400, 10, design=design, condition_number=1e3, snr_db=30,
                                           random_state=0)
    assert design != "ill-conditioned" or np.linalg.cond(A) > 5e2
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = ggamp_sbl(A, y)
    assert res.status == 0 and res.n_restarts == 0 and np.isfinite(res.x).all()
    assert res.damping < 0.9
    assert nmse_db(res.x, coef) < -15


def test_gamp_divergence_is_caught_by_halving_the_damping():
    A, y, coef, _ = make_sparse_regression(200, 400, 10, design="ill-conditioned", condition_number=1e3,
                                           snr_db=30, random_state=0)
    res = ggamp_sbl(A, y, damping=1.0)
    assert res.n_restarts >= 1 and res.damping <= 0.5
    assert res.status == 0 and nmse_db(res.x, coef) < -15


def test_front_door_dispatches_and_rejects():
    A, y, _, _ = make_sparse_regression(40, 60, 3, random_state=8)
    assert SBL_METHODS.names() == ["em", "mackay", "gamp"]
    res = sparse_bayesian_learning(A, y, method="gamp", damping=0.8)
    assert res.damping == 0.8
    with pytest.raises(ValueError, match="known methods: 'em', 'mackay', 'gamp'"):
        sparse_bayesian_learning(A, y, method="lasso")
    with pytest.raises(TypeError, match="unexpected option"):
        sparse_bayesian_learning(A, y, method="em", damping=0.5)


def test_bad_input_is_rejected():
    A, y, _, _ = make_sparse_regression(20, 30, 2, random_state=9)
    bad = A.copy()
    bad[0, 0] = np.nan
    assert_rejects(sbl_em, bad, y, naming="A")
    assert_rejects(ggamp_sbl, A, np.r_[y[:-1], np.inf], naming="y")
    assert_rejects(sbl_mackay, A, y[:-1], naming="y")
    assert_rejects(sbl_em, A, y, tol=-1.0, error=InvalidParameterError, naming="tol")
    assert_rejects(ggamp_sbl, A, y, damping=0.0, error=InvalidParameterError, naming="damping")
    with pytest.raises(InvalidParameterError, match="solver"):
        SparseBayesianRegression(solver="ard").fit(A, y)


def test_estimator_intercept_matches_centred_fit(rng):
    A, y, coef, _ = make_sparse_regression(80, 120, 4, snr_db=30, random_state=10)
    offset = rng.uniform(-3, 3, 120)
    shifted = SparseBayesianRegression().fit(A + offset, y + 7.0)
    plain = SparseBayesianRegression(fit_intercept=False).fit(A - A.mean(0), y - y.mean())
    np.testing.assert_allclose(shifted.coef_, plain.coef_, atol=1e-10)
    assert shifted.intercept_ == pytest.approx(y.mean() + 7.0 - (A.mean(0) + offset) @ shifted.coef_)
    np.testing.assert_allclose(shifted.predict(A + offset), plain.predict(A - A.mean(0)) + y.mean() + 7.0)


def test_estimator_predictive_std_matches_dense_posterior():
    A, y, _, _ = make_sparse_regression(60, 90, 4, snr_db=20, random_state=11)
    model = SparseBayesianRegression(fit_intercept=False, solver="mackay").fit(A, y)
    X_new = A[:5]
    mean, std = model.predict(X_new, return_std=True)
    active = model.active_
    _, cov_ref = dense_posterior(A[:, active], y, model.gamma_[active], model.noise_variance_)
    expected = np.sqrt(np.einsum("ij,jk,ik->i", X_new[:, active], cov_ref, X_new[:, active]) + model.noise_variance_)
    np.testing.assert_allclose(std, expected, rtol=1e-8)
    np.testing.assert_allclose(mean, X_new @ model.coef_)
    assert model.converged_ and model.n_iter_ == model.result_.n_iter


def test_estimator_multi_output_shapes(rng):
    A, _, coef, _ = make_sparse_regression(50, 70, 3, random_state=12)
    Y = np.column_stack([A @ coef, 2 * A @ coef]) + 0.01 * rng.standard_normal((50, 2))
    model = SparseBayesianRegression(solver="gamp").fit(A, Y)
    assert model.coef_.shape == (2, 70) and model.intercept_.shape == (2,)
    mean, std = model.predict(A[:4], return_std=True)
    assert mean.shape == std.shape == (4, 2)
    np.testing.assert_allclose(std[:, 0], std[:, 1])
