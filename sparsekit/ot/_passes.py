"""Dense passes over the cost matrix, one implementation per array backend.

Every entropic solver (log-domain and kernel-space Sinkhorn, the Newton stage
of SNS, the lazy plan) touches the ``n x m`` data only through these passes, so
the backend question is answered here once:

- :class:`NumbaPasses` (NumPy input): the fused numba kernels of
  :mod:`._sinkhorn_kernels`, one exponential per entry and no ``n x m``
  temporary.
- :class:`ArrayAPIPasses` (CuPy or any other array-API namespace): the same
  quantities with namespace operations on blocks of rows, so a temporary never
  exceeds about ``2**22`` entries.

Potentials are scaled: ``F = f / reg``, ``G = g / reg``, float64, and the plan
entry is ``exp(F_i + G_j - M_ij / reg)``.
"""

import numpy as np

from .._core.backend import device_of, to_numpy
from . import _newton_kernels
from . import _sinkhorn_kernels as kernels
from ._problem import array_namespace, to_device

# Rows per block of the array-API passes: about 4 Mi entries of temporary.
_BLOCK_ENTRIES = 1 << 22


def passes_for(M, reg):
    """Return the passes object for the namespace of ``M``."""
    return NumbaPasses(M, reg) if array_namespace(M) is np else ArrayAPIPasses(M, reg)


class NumbaPasses:
    """Passes over a NumPy cost matrix with the numba kernels.

    Parameters
    ----------
    M : ndarray of shape (n, m)
        Cost (float32 or float64, C-contiguous after construction).
    reg : float
        Entropic regularisation.
    """

    xp = np

    def __init__(self, M, reg):
        self.M = np.ascontiguousarray(M)
        # a NumPy float64 keeps float32 costs promoted to float64 in the kernels' pure-Python (no JIT) mode too
        self.inv_reg = np.float64(1.0 / reg)
        self.shape = self.M.shape

    def row_sums(self, F, G):
        """Row marginal of the plan ``(F, G)``."""
        out = np.empty(self.shape[0])
        kernels.row_sums(self.M, F, G, self.inv_reg, out)
        return out

    def col_sums(self, F, G):
        """Column marginal of the plan ``(F, G)``."""
        out = np.empty(self.shape[1])
        kernels.col_sums(self.M, F, G, self.inv_reg, out)
        return out

    def row_lse(self, G, rows=None):
        """``log sum_j exp(G_j - M_ij / reg)`` for the given rows (all by default)."""
        rows = np.arange(self.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
        out = np.empty(rows.shape[0])
        kernels.row_lse(self.M, G, self.inv_reg, rows, out)
        return out

    def col_lse(self, F):
        """``log sum_i exp(F_i - M_ij / reg)`` for every column."""
        out = np.empty(self.shape[1])
        kernels.col_lse(self.M, F, self.inv_reg, out)
        return out

    def fill(self, F, G, dtype=np.float64, out=None):
        """The matrix ``exp(F_i + G_j - M_ij / reg)`` in ``dtype`` (into ``out`` when given)."""
        if out is None:
            out = np.empty(self.shape, dtype=dtype)
        kernels.fill_plan(self.M, F, G, self.inv_reg, out)
        return out

    def sums_and_cost(self, F, G):
        """Row and column marginals of the plan and its linear cost ``<P, M>``."""
        rows = np.empty(self.shape[0])
        cols = np.empty(self.shape[1])
        cost = kernels.plan_sums_and_cost(self.M, F, G, self.inv_reg, rows, cols)
        return rows, cols, float(cost)

    def matvec(self, F, G, x):
        """``P @ x`` for a 2-D ``x`` of shape ``(m, k)``."""
        out = np.empty((self.shape[0], x.shape[1]))
        kernels.plan_matvec(self.M, F, G, self.inv_reg, np.ascontiguousarray(x, dtype=np.float64), out)
        return out

    def rmatvec(self, F, G, y):
        """``P.T @ y`` for a 2-D ``y`` of shape ``(n, k)``."""
        out = np.empty((self.shape[1], y.shape[1]))
        kernels.plan_rmatvec(self.M, F, G, self.inv_reg, np.ascontiguousarray(y, dtype=np.float64), out)
        return out

    def count_at_least(self, F, G, log_threshold):
        """Number of plan entries at least ``exp(log_threshold)``."""
        return int(kernels.count_at_least(self.M, F, G, self.inv_reg, float(log_threshold)))

    def sums_and_candidates(self, F, G, low, buffers):
        """Marginals, total mass, and the entries with ``log P > low`` (row-major COO, plan values), in one pass.

        Parameters
        ----------
        F, G : ndarray
            Scaled potentials.
        low : float
            Level of the candidates.
        buffers : tuple of ndarray
            Work arrays ``(rows, cols, values)`` whose length caps the candidates.

        Returns
        -------
        rows, cols : ndarray
            The marginals.
        total : float
            Total mass.
        candidates : tuple of ndarray
            ``(rows, cols, values)`` of the candidates: views of ``buffers``.
        overflow : bool
            Whether there were more candidates than room (only the first are kept).
        """
        n, m = self.shape
        rows, cols = np.empty(n), np.empty(m)
        total, found = _newton_kernels.sums_and_candidates(self.M, F, G, self.inv_reg, low, rows, cols, *buffers)
        return rows, cols, float(total), *take_candidates(buffers, found)


def take_candidates(buffers, found):
    """``(candidates, overflow)`` from the candidate buffers after a pass that found ``found`` of them.

    The candidates are views of the buffers (no copy): valid until the next pass into the same buffers.
    """
    capacity = buffers[0].shape[0]
    kept = min(found, capacity)
    return tuple(buffer[:kept] for buffer in buffers), found > capacity


class ArrayAPIPasses:
    """Passes over a cost matrix of any array-API namespace (CuPy on the GPU), by blocks of rows.

    Parameters
    ----------
    M : array of shape (n, m)
        Cost.
    reg : float
        Entropic regularisation.
    """

    def __init__(self, M, reg):
        self.M = M
        self.xp = array_namespace(M)
        self.inv_reg = 1.0 / reg
        self.shape = tuple(M.shape)
        self.block = max(1, _BLOCK_ENTRIES // max(1, self.shape[1]))

    def blocks(self):
        """``(start, stop)`` of each block of rows."""
        n = self.shape[0]
        for start in range(0, n, self.block):
            yield start, min(n, start + self.block)

    def log_plan(self, F, G, start, stop):
        """``log P`` on the rows ``start:stop`` (float64)."""
        xp = self.xp
        M = xp.astype(self.M[start:stop, :], xp.float64)
        return F[start:stop, None] + G[None, :] - M * self.inv_reg

    def row_sums(self, F, G):
        """Row marginal of the plan ``(F, G)``."""
        xp = self.xp
        parts = [xp.sum(xp.exp(self.log_plan(F, G, s, e)), axis=1) for s, e in self.blocks()]
        return xp.concat(parts)

    def col_sums(self, F, G):
        """Column marginal of the plan ``(F, G)``."""
        xp = self.xp
        total = xp.zeros_like(G)
        for s, e in self.blocks():
            total = total + xp.sum(xp.exp(self.log_plan(F, G, s, e)), axis=0)
        return total

    def row_lse(self, G, rows=None):
        """``log sum_j exp(G_j - M_ij / reg)`` for the given rows (all by default)."""
        xp = self.xp
        zero = xp.zeros(self.shape[0], dtype=xp.float64, device=device_of(G))
        parts = []
        for s, e in self.blocks():
            X = self.log_plan(zero, G, s, e)
            top = xp.max(X, axis=1)
            parts.append(top + xp.log(xp.sum(xp.exp(X - top[:, None]), axis=1)))
        out = xp.concat(parts)
        if rows is not None:
            out = xp.take(out, to_device(np.asarray(rows), out))
        return out

    def col_lse(self, F):
        """``log sum_i exp(F_i - M_ij / reg)`` for every column."""
        xp = self.xp
        zero = xp.zeros(self.shape[1], dtype=xp.float64, device=device_of(F))
        top = xp.full(self.shape[1], -xp.inf, dtype=xp.float64, device=device_of(F))
        for s, e in self.blocks():
            top = xp.maximum(top, xp.max(self.log_plan(F, zero, s, e), axis=0))
        total = xp.zeros_like(top)
        for s, e in self.blocks():
            total = total + xp.sum(xp.exp(self.log_plan(F, zero, s, e) - top[None, :]), axis=0)
        return top + xp.log(total)

    def fill(self, F, G, dtype=None):
        """The matrix ``exp(F_i + G_j - M_ij / reg)`` (float64 unless ``dtype`` is given)."""
        xp = self.xp
        parts = [xp.exp(self.log_plan(F, G, s, e)) for s, e in self.blocks()]
        out = xp.concat(parts, axis=0)
        if dtype is not None and np.dtype(dtype) != np.float64:
            out = xp.astype(out, getattr(xp, np.dtype(dtype).name))
        return out

    def sums_and_cost(self, F, G):
        """Row and column marginals of the plan and its linear cost ``<P, M>``."""
        xp = self.xp
        rows, cols, cost = [], xp.zeros_like(G), 0.0
        for s, e in self.blocks():
            P = xp.exp(self.log_plan(F, G, s, e))
            rows.append(xp.sum(P, axis=1))
            cols = cols + xp.sum(P, axis=0)
            cost += float(xp.sum(P * xp.astype(self.M[s:e, :], xp.float64)))
        return xp.concat(rows), cols, cost

    def matvec(self, F, G, x):
        """``P @ x`` for a 2-D ``x`` of shape ``(m, k)``."""
        xp = self.xp
        return xp.concat([xp.exp(self.log_plan(F, G, s, e)) @ x for s, e in self.blocks()], axis=0)

    def rmatvec(self, F, G, y):
        """``P.T @ y`` for a 2-D ``y`` of shape ``(n, k)``."""
        xp = self.xp
        total = xp.zeros((self.shape[1], y.shape[1]), dtype=xp.float64, device=device_of(y))
        for s, e in self.blocks():
            total = total + xp.exp(self.log_plan(F, G, s, e)).T @ y[s:e, :]
        return total

    def count_at_least(self, F, G, log_threshold):
        """Number of plan entries at least ``exp(log_threshold)``."""
        xp = self.xp
        count = 0
        for s, e in self.blocks():
            count += int(xp.sum(xp.astype(self.log_plan(F, G, s, e) >= log_threshold, xp.int64)))
        return count

    def sums_and_candidates(self, F, G, low, buffers=None):
        """Marginals, total mass, and the entries with ``log P > low``; only these travel to the host.

        See :meth:`NumbaPasses.sums_and_candidates` (``buffers`` is unused:
        there is no cap, so never an overflow).
        """
        xp = self.xp
        rows, cols = [], xp.zeros_like(G)
        found = ([], [], [])
        for s, e in self.blocks():
            X = self.log_plan(F, G, s, e)
            P = xp.exp(X)
            rows.append(xp.sum(P, axis=1))
            cols = cols + xp.sum(P, axis=0)
            i, j = xp.nonzero(X > float(low))
            found[0].append(np.asarray(to_numpy(i), dtype=np.int32) + s)
            found[1].append(np.asarray(to_numpy(j), dtype=np.int32))
            found[2].append(np.asarray(to_numpy(P[i, j]), dtype=np.float64))
        rows = xp.concat(rows)
        candidates = tuple(np.concatenate(part) for part in found)
        return rows, cols, float(xp.sum(rows)), candidates, False
