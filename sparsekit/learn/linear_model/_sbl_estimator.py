"""Sparse Bayesian learning for users: the ``sparse_bayesian_learning`` front door and its estimator.

The front door picks a solver by name from :data:`SBL_METHODS` (EM, MacKay,
GGAMP-SBL); :class:`SparseBayesianRegression` is the scikit-learn estimator
on top of them.
"""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin, validate_params
from ..._core.registry import Registry
from .._data import validate_data
from .._result_attributes import store_result
from ._sbl_evidence import sbl_em, sbl_mackay
from ._sbl_gamp import GAMP_CONSTRAINTS, ggamp_sbl
from ._sbl_posterior import _POSTERIOR_ATTRIBUTES, _predictive_std
from ._sbl_run import SBL_CONSTRAINTS

__all__ = ["SBL_METHODS", "SparseBayesianRegression", "sparse_bayesian_learning"]

#: The SBL solvers by ``method`` name.
SBL_METHODS = Registry("sparse_bayesian_learning")
SBL_METHODS.register("em", sbl_em, constraints=SBL_CONSTRAINTS)
SBL_METHODS.register("mackay", sbl_mackay, constraints=SBL_CONSTRAINTS)
SBL_METHODS.register("gamp", ggamp_sbl, constraints=GAMP_CONSTRAINTS)


@validate_params({"method": [str], "callback": ["callable", None]})
def sparse_bayesian_learning(A, y, *, method="mackay", callback=None, **options):
    """Sparse Bayesian learning front door: ``method`` picks the solver from ``SBL_METHODS``.

    Parameters
    ----------
    A : array-like or sparse array of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    method : {"mackay", "em", "gamp"}, default="mackay"
        :func:`sbl_mackay`, :func:`sbl_em` or :func:`ggamp_sbl`.
    callback : callable, optional
        Passed to the solver: ``callback(xk)`` after each iteration, with
        ``xk`` the current coefficients; returning True (or raising
        StopIteration) stops the run (status 2, no warning).
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
    All solvers compute in float64 (the Cholesky factorisations of the
    E-step need it); for float32 ``X`` the fitted arrays (``coef_``,
    ``gamma_``, ``sigma_``, ``X_offset_``) are cast back to float32, and
    ``result_`` keeps float64. Prediction standard deviations use
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
        X : array-like or sparse array of shape (n_samples, n_features)
            Training data; sparse (any format) with ``fit_intercept=False``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets; several columns are fitted with one shared support.

        Returns
        -------
        SparseBayesianRegression
            The fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=[np.float64, np.float32],
                             accept_sparse=True)
        dtype = X.dtype
        X, y = X.astype(np.float64, copy=False), y.astype(np.float64, copy=False)
        if self.fit_intercept and sparse.issparse(X):
            raise TypeError("X must be dense when fit_intercept=True: centring its columns would make a sparse X "
                            "dense. Centre y and pass fit_intercept=False, or pass X.toarray().")
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
        self.coef_ = (coef.T if coef.ndim == 2 else coef).astype(dtype, copy=False)
        self.intercept_ = y_offset - X_offset @ coef
        if coef.ndim == 1:
            self.intercept_ = float(self.intercept_)
        else:
            self.intercept_ = self.intercept_.astype(dtype, copy=False)
        self.X_offset_ = X_offset.astype(dtype, copy=False)
        return store_result(self, result, _POSTERIOR_ATTRIBUTES, dtype=dtype)

    def predict(self, X, return_std=False):
        """Predict with the posterior mean, and optionally the predictive standard deviation.

        Parameters
        ----------
        X : array-like or sparse array of shape (n_samples, n_features)
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
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32], accept_sparse=True)
        y_mean = np.asarray(X @ self.coef_.T) + self.intercept_
        if not return_std:
            return y_mean
        centred = X[:, self.active_]
        centred = (centred.toarray() if sparse.issparse(centred) else centred) - self.X_offset_[self.active_]
        y_std = _predictive_std(centred, self.sigma_, self.noise_variance_)
        if y_mean.ndim == 2:
            y_std = np.repeat(y_std[:, None], y_mean.shape[1], axis=1)
        return y_mean, y_std
