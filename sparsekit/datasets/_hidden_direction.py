"""A classification problem whose labels do not follow the leading principal components of the data.

Nonnegative topic-like data in which a few strong topics carry most of the variance and a weak topic carries the
label: the problem on which supervised dictionary learning is compared with unsupervised reduction (PCA or NMF)
followed by a classifier.
"""

from numbers import Real

import numpy as np
from scipy.special import expit

from .._core.params import Interval
from .._core.random import check_random_state
from ._validation import SCALE_MAX, SIZE, FloatDtype, generator_params

__all__ = ["make_hidden_direction_classification"]


def _hidden_direction_bytes(n_samples, n_features=100, *, n_strong=8, n_weak=2, **_):
    """Codes and their draws, the data and its noise draw, and the topics."""
    n_topics = n_strong + n_weak
    n_bytes = 8 * (3 * n_samples * n_topics + 2 * n_samples * n_features + 3 * n_features * n_topics)
    return n_bytes, {"n_samples": n_samples, "n_features": n_features, "n_topics": n_topics}


@generator_params(
    {
        "n_samples": [SIZE],
        "n_features": [SIZE],
        "n_strong": [SIZE],
        "n_weak": [SIZE],
        "signal": [Interval(Real, 0, SCALE_MAX, closed="both")],
        "dtype": [FloatDtype()],
        "random_state": ["random_state"],
    },
    _hidden_direction_bytes,
)
def make_hidden_direction_classification(n_samples, n_features=100, *, n_strong=8, n_weak=2, signal=4.0,
                                         dtype="float64", random_state=None):
    """Nonnegative topic data ``X = max(H0 W0^T + noise, 0)`` with labels from a weak topic the top PCs miss.

    Parameters
    ----------
    n_samples : int
        Number of samples (rows of ``X``).
    n_features : int, default=100
        Number of features (columns of ``X``).
    n_strong : int, default=8
        Topics with large activations (scale 3): they dominate the variance.
    n_weak : int, default=2
        Topics with small activations (scale 0.5); the first one carries the label.
    signal : float in [0, 1e100], default=4.0
        Strength of the label's dependence on the weak topic: ``P(y = 1) = sigmoid(signal * z)`` with ``z`` the
        standardised activation of the first weak topic (0: labels independent of ``X``).
    dtype : dtype, default="float64"
        Precision of ``X`` and of the topics (``"float32"`` or ``"float64"``; drawn in float64, then cast).
    random_state : None, int or numpy.random.Generator, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The samples, nonnegative.
    y : ndarray of shape (n_samples,)
        Binary labels in {0, 1}.
    topics : ndarray of shape (n_features, n_strong + n_weak)
        The true topics ``W0`` (columns of unit norm, about 30% nonzero), the strong ones first.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If the data would take more than 32 GiB.

    Notes
    -----
    Topics ``W0`` have uniform entries on a random 30% support; activations ``H0`` are Gamma(2, 1) draws times 3
    (strong) or 0.5 (weak); the noise is ``N(0, 0.1^2)`` and the data are clipped at zero. With the default sizes
    the top five principal components (and a five-topic NMF) follow the strong topics, so a classifier on those
    projections does little better than chance (test AUC about 0.53 at ``n = 3000, d = 100``), while the label is
    linear in a direction of the data. Our construction, for the comparisons of supervised matrix factorisation
    (J. Lee, H. Lyu & W. Yao, *Supervised Matrix Factorization*, ICML 2024) with its unsupervised peers.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.datasets import make_hidden_direction_classification
    >>> X, y, topics = make_hidden_direction_classification(500, 40, random_state=0)
    >>> X.shape, y.shape, topics.shape
    ((500, 40), (500,), (40, 10))
    >>> bool(X.min() >= 0), sorted(set(y.tolist()))
    (True, [0, 1])
    """
    rng = check_random_state(random_state)
    n_topics = n_strong + n_weak
    W0 = rng.random((n_features, n_topics)) * (rng.random((n_features, n_topics)) < 0.3)
    W0 /= np.maximum(np.linalg.norm(W0, axis=0), np.finfo(np.float64).tiny)
    scales = np.r_[np.full(n_strong, 3.0), np.full(n_weak, 0.5)]
    H0 = rng.gamma(2.0, 1.0, size=(n_samples, n_topics)) * scales
    X = np.maximum(H0 @ W0.T + 0.1 * rng.standard_normal((n_samples, n_features)), 0.0)
    weak = H0[:, n_strong]
    spread = weak.std()
    logit = signal * (weak - weak.mean()) / spread if spread > 0 else np.zeros(n_samples)
    y = (rng.random(n_samples) < expit(logit)).astype(int)
    dtype = np.dtype(dtype)
    return X.astype(dtype, copy=False), y, W0.astype(dtype, copy=False)
