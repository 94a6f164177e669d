"""numba kernels of sparsity-constrained OT: top-k conjugates and the k-sparse simplex projection.

Both work column by column on the transposed cost ``CT`` (``CT[j]`` is column
``j`` of ``C``, contiguous). The top-k of a column is kept in a small sorted
buffer (insertion, ``O(n k)``), ties going to the lower row index.
"""

import numpy as np

from .._core.jit import kernel


@kernel
def _insert_top(values, rows, count, k, value, row):
    """Insert ``(value, row)`` into the descending buffer ``values[:count]`` of capacity ``k``; return the new count."""
    pos = count if count < k else k - 1
    if count == k and value <= values[k - 1]:
        return count
    while pos > 0 and values[pos - 1] < value:
        values[pos] = values[pos - 1]
        rows[pos] = rows[pos - 1]
        pos -= 1
    values[pos] = value
    rows[pos] = row
    return count + 1 if count < k else k


@kernel
def topk_dual(CT, alpha, beta, gamma, k, row_mass, col_mass, out_rows, out_cols, out_values):
    """Dual of k-sparse OT: the plan ``T_ij = [s_ij]_+ / gamma`` on the top-k of each column, and its penalty.

    With ``s_ij = alpha_i + beta_j - C_ij``, the conjugate of the k-sparse
    quadratic regulariser of column ``j`` is
    ``(1 / (2 gamma)) sum_{i in top-k(s_j)} [s_ij]_+^2``; its gradient is the
    plan column.

    Parameters
    ----------
    CT : ndarray of shape (m, n)
        Transposed cost.
    alpha, beta : ndarray
        Dual potentials.
    gamma : float
        Quadratic regularisation.
    k : int
        Nonzeros allowed per column.
    row_mass, col_mass : ndarray
        Outputs: marginals of the plan.
    out_rows, out_cols, out_values : ndarray or None-sized
        Outputs: the plan entries (COO); pass arrays of length ``m * k``, or
        of length 0 to skip.

    Returns
    -------
    penalty : float
        ``sum_j (1 / (2 gamma)) sum_{top-k} [s_ij]_+^2``.
    nnz : int
        Entries written to the COO outputs.
    """
    m, n = CT.shape
    keep = out_values.shape[0] > 0
    values = np.empty(k)
    rows = np.empty(k, dtype=np.int64)
    for i in range(n):
        row_mass[i] = 0.0
    penalty = 0.0
    nnz = 0
    for j in range(m):
        count = 0
        bj = beta[j]
        for i in range(n):
            s = alpha[i] + bj - CT[j, i]
            if s > 0.0:
                count = _insert_top(values, rows, count, k, s, i)
        mass = 0.0
        for r in range(count):
            t = values[r] / gamma
            penalty += 0.5 * values[r] * t
            row_mass[rows[r]] += t
            mass += t
            if keep:
                out_rows[nnz] = rows[r]
                out_cols[nnz] = j
                out_values[nnz] = t
                nnz += 1
        col_mass[j] = mass
    return penalty, nnz


@kernel
def topk_semidual(CT, alpha, b, gamma, k, row_mass, out_rows, out_cols, out_values):
    """Semi-dual of k-sparse OT: each column is ``b_j`` times the k-sparse simplex projection.

    Column ``j`` of the plan is ``b_j y_j`` with
    ``y_j = P_k((alpha - c_j) / (gamma b_j))``: keep the top-k entries, then
    project them on the simplex (Kyrillidis et al., 2013). The returned
    value is ``sum_j max_Omega_j(alpha - c_j)`` with
    ``max_Omega_j(x) = b_j (<y, x> - gamma b_j / 2 ||y||^2)``.

    Parameters
    ----------
    CT : ndarray of shape (m, n)
        Transposed cost.
    alpha : ndarray
        Row potential.
    b : ndarray
        Column masses (positive).
    gamma : float
        Quadratic regularisation.
    k : int
        Nonzeros allowed per column.
    row_mass : ndarray
        Output: row marginal of the plan.
    out_rows, out_cols, out_values : ndarray
        Outputs: the plan entries (COO), length ``m * k`` or 0 to skip.

    Returns
    -------
    value : float
        ``sum_j max_Omega_j(alpha - c_j)``.
    nnz : int
        Entries written to the COO outputs.
    """
    m, n = CT.shape
    keep = out_values.shape[0] > 0
    values = np.empty(k)
    rows = np.empty(k, dtype=np.int64)
    for i in range(n):
        row_mass[i] = 0.0
    total = 0.0
    nnz = 0
    for j in range(m):
        scale = gamma * b[j]
        count = 0
        for i in range(n):
            count = _insert_top(values, rows, count, k, (alpha[i] - CT[j, i]) / scale, i)
        # simplex projection of the (sorted) top-k values
        cumulative = 0.0
        tau = 0.0
        for r in range(count):
            cumulative += values[r]
            candidate = (cumulative - 1.0) / (r + 1)
            if values[r] - candidate > 0.0:
                tau = candidate
        dot = 0.0
        squares = 0.0
        for r in range(count):
            y = values[r] - tau
            if y > 0.0:
                dot += y * values[r]
                squares += y * y
                row_mass[rows[r]] += b[j] * y
                if keep:
                    out_rows[nnz] = rows[r]
                    out_cols[nnz] = j
                    out_values[nnz] = b[j] * y
                    nnz += 1
        total += scale * b[j] * (dot - 0.5 * squares)
    return total, nnz
