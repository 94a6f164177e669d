"""The three kinds of entry of the contract table (see ``calls.py``)."""

import dataclasses
from typing import Callable


@dataclasses.dataclass(frozen=True)
class Call:
    """A valid call of one public callable.

    Parameters
    ----------
    data : callable
        Returns the positional arguments (for an estimator: the arguments of ``fit``). Built lazily so that
        collection stays fast and every test gets fresh, seeded data.
    options : dict
        Keyword arguments (for an estimator or a class: the constructor's).
    force : dict, optional
        Options that force non-convergence (the solver must warn once, at the caller's line, and report
        ``converged=False``). ``None`` for names that do not iterate.
    solution : str, optional
        The field of the returned ``Result`` holding the answer; declares the name a solver (result contract).
    sparse : tuple of str
        Arguments that accept scipy.sparse input (each sparse format must give the CSR answer).
    accepts : dict
        ``{argument: cases}`` of bad-input cases for which a normal return is the documented, correct answer
        (e.g. ``inf`` in an OT cost matrix forbids a transport).
    homogeneous : tuple of str
        Arguments in which the answer is homogeneous: scaling them by 1e300 or 1e-300 must give a finite answer
        proportional to the unscaled one.
    scalars : tuple of str
        Scalar parameters to corrupt (negative, NaN, inf) besides the positional scalars and the numeric options.
    """

    data: Callable[[], tuple]
    options: dict = dataclasses.field(default_factory=dict)
    force: dict | None = None
    solution: str | None = None
    sparse: tuple = ()
    accepts: dict = dataclasses.field(default_factory=dict)
    homogeneous: tuple = ()
    scalars: tuple = ()


@dataclasses.dataclass(frozen=True)
class Built:
    """A public class that users get from a call, not construct: the entry ``by``, run with ``options``, returns one."""

    by: str
    options: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class NotCallable:
    """A public name that is not a call (a registry, a constant, a module), classified with why."""

    why: str


@dataclasses.dataclass(frozen=True)
class Family:
    """A registry walked by its front door: every registered name becomes a table entry ``door[name]``."""

    module: str
    door: str  # the public name (in some AREAS module) that dispatches through the registry
    key: str  # the door's keyword choosing the method
    base: Call  # the family's problem; options merged with key=name and extra[name]
    extra: dict = dataclasses.field(default_factory=dict)

    def call(self, name):
        options = {**self.base.options, self.key: name, **self.extra.get(name, {})}
        return dataclasses.replace(self.base, options=options)
