"""EASE (Steck, WWW 2019): the closed-form item-item recommender, fitted in one item x item matrix of memory."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.linalg import blas, lapack
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin, validate_params
from .._data import validate_data
from ._ease_kernels import accumulate_gram, weights_from_inverse

__all__ = ["EASE", "ease_weights"]

_DTYPES = {"float32": np.float32, "float64": np.float64}


def _is_dask(X):
    return hasattr(X, "dask") and hasattr(X, "chunks") and hasattr(X, "compute")


def _row_chunks(X, chunk_rows):
    """Row blocks of ``X`` as NumPy or SciPy CSR arrays: slices of an in-memory ``X``, computed blocks of a Dask one."""
    if _is_dask(X):
        X = X.rechunk({1: -1})
        for i in range(X.numblocks[0]):
            yield X.blocks[i, 0].compute()
        return
    for start in range(0, X.shape[0], chunk_rows):
        yield X[start:start + chunk_rows]


def _check_chunk(chunk, name):
    values = chunk.data if sparse.issparse(chunk) else np.asarray(chunk)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {values.dtype}.")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} holds NaN or infinity.")
    if values.size and values.min() < 0:
        raise ValueError(f"{name} holds negative values; EASE takes interactions (counts or 0/1), not ratings "
                         "deviations: binarise, e.g. X = (ratings >= 4).")


def _max_abs(X):
    if _is_dask(X):
        return float(abs(X).max().compute())
    values = X.data if sparse.issparse(X) else X
    if values.dtype.kind not in "biuf":
        raise TypeError(f"X must hold real numbers; got dtype {values.dtype}.")
    return float(np.abs(values).max()) if values.size else 0.0


def _item_gram(X, dtype, chunk_rows, keep, name, scale):
    """Upper triangle of ``X[:, keep]^T X[:, keep]`` in a Fortran-ordered ``dtype`` matrix, accumulated over row chunks."""
    n_items = len(keep) if keep is not None else X.shape[1]
    # empty + fill, not zeros: calloc's lazily zeroed pages fault one by one (seconds for 400 MB on a loaded
    # machine), while NumPy backs a fresh empty array with huge pages and the fill touches them at memory speed
    G = np.empty((n_items, n_items), dtype=dtype, order="F")
    G.fill(0.0)
    syrk = blas.ssyrk if dtype == np.float32 else blas.dsyrk
    for chunk in _row_chunks(X, chunk_rows):
        _check_chunk(chunk, name)
        if keep is not None:
            chunk = chunk[:, keep]
        if sparse.issparse(chunk):
            chunk = sparse.csr_array(chunk / scale if scale != 1.0 else chunk, dtype=dtype)
            chunk.sum_duplicates()  # also sorts the indices, which the kernel's upper triangle needs
            columns = chunk.tocsc()
            accumulate_gram(chunk.indptr, chunk.indices, chunk.data, columns.indptr, columns.indices, columns.data,
                            G)
        else:
            chunk = np.asarray(np.asarray(chunk, dtype=np.float64) / scale, dtype=dtype)
            if chunk.shape[0]:
                syrk(1.0, chunk, beta=1.0, c=G, trans=1, lower=0, overwrite_c=1)
    return G


def _item_counts(X, chunk_rows, name):
    counts = np.zeros(X.shape[1], dtype=np.int64)
    for chunk in _row_chunks(X, chunk_rows):
        _check_chunk(chunk, name)
        counts += np.asarray((chunk != 0).sum(axis=0)).ravel().astype(np.int64)
    return counts


@validate_params({
    "l2": [Interval(Real, 0, None, closed="neither")],
    "dtype": [Options({"float32", "float64"})],
    "max_items": [Interval(Integral, 1, None, closed="left"), None],
    "chunk_rows": [Interval(Integral, 1, None, closed="left")],
})
def ease_weights(X, l2=500.0, *, dtype="float32", max_items=None, chunk_rows=4096):
    """EASE's item-item weights ``B = I - P diag(1 / diag P)``, ``P = (X^T X + l2 I)^-1``, in one item x item matrix.

    Parameters
    ----------
    X : array-like, scipy.sparse array or dask array of shape (n_users, n_items)
        Non-negative user-item interactions (0/1 or counts). A Dask array is
        read one row block at a time (its columns in one chunk).
    l2 : float, default=500.0
        Ridge weight ``lambda`` (the paper's ML-20M value; pick it on held-out users).
    dtype : {"float32", "float64"}, default="float32"
        Precision of the Gram, its Cholesky factor and ``B``; float32 halves
        the memory, float64 matches the closed form to rounding.
    max_items : int, optional
        Keep only the ``max_items`` items with the most users (ties: the lower
        index) when the full Gram would not fit; see Notes.
    chunk_rows : int, default=4096
        Rows per block when accumulating the Gram from an in-memory ``X``.

    Returns
    -------
    B : ndarray of shape (n_kept, n_kept)
        The weights (Fortran order), zero diagonal.
    items : ndarray of int of shape (n_kept,)
        The item (column) index of each row and column of ``B``: all items,
        or the kept ones in increasing order.

    Raises
    ------
    ValueError
        If ``X`` has negative, NaN or infinite values, or is not 2-D.
    TypeError
        If ``X`` is not real-valued.

    Notes
    -----
    Memory plan: one ``n_items x n_items`` matrix of ``dtype`` (400 MB for
    10^4 items in float32) plus one block of ``X``. The Gram's upper triangle
    is accumulated over row blocks (for sparse blocks a numba kernel that
    fills one column of the Gram at a time, from the block's CSC and CSR
    copies, so its updates stay in cache; BLAS ``syrk`` for dense blocks);
    ``l2`` is added to its diagonal; LAPACK ``potrf``/``potri`` turn it into
    ``P``'s upper triangle in place; a kernel writes ``B`` over it, tile by
    tile. No second item x item matrix is formed (cornac and RecBole hold
    several, hence their 60 GB and 1.5 TB reports). ``potrf`` and ``potri``
    are about 90% of the time: ``n_items^3 / 3`` and ``2 n_items^3 / 3``
    flops, which run at the rate of BLAS's matrix product (measured: a
    blocked ``trtri`` + ``lauum`` of our own is no faster).
    Entries above 1 are divided by the largest one ``s`` (and ``l2`` by
    ``s^2``, which leaves ``B`` unchanged) so that the Gram cannot overflow;
    a Dask ``X`` is therefore read twice (its maximum, then the Gram).

    When even one item x item matrix does not fit, ``max_items`` keeps the
    most popular items: items outside that set are never recommended and
    their interactions do not contribute to any score. Steck's follow-up
    work and practice truncate to popular items in the same way; the long
    tail carries little of the ranking quality at ``k = 100``.

    The closed form is the paper's (Lagrangian of the zero-diagonal
    constraint). Negative weights are kept: the paper shows clipping them
    hurts.

    References
    ----------
    H. Steck. Embarrassingly shallow autoencoders for sparse data. WWW 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.recommend import ease_weights
    >>> X = np.array([[1, 1, 0], [0, 1, 1], [1, 1, 1], [1, 0, 0]])
    >>> B, items = ease_weights(X, l2=1.0, dtype="float64")
    >>> P = np.linalg.inv(X.T @ X + np.eye(3))
    >>> bool(np.allclose(B, np.eye(3) - P / np.diag(P)))
    True
    """
    if sparse.issparse(X):
        X = sparse.csr_array(X)
    elif not _is_dask(X):
        X = np.asarray(X)
    if len(X.shape) != 2:
        raise ValueError(f"X must be 2-D (users x items); got shape {X.shape}.")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X is empty (shape {X.shape}).")
    dtype = _DTYPES[dtype]
    keep = None
    if max_items is not None and max_items < X.shape[1]:
        counts = _item_counts(X, chunk_rows, "X")
        keep = np.sort(np.argsort(-counts, kind="stable")[:max_items])
    # B(X, l2) = B(X / s, l2 / s^2): large entries are scaled down so that the Gram cannot overflow
    scale = max(1.0, _max_abs(X))
    G = _item_gram(X, dtype, chunk_rows, keep, "X", scale)
    G[np.diag_indices_from(G)] += dtype(l2 / scale / scale)
    potrf, potri = (lapack.spotrf, lapack.spotri) if dtype == np.float32 else (lapack.dpotrf, lapack.dpotri)
    G, info = potrf(G, lower=0, clean=0, overwrite_a=1)
    if info != 0:
        raise ValueError(f"X^T X + l2 I is not numerically positive definite in {dtype.__name__} "
                         f"(LAPACK potrf info={info}): increase l2 or use dtype='float64'.")
    G, info = potri(G, lower=0, overwrite_c=1)
    if info != 0:
        raise ValueError(f"X^T X + l2 I is singular in {dtype.__name__} (LAPACK potri info={info}): increase l2.")
    weights_from_inverse(G)
    return G, (np.arange(X.shape[1]) if keep is None else keep)


class EASE(ParamsValidationMixin, BaseEstimator):
    """EASE recommender: closed-form item-item weights, top-k recommendations that exclude seen items.

    Parameters
    ----------
    l2 : float, default=500.0
        Ridge weight.
    dtype : {"float32", "float64"}, default="float32"
        Precision of the item x item computation.
    max_items : int, optional
        Keep only the most popular items (see :func:`ease_weights`).
    chunk_rows : int, default=4096
        Rows per block when accumulating the Gram.

    Attributes
    ----------
    coef_ : ndarray of shape (n_kept, n_kept)
        The weights ``B``.
    items_ : ndarray of int of shape (n_kept,)
        The item index of each row of ``coef_``.
    interactions_ : scipy.sparse.csr_array or None
        The training interactions (for ``recommend`` on training users);
        None when ``X`` was a Dask array.
    n_features_in_ : int
        Number of items seen in ``fit``.

    See Also
    --------
    ease_weights : The computation.
    ndcg_at_k, recall_at_k : Ranking metrics.

    Notes
    -----
    ``fit`` takes interactions (users x items, non-negative); scores of a
    user are ``x_u B``. The estimator has no ``predict``/``transform``:
    recommenders rank, see :meth:`recommend`. Memory: see
    :func:`ease_weights`.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.recommend import EASE
    >>> X = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [1, 0, 0, 1], [1, 1, 0, 1]])
    >>> model = EASE(l2=1.0).fit(X)
    >>> model.recommend([0, 3], k=2).tolist()
    [[3, 2], [1, 2]]
    """

    _parameter_constraints = {
        "l2": [Interval(Real, 0, None, closed="neither")],
        "dtype": [Options({"float32", "float64"})],
        "max_items": [Interval(Integral, 1, None, closed="left"), None],
        "chunk_rows": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, l2=500.0, *, dtype="float32", max_items=None, chunk_rows=4096):
        self.l2 = l2
        self.dtype = dtype
        self.max_items = max_items
        self.chunk_rows = chunk_rows

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        tags.target_tags.required = False
        return tags

    def fit(self, X, y=None):
        """Fit the item-item weights.

        Parameters
        ----------
        X : array-like, scipy.sparse array or dask array of shape (n_users, n_items)
            Non-negative interactions.
        y : None
            Ignored.

        Returns
        -------
        EASE
            The fitted estimator.
        """
        self._validate_params()
        if _is_dask(X):
            self.n_features_in_ = X.shape[1]
            self.interactions_ = None
        else:
            X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
            if X.min() < 0:
                raise ValueError("Negative values in data passed to X: EASE takes interactions (counts or 0/1); "
                                 "binarise ratings, e.g. X = (ratings >= 4).")
            self.interactions_ = sparse.csr_array(X)
        self.coef_, self.items_ = ease_weights(X, self.l2, dtype=self.dtype, max_items=self.max_items,
                                               chunk_rows=self.chunk_rows)
        return self

    def _scores(self, rows):
        kept = rows[:, self.items_] if len(self.items_) < self.n_features_in_ else rows
        return np.asarray(kept @ self.coef_)

    def recommend(self, users, k=10, exclude_seen=True, *, X=None):
        """The ``k`` best-scored items of each user.

        Parameters
        ----------
        users : array-like of int
            Row indices into the training interactions, or into ``X``.
        k : int, default=10
            Items per user.
        exclude_seen : bool, default=True
            Never recommend an item the user has interacted with.
        X : array-like or scipy.sparse array of shape (n_rows, n_items), optional
            Interactions of other users (fold-in, e.g. held-out users), used
            instead of the training ones.

        Returns
        -------
        ndarray of int of shape (n_users, min(k, n_kept))
            Item indices, best first.

        Raises
        ------
        ValueError
            If ``users`` are out of range or ``k < 1``.
        """
        check_is_fitted(self)
        if X is None:
            if self.interactions_ is None:
                raise ValueError("X is required: the model was fitted on a Dask array and keeps no interactions.")
            source = self.interactions_
        else:
            source = sparse.csr_array(validate_data(self, X, reset=False, accept_sparse="csr",
                                                    dtype=[np.float64, np.float32]))
        users = np.asarray(users)
        if users.ndim != 1 or users.dtype.kind not in "iu":
            raise ValueError(f"users must be a 1-D array of integer row indices; got shape {users.shape}, "
                             f"dtype {users.dtype}.")
        if len(users) and (users.min() < 0 or users.max() >= source.shape[0]):
            raise ValueError(f"users must index the {source.shape[0]} rows of the interactions.")
        if not isinstance(k, Integral) or k < 1:
            raise ValueError(f"k must be a positive integer; got {k!r}.")
        rows = source[users]
        scores = self._scores(rows)
        if exclude_seen:
            seen = rows[:, self.items_] if len(self.items_) < self.n_features_in_ else rows
            seen = sparse.coo_array(seen)
            scores[seen.row, seen.col] = -np.inf
        k = min(k, scores.shape[1])
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        return self.items_[np.take_along_axis(top, order, axis=1)]
