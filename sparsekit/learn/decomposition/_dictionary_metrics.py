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


@validate_params({"method": [Options({"l4", "assignment"})]})
def dictionary_error(components, true_components, *, method="l4"):
    """Distance of a learned dictionary to the true one, up to a signed permutation of the atoms.

    Parameters
    ----------
    components : array-like of shape (n_components, n_features)
        Learned atoms, one per row (an estimator's ``components_``); each is scaled to unit norm first.
    true_components : array-like of shape (n_true, n_features)
        True atoms, one per row (the ``dictionary`` of :func:`sparsekit.datasets.make_sparse_coding`).
    method : {"l4", "assignment"}, default="l4"
        ``"l4"``: ``1 - ||C||_4^4 / n_true`` with ``C = components @ true_components.T`` on unit-norm rows, the
        metric of the orthogonal dictionary-learning papers: 0 exactly at a signed permutation, in [0, 1] for
        orthonormal atoms. ``"assignment"``: each true atom is matched to a distinct learned atom (the
        assignment maximising the total ``|cos|``) and the error is ``1 - mean(cos^4)`` over the matched pairs,
        in [0, 1] for any dictionaries (for over-complete ones, where atoms are not orthogonal and the ``"l4"``
        sum can exceed ``n_true``).

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
    """
    A = check_array(components, "components", ndim=2)
    D = check_array(true_components, "true_components", ndim=2)
    if A.shape[1] != D.shape[1]:
        raise ValueError(f"components and true_components must have the same number of features (columns); got "
                         f"{A.shape[1]} and {D.shape[1]}.")
    A = _unit_rows(np.asarray(A, dtype=np.float64), "components")
    D = _unit_rows(np.asarray(D, dtype=np.float64), "true_components")
    C = A @ D.T
    if method == "l4":
        return float(1.0 - np.sum(C**4) / D.shape[0])
    if A.shape[0] < D.shape[0]:
        raise ValueError(f"method='assignment' needs at least as many learned atoms as true ones; got "
                         f"{A.shape[0]} components and {D.shape[0]} true components.")
    rows, cols = linear_sum_assignment(-np.abs(C))
    return float(1.0 - np.mean(C[rows, cols] ** 4))


@validate_params({
    "atol": [Interval(Real, 0, None, closed="left")],
    "match_rows": ["boolean"],
})
def support_f1(estimated, true, *, atol=0.0, match_rows=False):
    """F1 score of the support (the nonzero pattern) of an estimate against the true one.

    Parameters
    ----------
    estimated : array-like of shape (n_rows, n_columns) or (n_columns,)
        Estimated sparse array (codes, loadings, coefficients); entries with ``|x| <= atol`` count as zero.
    true : array-like of the same shape
        The true sparse array; its exact zeros are its complement of the support.
    atol : float, default=0.0
        Magnitude at or below which an estimated entry counts as zero.
    match_rows : bool, default=False
        Match the rows of ``estimated`` to those of ``true`` first (the assignment maximising the total overlap
        of supports), for factors identified only up to the order of their rows (sparse PCA loadings, the codes
        of a dictionary passed as ``codes.T``).

    Returns
    -------
    float
        ``2 |S_est & S_true| / (|S_est| + |S_true|)``, in [0, 1]; 1 when both supports are empty.

    Raises
    ------
    ValueError
        If the arrays are not 1-D or 2-D, not finite, or of different shapes.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import support_f1
    >>> support_f1([0.0, 1.0, 2.0, 0.0], [0.0, 3.0, 0.0, 0.0])
    0.6666666666666666
    >>> support_f1([[0, 1], [1, 0]], [[5, 0], [0, 7]], match_rows=True)
    1.0
    """
    est = check_array(estimated, "estimated", ndim=(1, 2))
    tru = check_array(true, "true", ndim=(1, 2))
    if est.shape != tru.shape:
        raise ValueError(f"estimated and true must have the same shape; got {est.shape} and {tru.shape}.")
    S_est = np.abs(np.asarray(est)) > atol
    S_true = np.asarray(tru) != 0
    if match_rows and S_est.ndim == 2:
        overlap = S_est.astype(np.float64) @ S_true.T.astype(np.float64)
        rows, cols = linear_sum_assignment(-overlap)
        S_est, S_true = S_est[rows], S_true[cols]
    total = int(S_est.sum()) + int(S_true.sum())
    if total == 0:
        return 1.0
    return 2.0 * int(np.sum(S_est & S_true)) / total
