"""The scikit-learn estimator of loss-function-based orthogonal matching pursuit."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin
from .._data import validate_data
from .._result_attributes import store_result
from ._loss_omp import LOSSES, loss_omp

__all__ = ["LossOMP"]


class LossOMP(ParamsValidationMixin, RegressorMixin, BaseEstimator):
    """Loss-function-based orthogonal matching pursuit (weighted, square-root or least-absolute-deviation OMP).

    Parameters
    ----------
    loss : {"squared", "sqrt-lasso", "lad"}, default="squared"
        Loss whose decrease selects the next feature: least squares (OMP,
        weighted when ``alpha > 0``), square-root LASSO (stops without knowing
        the noise level) or least absolute deviations (robust to corrupted
        samples).
    weights : array-like of shape (n_features,), optional
        Non-negative penalty weights (a small weight favours a feature).
    n_nonzero_coefs : int, optional
        Number of features to select (an oracle sparsity).
    tol : float, optional
        Stop once the data-fit term (``||r||^2``, ``||r||`` or ``||r||_1``) is
        at most ``tol``.
    alpha : float, optional
        Penalty level; the default depends on the loss (see :func:`loss_omp`).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    max_iter : int, optional
        Most features selected before a stopping rule must hold.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients (dtype of ``X``).
    intercept_ : float
        Intercept (0 when ``fit_intercept=False``).
    support_ : ndarray of int
        Selected features, in the order chosen.
    n_nonzero_coefs_ : int
        Number of selected features.
    n_iter_ : int
        Greedy steps taken.
    converged_ : bool
        Whether a stopping rule held.
    result_ : Result
        The solver's full result.
    n_features_in_ : int
        Number of features.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has them.

    See Also
    --------
    loss_omp : The solver.
    sklearn.linear_model.OrthogonalMatchingPursuit : OMP with the squared loss, unweighted.

    Notes
    -----
    See :func:`loss_omp` for the selection rules, refits and stopping rules.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import LossOMP
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 300))
    >>> coef = np.zeros(300); coef[[3, 50, 200]] = [1.5, -2.0, 1.0]
    >>> y = X @ coef + 0.05 * rng.standard_normal(100)
    >>> model = LossOMP(loss="sqrt-lasso").fit(X, y)  # no noise level, no sparsity given
    >>> sorted(model.support_.tolist())
    [3, 50, 200]
    """

    _parameter_constraints = {
        "loss": [Options(set(LOSSES))],
        "weights": ["array-like", None],
        "n_nonzero_coefs": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "alpha": [Interval(Real, 0, None, closed="left"), None],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, loss="squared", *, weights=None, n_nonzero_coefs=None, tol=None, alpha=None,
                 fit_intercept=True, max_iter=None):
        self.loss = loss
        self.weights = weights
        self.n_nonzero_coefs = n_nonzero_coefs
        self.tol = tol
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter

    def fit(self, X, y):
        """Select features greedily and refit on them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        LossOMP
            The fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32])
        result = loss_omp(X, y.astype(X.dtype, copy=False), loss=self.loss, weights=self.weights,
                          n_nonzero_coefs=self.n_nonzero_coefs, tol=self.tol, alpha=self.alpha,
                          fit_intercept=self.fit_intercept, max_iter=self.max_iter)
        self.coef_ = result.x
        self.intercept_ = result.intercept
        self.n_nonzero_coefs_ = int(result.support.size)
        return store_result(self, result, ("support", "n_iter", "converged"))

    def predict(self, X):
        """Predict with the sparse linear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            ``X @ coef_ + intercept_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self.coef_ + self.intercept_
