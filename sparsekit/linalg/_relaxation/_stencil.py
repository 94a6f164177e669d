"""Matrix-free Laplacian-plus-shift operators on regular grids (the fast path of SOR and SSOR-CG)."""

import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator

from ..._core.params import Interval, check_params, format_value
from . import _sor_kernels

__all__ = ["LaplacianStencil"]

_NO_INDEX = np.empty(0, dtype=np.uint32)
_NO_DATA = np.empty(0, dtype=np.float64)


def _laplacian_1d(n, dtype):
    return sparse.diags_array(
        [-np.ones(n - 1, dtype), 2 * np.ones(n, dtype), -np.ones(n - 1, dtype)], offsets=[-1, 0, 1]
    )


def kron_laplacian(shape, shift, format, dtype):
    """The finite-difference Laplacian on a grid of ``shape``: sum over axes of I ⊗ … ⊗ T_axis ⊗ … ⊗ I, plus ``shift`` on the diagonal."""
    size = int(np.prod(shape))
    total = sparse.csr_array((size, size), dtype=dtype)
    for axis, n in enumerate(shape):
        factor = None
        for other, m in enumerate(shape):
            piece = _laplacian_1d(m, dtype) if other == axis else sparse.eye_array(m, dtype=dtype)
            factor = piece if factor is None else sparse.kron(factor, piece)
        total = total + factor
    if shift:
        total = total + shift * sparse.eye_array(size, dtype=dtype)
    out = total.asformat(format)
    if format in ("csr", "csc"):
        out.sort_indices()
    return out


class LaplacianStencil(LinearOperator):
    """Matrix-free ``diffusion * L + shift * I`` for the 5-point (2-D) or 7-point (3-D) Laplacian ``L``.

    ``L`` is the unscaled grid Laplacian of :func:`sparsekit.datasets.poisson2d`
    and :func:`~sparsekit.datasets.poisson3d` (``2 * ndim`` on the diagonal,
    ``-1`` per grid neighbour, last grid index fastest), so
    ``LaplacianStencil((n, m), shift=c)`` is ``poisson2d(n, m, shift=c)``
    without storing it. Pass it as ``A`` to :func:`sor`, :func:`ssor_cg`,
    :func:`ssor_preconditioner` or :func:`sor_sequence`: their kernels then read
    two numbers instead of a CSR matrix (about 24 instead of about 90 bytes
    of memory traffic per unknown and sweep) and produce the same iterates as
    on :meth:`tocsr`.

    Parameters
    ----------
    shape : tuple of int
        Interior grid points per axis: one, two or three positive integers.
    diffusion : float, default=1.0
        Factor of the Laplacian (``-diffusion`` is each neighbour's entry).
    shift : float, default=0.0
        Added to the diagonal.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        dtype of the products (the coefficients are kept in float64).

    Attributes
    ----------
    grid_shape : tuple of int
        The grid.
    diagonal_value : float
        Every diagonal entry, ``2 * len(shape) * diffusion + shift``.
    neighbour_value : float
        Every off-diagonal entry, ``-diffusion``.

    See Also
    --------
    LaplacianStencil.from_matrix : Recognise such a matrix in CSR form.
    sparsekit.datasets.poisson2d : The same matrix, stored.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import LaplacianStencil
    >>> from sparsekit.datasets import poisson2d
    >>> A = LaplacianStencil((10, 10), shift=0.3)
    >>> x = np.arange(100.0)
    >>> bool(np.array_equal(A @ x, poisson2d(10, shift=0.3) @ x))
    True
    >>> A.diagonal_value, A.neighbour_value
    (4.3, -1.0)
    """

    def __init__(self, shape, *, diffusion=1.0, shift=0.0, dtype=np.float64):
        shape = _check_grid_shape(shape)
        check_params(
            {"diffusion": diffusion, "shift": shift},
            {"diffusion": [Interval(Real, None, None, closed="neither")],
             "shift": [Interval(Real, None, None, closed="neither")]},
            caller="LaplacianStencil",
        )
        diagonal_value = float(diffusion) * (2.0 * len(shape)) + float(shift)
        self._set(shape, diagonal_value, -float(diffusion), dtype)
        self.diffusion = float(diffusion)
        self.shift = float(shift)

    def _set(self, shape, diagonal_value, neighbour_value, dtype):
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64; got {dtype}.")
        if diagonal_value == 0:
            raise ValueError("the stencil's diagonal value must be nonzero (SOR divides by it).")
        n = math.prod(shape)
        super().__init__(dtype=dtype, shape=(n, n))
        self.grid_shape = tuple(shape)
        self.diagonal_value = diagonal_value
        self.neighbour_value = neighbour_value
        # Kernels see the grid as (nz, ny, nx) with length-1 axes dropped: a
        # length-1 axis has no neighbours, and dropping it keeps "x - 1" the
        # previous row exactly as in the CSR kernel.
        kept = [s for s in shape if s > 1] or [1]
        self._kernel_grid = np.array([1] * (3 - len(kept)) + kept, dtype=np.int64)
        self._kernel_coefs = np.array([diagonal_value, neighbour_value], dtype=np.float64)

    @classmethod
    def from_matrix(cls, A, shape=None):
        """Recognise a Laplacian-plus-shift matrix and return it as a stencil.

        Parameters
        ----------
        A : sparse array or matrix
            Square matrix to test (any format; it is compared exactly and not
            modified).
        shape : tuple of int, optional
            The grid; by default it is inferred from the columns of the first
            row (neighbours at offsets ``1``, ``nx`` and ``nx * ny``).

        Returns
        -------
        LaplacianStencil or None
            A stencil equal to ``A`` entry for entry, or None when ``A`` is not
            one (other values or pattern, or no grid fits).

        Examples
        --------
        >>> from sparsekit.datasets import poisson3d
        >>> from sparsekit.linalg import LaplacianStencil
        >>> LaplacianStencil.from_matrix(poisson3d(4, shift=-0.5)).grid_shape
        (4, 4, 4)
        >>> LaplacianStencil.from_matrix(poisson3d(4)[:, ::-1]) is None
        True
        """
        if not sparse.issparse(A) or A.ndim != 2 or A.shape[0] != A.shape[1] or A.dtype.kind != "f":
            return None
        A = sparse.csr_array(A, copy=True)
        A.sum_duplicates()
        A.eliminate_zeros()
        diagonal = A.diagonal()
        if diagonal[0] == 0 or np.any(diagonal != diagonal[0]):
            return None
        if shape is None:
            shape = _infer_grid_shape(A)
            if shape is None:
                return None
        elif math.prod(_check_grid_shape(shape)) != A.shape[0]:
            return None
        row0 = slice(A.indptr[0], A.indptr[1])
        neighbours = A.data[row0][A.indices[row0] != 0]
        stencil = cls.__new__(cls)
        stencil._set(_check_grid_shape(shape), float(diagonal[0]),
                     float(neighbours[0]) if neighbours.size else 0.0, A.dtype)
        stencil.diffusion = -stencil.neighbour_value
        stencil.shift = stencil.diagonal_value - stencil.diffusion * 2.0 * len(stencil.grid_shape)
        expected = stencil.tocsr()
        if expected.nnz != A.nnz or (expected != A).nnz:
            return None
        return stencil

    def _kernel_operator(self):
        """The five arrays the SOR kernels take (see ``_sor_kernels``)."""
        return _NO_INDEX, _NO_INDEX, _NO_DATA, self._kernel_grid, self._kernel_coefs

    def _matvec(self, x):
        x = np.ascontiguousarray(np.ravel(x), dtype=np.result_type(self.dtype, x.dtype))
        out = np.empty_like(x)
        _sor_kernels.matvec(*self._kernel_operator(), x, out)
        return out

    def _rmatvec(self, x):
        return self._matvec(x)

    def _adjoint(self):
        return self

    def diagonal(self):
        """The diagonal as an array.

        Returns
        -------
        ndarray
            ``diagonal_value`` repeated ``n`` times.
        """
        return np.full(self.shape[0], self.diagonal_value, dtype=self.dtype)

    def tocsr(self):
        """The same matrix in CSR format (sorted indices, no stored zeros).

        Returns
        -------
        scipy.sparse.csr_array
            ``diffusion * L + shift * I`` with the stencil's exact entries.
        """
        matrix = kron_laplacian(self.grid_shape, 0.0, "csr", self.dtype)
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        matrix.data[:] = np.where(matrix.indices == rows, self.diagonal_value, self.neighbour_value)
        matrix.eliminate_zeros()
        return matrix

    def __repr__(self):
        return (f"LaplacianStencil(shape={self.grid_shape}, diagonal={self.diagonal_value:g}, "
                f"neighbour={self.neighbour_value:g}, dtype={self.dtype})")


def _check_grid_shape(shape):
    if isinstance(shape, Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be a tuple of 1 to 3 positive ints; got {format_value(shape)}.") from None
    if not 1 <= len(shape) <= 3 or not all(
        isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in shape
    ):
        got = ", ".join(format_value(s) for s in shape)
        raise ValueError(f"shape must be a tuple of 1 to 3 positive ints; got ({got}).")
    return tuple(int(s) for s in shape)


def _infer_grid_shape(A):
    """Grid whose neighbour offsets ``1 < nx < nx * ny`` match the first row of ``A`` (None if none fits)."""
    n = A.shape[0]
    strides = sorted(int(j) for j in A.indices[A.indptr[0]:A.indptr[1]] if j != 0)
    if not strides:
        return (n,) if n == 1 else None
    if strides[0] != 1 or len(strides) > 3:
        return None
    shape = []
    for inner, outer in zip(strides, strides[1:] + [n]):
        if outer % inner:
            return None
        shape.insert(0, outer // inner)
    return tuple(shape)
