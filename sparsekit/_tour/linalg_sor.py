"""Tour rows of SOR and learned relaxation: sweep throughput vs pyamg, the paper's sequences, SSOR-CG on heat."""

import numpy as np

from sparsekit.datasets import HeatEquation2D, poisson2d, shifted_laplacian_sequence
from sparsekit.linalg import LaplacianStencil, evaluate_omegas, sor, sor_sequence

from ._case import TourRow, tour_case

_SWEEPS = 10


@tour_case("linalg", "SOR sweeps on a Poisson matrix vs pyamg (CSR and matrix-free stencil)")
def sweep_throughput(ctx):
    """Ten forward SOR(1.5) sweeps from the same start: per-sweep time and distance to pyamg's iterate."""
    size = 300 if ctx.quick else 1000
    A = poisson2d(size)
    rng = np.random.default_rng(0)
    b, x0 = rng.standard_normal(size * size), rng.standard_normal(size * size)
    problem = f"Poisson {size}x{size}, {_SWEEPS} sweeps"
    operators = (("CSR", A), ("stencil", LaplacianStencil((size, size))))
    for _, matrix in operators:  # compile outside the timing
        sor(matrix, b, x0, omega=1.5, maxiter=1, rtol=0.0)
    peer_x, peer_seconds = None, None
    if ctx.has("pyamg"):
        from pyamg.relaxation.relaxation import sor as pyamg_sor

        peer_x = x0.copy()
        _, peer_seconds = ctx.timed(pyamg_sor, A, peer_x, b, 1.5, iterations=_SWEEPS)
    rows = []
    for name, matrix in operators:
        result, seconds = ctx.timed(sor, matrix, b, x0, omega=1.5, maxiter=_SWEEPS, rtol=0.0)
        gap = float("nan") if peer_x is None else float(np.abs(result.x - peer_x).max() / np.abs(peer_x).max())
        rows.append(TourRow(
            problem=problem, method=f"sor {name} (time per sweep)", size=f"n={size * size}",
            seconds=seconds / _SWEEPS, metric="rel. gap to pyamg", value=gap,
            peer="pyamg sor" if peer_x is not None else None,
            peer_seconds=None if peer_seconds is None else peer_seconds / _SWEEPS,
            peer_value=None if peer_x is None else 0.0,
        ))
    return rows


def _paper_rows(ctx, variance):
    n_systems = 300 if ctx.quick else 2000
    data = shifted_laplacian_sequence(n_systems, variance=variance, matrix_free=True, random_state=0)
    systems, shifts = data.systems, data.shifts
    hindsight = evaluate_omegas(systems)
    problem = f"10x10 Laplacian + c_t I ({variance} variance), T={n_systems}"
    runs = {
        "tsallis-inf": {"policy": "tsallis-inf", "random_state": 0},
        "tsallis-inf-cb": {"policy": "tsallis-inf-cb", "context": shifts, "random_state": 0},
        "chebcb": {"policy": "chebcb", "context": shifts, "random_state": 0},
        "omega=1": {"policy": "fixed", "omega": 1.0},
        "instance-optimal": {"policy": "instance-optimal"},
    }
    rows, curves = [], {}
    for name, options in runs.items():
        result, seconds = ctx.timed(sor_sequence, systems, keep_solutions=False, **options)
        curves[name] = np.cumsum(result.n_iter)
        rows.append(TourRow(
            problem=problem, method=f"sor_sequence {name}", size="n=100", seconds=seconds,
            metric="total iters", value=float(result.total_iterations),
            peer=f"best fixed omega={hindsight.best_omega:.2f} (hindsight)", peer_seconds=None,
            peer_value=float(hindsight.best_total),
        ))
    with ctx.figure(f"sor_bandit_{variance}_variance") as (fig, ax):
        if fig is not None:
            best = int(np.argmin(hindsight.totals))
            curves[f"best fixed omega={hindsight.best_omega:.2f}"] = np.cumsum(hindsight.costs[:, best])
            for name, curve in curves.items():
                ax.plot(np.arange(1, n_systems + 1), curve, label=name)
            ax.set_xlabel("system t")
            ax.set_ylabel("cumulative SOR iterations")
            ax.set_title(problem)
            ax.legend()
    return rows


@tour_case("linalg", "Learning to Relax: online omega over shifted Laplacians (high variance)")
def paper_high_variance(ctx):
    """Total SOR iterations of each policy on the paper's high-variance sequence, vs the best fixed omega."""
    return _paper_rows(ctx, "high")


@tour_case("linalg", "Learning to Relax: online omega over shifted Laplacians (low variance)")
def paper_low_variance(ctx):
    """The same on the low-variance sequence (shifts -0.15 + 0.6 Beta(2, 6))."""
    return _paper_rows(ctx, "low")


@tour_case("linalg", "SSOR-preconditioned CG over a Crank-Nicolson heat equation, omega learned online")
def heat_equation(ctx):
    """CG iterations and time of SSOR-CG with fixed and learned omega, vs SciPy's unpreconditioned CG."""
    nx, n_steps = (40, 150) if ctx.quick else (101, 1000)
    problem = f"heat equation, Crank-Nicolson, {n_steps} steps"
    size = f"n={(nx - 1) ** 2}"
    heat = HeatEquation2D(nx, n_steps=n_steps, stop_time=n_steps * 1e-3, matrix_free=True)
    stored = HeatEquation2D(nx, n_steps=n_steps, stop_time=n_steps * 1e-3)
    (peer_iterations, _), peer_seconds = ctx.timed(scipy_cg_sequence, stored)
    runs = {f"omega={w}": {"policy": "fixed", "omega": w} for w in (1.0, 1.5, 1.95)}
    runs["tsallis-inf"] = {"policy": "tsallis-inf", "random_state": 0}
    runs["chebcb"] = {"policy": "chebcb", "context": heat.contexts, "random_state": 0}
    rows = []
    for name, options in runs.items():
        result, seconds = ctx.timed(sor_sequence, heat.systems(), solver="ssor-cg", warm_start=True,
                                    x0=heat.initial(), keep_solutions=False, **options)
        rows.append(TourRow(
            problem=problem, method=f"ssor-cg {name}", size=size, seconds=seconds, metric="total CG iters",
            value=float(result.total_iterations), peer="scipy cg (no preconditioner)",
            peer_seconds=peer_seconds, peer_value=float(peer_iterations),
        ))
    return rows


def scipy_cg_sequence(heat):
    """SciPy's CG on every step, warm-started like the sparsekit runs; returns (iterations, last solution).

    The peer of the heat-equation row here and of its benchmark in ``asv_bench/benchmarks/linalg_sor.py``.
    """
    from scipy.sparse.linalg import cg

    count = [0]

    def tick(_):
        count[0] += 1

    steps = heat.systems()
    u = heat.initial()
    A, b = next(steps)
    while True:
        u, _ = cg(A, b, x0=u, rtol=1e-8, maxiter=10_000, callback=tick)
        try:
            A, b = steps.send(u)
        except StopIteration:
            return count[0], u
