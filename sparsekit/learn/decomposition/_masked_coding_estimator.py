"""The scikit-learn estimator over :func:`masked_dictionary_learning`."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin
from .._data import validate_data
from .._result_attributes import store_result
from ._masked_coding import batched_omp, masked_dictionary_learning

__all__ = ["MaskedDictionaryLearning"]


class MaskedDictionaryLearning(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ParamsValidationMixin,
                               BaseEstimator):
    r"""Dictionary learning with OMP codes and the masked objective of "Hiding Data Helps" (or the plain one).

    For noisy signals and more atoms than the data has (the over-parameterised regime), ``objective="mask"``
    recovers the true atoms where minimising the reconstruction error drifts away from them.

    Parameters
    ----------
    n_components : int, optional
        Number of atoms; ``n_features`` when None.
    n_nonzero_coefs : int, optional
        Atoms per signal (OMP); ``max(1, n_components // 10)`` when None.
    objective : {"mask", "reconstruction"}, default="mask"
        Masked objective (codes from a random part of the coordinates, loss on the rest) or the usual one.
    mask_fraction : float in (0, 1), default=0.9
        Fraction of the coordinates the codes see.
    batch_size : int, default=200
        Signals per Adam step.
    max_epochs : int, default=100
        Passes over the data.
    learning_rate : float, default=1e-3
        Adam's step size.
    tol : float, default=1e-4
        Relative change of the epoch loss at which to stop (0: run every epoch).
    dict_init : array-like of shape (n_components, n_features), optional
        Starting atoms; default: random normalised signals.
    random_state : None, int or numpy.random.Generator, default=None
        Seed.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Unit-norm atoms.
    loss_ : ndarray of shape (n_iter\_,)
        Mean loss per epoch.
    n_iter_ : int
        Epochs run.
    converged_ : bool
        Whether the stopping rule was met before ``max_epochs``.
    result_ : Result
        The solver's result.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has them.

    See Also
    --------
    masked_dictionary_learning : The solver.
    sklearn.decomposition.MiniBatchDictionaryLearning : The unmasked peer.

    Notes
    -----
    ``transform`` returns the OMP codes on all coordinates. See :func:`masked_dictionary_learning`.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import MaskedDictionaryLearning
    >>> X = np.random.default_rng(0).standard_normal((100, 20))
    >>> model = MaskedDictionaryLearning(10, n_nonzero_coefs=2, max_epochs=3, tol=0.0, random_state=0).fit(X)
    >>> model.transform(X).shape
    (100, 10)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "n_nonzero_coefs": [Interval(Integral, 1, None, closed="left"), None],
        "objective": [Options({"mask", "reconstruction"})],
        "mask_fraction": [Interval(Real, 0, 1, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "dict_init": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=None, *, n_nonzero_coefs=None, objective="mask", mask_fraction=0.9,
                 batch_size=200, max_epochs=100, learning_rate=1e-3, tol=1e-4, dict_init=None, random_state=None):
        self.n_components = n_components
        self.n_nonzero_coefs = n_nonzero_coefs
        self.objective = objective
        self.mask_fraction = mask_fraction
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.tol = tol
        self.dict_init = dict_init
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def fit(self, X, y=None):
        """Learn the atoms.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals.
        y : None
            Ignored.

        Returns
        -------
        MaskedDictionaryLearning
            The fitted estimator.
        """
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        n_components = X.shape[1] if self.n_components is None else self.n_components
        k = max(1, n_components // 10) if self.n_nonzero_coefs is None else self.n_nonzero_coefs
        mask_fraction = self.mask_fraction
        if self.objective == "mask" and X.shape[1] > 1:  # keep at least one coordinate on each side
            mask_fraction = min(max(mask_fraction, 0.5 / X.shape[1] + 1e-9), 1 - 0.5 / X.shape[1] - 1e-9) \
                if round(mask_fraction * X.shape[1]) in (0, X.shape[1]) else mask_fraction
        result = masked_dictionary_learning(
            X, n_components, n_nonzero_coefs=k, objective=self.objective, mask_fraction=mask_fraction,
            batch_size=self.batch_size, max_epochs=self.max_epochs, learning_rate=self.learning_rate, tol=self.tol,
            dict_init=self.dict_init, random_state=self.random_state)
        return store_result(self, result, ("components", "loss", "n_iter", "converged"), dtype=X.dtype)

    def transform(self, X):
        """OMP codes of ``X`` on the atoms (all coordinates).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Codes.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        k = max(1, self.components_.shape[0] // 10) if self.n_nonzero_coefs is None else self.n_nonzero_coefs
        dtype, X = X.dtype, X.astype(np.float64)
        scale = float(np.max(np.abs(X))) if X.size else 0.0
        scale = math.ldexp(1.0, math.frexp(scale)[1]) if scale > 0 else 1.0  # exact; codes scale with X
        return (batched_omp(self.components_.astype(np.float64), X / scale, k) * scale).astype(dtype)
