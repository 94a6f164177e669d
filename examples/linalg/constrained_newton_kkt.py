"""
Sketched Newton for equality constraints: KKT residual against inner work
=========================================================================

:func:`sparsekit.linalg.sketched_newton` on two problems of the asv benchmark
(``sparsekit._tour.linalg_constrained``): logistic regression with 50
random linear equality constraints (d = 500) and a Poisson control problem on a
32 x 32 grid (2048 unknowns, 1024 constraints). Left: KKT residual per Newton
iteration; right: against the inner work, products with ``H`` or the KKT matrix
(MINRES with the sketched Nyström preconditioner, and SciPy trust-constr's
projected CG) or row-block projections (sketch-and-project). The direct KKT
solve has no such work: it is only in the left panels; trust-constr's factorisations of its constraint
projections are not counted in its CG iterations either.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy import optimize

from sparsekit._tour.linalg_constrained import constrained_logistic, poisson_control
from sparsekit.linalg import sketched_newton


def trust_constr_history(problem):
    fun, jac, hess, constraint, x0 = problem
    kkt, work = [], []

    def record(intermediate_result):
        r = intermediate_result
        grad = jac(r.x) + constraint.A.T @ r.v[0]  # SciPy's Lagrangian is f + v^T c
        kkt.append(np.hypot(np.linalg.norm(grad), np.linalg.norm(constraint.A @ r.x - constraint.lb)))
        work.append(r.cg_niter)

    optimize.minimize(fun, x0, jac=jac, hess=hess, method="trust-constr", constraints=[constraint],
                      callback=record, options=dict(gtol=1e-8, xtol=1e-14, maxiter=500))
    return np.array(kkt), np.array(work)


COLORS = {"nystrom-minres": "C0", "direct": "C1", "block-kaczmarz": "C2", "trust-constr": "C3"}
fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
problems = [("logistic + 50 constraints, d = 500", constrained_logistic(500)),
            ("Poisson control 32 x 32", poisson_control(32))]
for (title, problem), (left, right) in zip(problems, axes):
    fun, jac, hess, constraint, x0 = problem
    solvers = ["nystrom-minres", "direct"] + (["block-kaczmarz"] if "logistic" in title else [])
    for solver in solvers:
        res = sketched_newton(fun, x0, jac=jac, hess=hess, constraints=constraint, solver=solver, tol=1e-8,
                              maxiter=30, random_state=0)
        left.semilogy(res.kkt_residual, marker="o", color=COLORS[solver], label=f"sketched_newton ({solver})")
        if solver != "direct":
            right.semilogy(np.concatenate([[0], np.cumsum(res.inner_iterations)]), res.kkt_residual, marker="o",
                           color=COLORS[solver], label=f"sketched_newton ({solver})")
        print(f"{title}, {solver}: {res.n_iter} Newton steps, inner work {res.inner_iterations.sum()}, "
              f"KKT residual {res.kkt_residual[-1]:.1e}")
    kkt, work = trust_constr_history(problem)
    left.semilogy(np.arange(1, kkt.size + 1), kkt, marker=".", color=COLORS["trust-constr"],
                  label="scipy trust-constr")
    right.semilogy(work, kkt, marker=".", color=COLORS["trust-constr"],
                   label="scipy trust-constr (CG iterations; its projection factorisations not counted)")
    print(f"{title}, trust-constr: {kkt.size} iterations, {work[-1]} CG iterations, KKT residual {kkt[-1]:.1e}")
    left.set(title=title, xlabel="Newton / SQP iteration", ylabel="KKT residual")
    right.set(title=title, xlabel="inner work (matrix-vector products or projections)", xscale="symlog")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
fig.tight_layout()
out = Path(__file__).resolve().parents[2] / "doc" / "user_guide" / "images" / "linalg_constrained_kkt.png"
fig.savefig(out, dpi=90)
print(f"saved {out}")
