"""Sparse linear regression problems: y = X w + noise with a sparse w.

These are the problems sparse Bayesian learning and locally private sparse
regression are tested and benchmarked on: iid Gaussian, column-correlated and
ill-conditioned designs, Kronecker-structured designs with Kronecker-supported
coefficients, and the sub-Gaussian covariates of the LDP literature.
"""

import math
from numbers import Integral, Real

import numpy as np

from .._core.params import Interval, Options
from .._core.random import check_random_state
from .._core.validation import check_vector
from ._validation import INDEX_MAX, SCALE_MAX, SIZE, Numbers, generator_params

__all__ = ["make_sparse_regression", "make_kronecker_regression"]

# Beyond about 1e15 (1 / (4 eps)) the rounding of U diag(s) V^T swamps the smallest singular values:
# measured on 200 x 50, cond(A) / condition is 1.002 at 1e15, 0.986 at 1e16 and 0.0004 at 1e20.
CONDITION_MAX = 1e15

# The noise factor 10 ** (-snr_db / 20) stays within 1e+-50, so the noise of any signal the
# constraints allow is finite (10 ** (snr_db / 10) overflowed at snr_db = 3100).
SNR_DB = Interval(Real, -1000, 1000, closed="both")


def _correlated_columns(rng, n_samples, n_features, correlation):
    """Rows iid N(0, R) with R Toeplitz(correlation**|i-j|): an AR(1) factor applied along the columns."""
    G = rng.standard_normal((n_samples, n_features))
    out = np.empty_like(G)
    out[:, 0] = G[:, 0]
    innovation = np.sqrt(1.0 - correlation**2)
    for j in range(1, n_features):
        out[:, j] = correlation * out[:, j - 1] + innovation * G[:, j]
    return out


def _ill_conditioned(rng, n_samples, n_features, condition_number):
    """U diag(s) V^T with Haar-random U, V and singular values geometric from 1 to 1/condition_number."""
    rank = min(n_samples, n_features)
    U, _ = np.linalg.qr(rng.standard_normal((n_samples, rank)))
    V, _ = np.linalg.qr(rng.standard_normal((n_features, rank)))
    singular_values = np.geomspace(1.0, 1.0 / condition_number, rank)
    return (U * singular_values) @ V.T


def _draw_coef(rng, n_features, n_nonzero, coef_distribution):
    coef = np.zeros(n_features)
    support = np.sort(rng.choice(n_features, size=n_nonzero, replace=False))
    if coef_distribution == "gaussian":
        coef[support] = rng.standard_normal(n_nonzero)
    else:
        coef[support] = rng.choice([-1.0, 1.0], size=n_nonzero) / np.sqrt(n_nonzero)
    return coef


def _add_noise(rng, signal, snr_db, noise_std):
    if noise_std is None:
        power = np.mean(signal**2)
        noise_std = np.sqrt(power / 10.0 ** (snr_db / 10.0)) if power > 0 else 0.0
    return signal + noise_std * rng.standard_normal(signal.shape), float(noise_std)


def _regression_bytes(n_samples, n_features, **_):
    """About the memory of ``X`` and its temporaries (the factors of the ill-conditioned design)."""
    n_bytes = 8 * (3 * n_samples * n_features + 2 * (n_samples + n_features) * min(n_samples, n_features))
    return n_bytes + 16 * (n_samples + n_features), {"n_samples": n_samples, "n_features": n_features}


@generator_params(
    {
        "n_samples": [SIZE],
        "n_features": [SIZE],
        "n_nonzero": [Interval(Integral, 0, INDEX_MAX, closed="both")],
        "design": [Options({"gaussian", "correlated", "ill-conditioned"})],
        "correlation": [Interval(Real, 0, 1, closed="left")],
        "condition_number": [Interval(Real, 1, CONDITION_MAX, closed="both")],
        "coef_distribution": [Options({"gaussian", "rademacher"})],
        "snr_db": [SNR_DB],
        "noise_std": [Interval(Real, 0, SCALE_MAX, closed="both"), None],
        "coef": [Numbers(Interval(Real, -SCALE_MAX, SCALE_MAX, closed="both"), ndim=1), None],
        "random_state": ["random_state"],
    },
    _regression_bytes,
)
def make_sparse_regression(
    n_samples,
    n_features,
    n_nonzero,
    *,
    design="gaussian",
    correlation=0.9,
    condition_number=1e3,
    coef_distribution="gaussian",
    snr_db=20.0,
    noise_std=None,
    coef=None,
    random_state=None,
):
    """A sparse linear regression problem ``y = X @ coef + noise``.

    Parameters
    ----------
    n_samples : int
        Number of rows of ``X`` (measurements).
    n_features : int
        Number of columns of ``X``.
    n_nonzero : int
        Number of nonzero coefficients, at positions drawn uniformly.
    design : {"gaussian", "correlated", "ill-conditioned"}, default="gaussian"
        ``"gaussian"``: iid ``N(0, 1/n_samples)`` entries, so columns have unit
        norm on average (the compressed-sensing scaling). ``"correlated"``:
        each row is ``N(0, R / n_samples)`` with ``R[i, j] = correlation**|i-j|``.
        ``"ill-conditioned"``: ``U diag(s) V^T`` with Haar-random ``U``, ``V``
        and singular values geometric from 1 to ``1 / condition_number``,
        rescaled so that the columns have unit norm on average.
    correlation : float in [0, 1), default=0.9
        Correlation of neighbouring columns for ``design="correlated"``.
    condition_number : float in [1, 1e15], default=1e3
        Condition number of ``X`` for ``design="ill-conditioned"`` (float64
        cannot hold a larger one: the smallest singular values drown in rounding).
    coef_distribution : {"gaussian", "rademacher"}, default="gaussian"
        Nonzero values: standard normal, or ``+-1/sqrt(n_nonzero)`` (so that
        ``||coef|| = 1``, the LDP literature's convention).
    snr_db : float in [-1000, 1000], default=20.0
        Signal-to-noise ratio ``10 log10(mean((X coef)**2) / noise_std**2)``;
        ignored when ``noise_std`` is given.
    noise_std : float in [0, 1e100], optional
        Standard deviation of the Gaussian noise.
    coef : array-like of shape (n_features,), optional
        Use these coefficients (entries within ``[-1e100, 1e100]``) instead of
        drawing them (``n_nonzero`` is then ignored); handy to draw many
        batches of one problem.
    random_state : None, int or numpy.random.Generator, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Design matrix.
    y : ndarray of shape (n_samples,)
        Responses.
    coef : ndarray of shape (n_features,)
        True coefficients.
    noise_std : float
        Standard deviation of the noise that was added.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If ``n_nonzero > n_features``, ``coef`` has the wrong length, or the
        data would take more than 32 GiB.

    Examples
    --------
    >>> from sparsekit.datasets import make_sparse_regression
    >>> X, y, coef, noise_std = make_sparse_regression(50, 100, 5, random_state=0)
    >>> X.shape, y.shape, int((coef != 0).sum())
    ((50, 100), (50,), 5)
    """
    if coef is None and n_nonzero > n_features:
        raise ValueError(f"n_nonzero must be at most n_features={n_features}; got {n_nonzero}.")
    rng = check_random_state(random_state)
    if design == "gaussian":
        X = rng.standard_normal((n_samples, n_features))
    elif design == "correlated":
        X = _correlated_columns(rng, n_samples, n_features, correlation)
    else:
        X = _ill_conditioned(rng, n_samples, n_features, condition_number)
        X *= np.sqrt(n_features / np.sum(X**2)) * np.sqrt(n_samples)
    X /= np.sqrt(n_samples)
    if coef is None:
        coef = _draw_coef(rng, n_features, n_nonzero, coef_distribution)
    else:
        coef = check_vector(coef, "coef", size=n_features, copy=True)
    y, noise_std = _add_noise(rng, X @ coef, snr_db, noise_std)
    return X, y, coef, noise_std


def _kronecker_bytes(factor_shapes, **_):
    """About the memory of the factors and of the largest intermediate of the mode products."""
    shapes = np.asarray(factor_shapes).tolist()
    largest = math.prod(max(rows, columns) for rows, columns in shapes)
    return 8 * (sum(rows * columns for rows, columns in shapes) + 3 * largest), {"factor_shapes": len(shapes)}


_COUNT = Interval(Integral, 1, INDEX_MAX, closed="both")


@generator_params(
    {
        "factor_shapes": [
            Numbers(_COUNT, ndim=2, shape=(None, 2), what="a sequence of (rows, columns) pairs")
        ],
        "support_sizes": [Numbers(_COUNT, ndim=1, what="a sequence")],
        "snr_db": [SNR_DB],
        "random_state": ["random_state"],
    },
    _kronecker_bytes,
)
def make_kronecker_regression(factor_shapes, support_sizes, *, snr_db=20.0, random_state=None):
    """A sparse regression problem whose design is a Kronecker product of small factors.

    ``y = (A_1 kron ... kron A_m) x + noise``. The coefficient vector is Kronecker-supported: ``x = x_1 kron ... kron x_m``
    with each ``x_i`` sparse, the model of He & Joseph's KroSBL.

    Parameters
    ----------
    factor_shapes : sequence of (int, int)
        ``(rows, columns)`` of each factor ``A_i``.
    support_sizes : sequence of int
        Number of nonzeros of each ``x_i``.
    snr_db : float in [-1000, 1000], default=20.0
        Signal-to-noise ratio of ``y`` in dB.
    random_state : None, int or numpy.random.Generator, default=None
        Seed.

    Returns
    -------
    factors : list of ndarray
        ``A_i`` with iid ``N(0, 1/rows_i)`` entries.
    y : ndarray of shape (prod(rows),)
        Measurements.
    coef : ndarray of shape (prod(columns),)
        True Kronecker-supported coefficients.
    noise_std : float
        Standard deviation of the noise.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If the shapes and support sizes do not match, or the data would take
        more than 32 GiB.

    Examples
    --------
    >>> from sparsekit.datasets import make_kronecker_regression
    >>> factors, y, coef, _ = make_kronecker_regression([(4, 6), (5, 8)], [2, 3], random_state=0)
    >>> [A.shape for A in factors], y.shape, int((coef != 0).sum())
    ([(4, 6), (5, 8)], (20,), 6)
    """
    shapes = [tuple(s) for s in np.asarray(factor_shapes).tolist()]
    sizes = np.asarray(support_sizes).tolist()
    if len(sizes) != len(shapes) or any(not 1 <= k <= s[1] for k, s in zip(sizes, shapes)):
        raise ValueError(
            f"support_sizes must give 1 <= size <= columns for each of the {len(shapes)} factors of "
            f"factor_shapes; got {sizes}."
        )
    rng = check_random_state(random_state)
    factors = [rng.standard_normal(s) / np.sqrt(s[0]) for s in shapes]
    coef = np.ones(1)
    for (_, columns), k in zip(shapes, sizes):
        coef = np.kron(coef, _draw_coef(rng, columns, k, "gaussian"))
    signal = coef.reshape([s[1] for s in shapes])
    for mode, A in enumerate(factors):
        signal = np.moveaxis(np.tensordot(A, signal, axes=([1], [mode])), 0, mode)
    y, noise_std = _add_noise(rng, signal.ravel(), snr_db, None)
    return factors, y, coef, noise_std
