"""The Gaussian posterior of sparse Bayesian learning, and what follows from it.

For fixed hyperparameters ``gamma`` (prior variances) and ``noise_variance``
the coefficients of ``Y = A X + E`` have a Gaussian posterior; every SBL
solver computes it here (:func:`posterior`), and every SBL estimator predicts
from it (:func:`_predictive_std`).
"""

import math
from numbers import Real

import numpy as np
from scipy import linalg, sparse

from ..._core.params import Interval, validate_params
from ..._core.validation import check_array

__all__ = ["FULL_COVARIANCE_LIMIT", "posterior"]

#: Largest active set for which ``covariance="auto"`` returns the full posterior covariance.
FULL_COVARIANCE_LIMIT = 2000

#: Result fields an SBL estimator keeps as fitted attributes.
_POSTERIOR_ATTRIBUTES = ("gamma", "active", "sigma", "noise_variance", "n_iter", "converged")


class _GramCache:
    """``A_a^T A_a`` for the active set, computed once when the primal form first pays off, then sliced."""

    def __init__(self):
        self.columns = None
        self.gram = None

    def get(self, A_active, active):
        if self.columns is None:
            self.columns = active.copy()
            self.gram = dense_gram(A_active)
            return self.gram
        if self.columns.size != active.size:
            where = np.searchsorted(self.columns, active)
            self.gram = self.gram[np.ix_(where, where)]
            self.columns = active.copy()
        return self.gram


@validate_params({"noise_variance": [Interval(Real, 0, None, closed="neither")], "full_covariance": ["boolean"]})
def posterior(A, Y, gamma, noise_variance, *, gram=None, full_covariance=False):
    """Gaussian posterior of the coefficients for fixed hyperparameters, by Cholesky.

    ``Sigma = (A^T A / s + diag(gamma)^-1)^-1`` and ``M = Sigma A^T Y / s`` with
    ``s = noise_variance``. Never forms a pseudo-inverse: with more features
    than rows it factors ``I + B B^T / s`` (``B = A diag(gamma)^1/2``, the
    Woodbury form); otherwise ``I + B^T B / s`` from the Gram matrix. Both are
    ``>= I``, so Cholesky cannot fail.

    Parameters
    ----------
    A : array-like or sparse array of shape (n_samples, n_active)
        Design restricted to the active features; a sparse one (any format)
        is never made dense beyond ``n_samples x n_samples`` blocks (and the
        active columns, for the full covariance).
    Y : array-like of shape (n_samples, n_targets) or (n_samples,)
        Targets (one-dimensional: one target, and ``mean`` is one-dimensional).
    gamma : array-like of shape (n_active,)
        Prior variances (non-negative; 0 pins a coefficient at 0).
    noise_variance : float
        Noise variance (positive, finite).
    gram : array-like of shape (n_active, n_active), optional
        ``A.T @ A`` (symmetric); when given and ``n_active <= n_samples`` the
        primal form is used.
    full_covariance : bool, default=False
        Also return the full posterior covariance.

    Returns
    -------
    mean : ndarray of shape (n_active, n_targets) or (n_active,)
        Posterior mean ``M``.
    variance : ndarray of shape (n_active,)
        Diagonal of ``Sigma``.
    well_determined : ndarray of shape (n_active,)
        ``1 - Sigma_ii / gamma_i``, how much each coefficient is fixed by the
        data rather than the prior (MacKay's ``gamma`` in ARD's notation).
    covariance : ndarray of shape (n_active, n_active) or None
        Full ``Sigma`` when asked for.

    Raises
    ------
    ValueError
        If an array is not finite, has the wrong number of dimensions or a
        shape that does not match ``A``, or ``gamma`` is negative.
    TypeError
        If an array is complex or not numeric.
    InvalidParameterError
        If ``noise_variance`` is not a positive finite float or
        ``full_covariance`` not a boolean.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import posterior
    >>> A = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    >>> mean, variance, _, _ = posterior(A, np.array([[1.0], [2.0], [2.0]]), np.ones(2), 0.5)
    >>> bool(np.allclose(variance, np.diag(np.linalg.inv(A.T @ A / 0.5 + np.eye(2)))))
    True
    """
    A = check_array(A, "A", ndim=2, accept_sparse=("csc",), dtype=np.float64)
    n_samples, n_active = A.shape
    Y = check_array(Y, "Y", ndim=(1, 2), dtype=np.float64)
    if Y.shape[0] != n_samples:
        raise ValueError(f"Y must have {n_samples} rows, one per row of A; got {Y.shape[0]}.")
    gamma = check_array(gamma, "gamma", ndim=1, dtype=np.float64)
    if gamma.size != n_active:
        raise ValueError(f"gamma must have {n_active} entries, one per column of A; got {gamma.size}.")
    if np.any(gamma < 0):
        raise ValueError("gamma must be non-negative (prior variances).")
    if gram is not None:
        gram = check_array(gram, "gram", ndim=2, dtype=np.float64)
        if gram.shape != (n_active, n_active):
            raise ValueError(f"gram must have shape ({n_active}, {n_active}) like A.T @ A; got {gram.shape}.")
    mean, variance, well_determined, covariance = _posterior(A, Y if Y.ndim == 2 else Y[:, None], gamma,
                                                             float(noise_variance), gram=gram,
                                                             full_covariance=full_covariance)
    return (mean if Y.ndim == 2 else mean[:, 0]), variance, well_determined, covariance


def _posterior(A, Y, gamma, noise_variance, *, gram=None, full_covariance=False):
    """:func:`posterior` on checked float64 arrays, ``Y`` two-dimensional (the solvers' inner loop)."""
    n_samples, n_active = A.shape
    root = np.sqrt(gamma)
    noise_std = math.sqrt(noise_variance)
    covariance = None
    if gram is not None and n_active <= n_samples:
        precision = gram * np.outer(root, root) / noise_variance
        precision[np.diag_indices_from(precision)] += 1.0
        factor = linalg.cholesky(precision, lower=True, check_finite=False)
        inverse_factor = linalg.solve_triangular(factor, np.eye(n_active), lower=True, check_finite=False)
        inner = np.einsum("ij,ij->j", inverse_factor, inverse_factor)
        projected = root[:, None] * np.asarray(A.T @ Y)
        mean = root[:, None] * linalg.cho_solve((factor, True), projected, check_finite=False) / noise_variance
        if full_covariance:
            covariance = root[:, None] * (inverse_factor.T @ inverse_factor) * root[None, :]
        return mean, gamma * inner, 1.0 - inner, covariance
    if sparse.issparse(A):
        return _sparse_woodbury(A, Y, gamma, root, noise_variance, full_covariance)
    B = A * root
    system = B @ B.T
    system /= noise_variance
    system[np.diag_indices_from(system)] += 1.0
    factor = linalg.cholesky(system, lower=True, check_finite=False)
    W = linalg.solve_triangular(factor, B, lower=True, check_finite=False)
    W /= noise_std
    whitened_targets = linalg.solve_triangular(factor, Y, lower=True, check_finite=False)
    mean = root[:, None] * (W.T @ whitened_targets) / noise_std
    explained = np.einsum("ij,ij->j", W, W)
    if full_covariance:
        covariance = -(root[:, None] * (W.T @ W) * root[None, :])
        covariance[np.diag_indices_from(covariance)] += gamma
    return mean, gamma * (1.0 - explained), explained, covariance


def scale_columns(A, factors):
    """``A * factors`` column by column, for a dense or a sparse (CSC) ``A``; sparse stays sparse."""
    if sparse.issparse(A):
        return (A @ sparse.diags_array(factors)).tocsc()
    return A * factors


def dense_gram(A):
    """``A.T @ A`` as a dense array (``A`` has at most as many columns as rows where this is called)."""
    gram = A.T @ A
    return gram.toarray() if sparse.issparse(gram) else gram


def _sparse_woodbury(A, Y, gamma, root, noise_variance, full_covariance):
    """The Woodbury form of :func:`_posterior` for a sparse ``A``, with no dense block beyond ``n x n``.

    ``M = Gamma^1/2 B^T S^-1 Y / s`` and ``explained_i = ||L^-1 b_i||^2 / s``
    with ``B = A Gamma^1/2``, ``S = I + B B^T / s = L L^T``; the columns of
    ``L^-1 B`` are formed ``n`` at a time. The full covariance (asked for
    only on a final active set of at most ``FULL_COVARIANCE_LIMIT``
    features) forms ``L^-1 B`` whole.
    """
    n_samples, n_active = A.shape
    B = scale_columns(A, root)
    system = (B @ B.T).toarray() / noise_variance
    system[np.diag_indices_from(system)] += 1.0
    factor = linalg.cholesky(system, lower=True, check_finite=False)
    mean = root[:, None] * (B.T @ linalg.cho_solve((factor, True), Y, check_finite=False)) / noise_variance
    if full_covariance:
        W = linalg.solve_triangular(factor, B.toarray(), lower=True, check_finite=False)
        explained = np.einsum("ij,ij->j", W, W) / noise_variance
        covariance = -(root[:, None] * (W.T @ W) * root[None, :]) / noise_variance
        covariance[np.diag_indices_from(covariance)] += gamma
        return mean, gamma * (1.0 - explained), explained, covariance
    explained = np.empty(n_active)
    for start in range(0, n_active, n_samples):
        block = slice(start, min(start + n_samples, n_active))
        W = linalg.solve_triangular(factor, B[:, block].toarray(), lower=True, check_finite=False)
        explained[block] = np.einsum("ij,ij->j", W, W) / noise_variance
    return mean, gamma * (1.0 - explained), explained, None


def _wants_full(covariance, n_active):
    return covariance == "full" or (covariance == "auto" and n_active <= FULL_COVARIANCE_LIMIT)



def _predictive_std(X_active, sigma, noise_variance):
    """Standard deviation of new responses: ``sqrt(x^T Sigma x + noise_variance)`` per row.

    Parameters
    ----------
    X_active : ndarray of shape (n_samples, n_active)
        Rows to predict at, restricted to the active features (and centred
        when the model has an intercept).
    sigma : ndarray of shape (n_active, n_active) or (n_active,)
        Posterior covariance, or its diagonal (then posterior correlations are
        ignored).
    noise_variance : float
        Noise variance.

    Returns
    -------
    ndarray of shape (n_samples,)
        Predictive standard deviations.
    """
    if sigma.ndim == 2:
        spread = np.einsum("ij,ij->i", X_active @ sigma, X_active)
    else:
        spread = (X_active**2) @ sigma
    return np.sqrt(np.maximum(spread, 0.0) + noise_variance)
