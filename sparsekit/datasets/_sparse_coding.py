"""Sparse coding problems: ``X = codes @ dictionary + noise`` with Bernoulli–Gaussian codes.

The generator of the dictionary-learning literature (Spielman–Wang–Wright, Zhai et al., Shen–Xue et al.): every
code entry is nonzero with probability ``sparsity`` and then standard normal; the dictionary is a Haar-random
orthogonal matrix (complete dictionary learning) or has unit-norm Gaussian atoms (over-complete).
"""

from numbers import Real

import numpy as np

from .._core.params import Interval, Options
from .._core.random import check_random_state
from ._validation import SCALE_MAX, SIZE, FloatDtype, generator_params

__all__ = ["make_sparse_coding"]


def _sparse_coding_bytes(n_samples, n_components, n_features=None, dtype="float64", **_):
    """Codes, data and their float64 draws, plus the dictionary."""
    n_features = n_components if n_features is None else n_features
    n_bytes = 8 * (2 * n_samples * n_components + 2 * n_samples * n_features + 2 * n_components * n_features)
    return n_bytes, {"n_samples": n_samples, "n_components": n_components, "n_features": n_features}


def _orthogonal(rng, n):
    """Haar-distributed orthogonal matrix: the Q factor of a Gaussian matrix with the signs of diag(R) fixed."""
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


@generator_params(
    {
        "n_samples": [SIZE],
        "n_components": [SIZE],
        "n_features": [SIZE, None],
        "sparsity": [Interval(Real, 0, 1, closed="right")],
        "n_nonzero": [SIZE, None],
        "dictionary": [Options({"orthogonal", "gaussian"})],
        "noise_std": [Interval(Real, 0, SCALE_MAX, closed="both")],
        "dtype": [FloatDtype()],
        "random_state": ["random_state"],
    },
    _sparse_coding_bytes,
)
def make_sparse_coding(n_samples, n_components, n_features=None, *, sparsity=0.3, n_nonzero=None,
                       dictionary="orthogonal", noise_std=0.0, dtype="float64", random_state=None):
    """A sparse coding problem ``X = codes @ dictionary + noise`` with Bernoulli–Gaussian codes.

    Parameters
    ----------
    n_samples : int
        Number of samples (rows of ``X``).
    n_components : int
        Number of atoms (rows of ``dictionary``).
    n_features : int, optional
        Dimension of the samples; ``n_components`` by default (a complete dictionary).
    sparsity : float in (0, 1], default=0.3
        Probability ``theta`` that a code entry is nonzero; nonzero entries are standard normal.
    n_nonzero : int, optional
        Exactly this many nonzero (standard normal) entries in every row of the codes, on a support drawn
        uniformly among the ``n_components`` atoms, instead of Bernoulli(``sparsity``) entries: the fixed-sparsity
        model of the over-complete recovery experiments (e.g. "Hiding Data Helps", with ``noise_std=1/sqrt(d)``).
    dictionary : {"orthogonal", "gaussian"}, default="orthogonal"
        ``"orthogonal"``: a Haar-random orthogonal matrix (needs ``n_features == n_components``).
        ``"gaussian"``: iid Gaussian atoms scaled to unit norm (any shape, e.g. over-complete
        ``n_components > n_features``).
    noise_std : float in [0, 1e100], default=0.0
        Standard deviation of the iid Gaussian noise added to every entry of ``X``.
    dtype : dtype, default="float64"
        Precision of the arrays returned (``"float32"`` or ``"float64"``; drawn in float64, then cast).
    random_state : None, int or numpy.random.Generator, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The samples, one per row.
    dictionary : ndarray of shape (n_components, n_features)
        The true atoms, one per row, of unit Euclidean norm (``components_`` in scikit-learn's layout).
    codes : ndarray of shape (n_samples, n_components)
        The true sparse codes.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If ``dictionary="orthogonal"`` and ``n_features != n_components``, ``n_nonzero > n_components``, or the data
        would take more than 32 GiB.

    Notes
    -----
    In the papers' column layout the data are ``Y = D0 X0`` with ``Y = X.T``, ``D0 = dictionary.T`` and
    ``X0 = codes.T``; with an orthogonal dictionary the codes are ``X @ dictionary.T`` exactly when there is no noise.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.datasets import make_sparse_coding
    >>> X, D, codes = make_sparse_coding(1000, 8, random_state=0)
    >>> X.shape, D.shape, codes.shape
    ((1000, 8), (8, 8), (1000, 8))
    >>> bool(np.allclose(D @ D.T, np.eye(8))), bool(np.allclose(X @ D.T, codes))
    (True, True)
    >>> round(float(np.mean(codes != 0)), 1)
    0.3
    >>> X, D, codes = make_sparse_coding(50, 30, 10, n_nonzero=3, dictionary="gaussian", noise_std=0.1,
    ...                                  random_state=0)
    >>> sorted(set(np.count_nonzero(codes, axis=1).tolist()))
    [3]
    """
    n_features = n_components if n_features is None else n_features
    if dictionary == "orthogonal" and n_features != n_components:
        raise ValueError(f"n_features must equal n_components={n_components} for dictionary='orthogonal'; got "
                         f"{n_features}. Use dictionary='gaussian' for an over-complete dictionary.")
    if n_nonzero is not None and n_nonzero > n_components:
        raise ValueError(f"n_nonzero must be at most n_components={n_components}; got {n_nonzero}.")
    rng = check_random_state(random_state)
    if dictionary == "orthogonal":
        atoms = _orthogonal(rng, n_components)
    else:
        atoms = rng.standard_normal((n_components, n_features))
        atoms /= np.linalg.norm(atoms, axis=1, keepdims=True)
    if n_nonzero is None:
        support = rng.random((n_samples, n_components)) < sparsity
        codes = np.where(support, rng.standard_normal((n_samples, n_components)), 0.0)
    else:
        codes = np.zeros((n_samples, n_components))
        support = np.argsort(rng.random((n_samples, n_components)), axis=1)[:, :n_nonzero]
        np.put_along_axis(codes, support, rng.standard_normal((n_samples, n_nonzero)), axis=1)
    X = codes @ atoms
    if noise_std > 0:
        X += noise_std * rng.standard_normal(X.shape)
    dtype = np.dtype(dtype)
    return X.astype(dtype, copy=False), atoms.astype(dtype, copy=False), codes.astype(dtype, copy=False)
