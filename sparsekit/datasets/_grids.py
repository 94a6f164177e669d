"""Finite-difference Laplacians on regular grids (the classic sparse test matrices)."""

from numbers import Integral, Real

import numpy as np

from .._core.validation import Interval, Options, validate_params
from ..linalg._relaxation._stencil import kron_laplacian

__all__ = ["poisson2d", "poisson3d"]

_GRID_CONSTRAINTS = {
    "shift": [Interval(Real, None, None, closed="neither")],
    "format": [Options({"csr", "csc", "coo"})],
    "dtype": "no_validation",
}


@validate_params(
    {
        "n": [Interval(Integral, 1, None, closed="left")],
        "m": [Interval(Integral, 1, None, closed="left"), None],
        **_GRID_CONSTRAINTS,
    }
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
    dtype : dtype, default=numpy.float64
        Value type.

    Returns
    -------
    scipy.sparse.sparray
        The ``n*m x n*m`` matrix.

    Examples
    --------
    >>> from sparsekit.datasets import poisson2d
    >>> A = poisson2d(10)
    >>> A.shape, A.nnz
    ((100, 100), 460)
    >>> float(A[0, 0]), float(A[0, 1]), float(A[0, 10])
    (4.0, -1.0, -1.0)
    """
    return kron_laplacian((n, n if m is None else m), shift, format, dtype)


@validate_params({"n": [Interval(Integral, 1, None, closed="left")], **_GRID_CONSTRAINTS})
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
    dtype : dtype, default=numpy.float64
        Value type.

    Returns
    -------
    scipy.sparse.sparray
        The ``n**3 x n**3`` matrix.

    Examples
    --------
    >>> from sparsekit.datasets import poisson3d
    >>> A = poisson3d(4)
    >>> A.shape, float(A.diagonal().max())
    ((64, 64), 6.0)
    """
    return kron_laplacian((n, n, n), shift, format, dtype)
