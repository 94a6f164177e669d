"""Scores of an unmixing against the truth, after the optimal matching of endmembers (Hungarian)."""

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..._core.params import validate_params
from ..._core.validation import check_array

__all__ = ["abundance_rmse", "match_endmembers", "spectral_angle_distance"]


def _angles(E_true, E_pred):
    """Spectral angles (radians) between every true and every estimated endmember."""
    E_true = check_array(E_true, "endmembers_true", ndim=2)
    E_pred = check_array(E_pred, "endmembers_pred", ndim=2)
    if E_true.shape[1] != E_pred.shape[1]:
        raise ValueError(f"endmembers_true has {E_true.shape[1]} bands but endmembers_pred has "
                         f"{E_pred.shape[1]}: they must match.")
    # normalise by the largest entry first, so that 1e-300 or 1e300 spectra neither underflow nor overflow
    unit = [E / np.maximum(np.abs(E).max(axis=1, keepdims=True), np.finfo(float).tiny) for E in (E_true, E_pred)]
    unit = [U / np.maximum(np.linalg.norm(U, axis=1, keepdims=True), np.finfo(float).tiny) for U in unit]
    return np.arccos(np.clip(unit[0] @ unit[1].T, -1.0, 1.0))


@validate_params({"endmembers_true": ["array-like"], "endmembers_pred": ["array-like"]})
def match_endmembers(endmembers_true, endmembers_pred):
    """The estimated endmember matched to each true one, minimising the total spectral angle.

    Parameters
    ----------
    endmembers_true : array-like of shape (n_true, n_bands)
        Reference spectra.
    endmembers_pred : array-like of shape (n_pred, n_bands)
        Estimated spectra, in any order (``n_pred >= n_true`` to match them all).

    Returns
    -------
    ndarray of int of shape (min(n_true, n_pred),)
        ``order[k]`` is the row of ``endmembers_pred`` matched to true
        endmember ``k`` (true endmembers beyond ``n_pred`` are left unmatched).

    Raises
    ------
    ValueError
        For non-finite spectra, wrong dimensions or different numbers of bands.

    Notes
    -----
    The assignment problem on the matrix of spectral angles, solved exactly by
    :func:`scipy.optimize.linear_sum_assignment` (Hungarian method).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import match_endmembers
    >>> E = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    >>> match_endmembers(E, E[::-1] * 2).tolist()
    [1, 0]
    """
    rows, cols = linear_sum_assignment(_angles(endmembers_true, endmembers_pred))
    return cols[np.argsort(rows)]


@validate_params({"endmembers_true": ["array-like"], "endmembers_pred": ["array-like"], "average": ["boolean"]})
def spectral_angle_distance(endmembers_true, endmembers_pred, *, average=True):
    """Spectral angle distance (SAD, radians) of each true endmember to its matched estimate.

    Parameters
    ----------
    endmembers_true : array-like of shape (n_true, n_bands)
        Reference spectra.
    endmembers_pred : array-like of shape (n_pred, n_bands)
        Estimated spectra, in any order.
    average : bool, default=True
        Return the mean over the matched endmembers instead of each angle.

    Returns
    -------
    float or ndarray of shape (min(n_true, n_pred),)
        ``arccos(m_k . m_hat_k / (||m_k|| ||m_hat_k||))`` after
        :func:`match_endmembers`; insensitive to the scale of each spectrum.

    Raises
    ------
    ValueError
        For non-finite spectra, wrong dimensions or different numbers of bands.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import spectral_angle_distance
    >>> E = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> round(spectral_angle_distance(E, np.array([[1.0, 1.0], [1.0, 0.0]])), 12)
    0.0
    >>> spectral_angle_distance(E, np.array([[1.0, 0.0], [0.0, 1.0]]), average=False).round(4)
    array([0.    , 0.7854])
    """
    angles = _angles(endmembers_true, endmembers_pred)
    rows, cols = linear_sum_assignment(angles)
    matched = angles[rows, cols]
    return float(matched.mean()) if average else matched


def _abundance_rows(A, name):
    A = check_array(A, name, ndim=(2, 3))
    return A.reshape(-1, A.shape[-1])


@validate_params({
    "abundances_true": ["array-like"], "abundances_pred": ["array-like"],
    "endmembers_true": ["array-like", None], "endmembers_pred": ["array-like", None], "average": ["boolean"],
})
def abundance_rmse(abundances_true, abundances_pred, *, endmembers_true=None, endmembers_pred=None, average=True):
    """Root-mean-square error of the abundance maps, endmember by endmember, after matching.

    Parameters
    ----------
    abundances_true : array-like of shape (n_pixels, n_true) or (height, width, n_true)
        Reference abundances.
    abundances_pred : array-like of the same number of pixels, n_pred columns
        Estimated abundances, endmembers in any order.
    endmembers_true, endmembers_pred : array-like of shape (n, n_bands), optional
        When both are given, the endmembers are matched by spectral angle
        (:func:`match_endmembers`) as for :func:`spectral_angle_distance`;
        otherwise by the permutation that minimises the abundance error.
    average : bool, default=True
        Return the mean over the matched endmembers instead of each RMSE.

    Returns
    -------
    float or ndarray of shape (min(n_true, n_pred),)
        ``sqrt(mean_n (a_kn - a_hat_kn)^2)`` for each matched pair ``k``.

    Raises
    ------
    ValueError
        For non-finite input, wrong dimensions, or different numbers of pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import abundance_rmse
    >>> A = np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
    >>> abundance_rmse(A, A[:, ::-1])
    0.0
    """
    A_true = _abundance_rows(abundances_true, "abundances_true")
    A_pred = _abundance_rows(abundances_pred, "abundances_pred")
    if A_true.shape[0] != A_pred.shape[0]:
        raise ValueError(f"abundances_true has {A_true.shape[0]} pixels but abundances_pred has {A_pred.shape[0]}.")
    # in units of the largest entry, so that 1e300 abundances do not overflow when squared
    scale = max(float(np.abs(A_true).max(initial=0.0)), float(np.abs(A_pred).max(initial=0.0)))
    scale = scale if scale > 0 else 1.0
    A_true, A_pred = A_true / scale, A_pred / scale
    if endmembers_true is not None and endmembers_pred is not None:
        order = match_endmembers(endmembers_true, endmembers_pred)
        errors = np.sqrt(np.mean((A_true[:, : order.size] - A_pred[:, order]) ** 2, axis=0))
    else:
        # mean squared difference of every (true, estimated) pair without a pixels x p x p temporary
        cost = (np.mean(A_true**2, axis=0)[:, None] + np.mean(A_pred**2, axis=0)[None, :]
                - 2.0 * (A_true.T @ A_pred) / A_true.shape[0])
        rows, cols = linear_sum_assignment(np.maximum(cost, 0.0))
        errors = np.sqrt(np.mean((A_true[:, rows] - A_pred[:, cols]) ** 2, axis=0))
    errors = errors * scale
    return float(errors.mean()) if average else errors
