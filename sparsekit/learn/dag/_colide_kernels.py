"""numba kernels of the log-det path-following used by CoLiDE and the DAGMA baseline.

The NumPy twins are in ``tests/learn/dag/_reference.py``.
"""

import numpy as np

from ..._core.jit import kernel

# Blocks at most this large are inverted by Gauss-Jordan elimination; larger ones are split in
# two (measured fastest on the 2-core reference machine at d = 20..200).
INVERSE_BLOCK = 24

# Adam's denominator guard, as in DAGMA and CoLiDE.
ADAM_EPS = 1e-8

# The reference codes call sI - W o W "outside the domain" once its inverse has an entry below this.
DOMAIN_TOL = -1e-6

CHUNK_COMPLETED = 0
CHUNK_LEFT_DOMAIN = 1
CHUNK_STEP_UNDERFLOW = 2


@kernel
def gauss_jordan_mmatrix_inverse(a):
    """Invert the Z-matrix ``a`` in place by Gauss-Jordan elimination without pivoting.

    Returns ``(ok, logdet)``. A Z-matrix is a nonsingular M-matrix exactly when
    every pivot of elimination without pivoting is positive; at the first
    non-positive pivot the elimination stops with ``ok = False`` (``a`` is
    then garbage).
    """
    d = a.shape[0]
    row = np.empty(d)
    logdet = 0.0
    for k in range(d):
        pivot = a[k, k]
        if not pivot > 0.0:
            return False, 0.0
        logdet += np.log(pivot)
        inv_pivot = 1.0 / pivot
        a[k, k] = 1.0
        for j in range(d):
            a[k, j] *= inv_pivot
            row[j] = a[k, j]
        for i in range(d):
            if i == k:
                continue
            factor = a[i, k]
            if factor != 0.0:
                a[i, k] = 0.0
                for j in range(d):
                    a[i, j] -= factor * row[j]
    return True, logdet


@kernel
def mmatrix_inverse(a):
    """Invert the Z-matrix ``a`` in place if it is a nonsingular M-matrix; return ``(ok, logdet)``.

    Recursive 2 x 2 block inversion through the Schur complement, so almost
    all flops are matrix products (BLAS-3). No pivoting is needed: leading
    blocks and Schur complements of an M-matrix are M-matrices, and the
    pivots are those of unpivoted elimination, all positive exactly when
    ``a`` is a nonsingular M-matrix (the log-det domain test).
    """
    d = a.shape[0]
    if d <= INVERSE_BLOCK:
        return gauss_jordan_mmatrix_inverse(a)
    h = d // 2
    x11 = np.ascontiguousarray(a[:h, :h])
    a12 = np.ascontiguousarray(a[:h, h:])
    a21 = np.ascontiguousarray(a[h:, :h])
    ok, logdet_11 = mmatrix_inverse(x11)
    if not ok:
        return False, 0.0
    t = a21 @ x11
    schur = np.ascontiguousarray(a[h:, h:]) - t @ a12
    ok, logdet_schur = mmatrix_inverse(schur)
    if not ok:
        return False, 0.0
    u = (x11 @ a12) @ schur
    a[:h, :h] = x11 + u @ t
    a[:h, h:] = -u
    a[h:, :h] = -(schur @ t)
    a[h:, h:] = schur
    return True, logdet_11 + logdet_schur


@kernel
def logdet_barrier_inverse(W, s, out):
    """Write ``inv(s I - W o W)`` into ``out``; return whether ``W`` is inside the log-det domain."""
    d = W.shape[0]
    for i in range(d):
        for j in range(d):
            out[i, j] = -W[i, j] * W[i, j]
        out[i, i] += s
    ok, _ = mmatrix_inverse(out)
    if not ok:
        return False
    for i in range(d):
        for j in range(d):
            if out[i, j] < DOMAIN_TOL:
                return False
    return True


@kernel
def adam_chunk(cov, W, sigma, adam_m, adam_v, step, mu, alpha, s, lr, beta_1, beta_2,
               scale_mode, sigma_floor, first_iter, n_iter, may_backtrack):
    """Run up to ``n_iter`` block-coordinate iterations of one path-following stage.

    Each iteration: one inverse of ``sI - W o W`` (the domain test and the
    acyclicity gradient), one product ``G = cov (I - W)``, the closed-form
    scale update (``scale_mode`` 0: none, sigma = 1 (DAGMA); 1: one scale,
    ``sigma = sqrt(tr((I-W)^T G) / d)`` (EV); 2: one per node,
    ``sigma_j = sqrt(((I-W)^T G)_jj)`` (NV); floored at ``sigma_floor``), then an
    Adam step on the off-diagonal of ``W`` for
    ``mu * (score(W, sigma) + alpha ||W||_1) + h_s(W)``. The diagonal stays zero.

    When ``W`` has left the domain: with ``may_backtrack`` and past the stage's
    first iteration, the last step is undone and retried with half the
    learning rate; otherwise the chunk returns ``CHUNK_LEFT_DOMAIN`` so the
    caller restarts the stage. ``W``, ``sigma``, ``adam_m``, ``adam_v`` and
    ``step`` are updated in place.

    Returns
    -------
    status : int
        ``CHUNK_COMPLETED``, ``CHUNK_LEFT_DOMAIN`` or ``CHUNK_STEP_UNDERFLOW``.
    n_done : int
        Iterations completed.
    lr : float
        The learning rate after any halving.
    """
    d = W.shape[0]
    inverse = np.empty((d, d))
    centred = np.empty((d, d))
    G = np.empty((d, d))
    inv_sigma = np.ones(d)
    for k in range(n_iter):
        it = first_iter + k
        inside = logdet_barrier_inverse(W, s, inverse)
        while not inside:
            if it == 1 or not may_backtrack:
                return CHUNK_LEFT_DOMAIN, k, lr
            for i in range(d):
                for j in range(d):
                    W[i, j] += lr * step[i, j]
            lr *= 0.5
            if lr <= 1e-16:
                return CHUNK_STEP_UNDERFLOW, k, lr
            for i in range(d):
                for j in range(d):
                    W[i, j] -= lr * step[i, j]
            inside = logdet_barrier_inverse(W, s, inverse)

        for i in range(d):
            for j in range(d):
                centred[i, j] = -W[i, j]
            centred[i, i] += 1.0
        np.dot(cov, centred, G)
        if scale_mode == 1:
            trace = 0.0
            for i in range(d):
                for j in range(d):
                    trace += centred[i, j] * G[i, j]
            value = max(np.sqrt(max(trace, 0.0) / d), sigma_floor)
            for j in range(d):
                sigma[j] = value
                inv_sigma[j] = 1.0 / value
        elif scale_mode == 2:
            for j in range(d):
                sigma[j] = 0.0
            for i in range(d):
                for j in range(d):
                    sigma[j] += centred[i, j] * G[i, j]
            for j in range(d):
                sigma[j] = max(np.sqrt(max(sigma[j], 0.0)), sigma_floor)
                inv_sigma[j] = 1.0 / sigma[j]

        bias_1 = 1.0 / (1.0 - beta_1 ** it)
        bias_2 = 1.0 / (1.0 - beta_2 ** it)
        for i in range(d):
            for j in range(d):
                if i == j:
                    continue
                w = W[i, j]
                grad = mu * (alpha * np.sign(w) - G[i, j] * inv_sigma[j]) + 2.0 * w * inverse[j, i]
                m = beta_1 * adam_m[i, j] + (1.0 - beta_1) * grad
                v = beta_2 * adam_v[i, j] + (1.0 - beta_2) * grad * grad
                adam_m[i, j] = m
                adam_v[i, j] = v
                direction = (m * bias_1) / (np.sqrt(v * bias_2) + ADAM_EPS)
                step[i, j] = direction
                W[i, j] = w - lr * direction
    return CHUNK_COMPLETED, n_iter, lr
