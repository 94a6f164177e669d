"""Range and precision of a linear system: power-of-two rescaling, attainable tolerances.

The iterative solvers square norms (SOR's residual test, CG's ``r.z``, the
Givens rotations and the deflation's Gram matrices of GCRO-DR), so a system
scaled by 1e-200 underflows to a "converged" zero solution and one scaled by
1e200 overflows. Their iterations are scale-invariant, so solving
``(2^a A) x' = 2^c b`` and returning ``x = 2^(a-c) x'`` changes nothing but
the range: multiplying by a power of two is exact in binary floating point,
which keeps the iterates bitwise those of the unscaled system (away from
subnormals). Systems already within range are left untouched.

Nothing here is specific to one solver; it could move to ``sparsekit._core``.
"""

import math
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator

__all__ = ["SystemScale", "attainable_rtol", "times_power_of_two"]

# Smallest relative tolerance, in machine epsilons of the working precision (float32: 1.2e-6).
RTOL_FLOOR = 10


def attainable_rtol(rtol, dtype):
    """``rtol`` raised to ``RTOL_FLOOR`` machine epsilons of ``dtype`` (0, "no relative test", is kept).

    A residual computed in ``dtype`` carries rounding errors of about
    ``eps ||A|| ||x||``: a relative tolerance below a few ``eps`` would run to
    ``maxiter`` (float32's eps is 1.2e-7, under the default rtol=1e-8).
    """
    return rtol if rtol == 0 else max(rtol, RTOL_FLOOR * float(np.finfo(dtype).eps))


def _exponent_to_unit(values, dtype):
    """The power of two bringing ``max|values|`` near 1, or 0 when it is within ``dtype``'s safe range.

    The safe range is a third of the exponent range on either side of 1, so
    that a sum of squares of ``n`` such numbers neither overflows nor
    underflows (float64: ``2^±341``, float32: ``2^±42``).
    """
    values = np.asarray(values)
    if values.size == 0:
        return 0
    peak = float(np.max(np.abs(values)))
    if peak == 0 or not math.isfinite(peak):
        return 0
    exponent = math.frexp(peak)[1]
    return -exponent if abs(exponent) > np.finfo(dtype).maxexp // 3 else 0


def times_power_of_two(values, exponent):
    """``values * 2**exponent`` exactly (a new array; real or complex; the dtype is kept)."""
    values = np.asarray(values)
    # Overflow gives infinity and underflow zero, as the product would: the caller's answer is then out of
    # range of its precision, which the end of the run reports.
    with np.errstate(over="ignore", under="ignore"):
        if np.iscomplexobj(values):
            out = np.empty_like(values)
            out.real = np.ldexp(values.real, exponent)
            out.imag = np.ldexp(values.imag, exponent)
            return out
        return np.ldexp(values, exponent).astype(values.dtype, copy=False)


def _matrix_times_power_of_two(A, exponent):
    if not exponent:
        return A
    if sparse.issparse(A):
        A = A.copy()
        A.data = times_power_of_two(A.data, exponent)
        return A
    return times_power_of_two(A, exponent)


class SystemScale(NamedTuple):
    """``A' = 2^a A`` and ``b' = 2^c b``; ``x = 2^(a-c) x'`` and residual norms ``2^-c`` times the scaled ones."""

    a: int
    c: int

    @classmethod
    def of(cls, A_values, b, dtype):
        """The scale bringing the entries of ``A`` (``A_values``; None: left alone) and of ``b`` near 1."""
        a = 0 if A_values is None else _exponent_to_unit(A_values, dtype)
        return cls(a, _exponent_to_unit(b, dtype))

    @classmethod
    def of_system(cls, A, b, dtype):
        """:meth:`of` for a dense or sparse ``A``; a LinearOperator, whose entries are unknown (a product
        to estimate its size would count as one of the solver's), is left alone."""
        entries = A.data if sparse.issparse(A) else None if isinstance(A, LinearOperator) else A
        return cls.of(entries, b, dtype)

    def __bool__(self):
        return bool(self.a or self.c)

    def matrix(self, A):
        """``2^a A`` for a dense or sparse matrix (a copy; the caller's matrix is not modified)."""
        return _matrix_times_power_of_two(A, self.a)

    def inverse(self, M):
        """``2^-a M`` for a dense or sparse ``M`` approximating ``A^-1``: it approximates ``(2^a A)^-1``."""
        return _matrix_times_power_of_two(M, -self.a)

    def rhs(self, b):
        return times_power_of_two(b, self.c) if self.c else b

    def atol(self, atol):
        """An absolute tolerance on the residual, in the scaled system (infinity where it overflows)."""
        with np.errstate(over="ignore"):
            return float(np.ldexp(np.float64(atol), self.c))

    def to_scaled_solution(self, x):
        return times_power_of_two(x, self.c - self.a) if self else x

    def solution(self, x):
        return times_power_of_two(x, self.a - self.c) if self else x

    def residual(self, r):
        """Residual norms of the scaled system back in the caller's units (array or float)."""
        if not self.c:
            return r
        return float(times_power_of_two(r, -self.c)) if np.ndim(r) == 0 else times_power_of_two(r, -self.c)

    def callback(self, callback):
        """``callback`` seeing iterates in the caller's units."""
        if not self or callback is None:
            return callback
        return lambda xk: callback(self.solution(xk))
