"""Validation of an OT problem ``(a, b, M)`` shared by every solver of :mod:`sparsekit.ot`.

A problem is checked once, up front: marginals are non-negative with equal
totals, the cost is finite with a matching shape. Points of zero mass are
removed (their plan rows or columns are zero) and put back by :func:`expand`.

Masses are validated on the host (they are vectors); the cost stays in its
namespace and on its device.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np

from .._core.backend import device_of, get_namespace, is_numpy_namespace, numpy_dtype, to_numpy
from .._core.validation import check_array, check_probability_vector

# Totals of a and b that differ by less than this (relative) are rounding:
# b is rescaled to a's total. A larger gap is a user error.
MASS_RTOL = 1e-6
# Total masses outside this range are refused: products of masses (the quadratic solvers' dual objective,
# kernel-space sums) would over- or underflow. Tolerances are relative to the total, so any mass inside works.
MASS_RANGE = (1e-100, 1e100)
# Largest max|M| / reg (or / gamma) accepted: beyond it the exponents of an entropic plan (the dual
# variables of a quadratic one) are sums of terms this large whose rounding exceeds 1e-3, so the plan
# has no correct digit left and the iterations cannot make progress.
MAX_COST_OVER_REG = 1e-3 / np.finfo(np.float64).eps


def array_namespace(x):
    """Array-API namespace of ``x``: NumPy itself, else ``array_api_compat``'s wrapper."""
    xp = get_namespace(x)
    if xp is np or is_numpy_namespace(xp):
        return np
    import array_api_compat

    return array_api_compat.array_namespace(x)


def to_device(host, like):
    """Move a host array into the namespace and onto the device of ``like``."""
    xp = array_namespace(like)
    if xp is np:
        return np.asarray(host)
    return xp.asarray(host, device=device_of(like))


@dataclass
class OTProblem:
    """A validated OT problem restricted to the points of positive mass.

    Attributes
    ----------
    a, b : ndarray
        Positive masses of the kept points, on the host, float64 (``b`` is
        2-D with one column per histogram when batched).
    M : array
        Cost restricted to the kept points, in its namespace.
    xp : module
        Array-API namespace of ``M`` (NumPy itself for NumPy input).
    shape : tuple of int
        Shape ``(n, m)`` of the full problem.
    rows, cols : ndarray of int or None
        Indices of the kept points in the full problem, None if all are kept.
    M_full : array
        The whole validated cost (for extending potentials to zero-mass points).
    """

    a: np.ndarray
    b: np.ndarray
    M: object
    xp: object
    shape: tuple
    rows: object
    cols: object
    M_full: object

    @property
    def batched(self):
        """Whether ``b`` holds several histograms (one per column)."""
        return self.b.ndim == 2

    @property
    def dtype(self):
        """NumPy dtype of the cost (the working precision), whatever its namespace."""
        return numpy_dtype(self.M.dtype)

    @property
    def mass(self):
        """Total mass of ``a``."""
        return float(self.a.sum())

    @functools.cached_property
    def cost_range(self):
        """``(min, max)`` of the restricted cost ``M``, as floats (two passes over ``M``, taken once)."""
        return float(self.xp.min(self.M)), float(self.xp.max(self.M))

    @functools.cached_property
    def full_cost_range(self):
        """``(min, max)`` of the whole cost ``M_full`` (the restricted one's when every point is kept)."""
        if self.M_full is self.M:
            return self.cost_range
        return float(self.xp.min(self.M_full)), float(self.xp.max(self.M_full))


def check_ot_problem(a, b, M, *, dtype=None, allow_batch=False):
    """Validate ``(a, b, M)`` and return an :class:`OTProblem`.

    Parameters
    ----------
    a, b : array-like or None
        Source and target masses; None means uniform. With ``allow_batch``,
        ``b`` may be 2-D of shape ``(m, k)``.
    M : array-like of shape (n, m)
        Cost matrix.
    dtype : {None, "float32", "float64"}
        Working precision of ``M`` (None keeps the input's float dtype).
    allow_batch : bool
        Whether several target histograms are accepted.

    Returns
    -------
    OTProblem

    Raises
    ------
    ValueError
        An empty ``M``, ``a`` or ``b`` (only None means uniform); a scalar
        mass; NaN or infinity in ``M``; negative masses or a total that is
        zero or not finite; ``M`` whose shape is not ``(len(a), len(b))``;
        totals of ``a`` and ``b`` that differ by more than ``1e-6`` relative
        (closer totals are rounding: ``b`` is rescaled to ``a``'s).
    TypeError
        Complex (or non-numeric) masses or cost.
    """
    M = check_array(M, "M", ndim=2)
    xp = array_namespace(M)
    if dtype is not None:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            raise TypeError(f"dtype must be None, 'float32' or 'float64'; got {dtype!r}.") from None
        if name not in ("float32", "float64"):
            raise ValueError(f"dtype must be float32 or float64; got {name}.")
        if numpy_dtype(M.dtype).name != name:
            M = M.astype(name) if xp is np else xp.astype(M, getattr(xp, name))
    n, m = M.shape
    a = _host_masses(a, "a", n, M)
    b = _host_masses(b, "b", m, M, allow_batch=allow_batch)
    if (a.shape[0], b.shape[0]) != (n, m):
        raise ValueError(
            f"M's shape {(n, m)} does not match (len(a), len(b)) = {(a.shape[0], b.shape[0])}"
            + (": is M transposed?" if (a.shape[0], b.shape[0]) == (m, n) else ".")
        )
    a = _checked_masses(a, "a")
    if b.ndim == 2:
        b = np.column_stack([_checked_masses(b[:, k], f"b[:, {k}]") for k in range(b.shape[1])])
    else:
        b = _checked_masses(b, "b")
    totals = b.sum(axis=0).reshape(-1)
    mass = a.sum()
    gap = np.abs(totals - mass) > MASS_RTOL * np.maximum(totals, mass)
    if gap.any():
        k = int(np.flatnonzero(gap)[0])
        name = "b" if b.ndim == 1 else f"b[:, {k}]"
        raise ValueError(
            f"a and {name} must have the same total mass; got {float(mass):g} and {float(totals[k]):g}. "
            "Normalise them (unbalanced OT is not supported)."
        )
    b = b * (mass / totals) if b.ndim == 2 else b * (mass / totals[0])
    rows = _positive_index(a)
    cols = _positive_index(b if b.ndim == 1 else b.sum(axis=1))
    M_kept = M
    if rows is not None:
        a = a[rows]
        M_kept = _take(xp, M_kept, rows, 0)
    if cols is not None:
        b = b[cols]
        M_kept = _take(xp, M_kept, cols, 1)
    return OTProblem(a=a, b=b, M=M_kept, xp=xp, shape=(n, m), rows=rows, cols=cols, M_full=M)


def _host_masses(v, name, size, M, allow_batch=False):
    """Masses as a contiguous float64 host array (uniform for None); emptiness and dtype checked here."""
    if v is None:
        return np.full(size, 1.0 / size)
    if np.ndim(v) == 0:
        raise ValueError(f"{name} must be a 1-D array of masses (or None for uniform); got a scalar.")
    get_namespace(M=M, **{name: v})
    v = to_numpy(v) if hasattr(v, "shape") else v
    # dtype="float" refuses complex masses (an explicit float64 would drop the imaginary part with a warning)
    v = check_array(v, name, ndim=(1, 2) if allow_batch else 1)
    return np.ascontiguousarray(v, dtype=np.float64)


def _checked_masses(v, name):
    """Non-negative masses with a total inside :data:`MASS_RANGE`."""
    with np.errstate(over="ignore"):  # an overflowing total is refused below, by name
        v = check_probability_vector(v, name, dtype="float")
        total = float(v.sum())
    low, high = MASS_RANGE
    if not low <= total <= high:
        raise ValueError(
            f"{name} must have a total mass between {low:g} and {high:g}; its entries sum to {total:g}. "
            "Rescale the masses (the plan scales with them)."
        )
    return v


def power_of_two(x):
    """The power of two nearest to ``x > 0``: dividing by it is exact, and problems near unit scale keep it."""
    return math.ldexp(1.0, round(math.log2(x)))


def check_cost_scale(problem, reg, name, per_mass=False):
    """Refuse a regularisation too small for the cost, before any iteration.

    Parameters
    ----------
    problem : OTProblem
        The validated problem.
    reg : float
        The regularisation (``reg`` of the entropic solvers, ``gamma`` of the quadratic ones).
    name : str
        Its name, for the message.
    per_mass : bool, default=False
        Compare the cost with ``reg`` times the total mass (quadratic
        regularisation, whose dual slack is ``gamma`` times the plan).

    Raises
    ------
    ValueError
        When ``max|M| / reg`` (``/ total mass`` with ``per_mass``) overflows or
        exceeds :data:`MAX_COST_OVER_REG`.
    """
    smallest, largest = problem.full_cost_range
    largest = max(largest, -smallest)  # max|M| without an n x m temporary
    ratio = largest / (float(reg) * (problem.mass if per_mass else 1.0))
    if not ratio <= MAX_COST_OVER_REG:
        raise ValueError(
            f"{name}={float(reg):g} is too small for the cost: max|M| / {name}"
            + (" / total mass" if per_mass else "")
            + f" = {ratio:g} exceeds "
            f"{MAX_COST_OVER_REG:.3g}, where no digit of the plan is left. Raise {name} or rescale M."
        )


def _positive_index(v):
    """Indices of positive entries, or None when all are positive."""
    keep = np.flatnonzero(v > 0)
    return None if keep.size == v.shape[0] else keep


def _take(xp, x, index, axis):
    if xp is np:
        return np.take(x, index, axis=axis)
    return xp.take(x, to_device(index, x), axis=axis)


def expand(values, index, size, fill):
    """Put values of the kept points back at their place in a vector (or rows of a matrix) of ``size``.

    Parameters
    ----------
    values : array
        Values of the kept points (first axis).
    index : ndarray of int or None
        Their indices in the full problem; None means all points were kept.
    size : int
        Full length.
    fill : float
        Value for the dropped points.

    Returns
    -------
    array
        ``values`` placed in an array of length ``size`` along the first axis,
        in the namespace and on the device of ``values``.
    """
    if index is None:
        return values
    xp = array_namespace(values)
    if xp is np:
        out = np.full((size,) + values.shape[1:], fill, dtype=values.dtype)
        out[index] = values
        return out
    # The array API has no scatter: gather from the values followed by one fill row.
    source = np.full(size, len(index))
    source[index] = np.arange(len(index))
    padding = xp.full((1,) + tuple(values.shape[1:]), fill, dtype=values.dtype, device=device_of(values))
    return xp.take(xp.concat([values, padding], axis=0), to_device(source, values), axis=0)


def single_histogram(problem, k):
    """The problem of histogram ``k`` of a batched problem, restricted to that histogram's support.

    Parameters
    ----------
    problem : OTProblem
        A batched problem (``b`` is 2-D).
    k : int
        Histogram index.

    Returns
    -------
    OTProblem
        The same ``a`` and rows, ``b = problem.b[:, k]`` without its zeros.
    """
    b = problem.b[:, k]
    keep = np.flatnonzero(b > 0)
    if keep.size == b.shape[0]:
        return OTProblem(
            a=problem.a, b=b, M=problem.M, xp=problem.xp, shape=problem.shape,
            rows=problem.rows, cols=problem.cols, M_full=problem.M_full,
        )
    cols = keep if problem.cols is None else problem.cols[keep]
    return OTProblem(
        a=problem.a, b=b[keep], M=_take(problem.xp, problem.M, keep, 1), xp=problem.xp, shape=problem.shape,
        rows=problem.rows, cols=cols, M_full=problem.M_full,
    )
