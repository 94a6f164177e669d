"""Range and precision of a linear system: power-of-two rescaling, attainable tolerances.

The iterative solvers square norms (SOR's residual test, CG's ``r.z``, the
Givens rotations and the deflation's Gram matrices of GCRO-DR), so a system
scaled by 1e-200 underflows to a "converged" zero solution and one scaled by
1e200 overflows. Their iterations are scale-invariant, so solving
``(2^a A) x' = 2^c b`` and returning ``x = 2^(a-c) x'`` changes nothing but
the range: multiplying by a power of two is exact in binary floating point,
which keeps the iterates bitwise those of the unscaled system (away from
subnormals). Systems already within range are left untouched.

The exact rescaling itself is :mod:`sparsekit._core.scaling`'s.
"""

from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator

from .._core.scaling import times_power_of_two, unit_exponent

__all__ = ["SystemScale", "attainable_rtol"]

# Smallest relative tolerance, in machine epsilons of the working precision (float32: 1.2e-6).
RTOL_FLOOR = 10


def attainable_rtol(rtol, dtype):
    """``rtol`` raised to ``RTOL_FLOOR`` machine epsilons of ``dtype`` (0, "no relative test", is kept).

    A residual computed in ``dtype`` carries rounding errors of about
    ``eps ||A|| ||x||``: a relative tolerance below a few ``eps`` would run to
    ``maxiter`` (float32's eps is 1.2e-7, under the default rtol=1e-8).
    """
    return rtol if rtol == 0 else max(rtol, RTOL_FLOOR * float(np.finfo(dtype).eps))


class SystemScale(NamedTuple):
    """``A' = 2^a A`` and ``b' = 2^c b``; ``x = 2^(a-c) x'`` and residual norms ``2^-c`` times the scaled ones."""

    a: int
    c: int

    @classmethod
    def of(cls, A_values, b, dtype):
        """The scale bringing the entries of ``A`` (``A_values``; None: left alone) and of ``b`` near 1."""
        a = 0 if A_values is None else unit_exponent(A_values, dtype=dtype)
        return cls(a, unit_exponent(b, dtype=dtype))

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
        return times_power_of_two(A, self.a) if self.a else A

    def inverse(self, M):
        """``2^-a M`` for a dense or sparse ``M`` approximating ``A^-1``: it approximates ``(2^a A)^-1``."""
        return times_power_of_two(M, -self.a) if self.a else M

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
