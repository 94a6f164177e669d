"""Exact power-of-two rescaling: one home for solving data far from unit scale.

Many computations square their data (norms, Gram matrices, residual tests), so
entries near 1e±160 underflow or overflow although the answer is
representable. A scale-invariant computation runs on ``X 2**e`` instead and
scales its answer back: multiplying by a power of two is exact in binary
floating point, so the result does not depend on the rescaling.
"""

import math

import numpy as np
from scipy import sparse

__all__ = ["times_power_of_two", "unit_exponent"]


def unit_exponent(values, *, dtype=None, margin=3):
    """The ``e`` with ``max|values| 2**e`` in [1/2, 1) when ``values`` lie far from unit scale, else 0.

    Parameters
    ----------
    values : ndarray or scipy.sparse matrix
        The data (for a sparse matrix, its stored values).
    dtype : dtype, optional
        The precision whose range counts (default: that of ``values``).
    margin : int, default=3
        ``values`` count as far from unit scale when ``max|values|`` lies
        beyond ``2**±(maxexp // margin)``: 3 keeps sums of squares of many
        such numbers in range, 4 also their products with other squares.

    Returns
    -------
    int
        The exponent; 0 for data within range, empty, all zero or non-finite
        data (which the callers' own checks report), so ordinary input is never
        copied.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit._core.scaling import unit_exponent
    >>> unit_exponent(np.array([3.0, -1e-200])), unit_exponent(np.array([1e-200]))
    (0, 664)
    """
    values = values.data if sparse.issparse(values) else np.asarray(values)
    if values.size == 0:
        return 0
    if np.iscomplexobj(values):
        peak = float(np.max(np.abs(values)))
    else:  # max and -min rather than max(abs): no temporary copy of a large array
        peak = max(float(np.max(values)), -float(np.min(values)))
    if peak == 0 or not math.isfinite(peak):
        return 0
    exponent = math.frexp(peak)[1]
    limit = np.finfo(values.dtype if dtype is None else dtype).maxexp // margin
    return -exponent if abs(exponent) > limit else 0


def times_power_of_two(X, exponent, *, dtype=None):
    """``X * 2**exponent`` exactly: a new dense array or sparse matrix, real or complex.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix
        The data (not modified).
    exponent : int
        The power of two.
    dtype : dtype, optional
        The result's dtype (default: that of ``X``), e.g. float64 for float32
        data whose rescaling factor lies beyond float32's range.

    Returns
    -------
    ndarray or scipy.sparse matrix
        The product. Overflow gives infinity and underflow zero, as the
        product would: the caller's answer is then out of its precision's
        range, which its end of run reports.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit._core.scaling import times_power_of_two
    >>> times_power_of_two(np.array([1.5, -3.0]), 2)
    array([  6., -12.])
    """
    if sparse.issparse(X):
        out = X.astype(X.dtype if dtype is None else dtype)  # a copy, whatever the dtype
        out.data = times_power_of_two(out.data, exponent)
        return out
    X = np.asarray(X)
    target = X.dtype if dtype is None else np.dtype(dtype)
    with np.errstate(over="ignore", under="ignore"):
        if np.iscomplexobj(X):
            out = np.empty(X.shape, dtype=target)
            out.real = np.ldexp(X.real, exponent)
            out.imag = np.ldexp(X.imag, exponent)
            return out
        return np.ldexp(X.astype(target, copy=False), exponent).astype(target, copy=False)
