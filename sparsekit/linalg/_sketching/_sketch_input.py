"""Validation of the input of the sketching family: what may be sketched, on which backend.

Shared by the sketch operators, the ``sketch`` front door, its Dask path and
the solvers built on sketches, so every one of them refuses bad input with the
same messages.
"""

import sys

import numpy as np
from scipy import sparse

from ..._core.backend import get_namespace, is_cupy_namespace, is_numpy_namespace
from ..._core.exceptions import InvalidParameterError
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


def check_sketch_input(A, name="A", *, ndim=(1, 2), scan_dense=True):
    """Validate a matrix (or vector) to be sketched; return ``(A, kind, xp)``.

    ``kind`` is ``"dense"``, ``"csr"`` or ``"csc"``. Sparse input may be in
    any SciPy format, array or matrix: CSR and CSC are kept, every other format
    (COO, BSR, LIL, DOK, DIA) is converted once, here, to CSR, the layout the
    kernels read. Integer data is converted to float64; complex and
    non-numeric data are refused with a ``TypeError``; NaN, infinity, empty
    input and the wrong number of dimensions with a ``ValueError``.
    ``scan_dense=False`` leaves the NaN scan of dense NumPy input to the
    caller (the sparse sign sketches check their k x n output instead).
    """
    if type(A).__module__.startswith("cupyx.scipy.sparse"):
        raise TypeError(
            f"{name} is a CuPy sparse matrix; sketches take dense CuPy arrays or SciPy sparse input."
        )
    if sparse.issparse(A):
        A = check_array(A, name, ndim=2, accept_sparse=("csr", "csc"))
        return A, A.format, np
    xp = get_namespace(A)
    A = check_array(A, name, ndim=ndim, allow_nan=not scan_dense and xp is np)
    return A, "dense", xp


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
    """Sampling probabilities from non-negative ``weights`` of length ``m``.

    Raises :class:`InvalidParameterError` (a ``ValueError`` and a ``TypeError``) naming ``weights``:
    it is a parameter of the sketch, like ``k``.
    """
    try:
        with np.errstate(over="ignore"):  # the total of weights near float64's maximum: handled below
            weights = np.asarray(check_probability_vector(weights, "weights", size=m), dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise InvalidParameterError(str(exc)) from exc
    with np.errstate(over="ignore"):
        total = weights.sum()
    if not np.isfinite(total):  # weights near float64's maximum: their sum overflows, their ratios do not
        weights = weights / weights.max()
        total = weights.sum()
    return weights / total
