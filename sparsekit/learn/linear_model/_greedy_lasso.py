"""The Lasso solved by greedy block coordinate descent: :class:`GreedyLasso`, on top of :func:`sparsekit.linalg.greedy_bcd`."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin
from ...linalg import greedy_bcd
from .._data import validate_data
from .._result_attributes import store_result

__all__ = ["GreedyLasso"]


class GreedyLasso(ParamsValidationMixin, RegressorMixin, BaseEstimator):
    """Lasso by greedy coordinate descent: a drop-in for :class:`sklearn.linear_model.Lasso`.

    Minimises ``(1 / (2 n_samples)) ||y - X w - c||^2 + alpha ||w||_1`` with the Gauss-Southwell rules of
    Nutini, Laradji & Schmidt on a growing working set, and Newton steps once the support is identified
    (:func:`sparsekit.linalg.greedy_bcd`).

    Parameters
    ----------
    alpha : float >= 0, default=1.0
        The ℓ1 penalty, as in scikit-learn's ``Lasso``.
    rule : {"gsq", "gsl", "gs", "cyclic", "random"}, default="gsq"
        Coordinate selection rule (see :func:`sparsekit.linalg.greedy_bcd`).
    block_size : int, default=1
        Coordinates updated together.
    fit_intercept : bool, default=True
        Centre ``X`` and ``y`` before fitting.
    tol : float, default=1e-4
        Duality gap tolerance, relative to ``||y||^2 / n_samples``: the meaning of ``Lasso(tol=...)``.
    max_iter : int, default=100
        Maximum outer (working-set) iterations.
    random_state : None, int or Generator, default=None
        Seeds ``rule="random"``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients.
    intercept_ : float
        Intercept (0 when ``fit_intercept=False``).
    dual_gap_ : float
        Duality gap at the end (``alpha > 0``), or the largest gradient entry (``alpha == 0``).
    n_iter_ : int
        Outer iterations run.
    converged_ : bool
        Whether the stopping rule was met.
    result_ : Result
        The solver's full result.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has them.

    See Also
    --------
    sparsekit.linalg.greedy_bcd : The solver.
    sklearn.linear_model.Lasso : The peer (cyclic or random coordinate descent).

    Notes
    -----
    Sparse ``X`` is used as is (never densified) with ``fit_intercept=False``; centring it would densify it,
    so ``fit_intercept=True`` with sparse ``X`` is a ``TypeError``. The solver computes in float64; for float32
    ``X``, ``coef_`` is float32.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import GreedyLasso
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 100))
    >>> y = X[:, :3] @ np.array([2.0, -1.0, 1.5]) + 0.01 * rng.standard_normal(60)
    >>> model = GreedyLasso(alpha=0.05).fit(X, y)
    >>> model.converged_, np.flatnonzero(np.abs(model.coef_) > 0.1).tolist()
    (True, [0, 1, 2])
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "rule": [Options({"gsq", "gsl", "gs", "cyclic", "random"})],
        "block_size": [Interval(Integral, 1, None, closed="left")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, alpha=1.0, *, rule="gsq", block_size=1, fit_intercept=True, tol=1e-4, max_iter=100,
                 random_state=None):
        self.alpha = alpha
        self.rule = rule
        self.block_size = block_size
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the coefficients.

        Parameters
        ----------
        X : array-like or sparse array of shape (n_samples, n_features)
            Training data; sparse only with ``fit_intercept=False``.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        GreedyLasso
            The fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32],
                             accept_sparse=["csc", "csr", "coo"])
        dtype = X.dtype
        if self.fit_intercept and sparse.issparse(X):
            raise TypeError("X must be dense when fit_intercept=True: centring its columns would make a sparse X "
                            "dense. Centre y and pass fit_intercept=False, or pass X.toarray().")
        y = y.astype(np.float64, copy=False)
        if self.fit_intercept:
            X = X.astype(np.float64, copy=False)
            X_offset, y_offset = X.mean(axis=0), float(y.mean())
            X, y = X - X_offset, y - y_offset
        else:
            X_offset, y_offset = np.zeros(X.shape[1]), 0.0
        result = greedy_bcd(X, y, alpha=self.alpha, rule=self.rule, block_size=self.block_size, tol=self.tol,
                            max_iter=self.max_iter, random_state=self.random_state)
        coef = np.asarray(result.x, dtype=np.float64)
        self.coef_ = coef.astype(dtype, copy=False)
        self.intercept_ = float(y_offset - X_offset @ coef)
        self.dual_gap_ = float(result.gap)
        return store_result(self, result, ("n_iter", "converged"))

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : array-like or sparse array of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predictions.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32], accept_sparse=["csr", "csc", "coo"])
        return np.asarray(X @ self.coef_).ravel() + self.intercept_
