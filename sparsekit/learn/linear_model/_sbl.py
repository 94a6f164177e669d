"""Sparse Bayesian learning: evidence maximisation by EM or MacKay updates, and GGAMP-SBL.

Model (Tipping 2001; Wipf & Rao 2004): ``Y = A X + E`` with ``E`` iid
``N(0, noise_variance)`` and each row ``x_i`` of ``X`` iid ``N(0, gamma_i)``.
The hyperparameters ``gamma`` and ``noise_variance`` maximise the marginal
likelihood; most ``gamma_i`` go to zero, which prunes those features.

All three solvers work on the column-normalised matrix (SBL is equivariant to
column scaling, so this changes nothing but makes the pruning threshold and the
GAMP damping scale-free) and report results in the caller's units.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..._core.exceptions import ConvergenceWarning
from ..._core.progress import IterationMonitor
from ..._core.registry import Registry
from ..._core.result import Result
from ..._core.validation import (
    Interval,
    Options,
    ParamsValidationMixin,
    check_array,
    validate_params,
)

__all__ = [
    "SBL_METHODS",
    "SparseBayesianRegression",
    "sparse_bayesian_learning",
    "sbl_em",
    "sbl_mackay",
    "ggamp_sbl",
    "gamp_damping",
    "posterior",
]

SBL_METHODS = Registry("sparse_bayesian_learning")

#: Largest active set for which ``covariance="auto"`` returns the full posterior covariance.
FULL_COVARIANCE_LIMIT = 2000

_COMMON_CONSTRAINTS = {
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "prune_threshold": [Interval(Real, 0, 1, closed="left")],
    "noise_variance": [Interval(Real, 0, None, closed="neither"), None],
    "covariance": [Options({"auto", "full", "diag"})],
    "callback": ["callable", None],
    "verbose": ["verbose"],
    "progress": ["boolean"],
}
_GAMP_CONSTRAINTS = {
    **_COMMON_CONSTRAINTS,
    "damping": [Options({"auto"}), Interval(Real, 0, 1, closed="right")],
    "max_inner": [Interval(Integral, 1, None, closed="left")],
    "inner_tol": [Interval(Real, 0, None, closed="left")],
}


# --------------------------------------------------------------------------- shared pieces
def _check_design_and_targets(A, Y, name_A="A", name_Y="y"):
    """Validate a design matrix and one or several target columns.

    Parameters
    ----------
    A : array-like of shape (n_samples, n_features)
        Design matrix (finite, real).
    Y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    name_A, name_Y : str
        Argument names used in error messages.

    Returns
    -------
    A : ndarray of float64
    Y : ndarray of float64, shape (n_samples, n_targets)
    single_target : bool
        Whether ``Y`` was one-dimensional.
    """
    A = check_array(A, name_A, ndim=2, dtype=np.float64)
    Y = check_array(Y, name_Y, ndim=(1, 2), dtype=np.float64)
    if Y.shape[0] != A.shape[0]:
        raise ValueError(f"{name_Y} must have {A.shape[0]} rows, one per row of {name_A}; got {Y.shape[0]}.")
    single_target = Y.ndim == 1
    return A, (Y[:, None] if single_target else Y), single_target


class _Normalised:
    """The column-normalised design ``A / scale`` restricted to an active set that only shrinks."""

    def __init__(self, A):
        self.scale = np.sqrt(np.einsum("ij,ij->j", A, A))
        self.active = np.flatnonzero(self.scale > 0)
        self.matrix = A[:, self.active] / self.scale[self.active]

    def keep(self, mask):
        """Drop the active features where ``mask`` is False."""
        self.active = self.active[mask]
        self.matrix = self.matrix[:, mask]
        return self.matrix


def _initial_hyperparameters(Y, n_features):
    """Start with 90% of the target energy explained by the prior, 10% by the noise.

    With unit-norm columns ``E||y||^2 = sum(gamma) + n * noise_variance``.
    """
    energy = float(np.sum(Y**2)) / Y.shape[1]
    gamma0 = 0.9 * energy / max(n_features, 1)
    noise0 = 0.1 * energy / Y.shape[0]
    return gamma0, noise0


def _noise_floor(Y):
    """Smallest noise variance allowed: keeps the posterior well defined for noiseless data."""
    return 1e-12 * float(np.sum(Y**2)) / Y.size + np.finfo(np.float64).tiny


class _GramCache:
    """``A_a^T A_a`` for the active set, computed once when the primal form first pays off, then sliced."""

    def __init__(self):
        self.columns = None
        self.gram = None

    def get(self, A_active, active):
        if self.columns is None:
            self.columns = active.copy()
            self.gram = A_active.T @ A_active
            return self.gram
        if self.columns.size != active.size:
            where = np.searchsorted(self.columns, active)
            self.gram = self.gram[np.ix_(where, where)]
            self.columns = active.copy()
        return self.gram


def posterior(A, Y, gamma, noise_variance, *, gram=None, full_covariance=False):
    """Gaussian posterior of the coefficients for fixed hyperparameters, by Cholesky.

    ``Sigma = (A^T A / s + diag(gamma)^-1)^-1`` and ``M = Sigma A^T Y / s`` with
    ``s = noise_variance``. Never forms a pseudo-inverse: with more features
    than rows it factors ``I + B B^T / s`` (``B = A diag(gamma)^1/2``, the
    Woodbury form); otherwise ``I + B^T B / s`` from the Gram matrix. Both are
    ``>= I``, so Cholesky cannot fail.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_active)
        Design restricted to the active features.
    Y : ndarray of shape (n_samples, n_targets)
        Targets.
    gamma : ndarray of shape (n_active,)
        Prior variances (positive).
    noise_variance : float
        Noise variance (positive).
    gram : ndarray of shape (n_active, n_active), optional
        ``A.T @ A``; when given and ``n_active <= n_samples`` the primal form is used.
    full_covariance : bool, default=False
        Also return the full posterior covariance.

    Returns
    -------
    mean : ndarray of shape (n_active, n_targets)
        Posterior mean ``M``.
    variance : ndarray of shape (n_active,)
        Diagonal of ``Sigma``.
    well_determined : ndarray of shape (n_active,)
        ``1 - Sigma_ii / gamma_i``, how much each coefficient is fixed by the
        data rather than the prior (MacKay's ``gamma`` in ARD's notation).
    covariance : ndarray of shape (n_active, n_active) or None
        Full ``Sigma`` when asked for.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import posterior
    >>> A = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    >>> mean, variance, _, _ = posterior(A, np.array([[1.0], [2.0], [2.0]]), np.ones(2), 0.5)
    >>> bool(np.allclose(variance, np.diag(np.linalg.inv(A.T @ A / 0.5 + np.eye(2)))))
    True
    """
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
        projected = root[:, None] * (A.T @ Y)
        mean = root[:, None] * linalg.cho_solve((factor, True), projected, check_finite=False) / noise_variance
        if full_covariance:
            covariance = root[:, None] * (inverse_factor.T @ inverse_factor) * root[None, :]
        return mean, gamma * inner, 1.0 - inner, covariance
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


def _wants_full(covariance, n_active):
    return covariance == "full" or (covariance == "auto" and n_active <= FULL_COVARIANCE_LIMIT)


def _status(name, converged, stopped_by_callback, n_iter, max_iter, *, criterion="relative coefficient change",
            stacklevel=4):
    """``(status, message)`` of an SBL solver's run; warns when ``max_iter`` ended it.

    ``stacklevel`` counts the frames from here to the user's call: 4 for a
    public solver that calls this directly (through its ``validate_params``
    wrapper), one more for each private layer in between.
    """
    if stopped_by_callback:
        return 2, "stopped by the callback"
    if converged:
        return 0, f"converged: {criterion} below tol after {n_iter} iterations"
    message = f"did not converge in max_iter={max_iter} iterations"
    warnings.warn(f"{name}: {message}; increase max_iter or tol.", ConvergenceWarning, stacklevel=stacklevel)
    return 1, message


def _em_noise_update(residual_energy, noise, n_well_determined, n_samples, floor):
    """EM M-step of the noise variance, ``(||y - A mu||^2 + noise sum_i g_i) / n``, floored."""
    return max((residual_energy + noise * n_well_determined) / n_samples, floor)


def _finish(normalised, n_features, Y, gamma, noise_variance, *, mean=None, gram=None, covariance,
            single_target, status, message, converged, n_iter, history, extra=None):
    """Exact posterior on the final active set, back in the caller's units, as a Result.

    ``mean`` (GGAMP-SBL's estimate) is kept when given; otherwise the mean of
    the final E-step at the final hyperparameters is returned, as ARD does.
    """
    active = normalised.active
    scale = normalised.scale[active]
    n_targets = Y.shape[1]
    want_full = _wants_full(covariance, active.size)
    sigma = np.zeros((active.size, active.size)) if want_full else np.zeros(active.size)
    coef = np.zeros((n_features, n_targets))
    if active.size:
        A = normalised.matrix
        if gram is None and active.size <= A.shape[0]:
            gram = A.T @ A
        exact_mean, variance, _, full = posterior(A, Y, gamma, noise_variance, gram=gram,
                                                  full_covariance=want_full)
        mean = exact_mean if mean is None else mean
        sigma = full / np.outer(scale, scale) if want_full else variance / scale**2
        coef[active] = mean / scale[:, None]
    gamma_full = np.zeros(n_features)
    gamma_full[active] = gamma / scale**2
    result = Result(
        x=coef[:, 0] if single_target else coef,
        gamma=gamma_full,
        noise_variance=float(noise_variance),
        active=active,
        sigma=sigma,
        converged=bool(converged),
        status=status,
        message=message,
        n_iter=n_iter,
        **history,
    )
    result.update(extra or {})
    return result


def _relative_change(new, old):
    norm = math.sqrt(float(np.sum(new**2)))
    if norm == 0.0:
        return 0.0 if not np.any(old) else math.inf
    return math.sqrt(float(np.sum((new - old) ** 2))) / norm


def _prune_mask(gamma, noise_variance, prune_threshold):
    """Mask of the features to keep: ``gamma_i > prune_threshold * max(max(gamma), noise_variance)``.

    In column-normalised units ``gamma_i`` is the variance feature ``i`` adds
    to the data along its own direction: it is dropped once that is a
    negligible fraction of the strongest feature's, or of the noise (so that
    pure-noise data ends with every feature pruned instead of all prior
    variances shrinking together for ever).
    """
    level = prune_threshold * max(float(gamma.max()) if gamma.size else 0.0, noise_variance)
    return gamma > level


def _record_iteration(monitor, history, change, noise, normalised, mean, single_target, n_features):
    """History, progress and callback after one iteration; return whether the callback asked to stop.

    The callback gets the current coefficients in the caller's units when
    ``n_features`` is given (only then are they assembled).
    """
    history.append(change, noise, mean.shape[0])
    args = ()
    if n_features is not None:
        current = np.zeros((n_features, mean.shape[1]))
        current[normalised.active] = mean / normalised.scale[normalised.active, None]
        args = (current[:, 0] if single_target else current,)
    return monitor.update(*args, relative_change=change, n_active=mean.shape[0])


class _History:
    """Per-iteration figures a user would plot; stored in the Result."""

    def __init__(self):
        self.record = {"relative_change": [], "noise_variance_history": [], "n_active_history": []}

    def append(self, change, noise, n_active):
        self.record["relative_change"].append(change)
        self.record["noise_variance_history"].append(float(noise))
        self.record["n_active_history"].append(int(n_active))


# --------------------------------------------------------------------------- EM and MacKay
def _evidence_sbl(name, A, Y, *, update, max_iter, tol, prune_threshold, noise_variance, covariance,
                  callback, verbose, progress):
    """EM (``update="em"``) or MacKay (``update="mackay"``) evidence maximisation."""
    A, Y, single_target = _check_design_and_targets(A, Y)
    n_samples, n_features = A.shape
    n_targets = Y.shape[1]
    normalised = _Normalised(A)
    A_active = normalised.matrix
    gamma0, noise0 = _initial_hyperparameters(Y, A_active.shape[1])
    learn_noise = noise_variance is None
    floor = _noise_floor(Y)
    noise = max(noise0 if learn_noise else float(noise_variance), floor)
    gamma = np.full(A_active.shape[1], gamma0)
    mean = np.zeros((A_active.shape[1], n_targets))
    history = _History()
    gram_cache = _GramCache()
    converged = stopped = False
    n_iter = 0
    if gamma0 == 0.0:
        A_active = normalised.keep(np.zeros(gamma.size, dtype=bool))
        gamma, converged = gamma[:0], True
    with IterationMonitor(name, total=max_iter, verbose=verbose, progress=progress, callback=callback) as monitor:
        while gamma.size and n_iter < max_iter:
            n_iter += 1
            gram = gram_cache.get(A_active, normalised.active) if A_active.shape[1] <= n_samples else None
            new_mean, variance, well_determined, _ = posterior(A_active, Y, gamma, noise, gram=gram)
            second_moment = np.mean(new_mean**2, axis=1)
            residual_energy = float(np.sum((Y - A_active @ new_mean) ** 2)) / n_targets
            if update == "em":
                if learn_noise:
                    noise = _em_noise_update(residual_energy, noise, float(np.sum(well_determined)), n_samples,
                                             floor)
                gamma = second_moment + variance
            else:
                if learn_noise:
                    dof = max(n_samples - float(np.sum(well_determined)), 1e-3 * n_samples)
                    noise = max(residual_energy / dof, floor)
                gamma = second_moment / np.maximum(well_determined, np.finfo(np.float64).eps)
            change = _relative_change(new_mean, mean)
            keep = _prune_mask(gamma, noise, prune_threshold)
            mean = new_mean[keep]
            if not keep.all():
                A_active = normalised.keep(keep)
                gamma = gamma[keep]
            stopped = _record_iteration(monitor, history, change, noise, normalised, mean, single_target,
                                        n_features if callback is not None else None)
            if change <= tol or not gamma.size:
                converged = True
                break
            if stopped:
                break
        status, message = _status(name, converged, stopped, n_iter, max_iter, stacklevel=5)
        monitor.close(message)
    gram = gram_cache.get(A_active, normalised.active) if gram_cache.columns is not None and gamma.size else None
    return _finish(normalised, n_features, Y, gamma, noise, gram=gram, covariance=covariance,
                   single_target=single_target, status=status, message=message, converged=converged,
                   n_iter=n_iter, history=history.record)


_EVIDENCE_DOC_PARAMETERS = """
    Parameters
    ----------
    A : array-like of shape (n_samples, n_features)
        Design (dictionary) matrix; any shape, ``n_features > n_samples`` included.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Measurements. Several columns are fitted jointly with one shared
        ``gamma`` (M-SBL, multiple measurement vectors with a common support).
    max_iter : int, default=300
        Maximum number of E/M iterations.
    tol : float, default=1e-4
        Stopping tolerance on the relative change of the posterior mean.
    prune_threshold : float in [0, 1), default=1e-3
        A feature is removed for good once ``gamma_i <= prune_threshold *
        max(max(gamma), noise_variance)`` (column-normalised units: a prior
        variance below 0.1% of the strongest feature's or of the noise); 0
        keeps every feature with ``gamma_i > 0``.
    noise_variance : float, optional
        Known noise variance; estimated with the hyperparameters when None.
    covariance : {"auto", "full", "diag"}, default="auto"
        Return the full posterior covariance of the active features or only
        its diagonal; ``"auto"`` gives the full matrix up to
        ``FULL_COVARIANCE_LIMIT`` (2000) active features.
    callback : callable, optional
        Called after each iteration as ``callback(x)`` with the current
        coefficients; returning True stops the solver.
    verbose : bool or int, default=0
        Log progress through the ``sparsekit`` logger.
    progress : bool, default=False
        Show a tqdm progress bar.
"""

_STOPPING_DOC = """
    Stopping rule: ``||mu_k - mu_{k-1}||_F <= tol ||mu_k||_F`` in
    column-normalised units, or ``max_iter`` iterations (then a
    :class:`~sparsekit.ConvergenceWarning`).
"""

_EXAMPLE_DOC = """
    Examples
    --------
    >>> from sparsekit.datasets import make_sparse_regression
    >>> from sparsekit.learn.linear_model import {name}
    >>> A, y, coef, _ = make_sparse_regression(60, 120, 5, snr_db=30, random_state=0)
    >>> res = {name}(A, y)
    >>> bool(res.converged), bool(((res.x - coef) ** 2).sum() < 0.01 * (coef ** 2).sum())
    (True, True)
"""

_RETURNS_DOC = """
    Returns
    -------
    Result
        ``x`` (coefficients, shape ``(n_features,)`` or ``(n_features,
        n_targets)``), ``gamma`` (prior variances, 0 for pruned features),
        ``noise_variance``, ``active`` (indices of the features kept),
        ``sigma`` (posterior covariance of the active features, or its
        diagonal), ``converged``, ``status`` (0 converged, 1 ``max_iter``
        reached, 2 stopped by the callback), ``message``, ``n_iter``, and the
        histories ``relative_change``, ``noise_variance_history`` and
        ``n_active_history``.

    Raises
    ------
    ValueError
        If ``A`` or ``y`` contain NaN or infinity, or their numbers of rows differ.
"""


@SBL_METHODS.register("em", constraints=_COMMON_CONSTRAINTS)
@validate_params(_COMMON_CONSTRAINTS)
def sbl_em(A, y, *, max_iter=300, tol=1e-4, prune_threshold=1e-3, noise_variance=None, covariance="auto",
           callback=None, verbose=0, progress=False):
    """EM sparse Bayesian learning (Wipf & Rao) with a Woodbury/Cholesky E-step.
    {parameters}{returns}
    Notes
    -----
    E-step: ``Sigma = (A^T A / s + Gamma^-1)^-1``, ``mu = Sigma A^T y / s``,
    computed by :func:`posterior` with one Cholesky factorisation per
    iteration (the ``n x n`` Woodbury system while more features than rows are
    active, the Gram form afterwards); never a pseudo-inverse. M-step:
    ``gamma_i = mu_i^2 + Sigma_ii`` and ``s = (||y - A mu||^2 + s sum_i (1 -
    Sigma_ii / gamma_i)) / n``. Cost ``O(n^2 d_a)`` per iteration with
    ``d_a`` the active features, which pruning shrinks quickly.
{stopping}
    References
    ----------
    .. [1] D. P. Wipf and B. D. Rao, "Sparse Bayesian learning for basis
       selection", IEEE Trans. Signal Process. 52(8), 2004.
    .. [2] M. E. Tipping, "Sparse Bayesian learning and the relevance vector
       machine", JMLR 1, 2001.
{example}    """
    return _evidence_sbl("sbl_em", A, y, update="em", max_iter=max_iter, tol=tol,
                         prune_threshold=prune_threshold, noise_variance=noise_variance, covariance=covariance,
                         callback=callback, verbose=verbose, progress=progress)


@SBL_METHODS.register("mackay", constraints=_COMMON_CONSTRAINTS)
@validate_params(_COMMON_CONSTRAINTS)
def sbl_mackay(A, y, *, max_iter=300, tol=1e-4, prune_threshold=1e-3, noise_variance=None, covariance="auto",
               callback=None, verbose=0, progress=False):
    """Sparse Bayesian learning with MacKay's fixed-point updates and a Cholesky E-step.
    {parameters}{returns}
    Notes
    -----
    Same E-step as :func:`sbl_em`. M-step (MacKay 1992; Tipping 2001):
    ``gamma_i = mu_i^2 / g_i`` and ``s = ||y - A mu||^2 / (n - sum_i g_i)``
    with ``g_i = 1 - Sigma_ii / gamma_i``, how well the data determine
    coefficient ``i``. These are the updates of scikit-learn's
    ``ARDRegression`` without its (vanishing) Gamma hyperpriors; they drive
    irrelevant ``gamma_i`` to zero much faster than EM, so pruning shrinks the
    problem within a few iterations.
{stopping}
    References
    ----------
    .. [1] M. E. Tipping, "Sparse Bayesian learning and the relevance vector
       machine", JMLR 1, 2001.
    .. [2] D. J. C. MacKay, "Bayesian interpolation", Neural Computation 4(3), 1992.
{example}    """
    return _evidence_sbl("sbl_mackay", A, y, update="mackay", max_iter=max_iter, tol=tol,
                         prune_threshold=prune_threshold, noise_variance=noise_variance, covariance=covariance,
                         callback=callback, verbose=verbose, progress=progress)


# --------------------------------------------------------------------------- GGAMP-SBL
def gamp_damping(A):
    """Damping factor of GGAMP-SBL chosen from the matrix, as in Al-Shoukairi et al.

    The positive root of ``1.1 (M N ||A||_2^2 / ||A||_F^2) t^2 + 2 (N - M) t - 4 N = 0``
    for an ``M x N`` matrix, capped at 1: close to 1 for iid Gaussian
    matrices, smaller as the spectrum spreads (ill-conditioned or
    column-correlated matrices).

    Parameters
    ----------
    A : ndarray of shape (M, N)
        The (column-normalised) measurement matrix.

    Returns
    -------
    float
        Damping factor in (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import gamp_damping
    >>> A = np.random.default_rng(0).standard_normal((500, 1000)) / np.sqrt(500)
    >>> round(gamp_damping(A), 2)
    0.98
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    rows, cols = A.shape
    frobenius2 = float(np.sum(A**2))
    if frobenius2 == 0.0:
        return 1.0
    small = min(rows, cols)
    if small <= 64:
        spectral2 = float(linalg.svdvals(A)[0] ** 2)
    else:
        gram = LinearOperator((cols, cols), matvec=lambda v: A.T @ (A @ v), dtype=np.float64)
        spectral2 = float(eigsh(gram, k=1, which="LA", tol=1e-3, v0=np.ones(cols), return_eigenvectors=False)[0])
    a = 1.1 * rows * cols * spectral2 / frobenius2
    b = 2.0 * (cols - rows)
    c = 4.0 * cols
    root = (-b + math.sqrt(b * b + 4.0 * a * c)) / (2.0 * a)
    return float(min(1.0, root))


#: A GAMP residual larger than this multiple of ``||y||`` is taken as divergence.
DIVERGENCE_FACTOR = 10.0
_MIN_DAMPING = 1e-3


@SBL_METHODS.register("gamp", constraints=_GAMP_CONSTRAINTS)
@validate_params(_GAMP_CONSTRAINTS)
def ggamp_sbl(A, y, *, max_iter=1000, tol=1e-5, damping="auto", max_inner=50, inner_tol=1e-4, prune_threshold=1e-3,
              noise_variance=None, covariance="auto", callback=None, verbose=0, progress=False):
    """GGAMP-SBL: sparse Bayesian learning with a damped Gaussian GAMP E-step.

    Parameters
    ----------
    A : array-like of shape (n_samples, n_features)
        Measurement matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Measurements; several columns share ``gamma`` (MMV with a common support).
    max_iter : int, default=1000
        Maximum number of EM (outer) iterations.
    tol : float, default=1e-5
        Stopping tolerance on the relative change of the estimate between EM
        iterations.
    damping : "auto" or float in (0, 1], default="auto"
        Damping factor of the GAMP means; ``"auto"`` uses :func:`gamp_damping`.
    max_inner : int, default=50
        Maximum GAMP iterations per EM iteration (warm-started).
    inner_tol : float, default=1e-4
        A GAMP E-step stops once the relative change of its estimate is at
        most ``inner_tol``.
    prune_threshold : float in [0, 1), default=1e-3
        Features with ``gamma_i <= prune_threshold * max(max(gamma),
        noise_variance)`` are removed for good, after E-steps that reached
        ``inner_tol`` only.
    noise_variance : float, optional
        Known noise variance; estimated by EM when None.
    covariance : {"auto", "full", "diag"}, default="auto"
        Posterior covariance returned for the active features (computed once,
        exactly, at the final hyperparameters).
    callback : callable, optional
        ``callback(x)`` after each EM iteration; returning True stops.
    verbose : bool or int, default=0
        Log progress.
    progress : bool, default=False
        Show a tqdm progress bar.

    Returns
    -------
    Result
        As :func:`sbl_mackay`, plus ``damping`` (the factor finally used),
        ``n_restarts`` (divergences caught and recovered from by halving the
        damping) and ``n_inner`` (total GAMP iterations). ``status`` is -1 if
        GAMP kept diverging down to a damping of 1e-3.

    Raises
    ------
    ValueError
        If ``A`` or ``y`` contain NaN or infinity, or their numbers of rows differ.

    Notes
    -----
    Each EM iteration runs up to ``max_inner`` iterations of Gaussian GAMP
    (variance form, ``S = A o A``)::

        nu_p = S nu_x;           p = A x - nu_p s
        nu_s = 1 / (nu_p + noise);  s <- (1 - t) s + t (y - p) nu_s
        nu_r = 1 / (S^T nu_s);   r = x + nu_r A^T s
        nu_x = gamma nu_r / (gamma + nu_r);  x <- (1 - t) x + t gamma r / (gamma + nu_r)

    then the EM M-step ``gamma = x^2 + nu_x``, ``noise = (||y - A x||^2 + noise
    sum(1 - nu_x / gamma_old)) / n``. Each GAMP iteration costs four products
    with ``A`` or ``S`` instead of a factorisation. Damped Gaussian GAMP
    converges for a small enough damping ``t`` (Al-Shoukairi et al., 2018);
    the default ``t`` follows their rule (:func:`gamp_damping`). Divergence
    (non-finite values, or a residual above ``DIVERGENCE_FACTOR * ||y||``) is
    detected at every GAMP iteration; the EM iteration is then restarted from
    its saved state with half the damping.

    ``sigma`` is the exact posterior covariance at the final hyperparameters
    (one Cholesky factorisation of the small final problem), not GAMP's
    approximate variances.

    Stopping rule: ``||x_k - x_{k-1}||_F <= tol ||x_k||_F`` between EM
    iterations, or ``max_iter`` EM iterations (then a
    :class:`~sparsekit.ConvergenceWarning`).

    References
    ----------
    .. [1] M. Al-Shoukairi, P. Schniter and B. D. Rao, "A GAMP-based low
       complexity sparse Bayesian learning algorithm", IEEE Trans. Signal
       Process. 66(2), 2018.
    .. [2] S. Rangan, P. Schniter and A. K. Fletcher, "On the convergence of
       approximate message passing with arbitrary matrices", ISIT 2014.

    Examples
    --------
    >>> from sparsekit.datasets import make_sparse_regression
    >>> from sparsekit.learn.linear_model import ggamp_sbl
    >>> A, y, coef, _ = make_sparse_regression(100, 200, 5, snr_db=30, random_state=0)
    >>> res = ggamp_sbl(A, y)
    >>> bool(res.converged), bool(((res.x - coef) ** 2).sum() < 0.01 * (coef ** 2).sum())
    (True, True)
    """
    name = "ggamp_sbl"
    A, Y, single_target = _check_design_and_targets(A, y)
    n_samples, n_features = A.shape
    n_targets = Y.shape[1]
    normalised = _Normalised(A)
    A_active = normalised.matrix
    squared = A_active**2
    theta = gamp_damping(A_active) if damping == "auto" else float(damping)
    gamma0, noise0 = _initial_hyperparameters(Y, A_active.shape[1])
    learn_noise = noise_variance is None
    floor = _noise_floor(Y)
    noise = max(noise0 if learn_noise else float(noise_variance), floor)
    gamma = np.full(A_active.shape[1], gamma0)
    x = np.zeros((A_active.shape[1], n_targets))
    nu_x = gamma.copy()
    s = np.zeros((n_samples, n_targets))
    divergence_level = DIVERGENCE_FACTOR * math.sqrt(float(np.sum(Y**2)))
    history = _History()
    converged = stopped = failed = False
    n_iter = n_inner = n_restarts = 0
    if gamma0 == 0.0:
        A_active = normalised.keep(np.zeros(gamma.size, dtype=bool))
        gamma, x, converged = gamma[:0], x[:0], True
    with IterationMonitor(name, total=max_iter, verbose=verbose, progress=progress, callback=callback) as monitor:
        while gamma.size and n_iter < max_iter:
            n_iter += 1
            saved = (x, s, nu_x, noise)
            x_outer = x
            diverged = False
            inner_converged = False
            for _ in range(max_inner):
                n_inner += 1
                nu_p = squared @ nu_x
                Ax = A_active @ x
                residual = Y - Ax
                if not math.isfinite(float(np.sum(x))) or math.sqrt(float(np.sum(residual**2))) > divergence_level:
                    diverged = True
                    break
                nu_s = 1.0 / (nu_p + noise)
                s = (1.0 - theta) * s + theta * (residual + nu_p[:, None] * s) * nu_s[:, None]
                nu_r = 1.0 / (squared.T @ nu_s)
                shrink = gamma / (gamma + nu_r)
                nu_x = shrink * nu_r
                x_previous = x
                x = (1.0 - theta) * x + theta * shrink[:, None] * (x + nu_r[:, None] * (A_active.T @ s))
                if _relative_change(x, x_previous) <= inner_tol:
                    inner_converged = True
                    break
            if diverged or not math.isfinite(float(np.sum(x))):
                x, s, nu_x, noise = saved
                theta *= 0.5
                n_restarts += 1
                if theta < _MIN_DAMPING:
                    failed = True
                    break
                continue
            gamma_old = gamma
            well_determined = 1.0 - nu_x / gamma_old
            gamma = np.mean(x**2, axis=1) + nu_x
            if learn_noise:
                residual_energy = float(np.sum((Y - A_active @ x) ** 2)) / n_targets
                noise = _em_noise_update(residual_energy, noise, float(np.sum(well_determined)), n_samples, floor)
            change = _relative_change(x, x_outer)
            # pruning is permanent, so it only acts on an E-step that GAMP has solved to inner_tol
            keep = _prune_mask(gamma, noise, prune_threshold) if inner_converged else np.ones(gamma.size, dtype=bool)
            if not keep.all():
                A_active = normalised.keep(keep)
                squared = squared[:, keep]
                gamma, x, nu_x = gamma[keep], x[keep], nu_x[keep]
            stopped = _record_iteration(monitor, history, change, noise, normalised, x, single_target,
                                        n_features if callback is not None else None)
            if change <= tol or not gamma.size:
                converged = True
                break
            if stopped:
                break
        if failed:
            status, message = -1, f"GAMP diverged even with damping below {_MIN_DAMPING:g}"
            warnings.warn(f"{name}: {message}.", ConvergenceWarning, stacklevel=3)
        else:
            status, message = _status(name, converged, stopped, n_iter, max_iter)
        monitor.close(message)
    return _finish(normalised, n_features, Y, gamma, noise, mean=x, covariance=covariance,
                   single_target=single_target, status=status, message=message, converged=converged,
                   n_iter=n_iter, history=history.record,
                   extra={"damping": theta, "n_restarts": n_restarts, "n_inner": n_inner})


for _func in (sbl_em, sbl_mackay):
    _func.__doc__ = _func.__doc__.format(parameters=_EVIDENCE_DOC_PARAMETERS, returns=_RETURNS_DOC,
                                         stopping=_STOPPING_DOC, example=_EXAMPLE_DOC.format(name=_func.__name__))


@validate_params({"method": [str], "callback": ["callable", None]})
def sparse_bayesian_learning(A, y, *, method="mackay", callback=None, **options):
    """Sparse Bayesian learning front door: ``method`` picks the solver from ``SBL_METHODS``.

    Parameters
    ----------
    A : array-like of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    method : {"mackay", "em", "gamp"}, default="mackay"
        :func:`sbl_mackay`, :func:`sbl_em` or :func:`ggamp_sbl`.
    callback : callable, optional
        Passed to the solver.
    **options
        Keyword options of the chosen solver.

    Returns
    -------
    Result
        The solver's result.

    Raises
    ------
    ValueError
        For an unknown method or bad input.
    TypeError
        For an option the method does not take.

    Examples
    --------
    >>> from sparsekit.datasets import make_sparse_regression
    >>> from sparsekit.learn.linear_model import sparse_bayesian_learning
    >>> A, y, coef, _ = make_sparse_regression(60, 120, 5, snr_db=30, random_state=0)
    >>> sparse_bayesian_learning(A, y, method="em", max_iter=500).converged
    True
    """
    return SBL_METHODS.dispatch(method, A, y, callback=callback, **options)


def _store_result(estimator, result, names):
    """Set ``estimator.<name>_ = result[<name>]`` for each name, and ``result_``; return the estimator."""
    for name in names:
        setattr(estimator, f"{name}_", result[name])
    estimator.result_ = result
    return estimator


_POSTERIOR_ATTRIBUTES = ("gamma", "active", "sigma", "noise_variance", "n_iter", "converged")


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


class SparseBayesianRegression(ParamsValidationMixin, RegressorMixin, BaseEstimator):
    """Sparse Bayesian learning (ARD) regression, fast: Cholesky EM/MacKay or GGAMP-SBL.

    A drop-in alternative to :class:`sklearn.linear_model.ARDRegression`
    that never computes a pseudo-inverse, prunes irrelevant features as soon
    as their prior variance collapses, and also fits several targets with a
    shared support (M-SBL).

    Parameters
    ----------
    solver : {"em", "mackay", "gamp"}, default="em"
        ``"em"``: :func:`sbl_em`; ``"mackay"``: :func:`sbl_mackay` (ARD's
        updates); ``"gamp"``: :func:`ggamp_sbl` (no factorisation in the
        loop, for large problems).
    max_iter : int, optional
        Maximum iterations; the solver's default (300 for EM and MacKay, 1000
        EM iterations for GAMP) when None.
    tol : float, optional
        Stopping tolerance on the relative change of the coefficients; the
        solver's default (1e-4, or 1e-5 for GAMP) when None.
    prune_threshold : float in [0, 1), default=1e-3
        Features with ``gamma_i <= prune_threshold * max(max(gamma),
        noise_variance)`` (in column-normalised units) are removed for good.
    noise_variance : float, optional
        Known noise variance; estimated when None.
    damping : "auto" or float in (0, 1], default="auto"
        GAMP damping (``solver="gamp"`` only); see :func:`gamp_damping`.
    covariance : {"auto", "full", "diag"}, default="auto"
        Keep the full posterior covariance of the active features in
        ``sigma_`` (up to 2000 active features for ``"auto"``) or its diagonal.
    fit_intercept : bool, default=True
        Centre ``X`` and ``y`` before fitting, as scikit-learn's linear models do.
    verbose : bool or int, default=0
        Log progress through the ``sparsekit`` logger.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Posterior mean of the coefficients (zero for pruned features).
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept (0 when ``fit_intercept=False``).
    gamma_ : ndarray of shape (n_features,)
        Prior variances (ARD's ``1 / lambda_``); zero for pruned features.
    active_ : ndarray of int
        Indices of the features kept.
    sigma_ : ndarray of shape (n_active, n_active) or (n_active,)
        Posterior covariance of the active features, or its diagonal.
    noise_variance_ : float
        Estimated (or given) noise variance (ARD's ``1 / alpha_``).
    n_iter_ : int
        Iterations run.
    converged_ : bool
        Whether the stopping rule was met.
    X_offset_ : ndarray of shape (n_features,)
        Column means of ``X`` subtracted before fitting (zeros without intercept).
    result_ : Result
        The solver's full result (histories, damping, ...).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has them.

    See Also
    --------
    sbl_em, sbl_mackay, ggamp_sbl : The solvers.
    KroneckerSBL : For Kronecker-structured designs.
    sklearn.linear_model.ARDRegression : The peer.

    Notes
    -----
    All solvers compute in float64. Prediction standard deviations use
    ``(x - X_offset_)^T Sigma (x - X_offset_) + noise_variance_``; with a
    diagonal ``sigma_`` posterior correlations are ignored.

    Examples
    --------
    >>> from sparsekit.datasets import make_sparse_regression
    >>> from sparsekit.learn.linear_model import SparseBayesianRegression
    >>> X, y, coef, _ = make_sparse_regression(100, 200, 5, snr_db=30, random_state=0)
    >>> model = SparseBayesianRegression(fit_intercept=False).fit(X, y)
    >>> sorted(model.active_.tolist()) == sorted(coef.nonzero()[0].tolist())
    True
    >>> mean, std = model.predict(X[:2], return_std=True)
    >>> mean.shape, std.shape
    ((2,), (2,))
    """

    _parameter_constraints = {
        "solver": [Options({"em", "mackay", "gamp"})],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "prune_threshold": [Interval(Real, 0, 1, closed="left")],
        "noise_variance": [Interval(Real, 0, None, closed="neither"), None],
        "damping": [Options({"auto"}), Interval(Real, 0, 1, closed="right")],
        "covariance": [Options({"auto", "full", "diag"})],
        "fit_intercept": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(self, solver="em", *, max_iter=None, tol=None, prune_threshold=1e-3, noise_variance=None,
                 damping="auto", covariance="auto", fit_intercept=True, verbose=0):
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.prune_threshold = prune_threshold
        self.noise_variance = noise_variance
        self.damping = damping
        self.covariance = covariance
        self.fit_intercept = fit_intercept
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y):
        """Fit the hyperparameters and the posterior of the coefficients.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets; several columns are fitted with one shared support.

        Returns
        -------
        SparseBayesianRegression
            The fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        if self.fit_intercept:
            X_offset, y_offset = X.mean(axis=0), y.mean(axis=0)
            X, y = X - X_offset, y - y_offset
        else:
            X_offset, y_offset = np.zeros(X.shape[1]), np.zeros(y.shape[1:])
        options = {"prune_threshold": self.prune_threshold, "noise_variance": self.noise_variance,
                   "covariance": self.covariance, "verbose": self.verbose}
        if self.solver == "gamp":
            options["damping"] = self.damping
        if self.max_iter is not None:
            options["max_iter"] = self.max_iter
        if self.tol is not None:
            options["tol"] = self.tol
        result = SBL_METHODS.dispatch(self.solver, X, y, **options)
        coef = result.x
        self.coef_ = coef.T if coef.ndim == 2 else coef
        self.intercept_ = y_offset - X_offset @ coef
        if coef.ndim == 1:
            self.intercept_ = float(self.intercept_)
        self.X_offset_ = X_offset
        return _store_result(self, result, _POSTERIOR_ATTRIBUTES)

    def predict(self, X, return_std=False):
        """Predict with the posterior mean, and optionally the predictive standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        return_std : bool, default=False
            Also return the standard deviation of the predictive distribution.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictive means.
        y_std : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictive standard deviations (the same for every target, which
            share ``gamma`` and the noise variance); only with ``return_std``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        y_mean = X @ self.coef_.T + self.intercept_
        if not return_std:
            return y_mean
        centred = X[:, self.active_] - self.X_offset_[self.active_]
        y_std = _predictive_std(centred, self.sigma_, self.noise_variance_)
        if y_mean.ndim == 2:
            y_std = np.repeat(y_std[:, None], y_mean.shape[1], axis=1)
        return y_mean, y_std
