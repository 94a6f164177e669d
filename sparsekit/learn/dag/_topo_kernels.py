"""numba kernels of the topological-swap search (TopoSwap).

For an order ``pi``, the Cholesky factor ``L`` of ``cov[pi][:, pi] = L L^T``
holds every node's least-squares regression on its predecessors: row ``k``
depends only on the nodes at positions ``<= k``, and ``L[k, k]**2`` is the
residual variance of position ``k``. A swap of positions ``lo < hi`` changes
rows ``lo..hi`` only, so a candidate costs ``O((hi - lo) k^2)``.

The NumPy twins are in ``tests/learn/dag/_reference.py``.
"""

import numpy as np

from ..._core.jit import kernel


@kernel
def ordered_cholesky_rows(cov, order, L, residual_var, start, stop, floor):
    """Fill rows ``start..stop-1`` of the Cholesky factor of ``cov[order][:, order]`` in ``L``.

    Rows before ``start`` must already hold the factor for the same leading
    nodes. ``residual_var[k]`` receives position ``k``'s residual variance,
    floored at ``floor`` so that collinear or constant columns stay defined.
    """
    for k in range(start, stop):
        node = order[k]
        total = 0.0
        for m in range(k):
            value = cov[order[m], node]
            for r in range(m):
                value -= L[k, r] * L[m, r]
            value /= L[m, m]
            L[k, m] = value
            total += value * value
        variance = max(cov[node, node] - total, floor)
        residual_var[k] = variance
        L[k, k] = np.sqrt(variance)
        for m in range(k + 1, L.shape[0]):
            L[k, m] = 0.0


@kernel
def swap_scores(cov, order, L, residual_var, lows, highs, floor):
    """Least-squares score change of swapping positions ``lows[c] < highs[c]``, for each candidate ``c``.

    The score is ``sum_k residual_var[k] / 2``; only positions ``lo..hi``
    are re-regressed. ``order``, ``L`` and ``residual_var`` are left as given.
    """
    n_candidates = lows.size
    deltas = np.empty(n_candidates)
    scratch = L.copy()
    scratch_order = order.copy()
    scratch_var = residual_var.copy()
    for c in range(n_candidates):
        lo = lows[c]
        hi = highs[c]
        scratch_order[lo] = order[hi]
        scratch_order[hi] = order[lo]
        ordered_cholesky_rows(cov, scratch_order, scratch, scratch_var, lo, hi + 1, floor)
        delta = 0.0
        for k in range(lo, hi + 1):
            delta += 0.5 * (scratch_var[k] - residual_var[k])
        deltas[c] = delta
        scratch_order[lo] = order[lo]
        scratch_order[hi] = order[hi]
        # Later candidates read rows before their own ``lo`` from ``scratch``: restore these rows.
        for k in range(lo, hi + 1):
            for m in range(k + 1):
                scratch[k, m] = L[k, m]
    return deltas


@kernel
def regression_weights(L):
    """Weights of each position's regression on the earlier positions, from the ordered Cholesky factor.

    Returns ``B`` with ``B[m, k]`` the weight of position ``m < k`` in the
    regression of position ``k``: the solution of ``L[:k, :k]^T b = L[k, :k]``
    (normal equations ``L_k L_k^T b = L_k l``), by back substitution. Plain
    loops: at these sizes a threaded BLAS call costs more than the work.
    """
    d = L.shape[0]
    B = np.zeros((d, d))
    for k in range(1, d):
        for m in range(k - 1, -1, -1):
            value = L[k, m]
            for r in range(m + 1, k):
                value -= L[r, m] * B[r, k]
            B[m, k] = value / L[m, m]
    return B


@kernel
def path_weights(A):
    """``(I - A)^{-1}`` for a strictly upper-triangular ``A``: entry (i, j) sums the path weights i -> j."""
    d = A.shape[0]
    N = np.zeros((d, d))
    for i in range(d - 1, -1, -1):
        N[i, i] = 1.0
        for j in range(i + 1, d):
            a = A[i, j]
            if a != 0.0:
                for c in range(j, d):
                    N[i, c] += a * N[j, c]
    return N
