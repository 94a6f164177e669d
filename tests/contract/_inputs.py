"""The bad-input table and the helpers that read answers: leaves of an output, bit-for-bit copies, a time bound."""

import contextlib
import copy
import re
import signal

import numpy as np
import scipy.sparse as sp

from sparsekit import Result

# Fields that measure wall time: they differ between two identical runs.
CLOCK_FIELDS = frozenset({"elapsed", "seconds", "wall_time", "time"})

SPARSE_FORMATS = ("csr", "csc", "coo", "bsr", "lil", "dok", "dia")
SPARSE_CASES = tuple(f"{fmt}_{kind}" for fmt in SPARSE_FORMATS for kind in ("array", "matrix"))

# Cases where an error naming the argument is the only right answer (unless the entry ``accepts`` the case).
MUST_RAISE = ("nan", "posinf", "neginf", "empty", "zero_d", "wrong_ndim", "mismatched", "complex", "object", "str")
SCALE_CASES = ("scaled_1e300", "scaled_1e-300")
SCALAR_CASES = ("negative", "scalar_nan", "scalar_inf")


def _dense(value):
    return value.toarray() if sp.issparse(value) else np.asarray(value)


def _with_first(value, entry):
    if sp.issparse(value):
        out = sp.csr_array(value).astype(float)
        out.data[0] = entry
        return out
    out = np.array(value, dtype=float)
    out.flat[0] = entry
    return out


ARRAY_CASES = {
    "nan": lambda v: _with_first(v, np.nan),
    "posinf": lambda v: _with_first(v, np.inf),
    "neginf": lambda v: _with_first(v, -np.inf),
    "empty": lambda v: v[:0],
    "zero_d": lambda v: np.asarray(_dense(v).flat[0]),
    "wrong_ndim": lambda v: np.stack([_dense(v), _dense(v)]),
    "mismatched": lambda v: v[:-1],
    "complex": lambda v: v * (1.0 + 0.5j),
    "object": lambda v: _dense(v).astype(object),
    "str": lambda v: _dense(v).astype(str),
    "scaled_1e300": lambda v: v * 1e300,
    "scaled_1e-300": lambda v: v * 1e-300,
}


def as_sparse(value, case):
    """``value`` in the scipy.sparse format named by ``case`` (e.g. ``"dia_matrix"``)."""
    fmt, kind = case.split("_")
    return getattr(sp, f"{fmt}_{kind}")(_dense(value))


SCALAR_VALUES = {
    "negative": lambda v: -abs(v) if v else -1,
    "scalar_nan": lambda v: float("nan"),
    "scalar_inf": lambda v: float("inf"),
}


def is_array(value):
    return (isinstance(value, np.ndarray) and value.ndim > 0) or sp.issparse(value)


def is_scalar(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def names_argument(message, name):
    """Whether an error message names the argument ``name`` as a word."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None


def leaves(value, depth=0):
    """The numeric arrays inside an output: Result fields, tuples, sparse matrices, operators, fitted attributes."""
    if depth > 4 or value is None or isinstance(value, (str, bytes, type)):
        return []
    if isinstance(value, (bool, np.bool_)):
        return [np.asarray(value)]
    if isinstance(value, (int, float, complex, np.number)):
        return [np.asarray(value)]
    if sp.issparse(value):
        return [value.toarray()]
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return [leaf for item in value.ravel() for leaf in leaves(item, depth + 1)]
        return [value] if value.dtype.kind in "biufc" else []
    if isinstance(value, dict):
        return [leaf for key in sorted(value, key=str) if key not in CLOCK_FIELDS
                for leaf in leaves(value[key], depth + 1)]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in leaves(item, depth + 1)]
    if hasattr(value, "matvec") and hasattr(value, "shape"):
        return [np.asarray(value.matvec(np.ones(value.shape[1])))]
    if hasattr(value, "toarray") and hasattr(value, "shape"):
        return [np.asarray(value.toarray())]
    if hasattr(value, "get_params"):  # a fitted estimator: its learned attributes
        return [leaf for key in sorted(vars(value)) if key.endswith("_") and not key.startswith("_")
                and key not in CLOCK_FIELDS for leaf in leaves(getattr(value, key), depth + 1)]
    if hasattr(value, "__dict__"):
        return [leaf for key in sorted(vars(value)) if key not in CLOCK_FIELDS
                for leaf in leaves(vars(value)[key], depth + 1)]
    return []


def non_finite(value):
    """Whether any numeric leaf of ``value`` holds NaN or infinity."""
    return any(leaf.dtype.kind in "fc" and not np.isfinite(leaf).all() for leaf in leaves(value))


def converged_flag(value):
    """``converged`` of a Result (or ``converged_`` of an estimator); None where there is none."""
    if isinstance(value, Result):
        return value.get("converged")
    return getattr(value, "converged_", None)


def same(left, right, *, rtol=0.0, atol=0.0):
    """Whether two outputs hold the same numbers (bit for bit by default)."""
    a, b = leaves(left), leaves(right)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return False
        if rtol == atol == 0.0:
            if not np.array_equal(x, y, equal_nan=True):
                return False
        elif not np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True):
            return False
    return True


def snapshot(value):
    """A deep copy of an input, to compare bit for bit after a call."""
    return copy.deepcopy(value)


def identical(before, after):
    """Whether an input is unchanged, bit for bit (arrays, sparse matrices, and containers of them)."""
    if sp.issparse(before):
        if type(before) is not type(after) or before.shape != after.shape:
            return False
        parts = [name for name in ("data", "indices", "indptr", "row", "col", "offsets") if hasattr(before, name)]
        if parts:
            return all(np.array_equal(np.asarray(getattr(before, p)), np.asarray(getattr(after, p)), equal_nan=True)
                       for p in parts)
        return np.array_equal(before.toarray(), after.toarray(), equal_nan=True)
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.dtype == after.dtype and np.array_equal(
            before, after, equal_nan=before.dtype.kind in "fc")
    if isinstance(before, (list, tuple)):
        return len(before) == len(after) and all(identical(x, y) for x, y in zip(before, after))
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(identical(before[k], after[k]) for k in before)
    return True


class CallTimeout(Exception):
    """A call ran past its bound (not a ValueError/TypeError: a hang is a failure)."""


def _compiling(frame):
    """Whether numba is compiling: its time is not the call's, and interrupting it corrupts numba's state."""
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith(("numba", "llvmlite")):
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def time_bound(seconds):
    """Interrupt the block once it has run ``seconds`` outside numba's compiler.

    SIGALRM runs between Python bytecodes: a hang in Python code (or in a loop calling kernels) is caught; a hang
    inside one compiled kernel is not (no Python frame runs there). While numba compiles, the bound is extended.
    """

    def interrupt(signum, frame):
        if _compiling(frame):
            signal.setitimer(signal.ITIMER_REAL, 1.0)
            return
        raise CallTimeout(f"call took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
