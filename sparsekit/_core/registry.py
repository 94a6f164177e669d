"""Registries of methods: each solver family declares its methods once.

A front door such as ``solve_sequence(..., method=...)`` or
``ot.solve(..., method=...)`` dispatches through its family's registry in one
line; tests, docs, the tour and benchmarks enumerate the same registry, so a new
method is one registration.
"""

import inspect
from dataclasses import dataclass, field

import numpy as np

from .params import check_params

__all__ = ["Method", "Registry", "restore_items", "take_items"]


def take_items(value, order, name):
    """Reindex a per-item value (one entry per item of a sequence) by ``order``.

    Parameters
    ----------
    value : sequence, ndarray or None
        One entry per item, in the items' original order; None passes through.
    order : array-like of int
        A permutation: position ``j`` of the result holds ``value[order[j]]``.
    name : str
        The value's name, for error messages.

    Returns
    -------
    list, ndarray or None
        An ndarray stays an ndarray (reindexed along its first axis); any
        other sequence becomes a list.

    Raises
    ------
    ValueError
        If ``value`` does not hold exactly one entry per item.

    Examples
    --------
    >>> from sparsekit.utils import take_items
    >>> take_items(["a", "b", "c"], [2, 0, 1], "labels")
    ['c', 'a', 'b']
    >>> take_items([1.0, 2.0], [2, 0, 1], "context")
    Traceback (most recent call last):
    ...
    ValueError: context must hold one entry per item (3); got 2.
    """
    if value is None:
        return None
    order = np.asarray(order)
    try:
        count = len(value)
    except TypeError:
        raise ValueError(f"{name} must hold one entry per item ({order.size}); got {type(value).__name__}.") from None
    if count != order.size:
        raise ValueError(f"{name} must hold one entry per item ({order.size}); got {count}.")
    if isinstance(value, np.ndarray):
        return value[order]
    return [value[i] for i in order]


def restore_items(value, order):
    """Undo :func:`take_items`: put entry ``j`` of ``value`` back at position ``order[j]``.

    Parameters
    ----------
    value : sequence, ndarray or None
        One entry per item, in the permuted order; None passes through.
    order : array-like of int
        The permutation that was applied.

    Returns
    -------
    list, ndarray or None
        Entries in the original order (an ndarray stays an ndarray).

    Examples
    --------
    >>> from sparsekit.utils import restore_items, take_items
    >>> restore_items(take_items(["a", "b", "c"], [2, 0, 1], "labels"), [2, 0, 1])
    ['a', 'b', 'c']
    """
    if value is None:
        return None
    order = np.asarray(order)
    if isinstance(value, np.ndarray):
        out = np.empty_like(value)
        out[order] = value
        return out
    out = [None] * order.size
    for j, i in enumerate(order):
        out[i] = value[j]
    return out


@dataclass(frozen=True)
class Method:
    """One registered method of a family.

    Parameters
    ----------
    name : str
        The ``method=`` string users pass.
    func : callable
        The implementation.
    family : str
        The registry it belongs to.
    constraints : dict
        Option name to accepted constraints (see ``sparsekit.utils.check_params``).
    backends : frozenset of str
        Array backends it supports (``"numpy"``, ``"cupy"``, ``"dask"``).
    aliases : tuple of str
        Other names that select it.
    per_item_options : tuple of str
        For families whose data is a sequence of items (e.g. the systems of
        ``solve_sequence``): options holding one value per item. A front door
        that reorders the items reorders these options with them
        (:meth:`take_items`).
    per_item_results : tuple of str
        Result fields holding one value per item, which such a front door puts
        back in the caller's order (besides those its family always has).

    Examples
    --------
    >>> from sparsekit.utils import Registry
    >>> family = Registry("demo")
    >>> _ = family.register("identity", lambda x, *, scale=1: x * scale)
    >>> family.get("identity").options
    ('x', 'scale')
    """

    name: str
    func: object
    family: str
    constraints: dict = field(default_factory=dict)
    backends: frozenset = frozenset({"numpy"})
    aliases: tuple = ()
    per_item_options: tuple = ()
    per_item_results: tuple = ()

    @property
    def summary(self):
        """First line of the implementation's docstring."""
        doc = inspect.getdoc(self.func) or ""
        return doc.splitlines()[0] if doc else ""

    @property
    def options(self):
        """Names of the keyword options the implementation accepts."""
        params = inspect.signature(self.func).parameters.values()
        return tuple(p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))

    def accepts_any_option(self):
        """Whether the implementation takes ``**kwargs``."""
        params = inspect.signature(self.func).parameters.values()
        return any(p.kind is p.VAR_KEYWORD for p in params)

    def take_items(self, options, order):
        """Return ``options`` with each per-item option reindexed by ``order`` (see :func:`take_items`).

        Parameters
        ----------
        options : dict
            Keyword options for the method.
        order : array-like of int
            Permutation of the items.

        Returns
        -------
        dict
            A new dict; the other options are passed through unchanged.

        Raises
        ------
        ValueError
            If a per-item option does not hold one value per item.
        """
        out = dict(options)
        for name in self.per_item_options:
            if name in out:
                out[name] = take_items(out[name], order, name)
        return out


class Registry:
    """A named family of interchangeable methods.

    Parameters
    ----------
    family : str
        Name of the front door, used in error messages (e.g. ``"ot.solve"``).

    Examples
    --------
    >>> from numbers import Integral
    >>> from sparsekit.utils import Interval, Registry
    >>> SMOOTHERS = Registry("smooth")
    >>> @SMOOTHERS.register("repeat", constraints={"times": [Interval(Integral, 1, None, closed="left")]})
    ... def repeat(x, *, times=2):
    ...     "Repeat a string."
    ...     return x * times
    >>> SMOOTHERS.dispatch("repeat", "ab", times=3)
    'ababab'
    >>> SMOOTHERS.dispatch("blur", "ab")
    Traceback (most recent call last):
    ...
    ValueError: Unknown method 'blur' for smooth; known methods: 'repeat'.
    """

    def __init__(self, family):
        self.family = family
        self._methods = {}
        self._aliases = {}

    def register(
        self,
        name,
        func=None,
        *,
        constraints=None,
        backends=("numpy",),
        aliases=(),
        per_item_options=(),
        per_item_results=(),
    ):
        """Register ``func`` under ``name``; usable as a decorator.

        Parameters
        ----------
        name : str
            The ``method=`` string.
        func : callable, optional
            The implementation; omit to use ``register`` as a decorator.
        constraints : dict, optional
            Option constraints checked by :meth:`dispatch` before the call.
        backends : iterable of str, default=("numpy",)
            Supported array backends.
        aliases : iterable of str, default=()
            Alternative names.
        per_item_options : iterable of str, default=()
            Options with one value per item of the data sequence (see
            :class:`Method`); each must be an option of ``func``.
        per_item_results : iterable of str, default=()
            Result fields with one value per item.

        Returns
        -------
        callable
            ``func`` (unchanged), or a decorator when ``func`` is omitted.

        Raises
        ------
        ValueError
            If the name is taken, or a per-item option is not an option of
            ``func``.
        """

        def add(f):
            for key in (name, *aliases):
                if key in self._methods or key in self._aliases:
                    raise ValueError(f"method {key!r} is already registered for {self.family}.")
            method = Method(
                name=name,
                func=f,
                family=self.family,
                constraints=dict(constraints or {}),
                backends=frozenset(backends),
                aliases=tuple(aliases),
                per_item_options=tuple(per_item_options),
                per_item_results=tuple(per_item_results),
            )
            unknown = set(method.per_item_options) - set(method.options)
            if unknown and not method.accepts_any_option():
                raise ValueError(f"per-item options {sorted(unknown)} are not options of {name!r}.")
            self._methods[name] = method
            self._aliases.update({alias: name for alias in aliases})
            return f

        return add if func is None else add(func)

    def names(self):
        """Return the registered method names, in registration order.

        Returns
        -------
        list of str
            The names (aliases excluded).
        """
        return list(self._methods)

    def __iter__(self):
        return iter(self._methods.values())

    def __len__(self):
        return len(self._methods)

    def __contains__(self, name):
        return name in self._methods or name in self._aliases

    def get(self, name):
        """Return the :class:`Method` registered as ``name`` (or an alias).

        Parameters
        ----------
        name : str
            Method name or alias.

        Returns
        -------
        Method
            The registered method.

        Raises
        ------
        ValueError
            If no method has that name; the message lists the known ones.
        """
        if not isinstance(name, str):
            raise TypeError(f"method must be a string; got {type(name).__name__}.")
        key = self._aliases.get(name, name)
        if key not in self._methods:
            known = ", ".join(repr(n) for n in self._methods) or "none registered"
            raise ValueError(f"Unknown method {name!r} for {self.family}; known methods: {known}.")
        return self._methods[key]

    def dispatch(self, name, *args, backend=None, **options):
        """Validate ``options`` for method ``name`` and call it.

        Parameters
        ----------
        name : str
            Method name.
        *args
            Positional data arguments passed through.
        backend : str, optional
            Backend of the input (``"numpy"``, ``"cupy"``, ``"dask"``);
            checked against the method's supported backends.
        **options
            Keyword options, checked against the implementation's signature
            and the declared constraints.

        Returns
        -------
        object
            Whatever the implementation returns.

        Raises
        ------
        ValueError
            Unknown method, or a backend it does not support.
        TypeError
            An option the method does not take.
        """
        method = self.get(name)
        if backend is not None and backend not in method.backends:
            able = [m.name for m in self if backend in m.backends]
            raise ValueError(
                f"method {method.name!r} of {self.family} does not support {backend} input; "
                f"methods that do: {able or 'none'}."
            )
        self.check_options(method.name, options)
        return method.func(*args, **options)

    def check_options(self, name, options):
        """Check ``options`` for method ``name`` as :meth:`dispatch` does, without calling it.

        For callers that run a method's work themselves (e.g. chunk by chunk).

        Parameters
        ----------
        name : str
            Method name.
        options : dict
            Keyword options.

        Raises
        ------
        ValueError
            Unknown method, or an option outside its constraints.
        TypeError
            An option the method does not take.
        """
        method = self.get(name)
        if not method.accepts_any_option():
            unexpected = sorted(set(options) - set(method.options))
            if unexpected:
                raise TypeError(
                    f"{self.family}(method={method.name!r}) got unexpected option(s) {unexpected}; "
                    f"it accepts {list(method.options)}."
                )
        check_params(options, method.constraints, caller=f"{self.family}(method={method.name!r})")
