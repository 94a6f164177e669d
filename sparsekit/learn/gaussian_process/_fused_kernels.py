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
the NumPy twin to rounding, not bit for bit.
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


@kernel
def _profile_row(s2, i, code, amplitude, out):
    """``out[:i] = amplitude * profile(s2[:i])``: one loop per profile, the square roots vectorised apart from
    the exponentials (the values of :func:`~._factor_kernels._profile`, also where ``s2`` is infinite)."""
    if code == 3:
        for j in range(i):
            out[j] = amplitude * np.exp(-0.5 * s2[j])
        return
    c = 1.0 if code == 0 else (3.0 if code == 1 else 5.0)
    for j in range(i):
        s2[j] = np.sqrt(c * s2[j])
    for j in range(i):
        r = s2[j]
        e = np.exp(-r)
        if code == 0:
            out[j] = amplitude * e
        elif r == np.inf:
            out[j] = 0.0
        elif code == 1:
            out[j] = amplitude * ((1.0 + r) * e)
        else:
            out[j] = amplitude * ((1.0 + r + r * r / 3.0) * e)


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
    s2 = np.empty(k + 1)
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
        for i in range(m):
            B[i, i] = k0 + (alpha if i < count else alpha_last)
            mean_diagonal += B[i, i] / m
            s2[:i] = 0.0
            for t in range(d):
                x = P[t, i]
                for j in range(i):
                    diff = P[t, j] - x
                    s2[j] += diff * diff
            _profile_row(s2, i, code, amplitude, B[i])
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
