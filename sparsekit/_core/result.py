"""The ``Result`` bunch returned by every sparsekit solver, and the end of every run.

Every solver ends through :func:`end_run`: one place sets ``converged``,
``status`` and ``message``, refuses to call a non-finite result converged, and
issues the :class:`~sparsekit.ConvergenceWarning` at the user's line.
"""

import cmath
import contextlib
import sys
import threading
import warnings

import numpy as np

from .exceptions import ConvergenceWarning

__all__ = [
    "STATUS_CONVERGED",
    "STATUS_MAX_ITER",
    "STATUS_NON_FINITE",
    "STATUS_STOPPED",
    "Result",
    "end_run",
    "inner_runs",
    "warn_at_caller",
]

#: The run met its stopping rule.
STATUS_CONVERGED = 0
#: The iteration budget ran out first.
STATUS_MAX_ITER = 1
#: The user's callback asked to stop (no warning: the user chose it).
STATUS_STOPPED = 2
#: The result holds NaN or infinity; set by :func:`end_run`, never by a solver.
STATUS_NON_FINITE = 3

_inner = threading.local()

# Frames of these packages are library code: a warning points past them, at the user's line.
_LIBRARY_PREFIXES = ("sparsekit.", "sklearn.", "joblib.", "threadpoolctl", "contextlib", "functools")


def _summarise(value):
    """One-line description of a field value for ``Result.__repr__``."""
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return np.array2string(value, precision=4, separator=", ", threshold=6)
        return f"<ndarray shape={value.shape} dtype={value.dtype}>"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"<{type(value).__name__} shape={value.shape} dtype={value.dtype}>"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"<{type(value).__name__} of {len(value)} items>"
    if isinstance(value, float):
        return f"{value:.6g}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Result(dict):
    """Solver output: a dict whose keys are also attributes.

    Modelled on :class:`scipy.optimize.OptimizeResult`. Every solver fills at
    least ``converged``, ``status``, ``message`` and ``n_iter``, plus the
    solution (``x`` or ``plan``) and the history a user would plot.

    Examples
    --------
    >>> from sparsekit import Result
    >>> r = Result(x=[1.0, 2.0], converged=True, n_iter=3)
    >>> r.n_iter
    3
    >>> r["converged"]
    True
    >>> sorted(r)
    ['converged', 'n_iter', 'x']
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __setattr__(self, name, value):
        self[name] = value

    def __delattr__(self, name):
        try:
            del self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self.keys()))

    def __repr__(self):
        if not self:
            return f"{type(self).__name__}()"
        width = max(len(str(k)) for k in self)
        lines = [f"{str(k).rjust(width)}: {_summarise(v)}" for k, v in self.items()]
        return "\n".join(lines)

    def __getstate__(self):
        return dict(self)

    def __setstate__(self, state):
        self.update(state)


def _is_library_frame(frame):
    name = frame.f_globals.get("__name__", "")
    return name == "sparsekit" or name.startswith(_LIBRARY_PREFIXES)


def warn_at_caller(message, category=ConvergenceWarning):
    """Issue a warning at the first frame outside sparsekit (and the scikit-learn machinery that calls it).

    No hand-counted ``stacklevel``: however many private layers, decorators or
    estimator wrappers stand between the user and the solver, the warning's
    file and line are the user's.

    Parameters
    ----------
    message : str
        The warning's text.
    category : type, default=ConvergenceWarning
        The warning class.

    Examples
    --------
    >>> import warnings
    >>> from sparsekit.utils import warn_at_caller
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_at_caller("stopped early")
    >>> caught[0].category.__name__, str(caught[0].message)
    ('ConvergenceWarning', 'stopped early')
    """
    level, frame = 1, sys._getframe(0)
    while frame is not None and _is_library_frame(frame):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level if frame is not None else level - 1)


def _non_finite(value):
    """Whether ``value`` (an array of any backend, a sparse matrix or a scalar) holds NaN or infinity."""
    if isinstance(value, (bool, int, np.bool_, np.integer, str)) or value is None:
        return False
    if isinstance(value, (float, complex, np.floating, np.complexfloating)):
        return not cmath.isfinite(complex(value))
    data = getattr(value, "data", None) if hasattr(value, "tocsr") else value  # scipy/cupy sparse: stored values
    dtype = getattr(data, "dtype", None)
    if dtype is None or getattr(dtype, "kind", "f") not in "fc":
        return False
    if isinstance(data, np.ndarray):
        return not bool(np.isfinite(data).all())
    try:
        import array_api_compat

        xp = array_api_compat.array_namespace(data)
    except TypeError:  # a lazy object (e.g. a Dask collection or a lazy plan) is checked through its parts
        return False
    return not bool(xp.all(xp.isfinite(data)))


@contextlib.contextmanager
def inner_runs():
    """Within this block, :func:`end_run` guards and sets statuses but issues no warning.

    For a driver that runs a solver many times (the systems of a sequence, the
    members of an ensemble) and sums their outcomes up in one warning of its
    own. Thread-local, and unlike ``warnings.catch_warnings`` it leaves the
    user's warning filters and other threads alone.

    Yields
    ------
    None
        Nothing: the block's ``end_run`` calls are quiet.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sparsekit import Result
    >>> from sparsekit.utils import end_run, inner_runs
    >>> with warnings.catch_warnings(record=True) as caught, inner_runs():
    ...     warnings.simplefilter("always")
    ...     r = end_run(Result(x=np.ones(2)), caller="demo", status=1, message="maxiter reached")
    >>> r.converged, len(caught)
    (False, 0)
    """
    previous = getattr(_inner, "depth", 0)
    _inner.depth = previous + 1
    try:
        yield
    finally:
        _inner.depth = previous


def end_run(result, *, caller, status, message, check=None):
    """End a solver's run: set ``converged``/``status``/``message``, guard finiteness, warn at the user's line.

    The single ending of every sparsekit solver. Rules:

    - ``converged`` is ``status == 0``, always.
    - If any field named in ``check`` (by default every numeric field of
      ``result``) holds NaN or infinity, the status becomes
      :data:`STATUS_NON_FINITE` (3) whatever the solver said: no run is
      reported converged with a non-finite result.
    - Any status other than 0 and :data:`STATUS_STOPPED` (2, the user's
      callback asked to stop) issues one :class:`~sparsekit.ConvergenceWarning`
      ``"{caller}: {message}"`` at the first frame outside sparsekit
      (:func:`warn_at_caller`), except inside :func:`inner_runs`.

    Parameters
    ----------
    result : Result
        The run's output, solution and histories already filled in; updated in
        place and returned.
    caller : str
        The public name the user called (e.g. ``"sor"``), for the warning.
    status : int
        The solver's own code: 0 converged, 1 iteration budget exhausted,
        2 stopped by the callback, any other value a solver-specific failure
        (e.g. a negative code for a breakdown).
    message : str
        Why the run ended, in words.
    check : iterable of str, optional
        Fields that must be finite; by default every field holding a number,
        an array or a sparse matrix.

    Returns
    -------
    Result
        ``result``, with ``converged``, ``status`` and ``message`` set.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit import Result
    >>> from sparsekit.utils import end_run
    >>> r = end_run(Result(x=np.ones(2), n_iter=4), caller="demo", status=0, message="converged")
    >>> bool(r.converged), r.status
    (True, 0)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     r = end_run(Result(x=np.array([1.0, np.nan])), caller="demo", status=0, message="converged")
    >>> bool(r.converged), r.status, r.message
    (False, 3, 'non-finite values in x (the solver reported: converged)')
    >>> str(caught[0].message)
    'demo: non-finite values in x (the solver reported: converged)'
    """
    status = int(status)
    names = list(result) if check is None else list(check)
    bad = [name for name in names if name in result and _non_finite(result[name])]
    if bad:
        status = STATUS_NON_FINITE
        message = f"non-finite values in {', '.join(bad)} (the solver reported: {message})"
    result["converged"] = status == STATUS_CONVERGED
    result["status"] = status
    result["message"] = message
    if status not in (STATUS_CONVERGED, STATUS_STOPPED) and not getattr(_inner, "depth", 0):
        warn_at_caller(f"{caller}: {message}")
    return result
