"""Support recovery of sparse components: F1 of the planted nonzeros after matching components.

Private helper for sparse PCA's tests, tour and benchmarks; the family's recovery metrics are meant to live in one
module (``_dictionary_metrics.support_f1``), where this one should be merged.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["matched_support_f1"]


def matched_support_f1(true, found):
    """F1 score of the (component, feature) nonzero pairs, components matched by largest ``|cosine|``.

    Parameters
    ----------
    true, found : ndarray of shape (n_components, n_features)
        Planted and estimated loadings, one component per row (``found`` may have a different number of rows).

    Returns
    -------
    float
        ``2 |S ∩ T| / (|S| + |T|)`` over the matched pairs of rows; unmatched rows count as misses.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition._sparse_pca_metrics import matched_support_f1
    >>> true = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    >>> matched_support_f1(true, np.array([[0.0, 0.0, 1.0, 0.5], [1.0, 0.0, 0.0, 0.0]]))
    0.857...
    """
    true, found = np.asarray(true), np.asarray(found)
    cosine = np.abs(true @ found.T) / np.maximum(
        np.outer(np.linalg.norm(true, axis=1), np.linalg.norm(found, axis=1)), np.finfo(float).tiny)
    rows, cols = linear_sum_assignment(-cosine)
    hits = np.count_nonzero((true[rows] != 0) & (found[cols] != 0))
    total = np.count_nonzero(true) + np.count_nonzero(found)
    return float(2 * hits / total) if total else 1.0
