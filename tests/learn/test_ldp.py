import math

import numpy as np
import pytest
from scipy import stats

from sparsekit import InvalidParameterError
from sparsekit._core._testing import assert_rejects
from sparsekit.learn.linear_model import (
    LDPAccountant,
    LDPSparseRegression,
    gaussian_mechanism_scale,
    ldp_iht,
    ldp_sparse_regression,
)
from sparsekit.learn.linear_model._ldp_mechanisms import _gaussian_privacy_loss, _Mechanism
from sparsekit.learn.linear_model._ldp_solvers import _NonInteractiveServer

COEF = np.array([0.6, -0.8, 0.0, 0.0, 0.0])


def sub_gaussian_data(n, seed, d=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    coef = np.zeros(d)
    coef[: COEF.size] = COEF[:d]
    return X, X @ coef + 0.5 * rng.standard_normal(n), coef


def test_analytic_gaussian_mechanism_is_exact_and_beats_classical():
    for epsilon in (0.1, 0.5, 1.0, 4.0, 8.0):
        sigma = gaussian_mechanism_scale(2.0, epsilon, 1e-5)
        assert _gaussian_privacy_loss(sigma, 2.0, epsilon) == pytest.approx(1e-5, rel=1e-6)
        assert _gaussian_privacy_loss(0.99 * sigma, 2.0, epsilon) > 1e-5
        if epsilon <= 1:
            assert sigma <= 2.0 * math.sqrt(2 * math.log(1.25 / 1e-5)) / epsilon
    # scales linearly with the sensitivity
    assert gaussian_mechanism_scale(6.0, 1.0, 1e-5) == pytest.approx(3 * gaussian_mechanism_scale(2.0, 1.0, 1e-5))


@pytest.mark.parametrize("mechanism", ["gaussian", "laplace"])
def test_aggregated_noise_has_the_law_of_the_per_user_sum(mechanism):
    noise = _Mechanism(mechanism, 1.0, 1.0, 1.0, 1e-5, depends_on="clip_X")
    rng = np.random.default_rng(0)
    n_users, size = 3, 4000
    per_user = np.concatenate([noise.noise_sum(rng, n_users, size, True) for _ in range(5)])
    aggregate = np.concatenate([noise.noise_sum(rng, n_users, size, False) for _ in range(5)])
    assert stats.ks_2samp(per_user, aggregate).pvalue > 1e-3
    assert np.std(aggregate) == pytest.approx(noise.std * math.sqrt(n_users), rel=0.03)


@pytest.mark.parametrize("mechanism", ["gaussian", "laplace"])
def test_server_estimates_agree_between_simulation_modes(mechanism):
    X, y, _ = sub_gaussian_data(300, 1, d=3)
    draws = {}
    for simulate in ("per-user", "aggregate"):
        draws[simulate] = np.array([
            ldp_sparse_regression(X, y, 2.0, mechanism=mechanism, simulate=simulate, threshold=0.0,
                                  random_state=seed).rho
            for seed in range(300)
        ])
    for j in range(3):
        assert stats.ks_2samp(draws["per-user"][:, j], draws["aggregate"][:, j]).pvalue > 1e-3
    clipped = np.clip(X, -3, 3).T @ np.clip(y, -4, 4) / 300
    np.testing.assert_allclose(draws["aggregate"].mean(axis=0), clipped, atol=4 * draws["aggregate"].std() / 17)


def test_release_noise_matches_the_calibration():
    server = _NonInteractiveServer(4, 1.0, 1e-5, "gaussian", 3.0, 4.0, None, np.random.default_rng(0), "per-user")
    zeros = np.zeros((20000, 4))
    server.receive(zeros, np.zeros(20000))
    expected_xy = gaussian_mechanism_scale(2 * math.sqrt(4) * 3.0 * 4.0, 0.5, 5e-6)
    expected_xx = gaussian_mechanism_scale(2 * 9.0 * math.sqrt(10), 0.5, 5e-6)
    assert server.xy_mechanism.std == pytest.approx(expected_xy)
    assert server.xx_mechanism.std == pytest.approx(expected_xx)
    # on all-zero data the sums are pure noise: their spread reveals the per-user scale
    assert np.std(server.sum_xx) / math.sqrt(20000) == pytest.approx(expected_xx, rel=0.5)
    laplace = _NonInteractiveServer(4, 2.0, 1e-5, "laplace", 3.0, 4.0, None, np.random.default_rng(0), "auto")
    assert laplace.xy_mechanism.scale == pytest.approx(2 * 4 * 3.0 * 4.0 / 1.0)
    assert laplace.xx_mechanism.scale == pytest.approx(2 * 9.0 * 10 / 1.0)


def test_accountant_reports_and_enforces_the_budget():
    ledger = LDPAccountant(1.0, 1e-5)
    ledger.spend("a", (0, 10), 0.5, 5e-6)
    ledger.spend("b", (0, 10), 0.5, 5e-6)
    ledger.spend("c", (10, 20), 1.0, 1e-5)
    assert ledger.spent_per_user() == (1.0, 1e-5)
    with pytest.raises(ValueError, match="exceed the per-user budget"):
        ledger.spend("d", (5, 15), 0.1, 0.0)
    assert len(ledger.releases) == 3


@pytest.mark.parametrize(
    "options, releases",
    [
        ({}, {"x y": 0.5, "x x^T": 0.5}),
        ({"mechanism": "laplace"}, {"x y": 0.5, "x x^T": 0.5}),
        ({"public_X": np.random.default_rng(9).standard_normal((500, 5))}, {"x y": 1.0}),
        ({"protocol": "interactive", "k": 2}, None),
    ],
)
def test_budget_used_per_user_is_reported(options, releases):
    X, y, _ = sub_gaussian_data(2000, 2)
    model = LDPSparseRegression(epsilon=2.0, random_state=0, **options).fit(X, y)
    laplace = options.get("mechanism") == "laplace"
    assert model.privacy_spent_ == (2.0, 0.0 if laplace else 1e-5)
    ledger = model.accountant_.releases
    if releases is None:
        groups = [r["users"] for r in ledger]
        assert len(groups) == model.n_iter_ == math.ceil(math.log(2000))
        assert groups[0][0] == 0 and groups[-1][1] == 2000
        assert all(a[1] == b[0] for a, b in zip(groups, groups[1:]))
        assert all(r["epsilon"] == 2.0 for r in ledger)
    else:
        assert {r["what"]: r["epsilon"] / 2.0 for r in ledger} == releases
        assert all(r["users"] == (0, 2000) for r in ledger)


def test_partial_fit_streams_users_and_counts_each_once():
    X, y, _ = sub_gaussian_data(3000, 3)
    model = LDPSparseRegression(epsilon=1.0, random_state=0)
    for start in range(0, 3000, 1000):
        model.partial_fit(X[start:start + 1000], y[start:start + 1000])
    assert model.n_users_ == 3000 and model.privacy_spent_ == (1.0, 1e-5)
    assert [r["users"] for r in model.accountant_.releases[::2]] == [(0, 1000), (1000, 2000), (2000, 3000)]
    assert not hasattr(LDPSparseRegression(protocol="interactive", k=2), "partial_fit")


def test_public_covariance_beats_plain_and_both_beat_zero_where_expected():
    X, y, coef = sub_gaussian_data(1_000_000, 4)
    public = np.random.default_rng(5).standard_normal((100_000, 5))
    plain, with_public = [], []
    for seed in range(3):
        plain.append(np.linalg.norm(ldp_sparse_regression(X, y, 4.0, k=2, random_state=seed).x - coef))
        with_public.append(np.linalg.norm(
            ldp_sparse_regression(X, y, 4.0, k=2, public_X=public, random_state=seed).x - coef))
    assert np.median(with_public) < np.median(plain) < 0.5 * np.linalg.norm(coef)


def test_error_shrinks_like_one_over_sqrt_n_and_epsilon():
    X, y, coef = sub_gaussian_data(1_000_000, 6)
    public = np.random.default_rng(7).standard_normal((200_000, 5))

    def median_error(n, epsilon, mechanism="gaussian"):
        return np.median([
            np.linalg.norm(ldp_sparse_regression(X[:n], y[:n], epsilon, public_X=public, threshold=0.0,
                                                 mechanism=mechanism, random_state=seed).x - coef)
            for seed in range(12)
        ])

    slope_n = np.log(median_error(1_000_000, 2.0) / median_error(10_000, 2.0)) / np.log(100)
    assert -0.62 < slope_n < -0.38
    # Laplace noise scales exactly like 1/epsilon; the analytic Gaussian mechanism a little slower at large epsilon
    slope_laplace = np.log(median_error(1_000_000, 8.0, "laplace") / median_error(1_000_000, 0.5, "laplace"))
    assert -1.15 < slope_laplace / np.log(16) < -0.85
    slope_gaussian = np.log(median_error(1_000_000, 8.0) / median_error(1_000_000, 0.5)) / np.log(16)
    assert -1.05 < slope_gaussian < -0.75


def test_interactive_iht_recovers_support_with_many_users():
    X, y, coef = sub_gaussian_data(1_000_000, 8)
    res = ldp_iht(X, y, 8.0, k=2, random_state=0)
    assert sorted(np.flatnonzero(res.x)) == [0, 1]
    assert np.linalg.norm(res.x - coef) < 0.5
    assert len(res.iterates) == res.n_iter == math.ceil(math.log(1_000_000))
    assert all(np.count_nonzero(w) <= 2 and np.linalg.norm(w) <= 1.0 + 1e-12 for w in res.iterates)


def test_bad_input_is_rejected():
    X, y, _ = sub_gaussian_data(100, 9)
    for epsilon in (0.0, -1.0):
        assert_rejects(ldp_sparse_regression, X, y, epsilon, error=InvalidParameterError, naming="epsilon")
        with pytest.raises(InvalidParameterError, match="epsilon"):
            LDPSparseRegression(epsilon=epsilon).fit(X, y)
    bad = X.copy()
    bad[3, 2] = np.nan
    assert_rejects(ldp_sparse_regression, bad, y, 1.0, naming="X")
    assert_rejects(ldp_sparse_regression, X[:4], y[:4], 1.0, naming="n_features")
    assert_rejects(ldp_sparse_regression, X, y, 1.0, public_X=X[:3], naming="public_X")
    assert_rejects(ldp_iht, X, y[:-1], 1.0, k=2, naming="y")
    assert_rejects(ldp_sparse_regression, X, y, 1.0, delta=0.0, error=InvalidParameterError, naming="delta")
    with pytest.raises(ValueError, match="k must be given"):
        LDPSparseRegression(protocol="interactive").fit(X, y)
