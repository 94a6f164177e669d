"""Shared plumbing of the truncated-EM sparse coders (binary and spike-and-slab sparse coding).

The solvers share their parameters, the data scaling and the initial
dictionary, the M-step of ``W``, ``sigma`` and ``pi``, and the annealed EM
loop with its stopping rule and its end through ``end_run``; the estimators
share ``__init__``, ``fit`` and ``transform`` around three hooks
(``_solver``, ``_extra_attributes`` and ``_posterior_means``).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, ParamsValidationMixin
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, Result, end_run
from ..._core.validation import check_array
from .._data import validate_data
from .._result_attributes import store_result
from ._truncated_em_kernels import candidate_masks

_TINY = np.finfo(float).tiny

_CONSTRAINTS = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "n_candidates": [Interval(Integral, 1, 20, closed="both")],
    "max_active": [Interval(Integral, 1, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "anneal_temperature": [Interval(Real, 1, None, closed="left")],
    "anneal_fraction": [Interval(Real, 0, 1, closed="both")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "random_state": ["random_state"],
}


def em_setup(Y, n_components, n_candidates, max_active, random_state):
    """Checked data scaled to max 1, its scale, the state masks and the initial ``W``, ``sigma^2``, ``pi``.

    The models are scale-equivariant (``W`` and ``sigma`` scale with ``Y``):
    running on ``Y / max|Y|`` keeps every square finite. Initial ``W``: data
    mean plus noise of a quarter of the data's standard deviation;
    ``sigma^2``: the data's variance; ``pi = 1 / H``.
    """
    Y = check_array(Y, "Y", ndim=2).astype(np.float64, copy=False)
    if max_active > n_candidates:
        raise ValueError(f"max_active={max_active} must not exceed n_candidates={n_candidates}.")
    rng = check_random_state(random_state)
    scale = float(np.abs(Y).max()) or 1.0
    Y = Y / scale
    D, H = Y.shape[1], n_components
    masks = candidate_masks(min(n_candidates, H), max_active)
    W = Y.mean(axis=0)[:, None] + rng.standard_normal((D, H)) * Y.std() / 4
    return Y, scale, masks, W, max(float(Y.var()), _TINY), 1.0 / max(H, 2)


def m_step(YS, SS, n_active, sum_y2, N, H):
    """``W = YS SS^-1``, ``sigma^2`` (the mean squared residual per entry) and ``pi = n_active / (N H)``."""
    W = np.linalg.lstsq(SS, YS.T, rcond=None)[0].T
    sigma2 = max((sum_y2 - 2 * np.sum(W * YS) + np.sum((W.T @ W) * SS)) / (N * W.shape[0]), _TINY)
    return W, sigma2, float(np.clip(n_active / (N * H), 1e-6, 1 - 1e-6))


def run_em(step, finish, *, caller, max_iter, anneal_temperature, anneal_fraction, tol):
    """Annealed EM loop: ``step(beta)`` runs one E- and M-step and returns the summed log-evidence per data point.

    The temperature ``T`` (``beta = 1 / T``) falls linearly from
    ``anneal_temperature`` to 1 over the first ``anneal_fraction`` of the
    ``max_iter`` steps. The run stops after annealing when the log-likelihood
    per data point changes by at most ``tol`` times its magnitude, or when it
    becomes non-finite. ``finish()`` returns the model's fields, which join
    ``loglik`` and ``n_iter`` in the Result ended through ``end_run``.
    """
    anneal_steps = int(anneal_fraction * max_iter)
    loglik, status = [], STATUS_MAX_ITER
    message = f"max_iter={max_iter} EM steps reached before the log-likelihood settled to tol={tol:g}"
    for it in range(1, max_iter + 1):
        temperature = 1.0 + (anneal_temperature - 1.0) * max(0.0, 1.0 - (it - 1) / max(anneal_steps, 1))
        loglik.append(step(1.0 / temperature))
        if not np.isfinite(loglik[-1]):
            message = "the log-likelihood became non-finite"
            break
        if temperature == 1.0 and it > anneal_steps + 1 and abs(loglik[-1] - loglik[-2]) <= tol * abs(loglik[-2]):
            status, message = STATUS_CONVERGED, f"the log-likelihood changed by less than tol={tol:g}"
            break
    result = Result(**finish(), loglik=np.array(loglik), n_iter=it)
    return end_run(result, caller=caller, status=status, message=message)


class _TruncatedEMCoder(ClassNamePrefixFeaturesOutMixin, ParamsValidationMixin, TransformerMixin, BaseEstimator):
    """Base of the truncated-EM coders: subclasses set ``_solver`` and ``_extra_attributes``, define ``_posterior_means``.

    ``_solver`` is the solver function as a staticmethod (called with the
    estimator's parameters); ``_extra_attributes`` maps fitted attribute names to Result
    fields beyond ``W``, ``sigma`` and ``pi``; ``_posterior_means(X, W,
    masks)`` returns the truncated posterior means of the codes at
    temperature 1.
    """

    _parameter_constraints = dict(_CONSTRAINTS)

    def __init__(self, n_components, *, n_candidates, max_active, max_iter, anneal_temperature, anneal_fraction, tol,
                 random_state):
        self.n_components = n_components
        self.n_candidates = n_candidates
        self.max_active = max_active
        self.max_iter = max_iter
        self.anneal_temperature = anneal_temperature
        self.anneal_fraction = anneal_fraction
        self.tol = tol
        self.random_state = random_state

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def fit(self, X, y=None):
        """Learn the atoms, the noise level, the sparsity and the model's other parameters (see Attributes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        result = self._solver(X, **self.get_params())
        self.components_ = result.W.T.astype(X.dtype)
        for attribute, field in self._extra_attributes.items():
            setattr(self, attribute, result[field])
        self.noise_std_, self.sparsity_ = result.sigma, result.pi
        return store_result(self, result, ("loglik", "n_iter", "converged"))

    def transform(self, X):
        """Posterior means of the codes under the learnt parameters (see Notes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The codes' means under the truncated posterior.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        W = np.ascontiguousarray(self.components_.T, dtype=np.float64)
        masks = candidate_masks(min(self.n_candidates, self.n_components), self.max_active)
        return self._posterior_means(X.astype(np.float64), W, masks).astype(X.dtype, copy=False)
