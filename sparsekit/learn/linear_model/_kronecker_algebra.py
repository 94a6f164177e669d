"""Kronecker products without forming them: matrix-vector products and the nearest Kronecker factorisation.

Vectors are the C-order (last index fastest) flattening of tensors of shape
``(columns_1, ..., columns_m)``, the convention of :func:`numpy.kron`.
"""

import math
from numbers import Real

import numpy as np
from scipy import linalg

from ..._core.params import Interval, validate_params
from ..._core.validation import check_array, check_vector

__all__ = ["KRONECKER_RTOL", "kronecker_matvec", "nearest_kronecker_factors"]

#: Relative Frobenius residual above which a full matrix is not taken as a Kronecker product.
KRONECKER_RTOL = 1e-8



def _mode_apply(tensor, matrices):
    """Apply ``matrices[i]`` along axis ``i`` of ``tensor``: ``(M_1 kron ... kron M_m) vec(tensor)``."""
    for axis, M in enumerate(matrices):
        tensor = np.moveaxis(np.tensordot(M, tensor, axes=([1], [axis])), 0, axis)
    return tensor


def _outer(vectors):
    """``v_1 kron ... kron v_m`` as a tensor of shape ``(len(v_1), ..., len(v_m))``."""
    out = np.ones(())
    for v in vectors:
        out = np.multiply.outer(out, v)
    return out


def kronecker_matvec(factors, x):
    """Multiply the Kronecker product of ``factors`` by ``x`` without forming it.

    Parameters
    ----------
    factors : sequence of ndarray
        The factors ``A_i`` of shape ``(rows_i, columns_i)``.
    x : array-like of shape (prod(columns),)
        Vector (C-order flattening of a ``(columns_1, ..., columns_m)`` tensor).

    Returns
    -------
    ndarray of shape (prod(rows),)
        The product.

    Raises
    ------
    ValueError
        If ``x`` has the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import kronecker_matvec
    >>> rng = np.random.default_rng(0)
    >>> A, B, x = rng.standard_normal((3, 4)), rng.standard_normal((2, 5)), rng.standard_normal(20)
    >>> bool(np.allclose(kronecker_matvec([A, B], x), np.kron(A, B) @ x))
    True
    """
    factors = [check_array(A, f"factors[{i}]", ndim=2) for i, A in enumerate(factors)]
    columns = [A.shape[1] for A in factors]
    x = check_vector(x, "x", size=math.prod(columns))
    return _mode_apply(x.reshape(columns), factors).ravel()


def _check_factor_shapes(factor_shapes):
    """Validate ``factor_shapes``: a non-empty sequence of ``(rows, columns)`` pairs of positive ints."""
    try:
        shapes = [tuple(int(v) for v in s) for s in factor_shapes]
        valid = bool(shapes) and all(
            len(s) == 2 and min(s) >= 1 and all(float(v) == int(v) for v in orig)
            for s, orig in zip(shapes, factor_shapes)
        )
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"factor_shapes must be a non-empty sequence of (rows, columns) pairs of positive ints; got {factor_shapes!r}."
        )
    return shapes


@validate_params({"rtol": [Interval(Real, 0, None, closed="left")]})
def nearest_kronecker_factors(X, factor_shapes, *, rtol=KRONECKER_RTOL):
    """Recover the factors of an exact Kronecker product ``X`` (Van Loan & Pitsianis).

    Splits off one factor at a time: the rearrangement of ``X`` that turns
    ``A kron B`` into ``vec(A) vec(B)^T`` is rank one, and its leading
    singular pair gives the two factors (up to a scale shared between them,
    which does not change the product).

    Parameters
    ----------
    X : array-like of shape (prod(rows), prod(columns))
        The full matrix.
    factor_shapes : sequence of (int, int)
        ``(rows_i, columns_i)`` of each factor.
    rtol : float, default=1e-8
        Largest relative Frobenius residual ``||X - A_1 kron ... kron A_m|| /
        ||X||`` accepted.

    Returns
    -------
    list of ndarray
        The factors.

    Raises
    ------
    ValueError
        If the shapes do not multiply to ``X.shape`` or ``X`` is not a
        Kronecker product of such factors (residual above ``rtol``).
    TypeError
        If ``X`` is complex or not numeric.
    InvalidParameterError
        If ``rtol`` is negative, NaN or infinite.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import nearest_kronecker_factors
    >>> rng = np.random.default_rng(0)
    >>> A, B = rng.standard_normal((3, 4)), rng.standard_normal((2, 5))
    >>> F = nearest_kronecker_factors(np.kron(A, B), [(3, 4), (2, 5)])
    >>> bool(np.allclose(np.kron(*F), np.kron(A, B)))
    True
    """
    X = check_array(X, "X", ndim=2)
    shapes = _check_factor_shapes(factor_shapes)
    rows, columns = math.prod(s[0] for s in shapes), math.prod(s[1] for s in shapes)
    if X.shape != (rows, columns):
        raise ValueError(
            f"factor_shapes {shapes} give a {rows} x {columns} Kronecker product but X has shape {X.shape}."
        )
    # Factor X / 2**e with max|X| 2**-e in [0.5, 1) (squares of X ~ 1e300 overflow), then scale the last
    # factor back: a power of two, so exact.
    peak = float(np.max(np.abs(X)))
    exponent = int(np.frexp(peak)[1]) if peak > 0 else 0
    X = np.ldexp(X, -exponent)
    total = float(np.sum(X**2))
    factors, rest, lost = [], X, 0.0
    for i, (n_i, d_i) in enumerate(shapes[:-1]):
        n_rest, d_rest = rest.shape[0] // n_i, rest.shape[1] // d_i
        R = rest.reshape(n_i, n_rest, d_i, d_rest).transpose(0, 2, 1, 3).reshape(n_i * d_i, n_rest * d_rest)
        values, vectors = linalg.eigh(R @ R.T, subset_by_index=[n_i * d_i - 1, n_i * d_i - 1])
        top = math.sqrt(max(float(values[0]), 0.0))
        u = vectors[:, 0]
        if top == 0.0:
            raise ValueError("X must not be all zeros to be split into Kronecker factors.")
        v = R.T @ u / top
        lost += float(np.sum((R - np.outer(top * u, v)) ** 2))
        factors.append(math.sqrt(top) * u.reshape(n_i, d_i))
        rest = (math.sqrt(top) * v).reshape(n_rest, d_rest)
    factors.append(np.ldexp(rest, exponent))
    if total == 0.0 or lost > (rtol**2) * total:
        raise ValueError(
            f"X is not a Kronecker product of factors with shapes {shapes}: relative residual "
            f"{math.sqrt(lost / total) if total else float('inf'):.2e} > rtol={rtol:g}."
        )
    return factors
