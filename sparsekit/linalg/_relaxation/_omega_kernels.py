"""numba kernels of the omega-tuning policies: the Tsallis-INF normaliser and ChebCB's small least-squares fits.

A policy update runs once per system of a sequence; on small systems it costs
as much as the solve, so its few dense operations are compiled too.
"""

import numpy as np

from ..._core.jit import kernel

__all__ = ["tsallis_inf_probabilities", "givens_append", "min_norm_solution", "box_constrained_least_squares"]


@kernel
def tsallis_inf_probabilities(losses, eta):
    """Arm probabilities of 1/2-Tsallis-INF: ``p_i = 4 / (eta (L_i - x))^2`` with ``sum p = 1``.

    The normaliser ``x < min L`` is found by Newton's method started at
    ``min L - 2 / eta``, where ``sum p >= 1``: the sum is increasing and convex
    in ``x``, so the iterates decrease monotonically to the root and never
    cross the pole at ``min L``.
    """
    lowest = losses[0]
    for v in losses:
        lowest = min(lowest, v)
    x = lowest - 2.0 / eta
    p = np.empty(losses.shape[0])
    for _ in range(100):
        total = 0.0
        slope = 0.0
        for i in range(losses.shape[0]):
            pi = 4.0 / (eta * (losses[i] - x)) ** 2
            p[i] = pi
            total += pi
            slope += eta * pi**1.5
        x -= (total - 1.0) / slope
        if abs(total - 1.0) <= 1e-13:
            break
    return p / p.sum()


@kernel
def givens_append(factor, rotated, features, value):
    """Add the row ``(features, value)`` to a least-squares problem kept as ``||R theta - z||``.

    ``factor`` (upper triangular ``R``) and ``rotated`` (``z``) are updated in
    place by Givens rotations, so that ``R'R = F'F`` and ``R'z = F'y`` over all
    rows added: the fit then works with ``R``, whose condition number is that
    of ``F``, not its square as a Gram matrix's would be.
    """
    row = features.astype(np.float64)
    extra = float(value)
    m = row.shape[0]
    for k in range(m):
        if row[k] == 0.0:
            continue
        radius = np.hypot(factor[k, k], row[k])
        c, s = factor[k, k] / radius, row[k] / radius
        for j in range(k, m):
            upper, lower = factor[k, j], row[j]
            factor[k, j] = c * upper + s * lower
            row[j] = -s * upper + c * lower
        upper = rotated[k]
        rotated[k] = c * upper + s * extra
        extra = -s * upper + c * extra


@kernel
def min_norm_solution(factor, rotated):
    """Minimum-norm minimiser of ``||R theta - z||`` (SVD, singular values below round-off dropped)."""
    return np.linalg.lstsq(factor, rotated, -1.0)[0]


@kernel
def _restricted_minimiser(factor, rotated, theta, free):
    """Minimiser over the free coordinates of ``||R theta - z||``, the others held at their values."""
    index = np.nonzero(free)[0]
    rhs = rotated.copy()
    for j in range(theta.shape[0]):
        if not free[j]:
            rhs -= factor[:, j] * theta[j]
    target = theta.copy()
    if index.shape[0]:
        columns = np.empty((factor.shape[0], index.shape[0]))
        for a in range(index.shape[0]):
            columns[:, a] = factor[:, index[a]]
        target[index] = min_norm_solution(columns, rhs)
    return target


@kernel
def box_constrained_least_squares(factor, rotated, bounds, start, max_iter=50):
    """Minimise ``||R theta - z||`` over ``|theta_j| <= bounds_j`` (primal active set).

    From ``start`` clipped into the box (coordinates at a bound, or with a
    zero bound, start held), each step moves the free coordinates towards the
    minimiser of the problem restricted to them (minimum-norm, so a singular
    ``R`` is fine), stopping at the first bound met, which then holds that
    coordinate; at a restricted minimiser the held coordinate whose gradient
    points most inwards is released, until none does (the KKT conditions).
    """
    n = rotated.shape[0]
    theta = np.minimum(np.maximum(start, -bounds), bounds)
    held = (bounds <= 0) | (np.abs(theta) >= bounds)
    scale = (np.abs(factor).max() + 1e-300) * (np.abs(factor).max() * max(bounds.max(), 1.0)
                                               + np.abs(rotated).max())
    for _ in range(max_iter):
        step = _restricted_minimiser(factor, rotated, theta, ~held) - theta
        if np.abs(step).max() > 1e-14 * (1.0 + np.abs(theta).max()):
            # Largest fraction of the step that stays in the box, and the coordinate that stops it.
            fraction, blocking = 1.0, -1
            for j in range(n):
                if abs(theta[j] + step[j]) > bounds[j]:
                    room = (bounds[j] - theta[j]) if step[j] > 0 else (-bounds[j] - theta[j])
                    if room / step[j] < fraction:
                        fraction, blocking = room / step[j], j
            theta = np.minimum(np.maximum(theta + max(fraction, 0.0) * step, -bounds), bounds)
            if blocking >= 0:
                theta[blocking] = bounds[blocking] if step[blocking] > 0 else -bounds[blocking]
                held[blocking] = True
            continue
        gradient = factor.T @ (factor @ theta - rotated)
        release, inward = -1, 1e-12 * scale
        for j in range(n):
            if held[j] and bounds[j] > 0:
                push = gradient[j] if theta[j] > 0 else -gradient[j]
                if push > inward:
                    release, inward = j, push
        if release < 0:
            break
        held[release] = False
    return theta
