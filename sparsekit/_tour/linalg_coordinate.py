"""Tour rows for greedy block coordinate descent: the Lasso against scikit-learn's cyclic coordinate descent and
skglm, and the selection rules' epoch counts."""

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from sparsekit.linalg import greedy_bcd

from ._case import TourRow, tour_case


def lasso_problem(n=1000, p=5000, seed=0):
    """Dataset A of Nutini, Laradji & Schmidt as a Lasso: ``(A, b, alpha_max)``.

    ``A = (N(0, 1) + 1) diag(10 N(0, 1))``, entries kept with probability ``10 log(n) / n`` (sparse CSC),
    ``w`` 10% nonzero with ``N(0, 1)`` entries, ``b = A w + N(0, 1)``; ``alpha_max = ||A^T b||_inf / n``.
    """
    rng = np.random.default_rng(seed)
    M = sparse.random_array((n, p), density=10 * np.log(n) / n, format="csc", rng=rng,
                            data_sampler=lambda size: rng.standard_normal(size) + 1.0)
    A = sparse.csc_array(M @ sparse.diags_array(10 * rng.standard_normal(p)))
    w = np.zeros(p)
    support = rng.choice(p, p // 10, replace=False)
    w[support] = rng.standard_normal(len(support))
    b = A @ w + rng.standard_normal(n)
    return A, b, float(np.abs(A.T @ b).max()) / n


def lasso_objective(A, b, alpha, x):
    """``(1 / 2n) ||b - A x||^2 + alpha ||x||_1``."""
    r = b - A @ x
    return float(r @ r) / (2 * len(b)) + alpha * float(np.abs(x).sum())


@tour_case("linalg.coordinate", "Lasso at 0.01 alpha_max by greedy BCD vs sklearn Lasso (cyclic CD) and skglm")
def tour_greedy_lasso(ctx):
    with threadpool_limits(1):
        return _lasso_rows(ctx)


def _lasso_rows(ctx):
    n, p = (300, 1000) if ctx.quick else (1000, 5000)
    A, b, alpha_max = lasso_problem(n, p)
    alpha = 0.01 * alpha_max
    tol = 1e-10 / (b @ b / n)  # duality gap <= 1e-10 in scikit-learn's units: tol ||b||^2 / n
    greedy_bcd(A, b, alpha=alpha, tol=tol)  # every side runs once untimed first: numba compiles (ours, skglm)
    res, seconds = ctx.timed(greedy_bcd, A, b, alpha=alpha, tol=tol)
    rows = []
    peers = []
    if ctx.has("sklearn"):
        from sklearn.linear_model import Lasso

        peer = Lasso(alpha=alpha, tol=tol, fit_intercept=False, max_iter=1_000_000)
        peer.fit(A, b)
        model, t = ctx.timed(peer.fit, A, b)
        peers.append(("sklearn Lasso (cyclic)", t, model.coef_))
    if ctx.has("skglm"):
        import skglm

        peer = skglm.Lasso(alpha=alpha, tol=1e-12, fit_intercept=False)
        peer.fit(A, b)
        model, t = ctx.timed(peer.fit, A, b)
        peers.append(("skglm Lasso", t, model.coef_))
    best = min([lasso_objective(A, b, alpha, res.x)] + [lasso_objective(A, b, alpha, c) for _, _, c in peers])
    value = lasso_objective(A, b, alpha, res.x) - best
    for name, t, coef in peers or [(None, None, None)]:
        rows.append(TourRow(
            problem="dataset A (sparse), alpha = 0.01 alpha_max, gap 1e-10", method="greedy_bcd (gsq)",
            size=f"{n}x{p}", seconds=seconds, metric="objective - best", value=value, peer=name, peer_seconds=t,
            peer_value=None if coef is None else lasso_objective(A, b, alpha, coef) - best,
        ))
    return rows


def epochs_by_rule(A, b, alpha, *, tol, rules=("gsq", "gsl", "gs", "cyclic", "random")):
    """Epochs (coordinate updates / n_features) each rule needs to reach ``tol``, with neither working sets nor
    Newton steps: the selection rule alone decides. Also returns the gap histories, for the user guide's plot."""
    out = {}
    for rule in rules:
        res = greedy_bcd(A, b, alpha=alpha, rule=rule, tol=tol, working_set=False, active_set=False,
                         max_iter=1000, random_state=0)
        out[rule] = res
    return out


@tour_case("linalg.coordinate", "Selection rules: epochs to a duality gap of 1e-8 (relative), no working set")
def tour_rule_epochs(ctx):
    n, p = (200, 400) if ctx.quick else (1000, 2000)
    A, b, alpha_max = lasso_problem(n, p, seed=1)
    runs, seconds = ctx.timed(epochs_by_rule, A, b, 0.1 * alpha_max, tol=1e-8)
    return [TourRow(problem="dataset A, alpha = 0.1 alpha_max", method=f"greedy_bcd rule={rule}", size=f"{n}x{p}",
                    seconds=seconds / len(runs), metric="epochs", value=float(res.n_epochs))
            for rule, res in runs.items()]
