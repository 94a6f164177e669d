"""numba kernels of the row-action sketch-and-project methods (Kaczmarz, Gauss–Seidel).

Each kernel performs the projections for a pre-drawn sequence of rows
``order`` in place on ``x``; drawing the rows in NumPy keeps the run
reproducible from ``random_state``. The NumPy twins live in
``tests/linalg/_sketch_reference.py``.
"""

from ..._core.jit import kernel

__all__ = ["kaczmarz_csr", "kaczmarz_dense", "gauss_seidel_csr", "gauss_seidel_dense"]


@kernel
def kaczmarz_csr(indptr, indices, data, b, inverse_norms, order, x):
    """Project ``x`` onto ``{a_i · x = b_i}`` for each ``i`` in ``order`` (CSR ``A``)."""
    for i in order:
        start, stop = indptr[i], indptr[i + 1]
        residual = b[i]
        for p in range(start, stop):
            residual -= data[p] * x[indices[p]]
        step = residual * inverse_norms[i]
        for p in range(start, stop):
            x[indices[p]] += step * data[p]


@kernel
def kaczmarz_dense(A, b, inverse_norms, order, x):
    """Project ``x`` onto ``{a_i · x = b_i}`` for each ``i`` in ``order`` (dense ``A``)."""
    n = A.shape[1]
    for i in order:
        residual = b[i]
        for j in range(n):
            residual -= A[i, j] * x[j]
        step = residual * inverse_norms[i]
        for j in range(n):
            x[j] += step * A[i, j]


@kernel
def gauss_seidel_csr(indptr, indices, data, b, inverse_diagonal, order, x):
    """Set ``x_i`` so that equation ``i`` holds, for each ``i`` in ``order`` (CSR ``A``)."""
    for i in order:
        residual = b[i]
        for p in range(indptr[i], indptr[i + 1]):
            residual -= data[p] * x[indices[p]]
        x[i] += residual * inverse_diagonal[i]


@kernel
def gauss_seidel_dense(A, b, inverse_diagonal, order, x):
    """Set ``x_i`` so that equation ``i`` holds, for each ``i`` in ``order`` (dense ``A``)."""
    n = A.shape[1]
    for i in order:
        residual = b[i]
        for j in range(n):
            residual -= A[i, j] * x[j]
        x[i] += residual * inverse_diagonal[i]
