"""The scikit-learn estimator of complete (orthogonal) dictionary learning by ℓp maximisation."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin
from .._data import validate_data
from .._result_attributes import store_result
from ._online_dl import is_chunked
from ._orthogonal_dl import check_components, orthogonal_dictionary_learning

__all__ = ["OrthogonalDictionaryLearning"]


class OrthogonalDictionaryTransformMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """``transform`` (codes) and ``inverse_transform`` of a dictionary with orthonormal rows ``components_``."""

    def transform(self, X):
        """Codes of ``X`` in the learned dictionary: ``X @ components_.T`` (exact, the atoms being orthonormal).

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray or dask.array.Array of shape (n_samples, n_components)
            The codes, in the precision of ``X`` (float32 kept); lazy for a Dask array.
        """
        check_is_fitted(self)
        if is_chunked(X):  # a Dask array stays lazy
            if X.ndim != 2 or X.shape[1] != self.n_features_in_:
                raise ValueError(f"X must have shape (n_samples, {self.n_features_in_}); got {X.shape}.")
            return X @ self.components_.T
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self.components_.T.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Samples from codes: ``X @ components_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The reconstructed samples.
        """
        check_is_fitted(self)
        try:
            X = check_array(X, dtype=[np.float64, np.float32])
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"X: {exc}") from exc
        if X.shape[1] != self.components_.shape[0]:
            raise ValueError(f"X: the codes must have n_components={self.components_.shape[0]} columns; got shape "
                             f"{X.shape}.")
        return X @ self.components_.astype(X.dtype, copy=False)

    @property
    def _n_features_out(self):
        return self.components_.shape[0]


class OrthogonalDictionaryLearning(ParamsValidationMixin, OrthogonalDictionaryTransformMixin, BaseEstimator):
    r"""Complete dictionary learning by ℓp-norm maximisation over the orthogonal group.

    Learns a dictionary with orthonormal atoms in which the data are sparse, by the generalised power method
    (:func:`orthogonal_dictionary_learning`): where :class:`sklearn.decomposition.DictionaryLearning` leaves
    complete dictionaries unrecovered (error about 0.8 on the problems below), this recovers them to the
    finite-sample limit in about ten iterations, faster than :class:`sklearn.decomposition.FastICA`.

    Parameters
    ----------
    n_components : int, optional
        Number of atoms, at most ``n_features``; ``n_features`` when None.
    p : float > 2, default=3
        The norm maximised (3: Shen et al.; 4: MSP of Zhai et al.).
    max_iter : int, default=300
        Maximum number of iterations.
    tol : float, default=1e-4
        Stop when ``||A_k - A_{k-1}||_F / sqrt(n_components) <= tol``.
    init : "subsample", "random" or array-like of shape (n_components, n_features), default="subsample"
        Starting dictionary: Haar-random, the result of a warm-up run on ``40 * n_features`` random samples
        (``"subsample"``, when there are more than twice as many; see :func:`orthogonal_dictionary_learning`),
        or the given matrix projected onto orthonormal rows.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the random start and of the subsample.
    polar_method : {"svd", "newton-schulz"}, default="svd"
        How each gradient is projected (see :func:`sparsekit.linalg.polar`).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The atoms, orthonormal rows, in the precision of ``X`` (float32 kept).
    objective_ : ndarray of shape (n_iter\_,)
        ``(1/(p m)) ||X A^T||_p^p`` at each iterate (non-decreasing).
    n_iter_ : int
        Iterations run.
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
    orthogonal_dictionary_learning : The solver.
    OnlineOrthogonalDictionaryLearning : The streaming variant (Frank–Wolfe).
    sklearn.decomposition.FastICA : The closest peer (also a contrast maximised over rotations).

    Notes
    -----
    ``transform`` returns the codes ``X @ components_.T`` and ``inverse_transform`` maps them back exactly; the
    data are not centred (a sparse model has no offset). Atoms come out in an arbitrary order and sign; compare
    them with a planted dictionary by :func:`dictionary_error`. The estimator works on NumPy arrays; on a GPU, call
    :func:`orthogonal_dictionary_learning` with a CuPy array. See :func:`orthogonal_dictionary_learning` for the
    algorithm and its references.

    Examples
    --------
    >>> from sparsekit.datasets import make_sparse_coding
    >>> from sparsekit.learn.decomposition import OrthogonalDictionaryLearning, dictionary_error
    >>> X, D, codes = make_sparse_coding(5000, 10, random_state=0)
    >>> model = OrthogonalDictionaryLearning(random_state=0).fit(X)
    >>> dictionary_error(model.components_, D) < 1e-2
    True
    >>> model.transform(X).shape
    (5000, 10)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "p": [Interval(Real, 2, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "init": [Options({"random", "subsample"}), "array-like"],
        "random_state": ["random_state"],
        "polar_method": [Options({"svd", "newton-schulz"})],
    }

    def __init__(self, n_components=None, *, p=3, max_iter=300, tol=1e-4, init="subsample", random_state=None,
                 polar_method="svd"):
        self.n_components = n_components
        self.p = p
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.random_state = random_state
        self.polar_method = polar_method

    def fit(self, X, y=None):
        """Learn the dictionary.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, one per row.
        y : None
            Ignored.

        Returns
        -------
        OrthogonalDictionaryLearning
            The fitted estimator.

        Raises
        ------
        ValueError
            If ``X`` is not a finite 2-D array or ``n_components > n_features``.
        """
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        check_components(self.n_components, X.shape[1])
        result = orthogonal_dictionary_learning(
            X, self.n_components, p=self.p, max_iter=self.max_iter, tol=self.tol, init=self.init,
            random_state=self.random_state, polar_method=self.polar_method,
        )
        return store_result(self, result, ("components", "objective", "n_iter", "converged"))
