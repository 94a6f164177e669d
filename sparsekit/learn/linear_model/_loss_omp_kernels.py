"""The LAD selection of loss-based OMP: one weighted median per candidate column (numba kernel and NumPy twin).

For a residual ``r`` and a unit-norm column ``u``, the best single-coordinate
step of the LAD-LASSO loss ``||r - t u||_1 + mu |t|`` is the weighted median of
the points ``r_i / u_i`` (weights ``|u_i|``) and ``0`` (weight ``mu``), since
``|r_i - t u_i| = |u_i| |r_i / u_i - t|``; the gain is the decrease of that loss.

The LAD refit ends with an exact descent over the vertices of the LAD linear
program (:func:`lad_vertex_descent`), whose line searches are weighted medians too.
"""

import numpy as np

from ..._core.jit import kernel

__all__ = ["lad_selection", "lad_selection_numpy", "lad_vertex_descent", "lad_vertex_descent_numpy"]


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


@kernel
def lad_vertex_descent(B, y, z, max_steps):
    """Exact minimiser of ``||y - B z||_1`` from a near-optimal ``z``: descent over the LP's vertices.

    At the vertex through the rows ``I`` of the ``p`` smallest residuals (``B_I z = y_I``), ``0`` is a
    subgradient iff ``lambda`` solving ``B_I^T lambda = B_O^T sign(r_O)`` (``O`` the other rows) has
    ``|lambda| <= 1``; otherwise the edge freeing the row of largest ``|lambda_k|`` descends at rate
    ``|lambda_k| - 1``, and the exact line search along it is a weighted median (the loss is convex and
    piecewise linear on the line), as in the Barrodale-Roberts simplex.

    Parameters
    ----------
    B : ndarray of shape (m, p), C-contiguous float64
        The support's columns.
    y : ndarray of shape (m,)
        The data.
    z : ndarray of shape (p,)
        The start.
    max_steps : int
        Most vertex steps.

    Returns
    -------
    z, loss : ndarray of shape (p,), float
        The best vertex met (or ``z``) and its l1 loss.
    """
    m, p = B.shape
    r = y - B @ z
    best = z.copy()
    best_loss = np.abs(r).sum()
    points = np.empty(m)
    weights = np.empty(m)
    for _ in range(max_steps):
        rows = np.argsort(np.abs(r))[:p]
        BI = np.ascontiguousarray(B[rows])
        if abs(np.linalg.det(BI)) == 0.0:
            break
        z = np.linalg.solve(BI, y[rows])
        r = y - B @ z
        loss = np.abs(r).sum()
        if not np.isfinite(loss):
            break
        if loss <= best_loss:
            best = z.copy()
            best_loss = loss
        other = np.ones(m, dtype=np.bool_)
        other[rows] = False
        g = np.zeros(p)
        for i in range(m):
            if other[i] and r[i] != 0.0:
                s = 1.0 if r[i] > 0.0 else -1.0
                for c in range(p):
                    g[c] += s * B[i, c]
        lam = np.linalg.solve(np.ascontiguousarray(BI.T), g)
        k = np.argmax(np.abs(lam))
        if abs(lam[k]) <= 1.0 + 1e-10:
            break
        unit = np.zeros(p)
        unit[k] = 1.0 if lam[k] > 0.0 else -1.0
        d = np.linalg.solve(BI, unit)
        slope = B @ d
        count = 0
        total = 0.0
        for i in range(m):
            if slope[i] != 0.0:
                points[count] = r[i] / slope[i]
                weights[count] = abs(slope[i])
                total += abs(slope[i])
                count += 1
        if count == 0:
            break
        z = z + _weighted_median(points, weights, count, 0.5 * total, 0.0) * d
        r = y - B @ z
    return best, best_loss


def lad_vertex_descent_numpy(B, y, z, max_steps):
    """NumPy twin of :func:`lad_vertex_descent` (the test oracle)."""
    m, p = B.shape
    r = y - B @ z
    best, best_loss = z.copy(), np.abs(r).sum()
    for _ in range(max_steps):
        rows = np.argsort(np.abs(r), kind="stable")[:p]
        BI = B[rows]
        if np.linalg.det(BI) == 0.0:
            break
        z = np.linalg.solve(BI, y[rows])
        r = y - B @ z
        loss = np.abs(r).sum()
        if not np.isfinite(loss):
            break
        if loss <= best_loss:
            best, best_loss = z.copy(), loss
        other = np.ones(m, dtype=bool)
        other[rows] = False
        lam = np.linalg.solve(BI.T, B[other].T @ np.sign(r[other]))
        k = int(np.argmax(np.abs(lam)))
        if abs(lam[k]) <= 1.0 + 1e-10:
            break
        d = np.linalg.solve(BI, np.eye(p)[k] * np.sign(lam[k]))
        slope = B @ d
        moving = slope != 0.0
        if not moving.any():
            break
        points, weights = r[moving] / slope[moving], np.abs(slope[moving])
        order = np.argsort(points, kind="stable")
        cumulative = np.cumsum(weights[order])
        z = z + points[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])] * d
        r = y - B @ z
    return best, best_loss
