"""MCP and SCAD regression estimators on top of :func:`nonconvex_regression`."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, ParamsValidationMixin
from .._data import validate_data
from .._result_attributes import store_result
from ._nonconvex_penalties import nonconvex_regression

__all__ = ["MCPRegression", "SCADRegression"]


class _NonconvexRegression(ParamsValidationMixin, RegressorMixin, BaseEstimator):
    _penalty = None

    def fit(self, X, y):
        """Fit the coefficients.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32])
        dtype = X.dtype
        X, y = X.astype(np.float64, copy=False), y.astype(np.float64, copy=False)
        if self.fit_intercept:
            X_offset, y_offset = X.mean(axis=0), float(y.mean())
            X, y = X - X_offset, y - y_offset
        else:
            X_offset, y_offset = np.zeros(X.shape[1]), 0.0
        result = nonconvex_regression(X, y, penalty=self._penalty, alpha=self.alpha, gamma=self.gamma,
                                      tol=self.tol, max_iter=self.max_iter)
        coef = np.asarray(result.x, dtype=np.float64)
        self.coef_ = coef.astype(dtype, copy=False)
        self.intercept_ = float(y_offset - X_offset @ coef)
        return store_result(self, result, ("n_iter", "converged", "objective"))

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predictions.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self.coef_ + self.intercept_


_CONSTRAINTS = {
    "alpha": [Interval(Real, 0, None, closed="left")],
    "fit_intercept": ["boolean"],
    "tol": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
}

_ATTRIBUTES = """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients.
    intercept_ : float
        Intercept (0 when ``fit_intercept=False``).
    objective_ : float
        Penalised objective at ``coef_`` (on centred data with ``fit_intercept``).
    n_iter_ : int
        Gradient evaluations.
    converged_ : bool
        Whether the stopping rule was met.
    result_ : Result
        The solver's full result.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has them.
"""


class MCPRegression(_NonconvexRegression):
    """Least squares with the minimax concave penalty, by accelerated gradient (Yang, Asgharian & Bhatnagar).

    Minimises ``(1 / 2n) ||y - X w - c||^2 + sum_j MCP(w_j; alpha, gamma)`` with
    :func:`nonconvex_regression`; the same objective as skglm's ``MCPRegression``.

    Parameters
    ----------
    alpha : float >= 0, default=1.0
        The penalty level ``lambda``.
    gamma : float > 1, default=3.0
        The MCP concavity parameter.
    fit_intercept : bool, default=True
        Centre ``X`` and ``y`` before fitting.
    tol : float, default=1e-8
        Stopping tolerance on ``||md_k - md_{k-1}||_inf``.
    max_iter : int, default=5000
        Maximum gradient evaluations.
    {attributes}
    See Also
    --------
    nonconvex_regression : The solver.
    SCADRegression : The SCAD penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import MCPRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 40))
    >>> y = X[:, :2] @ np.array([2.0, -1.0]) + 0.1 * rng.standard_normal(100)
    >>> np.flatnonzero(MCPRegression(alpha=0.1).fit(X, y).coef_).tolist()
    [0, 1]
    """

    _penalty = "mcp"
    _parameter_constraints = {**_CONSTRAINTS, "gamma": [Interval(Real, 1, None, closed="neither")]}

    def __init__(self, alpha=1.0, *, gamma=3.0, fit_intercept=True, tol=1e-8, max_iter=5000):
        self.alpha = alpha
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter


class SCADRegression(_NonconvexRegression):
    """Least squares with the SCAD penalty, by accelerated gradient (Yang, Asgharian & Bhatnagar).

    Minimises ``(1 / 2n) ||y - X w - c||^2 + sum_j SCAD(w_j; alpha, gamma)`` with
    :func:`nonconvex_regression` (``gamma`` is SCAD's ``a``); the objective of skglm's ``SCAD`` penalty with
    its ``Quadratic`` datafit.

    Parameters
    ----------
    alpha : float >= 0, default=1.0
        The penalty level ``lambda``.
    gamma : float > 2, default=3.7
        SCAD's ``a``.
    fit_intercept : bool, default=True
        Centre ``X`` and ``y`` before fitting.
    tol : float, default=1e-8
        Stopping tolerance on ``||md_k - md_{k-1}||_inf``.
    max_iter : int, default=5000
        Maximum gradient evaluations.
    {attributes}
    See Also
    --------
    nonconvex_regression : The solver.
    MCPRegression : The MCP penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import SCADRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 40))
    >>> y = X[:, :2] @ np.array([2.0, -1.0]) + 0.1 * rng.standard_normal(100)
    >>> np.flatnonzero(SCADRegression(alpha=0.1).fit(X, y).coef_).tolist()
    [0, 1]
    """

    _penalty = "scad"
    _parameter_constraints = {**_CONSTRAINTS, "gamma": [Interval(Real, 2, None, closed="neither")]}

    def __init__(self, alpha=1.0, *, gamma=3.7, fit_intercept=True, tol=1e-8, max_iter=5000):
        self.alpha = alpha
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter


MCPRegression.__doc__ = MCPRegression.__doc__.replace("    {attributes}\n", _ATTRIBUTES + "\n")
SCADRegression.__doc__ = SCADRegression.__doc__.replace("    {attributes}\n", _ATTRIBUTES + "\n")
