"""Plain NumPy twins of the numba kernels of the sketching module (test oracles)."""

import numpy as np


def _sketch_matrix(rows, signs, scale, k):
    """Dense ``S`` (k x m) from the column-wise storage of a sparse sign sketch."""
    m, s = rows.shape
    S = np.zeros((k, m))
    np.add.at(S, (rows.ravel(), np.repeat(np.arange(m), s)), scale * signs.ravel().astype(float))
    return S


def _csr_dense(indptr, indices, data, n_cols):
    A = np.zeros((indptr.size - 1, n_cols))
    for i in range(indptr.size - 1):
        np.add.at(A[i], indices[indptr[i]:indptr[i + 1]], data[indptr[i]:indptr[i + 1]])
    return A


def sparse_sign_csr(indptr, indices, data, rows, signs, scale, out):
    A = _csr_dense(indptr, indices, data, out.shape[1])
    out += _sketch_matrix(rows, signs, scale, out.shape[0]) @ A


def sparse_sign_csc(indptr, indices, data, rows, signs, scale, out_t):
    A_t = _csr_dense(indptr, indices, data, rows.shape[0])  # CSC of A is CSR of A.T
    out_t += (_sketch_matrix(rows, signs, scale, out_t.shape[1]) @ A_t.T).T


def sparse_sign_dense_rows(A, rows, signs, scale, out):
    out += _sketch_matrix(rows, signs, scale, out.shape[0]) @ A


def sparse_sign_dense_cols(A_t, rows, signs, scale, out_t):
    out_t += (_sketch_matrix(rows, signs, scale, out_t.shape[1]) @ A_t.T).T


def sparse_sign_transpose(rows, signs, scale, Y, out):
    out[:] = _sketch_matrix(rows, signs, scale, Y.shape[0]).T @ Y


def csr_fused_normal(indptr, indices, data, w, u, coef, t, z, z_u):
    A = _csr_dense(indptr, indices, data, w.size)
    t[:] = A @ w - coef * u
    z += A.T @ t
    if z_u.size:
        z_u += A.T @ u
    return float(t @ t)


def kaczmarz_csr(indptr, indices, data, b, inverse_norms, order, x):
    kaczmarz_dense(_csr_dense(indptr, indices, data, x.size), b, inverse_norms, order, x)


def kaczmarz_dense(A, b, inverse_norms, order, x):
    for i in order:
        x += (b[i] - A[i] @ x) * inverse_norms[i] * A[i]


def gauss_seidel_csr(indptr, indices, data, b, inverse_diagonal, order, x):
    gauss_seidel_dense(_csr_dense(indptr, indices, data, x.size), b, inverse_diagonal, order, x)


def gauss_seidel_dense(A, b, inverse_diagonal, order, x):
    for i in order:
        x[i] += (b[i] - A[i] @ x) * inverse_diagonal[i]
