"""Sparse Bayesian learning by evidence maximisation: EM and MacKay updates with a Cholesky E-step.

Model (Tipping 2001; Wipf & Rao 2004): ``Y = A X + E`` with ``E`` iid
``N(0, noise_variance)`` and each row ``x_i`` of ``X`` iid ``N(0, gamma_i)``.
The hyperparameters ``gamma`` and ``noise_variance`` maximise the marginal
likelihood; most ``gamma_i`` go to zero, which prunes those features.
"""

import numpy as np

from ..._core.params import validate_params
from ..._core.progress import IterationMonitor
from ._sbl_posterior import _GramCache, _posterior
from ._sbl_run import (
    SBL_CONSTRAINTS,
    _check_design_and_targets,
    _em_noise_update,
    _finish,
    _History,
    _initial_hyperparameters,
    _noise_floor,
    _Normalised,
    _prune_mask,
    _record_iteration,
    _relative_change,
    _status,
)

__all__ = ["sbl_em", "sbl_mackay"]


def _evidence_sbl(name, A, Y, *, update, max_iter, tol, prune_threshold, noise_variance, covariance,
                  callback, verbose, progress):
    """EM (``update="em"``) or MacKay (``update="mackay"``) evidence maximisation."""
    A, Y, single_target = _check_design_and_targets(A, Y)
    n_samples, n_features = A.shape
    n_targets = Y.shape[1]
    normalised = _Normalised(A, Y)
    A_active, Y = normalised.matrix, normalised.targets
    noise_variance = normalised.noise_in_units(noise_variance)
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
            new_mean, variance, well_determined, _ = _posterior(A_active, Y, gamma, noise, gram=gram)
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
        status, message = _status(converged, stopped, n_iter, max_iter)
        monitor.close(message)
    gram = gram_cache.get(A_active, normalised.active) if gram_cache.columns is not None and gamma.size else None
    return _finish(name, normalised, n_features, Y, gamma, noise, gram=gram, covariance=covariance,
                   single_target=single_target, status=status, message=message, n_iter=n_iter,
                   history=history.record)


_EVIDENCE_DOC_PARAMETERS = """
    Parameters
    ----------
    A : array-like or sparse array of shape (n_samples, n_features)
        Design (dictionary) matrix; any shape, ``n_features > n_samples``
        included. A sparse ``A`` (any format) is used through products and
        column slices only: no dense block larger than ``n_samples x
        n_samples`` or the active columns is formed.
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
        ``callback(xk)`` after each iteration, with ``xk`` the current
        coefficients in the caller's units; returning True (or raising
        StopIteration) stops the run (status 2, no warning).
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
        reached, 2 stopped by the callback, 3 non-finite result), ``message``,
        ``n_iter``, and the histories ``relative_change``,
        ``noise_variance_history`` and ``n_active_history``.

    Raises
    ------
    ValueError
        If ``A`` or ``y`` contain NaN or infinity, or their numbers of rows differ.
"""


@validate_params(SBL_CONSTRAINTS)
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


@validate_params(SBL_CONSTRAINTS)
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


for _func in (sbl_em, sbl_mackay):
    _func.__doc__ = _func.__doc__.format(parameters=_EVIDENCE_DOC_PARAMETERS, returns=_RETURNS_DOC,
                                         stopping=_STOPPING_DOC, example=_EXAMPLE_DOC.format(name=_func.__name__))
