"""MCP/SCAD by accelerated gradient: estimator checks, stationarity, AG vs proximal gradient, paths, bad input."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit.learn.linear_model import MCPRegression, SCADRegression, nonconvex_path, nonconvex_regression
from sparsekit.learn.linear_model._nonconvex_penalties import penalty_value
from sparsekit.learn.linear_model._nonconvex_penalties_kernels import _concave_gradient


@parametrize_with_checks([MCPRegression(alpha=0.05), SCADRegression(alpha=0.05)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _correlated(seed=0, n=200, p=400, s=8, rho=0.9):
    rng = np.random.default_rng(seed)
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):  # Toeplitz (AR(1)) correlation rho^|i - j|
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    coef = np.zeros(p)
    support = rng.choice(p, s, replace=False)
    coef[support] = rng.uniform(1, 2, s) * rng.choice([-1, 1], s)
    return X, X @ coef + rng.standard_normal(n), coef


def _stationarity(X, y, b, alpha, gamma, penalty):
    """Largest violation of 0 in grad loss + q'(b) + alpha d|b| (a first-order stationary point has 0)."""
    n = len(y)
    g = -X.T @ (y - X @ b) / n + _concave_gradient(b, alpha, gamma, penalty)
    return np.max(np.where(b != 0, np.abs(g + alpha * np.sign(b)), np.maximum(np.abs(g) - alpha, 0)))


@pytest.mark.parametrize("penalty,gamma", [("mcp", 3.0), ("scad", 3.7)])
def test_stationary_and_accurate(penalty, gamma):
    X, y, coef = _correlated()
    alpha = np.sqrt(2 * np.log(X.shape[1]) / X.shape[0])
    res = nonconvex_regression(X, y, penalty=penalty, alpha=alpha, gamma=gamma, tol=1e-8)
    assert res.converged
    assert _stationarity(X, y, res.x, alpha, gamma, penalty) < 1e-5
    assert np.linalg.norm(res.x - coef) / np.linalg.norm(coef) < 0.1
    objective = np.sum((y - X @ res.x) ** 2) / (2 * len(y)) + penalty_value(res.x, alpha, gamma, penalty)
    assert abs(res.objective - objective) < 1e-12


@pytest.mark.parametrize("penalty", ["mcp", "scad"])
def test_accelerated_needs_fewer_iterations(penalty):
    X, y, _ = _correlated(1)
    alpha = np.sqrt(2 * np.log(X.shape[1]) / X.shape[0])
    ag = nonconvex_regression(X, y, penalty=penalty, alpha=alpha, working_set=False)
    pg = nonconvex_regression(X, y, penalty=penalty, alpha=alpha, method="pg", working_set=False, max_iter=20000)
    assert ag.converged and pg.converged
    assert ag.n_iter < 0.5 * pg.n_iter
    assert ag.objective <= pg.objective + 1e-3


def test_working_set_gives_the_full_solution():
    X, y, _ = _correlated(2)
    alpha = 0.2
    full = nonconvex_regression(X, y, alpha=alpha, working_set=False, tol=1e-9)
    ws = nonconvex_regression(X, y, alpha=alpha, tol=1e-9)
    assert ws.objective <= full.objective + 1e-6
    assert _stationarity(X, y, ws.x, alpha, 3.0, "mcp") < 1e-6


def test_path_warm_starts():
    X, y, _ = _correlated(3)
    path = nonconvex_path(X, y, penalty="scad", n_alphas=8, eps=0.05)
    assert path.converged and path.coefs.shape == (X.shape[1], 8)
    assert np.count_nonzero(path.coefs[:, 0]) == 0
    assert np.all(np.diff([np.count_nonzero(c) for c in path.coefs.T]) >= -2)
    single = nonconvex_regression(X, y, penalty="scad", alpha=path.alphas[-1])
    assert path.objectives[-1] <= single.objective + 1e-3


def test_penalty_values():
    b = np.array([0.0, 0.5, 2.0, 10.0])
    assert penalty_value(b, 1.0, 3.0, "mcp") == pytest.approx(0 + (0.5 - 0.25 / 6) + (2 - 4 / 6) + 1.5)
    assert penalty_value(b, 1.0, 3.7, "scad") == pytest.approx(0 + 0.5 + (2 * 3.7 * 2 - 4 - 1) / 5.4 + 4.7 / 2)


@pytest.mark.parametrize("kwargs,naming", [(dict(gamma=1.5, penalty="scad"), "gamma"), (dict(penalty="l0"), "penalty"),
                                           (dict(alpha=-1.0), "alpha"), (dict(method="cd"), "method")])
def test_bad_input(kwargs, naming):
    X, y, _ = _correlated(4, n=30, p=20)
    with pytest.raises(ValueError, match=naming):
        nonconvex_regression(X, y, **kwargs)


@pytest.mark.parametrize("scad,accelerate", [(0, True), (1, True), (0, False)])
def test_gram_kernel_matches_twin(scad, accelerate):
    from sparsekit._core._testing import assert_kernel_matches_twin, readonly
    from sparsekit.learn.linear_model._nonconvex_penalties_kernels import ag_steps, ag_steps_twin

    X, y, _ = _correlated(5, n=60, p=30, s=4)
    G, c = X.T @ X / 60, X.T @ y / 60
    b = c / np.diag(G)
    state = np.array([1.0, np.inf, 0.0, 0.0])
    step = 0.99 / np.linalg.eigvalsh(G)[-1]
    assert_kernel_matches_twin(ag_steps, ag_steps_twin, readonly(G), readonly(c), b.copy(), b.copy(), np.zeros(30),
                               state, 0.1, 3.7 if scad else 3.0, scad, step, accelerate, 1e-10, 200,
                               rtol=1e-9, atol=1e-12)


def test_gram_path_gives_the_design_path_iterates():
    """The kernel on the Gram matrix and the NumPy iteration on X take the same steps (same iteration count)."""
    from sparsekit.learn.linear_model._nonconvex_penalties import _solve, _solve_gram

    X, y, _ = _correlated(6, n=80, p=40, s=4)
    b0 = X.T @ y / np.einsum("ij,ij->j", X, X)
    for penalty, gamma in (("mcp", 3.0), ("scad", 3.7)):
        design = _solve(X, y, b0, 0.1, gamma, penalty, "ag", 1e-9, 5000, None)
        gram = _solve_gram(X, y, b0, 0.1, gamma, penalty, "ag", 1e-9, 5000, None)
        assert design[1:] == gram[1:]
        np.testing.assert_allclose(gram[0], design[0], rtol=1e-8, atol=1e-10)


def test_sparse_design_gives_the_dense_answer():
    from scipy import sparse

    rng = np.random.default_rng(7)
    X = sparse.random_array((120, 300), density=0.1, format="csc", random_state=rng)
    coef = np.zeros(300)
    coef[:4] = 3.0
    y = X @ coef + 0.01 * rng.standard_normal(120)
    for penalty in ("mcp", "scad"):
        dense = nonconvex_regression(X.toarray(), y, penalty=penalty, alpha=0.01)
        for fmt in ("csc", "csr"):
            res = nonconvex_regression(X.asformat(fmt), y, penalty=penalty, alpha=0.01)
            assert res.converged and res.n_iter == dense.n_iter
            np.testing.assert_allclose(res.x, dense.x, atol=1e-10)


@pytest.mark.parametrize("scad,accelerate", [(0, True), (1, True), (1, False)])
def test_prox_step_kernel_matches_twin(scad, accelerate):
    from sparsekit._core._testing import assert_kernel_matches_twin, readonly
    from sparsekit.learn.linear_model._nonconvex_penalties_kernels import prox_step, prox_step_twin

    rng = np.random.default_rng(8)
    md, g, ag, x, old = (rng.standard_normal(200) * 0.5 for _ in range(5))
    assert_kernel_matches_twin(prox_step, prox_step_twin, readonly(md), readonly(g), ag, x, readonly(old), 0.2,
                               3.7 if scad else 3.0, scad, 0.1, 0.3, accelerate, rtol=1e-12, atol=1e-15)
