"""What the Gaussian-process estimators and fits share: the default kernel, the start of ``fit`` and ``predict``,
target normalisation and its inverse, and prediction over a dask array one row chunk at a time."""

import numpy as np
from sklearn.gaussian_process.kernels import RBF
from sklearn.gaussian_process.kernels import ConstantKernel as C
from sklearn.utils.validation import check_is_fitted

from .._data import validate_data
from ._vecchia import check_kernel


def default_kernel():
    """scikit-learn's default: ``ConstantKernel(1.0, "fixed") * RBF(1.0, "fixed")``."""
    return C(1.0, constant_value_bounds="fixed") * RBF(1.0, length_scale_bounds="fixed")


def validate_fit_data(estimator, X, y, **kwargs):
    """Start of ``fit``: the parameters, the kernel's type, then ``X, y`` (float64, at least 2 samples; ``kwargs``
    go to ``validate_data``). Returns ``X, y, kernel`` with the default kernel where ``estimator.kernel`` is None."""
    estimator._validate_params()
    if estimator.kernel is not None:
        check_kernel(estimator.kernel)
    X, y = validate_data(estimator, X, y, dtype=np.float64, ensure_min_samples=2, **kwargs)
    return X, y, default_kernel() if estimator.kernel is None else estimator.kernel


def normalize_targets(y, normalize_y, *, caller):
    """``(y - y_mean) / y_std, y_mean, y_std``: standardised targets with ``normalize_y``, else ``y`` as given.

    The mean and deviation are computed on ``y / max|y|`` (no overflow for huge targets); a constant ``y`` keeps
    ``y_std = 1``. Without ``normalize_y``, targets whose squares overflow raise ``ValueError``.
    """
    y_mean, y_std = 0.0, 1.0
    if normalize_y:
        top = float(np.max(np.abs(y)))
        top = top if top > 0 else 1.0
        y_mean, y_std = top * float(np.mean(y / top)), top * float(np.std(y / top))
        y_std = y_std if y_std > 0 else 1.0
    elif not np.isfinite(np.dot(y, y)):
        raise ValueError(f"{caller}: y is too large in magnitude (its squares overflow float64); rescale y or "
                         "pass normalize_y=True.")
    return (y - y_mean) / y_std, y_mean, y_std


def in_target_scale(estimator, mean, *, var=None, cov=None):
    """``predict``'s answer in the scale of the training targets (undoing ``normalize_y``): the mean alone, or
    with the standard deviation of the variances ``var`` (clipped at 0), or with the covariance ``cov``."""
    mean = mean * estimator._y_train_std + estimator._y_train_mean
    if cov is not None:
        return mean, cov * estimator._y_train_std**2
    if var is None:
        return mean
    return mean, np.sqrt(np.clip(var, 0.0, None)) * estimator._y_train_std


def start_predict(estimator, X, return_std, return_cov):
    """Checks at the start of a regressor's ``predict``; True where ``X`` is a dask array (see ``predict_dask``)."""
    if return_std and return_cov:
        raise RuntimeError("At most one of return_std or return_cov can be requested.")
    check_is_fitted(estimator)
    return type(X).__module__.startswith("dask.")


def predict_dask(predict, X, return_std, return_cov):
    """Lazy ``predict(X, return_std)`` over a dask array, one row chunk at a time (the points are independent)."""
    if return_cov:
        raise ValueError("X: return_cov needs all query points at once; pass a NumPy array, not a dask array.")
    if X.ndim != 2:
        raise ValueError(f"X: expected a 2-D dask array; got {X.ndim} dimensions.")
    X = X.rechunk({1: -1})

    def block(chunk):
        return np.column_stack(predict(chunk, return_std=True))

    out = X.map_blocks(block, chunks=(X.chunks[0], (2,)), dtype=np.float64)
    return (out[:, 0], out[:, 1]) if return_std else out[:, 0]
