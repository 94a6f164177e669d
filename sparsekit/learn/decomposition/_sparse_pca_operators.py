"""The centred data and its deflated covariance, for sparse PCA, without densifying a sparse ``X``.

Sparse PCA only needs products with the centred data ``A = X - 1 mu^T`` and with its covariance
``S = A^T A / (n - 1)`` applied to *sparse* vectors. :class:`CentredData` gives them for a dense ``X`` (the few
columns a sparse vector touches are centred explicitly; ``X`` itself is never copied) and for a scipy.sparse ``X``
(``A v = X v - (mu . v) 1`` and ``A^T u = X^T u - (1 . u) mu``: a rank-one correction, so memory stays at
``nnz``). :class:`Covariance` applies ``S`` minus the Schur-complement deflation of the components found so far;
for dense data it caches the columns of ``S`` that the supports visit, so that a run costs a few GEMMs with the
visited columns instead of the whole ``p x p`` Gram matrix or two passes over ``X`` per iteration.
"""

import numpy as np
from scipy import sparse

__all__ = ["CentredData", "Covariance"]


class CentredData:
    """``A = X - 1 mu^T`` for a dense or sparse ``X``, applied without forming it.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Validated data (float32 or float64; CSR or CSC when sparse). Not modified.
    """

    def __init__(self, X):
        self.X = X
        self.shape = X.shape
        self.dtype = X.dtype
        n = X.shape[0]
        self.is_sparse = sparse.issparse(X)
        self.mean = np.asarray(X.mean(axis=0), dtype=X.dtype).ravel()
        if self.is_sparse:
            columns = X.indices if X.format == "csr" else np.repeat(np.arange(X.shape[1]), np.diff(X.indptr))
            squares = np.bincount(columns, weights=X.data**2, minlength=X.shape[1]).astype(X.dtype)
            self.column_sq_norms = np.maximum(squares - n * self.mean**2, 0.0)
        else:
            self.column_sq_norms = np.einsum("ij,ij->j", X, X) - n * self.mean**2
            self.column_sq_norms = np.maximum(self.column_sq_norms, 0.0)
        self.dof = max(n - 1, 1)

    def columns(self, J):
        """The centred columns ``A[:, J]`` (dense, n x len(J))."""
        block = self.X[:, J]
        if self.is_sparse:
            block = block.toarray()
        return block - self.mean[J]

    def dot(self, V):
        """``A @ V`` for ``V`` of shape (n_features,) or (n_features, k); only the rows of ``V`` in use are read."""
        if self.is_sparse:
            return np.asarray(self.X @ V) - (self.mean @ V)
        rows = np.flatnonzero(V if V.ndim == 1 else V.any(axis=1))
        if 2 * rows.size > self.shape[1]:  # dense V: a copy of the columns would cost more than the correction
            return self.X @ V - self.mean @ V
        return self.columns(rows) @ V[rows]

    def rdot(self, U):
        """``A.T @ U`` for ``U`` of shape (n_samples,) or (n_samples, k)."""
        return np.asarray(self.X.T @ U) - np.multiply.outer(self.mean, U.sum(axis=0))


class Covariance:
    """``S_k = S - W W^T``: the covariance after Schur-complement deflation by the components found so far.

    Deflating by a loading vector ``v`` regresses its score ``A v`` out of the samples,
    ``A <- (I - u u^T) A`` with ``u = A v / ||A v||`` (Mackey 2009), so that ``S <- S - S v v^T S / (v^T S v)``:
    ``w = S_k v / sqrt(v^T S_k v)`` joins ``W``. It stays positive semidefinite for any ``v``, needs only products
    with ``v`` (no dense projection), and ``v^T S_k v`` is the adjusted variance of the new component.

    Parameters
    ----------
    data : CentredData
        The data.
    """

    def __init__(self, data):
        self.data = data
        p = data.shape[1]
        self.scale = data.dtype.type(1.0 / data.dof)
        self.W = np.zeros((p, 0), dtype=data.dtype)
        self.cached = not data.is_sparse
        self.slot = np.full(p, -1, dtype=np.intp)
        self.cache = np.zeros((p, 0), dtype=data.dtype)

    def _columns(self, J):
        """Columns ``S[:, J]``, computed (one GEMM for the missing ones) and kept."""
        missing = J[self.slot[J] < 0]
        if missing.size:
            block = self.data.columns(missing)
            new = (self.data.rdot(block) * self.scale).astype(self.data.dtype, copy=False)
            self.slot[missing] = self.cache.shape[1] + np.arange(missing.size)
            self.cache = np.concatenate([self.cache, new], axis=1)
        return self.cache[:, self.slot[J]]

    def times(self, x):
        """``S_k @ x`` for a vector ``x`` (cheap when ``x`` is sparse)."""
        if self.cached:
            J = np.flatnonzero(x)
            Sx = self._columns(J) @ x[J]
        else:
            Sx = self.data.rdot(self.data.dot(x)) * self.scale
        if self.W.shape[1]:
            Sx = Sx - self.W @ (self.W.T @ x)
        return Sx

    def times_dense(self, x):
        """``S_k @ x`` through the data, for a dense ``x`` (two passes over ``X``; nothing cached)."""
        Sx = self.data.rdot(self.data.dot(x)) * self.scale
        return Sx - self.W @ (self.W.T @ x) if self.W.shape[1] else Sx

    def diagonal(self):
        """The diagonal of ``S_k`` (the variances left after deflation)."""
        return np.maximum(self.data.column_sq_norms * self.scale - np.einsum("ij,ij->i", self.W, self.W), 0.0)

    def deflate(self, v):
        """Regress the score of ``v`` out; return the variance it explains beyond the earlier ones, ``v^T S_k v``."""
        Sv = self.times(v)
        explained = float(v @ Sv)
        if explained > 0:
            self.W = np.column_stack([self.W, Sv / np.sqrt(explained)])
        return max(explained, 0.0)
