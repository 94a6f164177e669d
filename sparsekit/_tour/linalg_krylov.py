"""Tour cases of Krylov subspace recycling: GCRO-DR on PDE sequences against SciPy's solvers."""

import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit.datasets import darcy_sequence, helmholtz_sequence, poisson_sequence
from sparsekit.linalg import order_systems, solve_sequence

from ._case import TourRow, tour_case


def _run(ctx, systems, method, **options):
    """Solve with BLAS pinned to one thread (multithreaded BLAS on small blocks is a trap); return (result, s)."""
    with threadpool_limits(limits=1):
        return ctx.timed(solve_sequence, systems, method=method, order="given", **options)


def _warm_gcrodr(ctx, systems, **options):
    """Load or compile every GCRO-DR kernel outside the timings: two systems take the recycling path too."""
    _run(ctx, systems[:2], "gcrodr", rtol=1e-8, **options)


@tour_case("linalg", "Helmholtz sequence: GCRO-DR(40, 20) recycling vs SciPy gmres(40) and gcrotmk(20, 20)")
def helmholtz_recycling(ctx):
    n, count = (30, 10) if ctx.quick else (50, 20)
    data = helmholtz_sequence(count, n=n, random_state=0)
    systems = [data.systems[i] for i in order_systems(data.systems, features=data.features)]
    _warm_gcrodr(ctx, systems)
    ours, seconds = _run(ctx, systems, "gcrodr", rtol=1e-8, m=40, k=20)
    gmres, gmres_s = _run(ctx, systems, "gmres", rtol=1e-8, restart=40, maxiter=1000)
    gcrot, gcrot_s = _run(ctx, systems, "gcrotmk", rtol=1e-8, m=20, k=20, maxiter=1000)
    with ctx.figure("krylov_helmholtz_matvecs") as (fig, ax):
        if fig is not None:
            for res, label in ((gmres, "scipy gmres(40)"), (gcrot, "scipy gcrotmk(20, 20), CU carried"),
                               (ours, "sparsekit gcrodr(40, 20)")):  # fmt: skip
                ax.plot(res.n_matvec, marker="o", ms=3, label=label)
            ax.set_xlabel("system (sorted order)")
            ax.set_ylabel("matrix-vector products")
            ax.set_title(f"Helmholtz, n={n * n}, rtol 1e-8")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")  # below: hides no curve
    problem = f"Helmholtz GRF, {count} sorted systems, rtol 1e-8"
    size = f"n={n * n}"
    per_system = float(ours.n_matvec.mean())
    return [
        TourRow(problem, "solve_sequence gcrodr(40,20)", size, seconds, "matvecs/system", per_system,
                "scipy gmres(restart=40)", gmres_s, float(gmres.n_matvec.mean())),
        TourRow(problem, "solve_sequence gcrodr(40,20)", size, seconds, "matvecs/system", per_system,
                "scipy gcrotmk(20,20)+CU", gcrot_s, float(gcrot.n_matvec.mean())),
    ]  # fmt: skip


@tour_case("linalg", "Darcy sequence with Jacobi: GCRO-DR sorted vs unsorted vs SciPy gmres(40)")
def darcy_jacobi(ctx):
    n, count = (30, 8) if ctx.quick else (50, 20)
    data = darcy_sequence(count, n=n, permeability="lognormal", random_state=1)
    sorted_systems = [data.systems[i] for i in order_systems(data.systems, features=data.features)]
    _warm_gcrodr(ctx, sorted_systems, M="jacobi")
    ours, seconds = _run(ctx, sorted_systems, "gcrodr", rtol=1e-8, M="jacobi", m=40, k=20)
    unsorted, unsorted_s = _run(ctx, data.systems, "gcrodr", rtol=1e-8, M="jacobi", m=40, k=20)
    gmres, gmres_s = _run(ctx, sorted_systems, "gmres", rtol=1e-8, M="jacobi", restart=40)
    problem = f"Darcy lognormal GRF, {count} systems, Jacobi, rtol 1e-8"
    size = f"n={n * n}"
    return [
        TourRow(problem, "gcrodr sorted", size, seconds, "matvecs/system", float(ours.n_matvec.mean()),
                "scipy gmres(40)+Jacobi", gmres_s, float(gmres.n_matvec.mean())),
        TourRow(problem, "gcrodr sorted", size, seconds, "matvecs/system", float(ours.n_matvec.mean()),
                "gcrodr unsorted", unsorted_s, float(unsorted.n_matvec.mean())),
    ]  # fmt: skip


@tour_case("linalg", "Poisson with random sources (one matrix): GCRO-DR recycling vs SciPy gcrotmk")
def poisson_sources(ctx):
    n, count = (30, 10) if ctx.quick else (60, 30)
    data = poisson_sequence(count, n=n, random_state=2)
    _warm_gcrodr(ctx, data.systems)
    ours, seconds = _run(ctx, data.systems, "gcrodr", rtol=1e-8, m=40, k=20)
    gcrot, gcrot_s = _run(ctx, data.systems, "gcrotmk", rtol=1e-8, m=20, k=20, maxiter=1000)
    return TourRow(f"Poisson, {count} right-hand sides, rtol 1e-8", "solve_sequence gcrodr(40,20)", f"n={n * n}",
                   seconds, "matvecs/system", float(np.mean(ours.n_matvec)), "scipy gcrotmk(20,20)+CU", gcrot_s,
                   float(np.mean(gcrot.n_matvec)))  # fmt: skip
