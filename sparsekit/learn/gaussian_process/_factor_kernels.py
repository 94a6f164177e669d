"""numba kernel of the KL-optimal sparse inverse-Cholesky columns, one small dense block per column.

Block ``b`` is the kernel matrix of ``(x_c1, ..., x_ck, x_i)``: the conditioning points, then the point itself,
last. With its Cholesky factor ``L`` the KL-optimal column (Schäfer, Katzfuss and Owhadi, 2021) is
``K⁻¹e / sqrt(eᵀK⁻¹e) = L⁻ᵀe`` for ``e`` the last unit vector: one factorisation and one back substitution.
The same factor gives ``a = K_cc⁻¹ y_c``, the weights of the conditional mean and of the likelihood gradient.
A block whose factorisation breaks down (duplicated inputs without noise) is retried with ``JITTERS`` times its
mean diagonal added to the diagonal; the jitter used is returned.
"""

import numpy as np

from ..._core.jit import kernel

#: Diagonal jitters tried, relative to the block's mean diagonal, when a factorisation breaks down.
JITTERS = (0.0, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)


@kernel
def _cholesky_in_place(A):
    m = A.shape[0]
    for j in range(m):
        s = A[j, j]
        for t in range(j):
            s -= A[j, t] * A[j, t]
        if not s > 0.0 or not np.isfinite(s):
            return False
        A[j, j] = np.sqrt(s)
        for i in range(j + 1, m):
            s = A[i, j]
            for t in range(j):
                s -= A[i, t] * A[j, t]
            A[i, j] = s / A[j, j]
    return True


@kernel
def kl_factor_columns(K, Y):
    """Return ``(u, a, jitter)``: ``u[b] = L⁻ᵀe``, ``a[b] = K_cc⁻¹ y_c`` (0 in the last slot), jitter added.

    ``jitter[b]`` is NaN where even the largest jitter of ``JITTERS`` fails (``u``, ``a`` then NaN).
    """
    n_blocks, m, _ = K.shape
    u = np.empty((n_blocks, m))
    a = np.zeros((n_blocks, m))
    jitter = np.zeros(n_blocks)
    A = np.empty((m, m))
    scale = np.empty(len(JITTERS))
    for t in range(len(JITTERS)):
        scale[t] = JITTERS[t]
    for b in range(n_blocks):
        mean_diagonal = 0.0
        for j in range(m):
            mean_diagonal += K[b, j, j] / m
        ok = False
        for t in range(scale.shape[0]):
            A[:, :] = K[b]
            added = scale[t] * mean_diagonal
            for j in range(m):
                A[j, j] += added
            if _cholesky_in_place(A):
                ok = True
                jitter[b] = added
                break
        if not ok:
            jitter[b] = np.nan
            u[b, :] = np.nan
            a[b, :] = np.nan
            continue
        # u = L^-T e_m by back substitution
        u[b, m - 1] = 1.0 / A[m - 1, m - 1]
        for i in range(m - 2, -1, -1):
            s = 0.0
            for j in range(i + 1, m):
                s += A[j, i] * u[b, j]
            u[b, i] = -s / A[i, i]
        # a = Lc^-T Lc^-1 y_c with Lc the leading (m-1) x (m-1) factor
        w = np.empty(m - 1)
        for i in range(m - 1):
            s = Y[b, i]
            for j in range(i):
                s -= A[i, j] * w[j]
            w[i] = s / A[i, i]
        for i in range(m - 2, -1, -1):
            s = w[i]
            for j in range(i + 1, m - 1):
                s -= A[j, i] * a[b, j]
            a[b, i] = s / A[i, i]
    return u, a, jitter


def kl_factor_columns_twin(K, Y):
    """NumPy twin of :func:`kl_factor_columns`."""
    n_blocks, m, _ = K.shape
    u = np.full((n_blocks, m), np.nan)
    a = np.full((n_blocks, m), np.nan)
    jitter = np.full(n_blocks, np.nan)
    e = np.zeros(m)
    e[-1] = 1.0
    for b in range(n_blocks):
        mean_diagonal = np.trace(K[b]) / m
        for t in JITTERS:
            A = K[b] + t * mean_diagonal * np.eye(m)
            try:
                L = np.linalg.cholesky(A)
            except np.linalg.LinAlgError:
                continue
            jitter[b] = t * mean_diagonal
            u[b] = np.linalg.solve(L.T, e)
            a[b, :-1] = np.linalg.solve(A[:-1, :-1], Y[b, :-1])
            a[b, -1] = 0.0
            break
    return u, a, jitter
