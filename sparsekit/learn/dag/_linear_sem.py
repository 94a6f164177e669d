"""Scores of linear SEMs shared by CoLiDE, the DAGMA baseline and TopoSwap.

Every score is a function of the per-node residual variances
``r_j = R(W)_jj`` with ``R(W) = (I - W)^T S (I - W)`` and ``S = X^T X / n``
the covariance of the centred data, so ``r_j = ||x_j - X w_j||^2 / n``.
"""

import math
from numbers import Real

import numpy as np

from ..._core.params import Interval, Options, validate_params
from ..._core.validation import check_array
from ._graph import check_adjacency

__all__ = ["sem_score"]

VARIANTS = ("ls", "ev", "nv")


def prepare_normalised_data(X, name="X"):
    """Validate ``X``; return ``(mean, covariance, constant_columns, exponent)`` of its columns.

    The covariance is that of ``X / 2**exponent``, with the power of two
    chosen so that the largest deviation from a column mean lies in [0.5, 1):
    computed there it neither overflows (X near 1e300) nor underflows (X near
    1e-300), and least-squares regression weights, the same for ``X`` and any
    multiple of it, are exact. Covariances and least-squares scores in the
    caller's units are those here times ``4**exponent`` (exact: a power of two).
    ``X`` is never modified: the centred copy lives only inside this function.

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array with at least 2 rows, or its
        covariance overflows float64 in the caller's units (it could not be
        scored).
    """
    X = check_array(X, name, ndim=2, dtype="float")
    n_samples = X.shape[0]
    if n_samples < 2:
        raise ValueError(f"{name} must have at least 2 samples to estimate a DAG; got {n_samples}.")
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    centred = X - mean
    peak = float(np.max(np.abs(centred))) if np.isfinite(mean).all() else math.inf
    if not math.isfinite(peak):
        raise ValueError(f"{name} is too large in magnitude: its column means overflow float64; rescale {name}.")
    exponent = int(np.frexp(peak)[1])
    centred = np.ldexp(centred, -exponent)
    cov = centred.T @ centred / n_samples
    if not np.isfinite(np.ldexp(cov.diagonal().max(), 2 * exponent)):
        raise ValueError(
            f"{name} is too large in magnitude: its covariance overflows float64 (largest deviation from a "
            f"column mean {peak:g}); rescale {name}."
        )
    constant = np.ptp(X, axis=0) == 0
    return mean, cov, constant, exponent


def prepare_data(X, name="X"):
    """Validate ``X``; return ``(mean, covariance, constant_columns)`` of its columns, in the caller's units.

    Raises
    ------
    ValueError
        As :func:`prepare_normalised_data`, and if the variance of a
        non-constant column underflows float64 (below its smallest normal
        number): the penalised scores of CoLiDE and DAGMA are not
        scale-invariant, so such data cannot be solved in other units.
    """
    mean, cov, constant, exponent = prepare_normalised_data(X, name)
    cov = np.ldexp(cov, 2 * exponent)
    if np.any(cov.diagonal()[~constant] < np.finfo(np.float64).tiny):
        raise ValueError(
            f"{name} is too small in magnitude: the variance of a non-constant column underflows float64; "
            f"rescale {name}."
        )
    return mean, cov, constant


def residual_variances(cov, W):
    """``diag((I - W)^T cov (I - W))``: the mean squared residual of each node."""
    D = np.eye(cov.shape[0]) - W
    return np.maximum(np.einsum("ij,ij->j", D, cov @ D), 0.0)


def closed_form_scale(residual_var, variant):
    """Minimiser of the concomitant score in the noise scale: one value (EV) or one per node (NV)."""
    if variant == "ev":
        return float(np.sqrt(residual_var.mean()))
    return np.sqrt(residual_var)


def profiled_score(residual_var, W, variant, alpha):
    """The score with the noise scale at its closed-form minimiser, plus ``alpha * ||W||_1``."""
    if variant == "ls":
        value = 0.5 * residual_var.sum()
    elif variant == "ev":
        value = float(np.sqrt(residual_var.size * residual_var.sum()))
    else:
        value = float(np.sqrt(residual_var).sum())
    return float(value + alpha * np.abs(W).sum())


@validate_params({"variant": [Options(VARIANTS)], "alpha": [Interval(Real, 0, None, closed="left")]})
def sem_score(X, adjacency, *, variant="ls", alpha=0.0):
    """Score of a weighted DAG as a linear SEM of the data ``X`` (lower is better).

    With ``r_j = ||x_j - X w_j||^2 / n`` computed on the centred data:

    * ``"ls"``: least squares ``sum_j r_j / 2`` (NOTEARS, DAGMA, TOPO);
    * ``"ev"``: CoLiDE-EV's concomitant score at its optimal scale
      ``sigma = sqrt(mean_j r_j)``, which is ``sqrt(d * sum_j r_j)``;
    * ``"nv"``: CoLiDE-NV's score at its optimal scales
      ``sigma_j = sqrt(r_j)``, which is ``sum_j sqrt(r_j)``;

    each plus ``alpha * sum |W|``.

    Parameters
    ----------
    X : array-like of shape (n_samples, d)
        Data; centred internally (a copy).
    adjacency : array-like of shape (d, d)
        Weighted adjacency matrix, ``adjacency[i, j]`` the weight of ``i -> j``.
    variant : {"ls", "ev", "nv"}, default="ls"
        Which score.
    alpha : float, default=0.0
        Weight of the l1 penalty.

    Returns
    -------
    float
        The score.

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array with at least 2 rows,
        ``adjacency`` is not ``d x d``, or the score overflows.
    InvalidParameterError
        If ``variant`` is unknown or ``alpha`` is negative or infinite.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.datasets import make_linear_sem
    >>> from sparsekit.learn.dag import sem_score
    >>> X, W = make_linear_sem(2000, 5, 4, random_state=0)
    >>> sem_score(X, W) < sem_score(X, np.zeros_like(W))
    True
    """
    _, cov, _ = prepare_data(X)
    W = check_adjacency(adjacency, "adjacency", n_nodes=cov.shape[0])
    with np.errstate(over="ignore", invalid="ignore"):
        score = profiled_score(residual_variances(cov, W), W, variant, float(alpha))
    if not np.isfinite(score):
        raise ValueError(
            "adjacency and X are too large in magnitude: the residual variances of the SEM overflow float64; "
            "rescale them."
        )
    return score
