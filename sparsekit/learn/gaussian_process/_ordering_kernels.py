"""numba kernels of the Vecchia orderings: a KD-tree, maximin ordering and nearest earlier neighbours.

One static KD-tree (median splits, bounding boxes) serves both searches, so nothing is quadratic in n:

- maximin ordering (Schäfer, Katzfuss and Owhadi, 2021): after point ``j`` is picked with distance ``l_j`` to
  the points picked before it, only the points within ``l_j`` of ``x_j`` can get closer to the picked set (the
  current maximum is ``l_j``), so one ball query per pick updates every distance; an indexed max-heap picks the next
  point. The total ball output is ``O(n log n)`` for data of bounded dimension;
- the ``k`` nearest *earlier* points of each point: a kNN search in which points of rank at least the query's
  are skipped and subtrees holding none of rank below it are pruned.

Each kernel has a plain NumPy twin (``*_twin``), quadratic, used as the test oracle.
"""

import numpy as np

from ..._core.jit import kernel

LEAF_SIZE = 16


@kernel
def build_kdtree(X):
    """Return ``(perm, start, end, left, right, lo, hi)``: node ``v`` holds ``perm[start[v]:end[v]]``."""
    n, d = X.shape
    capacity = 4 * (n // LEAF_SIZE + 1) + 1
    start = np.empty(capacity, np.int64)
    end = np.empty(capacity, np.int64)
    left = np.full(capacity, -1, np.int64)
    right = np.full(capacity, -1, np.int64)
    lo = np.empty((capacity, d))
    hi = np.empty((capacity, d))
    perm = np.arange(n)
    start[0], end[0] = 0, n
    n_nodes = 1
    stack = [0]
    while len(stack) > 0:
        v = stack.pop()
        s, e = start[v], end[v]
        for j in range(d):
            lo[v, j] = np.inf
            hi[v, j] = -np.inf
        for t in range(s, e):
            for j in range(d):
                value = X[perm[t], j]
                lo[v, j] = min(lo[v, j], value)
                hi[v, j] = max(hi[v, j], value)
        if e - s <= LEAF_SIZE:
            continue
        dim = 0
        for j in range(1, d):
            if hi[v, j] - lo[v, j] > hi[v, dim] - lo[v, dim]:
                dim = j
        block = perm[s:e].copy()
        keys = np.empty(e - s)
        for t in range(e - s):
            keys[t] = X[block[t], dim]
        perm[s:e] = block[np.argsort(keys, kind="mergesort")]
        middle = (s + e) // 2
        for child, (cs, ce) in enumerate(((s, middle), (middle, e))):
            start[n_nodes], end[n_nodes] = cs, ce
            if child == 0:
                left[v] = n_nodes
            else:
                right[v] = n_nodes
            stack.append(n_nodes)
            n_nodes += 1
    return perm, start[:n_nodes], end[:n_nodes], left[:n_nodes], right[:n_nodes], lo[:n_nodes], hi[:n_nodes]


@kernel
def _box_distance2(lo, hi, v, x):
    total = 0.0
    for j in range(x.shape[0]):
        if x[j] < lo[v, j]:
            total += (lo[v, j] - x[j]) ** 2
        elif x[j] > hi[v, j]:
            total += (x[j] - hi[v, j]) ** 2
    return total


@kernel
def _distance2(X, p, x):
    total = 0.0
    for j in range(x.shape[0]):
        total += (X[p, j] - x[j]) ** 2
    return total


@kernel
def _sift_down(heap, position, key, size, slot):
    """Restore the max-heap order by ``(key, lowest index)`` below ``slot`` after its key decreased."""
    p = heap[slot]
    while True:
        child = 2 * slot + 1
        if child >= size:
            break
        c = heap[child]
        if child + 1 < size:
            other = heap[child + 1]
            if key[other] > key[c] or (key[other] == key[c] and other < c):
                child, c = child + 1, other
        if key[c] > key[p] or (key[c] == key[p] and c < p):
            heap[slot] = c
            position[c] = slot
            slot = child
        else:
            break
    heap[slot] = p
    position[p] = slot


@kernel
def maximin_kernel(X):
    """Exact maximin ordering of the rows of ``X``; returns ``(order, distances)``.

    The first point is the one nearest the centroid (lowest index on ties), its distance the largest from it to
    any point; then each step picks the point farthest from the points already picked (lowest index on ties).
    """
    n, d = X.shape
    perm, start, end, left, right, lo, hi = build_kdtree(X)
    centre = np.zeros(d)
    for i in range(n):
        for j in range(d):
            centre[j] += X[i, j] / n
    first = 0
    best = np.inf
    for i in range(n):
        dist2 = _distance2(X, i, centre)
        if dist2 < best:
            best, first = dist2, i
    dist2 = np.full(n, np.inf)
    picked = np.zeros(n, np.bool_)
    order = np.empty(n, np.int64)
    distances = np.empty(n)
    # an indexed max-heap of the unpicked points by (distance, lowest index): a distance that decreases moves
    # its point down in place, so the heap never holds more than n entries
    heap = np.empty(n, np.int64)
    position = np.full(n, -1, np.int64)
    size = 0
    for i in range(n):  # all keys inf: ascending indices are a valid heap
        if i != first:
            heap[size] = i
            position[i] = size
            size += 1
    stack = np.empty(4 * 64, np.int64)
    current, current_d2 = first, np.inf
    for step in range(n):
        if step > 0:
            current = heap[0]
            position[current] = -1
            size -= 1
            if size > 0:
                heap[0] = heap[size]
                position[heap[0]] = 0
                _sift_down(heap, position, dist2, size, 0)
            current_d2 = dist2[current]
        picked[current] = True
        order[step] = current
        distances[step] = np.sqrt(current_d2) if step > 0 else 0.0
        x = X[current].copy()
        # every point within the current maximum distance of x may get closer to the picked set
        top = 0
        stack[top] = 0
        top += 1
        while top > 0:
            top -= 1
            v = stack[top]
            if _box_distance2(lo, hi, v, x) >= current_d2:
                continue
            if left[v] < 0:
                for t in range(start[v], end[v]):
                    p = perm[t]
                    if picked[p]:
                        continue
                    candidate = _distance2(X, p, x)
                    if candidate < dist2[p]:
                        dist2[p] = candidate
                        _sift_down(heap, position, dist2, size, position[p])
            else:
                stack[top] = left[v]
                stack[top + 1] = right[v]
                top += 2
    if n > 1:
        distances[0] = distances[1]
    return order, distances


def maximin_twin(X):
    """NumPy twin of :func:`maximin_kernel`: greedy farthest-point selection, ``O(n²)``."""
    n = X.shape[0]
    first = int(np.argmin(((X - X.mean(axis=0)) ** 2).sum(axis=1)))
    dist2 = ((X - X[first]) ** 2).sum(axis=1)
    order, distances = [first], [float(np.sqrt(dist2.max())) if n > 1 else 0.0]
    dist2[first] = -np.inf
    for _ in range(n - 1):
        current = int(np.argmax(dist2))
        order.append(current)
        distances.append(np.sqrt(dist2[current]))
        dist2 = np.minimum(dist2, ((X - X[current]) ** 2).sum(axis=1))
        dist2[order] = -np.inf
    return np.array(order, np.int64), np.array(distances)


@kernel
def _node_min_rank(start, end, perm, rank):
    out = np.empty(start.shape[0], np.int64)
    for v in range(start.shape[0]):
        smallest = rank.shape[0]
        for t in range(start[v], end[v]):
            smallest = min(smallest, rank[perm[t]])
        out[v] = smallest
    return out


#: Below this many points a scan of all of them beats the KD-tree (in 5 dimensions, measured).
BRUTE_FORCE_SIZE = 4096


@kernel
def _insert(best2, best, candidate, p):
    k = best2.shape[0]
    slot = k - 1
    while slot > 0 and best2[slot - 1] > candidate:
        best2[slot] = best2[slot - 1]
        best[slot] = best[slot - 1]
        slot -= 1
    best2[slot] = candidate
    best[slot] = p


@kernel
def _earlier_neighbors_scan(X, rank, Q, limit, k, radius2):
    """:func:`earlier_neighbors_kernel` by a scan of all points: coordinates stored feature-major in rank order,
    so that the distances of one query to all its earlier points are one vectorised pass per feature."""
    n, d = X.shape
    m = Q.shape[0]
    by_rank = np.argsort(rank, kind="mergesort")
    sorted_rank = np.empty(n, np.int64)
    XT = np.empty((d, n))
    for t in range(n):
        sorted_rank[t] = rank[by_rank[t]]
        for j in range(d):
            XT[j, t] = X[by_rank[t], j]
    neighbors = np.full((m, k), -1, np.int64)
    found2 = np.full((m, k), np.inf)
    dist2 = np.empty(n)
    sample = np.empty(k + 2)
    for q in range(m):
        count = np.searchsorted(sorted_rank, limit[q])  # the points of rank below the query's limit
        dist2[:count] = 0.0
        for j in range(d):
            x = Q[q, j]
            for t in range(count):
                diff = XT[j, t] - x
                dist2[t] += diff * diff
        best2 = found2[q]
        best = neighbors[q]
        bound = min(radius2[q], _sample_bound(dist2, count, k, sample))
        for t in range(count):
            if dist2[t] <= bound and dist2[t] < best2[k - 1]:
                _insert(best2, best, dist2[t], by_rank[t])
    return neighbors, np.sqrt(found2)


#: Stride of the sample from which :func:`_sample_bound` guesses the k-th smallest distance.
SAMPLE_STRIDE = 8


@kernel
def _sample_bound(dist2, count, k, sample):
    """An upper bound on the ``k``-th smallest of ``dist2[:count]`` that is usually tight, else ``inf``.

    The ``r``-th smallest of every ``SAMPLE_STRIDE``-th distance (``r`` about 1.5 k / stride) is a guess; if at
    least ``k`` distances are at most the guess it bounds the ``k``-th smallest, and the scan of candidates then
    inserts few that are pushed out later (the list's cost). The neighbours found are the same either way.
    """
    r = (3 * k) // (2 * SAMPLE_STRIDE) + 2
    if k < 8 or count < 4 * k or count // SAMPLE_STRIDE < r:
        return np.inf
    sample[:r] = np.inf
    for t in range(0, count, SAMPLE_STRIDE):
        value = dist2[t]
        if value < sample[r - 1]:
            slot = r - 1
            while slot > 0 and sample[slot - 1] > value:
                sample[slot] = sample[slot - 1]
                slot -= 1
            sample[slot] = value
    guess = sample[r - 1]
    below = 0
    for t in range(count):
        below += dist2[t] <= guess
    return guess if below >= k else np.inf


@kernel
def earlier_neighbors_kernel(X, rank, Q, limit, k, radius2):
    """For each query row ``Q[q]``: the ``k`` rows ``p`` of ``X`` nearest to it with ``rank[p] < limit[q]``
    and squared distance at most ``radius2[q]`` (``inf``: no radius).

    Returns ``(neighbors, distances)`` of shape ``(len(Q), k)``, nearest first; ``-1`` / ``inf`` where fewer
    than ``k`` points qualify. A KD-tree search, or a scan of all points below ``BRUTE_FORCE_SIZE`` of them.
    """
    m, d = Q.shape
    if X.shape[0] <= BRUTE_FORCE_SIZE:
        return _earlier_neighbors_scan(X, rank, Q, limit, k, radius2)
    perm, start, end, left, right, lo, hi = build_kdtree(X)
    min_rank = _node_min_rank(start, end, perm, rank)
    # points and ranks in tree order: the leaf scans read memory contiguously
    Xp = np.empty((X.shape[0], d))
    rank_p = np.empty(X.shape[0], np.int64)
    for t in range(X.shape[0]):
        Xp[t] = X[perm[t]]
        rank_p[t] = rank[perm[t]]
    neighbors = np.full((m, k), -1, np.int64)
    found2 = np.full((m, k), np.inf)
    stack = np.empty(4 * 64, np.int64)
    for q in range(m):
        x = Q[q]
        best2 = found2[q]
        best = neighbors[q]
        top = 0
        stack[top] = 0
        top += 1
        while top > 0:
            top -= 1
            v = stack[top]
            box2 = _box_distance2(lo, hi, v, x)
            if min_rank[v] >= limit[q] or box2 >= best2[k - 1] or box2 > radius2[q]:
                continue
            if left[v] < 0:
                for t in range(start[v], end[v]):
                    if rank_p[t] >= limit[q]:
                        continue
                    candidate = _distance2(Xp, t, x)
                    if candidate < best2[k - 1] and candidate <= radius2[q]:
                        _insert(best2, best, candidate, perm[t])
            else:
                # the nearer child last, so that it is searched first
                a, b = left[v], right[v]
                if _box_distance2(lo, hi, a, x) < _box_distance2(lo, hi, b, x):
                    a, b = b, a
                stack[top] = a
                stack[top + 1] = b
                top += 2
    return neighbors, np.sqrt(found2)


def earlier_neighbors_twin(X, rank, Q, limit, k, radius2):
    """NumPy twin of :func:`earlier_neighbors_kernel`: brute force over all pairs."""
    m = Q.shape[0]
    neighbors = np.full((m, k), -1, np.int64)
    distances = np.full((m, k), np.inf)
    for q in range(m):
        allowed = np.flatnonzero(rank < limit[q])
        dist2 = ((X[allowed] - Q[q]) ** 2).sum(axis=1)
        allowed, dist2 = allowed[dist2 <= radius2[q]], dist2[dist2 <= radius2[q]]
        keep = np.argsort(dist2, kind="stable")[:k]
        neighbors[q, : keep.size] = allowed[keep]
        distances[q, : keep.size] = np.sqrt(dist2[keep])
    return neighbors, distances
