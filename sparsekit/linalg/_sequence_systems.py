"""The systems of a sequence, its method registry and its outcome: what the front door and the chunk runs share."""

from collections.abc import Sequence
from numbers import Integral

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator

from .._core.params import format_value
from .._core.registry import Registry
from .._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_STOPPED
from .._core.validation import check_array, check_square, check_vector

__all__ = ["SEQUENCE_METHODS", "SYSTEM_FIELDS", "sequence_outcome"]

SEQUENCE_METHODS = Registry("solve_sequence")

#: Result fields holding one value per system, put back in the caller's order by the front door.
SYSTEM_FIELDS = ("x", "n_iter", "n_matvec", "system_converged", "system_status", "residual_norm", "seconds")


# --------------------------------------------------------------------------- systems
_SPARSE_KEPT = ("csr", "csc", "coo", "bsr", "dia")


def _check_system(pair, i, n):
    """Validate ``systems[i]``; return ``(A, b)`` (``A`` converted only to drop a non-float dtype)."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise TypeError(f"systems[{i}] must be a pair (A, b); got {type(pair).__name__}.")
    A, b = pair
    name = f"systems[{i}][0] (A)"
    if sparse.issparse(A):
        # Formats with a data array are kept (the caller's object is what a recycle space is matched to);
        # lil and dok, which have none to check or iterate on, are converted to CSR once, here.
        A = check_array(A, name, ndim=2, accept_sparse=_SPARSE_KEPT, dtype="float-or-complex")
    elif not isinstance(A, LinearOperator):
        A = check_array(A, name, ndim=2, dtype="float-or-complex")
    order = check_square(A, name)
    if n is not None and order != n:
        raise ValueError(f"{name} must have shape ({n}, {n}) like systems[0]; got {A.shape}.")
    b = check_vector(b, f"systems[{i}][1] (b)", size=order, dtype="float-or-complex")
    return A, b


class _Systems(Sequence):
    """Validated ``(A_i, b_i)`` pairs in solve order, from a list or generated on access by a callable."""

    def __init__(self, source, count, order=None):
        self._source = source
        self._count = count
        self._order = np.arange(count) if order is None else np.asarray(order)
        self._n = None

    @classmethod
    def from_input(cls, systems, n_systems):
        if callable(systems):
            if n_systems is None:
                raise TypeError("n_systems is required when systems is a callable i -> (A_i, b_i).")
            if not isinstance(n_systems, Integral) or n_systems < 1:
                raise ValueError(f"n_systems must be a positive int; got {format_value(n_systems)}.")
            return cls(systems, int(n_systems))
        if n_systems is not None:
            raise TypeError("n_systems is only for a callable systems; a list gives its own length.")
        if isinstance(systems, (str, bytes)) or not hasattr(systems, "__iter__"):
            raise TypeError("systems must be an iterable of (A, b) pairs or a callable i -> (A_i, b_i).")
        pairs, n = [], None
        for i, pair in enumerate(systems):
            A, b = _check_system(pair, i, n)
            n = A.shape[0]
            pairs.append((A, b))
        if not pairs:
            raise ValueError("systems must contain at least one (A, b) pair.")
        return cls(pairs, len(pairs))

    @property
    def source(self):
        """The caller's list of pairs or callable, indexed by caller index."""
        return self._source

    @property
    def generated(self):
        """Whether pairs come from a callable."""
        return callable(self._source)

    def reordered(self, order):
        return type(self)(self._source, self._count, order)

    def original_index(self, j):
        """The caller's index of the ``j``-th pair."""
        return int(self._order[j])

    def __len__(self):
        return self._count

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [self[i] for i in range(*j.indices(self._count))]
        i = int(self._order[j])
        if not self.generated:
            return self._source[i]
        A, b = _check_system(self._source(i), i, self._n)
        self._n = A.shape[0]
        return A, b


def sequence_outcome(system_status, solved, original_index):
    """Status and message of a sequence from its per-system statuses (solve order).

    ``solved`` systems were run (the others were left by a callback's stop);
    ``original_index(j)`` is the caller's index of the ``j``-th system.
    """
    count = len(system_status)
    failed = [original_index(j) for j in range(count) if system_status[j] not in (0, -3)]
    if solved < count:
        return STATUS_STOPPED, f"stopped by the callback after {solved} of {count} systems"
    if failed:
        return STATUS_MAX_ITER, f"{len(failed)} of {count} systems did not converge (systems {failed[:10]})"
    return STATUS_CONVERGED, f"all {count} systems converged"
