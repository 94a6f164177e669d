"""Fully constrained least squares (non-negative, sum-to-one abundances) for all pixels at once."""

from numbers import Integral, Real

import numpy as np

from ..._core.backend import get_namespace
from ..._core.params import Interval, validate_params
from ..._core.result import Result, end_run
from ..._core.scaling import times_power_of_two, unit_exponent
from ..._core.validation import check_array
from ._fcls_kernels import active_set_qp

__all__ = ["fcls"]


def check_pixels(Y, name="Y", *, allow_negative=True):
    """``Y`` as a 2-D float array of pixels x bands, and the image shape (None for a pixel matrix).

    A 3-D ``Y`` is an (height, width, bands) cube; it is reshaped without a copy when contiguous.
    """
    Y = check_array(Y, name, ndim=(2, 3))
    xp = get_namespace(Y)
    if not allow_negative and float(xp.min(Y)) < 0:
        raise ValueError(f"{name} must be non-negative (reflectance); its smallest entry is {float(xp.min(Y)):.3g}.")
    if Y.ndim == 3:
        return xp.reshape(Y, (-1, Y.shape[2])), tuple(Y.shape[:2])
    return Y, None


def check_endmembers(E, n_bands, name="E"):
    """``E`` as a finite (n_endmembers, n_bands) float64 array."""
    E = check_array(E, name, ndim=2)
    if E.shape[1] != n_bands:
        raise ValueError(f"{name} has {E.shape[1]} bands (columns) but Y has {n_bands}: they must match.")
    return E


def solve_constrained(G, B, X, *, sum_to_one, max_iter, tol):
    """Run the active-set kernel on float64 copies; returns the solutions and the active-set changes per row."""
    X = np.array(X, dtype=np.float64, order="C")
    n_iter = active_set_qp(np.ascontiguousarray(G, dtype=np.float64), np.ascontiguousarray(B, dtype=np.float64),
                           X, sum_to_one, max_iter, tol)
    return X, n_iter


def residual_square(Y, A, B, G):
    """``||Y - A E||_F^2`` from ``B = Y E^T`` and ``G = E E^T``, without a pixels x bands temporary.

    ``||Y||^2 - 2 <A, B> + <A^T A, G>``, clipped at zero (it loses digits to cancellation below
    ``sqrt(eps) ||Y||``, more than enough for a reported fit).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        square = float(np.einsum("ij,ij->", Y, Y, dtype=np.float64)) - 2.0 * float(np.einsum("ij,ij->", A, B)) \
            + float(np.einsum("ij,ij->", A.T @ A, G))
    return max(square, 0.0)


def unmix_pixels(Y, E, weights, *, sum_to_one, max_iter, tol):
    """Abundances of the pixel rows of ``Y`` (band-weighted when ``weights`` is given), in ``Y``'s dtype.

    Returns the abundances, the active-set changes per pixel, and the squared residual
    ``||Y - A E||_F^2`` (unweighted; NaN when weighted). ``Y`` and ``E`` are rescaled together by a
    power of two when ``E`` lies far from unit scale (the abundances do not change).
    """
    exponent = unit_exponent(E, dtype=np.float64, margin=4)
    if exponent:
        Y, E = times_power_of_two(Y, exponent), times_power_of_two(E, exponent)
    Ew = E if weights is None else E * weights
    B = Y @ Ew.T.astype(Y.dtype, copy=False)
    G = Ew @ E.T
    A, n_iter = solve_constrained(G, B, np.full(B.shape, -1.0), sum_to_one=sum_to_one, max_iter=max_iter, tol=tol)
    square = float(np.ldexp(residual_square(Y, A, B, G), -2 * exponent)) if weights is None else np.nan
    return A.astype(Y.dtype, copy=False), n_iter, square


def is_dask(Y):
    """Whether ``Y`` is a Dask array (checked by module name: Dask is not imported for NumPy input)."""
    return type(Y).__module__.split(".")[0] == "dask"


def _tile(block, E, weights, sum_to_one, max_iter, tol):
    """One tile's abundances, with the active-set changes and squared residual per pixel as two extra columns."""
    shape = block.shape
    Y = check_array(block.reshape(-1, shape[-1]), "Y")
    A, n_iter, _ = unmix_pixels(Y, E, weights, sum_to_one=sum_to_one, max_iter=max_iter, tol=tol)
    if weights is None:
        with np.errstate(over="ignore", invalid="ignore"):
            fit = Y - A @ E.astype(Y.dtype, copy=False)
            square = np.einsum("ij,ij->i", fit, fit, dtype=np.float64)
    else:
        square = np.full(A.shape[0], np.nan)
    out = np.column_stack([A.astype(np.float64), n_iter.astype(np.float64), square])
    return out.reshape(*shape[:-1], A.shape[1] + 2)


def unmix_tiles(Y, E, weights, *, sum_to_one, max_iter, tol):
    """:func:`unmix_pixels` over the tiles of a Dask array (pixels x bands, or a cube chunked in space).

    Each tile is unmixed on its own (the pixels are independent), the band axis whole; the abundances
    (``n_endmembers / n_bands`` of the cube's size) come back as one NumPy array.
    """
    if Y.ndim not in (2, 3):
        raise ValueError(f"Y must be 2-D (pixels x bands) or 3-D (height, width, bands); got {Y.ndim} dimensions.")
    Y = Y.rechunk({Y.ndim - 1: -1})
    p = E.shape[0]
    out = Y.map_blocks(_tile, E, weights, sum_to_one, max_iter, tol, dtype=np.float64,
                       chunks=(*Y.chunks[:-1], (p + 2,))).compute()
    dtype = Y.dtype if Y.dtype in (np.float32, np.float64) else np.float64
    A = np.ascontiguousarray(out[..., :p]).astype(dtype, copy=False)
    n_iter = out[..., p].astype(np.int64).ravel()
    return A, n_iter, float(out[..., p + 1].sum()) if weights is None else np.nan


@validate_params({
    "max_iter": [Interval(Integral, 1, None, closed="left"), None],
    "tol": [Interval(Real, 0, 1, closed="left")],
})
def fcls(Y, E, *, max_iter=None, tol=1e-12):
    """Fully constrained least squares unmixing: non-negative, sum-to-one abundances of every pixel.

    Solves, for each pixel ``y_n``, ``min_a ||y_n - a @ E||^2`` subject to
    ``a >= 0`` and ``sum(a) = 1``, all pixels in one compiled loop.

    Parameters
    ----------
    Y : array-like of shape (n_pixels, n_bands) or (height, width, n_bands)
        The pixels, or an image cube; a Dask array is unmixed tile by tile
        (chunks over pixels or space; the band axis is made whole), so the
        cube need not fit in memory.
    E : array-like of shape (n_endmembers, n_bands)
        The endmember spectra.
    max_iter : int, optional
        Active-set changes allowed per pixel; ``3 * n_endmembers + 10`` when
        None (the method ends in at most a few changes per endmember).
    tol : float in [0, 1), default=1e-12
        A zero abundance is released when the gradient of its bound is below
        ``-tol * max_k ||E_k||^2``.

    Returns
    -------
    Result
        With fields

        - ``abundances``: ndarray of shape (n_pixels, n_endmembers) or
          (height, width, n_endmembers), the dtype of ``Y`` (a NumPy array
          also for Dask input): non-negative
          exactly, rows summing to one up to rounding;
        - ``n_iter``: the largest number of active-set changes of a pixel;
        - ``n_unconverged``: pixels stopped by ``max_iter`` before their
          optimality test held;
        - ``residual_norm``: ``||Y - A E||_F``;
        - ``converged``, ``status``, ``message``.

    Raises
    ------
    ValueError
        If ``Y`` or ``E`` is not finite, has the wrong number of dimensions,
        or their numbers of bands differ.

    Notes
    -----
    With ``G = E E^T`` (n_endmembers squared) and ``B = Y E^T`` (one BLAS
    product), each pixel is the quadratic program ``min 1/2 a^T G a -
    b^T a`` over the probability simplex, solved by the primal active-set
    method (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Alg. 16.3):
    from the best vertex, solve the equality-constrained problem on the free
    set (a bordered system with the sum row), step back to the first bound
    it crosses or, when feasible, free the bound with the most negative
    multiplier. The answer is the exact KKT point (not an approximation with
    an appended, weighted sum-to-one row as in Heinz & Chang's FCLS), reached
    in finitely many steps. ``Y`` and ``E`` are rescaled together by a power
    of two when ``E`` lies far from unit scale (the answer does not change).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import fcls
    >>> E = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])
    >>> Y = np.array([[0.3, 0.7, 0.5], [2.0, -1.0, 0.5]])
    >>> result = fcls(Y, E)
    >>> result.abundances
    array([[0.3, 0.7],
           [1. , 0. ]])
    >>> bool(result.converged)
    True
    """
    if is_dask(Y):
        E = check_endmembers(E, Y.shape[-1])
        max_iter = 3 * E.shape[0] + 10 if max_iter is None else max_iter
        A, n_iter, square = unmix_tiles(Y, E, None, sum_to_one=True, max_iter=max_iter, tol=tol)
    else:
        Y2, image = check_pixels(Y)
        E = check_endmembers(E, Y2.shape[1])
        max_iter = 3 * E.shape[0] + 10 if max_iter is None else max_iter
        A, n_iter, square = unmix_pixels(Y2, E, None, sum_to_one=True, max_iter=max_iter, tol=tol)
        A = A.reshape(*image, E.shape[0]) if image is not None else A
    n_unconverged = int(np.count_nonzero(n_iter > max_iter))
    result = Result(abundances=A, n_iter=int(n_iter.max()), n_unconverged=n_unconverged,
                    residual_norm=float(np.sqrt(square)))
    if n_unconverged:
        return end_run(result, caller="fcls", status=1,
                       message=f"{n_unconverged} pixels reached max_iter={max_iter} before their optimality test")
    return end_run(result, caller="fcls", status=0, message="every pixel met its optimality test")
