"""numba kernel of greedy coordinate descent on a sparse quadratic (label propagation), and its NumPy twin.

The quadratic ``1/2 x^T H x + h^T x`` has a sparse symmetric ``H`` (CSR: ``indptr``, ``indices``, ``data``,
diagonal included) with a positive diagonal ``diag``. The kernel keeps ``grad = H x + h`` exact: the exact
step on coordinate ``j`` adds ``d H[:, j]`` to ``grad``, ``O(deg j)``; the scores live in an indexed binary
max-heap (ties to the smaller index), so that selecting the best coordinate and updating the ``deg j + 1``
changed scores costs ``O(deg j log m)`` instead of the ``O(m)`` of a scan. The twin scans (``np.argmax``
returns the first maximum, the same tie rule).

Rule codes: 0 Gauss-Southwell (``|g_j|``), 1 Gauss-Southwell-Lipschitz (``|g_j| / sqrt(H_jj)``; for one
coordinate with exact steps also the GSQ rule), 2 cyclic (one sweep in order per ``m`` steps).
"""

import numpy as np

from ..._core.jit import kernel

__all__ = ["sparse_quadratic_cd", "sparse_quadratic_cd_twin"]


@kernel
def _score(g, hjj, rule):
    return abs(g) / np.sqrt(hjj) if rule == 1 else abs(g)


@kernel
def _above(key, a, b):
    """Whether heap entry ``a`` ranks above ``b``: larger key, ties to the smaller index."""
    return key[a] > key[b] or (key[a] == key[b] and a < b)


@kernel
def _sift_up(heap, pos, key, i):
    while i > 0:
        parent = (i - 1) // 2
        if not _above(key, heap[i], heap[parent]):
            break
        heap[i], heap[parent] = heap[parent], heap[i]
        pos[heap[i]] = i
        pos[heap[parent]] = parent
        i = parent


@kernel
def _sift_down(heap, pos, key, i):
    m = heap.shape[0]
    while True:
        best = i
        for child in (2 * i + 1, 2 * i + 2):
            if child < m and _above(key, heap[child], heap[best]):
                best = child
        if best == i:
            break
        heap[i], heap[best] = heap[best], heap[i]
        pos[heap[i]] = i
        pos[heap[best]] = best
        i = best


@kernel
def sparse_quadratic_cd(indptr, indices, data, diag, grad, x, rule, max_steps, stop):
    """Exact coordinate steps chosen by ``rule`` until ``||grad||_inf <= stop`` or ``max_steps`` steps.

    Returns the number of steps taken. The greedy rules stop when the best score certifies
    ``||grad||_inf <= stop`` (for GSL: ``score * sqrt(max diag) <= stop``); cyclic checks after every sweep."""
    m = x.shape[0]
    if m == 0:
        return 0
    scale = np.sqrt(diag.max()) if rule == 1 else 1.0
    if rule == 2:
        steps = 0
        while steps < max_steps:
            if np.abs(grad).max() <= stop:
                return steps
            for j in range(m):
                if steps >= max_steps:
                    break
                d = -grad[j] / diag[j]
                x[j] += d
                for k in range(indptr[j], indptr[j + 1]):
                    grad[indices[k]] += d * data[k]
                steps += 1
        return steps
    key = np.empty(m)
    for j in range(m):
        key[j] = _score(grad[j], diag[j], rule)
    heap = np.arange(m)
    pos = np.arange(m)
    for i in range(m // 2 - 1, -1, -1):
        _sift_down(heap, pos, key, i)
    for step in range(max_steps):
        j = heap[0]
        if key[j] * scale <= stop:
            return step
        d = -grad[j] / diag[j]
        x[j] += d
        for k in range(indptr[j], indptr[j + 1]):
            i = indices[k]
            grad[i] += d * data[k]
            new = _score(grad[i], diag[i], rule)
            old = key[i]
            key[i] = new
            if new > old:
                _sift_up(heap, pos, key, pos[i])
            else:
                _sift_down(heap, pos, key, pos[i])
    return max_steps


def sparse_quadratic_cd_twin(indptr, indices, data, diag, grad, x, rule, max_steps, stop):
    """NumPy twin of :func:`sparse_quadratic_cd` (selection by a full scan)."""
    m = x.shape[0]
    if m == 0:
        return 0
    if rule == 2:
        steps = 0
        while steps < max_steps:
            if np.abs(grad).max() <= stop:
                return steps
            for j in range(m):
                if steps >= max_steps:
                    break
                d = -grad[j] / diag[j]
                x[j] += d
                rows = slice(indptr[j], indptr[j + 1])
                grad[indices[rows]] += d * data[rows]
                steps += 1
        return steps
    scale = np.sqrt(diag.max()) if rule == 1 else 1.0
    for step in range(max_steps):
        key = np.abs(grad) / np.sqrt(diag) if rule == 1 else np.abs(grad)
        j = int(np.argmax(key))
        if key[j] * scale <= stop:
            return step
        d = -grad[j] / diag[j]
        x[j] += d
        rows = slice(indptr[j], indptr[j + 1])
        grad[indices[rows]] += d * data[rows]
    return max_steps
