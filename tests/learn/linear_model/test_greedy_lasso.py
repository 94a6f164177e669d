"""GreedyLasso: scikit-learn's estimator checks and agreement with scikit-learn's Lasso."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import Lasso
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit.learn.linear_model import GreedyLasso


@parametrize_with_checks([GreedyLasso(alpha=0.1), GreedyLasso(alpha=0.1, rule="gsl", block_size=3)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _problem(seed=0, n=80, p=200):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    coef = np.zeros(p)
    coef[:8] = rng.uniform(1, 2, 8) * rng.choice([-1, 1], 8)
    return X, X @ coef + 3.0 + 0.1 * rng.standard_normal(n)


@pytest.mark.parametrize("rule", ["gsq", "gsl", "gs", "cyclic"])
def test_matches_sklearn_lasso(rule):
    X, y = _problem()
    ours = GreedyLasso(alpha=0.05, rule=rule, tol=1e-12).fit(X, y)
    ref = Lasso(alpha=0.05, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-8)
    assert abs(ours.intercept_ - ref.intercept_) < 1e-8
    assert ours.converged_ and ours.dual_gap_ <= 1e-12 * np.sum((y - y.mean()) ** 2) / len(y)


def test_sparse_without_intercept_and_float32():
    X, y = _problem(1)
    Xs = sparse.csr_array(np.where(np.abs(X) > 1.0, X, 0.0))
    dense = GreedyLasso(alpha=0.05, fit_intercept=False, tol=1e-10).fit(Xs.toarray(), y)
    sp = GreedyLasso(alpha=0.05, fit_intercept=False, tol=1e-10).fit(Xs, y)
    np.testing.assert_allclose(sp.coef_, dense.coef_, atol=1e-9)
    with pytest.raises(TypeError, match="X must be dense"):
        GreedyLasso().fit(Xs, y)
    single = GreedyLasso(alpha=0.05).fit(X.astype(np.float32), y)
    assert single.coef_.dtype == np.float32
