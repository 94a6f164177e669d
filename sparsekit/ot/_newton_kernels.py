"""numba kernels of the Newton stage of Sinkhorn-Newton-Sparse.

- :func:`sums_and_candidates`: one exponential pass giving both marginals, the
  total mass, and the entries above a level (candidates for the sparsified
  Hessian; the global top-k threshold is chosen among them).
- :func:`kernel_sums_and_candidates`: the same from an absorbed kernel, by
  products (the Newton stage's evaluation when the kernel fits in memory).
- :func:`keep_largest`: that threshold, and the kept entries as CSR.
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
    loop over the same (cached) row that appends the candidates in row-major
    order, as long as the candidate arrays have room (without a branch per
    entry while a whole row fits; the arrays past the count are scratch).

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
        if found + m <= capacity:  # branch-free append, as in kernel_sums_and_candidates
            start = found
            for j in range(m):
                cand_cols[found] = j
                cand_logs[found] = logs[j]
                found += logs[j] > low
            for t in range(start, found):
                cand_rows[t] = i
        else:
            for j in range(m):
                if logs[j] > low:
                    if found < capacity:
                        cand_rows[found] = i
                        cand_cols[found] = j
                        cand_logs[found] = logs[j]
                    found += 1
    return total, found


@kernel(fastmath=SAFE_FASTMATH)
def kernel_sums_and_candidates(K, u, v, level, rows, cols, cand_rows, cand_cols, cand_logs):
    """:func:`sums_and_candidates` for the plan ``u_i K_ij v_j`` of an absorbed kernel: products, no exponentials.

    Candidates are the entries above ``level`` (``exp`` of the log level); only their logarithms are taken.
    While a whole row fits in the candidate arrays, every entry is written and the count advances by the test
    (no branch per entry: the pattern of a plan's large entries defeats branch prediction).
    Returns ``(total, n_candidates)`` as :func:`sums_and_candidates`.
    """
    n, m = K.shape
    capacity = cand_logs.shape[0]
    for j in range(m):
        cols[j] = 0.0
    values = np.empty(m)
    total = 0.0
    found = 0
    for i in range(n):
        ui = u[i]
        s = 0.0
        for j in range(m):
            p = ui * K[i, j] * v[j]
            values[j] = p
            s += p
            cols[j] += p
        rows[i] = s
        total += s
        start = found
        if found + m <= capacity:
            for j in range(m):
                cand_cols[found] = j
                cand_logs[found] = values[j]
                found += values[j] > level
            for t in range(start, found):
                cand_rows[t] = i
                cand_logs[t] = math.log(cand_logs[t])
        else:
            for j in range(m):
                if values[j] > level:
                    if found < capacity:
                        cand_rows[found] = i
                        cand_cols[found] = j
                        cand_logs[found] = math.log(values[j])
                    found += 1
    return total, found


@kernel
def keep_largest(cand_rows, cand_cols, logs, total, drop_tol, max_kept, step, indptr, indices, data):
    """The fewest largest candidates whose dropped mass is at most ``drop_tol`` (at most ``max_kept``), as CSR.

    The candidates are binned by ``log P`` in steps of ``step`` below the
    largest; whole bins are kept from the top, as many as ``max_kept``
    allows, stopping at the first whose dropped mass ``total - kept`` is at
    most ``drop_tol`` (the top bin is kept whatever its size). Three passes
    over the candidates and one exponential each, no temporaries of their size.

    Parameters
    ----------
    cand_rows, cand_cols, logs : ndarray
        The candidates in row-major order and their ``log P``.
    total : float
        Total mass of the plan.
    drop_tol : float
        Largest mass the dropped entries may carry.
    max_kept : int
        Largest number of kept entries.
    step : float
        Bin width in nats.
    indptr : ndarray of int64
        Output (length ``n + 1``): CSR row pointers of the kept entries.
    indices, data : ndarray
        Outputs (as long as the candidates): the kept entries' columns and
        values come first.

    Returns
    -------
    n_bins : int
        Bins kept; the smallest kept entry is above ``top - n_bins * step``.
    top : float
        The largest ``log P``.
    enough : bool
        Whether the kept entries meet ``drop_tol``.
    """
    size = logs.shape[0]
    top = -math.inf
    for k in range(size):
        top = max(top, logs[k])
    width = 0
    for k in range(size):
        width = max(width, int((top - logs[k]) / step) + 1)
    counts = np.zeros(width, dtype=np.int64)
    masses = np.zeros(width)
    for k in range(size):
        b = int((top - logs[k]) / step)
        p = math.exp(logs[k])
        data[k] = p
        counts[b] += 1
        masses[b] += p
    kept_count = 0
    kept_mass = 0.0
    last = 0
    first_meeting = -1
    for b in range(width):
        kept_count += counts[b]
        kept_mass += masses[b]
        if kept_count > max_kept and b > 0:
            break
        if total - kept_mass <= drop_tol:
            first_meeting = b
            break
        if kept_count > max_kept:
            break
        last = b
    n_bins = (first_meeting if first_meeting >= 0 else last) + 1
    for i in range(indptr.shape[0]):
        indptr[i] = 0
    kept = 0
    # compacted in place: the kept entry k lands at kept <= k, never ahead of the reads
    for k in range(size):
        if int((top - logs[k]) / step) < n_bins:
            indptr[cand_rows[k] + 1] += 1
            indices[kept] = cand_cols[k]
            data[kept] = data[k]
            kept += 1
    for i in range(indptr.shape[0] - 1):
        indptr[i + 1] += indptr[i]
    return n_bins, top, first_meeting >= 0


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
