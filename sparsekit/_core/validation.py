"""Input validation of array arguments.

Every public function and estimator validates its inputs here (arrays) and in
:mod:`sparsekit._core.params` (declared parameter constraints), before any
heavy work, so that bad input gets a :class:`ValueError` or :class:`TypeError`
that names the argument and says what was expected.
"""

import math
from numbers import Integral

import numpy as np
from scipy import sparse

from .backend import get_namespace, is_numpy_namespace, numpy_dtype

__all__ = [
    "check_array",
    "check_vector",
    "check_square",
    "check_shape",
    "check_probability_vector",
    "check_nonzero_diagonal",
    "check_callable",
]


# --------------------------------------------------------------------------- arrays
_FLOAT_DTYPES = ("float32", "float64")


def _dtype_name(dtype):
    return getattr(dtype, "name", str(dtype))


def _resolve_dtype(x_dtype, dtype, name):
    """The dtype an input of ``x_dtype`` is converted to under the ``dtype`` policy."""
    try:
        kind = np.dtype(x_dtype).kind
    except TypeError:
        kind = "?"
    if kind not in "biufc":
        raise TypeError(f"{name} must hold numbers; got dtype {_dtype_name(x_dtype)}.")
    if dtype is None or dtype == "numeric":
        return None
    if dtype == "float":
        if kind == "c":
            raise TypeError(f"{name} must be real; got complex dtype {_dtype_name(x_dtype)}.")
        return None if _dtype_name(x_dtype) in _FLOAT_DTYPES else np.float64
    if dtype == "float-or-complex":
        if _dtype_name(x_dtype) in _FLOAT_DTYPES + ("complex64", "complex128"):
            return None
        return np.complex128 if kind == "c" else np.float64
    target = np.dtype(dtype)
    if kind == "c" and target.kind != "c":  # NumPy would drop the imaginary part with only a ComplexWarning
        raise TypeError(f"{name} must be real; got complex dtype {_dtype_name(x_dtype)}.")
    return target


def check_array(
    x,
    name,
    *,
    ndim=None,
    dtype="float",
    accept_sparse=False,
    allow_nan=False,
    allow_empty=False,
    copy=False,
):
    """Validate an array argument and convert it to a canonical form.

    NumPy input (and anything array-like, e.g. lists) becomes an ndarray;
    CuPy and other array-API arrays stay in their namespace; SciPy sparse
    input is accepted only when ``accept_sparse`` names formats, converted once
    to the first of them if it is in another, and never densified.

    Parameters
    ----------
    x : array-like or sparse array
        The argument to check.
    name : str
        The argument's name, used in error messages.
    ndim : int or tuple of int, optional
        Accepted number(s) of dimensions.
    dtype : {"float", "float-or-complex", "numeric"}, dtype or None, default="float"
        ``"float"`` keeps float32/float64 and turns integers and booleans
        into float64 (complex is a ``TypeError``); ``"float-or-complex"``
        also keeps complex; ``"numeric"`` or ``None`` keep any numeric dtype;
        a dtype casts to it.
    accept_sparse : bool, str or sequence of str, default=False
        ``False`` rejects sparse input with a ``TypeError``; a format name
        (``"csr"``, ``"csc"``, ``"coo"``, ...) or list of names accepts them;
        ``True`` accepts any format as is.
    allow_nan : bool, default=False
        Whether NaN and infinity are allowed.
    allow_empty : bool, default=False
        Whether an array with no elements is allowed.
    copy : bool, default=False
        Whether to return a copy even when no conversion was needed.

    Returns
    -------
    array
        The validated array.

    Raises
    ------
    TypeError
        For sparse input where dense is needed, an unsupported sparse format,
        or non-numeric data.
    ValueError
        For the wrong number of dimensions, empty input, or NaN/inf.

    Examples
    --------
    >>> from sparsekit.utils import check_array
    >>> check_array([[1, 2], [3, 4]], "A", ndim=2)
    array([[1., 2.],
           [3., 4.]])
    >>> check_array([1.0, float("nan")], "b")
    Traceback (most recent call last):
    ...
    ValueError: b must not contain NaN or infinity.
    """
    if x is None:
        raise TypeError(f"{name} must be an array; got None.")
    if sparse.issparse(x):
        if accept_sparse is False or accept_sparse is None:
            raise TypeError(f"{name} must be a dense array; got a sparse {type(x).__name__}. Use .toarray() if intended.")
        formats = (accept_sparse,) if isinstance(accept_sparse, str) else accept_sparse
        if formats is not True and x.format not in formats:
            x = x.asformat(formats[0])
            copy = False
        target = _resolve_dtype(x.dtype, dtype, name)
        if target is not None and x.dtype != target:
            x = x.astype(target)
            copy = False
        if copy:
            x = x.copy()
        _check_ndim(x.ndim, x.shape, ndim, name)
        if not allow_empty and (0 in x.shape):
            raise ValueError(f"{name} must not be empty; got shape {x.shape}.")
        if not allow_nan and x.nnz and not np.isfinite(x.data).all():
            raise ValueError(f"{name} must not contain NaN or infinity.")
        return x

    xp = get_namespace(x)
    if is_numpy_namespace(xp) or xp is np:
        if isinstance(x, np.ndarray) and x.dtype == object:
            raise TypeError(f"{name} must hold numbers; got dtype object.")
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
        target = _resolve_dtype(arr.dtype, dtype, name)
        if target is not None and arr.dtype != target:
            arr = arr.astype(target)
        elif copy:
            arr = arr.copy()
    else:
        arr = x
        target = _resolve_dtype(numpy_dtype(arr.dtype), dtype, name)
        if target is not None:
            arr = xp.astype(arr, getattr(xp, np.dtype(target).name))
        elif copy:
            arr = xp.asarray(arr, copy=True)
    _check_ndim(arr.ndim, arr.shape, ndim, name)
    size = math.prod(arr.shape)
    if not allow_empty and size == 0:
        raise ValueError(f"{name} must not be empty; got shape {tuple(arr.shape)}.")
    if not allow_nan and size and not bool(xp.all(xp.isfinite(arr))):
        raise ValueError(f"{name} must not contain NaN or infinity.")
    return arr


def _check_ndim(actual, shape, ndim, name):
    if ndim is None:
        return
    accepted = (ndim,) if isinstance(ndim, Integral) else tuple(ndim)
    if actual not in accepted:
        wanted = " or ".join(f"{d}-D" for d in accepted)
        raise ValueError(f"{name} must be {wanted}; got a {actual}-D array of shape {tuple(shape)}.")


def check_vector(x, name, *, size=None, **kwargs):
    """Validate a 1-D array argument, optionally of a given length.

    Parameters
    ----------
    x : array-like
        The argument.
    name : str
        The argument's name, used in error messages.
    size : int, optional
        Required length.
    **kwargs
        Passed on to :func:`check_array`.

    Returns
    -------
    array
        The validated vector.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D or has the wrong length (or fails :func:`check_array`).

    Examples
    --------
    >>> from sparsekit.utils import check_vector
    >>> check_vector([1, 2, 3], "b", size=2)
    Traceback (most recent call last):
    ...
    ValueError: b must have length 2; got 3.
    """
    x = check_array(x, name, ndim=1, **kwargs)
    if size is not None and x.shape[0] != size:
        raise ValueError(f"{name} must have length {size}; got {x.shape[0]}.")
    return x


def check_square(A, name):
    """Raise unless ``A`` is a 2-D square matrix (dense, sparse or LinearOperator).

    Parameters
    ----------
    A : array, sparse array or LinearOperator
        The matrix.
    name : str
        The argument's name, used in error messages.

    Returns
    -------
    int
        The order ``n`` of the matrix.

    Raises
    ------
    ValueError
        If ``A`` is not 2-D or not square.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.utils import check_square
    >>> check_square(np.ones((3, 2)), "A")
    Traceback (most recent call last):
    ...
    ValueError: A must be a square matrix; got shape (3, 2).
    """
    shape = tuple(getattr(A, "shape", ()))
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"{name} must be a square matrix; got shape {shape}.")
    return shape[0]


def check_shape(x, name, shape):
    """Raise unless ``x.shape`` matches ``shape`` (``None`` entries match anything).

    Parameters
    ----------
    x : array
        The argument.
    name : str
        The argument's name, used in error messages.
    shape : tuple of int or None
        Expected shape.

    Raises
    ------
    ValueError
        On a mismatch in rank or in any fixed dimension.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.utils import check_shape
    >>> check_shape(np.ones((4, 3)), "M", (4, None))
    >>> check_shape(np.ones((4, 3)), "M", (5, 3))
    Traceback (most recent call last):
    ...
    ValueError: M must have shape (5, 3); got (4, 3).
    """
    actual = tuple(x.shape)
    if len(actual) != len(shape) or any(s is not None and s != a for s, a in zip(shape, actual)):
        wanted = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {wanted}; got {actual}.")


def check_probability_vector(a, name, *, size=None, dtype="float"):
    """Validate a vector of non-negative masses with a positive total.

    The masses need not sum to one (OT solvers compare the totals of the two
    marginals themselves); NaN, infinity, negative entries and an all-zero
    vector are rejected.

    Parameters
    ----------
    a : array-like
        Masses.
    name : str
        The argument's name, used in error messages.
    size : int, optional
        Required length.
    dtype : see :func:`check_array`
        Dtype policy.

    Returns
    -------
    array
        The validated vector.

    Raises
    ------
    ValueError
        If an entry is negative, NaN or infinite, or the total is zero.

    Examples
    --------
    >>> from sparsekit.utils import check_probability_vector
    >>> check_probability_vector([0.5, 0.5], "a")
    array([0.5, 0.5])
    >>> check_probability_vector([0.5, -0.1], "a")
    Traceback (most recent call last):
    ...
    ValueError: a must have non-negative entries; got min -0.1.
    """
    a = check_vector(a, name, size=size, dtype=dtype)
    xp = get_namespace(a)
    lowest = float(xp.min(a))
    if lowest < 0:
        raise ValueError(f"{name} must have non-negative entries; got min {lowest:g}.")
    if float(xp.sum(a)) <= 0:
        raise ValueError(f"{name} must have a positive total mass; got all zeros.")
    return a


def check_nonzero_diagonal(A, name):
    """Raise unless every diagonal entry of the square matrix ``A`` is nonzero.

    Parameters
    ----------
    A : ndarray or sparse array
        A square matrix.
    name : str
        The argument's name, used in error messages.

    Returns
    -------
    ndarray
        The diagonal of ``A``.

    Raises
    ------
    ValueError
        Naming the first zero diagonal entry.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.utils import check_nonzero_diagonal
    >>> check_nonzero_diagonal(np.array([[1.0, 2.0], [3.0, 0.0]]), "A")
    Traceback (most recent call last):
    ...
    ValueError: A must have a nonzero diagonal; A[1, 1] = 0.
    """
    diag = np.asarray(A.diagonal())
    zero = np.flatnonzero(diag == 0)
    if zero.size:
        i = int(zero[0])
        raise ValueError(f"{name} must have a nonzero diagonal; {name}[{i}, {i}] = 0.")
    return diag


def check_callable(f, name):
    """Raise a ``TypeError`` unless ``f`` is None or callable.

    Parameters
    ----------
    f : callable or None
        The argument.
    name : str
        The argument's name, used in error messages.

    Raises
    ------
    TypeError
        If ``f`` is neither None nor callable.

    Examples
    --------
    >>> from sparsekit.utils import check_callable
    >>> check_callable(print, "callback")
    >>> check_callable(3, "callback")
    Traceback (most recent call last):
    ...
    TypeError: callback must be callable or None; got int.
    """
    if f is not None and not callable(f):
        raise TypeError(f"{name} must be callable or None; got {type(f).__name__}.")
