"""One cyclic sweep of fractional coordinate descent (Yuan, ICML 2023) for the sparse-recovery ratio.

The objective ``(1/2 ||G x - y||^2 + lam ||x||_1) / (lam topk(|x|))`` restricted to
coordinate ``i`` is a ratio of a piecewise quadratic and a piecewise linear
function of the step ``t``: with ``u = |x_i + t|`` and, among the other
entries, ``A`` the sum of the ``k`` largest magnitudes and ``a`` the ``k``-th
largest, ``topk = A + (u - a)_+``. On each of the four pieces cut at
``x_i + t in {-a, 0, a}`` the stationary points of ``q / d`` solve a
quadratic equation; the global minimiser is among them and the pieces' ends.
"""

import numpy as np

from ..._core.jit import kernel

__all__ = ["fractional_sweep", "fractional_sweep_numpy"]


@kernel
def _others_top_k(magnitude, i, k):
    """Sum of the ``k`` largest entries of ``magnitude`` without entry ``i``, and the ``k``-th largest (0 if fewer)."""
    n = magnitude.size
    if k >= n:
        return magnitude.sum() - magnitude[i], 0.0
    others = np.empty(n - 1)
    c = 0
    for j in range(n):
        if j != i:
            others[c] = magnitude[j]
            c += 1
    part = np.partition(others, n - 1 - k)
    kth = part[n - 1 - k]
    total = 0.0
    for j in range(n - 1 - k, n - 1):
        total += part[j]
    return total, kth


@kernel
def _ratio(t, q2, q1, q0, lam, xi, top_sum, kth):
    u = abs(xi + t)
    den = lam * (top_sum + max(u - kth, 0.0))
    return (q2 * t * t + q1 * t + q0 + lam * u) / den if den > 0.0 else np.inf


@kernel
def _best_step(q2, q1, q0, lam, xi, top_sum, kth):
    """Global minimiser over ``t`` of ``(q2 t^2 + q1 t + q0 + lam |xi + t|) / (lam (top_sum + (|xi + t| - kth)_+))``
    (0 unless a candidate is strictly better)."""
    cuts = np.array([-kth - xi, -xi, kth - xi])
    best_t, best = 0.0, _ratio(0.0, q2, q1, q0, lam, xi, top_sum, kth)
    for piece in range(4):
        lo = -np.inf if piece == 0 else cuts[piece - 1]
        hi = np.inf if piece == 3 else cuts[piece]
        if lo > hi:
            continue
        mid = 0.5 * (lo + hi) if np.isfinite(lo) and np.isfinite(hi) else (hi - 1.0 if np.isfinite(hi) else lo + 1.0)
        sign = 1.0 if xi + mid >= 0.0 else -1.0
        # numerator on the piece: q2 t^2 + b t + c; denominator: e t + f (exact on the piece)
        b, c = q1 + lam * sign, q0 + lam * sign * xi
        over = abs(xi + mid) > kth
        e = lam * sign if over else 0.0
        f = lam * (top_sum + (sign * xi - kth if over else 0.0))
        candidates = np.array([lo, hi, np.nan, np.nan])
        # d/dt (q / d) = 0  <=>  q2 e t^2 + 2 q2 f t + (b f - c e) = 0
        qa, qb, qc = q2 * e, 2.0 * q2 * f, b * f - c * e
        if qa == 0.0:
            if qb != 0.0:
                candidates[2] = -qc / qb
        else:
            disc = qb * qb - 4.0 * qa * qc
            if disc >= 0.0:
                root = np.sqrt(disc)
                candidates[2] = (-qb + root) / (2.0 * qa)
                candidates[3] = (-qb - root) / (2.0 * qa)
        for t in candidates:
            if not np.isfinite(t) or t < lo or t > hi:
                continue
            value = _ratio(t, q2, q1, q0, lam, xi, top_sum, kth)
            if value < best:
                best, best_t = value, t
    return best_t


@kernel
def fractional_sweep(G, r, x, col_sq, lam, k, theta):
    """One cyclic sweep over the coordinates, in place on ``x`` and the residual ``r = G x - y``.

    Parameters
    ----------
    G : ndarray of shape (m, n), Fortran order
        The design.
    r : ndarray of shape (m,)
        The residual ``G x - y`` (updated).
    x : ndarray of shape (n,)
        The iterate (updated).
    col_sq : ndarray of shape (n,)
        ``||G_i||^2``.
    lam : float
        The l1 weight (``lam > 0``).
    k : int
        Entries in the top-k denominator.
    theta : float
        Proximal weight ``theta t^2 / 2`` added to each one-dimensional numerator (the paper's 1e-5).

    Returns
    -------
    float
        Sum of ``|t|`` over the sweep.
    """
    m, n = G.shape
    moved = 0.0
    magnitude = np.abs(x)
    l1 = magnitude.sum()
    for i in range(n):
        g = 0.0
        for row in range(m):
            g += G[row, i] * r[row]
        half_sq = 0.0
        for row in range(m):
            half_sq += r[row] * r[row]
        q2 = 0.5 * (col_sq[i] + theta)
        q0 = 0.5 * half_sq + lam * (l1 - magnitude[i])
        top_sum, kth = _others_top_k(magnitude, i, k)
        t = _best_step(q2, g, q0, lam, x[i], top_sum, kth)
        if t != 0.0:
            x[i] += t
            for row in range(m):
                r[row] += t * G[row, i]
            l1 += abs(x[i]) - magnitude[i]
            magnitude[i] = abs(x[i])
            moved += abs(t)
    return moved


def fractional_sweep_numpy(G, r, x, col_sq, lam, k, theta):
    """NumPy twin of :func:`fractional_sweep` (the test oracle); the 1-D minimiser by dense enumeration of the
    same candidates, written without the kernel's helpers."""
    n = G.shape[1]
    moved = 0.0
    for i in range(n):
        others = np.delete(np.abs(x), i)
        top = np.sort(others)[::-1]
        top_sum, kth = (top[:k].sum(), top[k - 1]) if k <= others.size else (others.sum(), 0.0)
        q2 = 0.5 * (col_sq[i] + theta)
        g = G[:, i] @ r
        q0 = 0.5 * (r @ r) + lam * (np.abs(x).sum() - abs(x[i]))

        def ratio(t):
            u = abs(x[i] + t)
            den = lam * (top_sum + max(u - kth, 0.0))
            return (q2 * t * t + g * t + q0 + lam * u) / den if den > 0 else np.inf

        cuts = sorted([-kth - x[i], -x[i], kth - x[i]])
        candidates = [0.0, *cuts]
        bounds = [-np.inf, *cuts, np.inf]
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            mid = 0.5 * (lo + hi) if np.isfinite(lo) and np.isfinite(hi) else (hi - 1.0 if np.isfinite(hi) else lo + 1.0)
            sign = 1.0 if x[i] + mid >= 0 else -1.0
            over = abs(x[i] + mid) > kth
            b, c = g + lam * sign, q0 + lam * sign * x[i]
            e = lam * sign if over else 0.0
            f = lam * (top_sum + (sign * x[i] - kth if over else 0.0))
            roots = np.roots([q2 * e, 2 * q2 * f, b * f - c * e]) if (q2 * e, 2 * q2 * f) != (0.0, 0.0) else []
            candidates += [float(t.real) for t in np.atleast_1d(roots) if abs(t.imag) == 0 and lo <= t.real <= hi]
        values = [ratio(t) for t in candidates]
        t = candidates[int(np.argmin(values))]
        if values[int(np.argmin(values))] < ratio(0.0):
            x[i] += t
            r += t * G[:, i]
            moved += abs(t)
    return moved
