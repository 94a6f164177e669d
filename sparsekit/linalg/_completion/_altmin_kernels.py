"""Numba kernels of alternating minimisation for matrix completion, each with its NumPy twin.

One half-step of AltMin solves, for every row ``i`` of a compressed matrix of
observed entries, the ridge regression

    min_z  sum_{j in Omega_i} (t_ij - a_j^T z)^2 + ridge * |x|^2 + ridge_bias * beta^2,

with ``z = (x, beta)``: ``x`` the row's factor, ``beta`` its bias when biases
are fitted, ``a_j = (F_j, 1)`` the other side's factor (and a one for the
bias) and ``t_ij = m_ij - offset - c_j`` the observed value less the global
offset and the other side's bias. The same kernel serves rows (``F = V``, the
matrix in CSR) and columns (``F = U``, the matrix in CSC).

Three ways to solve each regression (``method``):

- 0, exact: gather the observed rows ``A_i`` of ``[F, 1]`` into a contiguous
  block, form the Gram ``A_i^T A_i`` with one BLAS-3 product, Cholesky-solve.
  A Gram that is not positive definite (``ridge=0`` and fewer observations
  than unknowns) falls back to the minimum-norm least-squares solution.
- 1, cg: ``steps`` conjugate-gradient steps on the normal equations,
  warm-started from the previous iterate, each one product with ``A_i`` and
  one with ``A_i^T`` (O(|Omega_i| k) per step, no Gram).
- 2, sketch: the sketch-preconditioned solve of Gu, Song, Yin and Zhang: a
  CountSketch ``S A_i`` of ``size`` rows (each observed entry hashed to a
  bucket with a random sign, drawn once by the caller), ``R`` from the QR of
  ``[S A_i; sqrt(ridge) I]``, then ``steps`` preconditioned CG steps on the
  normal equations with preconditioner ``(R^T R)^{-1}``, warm-started.
"""

import numpy as np

from ..._core.jit import kernel

__all__ = [
    "observed_rmse",
    "observed_rmse_twin",
    "solve_rows",
    "solve_rows_twin",
]

EXACT, CG, SKETCH = 0, 1, 2


@kernel
def _cholesky_solve(G, rhs):
    """Solve ``G z = rhs`` in place for SPD ``G`` (overwritten by its factor); False if not positive definite."""
    d = G.shape[0]
    for j in range(d):
        s = G[j, j]
        for p in range(j):
            s -= G[j, p] * G[j, p]
        if not s > 0.0:
            return False
        G[j, j] = np.sqrt(s)
        for i in range(j + 1, d):
            s = G[i, j]
            for p in range(j):
                s -= G[i, p] * G[j, p]
            G[i, j] = s / G[j, j]
    for i in range(d):
        s = rhs[i]
        for p in range(i):
            s -= G[i, p] * rhs[p]
        rhs[i] = s / G[i, i]
    for i in range(d - 1, -1, -1):
        s = rhs[i]
        for p in range(i + 1, d):
            s -= G[p, i] * rhs[p]
        rhs[i] = s / G[i, i]
    return True


@kernel
def _gather(indptr, indices, values, i, F, other_bias, offset, use_bias, A, t):
    """Rows ``A[:n]`` = ``[F_j, 1]`` and ``t[:n]`` = targets over the observed ``j`` of row ``i``; returns ``n``."""
    k = F.shape[1]
    n = indptr[i + 1] - indptr[i]
    for q in range(n):
        j = indices[indptr[i] + q]
        for c in range(k):
            A[q, c] = F[j, c]
        if use_bias:
            A[q, k] = 1.0
        t[q] = values[indptr[i] + q] - offset - other_bias[j]
    return n


@kernel
def _normal_matvec(A, n, p, lam, out, work):
    """``out = (A[:n]^T A[:n] + diag(lam)) p`` in O(n d) without forming the Gram."""
    d = A.shape[1]
    for q in range(n):
        s = 0.0
        for c in range(d):
            s += A[q, c] * p[c]
        work[q] = s
    for c in range(d):
        s = lam[c] * p[c]
        for q in range(n):
            s += A[q, c] * work[q]
        out[c] = s


@kernel
def _upper_solve(R, b, transpose):
    """Solve ``R z = b`` (or ``R^T z = b``) in place for upper-triangular ``R``."""
    d = R.shape[0]
    if transpose:
        for i in range(d):
            s = b[i]
            for p in range(i):
                s -= R[p, i] * b[p]
            b[i] = s / R[i, i]
    else:
        for i in range(d - 1, -1, -1):
            s = b[i]
            for p in range(i + 1, d):
                s -= R[i, p] * b[p]
            b[i] = s / R[i, i]


@kernel
def _pcg(A, n, t, lam, z, steps, R, use_R, work):
    """``steps`` (preconditioned) CG steps on ``(A^T A + diag(lam)) z = A^T t``, warm-started at ``z``."""
    d = A.shape[1]
    r = np.empty(d, dtype=z.dtype)
    ap = np.empty(d, dtype=z.dtype)
    _normal_matvec(A, n, z, lam, ap, work)
    for c in range(d):
        s = 0.0
        for q in range(n):
            s += A[q, c] * t[q]
        r[c] = s - ap[c]
    y = r.copy()
    if use_R:
        _upper_solve(R, y, True)
        _upper_solve(R, y, False)
    p = y.copy()
    ry = 0.0
    for c in range(d):
        ry += r[c] * y[c]
    for _ in range(steps):
        if not ry > 0.0:
            break
        _normal_matvec(A, n, p, lam, ap, work)
        pap = 0.0
        for c in range(d):
            pap += p[c] * ap[c]
        if not pap > 0.0:
            break
        alpha = ry / pap
        for c in range(d):
            z[c] += alpha * p[c]
            r[c] -= alpha * ap[c]
        for c in range(d):
            y[c] = r[c]
        if use_R:
            _upper_solve(R, y, True)
            _upper_solve(R, y, False)
        ry_new = 0.0
        for c in range(d):
            ry_new += r[c] * y[c]
        beta = ry_new / ry
        ry = ry_new
        for c in range(d):
            p[c] = y[c] + beta * p[c]


@kernel
def _sketch_factor(A, n, lam, buckets, signs, start, size, R):
    """``R`` of the QR of ``[S A[:n]; sqrt(diag(lam))]`` (``S``: the row's CountSketch); False if numerically singular."""
    d = A.shape[1]
    s = min(size, n)
    SA = np.zeros((s + d, d), dtype=A.dtype)
    for q in range(n):
        b = int(buckets[start + q] * s)
        for c in range(d):
            SA[b, c] += signs[start + q] * A[q, c]
    for c in range(d):
        SA[s + c, c] = np.sqrt(lam[c])
    R[:, :] = np.linalg.qr(SA)[1]
    largest = 0.0
    for c in range(d):
        largest = max(largest, abs(R[c, c]))
    for c in range(d):
        if not abs(R[c, c]) > d * np.finfo(A.dtype).eps * largest:
            return False
    return True


@kernel
def solve_rows(indptr, indices, values, F, other_bias, offset, ridge, ridge_bias, use_bias, X, b, method, steps,
               buckets, signs, size):
    """One AltMin half-step: update ``X[i]`` (and ``b[i]`` when ``use_bias``) for every row, in place.

    Parameters
    ----------
    indptr, indices, values : ndarray
        The observed entries in compressed form (CSR for rows, CSC for columns).
    F : ndarray of shape (n_other, k)
        The other side's factor.
    other_bias : ndarray of shape (n_other,)
        The other side's bias (zeros without biases).
    offset : float
        The global offset subtracted from every observation.
    ridge, ridge_bias : float
        Ridge weights on the factor and on the bias.
    use_bias : bool
        Whether each row also fits a bias.
    X : ndarray of shape (n_rows, k)
        The factor being updated (and the warm start of the inexact solves).
    b : ndarray of shape (n_rows,)
        The bias being updated (untouched without biases).
    method : int
        0 exact Gram solve, 1 CG, 2 sketch-preconditioned CG.
    steps : int
        (P)CG steps per row for methods 1 and 2.
    buckets, signs : ndarray of shape (nnz,)
        The CountSketch of method 2: a uniform number in [0, 1) (the bucket
        is ``floor(u * size_i)``) and a sign per observed entry.
    size : int
        Sketch rows per row (``min(size, |Omega_i|)``).
    """
    k = F.shape[1]
    d = k + 1 if use_bias else k
    dtype = X.dtype
    longest = 0
    for i in range(indptr.shape[0] - 1):
        longest = max(longest, indptr[i + 1] - indptr[i])
    A = np.empty((max(longest, 1), d), dtype=dtype)
    t = np.empty(max(longest, 1), dtype=dtype)
    work = np.empty(max(longest, 1), dtype=dtype)
    lam = np.full(d, ridge, dtype=dtype)
    if use_bias:
        lam[k] = ridge_bias
    z = np.empty(d, dtype=dtype)
    G = np.empty((d, d), dtype=dtype)
    R = np.empty((d, d), dtype=dtype)
    for i in range(indptr.shape[0] - 1):
        n = _gather(indptr, indices, values, i, F, other_bias, offset, use_bias, A, t)
        for c in range(k):
            z[c] = X[i, c]
        if use_bias:
            z[k] = b[i]
        solved = False
        if method == CG:
            _pcg(A, n, t, lam, z, steps, R, False, work)
            solved = True
        elif method == SKETCH and n > 0:
            if _sketch_factor(A, n, lam, buckets, signs, indptr[i], size, R):
                _pcg(A, n, t, lam, z, steps, R, True, work)
                solved = True
        if not solved:
            An = A[:n]
            G[:, :] = np.dot(An.T, An)
            for c in range(d):
                G[c, c] += lam[c]
                z[c] = 0.0
            for q in range(n):
                for c in range(d):
                    z[c] += A[q, c] * t[q]
            if (n < d and lam.min() == 0.0) or not _cholesky_solve(G, z):
                z[:] = _min_norm(An, t[:n], lam)
        for c in range(k):
            X[i, c] = z[c]
        if use_bias:
            b[i] = z[k]


@kernel
def _min_norm(A, t, lam):
    """Minimum-norm solution of the ridge least squares ``[A; sqrt(diag(lam))] z = [t; 0]`` (a singular Gram)."""
    d = A.shape[1]
    n = A.shape[0]
    stacked = np.zeros((n + d, d), dtype=A.dtype)
    rhs = np.zeros(n + d, dtype=A.dtype)
    stacked[:n] = A
    rhs[:n] = t
    for c in range(d):
        stacked[n + c, c] = np.sqrt(lam[c])
    return np.linalg.lstsq(stacked, rhs)[0]


def solve_rows_twin(indptr, indices, values, F, other_bias, offset, ridge, ridge_bias, use_bias, X, b, method, steps,
                    buckets, signs, size):
    """NumPy twin of :func:`solve_rows` (one regression per row with ``numpy.linalg``)."""
    k = F.shape[1]
    d = k + 1 if use_bias else k
    lam = np.full(d, ridge, dtype=X.dtype)
    if use_bias:
        lam[k] = ridge_bias
    for i in range(len(indptr) - 1):
        cols = indices[indptr[i]:indptr[i + 1]]
        A = np.hstack([F[cols], np.ones((len(cols), 1), dtype=F.dtype)]) if use_bias else F[cols]
        t = values[indptr[i]:indptr[i + 1]] - offset - other_bias[cols]
        z = np.append(X[i], b[i]) if use_bias else X[i].copy()
        gram = A.T @ A + np.diag(lam)
        R = _sketch_factor_twin(A, lam, buckets, signs, indptr[i], size) if method == SKETCH else None
        if method == CG:
            z = _pcg_twin(gram, A.T @ t, z, steps, None)
        elif R is not None:
            z = _pcg_twin(gram, A.T @ t, z, steps, R)
        else:
            z = _solve_gram_twin(gram, A, t, lam)
        X[i] = z[:k]
        if use_bias:
            b[i] = z[k]


def _solve_gram_twin(gram, A, t, lam):
    try:
        if len(t) < len(lam) and lam.min() == 0:
            raise np.linalg.LinAlgError("fewer observations than unknowns")
        L = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError:
        stacked = np.vstack([A, np.diag(np.sqrt(lam))])
        return np.linalg.lstsq(stacked, np.concatenate([t, np.zeros(len(lam), dtype=t.dtype)]), rcond=None)[0]
    return np.linalg.solve(L.T, np.linalg.solve(L, A.T @ t))


def _sketch_factor_twin(A, lam, buckets, signs, start, size):
    n, d = A.shape
    if n == 0:
        return None
    s = min(size, n)
    SA = np.zeros((s, d), dtype=A.dtype)
    np.add.at(SA, (buckets[start:start + n] * s).astype(np.int64), signs[start:start + n, None] * A)
    R = np.linalg.qr(np.vstack([SA, np.diag(np.sqrt(lam))]))[1]
    diag = np.abs(np.diag(R))
    return None if not np.all(diag > d * np.finfo(A.dtype).eps * diag.max()) else R


def _pcg_twin(gram, rhs, z, steps, R):
    def precondition(v):
        return v.copy() if R is None else np.linalg.solve(R, np.linalg.solve(R.T, v))

    r = rhs - gram @ z
    y = precondition(r)
    p = y.copy()
    ry = r @ y
    for _ in range(steps):
        if not ry > 0:
            break
        ap = gram @ p
        pap = p @ ap
        if not pap > 0:
            break
        alpha = ry / pap
        z = z + alpha * p
        r = r - alpha * ap
        y = precondition(r)
        ry_new = r @ y
        p = y + (ry_new / ry) * p
        ry = ry_new
    return z


@kernel
def observed_rmse(indptr, indices, values, U, V, row_bias, col_bias, offset):
    """Root-mean-square error of ``offset + b_i + c_j + U_i . V_j`` over the observed entries (CSR)."""
    k = U.shape[1]
    total = 0.0
    for i in range(indptr.shape[0] - 1):
        for q in range(indptr[i], indptr[i + 1]):
            j = indices[q]
            pred = offset + row_bias[i] + col_bias[j]
            for c in range(k):
                pred += U[i, c] * V[j, c]
            total += (values[q] - pred) ** 2
    return np.sqrt(total / max(indptr[-1], 1))


def observed_rmse_twin(indptr, indices, values, U, V, row_bias, col_bias, offset):
    """NumPy twin of :func:`observed_rmse`."""
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    pred = offset + row_bias[rows] + col_bias[indices] + np.einsum("ij,ij->i", U[rows], V[indices])
    return np.sqrt(np.sum((values - pred) ** 2) / max(indptr[-1], 1))
