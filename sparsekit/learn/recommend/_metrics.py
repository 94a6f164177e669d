"""Ranking metrics of top-k recommendations against held-out interactions (Liang et al. 2018's definitions)."""

from numbers import Integral

import numpy as np
from scipy import sparse

from ..._core.params import Interval, validate_params
from ..._core.validation import check_array

__all__ = ["ndcg_at_k", "recall_at_k"]


def _hits(held_out, recommended, k):
    """``(hits, n_relevant)``: hits[u, r] whether the r-th recommendation of user u is held out; users with none dropped."""
    relevant = sparse.csr_array(check_array(held_out, "held_out", ndim=2, accept_sparse="csr"))
    recommended = np.asarray(recommended)
    if recommended.ndim != 2 or recommended.dtype.kind not in "iu":
        raise ValueError(f"recommended must be a 2-D array of integer item indices; got shape {recommended.shape}, "
                         f"dtype {recommended.dtype}.")
    if recommended.shape[0] != relevant.shape[0]:
        raise ValueError(f"recommended has {recommended.shape[0]} rows but held_out has {relevant.shape[0]} users.")
    if recommended.size and (recommended.min() < 0 or recommended.max() >= relevant.shape[1]):
        raise ValueError(f"recommended must hold item indices below {relevant.shape[1]} (held_out's columns).")
    relevant.eliminate_zeros()
    top = recommended[:, :k]
    hits = np.zeros(top.shape, dtype=bool)
    for r in range(top.shape[1]):
        hits[:, r] = np.asarray(relevant[np.arange(top.shape[0]), top[:, r]] != 0).ravel()
    counts = np.diff(relevant.indptr)
    users = counts > 0
    if not users.any():
        raise ValueError("held_out has no relevant item for any user.")
    return hits[users], counts[users]


@validate_params({"k": [Interval(Integral, 1, None, closed="left")]})
def recall_at_k(held_out, recommended, k=20):
    """Recall@k normalised by ``min(k, |held-out|)``, averaged over users with a held-out item.

    Parameters
    ----------
    held_out : array-like or scipy.sparse array of shape (n_users, n_items)
        Non-zero where the item is relevant (held out) for the user.
    recommended : array-like of int of shape (n_users, n_recommended)
        Item indices, best first (e.g. :meth:`EASE.recommend`).
    k : int, default=20
        Cut-off; only the first ``k`` recommendations count.

    Returns
    -------
    float
        ``mean_u |top-k(u) & held_out(u)| / min(k, |held_out(u)|)``.

    Raises
    ------
    ValueError
        For mismatched shapes, indices out of range, or no relevant item at all.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.recommend import recall_at_k
    >>> held_out = np.array([[0, 1, 1, 0], [1, 0, 0, 0]])
    >>> recall_at_k(held_out, np.array([[1, 3], [2, 3]]), k=2)
    0.25
    """
    hits, counts = _hits(held_out, recommended, k)
    return float(np.mean(hits.sum(axis=1) / np.minimum(k, counts)))


@validate_params({"k": [Interval(Integral, 1, None, closed="left")]})
def ndcg_at_k(held_out, recommended, k=100):
    """Binary-relevance NDCG@k, averaged over users with a held-out item.

    Parameters
    ----------
    held_out : array-like or scipy.sparse array of shape (n_users, n_items)
        Non-zero where the item is relevant (held out) for the user.
    recommended : array-like of int of shape (n_users, n_recommended)
        Item indices, best first.
    k : int, default=100
        Cut-off.

    Returns
    -------
    float
        ``mean_u DCG@k(u) / IDCG@k(u)`` with ``DCG = sum_r hit_r / log2(r + 2)``
        and the ideal DCG of ``min(k, |held_out(u)|)`` hits.

    Raises
    ------
    ValueError
        For mismatched shapes, indices out of range, or no relevant item at all.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.recommend import ndcg_at_k
    >>> held_out = np.array([[0, 1, 1, 0]])
    >>> round(ndcg_at_k(held_out, np.array([[1, 3, 2]]), k=3), 4)
    0.9197
    """
    hits, counts = _hits(held_out, recommended, k)
    discount = 1.0 / np.log2(np.arange(2, hits.shape[1] + 2))
    dcg = hits @ discount
    ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))[np.minimum(k, counts) - 1]
    return float(np.mean(dcg / ideal))
