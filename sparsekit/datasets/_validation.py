"""Parameter checks shared by the generators: constraints on arrays of numbers, casts, the memory bound.

A generator declares its constraints once with :func:`generator_params`; the
arguments are then checked (:func:`sparsekit.utils.check_params`, after NumPy
scalars became Python numbers, see :func:`_python_number`), numbers are
cast to the Python type their constraint names (so ``decay=1`` behaves as
``decay=1.0`` and ``n=np.int64(10**6)`` cannot overflow in ``n * n``), and the
memory the call would allocate is compared with :data:`ALLOCATION_LIMIT`
before anything is allocated.

The parts that are not specific to datasets (:class:`Numbers`, the casts, the
allocation bound) would sit naturally in ``sparsekit._core.validation``.
"""

import functools
import inspect
import math
from decimal import Decimal
from numbers import Integral, Real

import numpy as np

from .._core.params import Interval, check_params

__all__ = [
    "ALLOCATION_LIMIT",
    "LOG_SCALE_MAX",
    "NORMAL_TAIL",
    "SCALE_MAX",
    "INDEX_MAX",
    "SIZE",
    "FloatDtype",
    "Numbers",
    "check_allocation",
    "checked_params",
    "generator_params",
]

# Largest memory, in bytes, one generator call may allocate (32 GiB): a request above it is a typo or
# an overflowed size, and fails with a ValueError instead of a MemoryError or an hours-long swap.
ALLOCATION_LIMIT = 32 * 2**30

# Bound of scales, contrasts, wavenumbers and coefficients: the product of two such values and the
# square of one stay far inside float64 (1e308), so no generated entry can overflow.
SCALE_MAX = 1e100

# Standard normal draws beyond 38 in absolute value have probability below 1e-300: no call ever sees one.
NORMAL_TAIL = 38.0

# exp(s * z) with |z| <= NORMAL_TAIL stays within [1/SCALE_MAX, SCALE_MAX] for s <= LOG_SCALE_MAX.
LOG_SCALE_MAX = math.log(SCALE_MAX) / NORMAL_TAIL

# The largest value an index (a size, a count) may take.
INDEX_MAX = np.iinfo(np.int64).max

# A size or count of at least one; how large it may be is the allocation bound's business.
SIZE = Interval(Integral, 1, INDEX_MAX, closed="both")


def _format_number(value):
    """A size as a user reads it: ``12``, or ``1.000e+300`` for one too long to print whole."""
    return str(value) if abs(value) < 10**15 else f"{Decimal(value):.3e}"


def check_allocation(caller, n_bytes, sizes):
    """Raise a ValueError if a call would allocate more than :data:`ALLOCATION_LIMIT` bytes.

    Parameters
    ----------
    caller : str
        The generator's name.
    n_bytes : int
        Estimated memory of the call (a Python int, so that it cannot overflow).
    sizes : dict
        The arguments the memory grows with, named in the message.

    Raises
    ------
    ValueError
        If ``n_bytes`` exceeds the limit.
    """
    if n_bytes > ALLOCATION_LIMIT:
        named = ", ".join(f"{name}={_format_number(value)}" for name, value in sizes.items())
        gib = Decimal(n_bytes) / Decimal(2**30)
        names = list(sizes)
        which = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise ValueError(
            f"{caller} with {named} would allocate about {gib:.3g} GiB, more than the "
            f"{ALLOCATION_LIMIT // 2**30} GiB limit; reduce {which}."
        )


class Numbers:
    """Constraint: an array-like of numbers of a given rank whose entries all satisfy ``interval``.

    Parameters
    ----------
    interval : Interval
        Type and range of every entry (``Integral`` rejects floats such as
        ``2.0``; booleans, NaN and infinity are never accepted).
    ndim : int or tuple of int
        Accepted ranks.
    shape : tuple of int or None, optional
        Required shape, of one of the ranks ``ndim``; ``None`` entries match anything.
    ordered : bool, default=False
        Whether the last axis holds ``(low, high)`` pairs with ``low <= high``.
    what : str, optional
        How the value is described in an error (default: "an array").
    """

    def __init__(self, interval, *, ndim, shape=None, ordered=False, what="an array"):
        self.interval = interval
        self.ndim = (ndim,) if isinstance(ndim, Integral) else tuple(ndim)
        self.shape = shape
        self.ordered = ordered
        self.what = what

    def is_satisfied_by(self, value):
        """Return whether ``value`` is an accepted array of numbers.

        Parameters
        ----------
        value : object
            The value to test.

        Returns
        -------
        bool
            True if ``value`` is accepted.
        """
        if value is None or isinstance(value, (str, bytes)):
            return False
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):  # ragged nesting, unconvertible objects
            return False
        if not isinstance(value, np.ndarray) and any(
            isinstance(v, (bool, np.bool_)) for v in np.asarray(value, dtype=object).ravel()
        ):  # [(True, 3)] converts to ints; a bool is no number here, as for a scalar parameter
            return False
        kinds = "iu" if self.interval.type is Integral else "iuf"
        if arr.dtype.kind not in kinds or arr.ndim not in self.ndim or arr.size == 0:
            return False
        if self.shape is not None and any(s is not None and s != a for s, a in zip(self.shape, arr.shape)):
            return False
        if not all(self.interval.is_satisfied_by(v) for v in (arr.min().item(), arr.max().item())):
            return False
        return not self.ordered or bool(np.all(arr[..., 0] <= arr[..., 1]))

    def __str__(self):
        entries = str(self.interval).replace("an int", "ints").replace("a float", "floats")
        return f"{self.what} of {entries}" + (" with low <= high" if self.ordered else "")


class FloatDtype:
    """Constraint: a floating-point dtype sparse matrices support (float32/64, complex64/128)."""

    _ACCEPTED = frozenset({"float32", "float64", "complex64", "complex128"})

    def is_satisfied_by(self, value):
        """Return whether ``value`` names one of the accepted dtypes.

        Parameters
        ----------
        value : object
            The value to test.

        Returns
        -------
        bool
            True if ``value`` is accepted.
        """
        if value is None or isinstance(value, (bool, Real)):  # np.dtype(None) would mean float64
            return False
        try:
            return np.dtype(value).name in self._ACCEPTED
        except (TypeError, ValueError):
            return False

    def __str__(self):
        return "one of the dtypes " + ", ".join(sorted(self._ACCEPTED))


def _python_number(value):
    """A NumPy scalar as the Python number it holds; anything else as it is.

    Comparing ``np.float32(1e30)`` with a float64 bound such as ``1e100`` casts the bound to float32 and
    warns of an overflow (NEP 50); as a Python float the value compares exactly.
    """
    if isinstance(value, np.generic) and not isinstance(value, np.bool_) and value.dtype.kind in "iuf":
        return value.item()
    return value


def _cast(params, constraints):
    """``params`` with each value that satisfies an ``Interval`` as the Python number its type names.

    ``int`` for ``Integral`` (no NumPy integer overflow in products of sizes), ``float`` for ``Real``
    (an integer ``decay=1`` behaves as ``1.0``); other values are returned as they are.
    """
    cast = dict(params)
    for name, value in params.items():
        accepted = constraints.get(name, "no_validation")
        if accepted == "no_validation":
            continue
        for constraint in accepted:
            if isinstance(constraint, Interval) and constraint.is_satisfied_by(value):
                cast[name] = int(value) if constraint.type is Integral else float(value)
                break
    return cast


def checked_params(params, constraints, *, caller):
    """Check ``params`` against ``constraints`` and return them with numbers cast.

    Parameters
    ----------
    params : dict
        Parameter name to value.
    constraints : dict
        As for :func:`sparsekit.utils.check_params`.
    caller : str
        Name used in the error message.

    Returns
    -------
    dict
        ``params`` with NumPy scalars as Python numbers and each value that
        satisfies an ``Interval`` as ``int`` (``Integral``) or ``float`` (``Real``).

    Raises
    ------
    InvalidParameterError
        Naming the first parameter that satisfies none of its constraints.
    """
    params = {name: _python_number(value) for name, value in params.items()}
    check_params(params, constraints, caller=caller)
    return _cast(params, constraints)


def generator_params(constraints, allocation=None):
    """Decorator: check, cast, and bound the memory of a generator's arguments.

    The counterpart of :func:`sparsekit.utils.validate_params` for the
    generators: the same constraints and messages, through :func:`checked_params`.

    Parameters
    ----------
    constraints : dict
        As for :func:`sparsekit.utils.validate_params`; every key must be a
        parameter of the decorated function.
    allocation : callable, optional
        Called with all arguments (cast, defaults applied); returns the
        estimated bytes of the call and a dict of the sizes it grows with,
        for :func:`check_allocation`.

    Returns
    -------
    callable
        The decorator.
    """

    def decorator(func):
        signature = inspect.signature(func)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise ValueError(f"constraints for unknown parameters of {func.__qualname__}: {sorted(unknown)}.")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            bound.arguments.update(checked_params(bound.arguments, constraints, caller=func.__qualname__))
            if allocation is not None:
                check_allocation(func.__qualname__, *allocation(**bound.arguments))
            return func(*bound.args, **bound.kwargs)

        wrapper.parameter_constraints = constraints
        return wrapper

    return decorator
