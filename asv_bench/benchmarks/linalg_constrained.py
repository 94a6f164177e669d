"""Equality-constrained optimisation: sketched_newton against scipy.optimize.minimize(method="trust-constr").

Two families of the ICML 2023 paper's experiments, rebuilt: logistic regression with linear equality constraints
(d from 100 up) and a PDE-constrained control problem (Poisson on an n x n grid, y and u unknown, A y = u).
"""

import numpy as np
from common import CompareCase, PinnedThreads, quiet
from scipy import optimize, sparse
from scipy.sparse.linalg import LinearOperator

from sparsekit.datasets import poisson2d
from sparsekit.linalg import sketched_newton

TOL = 1e-6


def constrained_logistic(d, seed=0, products=False):
    """``min mean log(1 + exp(-y x^T w)) + alpha/2 |w|^2`` s.t. ``A w = b`` (``d/10`` random constraints).

    With ``products=True`` the Hessian is a LinearOperator of Hessian-vector products (O(n d) each) instead of
    the dense ``d x d`` matrix (O(n d^2) to form).
    """
    rng = np.random.default_rng(seed)
    n, m, alpha = 2 * d, max(1, d // 10), 1e-2
    X = rng.standard_normal((n, d)) / np.sqrt(d)
    y = np.sign(X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n))
    A, b = rng.standard_normal((m, d)), rng.standard_normal(m)

    def fun(w):
        return float(np.mean(np.logaddexp(0.0, -y * (X @ w))) + 0.5 * alpha * w @ w)

    def jac(w):
        s = -y / (1.0 + np.exp(y * (X @ w)))
        return X.T @ s / n + alpha * w

    def hess(w):
        p = 1.0 / (1.0 + np.exp(-y * (X @ w)))
        if products:
            weights = p * (1 - p) / n
            return LinearOperator((d, d), matvec=lambda v: X.T @ (weights * (X @ v)) + alpha * v,
                                  matmat=lambda V: X.T @ (weights[:, None] * (X @ V)) + alpha * V, dtype=float)
        return (X.T * (p * (1 - p))) @ X / n + alpha * np.eye(d)

    return fun, jac, hess, optimize.LinearConstraint(A, b, b), np.zeros(d)


def poisson_control(n, alpha=1e-4):
    """``min h^2/2 (|y - y_d|^2 + alpha |u|^2)`` s.t. ``A y - u = 0``: a discretised elliptic control problem."""
    N, h = n * n, 1.0 / (n + 1)
    A = poisson2d(n) / h**2
    grid = (np.arange(1, n + 1) * h)
    target = np.outer(np.sin(np.pi * grid), np.sin(2 * np.pi * grid)).ravel()
    weights = np.concatenate([np.full(N, h**2), np.full(N, alpha * h**2)])
    H = sparse.diags_array(weights, format="csr")
    J = sparse.hstack([A, -sparse.eye_array(N)], format="csr")

    def fun(z):
        return 0.5 * h**2 * (float((z[:N] - target) @ (z[:N] - target)) + alpha * float(z[N:] @ z[N:]))

    def jac(z):
        return weights * (z - np.concatenate([target, np.zeros(N)]))

    return fun, jac, lambda z: H, optimize.LinearConstraint(J, 0.0, 0.0), np.zeros(2 * N)


def _kkt_residual(problem, x, multipliers):
    fun, jac, _, constraint, _ = problem
    grad = jac(x) + constraint.A.T @ multipliers
    return float(np.hypot(np.linalg.norm(grad), np.linalg.norm(constraint.A @ x - constraint.lb)))


def _trust_constr(problem):
    fun, jac, hess, constraint, x0 = problem
    res = quiet(optimize.minimize, fun, x0, jac=jac, hess=hess, method="trust-constr", constraints=[constraint],
                options=dict(gtol=TOL, xtol=1e-14, maxiter=2000))
    res.kkt = _kkt_residual(problem, res.x, res.v[0])  # SciPy's Lagrangian is f + v^T c, as ours
    return res


def _ours(problem, solver="block-kaczmarz"):
    fun, jac, hess, constraint, x0 = problem
    return quiet(sketched_newton, fun, x0, jac=jac, hess=hess, constraints=constraint, tol=TOL, solver=solver,
                 random_state=0)


class ConstrainedLogistic(PinnedThreads):
    params = [100, 500]
    param_names = ["d"]

    def setup(self, d):
        super().setup(d)
        self.problem = constrained_logistic(d)

    def time_sketched_newton(self, d):
        _ours(self.problem)

    def track_newton_iterations(self, d):
        return _ours(self.problem).n_iter


def compare_cases(quick=False):
    """sketched_newton (sketching and direct KKT solves) vs trust-constr, to a KKT residual of 1e-6."""
    cases = []
    problems = [(f"logistic + A w = b, d={d}", constrained_logistic(d)) for d in ((100,) if quick else (100, 500))]
    problems += [(f"Poisson control {n}x{n}", poisson_control(n)) for n in ((16,) if quick else (16, 32, 64))]
    for label, problem in problems:
        for solver in ("block-kaczmarz", "direct"):
            cases.append(CompareCase(
                case=f"{label}, {solver}", sparsekit=lambda p=problem, s=solver: _ours(p, s),
                peer=lambda p=problem: _trust_constr(p), peer_name="scipy trust-constr",
                quality=lambda ours, theirs: ours.converged and ours.kkt_residual[-1] <= TOL,
                metrics={
                    "KKT residual": (lambda r: r.kkt_residual[-1], lambda r: r.kkt),
                    "iterations": (lambda r: r.n_iter, lambda r: r.nit),
                },
            ))
    return cases
