"""numba kernels of the Newton stage of Sinkhorn-Newton-Sparse.

- :func:`sums_and_candidates`: one exponential pass giving both marginals, the
  total mass, and the entries above a level (candidates for the sparsified
  Hessian; the global top-k threshold is chosen among them).
- :func:`kernel_sums_and_candidates`: the same from an absorbed kernel, by
  products (the Newton stage's evaluation when the kernel fits in memory).
- :func:`keep_largest`: that threshold, and the kept entries as CSR.
- :func:`schur_cg`: Jacobi-preconditioned conjugate gradients on the Schur
  complement ``S = diag(c) - Pt.T diag(1/r) Pt`` of the sparsified Hessian.

Candidates are plan values, not logarithms: :func:`keep_largest` bins them by
their float64 bit pattern (exponent and leading mantissa bits), so neither
pass takes a logarithm or an exponential per candidate.
"""

import math

import numpy as np

from .._core.jit import SAFE_FASTMATH, kernel
from ._sinkhorn_kernels import _bits_of, _float_of, fast_exp

# keep_largest bins candidates by their exponent and top (52 - _BIN_SHIFT) mantissa bits: 1/8 of a binary order
# of magnitude, 0.087 nats at most (the bit pattern of a non-negative float64 grows monotonically with it).
_BIN_SHIFT = 49


@kernel(fastmath=SAFE_FASTMATH)
def sums_and_candidates(M, F, G, inv_reg, low, rows, cols, cand_rows, cand_cols, cand_values):
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
    cand_values : ndarray
        Output: the candidates' plan entries ``P_ij``.

    Returns
    -------
    total : float
        Total mass of the plan.
    n_candidates : int
        Number of entries above ``low``; more than the capacity means the
        candidate arrays hold only the first ones.
    """
    n, m = M.shape
    capacity = cand_values.shape[0]
    for j in range(m):
        cols[j] = 0.0
    logs = np.empty(m)
    values = np.empty(m)
    total = 0.0
    found = 0
    for i in range(n):
        fi = F[i]
        s = 0.0
        for j in range(m):
            x = fi + G[j] - M[i, j] * inv_reg
            p = fast_exp(x)
            logs[j] = x
            values[j] = p
            s += p
            cols[j] += p
        rows[i] = s
        total += s
        if found + m <= capacity:  # branch-free append, as in kernel_sums_and_candidates
            start = found
            for j in range(m):
                cand_cols[found] = j
                cand_values[found] = values[j]
                found += logs[j] > low
            for t in range(start, found):
                cand_rows[t] = i
        else:
            for j in range(m):
                if logs[j] > low:
                    if found < capacity:
                        cand_rows[found] = i
                        cand_cols[found] = j
                        cand_values[found] = values[j]
                    found += 1
    return total, found


@kernel(fastmath=SAFE_FASTMATH)
def kernel_sums_and_candidates(K, u, v, level, rows, cols, cand_rows, cand_cols, cand_values):
    """:func:`sums_and_candidates` for the plan ``u_i K_ij v_j`` of an absorbed kernel: products, no exponentials.

    Candidates are the entries above ``level`` (``exp`` of the log level).
    While a whole row fits in the candidate arrays, every column index is written and the count advances by the
    test (no branch per entry: the pattern of a plan's large entries defeats branch prediction).
    Returns ``(total, n_candidates)`` as :func:`sums_and_candidates`.
    """
    n, m = K.shape
    capacity = cand_values.shape[0]
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
            # one store per entry; the values of the (few) candidates are gathered afterwards
            for j in range(m):
                cand_cols[found] = j
                found += values[j] > level
            for t in range(start, found):
                cand_rows[t] = i
                cand_values[t] = values[cand_cols[t]]
        else:
            for j in range(m):
                if values[j] > level:
                    if found < capacity:
                        cand_rows[found] = i
                        cand_cols[found] = j
                        cand_values[found] = values[j]
                    found += 1
    return total, found


@kernel
def keep_largest(cand_rows, cand_cols, values, total, drop_tol, max_kept, indptr, indices, data):
    """The fewest largest candidates whose dropped mass is at most ``drop_tol`` (at most ``max_kept``), as CSR.

    The candidates are binned by their bit pattern, ``bits(p) >> 49``: the
    exponent and the three leading mantissa bits, bins of 1/8 of a binary
    order of magnitude (at most 0.087 nats; the pattern of a non-negative
    float64 grows with it), 16384 bins for every float64. Whole bins are
    kept from the top, as many as ``max_kept`` allows, stopping at the
    first whose dropped mass ``total - kept`` is at most ``drop_tol`` (the
    top bin is kept whatever its size). Two passes over the candidates
    (histogram, then compaction), no logarithm or exponential.

    Parameters
    ----------
    cand_rows, cand_cols, values : ndarray
        The candidates in row-major order and their plan entries (non-negative).
    total : float
        Total mass of the plan.
    drop_tol : float
        Largest mass the dropped entries may carry.
    max_kept : int
        Largest number of kept entries.
    indptr : ndarray
        Output (length ``n + 1``): CSR row pointers of the kept entries.
    indices, data : ndarray
        Outputs (at least as long as the candidates): the kept entries'
        columns and values come first.

    Returns
    -------
    n_bins : int
        Non-empty bins kept.
    floor : float
        Lower edge of the last kept bin: kept entries are at least ``floor``,
        dropped ones below it.
    enough : bool
        Whether the kept entries meet ``drop_tol``.
    """
    size = values.shape[0]
    width = 1 << (63 - _BIN_SHIFT)
    counts = np.zeros(width, dtype=np.int64)
    masses = np.zeros(width)
    for k in range(size):
        b = _bits_of(values[k]) >> _BIN_SHIFT
        counts[b] += 1
        masses[b] += values[k]
    kept_count = 0
    kept_mass = 0.0
    n_bins = 0
    lowest = width - 1
    enough = False
    for b in range(width - 1, -1, -1):
        if counts[b] == 0:
            continue
        if kept_count + counts[b] > max_kept and n_bins > 0:
            break
        kept_count += counts[b]
        kept_mass += masses[b]
        n_bins += 1
        lowest = b
        if total - kept_mass <= drop_tol:
            enough = True
            break
        if kept_count > max_kept:
            break
    for i in range(indptr.shape[0]):
        indptr[i] = 0
    kept = 0
    for k in range(size):
        if (_bits_of(values[k]) >> _BIN_SHIFT) >= lowest:
            indptr[cand_rows[k] + 1] += 1
            indices[kept] = cand_cols[k]
            data[kept] = values[k]
            kept += 1
    for i in range(indptr.shape[0] - 1):
        indptr[i + 1] += indptr[i]
    return n_bins, _float_of(np.int64(lowest) << _BIN_SHIFT), enough


@kernel
def _schur_matvec(indptr, indices, data, inv_rows, diag_cols, x, out):
    """``out = diag(diag_cols) x - Pt.T (inv_rows * (Pt x))`` for CSR ``Pt``, in one pass over its rows.

    Each row is read twice while it is in cache: for ``(Pt x)_i``, then to
    scatter ``Pt_ij * inv_rows_i * (Pt x)_i`` into ``out_j``.
    """
    n = indptr.shape[0] - 1
    for j in range(out.shape[0]):
        out[j] = diag_cols[j] * x[j]
    for i in range(n):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * x[indices[k]]
        t = s * inv_rows[i]
        for k in range(indptr[i], indptr[i + 1]):
            out[indices[k]] -= data[k] * t


@kernel
def schur_cg(indptr, indices, data, row_diag, col_diag, grad_rows, grad_cols, rtol, maxiter, d_rows, d_cols):
    """Solve ``[[diag(row_diag), Pt], [Pt.T, diag(col_diag)]] [d_rows; d_cols] = [grad_rows; grad_cols]``.

    Through the Schur complement ``S = diag(col_diag) - Pt.T diag(1/row_diag) Pt``:
    ``S d_cols = grad_cols - Pt.T (grad_rows / row_diag)`` by Jacobi-preconditioned
    CG, then ``d_rows = (grad_rows - Pt d_cols) / row_diag``. ``Pt`` (CSR,
    ``n x m``) is the sparsified plan and ``row_diag``, ``col_diag`` its
    exact, shifted marginals, so ``S`` is symmetric positive definite. CG
    stops when ``||rhs - S d_cols|| <= rtol * ||rhs||``. One pass over ``Pt``
    forms the right-hand side and the preconditioner, one per CG iteration
    (the product with ``S``), one the back-substitution.

    Parameters
    ----------
    indptr, indices, data : ndarray
        CSR of ``Pt``.
    row_diag, col_diag : ndarray
        Shifted row and column marginals (positive).
    grad_rows, grad_cols : ndarray
        Right-hand side (lengths ``n`` and ``m``).
    rtol : float
        Relative residual tolerance of CG.
    maxiter : int
        Iteration cap.
    d_rows, d_cols : ndarray
        Outputs: the solution (CG starts from zero).

    Returns
    -------
    n_iter : int
        CG iterations run.
    residual : float
        Final relative residual of the Schur system.
    """
    n = indptr.shape[0] - 1
    m = grad_cols.shape[0]
    inv_rows = 1.0 / row_diag
    precond = col_diag.copy()
    rhs = grad_cols.copy()
    for i in range(n):
        w = inv_rows[i]
        y = grad_rows[i] * w
        for k in range(indptr[i], indptr[i + 1]):
            precond[indices[k]] -= data[k] * data[k] * w
            rhs[indices[k]] -= data[k] * y
    for j in range(m):
        # the exact diagonal dominates: S_jj >= shift > 0, rounding aside
        precond[j] = 1.0 / max(precond[j], 1e-300)
    x = d_cols
    n_iter, residual = _cg(indptr, indices, data, inv_rows, col_diag, precond, rhs, rtol, maxiter, x)
    for i in range(n):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * x[indices[k]]
        d_rows[i] = (grad_rows[i] - s) * inv_rows[i]
    return n_iter, residual


@kernel
def _cg(indptr, indices, data, inv_rows, col_diag, precond, rhs, rtol, maxiter, x):
    """Preconditioned CG on the Schur complement of :func:`schur_cg`, from zero; ``(n_iter, residual)``."""
    m = rhs.shape[0]
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
        _schur_matvec(indptr, indices, data, inv_rows, col_diag, p, Sp)
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

