"""The scikit-learn estimator over :func:`sparse_pca`."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin
from ..._core.validation import check_array
from .._data import validate_data
from .._result_attributes import store_result
from ._sparse_pca import sparse_pca

__all__ = ["SparsePCA"]


class SparsePCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ParamsValidationMixin, BaseEstimator):
    """Sparse PCA by the truncated power method or GPower: fast, with a plain linear ``transform``.

    A replacement for :class:`sklearn.decomposition.SparsePCA` where the sparsity is set directly (``cardinality``
    nonzeros per component, or GPower's ``gamma``), ``transform`` is the projection ``(X - mean_) @ components_.T``
    (not a ridge regression), ``explained_variance_`` is the adjusted variance, and a scipy.sparse ``X`` is
    centred implicitly, never densified.

    Parameters
    ----------
    n_components : int, optional
        Number of sparse components; all ``n_features`` when None.
    method : {"tpower", "gpower-l1", "gpower-l0"}, default="tpower"
        Truncated power method (exactly ``cardinality`` nonzeros) or GPower with the ℓ1 / ℓ0 penalty ``gamma``.
    cardinality : int, optional
        Nonzeros per component for ``"tpower"``; ``max(1, n_features // 10)`` when None.
    gamma : float in [0, 1), optional
        GPower's sparsity relative to the largest column norm (0.2 when None).
    block : bool, default=False
        GPower only: all components at once through the polar factor instead of one at a time with deflation.
    max_iter : int, default=200
        Iterations per component.
    tol : float, default=1e-6
        Stopping tolerance (see :func:`sparse_pca`).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Sparse unit loadings, in the precision of ``X``.
    explained_variance_ : ndarray of shape (n_components,)
        Adjusted variance of each component (variance of its score not explained by the earlier ones).
    explained_variance_ratio_ : ndarray of shape (n_components,)
        ``explained_variance_`` over the total variance.
    mean_ : ndarray of shape (n_features,)
        Column means of the training data.
    n_components_ : int
        Number of components.
    n_iter_ : int
        Iterations run (all components).
    converged_ : bool
        Whether every component met the stopping rule.
    result_ : Result
        The solver's result.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has them.

    See Also
    --------
    sparse_pca : The solver.
    sklearn.decomposition.SparsePCA : The peer (ℓ1-penalised dictionary learning; ridge ``transform``).

    Notes
    -----
    ``transform`` is the linear projection on the loadings, so ``transform(X)[:, j]`` is the score whose variance
    is the (unadjusted) variance along component ``j``; sparse loadings are not orthogonal, so ``inverse_transform``
    (``scores @ components_ + mean_``) is an approximation. See :func:`sparse_pca` for the algorithms.

    Examples
    --------
    >>> from sparsekit.datasets import make_spiked_covariance
    >>> from sparsekit.learn.decomposition import SparsePCA
    >>> X, V, _ = make_spiked_covariance(500, 100, 2, cardinality=10, random_state=0)
    >>> model = SparsePCA(2, cardinality=10).fit(X)
    >>> (model.components_ != 0).sum(axis=1).tolist(), model.transform(X).shape
    ([10, 10], (500, 2))
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "method": [Options({"tpower", "gpower-l1", "gpower-l0"})],
        "cardinality": [Interval(Integral, 1, None, closed="left"), None],
        "gamma": [Interval(Real, 0, 1, closed="left"), None],
        "block": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, n_components=None, *, method="tpower", cardinality=None, gamma=None, block=False,
                 max_iter=200, tol=1e-6):
        self.n_components = n_components
        self.method = method
        self.cardinality = cardinality
        self.gamma = gamma
        self.block = block
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def fit(self, X, y=None):
        """Find the sparse components.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix of shape (n_samples, n_features)
            Training data (centred implicitly when sparse).
        y : None
            Ignored.

        Returns
        -------
        SparsePCA
            The fitted estimator.
        """
        self._validate_params()
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32],
                          ensure_min_samples=2)
        n_components = X.shape[1] if self.n_components is None else self.n_components
        result = sparse_pca(X, n_components, method=self.method, cardinality=self.cardinality, gamma=self.gamma,
                            block=self.block, max_iter=self.max_iter, tol=self.tol)
        self.n_components_ = n_components
        self.explained_variance_ratio_ = (result.explained_variance / max(result.total_variance, np.finfo(
            X.dtype).tiny)).astype(X.dtype, copy=False)
        return store_result(self, result, ("components", "explained_variance", "mean", "n_iter", "converged"),
                            dtype=X.dtype)

    def transform(self, X):
        """Project on the sparse loadings: ``(X - mean_) @ components_.T``.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix of shape (n_samples, n_features)
            Data (a sparse ``X`` is not densified).

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Scores.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32], reset=False)
        return np.asarray(X @ self.components_.T) - self.mean_ @ self.components_.T

    def inverse_transform(self, X):
        """Map scores back to the data space: ``X @ components_ + mean_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Scores.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The approximation of the data.
        """
        check_is_fitted(self)
        X = check_array(X, "X", ndim=2)
        if X.shape[1] != self.n_components_:
            raise ValueError(f"X must have n_components_={self.n_components_} columns; got {X.shape[1]}.")
        return X @ self.components_ + self.mean_
