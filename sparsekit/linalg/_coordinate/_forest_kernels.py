"""numba kernels of block coordinate descent over forest-structured blocks of a sparse quadratic, and their twins.

The quadratic ``1/2 x^T H x + h^T x`` has a sparse symmetric positive (semi)definite ``H`` (CSR, diagonal
included, positive diagonal ``diag``); its graph joins ``i`` and ``j`` when ``H_ij != 0``. A block whose induced
subgraph is a forest is minimised exactly by Gaussian elimination on the forest (message passing): eliminate
from the leaves to the roots, then substitute back from the roots to the leaves, ``O(|b|)`` operations plus
the ``O(nnz(H[:, b]))`` of reading the block's rows. The twins build the same blocks with an independent
acyclicity test and solve them with a dense solve.

Block modes: 0 a fixed partition into forests, the block chosen by ``rule``; 1 a forest grown greedily at
every step, nodes taken in decreasing order of score while they close no cycle (the paper's greedy tree
growth). Rule codes: 0 Gauss-Southwell (``|g_j|``, a fixed block scored by ``sum g_j^2``), 1
Gauss-Southwell-Lipschitz (``|g_j| / sqrt(H_jj)``, a fixed block scored by ``sum g_j^2 / H_jj``), 2 cyclic
(fixed blocks in turn).
"""

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from ..._core.jit import kernel

__all__ = ["forest_bcd", "forest_bcd_twin", "forest_solve", "forest_solve_twin", "grow_forest", "grow_forest_twin"]


@kernel
def _find(root, i):
    while root[i] != i:
        root[i] = root[root[i]]
        i = root[i]
    return i


@kernel
def grow_forest(indptr, indices, candidates, max_size):
    """Nodes of ``candidates``, in their order, that keep the induced subgraph a forest (at most ``max_size``).

    A node joins when no two of its neighbours already in the forest lie in the same tree (union-find).
    """
    m = indptr.shape[0] - 1
    root = np.arange(m)
    inside = np.zeros(m, dtype=np.bool_)
    seen = np.full(m, -1)
    block = np.empty(min(candidates.shape[0], max_size), dtype=np.int64)
    size = 0
    for v in candidates:
        if size >= max_size:
            break
        ok = True
        for q in range(indptr[v], indptr[v + 1]):
            u = indices[q]
            if u != v and inside[u]:
                r = _find(root, u)
                if seen[r] == v:
                    ok = False
                    break
                seen[r] = v
        if not ok:
            continue
        inside[v] = True
        block[size] = v
        size += 1
        for q in range(indptr[v], indptr[v + 1]):
            u = indices[q]
            if u != v and inside[u]:
                root[_find(root, u)] = v
    return block[:size].copy()


def grow_forest_twin(indptr, indices, candidates, max_size):
    """NumPy twin of :func:`grow_forest`: a node joins when the induced graph keeps ``edges = nodes - trees``."""
    m = len(indptr) - 1
    H = sparse.csr_array((np.ones(len(indices)), indices, indptr), shape=(m, m))
    H = sparse.csr_array(H - sparse.diags_array(H.diagonal()))
    H.eliminate_zeros()
    block = []
    for v in candidates:
        if len(block) >= max_size:
            break
        trial = np.array(block + [v])
        sub = H[trial][:, trial]
        trees = csgraph.connected_components(sub, directed=False)[0]
        if sub.nnz // 2 == len(trial) - trees:
            block.append(int(v))
    return np.array(block, dtype=np.int64)


@kernel
def forest_solve(indptr, indices, data, diag, block, rhs):
    """Solve ``H_bb d = rhs`` for a block whose graph is a forest, by elimination leaves-to-roots and back.

    A vanishing pivot (a tree without any tie to the rest of a singular ``H``) leaves its root at 0, a valid
    choice for the consistent singular system.
    """
    m = indptr.shape[0] - 1
    nb = block.shape[0]
    pos = np.full(m, -1)
    for a in range(nb):
        pos[block[a]] = a
    parent = np.full(nb, -1)
    weight = np.zeros(nb)
    order = np.empty(nb, dtype=np.int64)
    visited = np.zeros(nb, dtype=np.bool_)
    count = 0
    for start in range(nb):  # breadth-first order of every tree, roots first
        if visited[start]:
            continue
        visited[start] = True
        order[count] = start
        head = count
        count += 1
        while head < count:
            a = order[head]
            head += 1
            v = block[a]
            for q in range(indptr[v], indptr[v + 1]):
                c = pos[indices[q]]
                if c >= 0 and c != a and not visited[c]:
                    visited[c] = True
                    parent[c] = a
                    weight[c] = data[q]
                    order[count] = c
                    count += 1
    pivot = np.empty(nb)
    r = np.empty(nb)
    for a in range(nb):
        pivot[a] = diag[block[a]]
        r[a] = rhs[a]
    for t in range(nb - 1, -1, -1):  # leaves to roots: fold each node into its parent
        a = order[t]
        par = parent[a]
        if par >= 0 and pivot[a] > 0.0:
            pivot[par] -= weight[a] * weight[a] / pivot[a]
            r[par] -= weight[a] * r[a] / pivot[a]
    d = np.zeros(nb)
    for t in range(nb):  # roots to leaves
        a = order[t]
        if pivot[a] <= 1e-13 * diag[block[a]]:
            continue
        par = parent[a]
        d[a] = (r[a] - (weight[a] * d[par] if par >= 0 else 0.0)) / pivot[a]
    return d


def forest_solve_twin(indptr, indices, data, diag, block, rhs):
    """NumPy twin of :func:`forest_solve`: a dense solve of the block (least squares when it is singular)."""
    m = len(indptr) - 1
    H_bb = sparse.csr_array((data, indices, indptr), shape=(m, m))[block][:, block].toarray()
    return np.linalg.lstsq(H_bb, rhs, rcond=1e-13)[0]


@kernel
def forest_bcd(indptr, indices, data, diag, grad, x, mode, rule, part_ptr, part_idx, max_updates, stop):
    """Exact forest-block steps until ``||grad||_inf <= stop`` or ``max_updates`` coordinate updates.

    Returns ``(block steps, coordinate updates)``; ``grad = H x + h`` and ``x`` change in place.
    """
    m = x.shape[0]
    steps, updates, turn = 0, 0, 0
    if m == 0:
        return steps, updates
    key = np.empty(m)
    while updates < max_updates:
        if np.abs(grad).max() <= stop:
            break
        for j in range(m):
            key[j] = abs(grad[j]) / np.sqrt(diag[j]) if rule == 1 else abs(grad[j])
        if mode == 1:
            block = grow_forest(indptr, indices, np.argsort(-key, kind="mergesort"), m)
        else:
            best = turn % (part_ptr.shape[0] - 1)
            if rule != 2:
                best_score = -1.0
                for b in range(part_ptr.shape[0] - 1):
                    score = 0.0
                    for q in range(part_ptr[b], part_ptr[b + 1]):
                        score += key[part_idx[q]] * key[part_idx[q]]
                    if score > best_score:
                        best, best_score = b, score
            turn += 1
            block = part_idx[part_ptr[best]:part_ptr[best + 1]]
        rhs = np.empty(block.shape[0])
        for a in range(block.shape[0]):
            rhs[a] = -grad[block[a]]
        d = forest_solve(indptr, indices, data, diag, block, rhs)
        for a in range(block.shape[0]):
            j = block[a]
            x[j] += d[a]
            for q in range(indptr[j], indptr[j + 1]):
                grad[indices[q]] += d[a] * data[q]
        steps += 1
        updates += block.shape[0]
    return steps, updates


def forest_bcd_twin(indptr, indices, data, diag, grad, x, mode, rule, part_ptr, part_idx, max_updates, stop):
    """NumPy twin of :func:`forest_bcd`."""
    m = len(x)
    H = sparse.csr_array((data, indices, indptr), shape=(m, m))
    steps, updates, turn = 0, 0, 0
    while updates < max_updates and np.abs(grad).max() > stop:
        key = np.abs(grad) / np.sqrt(diag) if rule == 1 else np.abs(grad)
        if mode == 1:
            block = grow_forest_twin(indptr, indices, np.argsort(-key, kind="mergesort"), m)
        else:
            parts = [part_idx[part_ptr[b]:part_ptr[b + 1]] for b in range(len(part_ptr) - 1)]
            best = turn % len(parts) if rule == 2 else int(np.argmax([np.sum(key[B] ** 2) for B in parts]))
            turn += 1
            block = parts[best]
        d = forest_solve_twin(indptr, indices, data, diag, block, -grad[block])
        x[block] += d
        grad += H[:, block] @ d
        steps += 1
        updates += len(block)
    return steps, updates


def forest_partition(indptr, indices):
    """A fixed partition of the nodes into forests: each grown over the nodes left, in index order.

    Returns ``(ptr, idx)``: forest ``b`` is ``idx[ptr[b]:ptr[b + 1]]``. On a lattice numbered row by row the
    first forest is a comb (a full row, then every other node of the next rows...), and two or three forests
    cover it.
    """
    m = len(indptr) - 1
    left = np.arange(m, dtype=np.int64)
    parts = []
    while len(left):
        block = grow_forest(indptr, indices, left, m)
        parts.append(np.sort(block))
        left = np.setdiff1d(left, block, assume_unique=True)
    ptr = np.cumsum([0] + [len(b) for b in parts]).astype(np.int64)
    return ptr, np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
