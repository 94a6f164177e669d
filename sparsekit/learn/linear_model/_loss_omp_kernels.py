"""The LAD selection of loss-based OMP: one weighted median per candidate column (numba kernel and NumPy twin).

For a residual ``r`` and a unit-norm column ``u``, the best single-coordinate
step of the LAD-LASSO loss ``||r - t u||_1 + mu |t|`` is the weighted median of
the points ``r_i / u_i`` (weights ``|u_i|``) and ``0`` (weight ``mu``), since
``|r_i - t u_i| = |u_i| |r_i / u_i - t|``; the gain is the decrease of that loss.
"""

import numpy as np

from ..._core.jit import kernel

__all__ = ["lad_selection", "lad_selection_numpy"]


@kernel
def _weighted_median(points, weights, count, half, hint):
    """A minimiser of ``sum_k weights[k] |points[k] - t|``: the point where the cumulative weight reaches ``half``.

    Weighted quickselect with a three-way partition (expected O(count)), whose first pivot is ``hint`` (the
    previous step's answer: the residual changes little between greedy steps); reorders both arrays in place.
    """
    lo, hi = 0, count - 1
    first = True
    while True:
        if first:
            pivot = hint
            first = False
        else:
            a, b, c = points[lo], points[(lo + hi) // 2], points[hi]
            pivot = max(min(a, b), min(max(a, b), c))  # median of three
        # three-way partition of [lo, hi]: [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot
        lt, i, gt = lo, lo, hi
        while i <= gt:
            if points[i] < pivot:
                points[lt], points[i] = points[i], points[lt]
                weights[lt], weights[i] = weights[i], weights[lt]
                lt += 1
                i += 1
            elif points[i] > pivot:
                points[gt], points[i] = points[i], points[gt]
                weights[gt], weights[i] = weights[i], weights[gt]
                gt -= 1
            else:
                i += 1
        below = 0.0
        for k in range(lo, lt):
            below += weights[k]
        if below >= half and lt > lo:
            hi = lt - 1
            continue
        equal = 0.0
        for k in range(lt, gt + 1):
            equal += weights[k]
        if below + equal >= half and gt >= lt:
            return pivot
        if gt >= hi:  # only rounding can leave no point above: the largest point is the answer
            return points[lt - 1] if gt < lt else pivot
        half -= below + equal
        lo = gt + 1


@kernel
def lad_selection(U, r, mu, candidate, hint):
    """Gain and step of the best single-coordinate LAD step on every candidate column.

    Parameters
    ----------
    U : ndarray of shape (m, N), float64
        The unit-norm columns (Fortran order is fastest).
    r : ndarray of shape (m,)
        The residual.
    mu : ndarray of shape (N,)
        Per-column penalty ``alpha * weights``.
    candidate : ndarray of shape (N,), bool
        Columns to score; the others get gain ``-inf`` and step 0.
    hint : ndarray of shape (N,)
        Guesses of the steps (the previous greedy step's), used as first pivots; any values give the same result.

    Returns
    -------
    gain, step : ndarray of shape (N,)
        ``||r||_1 - min_t (||r - t u_j||_1 + mu_j |t|)`` and the minimising ``t``.
    """
    m, n = U.shape
    gain = np.full(n, -np.inf)
    step = np.zeros(n)
    l1 = 0.0
    for i in range(m):
        l1 += abs(r[i])
    points = np.empty(m + 1)
    weights = np.empty(m + 1)
    for j in range(n):
        if not candidate[j]:
            continue
        count = 0
        total = 0.0
        for i in range(m):
            a = U[i, j]
            if a != 0.0:
                points[count] = r[i] / a
                weights[count] = abs(a)
                total += abs(a)
                count += 1
        if mu[j] > 0.0:
            points[count] = 0.0
            weights[count] = mu[j]
            total += mu[j]
            count += 1
        if count == 0:
            continue
        t = _weighted_median(points, weights, count, 0.5 * total, hint[j])
        loss = mu[j] * abs(t)
        for i in range(m):
            loss += abs(r[i] - t * U[i, j])
        gain[j] = l1 - loss
        step[j] = t
    return gain, step


def lad_selection_numpy(U, r, mu, candidate, hint):
    """NumPy twin of :func:`lad_selection` (the test oracle)."""
    n = U.shape[1]
    gain = np.full(n, -np.inf)
    step = np.zeros(n)
    l1 = np.abs(r).sum()
    for j in np.flatnonzero(candidate):
        u = U[:, j]
        keep = u != 0.0
        points, weights = r[keep] / u[keep], np.abs(u[keep])
        if mu[j] > 0.0:
            points, weights = np.append(points, 0.0), np.append(weights, mu[j])
        if points.size == 0:
            continue
        order = np.argsort(points)
        cumulative = np.cumsum(weights[order])
        t = points[order][np.searchsorted(cumulative, 0.5 * weights.sum())]
        gain[j] = l1 - (np.abs(r - t * u).sum() + mu[j] * abs(t))
        step[j] = t
    return gain, step
