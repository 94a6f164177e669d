"""scikit-learn's ``validate_data``, with the argument at fault named in its errors.

scikit-learn says "Found array with 0 sample(s)" or "Expected 2D array" without
saying whether ``X`` or ``y`` is meant; the estimators of :mod:`sparsekit.learn`
validate through :func:`validate_data` here, which keeps scikit-learn's
checks and messages (its estimator checks match on them) and puts the
argument's name in front.
"""

from sklearn.utils import check_array
from sklearn.utils.validation import validate_data as _sklearn_validate_data

__all__ = ["validate_data"]

_X_OPTIONS = ("accept_sparse", "dtype", "ensure_min_samples", "ensure_2d", "allow_nd", "ensure_all_finite")


def _culprit(X, y, options, message):
    if "inconsistent numbers of samples" in message:
        return "X and y"
    if isinstance(y, str) and y == "no_validation":
        return "X"
    try:
        check_array(X, **{k: v for k, v in options.items() if k in _X_OPTIONS})
    except (ValueError, TypeError):
        return "X"
    return "y"


def validate_data(estimator, X="no_validation", y="no_validation", **options):
    """Validate ``X`` and ``y`` as :func:`sklearn.utils.validation.validate_data` does; errors name them.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator being fitted or used.
    X, y : array-like or "no_validation"
        The data.
    **options
        Passed to scikit-learn's ``validate_data``.

    Returns
    -------
    object
        What scikit-learn's ``validate_data`` returns.

    Raises
    ------
    ValueError, TypeError
        scikit-learn's error, its message preceded by ``"X: "``, ``"y: "`` or
        ``"X and y: "``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sparsekit.learn._data import validate_data
    >>> validate_data(LinearRegression(), np.ones((0, 2)), np.ones(0))
    Traceback (most recent call last):
    ...
    ValueError: X: Found array with 0 sample(s) (shape=(0, 2)) while a minimum of 1 is required by LinearRegression.
    """
    try:
        return _sklearn_validate_data(estimator, X, y, **options)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{_culprit(X, y, options, str(exc))}: {exc}") from exc
