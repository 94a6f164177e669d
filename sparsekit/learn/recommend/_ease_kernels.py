"""Numba kernels of EASE: the item Gram accumulated from sparse rows, and the in-place closed form; NumPy twins."""

import numpy as np

from ..._core.jit import kernel

__all__ = ["accumulate_gram", "accumulate_gram_twin", "weights_from_inverse", "weights_from_inverse_twin"]


@kernel
def accumulate_gram(indptr, indices, data, G):
    """``G[a, b] += sum_rows x_a x_b`` for ``a <= b`` (upper triangle only), from CSR rows with sorted indices."""
    for r in range(indptr.shape[0] - 1):
        start, stop = indptr[r], indptr[r + 1]
        for q in range(start, stop):
            b = indices[q]
            vq = data[q]
            for p in range(start, q + 1):
                G[indices[p], b] += data[p] * vq


def accumulate_gram_twin(indptr, indices, data, G):
    """NumPy twin of :func:`accumulate_gram`."""
    from scipy import sparse

    X = sparse.csr_array((data, indices, indptr), shape=(len(indptr) - 1, G.shape[0]))
    G += np.triu((X.T @ X).toarray()).astype(G.dtype)


@kernel
def weights_from_inverse(P):
    """Overwrite ``P`` (its upper triangle holding the inverse ``(X^T X + l2 I)^-1``) with EASE's ``B``.

    ``B_ij = -P_ij / P_jj`` off the diagonal, ``B_jj = 0``: both triangles are
    written from the upper one, column by column, in place.
    """
    n = P.shape[0]
    diag = np.empty(n, dtype=P.dtype)
    for j in range(n):
        diag[j] = P[j, j]
    for j in range(n):
        for i in range(j):
            u = P[i, j]
            P[i, j] = -u / diag[j]
            P[j, i] = -u / diag[i]
        P[j, j] = 0.0


def weights_from_inverse_twin(P):
    """NumPy twin of :func:`weights_from_inverse`."""
    full = np.triu(P) + np.triu(P, 1).T
    B = -full / np.diag(full)[None, :]
    np.fill_diagonal(B, 0.0)
    P[...] = B
