"""Spiked covariance data: samples whose covariance is the identity plus a few planted sparse rank-one spikes.

The benchmark problem of sparse PCA (Johnstone & Lu, 2009): ``Sigma = I + sum_j theta_j v_j v_j^T`` with
``v_j`` sparse unit vectors on disjoint supports, so that the spikes are exactly the leading eigenvectors of
``Sigma`` and sparse PCA's task is to find their supports from ``n_samples`` draws.
"""

from numbers import Real

import numpy as np

from .._core.params import Interval, Options
from .._core.random import check_random_state
from ._validation import SCALE_MAX, SIZE, Numbers, generator_params

__all__ = ["make_spiked_covariance"]

def _spiked_bytes(n_samples, n_features, n_components, **_):
    """About the memory of ``X``, its noise draw and the loadings."""
    n_bytes = 8 * (2 * n_samples * n_features + n_components * (n_samples + n_features))
    return n_bytes, {"n_samples": n_samples, "n_features": n_features}

@generator_params(
    {
        "n_samples": [SIZE],
        "n_features": [SIZE],
        "n_components": [SIZE],
        "cardinality": [SIZE],
        "strengths": [Numbers(Interval(Real, 0, SCALE_MAX, closed="both"), ndim=1), None],
        "loadings": [Options({"rademacher", "gaussian"})],
        "dtype": [Options({"float64", "float32"})],
        "random_state": ["random_state"],
    },
    _spiked_bytes,
)
def make_spiked_covariance(n_samples, n_features, n_components=5, *, cardinality=20, strengths=None,
                           loadings="rademacher", dtype="float64", random_state=None):
    """Samples of ``N(0, I + sum_j theta_j v_j v_j^T)`` with sparse, disjointly supported spikes ``v_j``.

    Parameters
    ----------
    n_samples : int
        Number of rows of ``X``.
    n_features : int
        Number of columns of ``X``.
    n_components : int, default=5
        Number of planted spikes.
    cardinality : int, default=20
        Nonzeros of each spike; ``n_components * cardinality`` must not exceed ``n_features``.
    strengths : array-like of shape (n_components,), optional
        Spike strengths ``theta_j >= 0`` (the eigenvalues of the covariance are ``1 + theta_j``). Default:
        ``2 (n_components - j)`` for ``j = 0, ..., n_components - 1`` (10, 8, 6, 4, 2 for five spikes), distinct
        so that the spikes are identifiable one by one.
    loadings : {"rademacher", "gaussian"}, default="rademacher"
        Nonzero entries of ``v_j``: ``+-1/sqrt(cardinality)``, or standard normal draws normalised to unit norm
        (harder: some entries are small).
    dtype : {"float64", "float32"}, default="float64"
        Precision of ``X`` and of the loadings.
    random_state : None, int or numpy.random.Generator, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The samples (mean zero in distribution; not centred).
    components : ndarray of shape (n_components, n_features)
        The spikes ``v_j``, one per row, orthonormal, each with ``cardinality`` nonzeros.
    strengths : ndarray of shape (n_components,)
        The strengths ``theta_j``.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If ``n_components * cardinality > n_features``, ``strengths`` has the wrong length, or the data would
        take more than 32 GiB.

    Notes
    -----
    ``X = Z + G diag(sqrt(theta)) V`` with ``Z`` and ``G`` standard normal, which has exactly the covariance above.
    Supports are drawn without replacement, so the spikes do not overlap and are orthonormal.

    Examples
    --------
    >>> from sparsekit.datasets import make_spiked_covariance
    >>> X, V, theta = make_spiked_covariance(200, 50, 2, cardinality=5, random_state=0)
    >>> X.shape, V.shape, (V != 0).sum(axis=1).tolist(), theta.tolist()
    ((200, 50), (2, 50), [5, 5], [4.0, 2.0])
    """
    if n_components * cardinality > n_features:
        raise ValueError(f"n_components * cardinality must be at most n_features={n_features}; got "
                         f"{n_components} * {cardinality} = {n_components * cardinality}.")
    if strengths is None:
        strengths = 2.0 * np.arange(n_components, 0, -1, dtype=np.float64)
    else:
        strengths = np.asarray(strengths, dtype=np.float64).copy()
        if strengths.shape != (n_components,):
            raise ValueError(f"strengths must have n_components={n_components} entries; got {strengths.shape[0]}.")
    rng = check_random_state(random_state)
    support = rng.permutation(n_features)[: n_components * cardinality].reshape(n_components, cardinality)
    components = np.zeros((n_components, n_features))
    for j in range(n_components):
        if loadings == "rademacher":
            values = rng.choice([-1.0, 1.0], size=cardinality)
        else:
            values = rng.standard_normal(cardinality)
        components[j, support[j]] = values / np.linalg.norm(values)
    X = rng.standard_normal((n_samples, n_features))
    X += (rng.standard_normal((n_samples, n_components)) * np.sqrt(strengths)) @ components
    return X.astype(dtype, copy=False), components.astype(dtype, copy=False), strengths.astype(dtype, copy=False)
