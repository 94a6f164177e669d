"""numba kernels of greedy block coordinate descent on a quadratic model, and their NumPy twins.

Every kernel minimises ``q(x) = 1/2 x^T G x + h^T x + l1 ||x||_1`` over the coordinates of a working set, given
the Gram matrix ``G`` (positive semidefinite, dense, C-ordered) and the gradient ``grad = G x + h``, which it
keeps exact: moving block ``b`` by ``d_b`` adds ``G[:, b] d_b`` to ``grad``, ``O(|W| |b|)`` operations, and the
selection scores of every coordinate are recomputed in the same pass (so the argmax costs nothing extra: every
gradient entry changes at every step when ``G`` is dense; ``G`` is symmetric, so its rows are read, contiguously, which makes a heap cost ``O(|W| log |W|)`` instead).

Rule codes: 0 Gauss-Southwell (``|s_j|``, the minimum-norm subgradient), 1 Gauss-Southwell-Lipschitz
(``|s_j| / sqrt(L_j)``), 2 Gauss-Southwell-quadratic (the decrease of ``q`` the step guarantees). Update codes:
0 ``Lb`` (one proximal step with the block's Lipschitz constant), 1 exact block minimisation.
"""

import numpy as np

from ..._core.jit import kernel

__all__ = [
    "block_cd",
    "block_cd_twin",
    "greedy_cd",
    "greedy_cd_twin",
    "sweep_cd",
    "sweep_cd_twin",
]


@kernel
def _coordinate(g, xj, L, l1, rule):
    """Violation ``|s_j|``, selection score and proximal step ``d_j`` of one coordinate."""
    if xj > 0.0:
        v = abs(g + l1)
    elif xj < 0.0:
        v = abs(g - l1)
    else:
        v = max(abs(g) - l1, 0.0)
    if L <= 0.0:
        return 0.0, 0.0, 0.0
    u = xj - g / L
    t = l1 / L
    xn = u - t if u > t else (u + t if u < -t else 0.0)
    d = xn - xj
    if rule == 0:
        score = v
    elif rule == 1:
        score = v / np.sqrt(L)
    else:
        score = -(g * d + 0.5 * L * d * d + l1 * (abs(xn) - abs(xj)))
    return v, score, d


def _coordinate_twin(g, xj, L, l1, rule):
    v = abs(g + l1) if xj > 0 else (abs(g - l1) if xj < 0 else max(abs(g) - l1, 0.0))
    if L <= 0:
        return 0.0, 0.0, 0.0
    u = xj - g / L
    xn = np.sign(u) * max(abs(u) - l1 / L, 0.0)
    d = xn - xj
    score = [v, v / np.sqrt(L), -(g * d + 0.5 * L * d * d + l1 * (abs(xn) - abs(xj)))][rule]
    return v, score, d


@kernel
def _score(g, xj, L, inv_L, l1, rule):
    """``(violation, score, step)`` of one coordinate, from precomputed ``1 / L`` (the hot loop's version)."""
    if xj > 0.0:
        v = abs(g + l1)
    elif xj < 0.0:
        v = abs(g - l1)
    else:
        v = abs(g) - l1
        if v < 0.0:
            v = 0.0
    u = xj - g * inv_L
    t = l1 * inv_L
    xn = u - t if u > t else (u + t if u < -t else 0.0)
    d = xn - xj
    if rule == 0:
        return v, v, d
    if rule == 1:
        return v, v * v * inv_L, d
    return v, -(g * d + 0.5 * L * d * d + l1 * (abs(xn) - abs(xj))), d


@kernel
def greedy_cd(G, grad, x, l1, rule, max_steps, tol):
    """Single-coordinate greedy descent: pick the best score, minimise exactly along it, repeat.

    Stops when the largest violation ``max_j |s_j|`` is at most ``tol`` or after ``max_steps`` updates.
    ``grad`` and ``x`` are updated in place. Returns ``(steps, largest violation)``. (GSL is ranked by
    ``s_j^2 / L_j``, the square of the rule's score: the same order.)
    """
    m = x.shape[0]
    L = np.empty(m)
    inv_L = np.zeros(m)
    for k in range(m):
        L[k] = G[k, k]
        if L[k] > 0.0:
            inv_L[k] = 1.0 / L[k]
    best, vmax, dbest, best_score = -1, 0.0, 0.0, -1.0
    for k in range(m):
        v, s, d = _score(grad[k], x[k], L[k], inv_L[k], l1, rule)
        if inv_L[k] == 0.0:
            v, s, d = 0.0, 0.0, 0.0
        vmax = max(vmax, v)
        if s > best_score:
            best, best_score, dbest = k, s, d
    steps = 0
    while steps < max_steps and vmax > tol and best >= 0:
        j, d = best, dbest
        x[j] += d
        steps += 1
        best, vmax, best_score = -1, 0.0, -1.0
        row = G[j]
        for k in range(m):
            g = grad[k] + d * row[k]
            grad[k] = g
            if inv_L[k] == 0.0:
                continue
            v, s, dk = _score(g, x[k], L[k], inv_L[k], l1, rule)
            if v > vmax:
                vmax = v
            if s > best_score:
                best, best_score, dbest = k, s, dk
    return steps, vmax


def greedy_cd_twin(G, grad, x, l1, rule, max_steps, tol):
    """NumPy twin of :func:`greedy_cd`."""
    steps = 0
    while True:
        triples = np.array([_coordinate_twin(grad[k], x[k], G[k, k], l1, rule) for k in range(x.shape[0])])
        vmax = float(triples[:, 0].max()) if len(x) else 0.0
        if steps >= max_steps or vmax <= tol or len(x) == 0:
            return steps, vmax
        score = triples[:, 1] ** 2 if rule == 1 else triples[:, 1]
        j = int(np.argmax(score))
        d = triples[j, 2]
        x[j] += d
        grad += d * G[j]
        steps += 1


@kernel
def sweep_cd(G, grad, x, l1, order, max_epochs, tol):
    """Coordinate descent in a given order (cyclic or random): ``order`` holds one epoch's coordinates per row.

    After each epoch (a row of ``order``, reused cyclically), stops if the largest violation is at most
    ``tol``. Returns ``(steps, largest violation)``.
    """
    m = x.shape[0]
    steps = 0
    vmax = 0.0
    for k in range(m):
        vmax = max(vmax, _coordinate(grad[k], x[k], G[k, k], l1, 0)[0])
    epoch = 0
    while epoch < max_epochs and vmax > tol:
        row = order[epoch % order.shape[0]]
        for j in row:
            d = _coordinate(grad[j], x[j], G[j, j], l1, 0)[2]
            if d != 0.0:
                x[j] += d
                for k in range(m):
                    grad[k] += d * G[j, k]
            steps += 1
        epoch += 1
        vmax = 0.0
        for k in range(m):
            vmax = max(vmax, _coordinate(grad[k], x[k], G[k, k], l1, 0)[0])
    return steps, vmax


def sweep_cd_twin(G, grad, x, l1, order, max_epochs, tol):
    """NumPy twin of :func:`sweep_cd`."""
    def violation():
        return max([_coordinate_twin(grad[k], x[k], G[k, k], l1, 0)[0] for k in range(len(x))], default=0.0)

    steps, epoch, vmax = 0, 0, violation()
    while epoch < max_epochs and vmax > tol:
        for j in order[epoch % order.shape[0]]:
            d = _coordinate_twin(grad[j], x[j], G[j, j], l1, 0)[2]
            x[j] += d
            grad += d * G[:, j]
            steps += 1
        epoch += 1
        vmax = violation()
    return steps, vmax


@kernel
def _block_step(G, grad, x, l1, block, Lb, update):
    """Move block ``block``: one prox step with constant ``Lb`` or exact minimisation; return the move."""
    nb = block.shape[0]
    d = np.zeros(nb)
    if update == 0:
        for i in range(nb):
            j = block[i]
            u = x[j] - grad[j] / Lb
            t = l1 / Lb
            d[i] = (u - t if u > t else (u + t if u < -t else 0.0)) - x[j]
        return d
    # Exact: coordinate sweeps on the block's own quadratic until no coordinate moves by more than a
    # 1e-13 fraction of the block's largest entry.
    gb = np.empty(nb)
    for i in range(nb):
        gb[i] = grad[block[i]]
    for _ in range(1000):
        change, size = 0.0, 0.0
        for i in range(nb):
            j = block[i]
            L = G[j, j]
            if L <= 0.0:
                continue
            xj = x[j] + d[i]
            u = xj - gb[i] / L
            t = l1 / L
            step = (u - t if u > t else (u + t if u < -t else 0.0)) - xj
            if step != 0.0:
                d[i] += step
                for k in range(nb):
                    gb[k] += step * G[j, block[k]]
            change = max(change, abs(step))
            size = max(size, abs(xj + step))
        if change <= 1e-13 * size:
            break
    return d


def _block_step_twin(G, grad, x, l1, block, Lb, update):
    if update == 0:
        u = x[block] - grad[block] / Lb
        return np.sign(u) * np.maximum(np.abs(u) - l1 / Lb, 0.0) - x[block]
    d = np.zeros(len(block))
    gb = grad[block].copy()
    Gbb = G[np.ix_(block, block)]
    for _ in range(1000):
        change, size = 0.0, 0.0
        for i, j in enumerate(block):
            L = G[j, j]
            if L <= 0:
                continue
            xj = x[j] + d[i]
            u = xj - gb[i] / L
            step = np.sign(u) * max(abs(u) - l1 / L, 0.0) - xj
            d[i] += step
            gb += step * Gbb[:, i]
            change, size = max(change, abs(step)), max(size, abs(xj + step))
        if change <= 1e-13 * size:
            break
    return d


@kernel
def block_cd(G, grad, x, l1, rule, tau, block_ptr, block_idx, block_L, update, max_steps, tol):
    """Greedy block coordinate descent with variable or fixed blocks.

    Variable blocks (``block_ptr`` of length 1): the ``tau`` coordinates of largest score form the block, and
    its constant is ``lambda_max(G_bb)``. Fixed blocks: block ``i`` is ``block_idx[block_ptr[i]:block_ptr[i+1]]``
    with constant ``block_L[i]``, scored by ``||s_b||`` (GS), ``||s_b||^2 / L_b`` (GSL) or the decrease of its
    ``Lb`` step (GSQ). Returns ``(steps, largest violation)``.
    """
    m = x.shape[0]
    fixed = block_ptr.shape[0] > 1
    v = np.zeros(m)
    s = np.zeros(m)
    dstep = np.zeros(m)
    steps = 0
    while True:
        vmax = 0.0
        for k in range(m):
            v[k], s[k], dstep[k] = _coordinate(grad[k], x[k], G[k, k], l1, rule)
            vmax = max(vmax, v[k])
        if steps >= max_steps or vmax <= tol:
            return steps, vmax
        if fixed:
            best, best_score = 0, -1.0
            for b in range(block_ptr.shape[0] - 1):
                Lb = block_L[b]
                score = 0.0
                for p in range(block_ptr[b], block_ptr[b + 1]):
                    j = block_idx[p]
                    if rule == 2:
                        u = x[j] - grad[j] / Lb
                        t = l1 / Lb
                        xn = u - t if u > t else (u + t if u < -t else 0.0)
                        dj = xn - x[j]
                        score -= grad[j] * dj + 0.5 * Lb * dj * dj + l1 * (abs(xn) - abs(x[j]))
                    else:
                        score += v[j] * v[j]
                if rule == 0:
                    score = np.sqrt(score)
                elif rule == 1:
                    score = score / Lb
                if score > best_score:
                    best, best_score = b, score
            block = block_idx[block_ptr[best]:block_ptr[best + 1]].copy()
            Lb = block_L[best]
        else:
            block = np.argsort(-s, kind="mergesort")[:tau].copy()
            Gbb = np.empty((block.shape[0], block.shape[0]))
            for a in range(block.shape[0]):
                for c in range(block.shape[0]):
                    Gbb[a, c] = G[block[a], block[c]]
            Lb = np.linalg.eigvalsh(Gbb)[-1]
        if Lb <= 0.0:
            return steps, vmax
        d = _block_step(G, grad, x, l1, block, Lb, update)
        for i in range(block.shape[0]):
            j = block[i]
            if d[i] != 0.0:
                x[j] += d[i]
                for k in range(m):
                    grad[k] += d[i] * G[j, k]
        steps += 1


def block_cd_twin(G, grad, x, l1, rule, tau, block_ptr, block_idx, block_L, update, max_steps, tol):
    """NumPy twin of :func:`block_cd`."""
    steps = 0
    while True:
        triples = np.array([_coordinate_twin(grad[k], x[k], G[k, k], l1, rule) for k in range(len(x))])
        v, s = triples[:, 0], triples[:, 1]
        vmax = float(v.max())
        if steps >= max_steps or vmax <= tol:
            return steps, vmax
        if len(block_ptr) > 1:
            scores = []
            for b in range(len(block_ptr) - 1):
                idx, Lb = block_idx[block_ptr[b]:block_ptr[b + 1]], block_L[b]
                if rule == 2:
                    u = x[idx] - grad[idx] / Lb
                    xn = np.sign(u) * np.maximum(np.abs(u) - l1 / Lb, 0.0)
                    dj = xn - x[idx]
                    scores.append(-np.sum(grad[idx] * dj + 0.5 * Lb * dj**2 + l1 * (np.abs(xn) - np.abs(x[idx]))))
                else:
                    sq = np.sum(v[idx] ** 2)
                    scores.append(np.sqrt(sq) if rule == 0 else sq / Lb)
            best = int(np.argmax(scores))
            block, Lb = block_idx[block_ptr[best]:block_ptr[best + 1]], block_L[best]
        else:
            block = np.argsort(-s, kind="mergesort")[:tau]
            Lb = np.linalg.eigvalsh(G[np.ix_(block, block)])[-1]
        if Lb <= 0:
            return steps, vmax
        d = _block_step_twin(G, grad, x, l1, block, Lb, update)
        x[block] += d
        grad += G[:, block] @ d
        steps += 1
