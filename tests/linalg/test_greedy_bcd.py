"""greedy_bcd: optimality against independent solvers, the rules' epoch counts, stopping rule, bad input."""

import warnings

import numpy as np
import pytest
from scipy import sparse

from sparsekit import ConvergenceWarning
from sparsekit.linalg import greedy_bcd


def _lasso_problem(seed=0, n=60, p=150):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, p)) * rng.uniform(0.1, 5.0, p)  # uneven column norms: where GSL pays
    coef = np.zeros(p)
    coef[rng.choice(p, 8, replace=False)] = rng.standard_normal(8)
    b = A @ coef + 0.1 * rng.standard_normal(n)
    return A, b, np.abs(A.T @ b).max() / n


def _kkt(A, b, x, alpha, loss="squared"):
    n = len(b)
    rho = A @ x - b if loss == "squared" else -b / (1 + np.exp(b * (A @ x)))
    g = A.T @ rho / n
    return np.max(np.where(x != 0, np.abs(g + alpha * np.sign(x)), np.maximum(np.abs(g) - alpha, 0)))


@pytest.mark.parametrize("rule,block_size,blocks,update", [
    ("gsq", 1, "variable", "exact"), ("gsl", 1, "variable", "exact"), ("gs", 1, "variable", "exact"),
    ("cyclic", 1, "variable", "exact"), ("random", 1, "variable", "exact"),
    ("gsl", 4, "variable", "lb"), ("gsq", 4, "variable", "exact"), ("gsl", 4, "fixed", "lb"),
    ("gsq", 4, "fixed", "exact"),
])
def test_lasso_reaches_kkt(rule, block_size, blocks, update):
    A, b, amax = _lasso_problem()
    res = greedy_bcd(A, b, alpha=0.05 * amax, rule=rule, block_size=block_size, blocks=blocks, update=update,
                     tol=1e-12, random_state=0)
    assert res.converged and res.gap <= 1e-12 * b @ b / len(b)
    assert _kkt(A, b, res.x, 0.05 * amax) < 1e-6 * amax


def test_matches_sklearn_on_sparse_input():
    from sklearn.linear_model import Lasso

    A, b, amax = _lasso_problem(1)
    As = sparse.csc_array(np.where(np.abs(A) > 1.0, A, 0.0))
    alpha = 0.02 * np.abs(As.T @ b).max() / len(b)
    ref = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(As, b).coef_
    for fmt in ("csc", "csr", "coo"):
        res = greedy_bcd(As.asformat(fmt), b, alpha=alpha, tol=1e-12)
        np.testing.assert_allclose(res.x, ref, atol=1e-8)


def test_logistic_matches_liblinear():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    A = rng.standard_normal((80, 120))
    y = np.sign(A[:, :5] @ np.ones(5) + 0.5 * rng.standard_normal(80))
    alpha = 0.03
    res = greedy_bcd(A, y, loss="logistic", alpha=alpha, tol=1e-12)
    ref = LogisticRegression(l1_ratio=1.0, C=1 / (alpha * 80), solver="liblinear", fit_intercept=False, tol=1e-12,
                             max_iter=10_000).fit(A, y).coef_.ravel()
    objective = np.mean(np.logaddexp(0, -y * (A @ ref))) + alpha * np.abs(ref).sum()
    assert res.converged and res.objective <= objective + 1e-10
    assert _kkt(A, y, res.x, alpha, "logistic") < 1e-7


def test_least_squares_without_penalty():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((50, 20))
    b = rng.standard_normal(50)
    res = greedy_bcd(A, b, tol=1e-10)
    np.testing.assert_allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-8)


def test_greedy_rules_need_fewer_epochs_than_cyclic_and_random():
    # The paper's point, measured without working sets or Newton steps: updates are chosen by the rule alone.
    A, b, amax = _lasso_problem(4, n=80, p=200)
    epochs = {rule: greedy_bcd(A, b, alpha=0.05 * amax, rule=rule, tol=1e-8, working_set=False, active_set=False,
                               random_state=0).n_epochs for rule in ("gsq", "gsl", "gs", "cyclic", "random")}
    assert max(epochs["gsq"], epochs["gsl"]) < min(epochs["cyclic"], epochs["random"])


def test_non_convergence_warns_once():
    A, b, amax = _lasso_problem()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = greedy_bcd(A, b, alpha=0.01 * amax, tol=1e-14, max_iter=1)
    assert not res.converged and res.status == 1
    assert [w.category for w in caught] == [ConvergenceWarning]


def test_callback_stops():
    A, b, amax = _lasso_problem()
    res = greedy_bcd(A, b, alpha=0.01 * amax, tol=1e-14, callback=lambda xk: True)
    assert res.status == 2 and not res.converged


@pytest.mark.parametrize("kwargs,error,naming", [
    (dict(b=np.ones(3)), ValueError, "b"),
    (dict(loss="logistic"), ValueError, "labels"),
    (dict(rule="best"), ValueError, "rule"),
    (dict(alpha=-1.0), ValueError, "alpha"),
    (dict(x0=np.ones(2)), ValueError, "x0"),
])
def test_bad_input(kwargs, error, naming):
    A, b, _ = _lasso_problem()
    options = {"b": b, **kwargs}
    with pytest.raises(error, match=naming):
        greedy_bcd(A, options.pop("b"), **options)
