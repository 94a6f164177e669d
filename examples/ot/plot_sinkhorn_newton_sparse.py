"""
Sinkhorn, Sinkhorn-Newton-Sparse and POT: marginal error against time
======================================================================

Entropic OT between two clouds of 500 uniform points (squared Euclidean cost
scaled to a maximum of 1) at ``reg = 1e-3``, solved until both marginal
errors are below ``1e-9``. Sinkhorn needs about 1600 iterations here; the
Newton stage of :func:`sparsekit.ot.sinkhorn_newton_sparse` finishes in about
twenty, each one pass over the cost plus a sparse solve. ``sinkhorn`` with
its default ``method="auto"`` makes that choice itself.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit.ot import cost_matrix, sinkhorn, sinkhorn_newton_sparse

rng = np.random.default_rng(0)
n, reg = 500, 1e-3
x, y = rng.random((n, 2)), rng.random((n, 2))
M = cost_matrix(x, y)
M /= M.max()
a = b = np.full(n, 1.0 / n)

curves = {}
with threadpool_limits(limits=1, user_api="blas"):
    sinkhorn_newton_sparse(None, None, M[:50, :50], reg)  # compile the numba kernels first
    for label, method in (("sinkhorn, kernel space", "kernel"), ("sinkhorn, log domain", "log")):
        res = sinkhorn(a, b, M, reg, method=method)
        curves[label] = (res.elapsed, res.marginal_error.max(axis=1), res.n_iter)
    res = sinkhorn_newton_sparse(a, b, M, reg)
    curves["sinkhorn_newton_sparse"] = (res.elapsed, res.marginal_error.max(axis=1), res.n_iter)
    print(f"SNS: {res.n_sinkhorn} Sinkhorn + {res.n_newton} Newton iterations, "
          f"Hessian density {res.hess_density.min():.3f} to {res.hess_density.max():.3f}")
    try:
        import ot
    except ImportError:
        ot = None
    if ot is not None:
        start = time.perf_counter()
        _, log = ot.sinkhorn(a, b, M, reg, stopThr=1e-9, numItermax=100_000, log=True)
        seconds = time.perf_counter() - start
        checks = 1 + 10 * np.arange(len(log["err"]))  # POT measures every 10 iterations
        curves["POT sinkhorn"] = (seconds * checks / log["niter"], np.asarray(log["err"]), log["niter"])

fig, ax = plt.subplots(figsize=(6.4, 4.2))
for label, (seconds, errors, n_iter) in curves.items():
    ax.semilogy(seconds[1:], errors[1:], label=f"{label} ({n_iter} it.)")
ax.axhline(1e-9, color="grey", lw=0.8, ls=":")
ax.set_xlabel("seconds (one thread)")
ax.set_ylabel("marginal error (L2)")
ax.set_title(f"n = {n}, reg = {reg:g}")
ax.legend()
fig.tight_layout()
plt.show()
