"""The scikit-learn face shared by the unmixing NMFs: fit on pixels or a cube, transform by weighted FCLS."""

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import ParamsValidationMixin
from .._data import validate_data
from .._result_attributes import store_result
from ._fcls import is_dask, unmix_pixels, unmix_tiles

__all__ = ["UnmixingMixin"]


def _as_pixels(X):
    """A cube (height, width, bands) as its pixel matrix and the image shape; anything else as it is."""
    if getattr(X, "ndim", 2) == 3 or (isinstance(X, list) and np.ndim(X) == 3):
        X = np.asarray(X)
        return X.reshape(-1, X.shape[2]), X.shape[:2]
    if getattr(X, "ndim", 2) > 3:
        raise ValueError(f"X must be pixels x bands (2-D) or a cube (height, width, bands); got {X.ndim} dimensions.")
    return X, None


class UnmixingMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ParamsValidationMixin, BaseEstimator):
    """Fit/transform plumbing; a subclass defines ``_solver`` (its function) and ``_solver_options()``."""

    @property
    def _n_features_out(self):
        """Number of output features (abundance columns), for ``get_feature_names_out``."""
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def _check(self, X, reset):
        X, image = _as_pixels(X)
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        if X.min() < 0:
            raise ValueError(f"X: Negative values in data passed to {type(self).__name__} (reflectance must be "
                             f"non-negative); the smallest is {X.min():.3g}.")
        return X, image

    def fit(self, X, y=None):
        """Learn the endmembers and abundances of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_pixels, n_bands) or (height, width, n_bands)
            Non-negative pixels, or an image cube (then neighbouring pixels
            are coupled by the grid Laplacian when ``spatial > 0``).
        y : None
            Ignored.

        Returns
        -------
        self
            The fitted estimator.
        """
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return the abundances of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_pixels, n_bands) or (height, width, n_bands)
            Non-negative pixels, or an image cube.
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_pixels, n_components) or (height, width, n_components)
            The abundances.
        """
        self._validate_params()
        X, image = self._check(X, reset=True)
        if self.n_components > X.shape[1]:
            raise ValueError(f"n_components={self.n_components} exceeds the number of bands of X ({X.shape[1]}).")
        if self.n_components > X.shape[0]:
            raise ValueError(f"n_components={self.n_components} exceeds the number of pixels of X ({X.shape[0]}).")
        data = X.reshape(*image, X.shape[1]) if image is not None else X
        result = type(self)._solver(data, self.n_components, **self._solver_options())
        self.components_ = result.endmembers
        self.n_components_ = result.endmembers.shape[0]
        store_result(self, result, ("band_weights", "n_iter", "converged"))
        self.reconstruction_err_ = float(result.objective[-1]) if result.objective.size else np.nan
        return result.abundances

    def transform(self, X):
        """Abundances of ``X`` under the learned endmembers and band weights (weighted FCLS).

        Parameters
        ----------
        X : array-like of shape (n_pixels, n_bands) or (height, width, n_bands)
            Non-negative pixels, or an image cube; a Dask array is unmixed
            tile by tile (the cube need not fit in memory).

        Returns
        -------
        ndarray of shape (n_pixels, n_components) or (height, width, n_components)
            Non-negative abundances (summing to one with ``sum_to_one``), a
            NumPy array also for Dask input.
        """
        check_is_fitted(self)
        E = self.components_.astype(np.float64)
        options = dict(sum_to_one=self.sum_to_one, max_iter=50, tol=1e-12)
        if is_dask(X):
            if X.shape[-1] != self.n_features_in_:
                raise ValueError(f"X has {X.shape[-1]} bands but {type(self).__name__} is expecting "
                                 f"{self.n_features_in_} features as input.")
            return unmix_tiles(X, E, self.band_weights_, **options)[0]
        X, image = self._check(X, reset=False)
        A = unmix_pixels(X, E, self.band_weights_, **options)[0]
        return A.reshape(*image, A.shape[1]) if image is not None else A

    def inverse_transform(self, A):
        """Spectra ``A @ components_`` from abundances.

        Parameters
        ----------
        A : array-like of shape (n_pixels, n_components) or (height, width, n_components)
            Abundances.

        Returns
        -------
        ndarray of shape (n_pixels, n_bands) or (height, width, n_bands)
            The modelled spectra.
        """
        check_is_fitted(self)
        A = np.asarray(A)
        return A @ self.components_
