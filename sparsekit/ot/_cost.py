"""Cost matrices between point clouds."""

from numbers import Real

import numpy as np

from .._core.params import Interval, Options, check_params
from .._core.validation import check_array
from ._problem import array_namespace

_METRICS = ("sqeuclidean", "euclidean", "cityblock", "minkowski", "chebyshev", "cosine")
# Metrics computed with namespace operations (any backend); the others go through SciPy on the host.
_NAMESPACE_METRICS = ("sqeuclidean", "euclidean")


def cost_matrix(x, y=None, *, metric="sqeuclidean", p=2.0):
    """Pairwise cost matrix between two point clouds.

    Parameters
    ----------
    x : array-like of shape (n, d)
        Source points (a 1-D array is read as ``n`` points in dimension 1).
    y : array-like of shape (m, d), optional
        Target points; ``x`` itself when omitted.
    metric : {"sqeuclidean", "euclidean", "cityblock", "minkowski", "chebyshev", "cosine"}, default="sqeuclidean"
        Ground cost. ``"sqeuclidean"`` and ``"euclidean"`` stay in the
        namespace (and on the device) of ``x``; the others use
        :func:`scipy.spatial.distance.cdist` and need NumPy input.
    p : float, default=2.0
        Order of the ``"minkowski"`` metric.

    Returns
    -------
    array of shape (n, m)
        ``C[i, j] = metric(x[i], y[j])`` (float64, or float32 for float32
        input), never negative (rounding of the expanded square is clipped).

    Raises
    ------
    ValueError
        Points with NaN or infinity, different dimensions, a metric that is
        not available for the input's namespace, or points so large that
        their costs overflow.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.ot import cost_matrix
    >>> cost_matrix(np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 1.0]]))
    array([[1.],
           [2.]])
    >>> cost_matrix(np.array([0.0, 3.0]), metric="euclidean")
    array([[0., 3.],
           [3., 0.]])
    """
    check_params(
        {"metric": metric, "p": p},
        {"metric": [Options(set(_METRICS))], "p": [Interval(Real, 1, None, closed="left")]},
        caller="cost_matrix",
    )
    x = _points(x, "x")
    y = x if y is None else _points(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension; got {x.shape[1]} and {y.shape[1]}.")
    xp = array_namespace(x)
    if metric in _NAMESPACE_METRICS:
        squares = (
            xp.sum(x * x, axis=1)[:, None] + xp.sum(y * y, axis=1)[None, :] - 2.0 * (x @ y.T)
        )
        squares = xp.maximum(squares, xp.zeros_like(squares)) if xp is not np else np.maximum(squares, 0.0)
        return _finite(squares if metric == "sqeuclidean" else xp.sqrt(squares), xp)
    if xp is not np:
        raise ValueError(
            f"metric={metric!r} needs NumPy input; for {getattr(xp, '__name__', xp)} arrays use one of "
            f"{list(_NAMESPACE_METRICS)}."
        )
    from scipy.spatial.distance import cdist

    extra = {"p": p} if metric == "minkowski" else {}
    return _finite(cdist(x, y, metric=metric, **extra).astype(x.dtype, copy=False), np)


def _finite(costs, xp):
    """``costs``, unless the points are so far apart that their costs overflow (squares of 1e155 already do)."""
    if not bool(xp.all(xp.isfinite(costs))):
        raise ValueError(
            "x and y are too large in magnitude: their costs overflow the floating-point range; rescale x and y."
        )
    return costs


def _points(x, name):
    x = check_array(x, name, ndim=(1, 2))
    if x.ndim == 1:
        xp = array_namespace(x)
        x = xp.reshape(x, (-1, 1))
    return x
