"""Tour rows of fractional minimisation: FCD and PCD vs Dinkelbach on the sparse-recovery ratio, the l4 ratio."""

import time

import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit.linalg import fractional_cd, fractional_l4_cd

from ._case import TourRow, tour_case


def recovery_problem(m=1024, n=1024, seed=0):
    """The benchmark's sparse-recovery data: Gaussian-plus-sparse ``G`` (Frobenius-normalised) and the paper's ``y``.

    ``G = N + S`` with ``N`` standard Gaussian and ``S`` 1% nonzeros of scale 10 (heavy columns, as in text data);
    ``y = b + 0.1 ||b|| e`` with ``b = G x``, ``x`` 100-sparse Gaussian (``generate_y_DCSparseOpt.m``).
    """
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((m, n))
    mask = rng.random((m, n)) < 0.01
    G[mask] += 10.0 * rng.standard_normal(int(mask.sum()))
    G /= np.linalg.norm(G)
    x = np.zeros(n)
    x[rng.permutation(n)[:100]] = rng.standard_normal(100)
    b = G @ x
    return G, b + 0.1 * np.linalg.norm(b) * rng.standard_normal(m)


def timed_run(G, y, method, max_time=60.0, **options):
    """``fractional_cd`` from the paper's start with every iteration time-stamped: ``(result, seconds)``."""
    stamps = []
    start = time.perf_counter()
    result = fractional_cd(G, y, method=method, k=100, maxiter=10**6, max_time=max_time, random_state=0,
                           callback=lambda xk: stamps.append(time.perf_counter() - start) and False, **options)
    return result, np.asarray(stamps)


def time_to(result, stamps, target):
    """Seconds until the ratio first reaches ``target`` (``inf`` if it never does)."""
    hit = np.nonzero(result.ratios <= target)[0]
    return float(stamps[hit[0]]) if hit.size else float("inf")


@tour_case("linalg", "Fractional CD (FCD, PCD) vs Dinkelbach on the top-k sparse-recovery ratio")
def recovery_ratio(ctx):
    size, cap = (256, 10.0) if ctx.quick else (1024, 60.0)
    G, y = recovery_problem(size, size)
    fractional_cd(G[:20, :30], y[:20], k=3, maxiter=2, random_state=0)  # compile outside the timing
    with threadpool_limits(1):
        runs = {name: timed_run(G, y, name, max_time=cap) for name in ("fcd", "pcd")}
        peer, peer_stamps = timed_run(G, y, "dinkelbach", max_time=cap, inner=100)
    target = min(r.ratio for r, _ in [*runs.values(), (peer, None)]) * (1 + 1e-6)
    problem = f"Gaussian+sparse G {size}x{size}, k=100, lam=0.1/m"
    rows = []
    for name, (result, stamps) in runs.items():
        rows.append(TourRow(problem=problem, method=f"fractional_cd {name} (final ratio)", size=f"n={size}",
                            seconds=float(stamps[-1]), metric="ratio", value=result.ratio,
                            peer=f"dinkelbach, {cap:.0f} s cap", peer_seconds=float(peer_stamps[-1]),
                            peer_value=peer.ratio))
        rows.append(TourRow(problem=problem, method=f"fractional_cd {name} (to 1e-6 of best)", size=f"n={size}",
                            seconds=time_to(result, stamps, target), metric="seconds to 1e-6",
                            value=time_to(result, stamps, target), peer="dinkelbach",
                            peer_seconds=time_to(peer, peer_stamps, target),
                            peer_value=time_to(peer, peer_stamps, target)))
    with ctx.figure("fractional_ratio_vs_time") as (fig, ax):
        if fig is not None:
            for name, (result, stamps) in {**runs, "dinkelbach": (peer, peer_stamps)}.items():
                ax.loglog(stamps, result.ratios - target / (1 + 1e-6) + 1e-9, label=name)
            ax.set_xlabel("seconds")
            ax.set_ylabel("ratio - best ratio")
            ax.set_title(problem)
            ax.legend()
    return rows


def l4_ratio_and_gradient(x, A):
    """``||x||^2 / ||A x||_4^2`` and its gradient, for a gradient-based peer (scipy's L-BFGS)."""
    b = A @ x
    s = np.sqrt(np.sum(b**4))
    norm2 = x @ x
    return norm2 / s, 2.0 * x / s - 2.0 * norm2 * (A.T @ b**3) / s**3


def lbfgs_l4(A, x0):
    """The peer: scipy's L-BFGS-B on the l4 ratio from ``x0``, run to its tightest tolerances."""
    from scipy.optimize import minimize

    return minimize(l4_ratio_and_gradient, x0, args=(A,), jac=True, method="L-BFGS-B",
                    options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 100000})


@tour_case("linalg", "Fractional CD on the l4 (kurtosis) ratio ||x||^2 / ||Ax||_4^2 vs L-BFGS")
def l4_ratio(ctx):
    """Gaussian ``A``, the same random start for both: ratio reached and time."""
    m, n = (2000, 16) if ctx.quick else (20000, 32)
    A = np.random.default_rng(1).standard_normal((m, n))
    x0 = np.random.default_rng(0).standard_normal(n)
    fractional_l4_cd(A[:20, :4], random_state=0)  # compile outside the timing
    with threadpool_limits(1):
        result, seconds = ctx.timed(fractional_l4_cd, A, x0)
        peer, peer_seconds = ctx.timed(lbfgs_l4, A, x0)
    return [TourRow(problem=f"Gaussian A {m}x{n}", method="fractional_l4_cd", size=f"n={n}", seconds=seconds,
                    metric="ratio", value=result.ratio, peer="scipy L-BFGS-B", peer_seconds=peer_seconds,
                    peer_value=float(peer.fun))]
