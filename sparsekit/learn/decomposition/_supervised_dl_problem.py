"""A supervised factorisation problem whose labels do not follow the leading principal components.

Private generator for the tests, tour and benchmarks of supervised dictionary learning (it would sit in
:mod:`sparsekit.datasets` if it became public).
"""

import numpy as np

from ..._core.random import check_random_state

__all__ = ["make_hidden_direction_classification"]


def make_hidden_direction_classification(n_samples, n_features=100, *, n_strong=8, n_weak=2, signal=4.0,
                                         random_state=None):
    """Nonnegative topic-like data ``X = H0 W0^T + noise``; labels from a weak topic that the top PCs miss.

    ``n_strong`` topics with large activations dominate the variance; ``n_weak`` topics with small activations
    carry the label: ``P(y = 1) = sigmoid(signal * (h_weak - mean) / std)`` of the first weak topic. The top
    five principal components (and a five-topic NMF) follow the strong topics, so projecting on them loses the
    label. Returns ``X`` (n, d), ``y`` (n,) in {0, 1} and the true topics ``W0`` (d, n_strong + n_weak).
    """
    rng = check_random_state(random_state)
    n_topics = n_strong + n_weak
    W0 = rng.random((n_features, n_topics)) * (rng.random((n_features, n_topics)) < 0.3)
    W0 /= np.linalg.norm(W0, axis=0)
    scales = np.r_[np.full(n_strong, 3.0), np.full(n_weak, 0.5)]
    H0 = rng.gamma(2.0, 1.0, size=(n_samples, n_topics)) * scales
    X = np.maximum(H0 @ W0.T + 0.1 * rng.standard_normal((n_samples, n_features)), 0.0)
    weak = H0[:, n_strong]
    logit = signal * (weak - weak.mean()) / weak.std()
    y = (rng.random(n_samples) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return X, y, W0
