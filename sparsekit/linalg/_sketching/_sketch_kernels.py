"""numba kernels of the sparse sketches (CountSketch, sparse sign / OSNAP).

A sparse sign sketch ``S`` (k x m) is stored by columns: column ``i`` of ``S``
has ``s`` nonzeros, in rows ``rows[i, :]`` with values ``scale * signs[i, :]``. Every
kernel computes ``S @ A`` in one pass over the nonzeros of ``A`` (or ``S.T @ Y``
in one pass over ``S``), accumulating into an output the caller allocates, so
that memory stays ``O(k n)`` and nothing is densified. The plain NumPy twins
live in ``tests/linalg/_sketch_reference.py``.
"""

from ..._core.jit import kernel

__all__ = [
    "sparse_sign_csr",
    "sparse_sign_csc",
    "sparse_sign_dense_rows",
    "sparse_sign_dense_cols",
    "sparse_sign_transpose",
]


@kernel
def sparse_sign_csr(indptr, indices, data, rows, signs, scale, out):
    """Accumulate ``S @ A`` into ``out`` (k x n, C order) for ``A`` in CSR form.

    Row ``i`` of ``A`` is added, times ``scale * signs[i, t]``, to row ``rows[i, t]``
    of ``out`` for each of the ``s`` nonzeros of column ``i`` of ``S``.
    """
    n_rows = indptr.shape[0] - 1
    s = rows.shape[1]
    for i in range(n_rows):
        start, stop = indptr[i], indptr[i + 1]
        for t in range(s):
            target = rows[i, t]
            weight = scale * signs[i, t]
            for p in range(start, stop):
                out[target, indices[p]] += weight * data[p]


@kernel
def sparse_sign_csc(indptr, indices, data, rows, signs, scale, out_t):
    """Accumulate ``(S @ A).T`` into ``out_t`` (n x k, C order) for ``A`` in CSC form.

    Writing the transpose keeps the k accumulators of one column of ``A``
    contiguous, so the scatter stays in cache.
    """
    n_cols = indptr.shape[0] - 1
    s = rows.shape[1]
    for j in range(n_cols):
        for p in range(indptr[j], indptr[j + 1]):
            i = indices[p]
            value = data[p]
            for t in range(s):
                out_t[j, rows[i, t]] += scale * signs[i, t] * value


@kernel
def sparse_sign_dense_rows(A, rows, signs, scale, out):
    """Accumulate ``S @ A`` into ``out`` (k x n) for a C-ordered dense ``A`` (m x n)."""
    n_rows, n_cols = A.shape
    s = rows.shape[1]
    for i in range(n_rows):
        for t in range(s):
            target = rows[i, t]
            weight = scale * signs[i, t]
            for j in range(n_cols):
                out[target, j] += weight * A[i, j]


@kernel
def sparse_sign_dense_cols(A_t, rows, signs, scale, out_t):
    """Accumulate ``(S @ A).T`` into ``out_t`` (n x k) given ``A_t = A.T`` C-ordered (n x m).

    This is the F-ordered dense case: each column of ``A`` is contiguous.
    """
    n_cols, n_rows = A_t.shape
    s = rows.shape[1]
    for j in range(n_cols):
        for i in range(n_rows):
            value = A_t[j, i]
            for t in range(s):
                out_t[j, rows[i, t]] += scale * signs[i, t] * value


@kernel
def sparse_sign_transpose(rows, signs, scale, Y, out):
    """Compute ``out = S.T @ Y`` (m x r) for ``Y`` (k x r): a gather, one row of ``out`` at a time."""
    n_rows, s = rows.shape
    n_cols = Y.shape[1]
    for i in range(n_rows):
        for j in range(n_cols):
            out[i, j] = 0.0
        for t in range(s):
            source = rows[i, t]
            weight = scale * signs[i, t]
            for j in range(n_cols):
                out[i, j] += weight * Y[source, j]
