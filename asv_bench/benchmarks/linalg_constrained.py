"""Equality-constrained optimisation: sketched_newton against scipy.optimize.minimize(method="trust-constr").

Two families of the ICML 2023 paper's experiments, rebuilt in ``sparsekit._tour.linalg_constrained``: logistic
regression with linear equality constraints (d from 100 up; from d = 2000 with Hessian-vector products) and a
PDE-constrained control problem (Poisson on an n x n grid, y and u unknown, A y = u).
"""

from common import CompareCase, PinnedThreads, quiet

from sparsekit._tour.linalg_constrained import (
    constrained_logistic,
    poisson_control,
    run_sketched_newton,
    run_trust_constr,
)

TOL = 1e-6


def _trust_constr(problem):
    return quiet(run_trust_constr, problem, TOL)


def _ours(problem, solver="nystrom-minres"):
    return quiet(run_sketched_newton, problem, solver, TOL)


class ConstrainedLogistic(PinnedThreads):
    params = [100, 500]
    param_names = ["d"]

    def setup(self, d):
        super().setup(d)
        self.problem = constrained_logistic(d)

    def time_sketched_newton(self, d):
        _ours(self.problem)

    def time_trust_constr(self, d):
        _trust_constr(self.problem)

    def track_newton_iterations(self, d):
        return _ours(self.problem).n_iter

    def track_inner_products(self, d):
        return int(_ours(self.problem).inner_iterations.sum())


class PoissonControl(PinnedThreads):
    params = [16, 32]
    param_names = ["n"]

    def setup(self, n):
        super().setup(n)
        self.problem = poisson_control(n)

    def time_sketched_newton(self, n):
        _ours(self.problem)

    def time_direct(self, n):
        _ours(self.problem, "direct")

    def time_trust_constr(self, n):
        _trust_constr(self.problem)

    def peakmem_sketched_newton(self, n):
        _ours(self.problem)


class PoissonControlLarge(PinnedThreads):
    """The grids where the sketched solver pays: one factorisation of the m x m Schur block, ~13 MINRES products."""

    params = [128, 256]
    param_names = ["n"]
    timeout = 300

    def setup(self, n):
        super().setup(n)
        self.problem = poisson_control(n)

    def time_sketched_newton(self, n):
        _ours(self.problem)

    def peakmem_sketched_newton(self, n):
        _ours(self.problem)

    def track_inner_products(self, n):
        return int(_ours(self.problem).inner_iterations.sum())

    def track_kkt_residual(self, n):
        return float(_ours(self.problem).kkt_residual[-1])


def compare_cases(quick=False):
    """sketched_newton (sketched-preconditioned MINRES and direct KKT solves) vs trust-constr, KKT residual 1e-6."""
    problems = [(f"logistic + A w = b, d={d}", constrained_logistic(d), ("nystrom-minres", "direct"))
                for d in ((100,) if quick else (100, 500))]
    problems += [(f"logistic + A w = b, d={d}, Hessian products", constrained_logistic(d, products=True),
                  ("nystrom-minres",)) for d in (() if quick else (2000,))]
    problems += [(f"Poisson control {n}x{n}", poisson_control(n), ("nystrom-minres", "direct"))
                 for n in ((16,) if quick else (16, 32, 64, 128))]
    cases = []
    for label, problem, solvers in problems:
        for solver in solvers:
            cases.append(CompareCase(
                case=f"{label}, {solver}", sparsekit=lambda p=problem, s=solver: _ours(p, s),
                peer=lambda p=problem: _trust_constr(p), peer_name="scipy trust-constr",
                quality=lambda ours, theirs: ours.converged and ours.kkt_residual[-1] <= TOL,
                metrics={
                    "KKT residual": (lambda r: r.kkt_residual[-1], lambda r: r.kkt),
                    "iterations": (lambda r: r.n_iter, lambda r: r.nit),
                    "inner work": (lambda r: int(r.inner_iterations.sum()), lambda r: r.cg_niter),
                },
            ))
    return cases
