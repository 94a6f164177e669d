"""numba kernels of the Newton stage of Sinkhorn-Newton-Sparse.

- :func:`sums_and_candidates`: one exponential pass giving both marginals, the
  total mass, and the entries above a level (candidates for the sparsified
  Hessian; the global top-k threshold is chosen among them).
- :func:`schur_cg`: Jacobi-preconditioned conjugate gradients on the Schur
  complement ``S = diag(c) - Pt.T diag(1/r) Pt`` of the sparsified Hessian.
"""

import math

import numpy as np

from .._core.jit import SAFE_FASTMATH, kernel
from ._sinkhorn_kernels import fast_exp


@kernel(fastmath=SAFE_FASTMATH)
def sums_and_candidates(M, F, G, inv_reg, low, rows, cols, cand_rows, cand_cols, cand_logs):
    """Marginals and total mass of the plan ``(F, G)``, and its entries with ``log P > low``.

    One exponential pass: a vectorised loop per row for the sums, then a
    scalar loop over the same (cached) row that appends the candidates in
    row-major order, as long as the candidate arrays have room.

    Parameters
    ----------
    M : ndarray of shape (n, m)
        Cost.
    F, G : ndarray
        Scaled potentials.
    inv_reg : float
        ``1 / reg``.
    low : float
        Candidates are the entries with ``log P_ij > low``.
    rows, cols : ndarray
        Outputs: row and column marginals.
    cand_rows, cand_cols : ndarray of int32
        Outputs: positions of the candidates (capacity = their length).
    cand_logs : ndarray
        Output: ``log P`` of the candidates.

    Returns
    -------
    total : float
        Total mass of the plan.
    n_candidates : int
        Number of entries above ``low``; more than the capacity means the
        candidate arrays hold only the first ones.
    """
    n, m = M.shape
    capacity = cand_logs.shape[0]
    for j in range(m):
        cols[j] = 0.0
    logs = np.empty(m)
    total = 0.0
    found = 0
    for i in range(n):
        fi = F[i]
        s = 0.0
        for j in range(m):
            x = fi + G[j] - M[i, j] * inv_reg
            p = fast_exp(x)
            logs[j] = x
            s += p
            cols[j] += p
        rows[i] = s
        total += s
        for j in range(m):
            if logs[j] > low:
                if found < capacity:
                    cand_rows[found] = i
                    cand_cols[found] = j
                    cand_logs[found] = logs[j]
                found += 1
    return total, found


@kernel
def _schur_matvec(indptr, indices, data, inv_rows, diag_cols, x, tmp, out):
    """``out = diag(diag_cols) x - Pt.T (inv_rows * (Pt x))`` for CSR ``Pt``."""
    n = indptr.shape[0] - 1
    for j in range(out.shape[0]):
        out[j] = diag_cols[j] * x[j]
    for i in range(n):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * x[indices[k]]
        tmp[i] = s * inv_rows[i]
    for i in range(n):
        t = tmp[i]
        for k in range(indptr[i], indptr[i + 1]):
            out[indices[k]] -= data[k] * t


@kernel
def schur_cg(indptr, indices, data, row_diag, col_diag, rhs, rtol, maxiter, x):
    """Solve ``(diag(col_diag) - Pt.T diag(1/row_diag) Pt) x = rhs`` by Jacobi-preconditioned CG.

    ``Pt`` (CSR, ``n x m``) is the sparsified plan and ``row_diag``,
    ``col_diag`` its exact, shifted marginals, so the matrix is symmetric
    positive definite. Stops when ``||rhs - S x|| <= rtol * ||rhs||``.

    Parameters
    ----------
    indptr, indices, data : ndarray
        CSR of ``Pt``.
    row_diag, col_diag : ndarray
        Shifted row and column marginals (positive).
    rhs : ndarray
        Right-hand side (length ``m``).
    rtol : float
        Relative residual tolerance.
    maxiter : int
        Iteration cap.
    x : ndarray
        Output: the solution (start from zero).

    Returns
    -------
    n_iter : int
        CG iterations run.
    residual : float
        Final relative residual.
    """
    n = indptr.shape[0] - 1
    m = rhs.shape[0]
    inv_rows = 1.0 / row_diag
    precond = col_diag.copy()
    for i in range(n):
        w = inv_rows[i]
        for k in range(indptr[i], indptr[i + 1]):
            precond[indices[k]] -= data[k] * data[k] * w
    for j in range(m):
        # the exact diagonal dominates: S_jj >= shift > 0, rounding aside
        precond[j] = 1.0 / max(precond[j], 1e-300)
    tmp = np.empty(n)
    r = rhs.copy()
    for j in range(m):
        x[j] = 0.0
    z = r * precond
    p = z.copy()
    Sp = np.empty(m)
    rz = 0.0
    norm_rhs = 0.0
    for j in range(m):
        rz += r[j] * z[j]
        norm_rhs += rhs[j] * rhs[j]
    norm_rhs = math.sqrt(norm_rhs)
    if norm_rhs == 0.0:
        return 0, 0.0
    residual = 1.0
    for it in range(maxiter):
        _schur_matvec(indptr, indices, data, inv_rows, col_diag, p, tmp, Sp)
        pSp = 0.0
        for j in range(m):
            pSp += p[j] * Sp[j]
        if pSp <= 0.0:
            return it, residual
        alpha = rz / pSp
        rr = 0.0
        for j in range(m):
            x[j] += alpha * p[j]
            r[j] -= alpha * Sp[j]
            rr += r[j] * r[j]
        residual = math.sqrt(rr) / norm_rhs
        if residual <= rtol:
            return it + 1, residual
        rz_new = 0.0
        for j in range(m):
            z[j] = r[j] * precond[j]
            rz_new += r[j] * z[j]
        beta = rz_new / rz
        rz = rz_new
        for j in range(m):
            p[j] = z[j] + beta * p[j]
    return maxiter, residual
