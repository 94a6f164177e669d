"""numba kernels of fractional coordinate descent, each with a plain NumPy twin (the test oracle).

Sparse-recovery ratio ``F(x) = (1/2 ||G x - y||^2 + lam ||x||_1) / (lam topk(|x|))``. Moving coordinate ``i`` to
the value ``z`` changes the denominator only through ``|z|``: with ``P`` the sum of the ``k - 1`` largest ``|x_j|``
over ``j != i`` and ``v`` the ``k``-th largest of them (0 when there are fewer), ``topk = P + max(|z|, v)``. The
1-D problems are therefore piecewise on ``(-inf, -v], [-v, 0], [0, v], [v, inf)``: a quadratic over a constant or
over an affine function of ``z``, solved globally by enumerating the breakpoints and each piece's stationary points.

``|x|`` is kept sorted (descending, with a trailing 0 sentinel) so that ``P`` and ``v`` cost a binary search; moving
one value keeps it sorted by a shift over the entries between its old and new rank.

``l4`` ratio ``||x||^2 / ||A x||_4^2``: along a coordinate it is ``N(t) / sqrt(Q(t))`` with ``N`` quadratic and ``Q``
quartic; its stationary points are the roots of ``2 N' Q - N Q'``, a quartic (the ``t^5`` terms cancel).
"""

import math

import numpy as np

from ..._core.jit import kernel

# --------------------------------------------------------------------------------------------------------------
# sorted |x| and the top-k split
# --------------------------------------------------------------------------------------------------------------


@kernel
def topk_split(sv, k, a):
    """``(P, v)`` for a coordinate of magnitude ``a`` (stored in ``sv``): top-(k-1) sum and k-th value of the others."""
    s = 0.0
    for j in range(k):
        s += sv[j]
    if a >= sv[k - 1]:
        return s - a, sv[k]
    return s - sv[k - 1], sv[k - 1]


def topk_split_twin(sv, k, a):
    values = list(sv[:-1])
    values.remove(a)
    others = np.sort(np.asarray(values))[::-1]
    padded = np.concatenate([others, np.zeros(1)])
    return float(padded[: k - 1].sum()), float(padded[k - 1])


@kernel
def sorted_replace(sv, old, new):
    """Replace one entry equal to ``old`` by ``new`` in the descending array ``sv`` (last entry: a 0 sentinel)."""
    n = sv.shape[0] - 1
    lo, hi = 0, n - 1
    while lo < hi:  # first index with sv[p] <= old
        mid = (lo + hi) // 2
        if sv[mid] > old:
            lo = mid + 1
        else:
            hi = mid
    p = lo
    if new > old:
        while p > 0 and sv[p - 1] < new:
            sv[p] = sv[p - 1]
            p -= 1
    else:
        while p < n - 1 and sv[p + 1] > new:
            sv[p] = sv[p + 1]
            p += 1
    sv[p] = new


def sorted_replace_twin(sv, old, new):
    values = list(sv[:-1])
    values.remove(old)
    values.append(new)
    sv[:-1] = np.sort(np.asarray(values))[::-1]


# --------------------------------------------------------------------------------------------------------------
# the 1-D subproblems of the sparse-recovery ratio
# --------------------------------------------------------------------------------------------------------------


@kernel
def _quad_value(rr, g, curv, t):
    """``1/2 ||r + t c||^2 + theta/2 t^2`` written in ``t`` (no cancellation): ``rr/2 + t (g + curv t / 2)``."""
    return 0.5 * rr + t * (g + 0.5 * curv * t)


@kernel
def frac_l1topk_1d(rr, g, curv, xi, l1o, lam, P, v):
    """Global minimiser ``z`` of ``(q(z - xi) + lam (l1o + |z|)) / (lam (P + max(|z|, v)))`` (FCD's subproblem).

    ``q(t) = rr/2 + g t + curv t^2 / 2``; the current ``xi`` is kept unless a candidate is strictly better.
    """
    A = 0.5 * curv
    B = g - curv * xi
    C = 0.5 * rr - g * xi + A * xi * xi + lam * l1o  # q(z - xi) + lam l1o = A z^2 + B z + C
    cand = np.empty(11)
    cand[0] = xi
    cand[1] = 0.0
    cand[2] = v
    cand[3] = -v
    cand[4] = min(max(-(B + lam) / (2.0 * A), 0.0), v)
    cand[5] = min(max(-(B - lam) / (2.0 * A), -v), 0.0)
    m = 6
    for s in (1.0, -1.0):  # piece s z >= v, denominator lam (P + s z): roots of A z^2 + 2 s A P z + s b' P - C
        bp = B + s * lam
        disc = P * P - (s * bp * P - C) / A
        if disc >= 0.0:
            root = math.sqrt(disc)
            for z in (-s * P + root, -s * P - root):
                if s * z >= v:
                    cand[m] = z
                    m += 1
    best = xi
    best_f = math.inf
    for j in range(m):
        z = cand[j]
        den = lam * (P + max(abs(z), v))
        if den > 0.0:
            f = (_quad_value(rr, g, curv, z - xi) + lam * (l1o + abs(z))) / den
            if f < best_f or (j == 0 and f == best_f):
                best, best_f = z, f
    return best


def frac_l1topk_1d_twin(rr, g, curv, xi, l1o, lam, P, v):
    A, B = 0.5 * curv, g - curv * xi
    C = 0.5 * rr - g * xi + A * xi * xi + lam * l1o
    cand = [xi, 0.0, v, -v, np.clip(-(B + lam) / (2 * A), 0.0, v), np.clip(-(B - lam) / (2 * A), -v, 0.0)]
    for s in (1.0, -1.0):
        roots = np.roots([A, 2 * s * A * P, s * (B + s * lam) * P - C])
        cand += [float(z.real) for z in roots if abs(z.imag) == 0.0 and s * z.real >= v]
    z = np.asarray(cand, dtype=float)
    t = z - xi
    den = lam * (P + np.maximum(np.abs(z), v))
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(den > 0, (0.5 * rr + t * (g + 0.5 * curv * t) + lam * (l1o + np.abs(z))) / den, np.inf)
    j = int(np.argmin(f))
    return xi if f[0] <= f[j] else float(z[j])


@kernel
def diff_l1topk_1d(g, curv, xi, lam, clam, v):
    """Global minimiser ``z`` of ``q(z - xi) + lam |z| - clam max(|z|, v)`` (PCD's parametric subproblem)."""
    cand = np.empty(7)
    cand[0] = xi
    cand[1] = min(max(xi - (g + lam) / curv, 0.0), v)  # 0 <= z <= v
    cand[2] = min(max(xi - (g - lam) / curv, -v), 0.0)  # -v <= z <= 0
    cand[3] = max(xi - (g + lam - clam) / curv, v)  # z >= v
    cand[4] = min(xi - (g - lam + clam) / curv, -v)  # z <= -v
    cand[5] = v
    cand[6] = -v
    best = xi
    best_f = math.inf
    for j in range(7):
        z = cand[j]
        t = z - xi
        f = t * (g + 0.5 * curv * t) + lam * abs(z) - clam * max(abs(z), v)
        if f < best_f:
            best, best_f = z, f
    return best


def diff_l1topk_1d_twin(g, curv, xi, lam, clam, v):
    z = np.array([xi, np.clip(xi - (g + lam) / curv, 0, v), np.clip(xi - (g - lam) / curv, -v, 0),
                  max(xi - (g + lam - clam) / curv, v), min(xi - (g - lam + clam) / curv, -v), v, -v])
    t = z - xi
    f = t * (g + 0.5 * curv * t) + lam * np.abs(z) - clam * np.maximum(np.abs(z), v)
    return float(z[int(np.argmin(f))])


# --------------------------------------------------------------------------------------------------------------
# one cyclic epoch over the coordinates (dense Fortran-ordered G, or CSC arrays)
# --------------------------------------------------------------------------------------------------------------


@kernel
def _step(g, i, x, sv, state, colsq, k, lam, theta, parametric):
    """New value of ``x[i]`` given ``g = c_i . r``; updates ``x``, ``sv`` and ``state = [rr, l1, topk]``."""
    xi = x[i]
    a = abs(xi)
    P, v = topk_split(sv, k, a)
    curv = colsq[i] + theta
    if parametric:
        ratio = (0.5 * state[0] + lam * state[1]) / (lam * state[2])
        z = diff_l1topk_1d(g, curv, xi, lam, ratio * lam, v)
    else:
        z = frac_l1topk_1d(state[0], g, curv, xi, state[1] - a, lam, P, v)
    if z != xi:
        x[i] = z
        sorted_replace(sv, a, abs(z))
        state[1] += abs(z) - a
        state[2] = P + max(abs(z), v)
    return z - xi


@kernel
def ratio_epoch_dense(G, r, x, sv, state, colsq, k, lam, theta, parametric):
    """One cyclic pass; ``r = G x - y`` and ``state`` are kept up to date. Returns the ratio after the pass."""
    m, n = G.shape
    for i in range(n):
        g = 0.0
        for p in range(m):
            g += G[p, i] * r[p]
        t = _step(g, i, x, sv, state, colsq, k, lam, theta, parametric)
        if t != 0.0:
            rr = 0.0
            for p in range(m):
                r[p] += t * G[p, i]
                rr += r[p] * r[p]
            state[0] = rr
    return (0.5 * state[0] + lam * state[1]) / (lam * state[2])


@kernel
def ratio_epoch_csc(indptr, indices, data, r, x, sv, state, colsq, k, lam, theta, parametric):
    """:func:`ratio_epoch_dense` on the CSC arrays of ``G`` (``rr`` updated from the touched rows only)."""
    n = indptr.shape[0] - 1
    for i in range(n):
        g = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            g += data[p] * r[indices[p]]
        t = _step(g, i, x, sv, state, colsq, k, lam, theta, parametric)
        if t != 0.0:
            change = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                old = r[indices[p]]
                new = old + t * data[p]
                r[indices[p]] = new
                change += (new - old) * (new + old)
            state[0] += change
    return (0.5 * state[0] + lam * state[1]) / (lam * state[2])


def ratio_epoch_twin(G, r, x, sv, state, colsq, k, lam, theta, parametric):
    """Twin of :func:`ratio_epoch_dense`: the same pass with NumPy sorting and the twins of the 1-D solvers."""
    for i in range(G.shape[1]):
        col = G[:, i]
        g = float(col @ r)
        xi, a = float(x[i]), abs(float(x[i]))
        P, v = topk_split_twin(sv, k, a)
        curv = colsq[i] + theta
        if parametric:
            ratio = (0.5 * state[0] + lam * state[1]) / (lam * state[2])
            z = diff_l1topk_1d_twin(g, curv, xi, lam, ratio * lam, v)
        else:
            z = frac_l1topk_1d_twin(state[0], g, curv, xi, state[1] - a, lam, P, v)
        if z != xi:
            x[i] = z
            sorted_replace_twin(sv, a, abs(z))
            state[1] += abs(z) - a
            state[2] = P + max(abs(z), v)
            r += (z - xi) * col
            state[0] = float(r @ r)
    return (0.5 * state[0] + lam * state[1]) / (lam * state[2])


# --------------------------------------------------------------------------------------------------------------
# the l4 ratio ||x||^2 / ||A x||_4^2
# --------------------------------------------------------------------------------------------------------------


@kernel
def quartic_ratio_1d(a2, a1, a0, b4, b3, b2, b1, b0):
    """Global minimiser ``t`` of ``(a2 t^2 + a1 t + a0) / sqrt(b4 t^4 + ... + b0)`` over the reals (0 if no better)."""
    c = np.empty(5)
    c[0] = a2 * b3 - 2.0 * a1 * b4
    c[1] = 2.0 * a2 * b2 - a1 * b3 - 4.0 * a0 * b4
    c[2] = 3.0 * a2 * b1 - 3.0 * a0 * b3
    c[3] = 4.0 * a2 * b0 + a1 * b1 - 2.0 * a0 * b2
    c[4] = 2.0 * a1 * b0 - a0 * b1
    start = 0
    while start < 4 and c[start] == 0.0:
        start += 1
    best, best_f = 0.0, math.inf
    q0 = b0
    if q0 > 0.0:
        best_f = a0 / math.sqrt(q0)
    if start < 4:
        roots = np.roots(c[start:].astype(np.complex128))  # numba: complex in, complex roots out
        for root in roots:
            t = root.real
            q = (((b4 * t + b3) * t + b2) * t + b1) * t + b0
            if q > 0.0:
                f = ((a2 * t + a1) * t + a0) / math.sqrt(q)
                if f < best_f:
                    best, best_f = t, f
    return best


def quartic_ratio_1d_twin(a2, a1, a0, b4, b3, b2, b1, b0):
    P = np.polynomial.polynomial
    num, quart = np.array([a0, a1, a2]), np.array([b0, b1, b2, b3, b4])
    stationary = P.polysub(2 * P.polymul(P.polyder(num), quart), P.polymul(num, P.polyder(quart)))
    stationary = np.trim_zeros(np.asarray(stationary, dtype=float), "b")[:5]
    roots = P.polyroots(stationary) if stationary.size > 1 else np.array([])
    t = np.concatenate([[0.0], np.real(roots)])
    q = P.polyval(t, quart)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(q > 0, P.polyval(t, num) / np.sqrt(np.where(q > 0, q, 1.0)), np.inf)
    j = int(np.argmin(f))
    return 0.0 if f[0] <= f[j] else float(t[j])


@kernel
def l4_epoch(A, b, x, state, theta):
    """One cyclic pass on ``||x||^2 / ||A x||_4^2`` (``A`` Fortran-ordered, ``b = A x``, ``state = [||x||^2]``)."""
    m, n = A.shape
    for i in range(n):
        c1 = 0.0
        c2 = 0.0
        c3 = 0.0
        c4 = 0.0
        q0 = 0.0
        for p in range(m):
            a = A[p, i]
            bp = b[p]
            ab = a * bp
            bb = bp * bp
            q0 += bb * bb
            c1 += ab * bb
            c2 += ab * ab
            c3 += ab * a * a
            c4 += a * a * a * a
        t = quartic_ratio_1d(1.0 + theta, 2.0 * x[i], state[0], c4, 4.0 * c3, 6.0 * c2, 4.0 * c1, q0)
        if t != 0.0:
            x[i] += t
            for p in range(m):
                b[p] += t * A[p, i]
            s = 0.0
            for j in range(n):
                s += x[j] * x[j]
            state[0] = s
    s = 0.0
    for p in range(m):
        s += b[p] ** 4
    return state[0] / math.sqrt(s)


def l4_epoch_twin(A, b, x, state, theta):
    for i in range(A.shape[1]):
        a = A[:, i]
        q = [np.sum(b**4), 4 * np.sum(a * b**3), 6 * np.sum(a**2 * b**2), 4 * np.sum(a**3 * b), np.sum(a**4)]
        t = quartic_ratio_1d_twin(1.0 + theta, 2.0 * x[i], state[0], q[4], q[3], q[2], q[1], q[0])
        if t != 0.0:
            x[i] += t
            b += t * a
            state[0] = float(x @ x)
    return state[0] / np.sqrt(np.sum(b**4))
