import time
import warnings

import numpy as np
import pytest

from sparsekit import ConvergenceWarning, InvalidParameterError
from sparsekit._core._testing import assert_rejects
from sparsekit.datasets import make_kronecker_regression
from sparsekit.learn.linear_model import (
    KroneckerSBL,
    kronecker_matvec,
    kronecker_sbl,
    nearest_kronecker_factors,
    posterior,
    sbl_em,
)
from sparsekit.learn.linear_model._kronecker_algebra import _outer
from sparsekit.learn.linear_model._kronecker_sbl import _am_update, _KroneckerPosterior, _svd_update


def nmse_db(estimate, truth):
    return 10 * np.log10(np.sum((estimate - truth) ** 2) / np.sum(truth**2))


def full_matrix(factors):
    H = np.ones((1, 1))
    for A in factors:
        H = np.kron(H, A)
    return H


def test_kronecker_posterior_matches_dense(rng):
    factors = [rng.standard_normal((3, 4)), rng.standard_normal((2, 5)), rng.standard_normal((3, 2))]
    gammas = [rng.uniform(0.2, 2.0, A.shape[1]) for A in factors]
    y = rng.standard_normal(18)
    state = _KroneckerPosterior(factors, gammas, 0.4, y.reshape(3, 2, 3))
    H = full_matrix(factors)
    mean, variance, _, covariance = posterior(H, y[:, None], _outer(gammas).ravel(), 0.4, full_covariance=True)
    np.testing.assert_allclose(state.mean.ravel(), mean[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(state.variance.ravel(), variance, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(state.covariance(), covariance, rtol=1e-9, atol=1e-12)
    _, _, well_determined, _ = posterior(H, y[:, None], _outer(gammas).ravel(), 0.4)
    assert state.n_well_determined == pytest.approx(well_determined.sum(), rel=1e-9)


def test_kronecker_matvec_and_factor_recovery(rng):
    factors = [rng.standard_normal((3, 4)), rng.standard_normal((2, 5)), rng.standard_normal((4, 2))]
    H = full_matrix(factors)
    x = rng.standard_normal(40)
    np.testing.assert_allclose(kronecker_matvec(factors, x), H @ x, rtol=1e-12)
    recovered = nearest_kronecker_factors(H, [(3, 4), (2, 5), (4, 2)])
    np.testing.assert_allclose(full_matrix(recovered), H, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="not a Kronecker product"):
        nearest_kronecker_factors(H + 1e-3 * rng.standard_normal(H.shape), [(3, 4), (2, 5), (4, 2)])
    with pytest.raises(ValueError, match="factor_shapes"):
        nearest_kronecker_factors(H, [(3, 4), (2, 5), (2, 4)])


def test_am_update_solves_each_factor_and_decreases_the_cost(rng):
    truth = [rng.uniform(0.1, 2.0, 4), rng.uniform(0.1, 2.0, 3), rng.uniform(0.1, 2.0, 5)]
    second_moment = _outer(truth) * rng.uniform(0.8, 1.2, (4, 3, 5))

    def cost(gammas):
        g = _outer(gammas)
        return float(np.sum(second_moment / g + np.log(g)))

    start = [np.ones(4), np.ones(3), np.ones(5)]
    am = _am_update(second_moment, start, max_iter=200, tol=1e-12)
    assert cost(am) < cost(start)
    # stationarity: the closed-form update of any factor leaves it unchanged
    g1 = np.mean(second_moment / _outer([np.ones(4), am[1], am[2]]), axis=(1, 2))
    np.testing.assert_allclose(g1, am[0], rtol=1e-6)
    # on an exact rank-one second moment, SVD recovers the product exactly and AM reaches it
    exact = _outer(truth)
    np.testing.assert_allclose(_outer(_svd_update(exact)), exact, rtol=1e-10)
    np.testing.assert_allclose(_outer(_am_update(exact, start, max_iter=500, tol=1e-14)), exact, rtol=1e-6)


@pytest.mark.parametrize("update", ["svd", "am"])
def test_recovers_kronecker_supported_vector(update):
    factors, y, coef, noise_std = make_kronecker_regression([(6, 12), (6, 12), (6, 12)], [2, 2, 2], snr_db=30,
                                                            random_state=1)
    res = kronecker_sbl(factors, y, update=update)
    assert res.converged and res.status == 0
    assert sorted(res.active) == sorted(np.flatnonzero(coef))
    assert nmse_db(res.x, coef) < -25
    assert [a.size for a in res.factor_active] == [2, 2, 2]
    np.testing.assert_allclose(res.gamma, _outer(res.factor_gammas).ravel())
    assert res.relative_change[-1] <= 1e-4


def test_kronecker_sbl_beats_unstructured_sbl_on_error_and_time():
    factors, y, coef, _ = make_kronecker_regression([(6, 14), (6, 14), (6, 14)], [2, 2, 2], snr_db=15,
                                                    random_state=0)
    H = full_matrix(factors)
    start = time.perf_counter()  # BLAS runs on one thread in the test session (tests/conftest.py)
    structured = kronecker_sbl(factors, y)
    structured_time = time.perf_counter() - start
    start = time.perf_counter()
    plain = sbl_em(H, y)
    plain_time = time.perf_counter() - start
    assert nmse_db(structured.x, coef) < nmse_db(plain.x, coef) - 3.0
    assert structured_time < plain_time


def test_estimator_accepts_factors_or_full_matrix():
    factors, y, coef, _ = make_kronecker_regression([(5, 8), (6, 9)], [2, 2], snr_db=30, random_state=2)
    H = full_matrix(factors)
    from_factors = KroneckerSBL().fit(factors, y)
    from_full = KroneckerSBL(factor_shapes=[(5, 8), (6, 9)]).fit(H, y)
    np.testing.assert_allclose(from_full.coef_, from_factors.coef_, rtol=1e-6, atol=1e-9)
    assert from_factors.n_features_in_ == 72 and from_factors.factor_shapes_ == [(5, 8), (6, 9)]
    mean_f, std_f = from_factors.predict(factors, return_std=True)
    mean_h, std_h = from_factors.predict(H, return_std=True)
    np.testing.assert_allclose(mean_f, mean_h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(std_f, std_h, rtol=1e-10)
    active = from_factors.active_
    cov = from_factors.sigma_
    expected = np.sqrt(np.einsum("ij,jk,ik->i", H[:, active], cov, H[:, active]) + from_factors.noise_variance_)
    np.testing.assert_allclose(std_h, expected, rtol=1e-10)


def test_mismatched_kronecker_shapes_are_rejected(rng):
    factors, y, _, _ = make_kronecker_regression([(4, 6), (5, 7)], [2, 2], random_state=3)
    with pytest.raises(ValueError, match="do not match the shapes"):
        KroneckerSBL(factor_shapes=[(4, 6), (7, 5)]).fit(factors, y)
    with pytest.raises(ValueError, match="factor_shapes"):
        KroneckerSBL(factor_shapes=[(4, 6), (5, 6)]).fit(full_matrix(factors), y)
    with pytest.raises(ValueError, match="not a Kronecker product"):
        KroneckerSBL(factor_shapes=[(4, 6), (5, 7)]).fit(rng.standard_normal((20, 42)), y)
    with pytest.raises(ValueError, match="factor_shapes must be"):
        KroneckerSBL(factor_shapes=[(4, 6, 1)]).fit(factors, y)
    assert_rejects(kronecker_sbl, factors, y[:-1], naming="y")
    bad = [factors[0].copy(), factors[1]]
    bad[0][0, 0] = np.nan
    assert_rejects(kronecker_sbl, bad, y, naming="factors[0]")
    assert_rejects(kronecker_sbl, factors, y, update="cp", error=InvalidParameterError, naming="update")
    model = KroneckerSBL().fit(factors, y)
    with pytest.raises(ValueError, match="columns"):
        model.predict([factors[0], factors[1][:, :5]])


@pytest.mark.parametrize("run", [lambda factors, y: kronecker_sbl(factors, y, max_iter=1),
                                 lambda factors, y: KroneckerSBL(max_iter=1).fit(factors, y)],
                         ids=["kronecker_sbl", "KroneckerSBL"])
def test_one_convergence_warning_at_the_users_line(run):
    factors, y, _, _ = make_kronecker_regression([(5, 8), (6, 9)], [2, 2], snr_db=30, random_state=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(factors, y)
    [w] = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert w.filename == __file__ and str(w.message).startswith("kronecker_sbl: did not converge in max_iter=1")
