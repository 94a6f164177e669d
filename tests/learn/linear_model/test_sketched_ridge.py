"""SketchedRidgeEnsemble and sketched_ridge_gcv: formulas, GCV tuning, scikit-learn conformance."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit import InvalidParameterError
from sparsekit._core._testing import assert_rejects
from sparsekit.learn.linear_model import SketchedRidgeEnsemble, sketched_ridge_gcv
from sparsekit.linalg import SKETCH_METHODS


@parametrize_with_checks([SketchedRidgeEnsemble(random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _problem(rng, n=600, p=60, noise=1.0):
    X = rng.standard_normal((n, p)) @ np.diag(1.0 / np.sqrt(np.arange(1, p + 1)))
    beta = rng.standard_normal(p)
    return X, X @ beta + noise * rng.standard_normal(n), beta


def test_gcv_and_coefficients_match_the_formulas(rng):
    """K explicit sketches: β̄ = mean_k S_k (S_kᵀXᵀXS_k + αI)⁻¹S_kᵀXᵀy and GCV = mse / (1 - df/n)²."""
    X, y, _ = _problem(rng, n=200, p=30)
    alphas = np.array([0.3, 3.0])
    res = sketched_ridge_gcv(X, y, alphas=alphas, sketch_sizes=(12,), n_sketches=3, sketch="gaussian",
                             fit_intercept=False, random_state=5)
    # the same operators, drawn from the same generator in the same order
    generator = np.random.default_rng(5)
    sketches = [SKETCH_METHODS.dispatch("gaussian", X.T, 12, random_state=generator).toarray().T
                for _ in range(3)]
    for column, alpha in enumerate(alphas):
        members, traces = [], []
        for S in sketches:
            XS = X @ S
            inverse = np.linalg.inv(XS.T @ XS + alpha * np.eye(12))
            members.append(S @ inverse @ XS.T @ y)
            traces.append(np.trace(XS @ inverse @ XS.T))
        coef = np.mean(members, axis=0)
        gcv = np.mean((y - X @ coef) ** 2) / (1 - np.mean(traces) / 200) ** 2
        assert res.gcv[0, column] == pytest.approx(gcv, rel=1e-10)
        if res.alpha == alpha:
            np.testing.assert_allclose(res.coef, coef, rtol=1e-10)
    assert res.intercept == 0.0


def test_gcv_picks_a_penalty_as_good_as_ridgecv(rng):
    X, y, beta = _problem(rng, n=2000, p=200, noise=3.0)
    X_test = rng.standard_normal((2000, 200)) @ np.diag(1.0 / np.sqrt(np.arange(1, 201)))
    y_test = X_test @ beta + 3.0 * rng.standard_normal(2000)
    alphas = np.logspace(-2, 4, 13)
    reference = RidgeCV(alphas=alphas, gcv_mode="svd").fit(X, y)
    model = SketchedRidgeEnsemble(alphas=alphas, sketch_sizes=(0.5, 1.0), random_state=0).fit(X, y)
    mse = np.mean((model.predict(X_test) - y_test) ** 2)
    reference_mse = np.mean((reference.predict(X_test) - y_test) ** 2)
    assert mse <= 1.03 * reference_mse
    assert model.gcv_.shape == (2, 13) and model.alpha_ in alphas and model.sketch_size_ in (100, 200)
    assert np.argmin(model.gcv_.ravel()) == np.ravel_multi_index(
        (list(model.sketch_sizes_).index(model.sketch_size_), list(alphas).index(model.alpha_)), (2, 13))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_defaults_match_ridgecv_on_a_sparse_truth(seed):
    # n=200, p=50, 5 true coefficients: a q=p/2 CountSketch ensemble alone scores R² ~0.6 here; the
    # default grid (data-scaled alphas, sizes p/4, p/2 and p) lets GCV fall back to plain ridge.
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((400, 50))
    coef = np.zeros(50)
    coef[rng.choice(50, 5, replace=False)] = rng.standard_normal(5)
    y = X @ coef + 0.1 * rng.standard_normal(400)
    reference = RidgeCV().fit(X[:200], y[:200]).score(X[200:], y[200:])
    model = SketchedRidgeEnsemble(random_state=0).fit(X[:200], y[:200])
    assert model.score(X[200:], y[200:]) >= 0.99 * reference
    assert list(model.sketch_sizes_) == [12, 25, 50]


def test_full_size_is_plain_ridge(rng):
    X, y, _ = _problem(rng, n=300, p=20)
    res = sketched_ridge_gcv(sparse.csr_array(X), y + 3.0, alphas=[2.5], sketch_sizes=(1.0,))
    ridge = Ridge(alpha=2.5).fit(X, y + 3.0)
    np.testing.assert_allclose(res.coef, ridge.coef_, rtol=1e-10, atol=1e-12)
    assert res.intercept == pytest.approx(ridge.intercept_)


@pytest.mark.parametrize("sketch", ["countsketch", "sparse-sign", "srdct", "srht", "uniform"])
def test_sparse_and_dense_input_agree_and_intercept_is_fitted(sketch, rng):
    X, y, _ = _problem(rng, n=300, p=20)
    dense = SketchedRidgeEnsemble(sketch=sketch, random_state=1).fit(X, y + 7.0)
    sparse_fit = SketchedRidgeEnsemble(sketch=sketch, random_state=1).fit(sparse.csr_array(X), y + 7.0)
    np.testing.assert_allclose(sparse_fit.coef_, dense.coef_, rtol=1e-9, atol=1e-12)
    assert sparse_fit.intercept_ == pytest.approx(dense.intercept_)
    assert abs(np.mean(dense.predict(X)) - np.mean(y + 7.0)) < 1e-8


def test_bad_parameters(rng):
    X, y, _ = _problem(rng, n=50, p=5)
    assert_rejects(sketched_ridge_gcv, X, y, alphas=[1.0, 0.0], naming="alphas must be positive")
    assert_rejects(sketched_ridge_gcv, X, y, sketch_sizes=(1.5,), naming="sketch_sizes")
    assert_rejects(sketched_ridge_gcv, X, y, sketch_sizes=(0,), naming="sketch_sizes")
    assert_rejects(sketched_ridge_gcv, X, y[:40], naming="length 50")
    with pytest.raises(InvalidParameterError, match="'sketch'"):
        SketchedRidgeEnsemble(sketch="leverage").fit(X, y)
    with pytest.raises(InvalidParameterError, match="'n_sketches'"):
        SketchedRidgeEnsemble(n_sketches=0).fit(X, y)
