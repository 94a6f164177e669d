"""Validation of the input of the sketching family: what may be sketched, on which backend.

Shared by the sketch operators, the ``sketch`` front door, its Dask path and
the solvers built on sketches, so every one of them refuses bad input with the
same messages.
"""

import sys

import numpy as np
from scipy import sparse

from ..._core.backend import get_namespace, is_cupy_namespace, is_numpy_namespace
from ..._core.validation import check_array, check_probability_vector

__all__ = [
    "check_host_input",
    "check_sketch_input",
    "check_weights",
    "is_dask_array",
    "namespace_label",
    "row_norms_squared",
]


def is_dask_array(x):
    """Whether ``x`` is a dask array (without importing dask)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(x, dask_array.Array)


def namespace_label(xp):
    """Backend name of a namespace, as the registry's ``backends`` spell it."""
    if is_cupy_namespace(xp):
        return "cupy"
    return "numpy" if is_numpy_namespace(xp) or xp is np else "array-api"


def check_sketch_input(A, name="A", *, ndim=(1, 2)):
    """Validate a matrix (or vector) to be sketched; return ``(A, kind, xp)``.

    ``kind`` is ``"dense"``, ``"csr"`` or ``"csc"``. Sparse input must be CSR
    or CSC (other formats raise a ``TypeError`` that says how to convert);
    integer data is converted to float64, complex data is refused, NaN and
    infinity are refused.
    """
    if type(A).__module__.startswith("cupyx.scipy.sparse"):
        raise TypeError(
            f"{name} is a CuPy sparse matrix; sketches take dense CuPy arrays or SciPy CSR/CSC input."
        )
    if sparse.issparse(A):
        if A.format not in ("csr", "csc"):
            raise TypeError(
                f"{name} must be a CSR or CSC sparse array; got format {A.format!r}. "
                f"Convert it with {name}.tocsr()."
            )
        A = check_array(A, name, ndim=2, accept_sparse=True)
        return A, A.format, np
    A = check_array(A, name, ndim=ndim)
    return A, "dense", get_namespace(A)


def check_host_input(A, name="A", *, caller, ndim=2):
    """:func:`check_sketch_input` for functions that compute with NumPy/SciPy; return ``(A, kind)``.

    CuPy and other array-API arrays are refused with a ``TypeError`` naming ``caller``.
    """
    A, kind, xp = check_sketch_input(A, name, ndim=ndim)
    if xp is not np:
        raise TypeError(f"{caller} takes NumPy or SciPy sparse input; got a {xp.__name__} array.")
    return A, kind


def row_norms_squared(A):
    """Squared Euclidean norms of the rows of a dense 2-D array or SciPy sparse matrix."""
    if sparse.issparse(A):
        return np.asarray(A.multiply(A).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", A, A)


def check_weights(weights, m):
    """Sampling probabilities from non-negative ``weights`` of length ``m``."""
    weights = np.asarray(check_probability_vector(weights, "weights", size=m), dtype=np.float64)
    return weights / weights.sum()
