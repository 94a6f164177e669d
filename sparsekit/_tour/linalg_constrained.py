"""Tour rows of equality-constrained optimisation: sketched_newton vs SciPy's trust-constr.

The two problem families here (also used by ``asv_bench/benchmarks/linalg_constrained.py`` and the user guide's
figure) rebuild experiments of Hong, Na, Mahoney & Kolar (ICML 2023): logistic regression with linear equality
constraints and a PDE-constrained control problem (Poisson on an ``n x n`` grid, state ``y`` and control ``u``
unknown, ``A y = u``).
"""

import time
import warnings

import numpy as np
from scipy import optimize, sparse
from scipy.sparse.linalg import LinearOperator
from threadpoolctl import threadpool_limits

from sparsekit.datasets import poisson2d
from sparsekit.linalg import sketched_newton

from ._case import TourRow, tour_case


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


def kkt_residual(problem, x, multipliers):
    """``||(grad f + A^T v, A x - b)||`` for a problem of this module (SciPy's Lagrangian is ``f + v^T c`` too)."""
    fun, jac, _, constraint, _ = problem
    grad = jac(x) + constraint.A.T @ multipliers
    return float(np.hypot(np.linalg.norm(grad), np.linalg.norm(constraint.A @ x - constraint.lb)))


def run_trust_constr(problem, tol=1e-6):
    """``scipy.optimize.minimize(method="trust-constr")`` with the KKT residual of its answer as ``res.kkt``."""
    fun, jac, hess, constraint, x0 = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = optimize.minimize(fun, x0, jac=jac, hess=hess, method="trust-constr", constraints=[constraint],
                                options=dict(gtol=tol, xtol=1e-14, maxiter=2000))
    res.kkt = kkt_residual(problem, res.x, res.v[0])
    return res


def run_sketched_newton(problem, solver="nystrom-minres", tol=1e-6):
    fun, jac, hess, constraint, x0 = problem
    return sketched_newton(fun, x0, jac=jac, hess=hess, constraints=constraint, tol=tol, solver=solver,
                           random_state=0)


@tour_case("linalg", "sketched_newton (sketched-preconditioned MINRES, direct) vs trust-constr, KKT residual 1e-6")
def constrained_newton(ctx):
    with threadpool_limits(1):
        return _rows(ctx)


def _rows(ctx):
    problems = [(f"logistic + {d // 10} equalities", f"d={d}", constrained_logistic(d, products=products))
                for d, products in (((100, False),) if ctx.quick else ((500, False), (2000, True)))]
    problems += [(f"Poisson control {n}x{n}", f"d={2 * n * n}", poisson_control(n))
                 for n in ((16,) if ctx.quick else (32, 64))]
    rows = []
    for label, size, problem in problems:
        start = time.perf_counter()
        peer = run_trust_constr(problem)
        peer_seconds = time.perf_counter() - start
        solvers = ("nystrom-minres",) if isinstance(problem[2](problem[4]), LinearOperator) else (
            "nystrom-minres", "direct")
        for solver in solvers:
            res, seconds = ctx.timed(run_sketched_newton, problem, solver)
            rows.append(TourRow(problem=label, method=f"sketched_newton({solver}), {res.n_iter} Newton steps",
                                size=size, seconds=seconds, metric="KKT residual", value=float(res.kkt_residual[-1]),
                                peer="scipy trust-constr", peer_seconds=peer_seconds, peer_value=peer.kkt))
    return rows
