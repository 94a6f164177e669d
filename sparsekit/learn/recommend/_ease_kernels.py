"""Numba kernels of EASE: the item Gram accumulated from sparse rows, and the in-place closed form; NumPy twins."""

import numpy as np

from ..._core.jit import kernel

__all__ = ["accumulate_gram", "accumulate_gram_twin", "weights_from_inverse", "weights_from_inverse_twin"]

_TILE = 64  # 64 x 64 float64 tiles (32 KiB): a tile and its transposed partner stay in L1/L2


@kernel
def accumulate_gram(indptr, indices, data, col_indptr, col_rows, col_data, G):
    """``G[a, b] += sum_rows x_a x_b`` for ``a <= b`` (upper triangle only), one column of ``G`` at a time.

    The rows come twice: CSR (``indptr``, ``indices`` sorted in each row,
    ``data``) and CSC (``col_indptr``, ``col_rows``, ``col_data``). Column
    ``b`` of ``G`` gathers, over the rows holding item ``b``, the row's items
    ``a <= b``: every update lands in one contiguous column of a
    Fortran-ordered ``G``, which stays in cache, instead of being scattered
    over the whole matrix row after row.
    """
    for b in range(col_indptr.shape[0] - 1):
        for q in range(col_indptr[b], col_indptr[b + 1]):
            r = col_rows[q]
            vb = col_data[q]
            for p in range(indptr[r], indptr[r + 1]):
                a = indices[p]
                if a > b:
                    break
                G[a, b] += data[p] * vb


def accumulate_gram_twin(indptr, indices, data, col_indptr, col_rows, col_data, G):
    """NumPy twin of :func:`accumulate_gram`."""
    from scipy import sparse

    X = sparse.csr_array((data, indices, indptr), shape=(len(indptr) - 1, G.shape[0]))
    G += np.triu((X.T @ X).toarray()).astype(G.dtype)


@kernel
def weights_from_inverse(P):
    """Overwrite ``P`` (its upper triangle holding the inverse ``(X^T X + l2 I)^-1``) with EASE's ``B``.

    ``B_ij = -P_ij / P_jj`` off the diagonal, ``B_jj = 0``: both triangles are
    written from the upper one in place, tile by tile (a tile above the
    diagonal and its transposed partner below it), so that the transposed
    writes of a Fortran-ordered ``P`` hit cache.
    """
    n = P.shape[0]
    diag = np.empty(n, dtype=P.dtype)
    for j in range(n):
        diag[j] = P[j, j]
    for j0 in range(0, n, _TILE):
        j1 = min(j0 + _TILE, n)
        for i0 in range(0, j1, _TILE):
            i1 = min(i0 + _TILE, n)
            # the lower partner first, from the untouched upper tile: P[j, i] = -P[i, j] / P_ii
            for i in range(i0, i1):
                scale = -1.0 / diag[i]
                for j in range(max(j0, i + 1), j1):
                    P[j, i] = P[i, j] * scale
            # then the upper tile in place: P[i, j] = -P[i, j] / P_jj
            for j in range(j0, j1):
                scale = -1.0 / diag[j]
                for i in range(i0, min(i1, j)):
                    P[i, j] *= scale
    for j in range(n):
        P[j, j] = 0.0


def weights_from_inverse_twin(P):
    """NumPy twin of :func:`weights_from_inverse`."""
    full = np.triu(P) + np.triu(P, 1).T
    B = -full / np.diag(full)[None, :]
    np.fill_diagonal(B, 0.0)
    P[...] = B
