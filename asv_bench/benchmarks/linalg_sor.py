"""asv benchmarks and peer comparisons of SOR, SSOR-CG and online omega tuning (area ``linalg-sor``)."""

import time

import numpy as np
from common import CompareCase, PinnedThreads, have

from sparsekit._tour.linalg_sor import scipy_cg_sequence
from sparsekit.datasets import HeatEquation2D, poisson2d, shifted_laplacian_sequence
from sparsekit.linalg import LaplacianStencil, evaluate_omegas, sor, sor_sequence, ssor_cg, young_omega

SWEEPS = 10


def _poisson_problem(size, kind):
    rng = np.random.default_rng(0)
    matrix = poisson2d(size) if kind == "csr" else LaplacianStencil((size, size))
    return matrix, rng.standard_normal(size * size), rng.standard_normal(size * size)


class SORSweeps(PinnedThreads):
    """Ten forward SOR sweeps on the 1000 x 1000 Poisson matrix (the sweep-throughput figure)."""

    params = ["csr", "stencil"]
    param_names = ["matrix"]
    timeout = 120

    def setup(self, kind):
        super().setup(kind)
        self.A, self.b, self.x0 = _poisson_problem(1000, kind)
        sor(self.A, self.b, self.x0, omega=1.5, maxiter=1, rtol=0.0)

    def time_sweeps(self, kind):
        sor(self.A, self.b, self.x0, omega=1.5, maxiter=SWEEPS, rtol=0.0)

    def peakmem_sweeps(self, kind):
        sor(self.A, self.b, self.x0, omega=1.5, maxiter=SWEEPS, rtol=0.0)


class SORSolve(PinnedThreads):
    """A full SOR solve (Young's omega) and an SSOR-CG solve on a 300 x 300 Poisson problem."""

    params = ["csr", "stencil"]
    param_names = ["matrix"]

    def setup(self, kind):
        super().setup(kind)
        self.A, self.b, _ = _poisson_problem(300, kind)
        self.omega = young_omega(LaplacianStencil((300, 300)))
        sor(self.A, self.b, omega=self.omega, maxiter=2)
        ssor_cg(self.A, self.b, omega=1.9, maxiter=2)

    def time_sor(self, kind):
        sor(self.A, self.b, omega=self.omega, rtol=1e-8)

    def track_sor_iterations(self, kind):
        return sor(self.A, self.b, omega=self.omega, rtol=1e-8).n_iter

    def time_ssor_cg(self, kind):
        ssor_cg(self.A, self.b, omega=1.9, rtol=1e-8)

    def track_ssor_cg_iterations(self, kind):
        return ssor_cg(self.A, self.b, omega=1.9, rtol=1e-8).n_iter


def _policy_options(policy, contexts, seed=0):
    """sor_sequence options of ``policy`` ("fixed" meaning omega = 1, Gauss-Seidel)."""
    if policy == "fixed":
        return {"policy": "fixed", "omega": 1.0, "keep_solutions": False}
    options = {"policy": policy, "random_state": seed, "keep_solutions": False}
    if policy in ("tsallis-inf-cb", "chebcb"):
        options["context"] = contexts
    return options


class PaperSequence(PinnedThreads):
    """Total iterations of each omega policy on the paper's shifted-Laplacian sequence (T = 1000)."""

    params = [["tsallis-inf", "tsallis-inf-cb", "chebcb", "fixed", "instance-optimal"], ["high", "low"]]
    param_names = ["policy", "variance"]
    timeout = 300

    def setup(self, policy, variance):
        super().setup(policy, variance)
        data = shifted_laplacian_sequence(1000, variance=variance, matrix_free=True, random_state=0)
        self.systems, shifts = data.systems, data.shifts
        self.options = _policy_options(policy, shifts)
        sor_sequence(self.systems[:3], **_policy_options(policy, shifts[:3]))

    def time_sequence(self, policy, variance):
        sor_sequence(self.systems, **self.options)

    def track_total_iterations(self, policy, variance):
        return sor_sequence(self.systems, **self.options).total_iterations


class HeatSequence(PinnedThreads):
    """SSOR-CG over 300 Crank-Nicolson steps of the heat equation (n = 9801), fixed vs learned omega."""

    params = [["fixed-1.0", "fixed-1.5", "tsallis-inf", "chebcb"]]
    param_names = ["policy"]
    timeout = 300

    def setup(self, policy):
        super().setup(policy)
        self.heat = HeatEquation2D(100, n_steps=300, stop_time=0.3, matrix_free=True)
        name, _, omega = policy.partition("-")
        self.options = {"policy": name, "solver": "ssor-cg", "warm_start": True, "x0": self.heat.initial(),
                        "keep_solutions": False}
        if omega:
            self.options["omega"] = float(omega)
        else:
            self.options["random_state"] = 0
        if name == "chebcb":
            self.options["context"] = self.heat.contexts

    def time_sequence(self, policy):
        sor_sequence(self.heat.systems(), **self.options)

    def track_total_iterations(self, policy):
        return sor_sequence(self.heat.systems(), **self.options).total_iterations


# --------------------------------------------------------------------------- compare.py cases
def _relative_gap(ours, theirs):
    return float(np.abs(ours - theirs).max() / np.abs(theirs).max())


def _sweep_cases(size):
    A, b, x0 = _poisson_problem(size, "csr")
    stencil = LaplacianStencil((size, size))
    if have("pyamg"):
        from pyamg.relaxation.relaxation import sor as pyamg_sor

    def peer():
        x = x0.copy()
        pyamg_sor(A, x, b, 1.5, iterations=SWEEPS)
        return x

    def peer_with_residuals():
        """What a pyamg user runs for a solve: a sweep, then the residual norm for the stopping test."""
        x = x0.copy()
        for _ in range(SWEEPS):
            pyamg_sor(A, x, b, 1.5, iterations=1)
            np.linalg.norm(b - A @ x)
        return x

    def same_iterate(ours, theirs):
        return _relative_gap(ours.x, theirs) <= 1e-12

    cases = []
    for name, matrix in (("CSR", A), ("stencil", stencil)):
        def ours(matrix=matrix):
            return sor(matrix, b, x0, omega=1.5, maxiter=SWEEPS, rtol=0.0)

        cases.append(CompareCase(
            case=f"poisson {size}x{size} {name}, {SWEEPS} sweeps", sparsekit=ours,
            peer=peer if have("pyamg") else None, peer_name="pyamg relaxation.sor",
            quality=same_iterate if have("pyamg") else None, setup=ours, repeat=7,
        ))
    cases.append(CompareCase(
        case=f"poisson {size}x{size} CSR, {SWEEPS} iterations + residual norms", sparsekit=cases[0].sparsekit,
        peer=peer_with_residuals if have("pyamg") else None, peer_name="pyamg sor + numpy residual",
        quality=same_iterate if have("pyamg") else None, repeat=7,
    ))
    return cases


def _sequence_cases(n_systems):
    data = shifted_laplacian_sequence(n_systems, variance="high", matrix_free=True, random_state=0)
    systems, shifts = data.systems, data.shifts
    hindsight = evaluate_omegas(systems)
    best = int(np.argmin(hindsight.totals))

    def best_fixed():
        return sor_sequence(systems, policy="fixed", omega=float(hindsight.omegas[best]), keep_solutions=False)

    def gauss_seidel():
        return sor_sequence(systems, policy="fixed", omega=1.0, keep_solutions=False)

    def total(result):
        return result.total_iterations

    cases = []
    for policy, extra in (("tsallis-inf", {}), ("chebcb", {"context": shifts})):
        def ours(policy=policy, extra=extra):
            return sor_sequence(systems, policy=policy, random_state=0, keep_solutions=False, **extra)

        for peer, peer_name in ((best_fixed, f"best fixed omega={hindsight.best_omega:.2f} (hindsight)"),
                                (gauss_seidel, "omega=1 (untuned)")):
            cases.append(CompareCase(
                case=f"shifted Laplacians T={n_systems}: {policy}", sparsekit=ours, peer=peer, peer_name=peer_name,
                quality=lambda ours_out, peer_out: ours_out.converged and peer_out.converged,
                metrics={"total iterations": (total, total)}, repeat=3,
            ))
    return cases


def _heat_case(nx, n_steps):
    heat = HeatEquation2D(nx, n_steps=n_steps, stop_time=n_steps * 1e-3, matrix_free=True)
    stored = HeatEquation2D(nx, n_steps=n_steps, stop_time=n_steps * 1e-3)

    def ours():
        return sor_sequence(heat.systems(), policy="chebcb", context=heat.contexts, solver="ssor-cg",
                            warm_start=True, x0=heat.initial(), keep_solutions=False, random_state=0)

    def scipy_cg():
        return scipy_cg_sequence(stored)

    return CompareCase(
        case=f"heat equation n={(nx - 1) ** 2}, {n_steps} steps: chebcb SSOR-CG", sparsekit=ours, peer=scipy_cg,
        peer_name="scipy cg (no preconditioner)",
        quality=lambda ours_out, peer_out: ours_out.converged and _relative_gap(ours_out.x_last, peer_out[1]) < 1e-6,
        metrics={"total iterations": (lambda out: out.total_iterations, lambda out: out[0])}, repeat=3,
    )


def compare_cases(quick=False):
    """sparsekit vs pyamg (sweeps), vs untuned and hindsight-tuned omega (sequences), vs SciPy CG (heat)."""
    cases = _sweep_cases(300 if quick else 1000)
    cases += _sequence_cases(300 if quick else 2000)
    cases.append(_heat_case(40 if quick else 101, 100 if quick else 500))
    return cases


# --------------------------------------------------------------------------- the issue's full experiments
def paper_experiment(n_systems=5000, seed=0):
    """Totals of every policy on both shifted-Laplacian sequences of the paper (printed as a table)."""
    for variance in ("high", "low"):
        data = shifted_laplacian_sequence(n_systems, variance=variance, matrix_free=True, random_state=seed)
        systems, shifts = data.systems, data.shifts
        hindsight = evaluate_omegas(systems)
        print(f"\n{variance}-variance shifts, T={n_systems}, seed {seed}: best fixed omega "
              f"{hindsight.best_omega:.2f} = {hindsight.best_total} iterations (hindsight, "
              f"{hindsight.wall_time:.1f} s for the whole grid)")
        for policy in ("tsallis-inf", "tsallis-inf-cb", "chebcb", "fixed", "instance-optimal"):
            start_cpu = time.thread_time()
            result = sor_sequence(systems, **_policy_options(policy, shifts, seed))
            name = "omega=1" if policy == "fixed" else policy
            print(f"  {name:17s} {result.total_iterations:9d} iterations  "
                  f"{result.total_iterations / hindsight.best_total:5.3f} x best fixed  "
                  f"{result.total_iterations / hindsight.totals[0]:5.3f} x omega=1  "
                  f"wall {result.wall_time:6.2f} s  cpu {time.thread_time() - start_cpu:6.2f} s")


def heat_experiment(nx=101, n_steps=5000):
    """SSOR-CG with fixed and learned omega over the Crank-Nicolson heat equation, vs SciPy's CG."""
    heat = HeatEquation2D(nx, n_steps=n_steps, stop_time=n_steps * 1e-3, matrix_free=True)
    print(f"\nheat equation, n={heat.n}, {n_steps} Crank-Nicolson steps, SSOR-CG, rtol=1e-8, warm start")
    runs = {f"omega={omega}": {"policy": "fixed", "omega": omega} for omega in (1.0, 1.5, 1.95)}
    runs["tsallis-inf"] = {"policy": "tsallis-inf", "random_state": 0}
    runs["tsallis-inf-cb"] = {"policy": "tsallis-inf-cb", "n_bins": 6, "context": heat.contexts, "random_state": 0}
    runs["chebcb"] = {"policy": "chebcb", "context": heat.contexts, "random_state": 0}
    for name, options in runs.items():
        start_cpu = time.thread_time()
        result = sor_sequence(heat.systems(), solver="ssor-cg", warm_start=True, x0=heat.initial(),
                              keep_solutions=False, **options)
        print(f"  {name:15s} {result.total_iterations:8d} CG iterations  wall {result.wall_time:7.2f} s  "
              f"cpu {time.thread_time() - start_cpu:7.2f} s")
    case = _heat_case(nx, n_steps)
    start, start_cpu = time.perf_counter(), time.thread_time()
    iterations, _ = case.peer()
    print(f"  {'scipy cg':15s} {iterations:8d} CG iterations  wall {time.perf_counter() - start:7.2f} s  "
          f"cpu {time.thread_time() - start_cpu:7.2f} s  (no preconditioner)")


if __name__ == "__main__":
    import sys

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        if "heat" not in sys.argv[1:]:
            paper_experiment()
        if "paper" not in sys.argv[1:]:
            heat_experiment()
