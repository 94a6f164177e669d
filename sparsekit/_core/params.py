"""Declared parameter constraints, checked in one place, and how offending values are shown.

Solvers declare ``{name: [constraints]}`` next to their signature
(:func:`validate_params`), estimators on the class
(:class:`ParamsValidationMixin`); :func:`check_params` checks a value against
them and raises :class:`~sparsekit.InvalidParameterError` naming the parameter.
"""

import functools
import inspect
import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse

from .exceptions import InvalidParameterError

__all__ = ["Interval", "Options", "ParamsValidationMixin", "check_params", "format_value", "validate_params"]


class Interval:
    """A numeric range constraint, e.g. ``Interval(Real, 0, 2, closed="neither")``.

    Parameters
    ----------
    type : {numbers.Real, numbers.Integral}
        ``Integral`` accepts integers only; ``Real`` accepts any real number.
        Booleans are never accepted.
    left, right : float or None
        Bounds; ``None`` means unbounded on that side (and open: infinity
        itself is not accepted there).
    closed : {"left", "right", "both", "neither"}
        Which bounds are included.

    Examples
    --------
    >>> from numbers import Real
    >>> from sparsekit.utils import Interval
    >>> omega = Interval(Real, 0, 2, closed="neither")
    >>> omega.is_satisfied_by(1.5), omega.is_satisfied_by(2.0)
    (True, False)
    >>> Interval(Real, 0, None, closed="neither").is_satisfied_by(float("inf"))
    False
    >>> str(omega)
    'a float in the range (0, 2)'
    """

    def __init__(self, type, left, right, *, closed):
        if type not in (Integral, Real):
            raise TypeError("Interval type must be numbers.Integral or numbers.Real.")
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError("closed must be one of 'left', 'right', 'both', 'neither'.")
        if left is not None and right is not None and right < left:
            raise ValueError(f"empty interval: right={right} < left={left}.")
        self.type = type
        self.left = left
        self.right = right
        self.closed = closed

    def is_satisfied_by(self, value):
        """Return whether ``value`` lies in the interval and has the right type.

        Parameters
        ----------
        value : object
            The value to test.

        Returns
        -------
        bool
            True if ``value`` is accepted.
        """
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, self.type):
            return False
        if isinstance(value, Real) and math.isnan(value):
            return False
        # An unbounded side is open, as ``str`` shows it ("[0, inf)"): infinity is accepted only
        # where it is an explicit, closed bound, never as e.g. reg=inf or alpha=inf.
        if isinstance(value, Real) and math.isinf(value) and (self.right if value > 0 else self.left) is None:
            return False
        left_ok = self.left is None or (
            value >= self.left if self.closed in ("left", "both") else value > self.left
        )
        right_ok = self.right is None or (
            value <= self.right if self.closed in ("right", "both") else value < self.right
        )
        return left_ok and right_ok

    def __str__(self):
        kind = "an int" if self.type is Integral else "a float"
        lo = "-inf" if self.left is None else f"{self.left:g}"
        hi = "inf" if self.right is None else f"{self.right:g}"
        lb = "[" if self.closed in ("left", "both") and self.left is not None else "("
        rb = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{kind} in the range {lb}{lo}, {hi}{rb}"


class Options:
    """A constraint satisfied by one of a fixed set of values, e.g. string choices.

    Parameters
    ----------
    options : iterable
        The accepted values.

    Examples
    --------
    >>> from sparsekit.utils import Options
    >>> sweep = Options({"forward", "backward", "symmetric"})
    >>> sweep.is_satisfied_by("forward")
    True
    >>> str(sweep)
    "one of {'backward', 'forward', 'symmetric'}"
    """

    def __init__(self, options):
        self.options = frozenset(options)

    def is_satisfied_by(self, value):
        """Return whether ``value`` is one of the options.

        Parameters
        ----------
        value : object
            The value to test.

        Returns
        -------
        bool
            True if ``value`` is accepted.
        """
        try:
            return value in self.options
        except TypeError:
            return False

    def __str__(self):
        return "one of {" + ", ".join(sorted(repr(o) for o in self.options)) + "}"


def _is_array_like(value):
    return hasattr(value, "__len__") or hasattr(value, "shape") or hasattr(value, "__array__")


# Named constraints: how each is checked and how it is described in an error.
_NAMED_CONSTRAINTS = {
    "array-like": (_is_array_like, "an array-like"),
    "sparse matrix": (sparse.issparse, "a scipy.sparse array or matrix"),
    "boolean": (lambda v: isinstance(v, (bool, np.bool_)), "a bool"),
    "callable": (callable, "a callable"),
    "random_state": (
        lambda v: v is None
        or (isinstance(v, Integral) and not isinstance(v, bool) and v >= 0)
        or isinstance(v, (np.random.Generator, np.random.RandomState, np.random.SeedSequence)),
        "None, a non-negative int, or a numpy Generator/RandomState/SeedSequence",
    ),
    "verbose": (
        lambda v: isinstance(v, (bool, np.bool_)) or (isinstance(v, Integral) and v >= 0),
        "a bool or a non-negative int",
    ),
}


def _satisfies(value, constraint):
    if constraint is None:
        return value is None
    if isinstance(constraint, str):
        return _NAMED_CONSTRAINTS[constraint][0](value)
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    return constraint.is_satisfied_by(value)


def _describe(constraint):
    if constraint is None:
        return "None"
    if isinstance(constraint, str):
        return _NAMED_CONSTRAINTS[constraint][1]
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__}"
    return str(constraint)


def format_value(value):
    """Show ``value`` in an error message as a user would write it: ``50.0``, not ``np.float64(50.0)``.

    NumPy scalars and 0-d arrays print as Python numbers, larger arrays and
    sparse matrices by type, shape and dtype, strings and other objects by
    their short ``repr``.

    Parameters
    ----------
    value : object
        The offending value.

    Returns
    -------
    str
        Its description.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.utils import format_value
    >>> format_value(np.float64(50.0)), format_value(np.array(3)), format_value(np.zeros((2, 3)))
    ('50.0', '3', '<ndarray shape=(2, 3) dtype=float64>')
    """
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return repr(value.item())
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"<{type(value).__name__} shape={tuple(value.shape)} dtype={value.dtype}>"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_constraint_spec(constraint):
    if isinstance(constraint, str) and constraint not in _NAMED_CONSTRAINTS:
        raise ValueError(f"unknown named constraint {constraint!r}; known: {sorted(_NAMED_CONSTRAINTS)}.")


def check_params(params, constraints, *, caller):
    """Check parameter values against their declared constraints.

    Parameters
    ----------
    params : dict
        Parameter name to value. Names without a constraint are not checked.
    constraints : dict
        Parameter name to a list of accepted constraints: :class:`Interval`,
        :class:`Options`, a type, ``None``, or one of the names
        ``"array-like"``, ``"sparse matrix"``, ``"boolean"``, ``"callable"``,
        ``"random_state"``, ``"verbose"``. A value must satisfy at least one.
        The special value ``"no_validation"`` skips the parameter.
    caller : str
        Name used in the error message (function or estimator).

    Raises
    ------
    InvalidParameterError
        Naming the first parameter that satisfies none of its constraints.

    Examples
    --------
    >>> from numbers import Real
    >>> from sparsekit.utils import Interval, check_params
    >>> check_params({"omega": 1.2}, {"omega": [Interval(Real, 0, 2, closed="neither")]}, caller="sor")
    >>> check_params({"omega": 2.5}, {"omega": [Interval(Real, 0, 2, closed="neither")]}, caller="sor")
    Traceback (most recent call last):
    ...
    sparsekit...InvalidParameterError: The 'omega' parameter of sor must be a float in the range (0, 2); got 2.5.
    """
    for name, value in params.items():
        accepted = constraints.get(name)
        if accepted is None or accepted == "no_validation":
            continue
        for constraint in accepted:
            _check_constraint_spec(constraint)
        if any(_satisfies(value, c) for c in accepted):
            continue
        described = [_describe(c) for c in accepted]
        expected = described[0] if len(described) == 1 else ", ".join(described[:-1]) + " or " + described[-1]
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be {expected}; got {format_value(value)}."
        )


def validate_params(constraints):
    """Decorator: check a function's arguments against ``constraints`` on every call.

    Parameters
    ----------
    constraints : dict
        As for :func:`check_params`; every key must be a parameter of the
        decorated function.

    Returns
    -------
    callable
        The decorator.

    Examples
    --------
    >>> from numbers import Real
    >>> from sparsekit.utils import Interval, validate_params
    >>> @validate_params({"reg": [Interval(Real, 0, None, closed="neither")]})
    ... def entropic(reg=1.0):
    ...     return reg
    >>> entropic(reg=-1.0)
    Traceback (most recent call last):
    ...
    sparsekit...InvalidParameterError: The 'reg' parameter of entropic must be a float in the range (0, inf); got -1.0.
    """

    def decorator(func):
        signature = inspect.signature(func)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise ValueError(f"constraints for unknown parameters of {func.__qualname__}: {sorted(unknown)}.")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            check_params(bound.arguments, constraints, caller=func.__qualname__)
            return func(*args, **kwargs)

        wrapper.parameter_constraints = constraints
        return wrapper

    return decorator


class ParamsValidationMixin:
    """Estimator mixin: ``_validate_params`` checks ``_parameter_constraints``.

    Put it before :class:`sklearn.base.BaseEstimator` in the bases and call
    ``self._validate_params()`` at the top of ``fit``. Subclasses extend the
    parent's constraints with ``{**Parent._parameter_constraints, ...}``.

    Examples
    --------
    >>> from numbers import Real
    >>> from sklearn.base import BaseEstimator
    >>> from sparsekit.utils import Interval, ParamsValidationMixin
    >>> class Shrink(ParamsValidationMixin, BaseEstimator):
    ...     _parameter_constraints = {"alpha": [Interval(Real, 0, None, closed="left")]}
    ...     def __init__(self, alpha=1.0):
    ...         self.alpha = alpha
    >>> Shrink(alpha=-1.0)._validate_params()
    Traceback (most recent call last):
    ...
    sparsekit...InvalidParameterError: The 'alpha' parameter of Shrink must be a float in the range [0, inf); got -1.0.
    """

    _parameter_constraints: dict = {}

    def _validate_params(self):
        check_params(self.get_params(deep=False), self._parameter_constraints, caller=type(self).__name__)
