"""Recovery metrics for dictionary learning and sparse factorisations: dictionary error and support F1.

Both compare an estimate with the truth of a planted problem (e.g. :func:`sparsekit.datasets.make_sparse_coding`)
and are blind to what the model cannot identify: the order and the signs of the atoms.
"""

from numbers import Real

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..._core.params import Interval, Options, validate_params
from ..._core.validation import check_array

__all__ = ["dictionary_error", "support_f1"]


def _unit_rows(A, name):
    norms = np.linalg.norm(A, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError(f"{name} has an all-zero row (atom {int(np.flatnonzero(norms == 0)[0])}): atoms must be "
                         "nonzero to be compared.")
    return A / norms


@validate_params({"method": [Options({"l4", "assignment", "nearest"})]})
def dictionary_error(components, true_components, *, method="l4"):
    """Distance of a learned dictionary to the true one, up to a signed permutation of the atoms.

    Parameters
    ----------
    components : array-like of shape (n_components, n_features)
        Learned atoms, one per row (an estimator's ``components_``); each is scaled to unit norm first.
    true_components : array-like of shape (n_true, n_features)
        True atoms, one per row (the ``dictionary`` of :func:`sparsekit.datasets.make_sparse_coding`).
    method : {"l4", "assignment", "nearest"}, default="l4"
        ``"l4"``: ``1 - ||C||_4^4 / n_true`` with ``C = components @ true_components.T`` on unit-norm rows, the
        metric of the orthogonal dictionary-learning papers: 0 exactly at a signed permutation, in [0, 1] for
        orthonormal atoms. ``"assignment"``: each true atom is matched to a distinct learned atom (the
        assignment maximising the total ``|cos|``) and the error is ``1 - mean(cos^4)`` over the matched pairs,
        in [0, 1] for any dictionaries (for over-complete ones, where atoms are not orthogonal and the ``"l4"``
        sum can exceed ``n_true``). ``"nearest"``: the mean over the true atoms of ``1 - max |cos|`` to any
        learned atom, with no one-to-one matching (the metric of the over-parameterised recovery experiments,
        where many more atoms are learned than there are true ones).

    Returns
    -------
    float
        The error; 0 means the atoms were recovered exactly, up to order and sign.

    Raises
    ------
    ValueError
        If an array is not 2-D and finite, the numbers of features differ, an atom is zero, or (``"assignment"``)
        there are fewer learned atoms than true ones.

    Notes
    -----
    For orthonormal ``A`` (n x n) and ``D0``, ``||A D0^T||_4^4 <= ||A D0^T||_F^2 = n`` with equality exactly when
    ``A D0^T`` is a signed permutation; near it, ``1 - ||C||_4^4 / n`` is about twice the mean squared sine of
    the angles between matched atoms. Reference: Y. Zhai et al., "Complete dictionary learning via l4-norm
    maximization over the orthogonal group", JMLR 21, 2020 (the metric of their experiments).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import dictionary_error
    >>> D = np.linalg.qr(np.random.default_rng(0).standard_normal((5, 5)))[0]
    >>> float(dictionary_error(-D[::-1], D))
    0.0
    >>> 0 < dictionary_error(np.eye(5), D) < 1
    True
    >>> float(dictionary_error(np.vstack([D, np.eye(5)]), D, method="nearest"))
    0.0
    """
    A = check_array(components, "components", ndim=2)
    D = check_array(true_components, "true_components", ndim=2)
    if A.shape[1] != D.shape[1]:
        raise ValueError(f"components and true_components must have the same number of features (columns); got "
                         f"{A.shape[1]} and {D.shape[1]}.")
    A = _unit_rows(np.asarray(A, dtype=np.float64), "components")
    D = _unit_rows(np.asarray(D, dtype=np.float64), "true_components")
    if method == "nearest":
        return float(np.mean(1.0 - np.max(np.abs(D @ A.T), axis=1)))
    C = A @ D.T
    if method == "l4":
        return float(1.0 - np.sum(C**4) / D.shape[0])
    if A.shape[0] < D.shape[0]:
        raise ValueError(f"method='assignment' needs at least as many learned atoms as true ones; got "
                         f"{A.shape[0]} components and {D.shape[0]} true components.")
    rows, cols = linear_sum_assignment(-np.abs(C))
    return float(1.0 - np.mean(C[rows, cols] ** 4))


def _matched_rows(est, tru, S_est, S_true, match_rows):
    """Pairs of rows (estimated, true) of the assignment: by support overlap or by ``|cosine|`` of the values."""
    if match_rows == "cosine":
        est, tru = np.asarray(est, dtype=np.float64), np.asarray(tru, dtype=np.float64)
        cosine = np.abs(tru @ est.T) / np.maximum(
            np.outer(np.linalg.norm(tru, axis=1), np.linalg.norm(est, axis=1)), np.finfo(np.float64).tiny)
        true_rows, est_rows = linear_sum_assignment(-cosine)
        return est_rows, true_rows
    return linear_sum_assignment(-(S_est.astype(np.float64) @ S_true.T.astype(np.float64)))


@validate_params({
    "atol": [Interval(Real, 0, None, closed="left")],
    "match_rows": ["boolean", Options({"support", "cosine"})],
})
def support_f1(estimated, true, *, atol=0.0, match_rows=False):
    """F1 score of the support (the nonzero pattern) of an estimate against the true one.

    Parameters
    ----------
    estimated : array-like of shape (n_rows, n_columns) or (n_columns,)
        Estimated sparse array (codes, loadings, coefficients); entries with ``|x| <= atol`` count as zero.
    true : array-like of shape (n_true_rows, n_columns) or (n_columns,)
        The true sparse array; its exact zeros are its complement of the support. Same shape as ``estimated``
        unless ``match_rows`` is set, when only the number of columns must agree.
    atol : float, default=0.0
        Magnitude at or below which an estimated entry counts as zero.
    match_rows : bool or {"support", "cosine"}, default=False
        Match the rows of ``estimated`` to those of ``true`` first, for factors identified only up to the order of
        their rows (sparse PCA loadings, the codes of a dictionary passed as ``codes.T``): ``True`` or
        ``"support"`` takes the assignment maximising the total overlap of supports, ``"cosine"`` the one
        maximising the total ``|cosine|`` of the rows' values (the loadings' directions, blind to where the
        supports overlap). Rows left unmatched (when the numbers of rows differ) count as misses.

    Returns
    -------
    float
        ``2 |S_est & S_true| / (|S_est| + |S_true|)``, in [0, 1]; 1 when both supports are empty.

    Raises
    ------
    ValueError
        If the arrays are not 1-D or 2-D, not finite, or of different shapes (different numbers of columns with
        ``match_rows``).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import support_f1
    >>> support_f1([0.0, 1.0, 2.0, 0.0], [0.0, 3.0, 0.0, 0.0])
    0.6666666666666666
    >>> support_f1([[0, 1], [1, 0]], [[5, 0], [0, 7]], match_rows=True)
    1.0
    >>> true = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    >>> round(support_f1([[0.0, 0.0, 1.0, 0.5], [1.0, 0.0, 0.0, 0.0]], true, match_rows="cosine"), 3)
    0.857
    """
    est = check_array(estimated, "estimated", ndim=(1, 2))
    tru = check_array(true, "true", ndim=(1, 2))
    S_est = np.abs(np.asarray(est)) > atol
    S_true = np.asarray(tru) != 0
    if match_rows is not False and est.ndim == 2 and tru.ndim == 2:
        if est.shape[1] != tru.shape[1]:
            raise ValueError(f"estimated and true must have the same number of columns; got {est.shape[1]} and "
                             f"{tru.shape[1]}.")
        rows, cols = _matched_rows(est, tru, S_est, S_true, match_rows)
        hits = int(np.sum(S_est[rows] & S_true[cols]))
    elif est.shape != tru.shape:
        raise ValueError(f"estimated and true must have the same shape; got {est.shape} and {tru.shape}.")
    else:
        hits = int(np.sum(S_est & S_true))
    total = int(S_est.sum()) + int(S_true.sum())
    if total == 0:
        return 1.0
    return 2.0 * hits / total
