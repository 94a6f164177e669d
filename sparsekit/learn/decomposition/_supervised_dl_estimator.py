"""The scikit-learn classifier over :func:`supervised_dictionary_learning`."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin
from .._data import validate_data
from .._result_attributes import store_result
from ._supervised_dl import codes_for, supervised_dictionary_learning
from ._supervised_dl_logistic import softmax

__all__ = ["SupervisedDictionaryLearning"]


class SupervisedDictionaryLearning(ClassifierMixin, TransformerMixin, ParamsValidationMixin, BaseEstimator):
    """Supervised dictionary learning (supervised matrix factorisation) with auxiliary covariates.

    Learns a dictionary that both reconstructs ``X`` and feeds a logistic classifier, so that its few components
    keep the directions that predict ``y`` even when they carry little variance (where PCA or NMF followed by a
    classifier lose them).

    Parameters
    ----------
    n_components : int, optional
        Number of dictionary atoms ``r``; ``min(2, n_dictionary_features)`` when None.
    variant : {"filter", "feature"}, default="filter"
        Classify the filter responses ``X W`` (SMF-W) or the codes ``H`` (SMF-H).
    solver : {"bcd", "lpgd"}, default="bcd"
        Block coordinate descent or the lifted low-rank projected gradient.
    xi : float >= 0, default=1.0
        Weight of the relative reconstruction error against the classification loss.
    nu : float > 0, default=1e-3
        Ridge on the classifier's coefficients.
    covariates : array-like of int or bool, optional
        Columns of ``X`` that are auxiliary covariates: passed to the classifier, not factorised. Keeping them in
        ``X`` is what makes them survive :class:`~sklearn.pipeline.Pipeline`, cross-validation splits and
        :class:`~sklearn.model_selection.GridSearchCV` (``fit``'s other arguments are not split or routed).
    positive : bool, default=False
        Nonnegative dictionary and codes (``solver="bcd"``).
    max_iter : int, default=200
        Outer iterations.
    tol : float, optional
        Relative change of the objective at which to stop; ``1e-3`` for BCD and ``1e-4`` for LPGD by default (see
        :func:`supervised_dictionary_learning`).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the perturbation of the starting dictionary.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_dictionary_features)
        Dictionary atoms (unit rows), ``W^T``.
    coef_ : ndarray of shape (n_components, n_classes)
        Classifier coefficients of the filter responses or codes.
    covariate_coef_ : ndarray of shape (1 + n_covariates, n_classes)
        Intercept (first row) and covariate coefficients.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    reconstruction_error_ : float
        ``||X - H W^T||_F^2 / ||X||_F^2`` on the training data.
    n_iter_ : int
        Outer iterations run.
    converged_ : bool
        Whether the stopping rule was met.
    result_ : Result
        The solver's result (codes, objective history, ...).
    n_features_in_ : int
        Number of columns of ``X`` (covariates included).
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has them.

    See Also
    --------
    supervised_dictionary_learning : The solver.

    Notes
    -----
    Logits are ``X_d W beta + [1, Z] gamma`` (filter) or ``H beta + [1, Z] gamma`` (feature), where ``X_d`` are
    the non-covariate columns; the codes of new samples (``transform``, and the feature variant's predictions) are
    least squares on the dictionary. See :func:`supervised_dictionary_learning` for the algorithms.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import SupervisedDictionaryLearning
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([rng.standard_normal((300, 10)), rng.integers(0, 2, 300)])  # last column: covariate
    >>> y = (X[:, 9] + X[:, 10] > 0.5).astype(int)
    >>> model = SupervisedDictionaryLearning(2, covariates=[10], random_state=0).fit(X, y)
    >>> model.transform(X).shape, bool(model.score(X, y) > 0.9)
    ((300, 2), True)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "variant": [Options({"filter", "feature"})],
        "solver": [Options({"bcd", "lpgd"})],
        "xi": [Interval(Real, 0, None, closed="left")],
        "nu": [Interval(Real, 0, None, closed="neither")],
        "covariates": ["array-like", None],
        "positive": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=None, *, variant="filter", solver="bcd", xi=1.0, nu=1e-3, covariates=None,
                 positive=False, max_iter=200, tol=None, random_state=None):
        self.n_components = n_components
        self.variant = variant
        self.solver = solver
        self.xi = xi
        self.nu = nu
        self.covariates = covariates
        self.positive = positive
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _split(self, X):
        """The dictionary columns and the covariate columns of ``X``."""
        mask = np.zeros(X.shape[1], dtype=bool)
        if self.covariates is not None:
            index = np.asarray(self.covariates)
            if index.dtype == bool:
                if index.shape != (X.shape[1],):
                    raise ValueError(f"covariates as a mask must have n_features={X.shape[1]} entries.")
                mask = index
            else:
                if index.dtype.kind not in "iu" or index.size and (index.min() < -X.shape[1]
                                                                     or index.max() >= X.shape[1]):
                    raise ValueError(f"covariates must be column indices of X in [0, {X.shape[1]}); got "
                                     f"{self.covariates!r}.")
                mask[index] = True
        if mask.all():
            raise ValueError("covariates cover every column of X: nothing is left to factorise.")
        if not mask.any():  # no covariates: no copy of X
            return X, X[:, :0]
        return X[:, ~mask], X[:, mask]

    def fit(self, X, y):
        """Learn the dictionary and the classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; the columns named by ``covariates`` are auxiliary covariates.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        SupervisedDictionaryLearning
            The fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise ValueError(f"y: {exc}") from exc
        self.classes_, labels = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(f"y has only one class ({self.classes_[0]!r}): at least two are needed.")
        X_dict, Z = self._split(X)
        n_components = min(2, X_dict.shape[1]) if self.n_components is None else self.n_components
        result = supervised_dictionary_learning(
            X_dict, labels, n_components, covariates=Z, variant=self.variant, solver=self.solver, xi=self.xi,
            nu=self.nu, positive=self.positive, max_iter=self.max_iter, tol=self.tol, random_state=self.random_state)
        return store_result(self, result, ("components", "coef", "covariate_coef", "reconstruction_error", "n_iter",
                                           "converged"), dtype=X.dtype)

    def _logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        X_dict, Z = self._split(X)
        W = self.components_.T
        F = X_dict @ W if self.variant == "filter" else codes_for(X_dict, W, self.positive)
        return F @ self.coef_ + np.column_stack([np.ones(X.shape[0]), Z]) @ self.covariate_coef_

    def decision_function(self, X):
        """Logits: ``eta[:, 1] - eta[:, 0]`` for two classes, else one column per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Scores.
        """
        eta = self._logits(X)
        return eta[:, 1] - eta[:, 0] if eta.shape[1] == 2 else eta

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return softmax(self._logits(X))

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted labels.
        """
        eta = self._logits(X)
        return self.classes_[np.argmax(eta, axis=1)]

    def transform(self, X):
        """Codes of ``X`` on the dictionary (least squares; nonnegative with ``positive=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples (covariate columns are ignored).

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Codes.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return codes_for(self._split(X)[0], self.components_.T, self.positive).astype(X.dtype, copy=False)
