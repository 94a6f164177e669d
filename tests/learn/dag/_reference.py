"""Plain NumPy twins of the numba kernels of ``sparsekit.learn.dag`` (the test oracles).

Each twin takes the kernel's arguments, returns what it returns and modifies
the same arguments in place, written with vectorised NumPy and LAPACK.
"""

import numpy as np

DOMAIN_TOL = -1e-6
ADAM_EPS = 1e-8


def mmatrix_inverse(a):
    """Twin of ``mmatrix_inverse`` and ``gauss_jordan_mmatrix_inverse``.

    A Z-matrix is a nonsingular M-matrix exactly when it has an entrywise
    non-negative inverse (tested up to rounding); LAPACK gives the inverse.
    """
    sign, logdet = np.linalg.slogdet(a)
    if sign <= 0:
        return False, 0.0
    inverse = np.linalg.inv(a)
    if inverse.min() < -1e-12 * np.abs(inverse).max():
        return False, 0.0
    a[:, :] = inverse
    return True, float(logdet)


def logdet_barrier_inverse(W, s, out):
    """Twin of ``logdet_barrier_inverse``: one LAPACK inverse, the reference code's entry test."""
    try:
        out[:, :] = np.linalg.inv(s * np.eye(W.shape[0]) - W * W)
    except np.linalg.LinAlgError:
        return False
    return bool(out.min() >= DOMAIN_TOL)


def adam_chunk(cov, W, sigma, adam_m, adam_v, step, mu, alpha, s, lr, beta_1, beta_2,
               scale_mode, sigma_floor, first_iter, n_iter, may_backtrack):
    """Twin of ``adam_chunk``: the same iteration, one ``numpy.linalg.inv`` per step."""
    d = W.shape[0]
    identity = np.eye(d)
    off_diagonal = 1.0 - identity
    inverse = np.empty((d, d))
    for k in range(n_iter):
        it = first_iter + k
        inside = logdet_barrier_inverse(W, s, inverse)
        while not inside:
            if it == 1 or not may_backtrack:
                return 1, k, lr
            W += lr * step
            lr *= 0.5
            if lr <= 1e-16:
                return 2, k, lr
            W -= lr * step
            inside = logdet_barrier_inverse(W, s, inverse)
        centred = identity - W
        G = cov @ centred
        if scale_mode == 1:
            sigma[:] = max(np.sqrt(max(np.sum(centred * G), 0.0) / d), sigma_floor)
        elif scale_mode == 2:
            sigma[:] = np.maximum(np.sqrt(np.maximum(np.sum(centred * G, axis=0), 0.0)), sigma_floor)
        scale = sigma if scale_mode else np.ones(d)
        grad = (mu * (alpha * np.sign(W) - G / scale) + 2.0 * W * inverse.T) * off_diagonal
        adam_m[:, :] = beta_1 * adam_m + (1.0 - beta_1) * grad
        adam_v[:, :] = beta_2 * adam_v + (1.0 - beta_2) * grad * grad
        direction = (adam_m / (1.0 - beta_1 ** it)) / (np.sqrt(adam_v / (1.0 - beta_2 ** it)) + ADAM_EPS)
        step[:, :] = direction * off_diagonal
        W -= lr * step
    return 0, n_iter, lr


def ordered_cholesky_rows(cov, order, L, residual_var, start, stop, floor):
    """Twin of ``ordered_cholesky_rows`` (for inputs where the floor is not hit)."""
    factor = np.linalg.cholesky(cov[np.ix_(order, order)])
    L[start:stop, :] = factor[start:stop, :]
    residual_var[start:stop] = np.diag(factor)[start:stop] ** 2


def swap_scores(cov, order, L, residual_var, lows, highs, floor):
    """Twin of ``swap_scores``: a full Cholesky factor per candidate."""
    deltas = np.empty(lows.size)
    for c, (lo, hi) in enumerate(zip(lows, highs)):
        swapped = order.copy()
        swapped[lo], swapped[hi] = order[hi], order[lo]
        new_var = np.diag(np.linalg.cholesky(cov[np.ix_(swapped, swapped)])) ** 2
        deltas[c] = 0.5 * (new_var.sum() - residual_var.sum())
    return deltas


def regression_weights(L):
    """Twin of ``regression_weights``: triangular solves with SciPy."""
    from scipy.linalg import solve_triangular

    d = L.shape[0]
    B = np.zeros((d, d))
    for k in range(1, d):
        B[:k, k] = solve_triangular(L[:k, :k].T, L[k, :k], lower=False)
    return B


def path_weights(A):
    """Twin of ``path_weights``: a dense inverse."""
    return np.linalg.inv(np.eye(A.shape[0]) - A)
