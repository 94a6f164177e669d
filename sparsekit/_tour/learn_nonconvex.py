"""Tour rows for MCP/SCAD regression by accelerated gradient against skglm on a correlated design."""

import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit.learn.linear_model import nonconvex_regression
from sparsekit.learn.linear_model._nonconvex_penalties import penalty_value

from ._case import TourRow, tour_case


def correlated_regression(n=500, p=2000, s=20, rho=0.9, seed=0):
    """The notes' calibrated setting: Toeplitz (AR(1)) design ``corr(x_i, x_j) = rho^|i-j|``, ``s`` coefficients
    with ``|b| ~ U[1, 2]`` and random signs, unit noise. Returns ``(X, y, coef, alpha)`` with
    ``alpha = sqrt(2 log p / n)``."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    coef = np.zeros(p)
    support = rng.choice(p, s, replace=False)
    coef[support] = rng.uniform(1, 2, s) * rng.choice([-1, 1], s)
    return X, X @ coef + rng.standard_normal(n), coef, float(np.sqrt(2 * np.log(p) / n))


def objective(X, y, b, alpha, gamma, penalty):
    """``(1 / 2n) ||y - X b||^2 + sum p(b_j)``."""
    return float(np.sum((y - X @ b) ** 2)) / (2 * len(y)) + penalty_value(b, alpha, gamma, penalty)


def skglm_fit(X, y, alpha, gamma, penalty):
    """skglm's Anderson CD on the same objective (``MCPenalty`` or ``SCAD``, ``Quadratic`` datafit)."""
    from skglm import GeneralizedLinearEstimator
    from skglm.datafits import Quadratic
    from skglm.penalties import SCAD, MCPenalty
    from skglm.solvers import AndersonCD

    pen = MCPenalty(alpha, gamma) if penalty == "mcp" else SCAD(alpha, gamma)
    return GeneralizedLinearEstimator(Quadratic(), pen, AndersonCD(tol=1e-8, fit_intercept=False)).fit(X, y).coef_


@tour_case("learn.nonconvex", "MCP/SCAD at correlation 0.9: accelerated gradient vs skglm")
def tour_nonconvex(ctx):
    with threadpool_limits(1):
        n, p, s = (200, 500, 10) if ctx.quick else (500, 2000, 20)
        X, y, coef, alpha = correlated_regression(n, p, s)
        rows = []
        for penalty, gamma in (("mcp", 3.0), ("scad", 3.7)):
            res, seconds = ctx.timed(nonconvex_regression, X, y, penalty=penalty, alpha=alpha, gamma=gamma)
            peer, peer_seconds = None, None
            if ctx.has("skglm"):
                skglm_fit(X, y, alpha, gamma, penalty)  # numba compilation, untimed
                peer, peer_seconds = ctx.timed(skglm_fit, X, y, alpha, gamma, penalty)
            rows.append(TourRow(
                problem=f"Toeplitz 0.9, k={s}, alpha=sqrt(2 log p/n)", method=f"nonconvex_regression({penalty})",
                size=f"{n}x{p}", seconds=seconds, metric="objective", value=objective(X, y, res.x, alpha, gamma,
                                                                                      penalty),
                peer="skglm AndersonCD" if peer is not None else None, peer_seconds=peer_seconds,
                peer_value=None if peer is None else objective(X, y, peer, alpha, gamma, penalty),
            ))
        return rows
