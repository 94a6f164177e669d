"""numba kernel of greedy block coordinate descent on the multinomial logistic loss, and its NumPy twin.

The coefficients ``W`` (``p x K``) are updated one block of features (rows of ``W``, ``K`` coefficients each)
at a time. The kernel keeps the margins ``Z = A W`` (``n x K``), the probabilities ``P = softmax(Z)`` and the
gradient ``G = A^T (P - Y) / n + l2 W`` exact: moving block ``B`` by ``D`` changes ``Z`` on the rows where
``A_B`` has entries, ``O(nnz(A_B) K)``, and ``G`` on the features sharing those rows,
``O(sum_{i in rows} nnz(a_i) K)`` (CSR of ``A``). The twin recomputes everything from scratch at every step.

The step is the ``Lb`` update: one proximal step with ``L_B = lambda_max(A_B^T A_B) / (2 n) + l2``, a bound
on the block's Hessian (the softmax Hessian ``diag(p) - p p^T`` is at most ``1/2`` in norm). Penalty codes:
0 elementwise ℓ1 (``alpha sum |W_jk|``), 1 group ℓ1 (``alpha sum_j ||W_j||_2``). Rule codes: 0 GS (``||s_B||``,
``s`` the minimum-norm subgradient), 1 GSL (``||s_B||^2 / L_B``), 2 GSQ (the decrease the ``Lb`` step
guarantees), -1 the given order (cyclic or random, one row of ``order`` per call).
"""

import numpy as np

from ..._core.jit import kernel

__all__ = ["multinomial_cd", "multinomial_cd_twin", "row_violation", "row_violation_twin"]


@kernel
def row_violation(g, w, alpha, penalty):
    """Euclidean norm of the minimum-norm subgradient of one feature's row (``g``: its smooth gradient)."""
    K = g.shape[0]
    total = 0.0
    if penalty == 0:
        for k in range(K):
            if w[k] > 0.0:
                s = g[k] + alpha
            elif w[k] < 0.0:
                s = g[k] - alpha
            else:
                s = max(abs(g[k]) - alpha, 0.0)
            total += s * s
        return np.sqrt(total)
    norm_w = 0.0
    for k in range(K):
        norm_w += w[k] * w[k]
    norm_w = np.sqrt(norm_w)
    if norm_w > 0.0:
        for k in range(K):
            s = g[k] + alpha * w[k] / norm_w
            total += s * s
        return np.sqrt(total)
    for k in range(K):
        total += g[k] * g[k]
    return max(np.sqrt(total) - alpha, 0.0)


def row_violation_twin(g, w, alpha, penalty):
    """NumPy twin of :func:`row_violation`."""
    if penalty == 0:
        s = np.where(w > 0, g + alpha, np.where(w < 0, g - alpha, np.maximum(np.abs(g) - alpha, 0.0)))
        return float(np.linalg.norm(s))
    nw = np.linalg.norm(w)
    if nw > 0:
        return float(np.linalg.norm(g + alpha * w / nw))
    return max(float(np.linalg.norm(g)) - alpha, 0.0)


@kernel
def _prox_row(g, w, Lb, alpha, penalty, out):
    """``out`` = prox step of one row with constant ``Lb``; returns ``alpha (R(out) - R(w))``."""
    K = g.shape[0]
    t = alpha / Lb
    if penalty == 0:
        change = 0.0
        for k in range(K):
            u = w[k] - g[k] / Lb
            out[k] = u - t if u > t else (u + t if u < -t else 0.0)
            change += abs(out[k]) - abs(w[k])
        return alpha * change
    norm_u, norm_w = 0.0, 0.0
    for k in range(K):
        out[k] = w[k] - g[k] / Lb
        norm_u += out[k] * out[k]
        norm_w += w[k] * w[k]
    norm_u = np.sqrt(norm_u)
    shrink = 1.0 - t / norm_u if norm_u > t else 0.0
    for k in range(K):
        out[k] *= shrink
    return alpha * (shrink * norm_u - np.sqrt(norm_w))


@kernel
def _decrease(g, w, Lb, alpha, penalty, out):
    """Guaranteed decrease of the ``Lb`` prox step of one row (``out`` receives the new row)."""
    dpen = _prox_row(g, w, Lb, alpha, penalty, out)
    lin, sq = 0.0, 0.0
    for k in range(g.shape[0]):
        d = out[k] - w[k]
        lin += g[k] * d
        sq += d * d
    return -(lin + 0.5 * Lb * sq + dpen)


@kernel
def _block_constant(indptr, indices, data, block, n, l2, work):
    """``lambda_max(A_B^T A_B) / (2 n) + l2`` from the CSC columns of the block (``work``: zeros of length n)."""
    m = block.shape[0]
    gram = np.empty((m, m))
    for a in range(m):
        ja = block[a]
        for q in range(indptr[ja], indptr[ja + 1]):
            work[indices[q]] = data[q]
        for c in range(m):
            jc = block[c]
            s = 0.0
            for q in range(indptr[jc], indptr[jc + 1]):
                s += work[indices[q]] * data[q]
            gram[a, c] = s
        for q in range(indptr[ja], indptr[ja + 1]):
            work[indices[q]] = 0.0
    return np.linalg.eigvalsh(gram)[-1] / (2.0 * n) + l2


@kernel
def multinomial_cd(indptr, indices, data, rindptr, rindices, rdata, labels, Z, P, G, W, L, alpha, l2, penalty,
                   rule, block_ptr, block_idx, block_L, tau, order, max_updates, stop):
    """Block updates chosen by ``rule`` until the largest row violation is at most ``stop`` or ``max_updates``
    feature updates (a block counting its size) have been made; ``Z``, ``P``, ``G``, ``W`` change in place.

    Blocks: with ``tau == 0`` the fixed partition ``block_idx[block_ptr[b]:block_ptr[b + 1]]`` with constants
    ``block_L``; with ``tau > 0`` (greedy rules only) the ``tau`` features of best score under their own
    constants ``L`` form the block, and its constant is computed. ``order`` lists block numbers for rule -1.
    Returns ``(feature updates, largest row violation)``.
    """
    n, K = Z.shape
    p = W.shape[0]
    viol = np.empty(p)
    feat_score = np.empty(p)
    row = np.empty(K)
    work = np.zeros(n)
    touched = np.zeros(n, dtype=np.bool_)
    rows = np.empty(n, dtype=np.int64)
    old = np.empty(K)
    updates = 0
    position = 0
    while True:
        vmax = 0.0
        for j in range(p):
            viol[j] = row_violation(G[j], W[j], alpha, penalty)
            vmax = max(vmax, viol[j])
            if tau > 0:
                if rule == 0:
                    feat_score[j] = viol[j]
                elif rule == 1:
                    feat_score[j] = viol[j] * viol[j] / L[j]
                else:
                    feat_score[j] = _decrease(G[j], W[j], L[j], alpha, penalty, row)
        if vmax <= stop or updates >= max_updates:
            return updates, vmax
        if tau > 0:
            block = np.argsort(-feat_score, kind="mergesort")[:tau].copy()
            Lb = _block_constant(indptr, indices, data, block, n, l2, work)
            if Lb <= 0.0:  # only empty columns left to move, and nothing moves them
                return updates, vmax
        elif rule < 0:
            if position >= order.shape[0]:
                return updates, vmax
            b = order[position]
            position += 1
            block = block_idx[block_ptr[b]:block_ptr[b + 1]]
            Lb = block_L[b]
        else:
            best, best_score = 0, -1.0
            for b in range(block_ptr.shape[0] - 1):
                score = 0.0
                for q in range(block_ptr[b], block_ptr[b + 1]):
                    j = block_idx[q]
                    if rule == 2:
                        score += _decrease(G[j], W[j], block_L[b], alpha, penalty, row)
                    else:
                        score += viol[j] * viol[j]
                if rule == 0:
                    score = np.sqrt(score)
                elif rule == 1:
                    score = score / block_L[b]
                if score > best_score:
                    best, best_score = b, score
            block = block_idx[block_ptr[best]:block_ptr[best + 1]]
            Lb = block_L[best]
        # Move the block: margins first, then the probabilities and gradients of the touched samples.
        count = 0
        for a in range(block.shape[0]):
            j = block[a]
            _prox_row(G[j], W[j], Lb, alpha, penalty, row)
            for k in range(K):
                d = row[k] - W[j, k]
                row[k] = d
                W[j, k] += d
                G[j, k] += l2 * d
            for q in range(indptr[j], indptr[j + 1]):
                i = indices[q]
                v = data[q]
                for k in range(K):
                    Z[i, k] += v * row[k]
                if not touched[i]:
                    touched[i] = True
                    rows[count] = i
                    count += 1
        for c in range(count):
            i = rows[c]
            touched[i] = False
            zmax = Z[i, 0]
            for k in range(1, K):
                zmax = max(zmax, Z[i, k])
            total = 0.0
            for k in range(K):
                old[k] = P[i, k]
                P[i, k] = np.exp(Z[i, k] - zmax)
                total += P[i, k]
            for k in range(K):
                P[i, k] /= total
                old[k] = (P[i, k] - old[k]) / n
            for q in range(rindptr[i], rindptr[i + 1]):
                j = rindices[q]
                v = rdata[q]
                for k in range(K):
                    G[j, k] += v * old[k]
        updates += block.shape[0]


def _softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def multinomial_cd_twin(indptr, indices, data, rindptr, rindices, rdata, labels, Z, P, G, W, L, alpha, l2, penalty,
                        rule, block_ptr, block_idx, block_L, tau, order, max_updates, stop):
    """NumPy twin of :func:`multinomial_cd`: dense ``A``, everything recomputed at every step."""
    n, K = Z.shape
    p = W.shape[0]
    A = np.zeros((n, p))
    for j in range(p):
        A[indices[indptr[j]:indptr[j + 1]], j] = data[indptr[j]:indptr[j + 1]]
    Y = np.zeros((n, K))
    Y[np.arange(n), labels] = 1.0

    def new_row(j, Lb):
        u = W[j] - G[j] / Lb
        if penalty == 0:
            return np.sign(u) * np.maximum(np.abs(u) - alpha / Lb, 0.0)
        nu = np.linalg.norm(u)
        return u * max(1.0 - alpha / (Lb * nu), 0.0) if nu > 0 else u

    def penalty_of(w):
        return alpha * (np.abs(w).sum() if penalty == 0 else np.linalg.norm(w))

    def decrease(j, Lb):
        d = new_row(j, Lb) - W[j]
        return -(G[j] @ d + 0.5 * Lb * d @ d + penalty_of(W[j] + d) - penalty_of(W[j]))

    updates, position = 0, 0
    while True:
        viol = np.array([row_violation_twin(G[j], W[j], alpha, penalty) for j in range(p)])
        vmax = float(viol.max())
        if vmax <= stop or updates >= max_updates:
            return updates, vmax
        if tau > 0:
            score = [viol, viol**2 / L, np.array([decrease(j, L[j]) for j in range(p)])][rule]
            block = np.argsort(-score, kind="mergesort")[:tau]
            Lb = np.linalg.eigvalsh(A[:, block].T @ A[:, block])[-1] / (2 * n) + l2
            if Lb <= 0:
                return updates, vmax
        else:
            blocks = [block_idx[block_ptr[b]:block_ptr[b + 1]] for b in range(len(block_ptr) - 1)]
            if rule < 0:
                if position >= len(order):
                    return updates, vmax
                b = order[position]
                position += 1
            else:
                scores = [[np.sqrt(np.sum(viol[B] ** 2)), np.sum(viol[B] ** 2) / block_L[b],
                           sum(decrease(j, block_L[b]) for j in B)][rule] for b, B in enumerate(blocks)]
                b = int(np.argmax(scores))
            block, Lb = blocks[b], block_L[b]
        W[block] = np.array([new_row(j, Lb) for j in block])
        Z[:] = A @ W
        P[:] = _softmax(Z)
        G[:] = A.T @ (P - Y) / n + l2 * W
        updates += len(block)
