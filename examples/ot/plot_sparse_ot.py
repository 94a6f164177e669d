"""
A transport plan with at most k nonzeros per column
===================================================

:func:`sparsekit.ot.sparse_ot` solves quadratically regularised OT with at
most ``k`` nonzeros in each column of the plan (Liu, Puigcerver & Blondel,
2023), to marginal errors at rounding level. Each target point below is
linked to the (at most two) sources that serve it; :func:`quadratic_ot`, the
same problem without the cardinality constraint, spreads some columns over
more sources.
"""

import matplotlib.pyplot as plt
import numpy as np

from sparsekit.ot import cost_matrix, quadratic_ot, sparse_ot

rng = np.random.default_rng(0)
n = 60
x, y = rng.random((n, 2)), rng.random((n, 2))
M = cost_matrix(x, y)
M /= M.max()

plans = {"quadratic_ot": quadratic_ot(None, None, M, 0.5), "sparse_ot, k = 2": sparse_ot(None, None, M, 2, 0.5)}
fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), sharey=True)
for ax, (title, res) in zip(axes, plans.items()):
    plan = res.plan.tocoo()
    for i, j, t in zip(plan.row, plan.col, plan.data):
        ax.plot([x[i, 0], y[j, 0]], [x[i, 1], y[j, 1]], color="k", lw=0.8, alpha=min(1.0, 1.5 * n * t))
    ax.scatter(*x.T, s=12, label="sources")
    ax.scatter(*y.T, s=12, label="targets")
    per_column = np.diff(res.plan.tocsc().indptr)
    ax.set_title(f"{title}: at most {per_column.max()} per column\nmarginal error "
                 f"{res.marginal_error[-1].max():.1e}")
    ax.set_aspect("equal")
axes[0].legend(loc="lower left")
fig.tight_layout()
plt.show()
