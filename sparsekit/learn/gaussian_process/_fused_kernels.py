"""numba kernel of Vecchia conditionals for the common stationary kernels, one point at a time without allocating.

For a kernel ``amplitude * radial(r) + noise * I`` (``radial`` a Matern with nu in 0.5, 1.5, 2.5 or the RBF, on
inputs already divided by the length scales; ``affine_form`` detects it from the scikit-learn object), the
conditional of ``y(q)`` given ``y`` at its conditioning points ``c`` needs the kernel block of ``(x_c1, ..., x_ck,
q)``, its Cholesky factor ``L`` and one forward substitution: ``mean = L_qc · (L_cc⁻¹ y_c)`` and
``var = L_qq²``. :func:`radial_conditionals` does the three in one loop over the points, in buffers allocated once,
instead of materialising the ``(n, k+1, k+1)`` stack of blocks; the general path (any kernel, per-point noise)
stays :func:`~sparsekit.learn.gaussian_process._kernel_blocks.block_kernel` with
:func:`~sparsekit.learn.gaussian_process._factor_kernels.kl_factor_columns`. A block whose factorisation breaks
down is retried with the same ``JITTERS`` (times its mean diagonal) as there.

``SAFE_FASTMATH`` lets the dot products of the factorisation vectorise (reassociated sums): results agree with
the NumPy twin to rounding, not bit for bit. numba compiles a callee with its caller's flags, so
:func:`exp_neg` is written to stay exact under reassociation (no ``(a + b) - b`` rounding trick).
"""

import numpy as np

from ..._core.jit import SAFE_FASTMATH, kernel
from ._factor_kernels import JITTERS, _profile


@kernel(fastmath=SAFE_FASTMATH)
def _cholesky_leading(A, m):
    """Cholesky factor of ``A[:m, :m]`` in place (lower triangle read and written); False on breakdown."""
    for j in range(m):
        s = A[j, j]
        for t in range(j):
            s -= A[j, t] * A[j, t]
        if not s > 0.0 or not np.isfinite(s):
            return False
        pivot = np.sqrt(s)
        A[j, j] = pivot
        for i in range(j + 1, m):
            s = A[i, j]
            for t in range(j):
                s -= A[i, t] * A[j, t]
            A[i, j] = s / pivot
    return True


#: ``1.5 * 2**52``: added to an integer-valued float64 of magnitude below ``2**51`` it holds the integer in the
#: low bits of the sum, which makes the exponent of ``2**n`` without a float-to-int64 conversion (none in AVX2).
_MAGIC = 6755399441055744.0
_MAGIC_BITS = 0x4338000000000000
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_FACTORIAL = tuple(1.0 / float(np.prod(np.arange(1, i + 1))) for i in range(14))


@kernel
def exp_neg(r, out, size, work):
    """``out[:size] = exp(-r[:size])`` for ``r >= 0`` (``inf`` included) in loops that vectorise; ``work`` is a
    float64 buffer of at least ``size``.

    ``exp(-r) = 2**n e**f`` with ``n`` the nearest integer to ``-r / log 2`` and ``|f| <= log(2) / 2`` (two-part
    ``log 2``, Cody and Waite), ``e**f`` by its Taylor polynomial of degree 13 (truncation below 1e-17 relative),
    ``2**n`` assembled in the exponent bits; within 1e-13 relative of ``numpy.exp`` (measured: 2e-14 at
    ``r = 708``, about 1e-15 below 40). Below ``exp(-708)`` (where
    ``2**n`` would be subnormal) the value returned is 0.
    """
    c = _INV_FACTORIAL
    for j in range(size):
        x = max(-r[j], -708.0)
        n = np.floor(x * _LOG2E + 0.5)
        work[j] = n + _MAGIC  # exact: n is an integer of magnitude below 2**11
        f = (x - n * _LN2_HI) - n * _LN2_LO
        p = c[13]
        p = p * f + c[12]
        p = p * f + c[11]
        p = p * f + c[10]
        p = p * f + c[9]
        p = p * f + c[8]
        p = p * f + c[7]
        p = p * f + c[6]
        p = p * f + c[5]
        p = p * f + c[4]
        p = p * f + c[3]
        p = p * f + c[2]
        p = p * f + 1.0
        out[j] = p * f + 1.0
    bits = work.view(np.int64)
    for j in range(size):
        bits[j] = (bits[j] - _MAGIC_BITS + 1023) << 52
    for j in range(size):
        out[j] = out[j] * work[j] if r[j] < 708.0 else 0.0


def exp_neg_twin(r, out, size, work):
    """NumPy twin of :func:`exp_neg` (``numpy.exp``; 0 below ``exp(-708)``; ``work`` left holding ``2**n``)."""
    out[:size] = np.where(r[:size] < 708.0, np.exp(-r[:size]), 0.0)
    n = np.floor(np.maximum(-r[:size], -708.0) * _LOG2E + 0.5)
    work[:size] = np.ldexp(1.0, n.astype(np.int64))


@kernel
def _profile_pairs(s2, size, code, amplitude, work, out):
    """``out[:size] = amplitude * profile(s2[:size])`` (the values of :func:`~._factor_kernels._profile`, also
    where ``s2`` is infinite), through :func:`exp_neg`; ``s2`` is overwritten."""
    if code == 3:
        for j in range(size):
            s2[j] = 0.5 * s2[j]
        exp_neg(s2, out, size, work)
        for j in range(size):
            out[j] = amplitude * out[j]
        return
    c = 1.0 if code == 0 else (3.0 if code == 1 else 5.0)
    for j in range(size):
        s2[j] = np.sqrt(c * s2[j])
    exp_neg(s2, out, size, work)
    for j in range(size):
        r = s2[j]
        if code == 0:
            out[j] = amplitude * out[j]
        elif r == np.inf:
            out[j] = 0.0
        elif code == 1:
            out[j] = amplitude * ((1.0 + r) * out[j])
        else:
            out[j] = amplitude * ((1.0 + r + r * r / 3.0) * out[j])


@kernel(fastmath=SAFE_FASTMATH)
def radial_conditionals(Xs, y, Qs, neighbors, code, amplitude, noise, alpha, alpha_last):
    """``(mean, var, jitter)`` of ``y(Qs[q])`` given ``y[neighbors[q]]``, for each query ``q``.

    The covariance is ``amplitude * profile(|x - x'|²) + noise * [same index]`` with ``Xs``, ``Qs`` the inputs
    divided by the length scales and ``profile`` the radial profile of ``code`` (``RADIAL_CODES``); ``alpha`` is
    added to the diagonal of the conditioning points and ``alpha_last`` to that of the query. ``-1`` entries of
    ``neighbors`` are skipped. ``jitter[q]`` is the diagonal jitter the block needed (NaN, with NaN mean and
    variance, where even the largest failed).
    """
    n_q, k = neighbors.shape
    d = Xs.shape[1]
    P = np.empty((d, k + 1))  # feature-major: the distances of one point to the earlier ones vectorise
    B = np.empty((k + 1, k + 1))
    A = np.empty((k + 1, k + 1))
    pairs = (k + 1) * k // 2
    s2 = np.empty(pairs)
    values = np.empty(pairs)
    work = np.empty(pairs)
    yc = np.empty(k)
    w = np.empty(k)
    mean = np.empty(n_q)
    var = np.empty(n_q)
    jitter = np.zeros(n_q)
    k0 = amplitude * _profile(0.0, code)[0] + noise
    for q in range(n_q):
        count = 0
        for j in range(k):
            p = neighbors[q, j]
            if p >= 0:
                for t in range(d):
                    P[t, count] = Xs[p, t]
                yc[count] = y[p]
                count += 1
        for t in range(d):
            P[t, count] = Qs[q, t]
        m = count + 1
        mean_diagonal = 0.0
        # the squared distances of all pairs (row i of the lower triangle from (i - 1) i / 2 on), then their
        # profile in one pass that vectorises
        for i in range(m):
            B[i, i] = k0 + (alpha if i < count else alpha_last)
            mean_diagonal += B[i, i] / m
            row = (i * (i - 1)) // 2
            s2[row:row + i] = 0.0
            for t in range(d):
                x = P[t, i]
                for j in range(i):
                    diff = P[t, j] - x
                    s2[row + j] += diff * diff
        _profile_pairs(s2, (m * (m - 1)) // 2, code, amplitude, work, values)
        for i in range(1, m):
            row = (i * (i - 1)) // 2
            for j in range(i):
                B[i, j] = values[row + j]
        ok = False
        for attempt in range(len(JITTERS)):
            added = JITTERS[attempt] * mean_diagonal
            for i in range(m):
                for j in range(i):
                    A[i, j] = B[i, j]
                A[i, i] = B[i, i] + added
            if _cholesky_leading(A, m):
                ok = True
                jitter[q] = added
                break
        if not ok:
            mean[q] = np.nan
            var[q] = np.nan
            jitter[q] = np.nan
            continue
        mu = 0.0
        for i in range(count):
            s = yc[i]
            for j in range(i):
                s -= A[i, j] * w[j]
            w[i] = s / A[i, i]
            mu += A[count, i] * w[i]
        mean[q] = mu
        var[q] = A[count, count] * A[count, count]
    return mean, var, jitter


def radial_conditionals_twin(Xs, y, Qs, neighbors, code, amplitude, noise, alpha, alpha_last):
    """NumPy twin of :func:`radial_conditionals`: dense solves, ``numpy.linalg.cholesky`` for the jitter test."""
    from ._factor_kernels import radial_blocks_twin

    n_q = neighbors.shape[0]
    mean, var, jitter = np.full(n_q, np.nan), np.full(n_q, np.nan), np.full(n_q, np.nan)
    for q in range(n_q):
        rows = neighbors[q][neighbors[q] >= 0]
        points = np.vstack((Xs[rows], Qs[q][None]))
        m = points.shape[0]
        K = amplitude * radial_blocks_twin(points[None], np.ones(points.shape[1]), code, False)[0][0]
        K += np.diag(np.r_[np.full(m - 1, noise + alpha), noise + alpha_last])
        for t in JITTERS:
            added = t * np.trace(K) / m
            try:
                np.linalg.cholesky(K + added * np.eye(m))
            except np.linalg.LinAlgError:
                continue
            Kj = K + added * np.eye(m)
            weights = np.linalg.solve(Kj[:-1, :-1], Kj[:-1, -1]) if m > 1 else np.zeros(0)
            mean[q] = weights @ y[rows]
            var[q] = Kj[-1, -1] - weights @ Kj[:-1, -1]
            jitter[q] = added
            break
    return mean, var, jitter
