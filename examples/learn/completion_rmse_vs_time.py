"""
Held-out relative RMSE against time: AltMin (three row solvers) and soft-impute, 2000 x 1500, rank 10, 5%.
==========================================================================================================

Writes ``doc/user_guide/images/learn_completion_rmse_vs_time.png``. BLAS on one thread.
"""

import pathlib
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sparsekit._tour.learn_completion import relative_rmse, soft_impute, synthetic_problem  # noqa: E402
from sparsekit.linalg import altmin_complete  # noqa: E402

M, rows, cols, truth = synthetic_problem()
fig, ax = plt.subplots(figsize=(6, 3.6))
with threadpool_limits(1), warnings.catch_warnings():
    warnings.simplefilter("ignore")
    altmin_complete(M, 10, max_iter=1, solver="sketch", random_state=0)  # compile the kernels
    for solver in ("exact", "cg", "sketch"):
        times, errors, start = [], [], time.perf_counter()

        def record(state):
            times.append(time.perf_counter() - start)
            errors.append(relative_rmse(np.einsum("ij,ij->i", state.U[rows], state.V[cols]), truth))

        altmin_complete(M, 10, solver=solver, tol=0.0, max_iter=12, random_state=0, callback=record)
        ax.plot(times, errors, marker="o", ms=3, label=f"altmin_complete({solver!r})")
    start = time.perf_counter()
    low_rank, iters = soft_impute(M, 10)
    ax.plot([time.perf_counter() - start], [relative_rmse(low_rank[rows, cols], truth)], "k*", ms=10,
            label=f"soft-impute(max_rank=10), {iters} iterations")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("seconds (one BLAS thread; callback time included)")
ax.set_ylabel("held-out relative RMSE")
ax.legend(fontsize=8)
fig.tight_layout()
out = pathlib.Path(__file__).resolve().parents[2] / "doc/user_guide/images/learn_completion_rmse_vs_time.png"
fig.savefig(out, dpi=110)
print(out)
