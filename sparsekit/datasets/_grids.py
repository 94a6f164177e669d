"""Finite-difference Laplacians on regular grids (the classic sparse test matrices)."""

from numbers import Real

import numpy as np

from .._core.params import Interval, Options
from ..linalg._relaxation._stencil import kron_laplacian
from ._validation import SCALE_MAX, SIZE, FloatDtype, generator_params

__all__ = ["poisson2d", "poisson3d"]

_GRID_CONSTRAINTS = {
    "shift": [Interval(Real, -SCALE_MAX, SCALE_MAX, closed="both")],
    "format": [Options({"csr", "csc", "coo"})],
    "dtype": [FloatDtype()],
}


def laplacian_bytes(unknowns, ndim, dtype=np.float64):
    """About the memory of assembling a grid Laplacian: the sum of its Kronecker terms and the result."""
    return 3 * (2 * ndim + 1) * unknowns * (np.dtype(dtype).itemsize + 8)


def _laplacian(shape, shift, format, dtype):
    # The diagonal holds 2 * ndim + shift: it must be a finite number of the requested dtype.
    largest = float(np.finfo(dtype).max)
    if abs(shift) + 2 * len(shape) > largest:
        raise ValueError(
            f"shift={shift:g} overflows dtype {np.dtype(dtype).name}; "
            f"its magnitude must be at most {largest:g}."
        )
    return kron_laplacian(shape, shift, format, dtype)


@generator_params(
    {"n": [SIZE], "m": [SIZE, None], **_GRID_CONSTRAINTS},
    lambda n, m, dtype, **_: (laplacian_bytes(n * (n if m is None else m), 2, dtype), {"n": n, "m": m or n}),
)
def poisson2d(n, m=None, *, shift=0.0, format="csr", dtype=np.float64):
    """5-point Laplacian on an ``n x m`` grid of interior points, plus ``shift * I``.

    The matrix is ``4`` on the diagonal and ``-1`` for each grid neighbour (no
    ``1/h**2`` scaling), rows ordered with the last grid index fastest: the
    same matrix as MATLAB's ``delsq(numgrid('S', n + 2))`` up to ordering and as
    ``pyamg.gallery.poisson((n, m))``.

    Parameters
    ----------
    n : int
        Interior points along the first axis.
    m : int, optional
        Interior points along the second axis (``n`` by default).
    shift : float, default=0.0
        Added to the diagonal (``A + shift * I``).
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result.
    dtype : {float64, float32, complex128, complex64}, default=numpy.float64
        Value type.

    Returns
    -------
    scipy.sparse.sparray
        The ``n*m x n*m`` matrix.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range (``|shift| <= 1e100``).
    ValueError
        If ``shift`` overflows ``dtype`` or the matrix would take more than 32 GiB.

    Examples
    --------
    >>> from sparsekit.datasets import poisson2d
    >>> A = poisson2d(10)
    >>> A.shape, A.nnz
    ((100, 100), 460)
    >>> float(A[0, 0]), float(A[0, 1]), float(A[0, 10])
    (4.0, -1.0, -1.0)
    """
    return _laplacian((n, n if m is None else m), shift, format, dtype)


@generator_params(
    {"n": [SIZE], **_GRID_CONSTRAINTS}, lambda n, dtype, **_: (laplacian_bytes(n**3, 3, dtype), {"n": n})
)
def poisson3d(n, *, shift=0.0, format="csr", dtype=np.float64):
    """7-point Laplacian on an ``n x n x n`` grid of interior points, plus ``shift * I``.

    ``6`` on the diagonal and ``-1`` for each of the six grid neighbours, rows
    ordered with the last grid index fastest (as ``pyamg.gallery.poisson((n, n, n))``).

    Parameters
    ----------
    n : int
        Interior points along each axis.
    shift : float, default=0.0
        Added to the diagonal.
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result.
    dtype : {float64, float32, complex128, complex64}, default=numpy.float64
        Value type.

    Returns
    -------
    scipy.sparse.sparray
        The ``n**3 x n**3`` matrix.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range (``|shift| <= 1e100``).
    ValueError
        If ``shift`` overflows ``dtype`` or the matrix would take more than 32 GiB.

    Examples
    --------
    >>> from sparsekit.datasets import poisson3d
    >>> A = poisson3d(4)
    >>> A.shape, float(A.diagonal().max())
    ((64, 64), 6.0)
    """
    return _laplacian((n, n, n), shift, format, dtype)
