"""Tour rows of sparsekit.ot: Sinkhorn per iteration, SNS against Sinkhorn, sparse OT, plan mass."""

import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit.ot import cost_matrix, sinkhorn, sinkhorn_newton_sparse, sparse_ot

from ._case import TourRow, tour_case


def _clouds(n, seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.random((n, 2)), rng.random((n, 2))
    M = cost_matrix(x, y)
    return np.full(n, 1.0 / n), M / M.max(), x, y


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def _pinned(case):
    """Run a case with single-threaded BLAS, as sparsekit's timings against peers always are."""

    def run(ctx):
        with threadpool_limits(limits=1, user_api="blas"):
            return case(ctx)

    run.__name__, run.__doc__ = case.__name__, case.__doc__
    return run


def _marginal_error(P, a):
    return float(max(np.linalg.norm(P.sum(axis=1) - a), np.linalg.norm(P.sum(axis=0) - a)))


@tour_case("ot", "log-domain Sinkhorn: fused numba pass vs POT sinkhorn_log, per iteration")
@_pinned
def log_domain_iteration(ctx):
    n, iters = (300, 20) if ctx.quick else (1000, 20)
    a, M, _, _ = _clouds(n)
    _quiet(sinkhorn, a, a, M, 1e-3, method="log", max_iter=2)
    _, seconds = ctx.timed(_quiet, sinkhorn, a, a, M, 1e-3, method="log", tol=1e-300, max_iter=iters)
    row = TourRow("uniform clouds, reg=1e-3", "sinkhorn log", f"n={n}", seconds, "ms / iteration",
                  1e3 * seconds / iters)
    if ctx.has("ot"):
        import ot

        _, peer = ctx.timed(_quiet, ot.sinkhorn, a, a, M, 1e-3, method="sinkhorn_log", stopThr=0.0,
                            numItermax=iters)
        row.peer, row.peer_seconds, row.peer_value = "POT sinkhorn_log", peer, 1e3 * peer / iters
    return row


@tour_case("ot", "SNS vs Sinkhorn to 1e-9 on both marginals (marginal error vs time)")
@_pinned
def sns_against_sinkhorn(ctx):
    n = 300 if ctx.quick else 1000
    a, M, _, _ = _clouds(n)
    rows, curves = [], {}
    for reg in (1e-3, 1e-4):
        _quiet(sinkhorn_newton_sparse, a, a, M, reg, max_iter=5)
        res, seconds = ctx.timed(sinkhorn_newton_sparse, a, a, M, reg)
        row = TourRow(f"uniform clouds, reg={reg:g}", "sinkhorn_newton_sparse", f"n={n}", seconds, "iterations",
                      float(res.n_iter))
        if reg == 1e-3:
            curves["sparsekit SNS"] = (res.elapsed, res.marginal_error.max(axis=1))
            plain, _ = ctx.timed(sinkhorn, a, a, M, reg, method="kernel")
            curves["sparsekit sinkhorn (kernel)"] = (plain.elapsed, plain.marginal_error.max(axis=1))
        if ctx.has("ot") and reg == 1e-3:  # POT needs 15-60 s at reg=1e-4: see the benchmarks for that row
            import ot

            (_, log), peer = ctx.timed(ot.sinkhorn, a, a, M, reg, stopThr=1e-9, numItermax=200_000, log=True)
            row.peer, row.peer_seconds, row.peer_value = "POT sinkhorn", peer, float(log["niter"])
            if reg == 1e-3:
                checks = np.arange(len(log["err"])) * 10 + 1
                curves["POT sinkhorn"] = (peer * checks / log["niter"], np.asarray(log["err"]))
        rows.append(row)
    with ctx.figure("ot_marginal_error_vs_time") as (fig, ax):
        if fig is not None:
            for label, (t, err) in curves.items():
                ax.semilogy(t[1:], err[1:], label=label)  # from the first scaled iterate on
            ax.axhline(1e-9, color="grey", lw=0.8, ls=":")
            ax.set_xlabel("seconds (1 thread)")
            ax.set_ylabel("marginal error (L2)")
            ax.set_title(f"n={n}, reg=1e-3")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")  # below: hides no curve
    return rows


@tour_case("ot", "SNS paper's random assignment problem (n=500, C~U[0,1], reg=1/1200)")
@_pinned
def random_assignment(ctx):
    n = 200 if ctx.quick else 500
    C = np.random.default_rng(0).random((n, n))
    a = np.full(n, 1.0 / n)
    res, seconds = ctx.timed(sinkhorn_newton_sparse, a, a, C, 1 / 1200)
    row = TourRow("random cost, reg=1/1200", "sinkhorn_newton_sparse", f"n={n}", seconds, "iterations",
                  float(res.n_iter))
    if ctx.has("ot"):
        import ot

        # POT needs ~19,000 iterations at n=500 but stalls past 500,000 (80 s) at n=200: capped in --quick.
        cap = 20_000 if ctx.quick else 500_000
        (_, log), peer = ctx.timed(_quiet, ot.sinkhorn, a, a, C, 1 / 1200, stopThr=1e-9, numItermax=cap, log=True)
        stopped = log["niter"] >= cap - 1
        row.peer = f"POT sinkhorn (stopped at its {cap} cap)" if stopped else "POT sinkhorn"
        row.peer_seconds, row.peer_value = peer, float(log["niter"])
    return row


@tour_case("ot", "sparsity-constrained OT: at most k nonzeros per column, tight marginals")
@_pinned
def sparse_plans(ctx):
    n = 100 if ctx.quick else 200
    a, M, x, y = _clouds(n)
    rows = []
    for k in (1, 2, 5):
        res, seconds = ctx.timed(sparse_ot, a, a, M, k, 0.1)
        row = TourRow(f"uniform clouds, gamma=0.1, k={k}", "sparse_ot (dual)", f"n={n}", seconds,
                      "marginal err (L1)", float(res.marginal_error[-1].max()))
        if ctx.has("ot"):
            import ot.smooth

            G, peer = ctx.timed(_quiet, ot.smooth.smooth_ot_dual, a, a, M, 0.1, reg_type="sparsity_constrained",
                                max_nz=k)
            row.peer, row.peer_seconds = "POT smooth_ot_dual", peer
            row.peer_value = float(max(np.abs(G.sum(axis=1) - a).sum(), np.abs(G.sum(axis=0) - a).sum()))
        rows.append(row)
        if k == 2:
            plan = res.plan.tocoo()
    with ctx.figure("ot_sparse_plan") as (fig, ax):
        if fig is not None:
            for i, j, t in zip(plan.row, plan.col, plan.data):
                ax.plot([x[i, 0], y[j, 0]], [x[i, 1], y[j, 1]], color="k", alpha=min(1.0, t * n), lw=0.8)
            ax.scatter(*x.T, s=8, label="sources")
            ax.scatter(*y.T, s=8, label="targets")
            ax.set_title("sparse_ot, k=2, gamma=0.1")
            ax.set_aspect("equal")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")  # below: hides no point
    return rows


@tour_case("ot", "robustness: n=1000 at reg=1e-3 keeps the plan's mass (POT sinkhorn_stabilized: 1e-6)")
@_pinned
def plan_mass(ctx):
    n = 300 if ctx.quick else 1000
    a, M, _, _ = _clouds(n)
    res, seconds = ctx.timed(sinkhorn, a, a, M, 1e-3)
    row = TourRow("uniform clouds, reg=1e-3", "sinkhorn auto", f"n={n}", seconds, "plan mass", float(res.plan.sum()))
    if ctx.has("ot"):
        import ot

        G, peer = ctx.timed(_quiet, ot.sinkhorn, a, a, M, 1e-3, method="sinkhorn_stabilized", numItermax=200)
        row.peer, row.peer_seconds, row.peer_value = "POT sinkhorn_stabilized (200 its)", peer, float(G.sum())
    return row
