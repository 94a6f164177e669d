"""Maximin ordering and nearest-earlier-neighbour conditioning sets of Vecchia approximations."""

from numbers import Integral

import numpy as np

from ..._core.exceptions import InvalidParameterError
from ..._core.scaling import unit_exponent
from ..._core.validation import check_array
from ._ordering_kernels import earlier_neighbors_kernel, maximin_kernel

__all__ = ["maximin_ordering", "nearest_earlier_neighbors"]


def _scaled(X, length_scale, caller):
    X = np.asarray(check_array(X, "X", ndim=2, dtype="float"), dtype=np.float64)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{caller}: X must have at least one row and one column; got shape {X.shape}.")
    if length_scale is not None:
        scale = np.asarray(length_scale, dtype=np.float64)
        if scale.ndim > 1 or (scale.ndim == 1 and scale.size not in (1, X.shape[1])):
            raise ValueError(f"{caller}: length_scale must be a scalar or one value per column of X.")
        if not (np.all(np.isfinite(scale)) and np.all(scale > 0)):
            raise ValueError(f"{caller}: length_scale must be positive and finite.")
        X = X / scale
    return unit_scaled(X)


def unit_scaled(X):
    """``(X 2**e, e)``: an exact power-of-two rescaling so that squared distances neither overflow nor underflow."""
    exponent = unit_exponent(X, margin=4)
    return np.ascontiguousarray(np.ldexp(X, exponent) if exponent else X), exponent


def maximin_ordering(X, *, length_scale=None):
    """Maximin ordering of points: each next point is the one farthest from all the points before it.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The points.
    length_scale : float or array-like of shape (n_features,), optional
        Distances are measured on ``X / length_scale`` (the kernel's length scales, so that the ordering follows
        the correlation, not the units).

    Returns
    -------
    order : ndarray of int64, shape (n_samples,)
        ``X[order]`` is the maximin ordering.
    distances : ndarray of shape (n_samples,)
        ``distances[j]``: the scaled distance of ``X[order[j]]`` to ``X[order[:j]]``; for the first point, its
        largest distance to any point (so that the sequence is non-increasing and finite).

    Raises
    ------
    ValueError
        NaN or infinite ``X``, an empty ``X``, a non-positive ``length_scale`` or one of the wrong size.
    TypeError
        Complex or non-numeric ``X``.

    Notes
    -----
    The first point is the one nearest the centroid; ties go to the lowest index. The ordering is exact (greedy
    farthest-point selection), computed in ``O(n log n)`` for data of bounded dimension with the algorithm of
    Schäfer, Katzfuss and Owhadi [1]_: after each pick only the points within the picked distance can get closer
    to the picked set, so one KD-tree ball query per pick keeps every distance current, and an indexed max-heap gives
    the next pick. Duplicated points come last among their copies with distance 0.

    References
    ----------
    .. [1] F. Schäfer, M. Katzfuss and H. Owhadi, "Sparse Cholesky factorization by Kullback–Leibler
       minimization", SIAM J. Sci. Comput. 43(3), 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.gaussian_process import maximin_ordering
    >>> X = np.array([[0.0], [1.2], [2.0], [3.1], [4.0]])
    >>> order, distances = maximin_ordering(X)
    >>> order.tolist(), distances.round(2).tolist()
    ([2, 0, 4, 3, 1], [2.0, 2.0, 2.0, 0.9, 0.8])
    """
    X, exponent = _scaled(X, length_scale, "maximin_ordering")
    order, distances = maximin_kernel(X)
    return order, np.ldexp(distances, -exponent)


def nearest_earlier_neighbors(X, order, n_neighbors, *, length_scale=None):
    """The ``n_neighbors`` nearest points that come earlier in ``order``, for every point.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The points.
    order : array-like of int, shape (n_samples,)
        A permutation of ``range(n_samples)`` (e.g. from :func:`maximin_ordering`).
    n_neighbors : int
        Size of the conditioning sets; the ``j``-th point of the order has ``min(j, n_neighbors)``.
    length_scale : float or array-like of shape (n_features,), optional
        Distances are measured on ``X / length_scale``.

    Returns
    -------
    ndarray of int64, shape (n_samples, n_neighbors)
        ``neighbors[i]``: indices (into ``X``) of the nearest points before ``i`` in ``order``, nearest first,
        padded with ``-1``.

    Raises
    ------
    ValueError
        ``order`` not a permutation, ``n_neighbors < 1``, invalid ``X`` or ``length_scale``.

    Notes
    -----
    A KD-tree search that skips later points and prunes subtrees holding no earlier point: ``O(n k log n)``
    work for bounded dimension, never the ``n²`` of a brute-force search (which is the test oracle).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.gaussian_process import nearest_earlier_neighbors
    >>> X = np.array([[0.0], [1.2], [2.0], [3.1], [4.0]])
    >>> nearest_earlier_neighbors(X, [2, 0, 4, 3, 1], 2).tolist()
    [[2, -1], [2, 0], [-1, -1], [4, 2], [2, 0]]
    """
    X, _ = _scaled(X, length_scale, "nearest_earlier_neighbors")
    n = X.shape[0]
    if not isinstance(n_neighbors, Integral) or isinstance(n_neighbors, bool) or n_neighbors < 1:
        raise InvalidParameterError(f"n_neighbors must be an integer >= 1; got {n_neighbors!r}.")
    order = np.asarray(order)
    if order.shape != (n,) or order.dtype.kind not in "iu" or not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(f"order must be a permutation of range({n}) (one index per row of X).")
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    neighbors, _ = earlier_neighbors_kernel(X, rank, X, rank, int(n_neighbors), np.full(n, np.inf))
    return neighbors
