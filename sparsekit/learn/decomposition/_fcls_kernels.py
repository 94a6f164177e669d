"""Primal active-set kernel for many small non-negative (optionally sum-to-one) quadratic programs sharing one Gram.

Each row ``n`` solves ``min_x 1/2 x^T G x - B[n]^T x`` subject to ``x >= 0`` (and ``sum(x) = 1``
when ``sum_to_one``), the problem of fully constrained least squares for one pixel (``G = E E^T``,
``B = Y E^T``) and of non-negative least squares for one band of the endmember update.
:func:`active_set_qp` is the numba kernel; :func:`active_set_qp_twin` is its plain NumPy twin.
"""

import numpy as np

from ..._core.jit import kernel

__all__ = ["active_set_qp", "active_set_qp_twin"]


@kernel
def _solve_bordered(G, b, free, sum_to_one, K, rhs, z):
    """Solve the equality-constrained QP on the free set: returns the multiplier of the sum row (0 without it).

    ``[[G_FF, 1], [1^T, 0]] [z_F; -nu] = [b_F; 1]`` by Gaussian elimination with partial pivoting; a
    pivot below ``1e-14 * max|G_FF|`` (collinear endmembers) is replaced by that floor, a ridge on the
    degenerate direction.
    """
    p = G.shape[0]
    m = 0
    for i in range(p):
        if free[i]:
            m += 1
    size = m + 1 if sum_to_one else m
    r = 0
    peak = 0.0
    for i in range(p):
        if not free[i]:
            continue
        c = 0
        for j in range(p):
            if free[j]:
                K[r, c] = G[i, j]
                if abs(G[i, j]) > peak:
                    peak = abs(G[i, j])
                c += 1
        if sum_to_one:
            K[r, m] = 1.0
        rhs[r] = b[i]
        r += 1
    if sum_to_one:
        for c in range(m):
            K[m, c] = 1.0
        K[m, m] = 0.0
        rhs[m] = 1.0
    floor = 1e-14 * peak if peak > 0 else 1e-300
    for k in range(size):
        best = k
        for i in range(k + 1, size):
            if abs(K[i, k]) > abs(K[best, k]):
                best = i
        if best != k:
            for j in range(size):
                K[k, j], K[best, j] = K[best, j], K[k, j]
            rhs[k], rhs[best] = rhs[best], rhs[k]
        if abs(K[k, k]) < floor:
            K[k, k] = floor if K[k, k] >= 0 else -floor
        for i in range(k + 1, size):
            f = K[i, k] / K[k, k]
            if f != 0.0:
                for j in range(k, size):
                    K[i, j] -= f * K[k, j]
                rhs[i] -= f * rhs[k]
    for k in range(size - 1, -1, -1):
        s = rhs[k]
        for j in range(k + 1, size):
            s -= K[k, j] * rhs[j]
        rhs[k] = s / K[k, k]
    r = 0
    for i in range(p):
        if free[i]:
            z[i] = rhs[r]
            r += 1
        else:
            z[i] = 0.0
    return -rhs[m] if sum_to_one else 0.0


@kernel
def _start(G, b, x, free, sum_to_one):
    """A feasible start: ``x`` if it is one (a warm start), else the best vertex (simplex) or zero."""
    p = G.shape[0]
    total = 0.0
    ok = True
    for i in range(p):
        if not x[i] >= 0.0:  # also catches NaN
            ok = False
        total += x[i]
    if ok and sum_to_one and abs(total - 1.0) > 1e-12:
        ok = False
    if not ok:
        for i in range(p):
            x[i] = 0.0
        if sum_to_one:
            best = 0
            for i in range(1, p):
                if 0.5 * G[i, i] - b[i] < 0.5 * G[best, best] - b[best]:
                    best = i
            x[best] = 1.0
    for i in range(p):
        free[i] = x[i] > 0.0


@kernel
def active_set_qp(G, B, X, sum_to_one, max_iter, tol):
    """Solve every row's QP in place in ``X`` (a feasible row of ``X`` is the warm start).

    Parameters
    ----------
    G : ndarray of shape (p, p)
        The shared symmetric positive semi-definite Gram matrix.
    B : ndarray of shape (n, p)
        Linear terms, one problem per row.
    X : ndarray of shape (n, p)
        Warm start on entry (rows that are not feasible start from a vertex or zero); solutions on exit.
    sum_to_one : bool
        Add the constraint ``sum(x) = 1``.
    max_iter : int
        Active-set changes allowed per row.
    tol : float
        A bound leaves the active set when its multiplier is below ``-tol * max(diag G)``.

    Returns
    -------
    n_iter : ndarray of int64 of shape (n,)
        Active-set changes per row; ``max_iter + 1`` marks a row stopped before its optimality test held.
    """
    n, p = B.shape
    K = np.empty((p + 1, p + 1))
    rhs = np.empty(p + 1)
    z = np.empty(p)
    grad = np.empty(p)
    free = np.zeros(p, dtype=np.bool_)
    scale = 0.0
    for i in range(p):
        scale = max(scale, G[i, i])
    threshold = tol * scale
    n_iter = np.zeros(n, dtype=np.int64)
    for row in range(n):
        b = B[row]
        x = X[row]
        _start(G, b, x, free, sum_to_one)
        done = False
        it = 0
        while it <= max_iter:
            nu = _solve_bordered(G, b, free, sum_to_one, K, rhs, z)
            feasible = True
            for i in range(p):
                if free[i] and z[i] < 0.0:
                    feasible = False
            if feasible:
                for i in range(p):
                    x[i] = z[i]
                worst = -1
                lowest = -threshold
                for i in range(p):
                    if free[i]:
                        continue
                    g = -b[i]
                    for j in range(p):
                        g += G[i, j] * x[j]
                    grad[i] = g - nu
                    if grad[i] < lowest:
                        lowest = grad[i]
                        worst = i
                if worst < 0:
                    done = True
                    break
                free[worst] = True
            else:
                alpha = 1.0
                block = -1
                for i in range(p):
                    if free[i] and z[i] < 0.0:
                        step = x[i] / (x[i] - z[i])
                        if step < alpha:
                            alpha = step
                            block = i
                for i in range(p):
                    if free[i]:
                        x[i] += alpha * (z[i] - x[i])
                if block >= 0:
                    free[block] = False
                    x[block] = 0.0
                for i in range(p):
                    if free[i] and x[i] <= 0.0:
                        free[i] = False
                        x[i] = 0.0
            it += 1
        n_iter[row] = it if done else max_iter + 1
    return n_iter


def _solve_bordered_twin(G, b, free, sum_to_one):
    index = np.flatnonzero(free)
    m = index.size
    size = m + 1 if sum_to_one else m
    K = np.zeros((size, size))
    K[:m, :m] = G[np.ix_(index, index)]
    rhs = np.zeros(size)
    rhs[:m] = b[index]
    if sum_to_one:
        K[:m, m] = K[m, :m] = 1.0
        rhs[m] = 1.0
    peak = np.abs(K[:m, :m]).max() if m else 0.0
    floor = 1e-14 * peak if peak > 0 else 1e-300
    # the kernel's elimination, step by step, so that both take the same decisions on degenerate problems
    for k in range(size):
        best = k + int(np.argmax(np.abs(K[k:, k])))
        if best != k:
            K[[k, best]] = K[[best, k]]
            rhs[[k, best]] = rhs[[best, k]]
        if abs(K[k, k]) < floor:
            K[k, k] = floor if K[k, k] >= 0 else -floor
        f = K[k + 1:, k] / K[k, k]
        K[k + 1:, k:] -= np.outer(f, K[k, k:])
        rhs[k + 1:] -= f * rhs[k]
    for k in range(size - 1, -1, -1):
        rhs[k] = (rhs[k] - K[k, k + 1:] @ rhs[k + 1:]) / K[k, k]
    z = np.zeros(G.shape[0])
    z[index] = rhs[:m]
    return z, (-rhs[m] if sum_to_one else 0.0)


def active_set_qp_twin(G, B, X, sum_to_one, max_iter, tol):
    """NumPy twin of :func:`active_set_qp` (same iterates, one row at a time)."""
    n, p = B.shape
    threshold = tol * np.diag(G).max()
    n_iter = np.zeros(n, dtype=np.int64)
    for row in range(n):
        b, x = B[row], X[row]
        feasible_start = bool(np.all(x >= 0)) and (not sum_to_one or abs(x.sum() - 1.0) <= 1e-12)
        if not feasible_start:
            x[:] = 0.0
            if sum_to_one:
                x[np.argmin(0.5 * np.diag(G) - b)] = 1.0
        free = x > 0
        it, done = 0, False
        while it <= max_iter:
            z, nu = _solve_bordered_twin(G, b, free, sum_to_one)
            if not np.any(free & (z < 0)):
                x[:] = z
                multipliers = np.where(free, np.inf, G @ x - b - nu)
                worst = int(np.argmin(multipliers))
                if multipliers[worst] >= -threshold:
                    done = True
                    break
                free[worst] = True
            else:
                candidates = np.flatnonzero(free & (z < 0))
                steps = x[candidates] / (x[candidates] - z[candidates])
                k = int(np.argmin(steps))
                alpha, block = (steps[k], candidates[k]) if steps[k] < 1.0 else (1.0, -1)
                x[free] += alpha * (z[free] - x[free])
                if block >= 0:
                    free[block] = False
                    x[block] = 0.0
                drop = free & (x <= 0)
                free[drop] = False
                x[drop] = 0.0
            it += 1
        n_iter[row] = it if done else max_iter + 1
    return n_iter
