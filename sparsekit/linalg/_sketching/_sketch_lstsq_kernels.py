"""numba kernel of sketch_lstsq: the fused normal-equations product of a CSR matrix.

The NumPy twin lives in ``tests/linalg/_sketch_reference.py``.
"""

from ..._core.jit import kernel

__all__ = ["csr_fused_normal"]


@kernel
def csr_fused_normal(indptr, indices, data, w, u, coef, t, z, z_u):
    """``t = A @ w - coef * u`` and ``z = A.T @ t`` in one pass over a CSR ``A``.

    Also returns ``||t||²``, and accumulates ``A.T @ u`` into ``z_u`` unless
    ``z_u`` is empty. Row ``i`` of ``A`` is read once: its dot product with
    ``w`` gives ``t[i]``, which is immediately scattered back into ``z``.
    ``z`` and ``z_u`` must be zero on entry.
    """
    with_u = z_u.shape[0] > 0
    n_rows = indptr.shape[0] - 1
    squared = 0.0
    for i in range(n_rows):
        start, stop = indptr[i], indptr[i + 1]
        value = 0.0
        for p in range(start, stop):
            value += data[p] * w[indices[p]]
        value -= coef * u[i]
        t[i] = value
        squared += value * value
        for p in range(start, stop):
            z[indices[p]] += data[p] * value
        if with_u:
            for p in range(start, stop):
                z_u[indices[p]] += data[p] * u[i]
    return squared
