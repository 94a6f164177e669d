"""numba kernels of the entropic solvers: fused log-domain passes over the cost matrix.

Every kernel reads the cost ``M`` (float32 or float64, row-major) and the
scaled potentials ``F = f / reg`` and ``G = g / reg`` (float64) and works on
``x_ij = F_i + G_j - M_ij / reg``, the log of the plan entry, without forming
an ``n x m`` temporary. One pass evaluates one exponential per entry.

The exponential is :func:`fast_exp`, a branch-free Cody-Waite reduction plus a
degree-13 polynomial that LLVM vectorises (numba's ``math.exp`` calls libm one
element at a time, and numba has no SVML here): relative error below 3e-14 on
``[-708, 709]``, exactly 0 below -708 (where the result would be subnormal).
"""

import math

import numba
import numpy as np

from .._core.jit import SAFE_FASTMATH, kernel

_LOG2E = 1.4426950408889634
_LN2_HI = 0.693147180369123816490
_LN2_LO = 1.90821492927058770002e-10
_EXP_LOW = -708.0
_EXP_HIGH = 709.0

if numba.config.DISABLE_JIT:

    def _bits_of(x):
        return np.float64(x).view(np.int64)

    def _float_of(bits):
        return np.int64(bits).view(np.float64)

else:
    from numba import types
    from numba.extending import intrinsic

    @intrinsic
    def _bits_of(typingctx, x):
        """Reinterpret a float64 as int64 (an LLVM bitcast, vectorisable)."""
        sig = types.int64(types.float64)

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.int64))

        return sig, codegen

    @intrinsic
    def _float_of(typingctx, bits):
        """Reinterpret an int64 as float64 (an LLVM bitcast, vectorisable)."""
        sig = types.float64(types.int64)

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.float64))

        return sig, codegen


@numba.njit(inline="always")
def fast_exp(x):
    """``exp(x)`` for float64 ``x``, vectorisable; 0 below -708, clamped to ``exp(709)`` above."""
    xc = min(max(x, _EXP_LOW), _EXP_HIGH)
    k = math.floor(xc * _LOG2E + 0.5)
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    # Horner evaluation of the degree-13 Taylor polynomial of exp on |r| <= ln(2)/2
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    value = _float_of(_bits_of(p) + (np.int64(k) << 52))
    return value if x >= _EXP_LOW else 0.0


@kernel
def exp_array(x, out):
    """``out[:] = fast_exp(x)`` elementwise (1-D; used by tests and the plan kernels)."""
    for i in range(x.shape[0]):
        out[i] = fast_exp(x[i])


@kernel(fastmath=SAFE_FASTMATH)
def row_sums(M, F, G, inv_reg, out):
    """``out[i] = sum_j exp(F_i + G_j - M_ij / reg)``: the row marginal of the plan ``(F, G)``."""
    n, m = M.shape
    for i in range(n):
        fi = F[i]
        s = 0.0
        for j in range(m):
            s += fast_exp(fi + G[j] - M[i, j] * inv_reg)
        out[i] = s


@kernel(fastmath=SAFE_FASTMATH)
def col_sums(M, F, G, inv_reg, out):
    """``out[j] = sum_i exp(F_i + G_j - M_ij / reg)``: the column marginal of the plan ``(F, G)``."""
    n, m = M.shape
    for j in range(m):
        out[j] = 0.0
    for i in range(n):
        fi = F[i]
        for j in range(m):
            out[j] += fast_exp(fi + G[j] - M[i, j] * inv_reg)


@kernel(fastmath=SAFE_FASTMATH)
def row_lse(M, G, inv_reg, rows, out):
    """``out[k] = log sum_j exp(G_j - M_ij / reg)`` for ``i = rows[k]``, with the max subtracted first."""
    m = M.shape[1]
    for k in range(rows.shape[0]):
        i = rows[k]
        top = -np.inf
        for j in range(m):
            top = max(top, G[j] - M[i, j] * inv_reg)
        s = 0.0
        for j in range(m):
            s += fast_exp(G[j] - M[i, j] * inv_reg - top)
        out[k] = top + math.log(s)


@kernel(fastmath=SAFE_FASTMATH)
def col_lse(M, F, inv_reg, out):
    """``out[j] = log sum_i exp(F_i - M_ij / reg)`` for every column, with the max subtracted first."""
    n, m = M.shape
    top = np.full(m, -np.inf)
    for i in range(n):
        fi = F[i]
        for j in range(m):
            top[j] = max(top[j], fi - M[i, j] * inv_reg)
    for j in range(m):
        out[j] = 0.0
    for i in range(n):
        fi = F[i]
        for j in range(m):
            out[j] += fast_exp(fi - M[i, j] * inv_reg - top[j])
    for j in range(m):
        out[j] = top[j] + math.log(out[j])


@kernel(fastmath=SAFE_FASTMATH)
def fill_plan(M, F, G, inv_reg, out):
    """``out[i, j] = exp(F_i + G_j - M_ij / reg)`` (the plan, or the stabilised Gibbs kernel)."""
    n, m = M.shape
    for i in range(n):
        fi = F[i]
        for j in range(m):
            out[i, j] = fast_exp(fi + G[j] - M[i, j] * inv_reg)


@kernel(fastmath=SAFE_FASTMATH)
def plan_sums_and_cost(M, F, G, inv_reg, rows, cols):
    """Row and column marginals of the plan ``(F, G)`` and its linear cost ``<P, M>``, in one pass."""
    n, m = M.shape
    for j in range(m):
        cols[j] = 0.0
    cost = 0.0
    for i in range(n):
        fi = F[i]
        s = 0.0
        c = 0.0
        for j in range(m):
            p = fast_exp(fi + G[j] - M[i, j] * inv_reg)
            s += p
            c += p * M[i, j]
            cols[j] += p
        rows[i] = s
        cost += c
    return cost


@kernel(fastmath=SAFE_FASTMATH)
def scale_kernel_to_plan(K, u, v, M, rows, cols):
    """Turn the kernel into the plan in place, ``K_ij <- u_i K_ij v_j``; its marginals and cost ``<P, M>``.

    One pass reading ``K`` and ``M`` and writing ``K`` (no exponential, no
    new ``n x m`` array): the final plan of a run that kept its kernel (the
    Newton stage); the marginals are those of the returned plan, exactly.

    Returns
    -------
    cost : float
        ``<P, M>``.
    """
    n, m = K.shape
    for j in range(m):
        cols[j] = 0.0
    cost = 0.0
    for i in range(n):
        ui = u[i]
        s = 0.0
        c = 0.0
        for j in range(m):
            p = ui * K[i, j] * v[j]
            K[i, j] = p
            s += p
            c += p * M[i, j]
            cols[j] += p
        rows[i] = s
        cost += c
    return cost


@kernel(fastmath=SAFE_FASTMATH)
def plan_matvec(M, F, G, inv_reg, x, out):
    """``out = P @ x`` for the plan ``(F, G)`` and a matrix ``x`` of shape ``(m, k)``."""
    n, m = M.shape
    k = x.shape[1]
    for i in range(n):
        fi = F[i]
        for c in range(k):
            out[i, c] = 0.0
        for j in range(m):
            p = fast_exp(fi + G[j] - M[i, j] * inv_reg)
            for c in range(k):
                out[i, c] += p * x[j, c]


@kernel(fastmath=SAFE_FASTMATH)
def plan_rmatvec(M, F, G, inv_reg, y, out):
    """``out = P.T @ y`` for the plan ``(F, G)`` and a matrix ``y`` of shape ``(n, k)``."""
    n, m = M.shape
    k = y.shape[1]
    for j in range(m):
        for c in range(k):
            out[j, c] = 0.0
    for i in range(n):
        fi = F[i]
        for j in range(m):
            p = fast_exp(fi + G[j] - M[i, j] * inv_reg)
            for c in range(k):
                out[j, c] += p * y[i, c]


@kernel(fastmath=SAFE_FASTMATH)
def count_at_least(M, F, G, inv_reg, log_threshold):
    """Number of plan entries ``exp(F_i + G_j - M_ij / reg) >= exp(log_threshold)`` (no exponential taken)."""
    n, m = M.shape
    total = 0
    for i in range(n):
        cut = log_threshold - F[i]
        count = 0
        for j in range(m):
            count += G[j] - M[i, j] * inv_reg >= cut
        total += count
    return total


@kernel
def scaling_update(products, scaling, targets, low, high, out):
    """Kernel-space half-iteration on vectors: the marginal error, then ``out = targets / products``.

    The current marginal is ``scaling * products`` (``products`` is ``K.T u``
    or ``K v``).

    Returns
    -------
    error : float
        ``||scaling * products - targets||_2``.
    safe : bool
        Whether every product lies in ``(low, high)`` (else ``out`` must not be used).
    smallest, largest : float
        Extremes of ``out``.
    """
    error = 0.0
    safe = True
    smallest = np.inf
    largest = 0.0
    for i in range(products.shape[0]):
        p = products[i]
        d = scaling[i] * p - targets[i]
        error += d * d
        if p > low and p < high:
            q = targets[i] / p
        else:
            safe = False
            q = 1.0
        out[i] = q
        smallest = min(smallest, q)
        largest = max(largest, q)
    return math.sqrt(error), safe, smallest, largest


@kernel
def log_update(sums, potentials, targets, log_targets, low, high, out):
    """Log-domain half-iteration on vectors: the marginal error, then ``out = potentials + log(targets / sums)``.

    Returns
    -------
    error : float
        ``||sums - targets||_2``.
    safe : bool
        Whether every sum lies in ``(low, high)``; entries outside keep
        their potential (the caller recomputes them exactly).
    """
    error = 0.0
    safe = True
    for i in range(sums.shape[0]):
        s = sums[i]
        d = s - targets[i]
        error += d * d
        if s > low and s < high:
            out[i] = potentials[i] + log_targets[i] - math.log(s)
        else:
            safe = False
            out[i] = potentials[i]
    return math.sqrt(error), safe
