"""Plain NumPy twins of the numba kernels of sparsekit.ot (test oracles)."""

import numpy as np
from scipy.special import logsumexp


def log_plan(M, F, G, inv_reg):
    return F[:, None] + G[None, :] - M.astype(np.float64) * inv_reg


def exp_array(x, out):
    with np.errstate(under="ignore", over="ignore"):
        out[:] = np.where(x < -708.0, 0.0, np.exp(np.minimum(x, 709.0)))


def row_sums(M, F, G, inv_reg, out):
    out[:] = np.exp(log_plan(M, F, G, inv_reg)).sum(axis=1)


def col_sums(M, F, G, inv_reg, out):
    out[:] = np.exp(log_plan(M, F, G, inv_reg)).sum(axis=0)


def row_lse(M, G, inv_reg, rows, out):
    out[:] = logsumexp(G[None, :] - M[rows] * inv_reg, axis=1)


def col_lse(M, F, inv_reg, out):
    out[:] = logsumexp(F[:, None] - M * inv_reg, axis=0)


def fill_plan(M, F, G, inv_reg, out):
    out[:] = np.exp(log_plan(M, F, G, inv_reg))


def plan_sums_and_cost(M, F, G, inv_reg, rows, cols):
    P = np.exp(log_plan(M, F, G, inv_reg))
    rows[:] = P.sum(axis=1)
    cols[:] = P.sum(axis=0)
    return float((P * M).sum())


def plan_matvec(M, F, G, inv_reg, x, out):
    out[:] = np.exp(log_plan(M, F, G, inv_reg)) @ x


def plan_rmatvec(M, F, G, inv_reg, y, out):
    out[:] = np.exp(log_plan(M, F, G, inv_reg)).T @ y


def count_at_least(M, F, G, inv_reg, log_threshold):
    return int((G[None, :] - M * inv_reg >= log_threshold - F[:, None]).sum())


def sums_and_candidates(M, F, G, inv_reg, low, rows, cols, cand_rows, cand_cols, cand_values):
    X = log_plan(M, F, G, inv_reg)
    P = np.exp(X)
    rows[:] = P.sum(axis=1)
    cols[:] = P.sum(axis=0)
    i, j = np.nonzero(X > low)
    kept = min(i.size, cand_values.size)
    cand_rows[:kept], cand_cols[:kept], cand_values[:kept] = i[:kept], j[:kept], P[i, j][:kept]
    return float(P.sum()), int(i.size)


def kernel_sums_and_candidates(K, u, v, level, rows, cols, cand_rows, cand_cols, cand_values):
    P = u[:, None] * K * v[None, :]
    rows[:] = P.sum(axis=1)
    cols[:] = P.sum(axis=0)
    i, j = np.nonzero(P > level)
    kept = min(i.size, cand_values.size)
    cand_rows[:kept], cand_cols[:kept], cand_values[:kept] = i[:kept], j[:kept], P[i, j][:kept]
    return float(P.sum()), int(i.size)


def keep_largest(cand_rows, cand_cols, values, total, drop_tol, max_kept, indptr, indices, data):
    bins = np.ascontiguousarray(values, dtype=np.float64).view(np.int64) >> 49
    occupied = np.unique(bins)[::-1]  # non-empty bins, largest values first
    position = np.searchsorted(-occupied, -bins)
    kept_counts = np.cumsum(np.bincount(position))
    dropped = total - np.cumsum(np.bincount(position, weights=values))
    allowed = np.flatnonzero(kept_counts <= max_kept)
    last = allowed[-1] if allowed.size else 0
    meets = np.flatnonzero(dropped[: last + 1] <= drop_tol)
    n_bins = (meets[0] if meets.size else last) + 1
    keep = position < n_bins
    kept = int(keep.sum())
    indptr[0] = 0
    np.cumsum(np.bincount(cand_rows[keep], minlength=indptr.size - 1), out=indptr[1:])
    indices[:kept] = cand_cols[keep]
    data[:kept] = values[keep]
    floor = np.array([occupied[n_bins - 1] << 49], dtype=np.int64).view(np.float64)[0]
    return int(n_bins), float(floor), bool(meets.size)


def scale_kernel_to_plan(K, u, v, M, rows, cols):
    K *= u[:, None] * v[None, :]
    rows[:] = K.sum(axis=1)
    cols[:] = K.sum(axis=0)
    return float((K * M).sum())


def newton_solve(indptr, indices, data, row_diag, col_diag, grad_rows, grad_cols):
    """The block Newton system ``[[diag(r), P], [P.T, diag(c)]] d = [grad_rows; grad_cols]``, solved densely."""
    n, m = row_diag.size, col_diag.size
    P = np.zeros((n, m))
    for i in range(n):
        P[i, indices[indptr[i]: indptr[i + 1]]] = data[indptr[i]: indptr[i + 1]]
    H = np.block([[np.diag(row_diag), P], [P.T, np.diag(col_diag)]])
    return np.linalg.solve(H, np.concatenate([grad_rows, grad_cols]))


def _top_k_rows(scores, k, keep_positive):
    """Rows of the k largest scores (ties to the lower row), restricted to positive ones if asked."""
    order = np.lexsort((np.arange(scores.size), -scores))[:k]
    return order[scores[order] > 0] if keep_positive else order


def topk_dual(CT, alpha, beta, gamma, k, row_mass, col_mass, out_rows, out_cols, out_values):
    m, n = CT.shape
    row_mass[:] = 0.0
    penalty, nnz = 0.0, 0
    for j in range(m):
        s = alpha + beta[j] - CT[j]
        top = _top_k_rows(s, k, keep_positive=True)
        t = s[top] / gamma
        penalty += 0.5 * (s[top] * t).sum()
        np.add.at(row_mass, top, t)
        col_mass[j] = t.sum()
        if out_values.size:
            order = np.argsort(-s[top], kind="stable")
            out_rows[nnz: nnz + top.size] = top[order]
            out_cols[nnz: nnz + top.size] = j
            out_values[nnz: nnz + top.size] = t[order]
            nnz += top.size
    return penalty, nnz


def simplex_projection(z):
    """Euclidean projection of ``z`` onto the probability simplex."""
    u = np.sort(z)[::-1]
    cumulative = np.cumsum(u) - 1.0
    rho = np.flatnonzero(u - cumulative / np.arange(1, z.size + 1) > 0)[-1]
    return np.maximum(z - cumulative[rho] / (rho + 1), 0.0)


def topk_semidual(CT, alpha, b, gamma, k, row_mass, out_rows, out_cols, out_values):
    m, n = CT.shape
    row_mass[:] = 0.0
    total, nnz = 0.0, 0
    for j in range(m):
        x = alpha - CT[j]
        z = x / (gamma * b[j])
        top = _top_k_rows(z, k, keep_positive=False)
        y = np.zeros(n)
        y[top] = simplex_projection(z[top])
        total += b[j] * (y @ x - 0.5 * gamma * b[j] * (y @ y))
        row_mass += b[j] * y
        if out_values.size:
            support = top[y[top] > 0]
            order = np.argsort(-y[support], kind="stable")
            support = support[order]
            out_rows[nnz: nnz + support.size] = support
            out_cols[nnz: nnz + support.size] = j
            out_values[nnz: nnz + support.size] = b[j] * y[support]
            nnz += support.size
    return total, nnz


def scaling_update(products, scaling, targets, low, high, out):
    safe = bool(((products > low) & (products < high)).all())
    with np.errstate(divide="ignore"):
        out[:] = np.where((products > low) & (products < high), targets / products, 1.0)
    error = float(np.linalg.norm(scaling * products - targets))
    return error, safe, float(out.min()), float(out.max())


def log_update(sums, potentials, targets, log_targets, low, high, out):
    ok = (sums > low) & (sums < high)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:] = np.where(ok, potentials + log_targets - np.log(sums), potentials)
    return float(np.linalg.norm(sums - targets)), bool(ok.all())
