"""Problems the sketching methods are benchmarked on: least squares, sparse matrix products, ridge."""

from numbers import Real

import numpy as np
from scipy import sparse

from .._core.params import Interval, Options
from .._core.random import check_random_state
from ._sparse_regression import CONDITION_MAX, _ill_conditioned
from ._validation import LOG_SCALE_MAX, SCALE_MAX, SIZE, generator_params

__all__ = ["ill_conditioned_lstsq", "sparse_matrix", "sparse_rows_pair", "decaying_spectrum_regression"]


@generator_params(
    {"m": [SIZE], "n": [SIZE], "condition": [Interval(Real, 1, CONDITION_MAX, closed="both")],
     "random_state": ["random_state"]},
    lambda m, n, **_: (8 * (3 * m * n + 2 * n * n + m), {"m": m, "n": n}),
)
def ill_conditioned_lstsq(m, n, *, condition=1e8, random_state=None):
    """A dense least-squares problem ``A x ≈ b`` with prescribed condition number.

    ``A = U diag(σ) Vᵀ`` with Haar-random orthonormal ``U`` (m x n) and ``V``
    and singular values log-spaced from 1 to ``1/condition``; ``b`` is standard
    normal, so the residual is large (the problem is far from consistent).

    Parameters
    ----------
    m, n : int
        Shape, ``m >= n``.
    condition : float in [1, 1e15], default=1e8
        ``σ_max / σ_min`` (float64 cannot hold a larger one: the smallest
        singular values drown in rounding).
    random_state : None, int, Generator, RandomState or SeedSequence
        Seed.

    Returns
    -------
    A : ndarray of shape (m, n)
        The matrix.
    b : ndarray of shape (m,)
        The right-hand side.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If ``m < n`` or the problem would take more than 32 GiB.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.datasets import ill_conditioned_lstsq
    >>> A, b = ill_conditioned_lstsq(100, 5, condition=1e4, random_state=0)
    >>> float(np.linalg.cond(A)).__round__(-2)
    10000.0
    """
    if m < n:
        raise ValueError(f"m must be at least n; got m={m}, n={n}.")
    rng = check_random_state(random_state)
    return _ill_conditioned(rng, m, n, condition), rng.standard_normal(m)


def _sparse_matrix_bytes(m, n, nnz, format, **_):
    """About the memory of the triplets, their conversion and the compressed axis's pointers."""
    return 72 * nnz + 16 * ((m if format == "csr" else n) + 1), {"m": m, "n": n, "nnz": nnz}


@generator_params(
    {"m": [SIZE], "n": [SIZE], "nnz": [SIZE], "format": [Options({"csr", "csc"})],
     "random_state": ["random_state"]},
    _sparse_matrix_bytes,
)
def sparse_matrix(m, n, nnz, *, format="csc", random_state=None):
    """A sparse ``m x n`` matrix with about ``nnz`` standard normal entries at uniform positions.

    Positions are drawn with replacement and duplicates summed, which takes
    ``O(nnz)`` time and memory however large ``m n`` is.

    Parameters
    ----------
    m, n : int
        Shape.
    nnz : int
        Number of entries drawn (the result has slightly fewer when positions repeat).
    format : {"csc", "csr"}, default="csc"
        Sparse format.
    random_state : None, int, Generator, RandomState or SeedSequence
        Seed.

    Returns
    -------
    sparse array
        The matrix, with sorted indices.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If the matrix would take more than 32 GiB.

    Examples
    --------
    >>> from sparsekit.datasets import sparse_matrix
    >>> A = sparse_matrix(1000, 50, 2000, random_state=0)
    >>> A.format, A.shape, 1900 < A.nnz <= 2000
    ('csc', (1000, 50), True)
    """
    rng = check_random_state(random_state)
    rows = rng.integers(0, m, size=nnz)
    cols = rng.integers(0, n, size=nnz)
    matrix = sparse.coo_array((rng.standard_normal(nnz), (rows, cols)), shape=(m, n)).asformat(format)
    matrix.sort_indices()
    return matrix


def _rows_pair_bytes(n, d, nnz_per_row, **_):
    """About the memory of both matrices and, for dense rows, the random keys the columns are sorted by."""
    keys = 16 * n * d if 4 * nnz_per_row > d else 0
    return keys + 64 * n * nnz_per_row + 16 * n, {"n": n, "d": d, "nnz_per_row": nnz_per_row}


@generator_params(
    {"n": [SIZE], "d": [SIZE], "nnz_per_row": [SIZE],
     # exp(sigma z) stays within 1e+-100 for every normal draw z (|z| < 38).
     "row_scale_sigma": [Interval(Real, 0, LOG_SCALE_MAX, closed="both")],
     "shared_row_scales": ["boolean"],
     "random_state": ["random_state"]},
    _rows_pair_bytes,
)
def sparse_rows_pair(n, d, *, nnz_per_row=5, row_scale_sigma=1.0, shared_row_scales=False, random_state=None):
    """Two ``n x d`` CSR matrices ``A``, ``B`` with ``nnz_per_row`` nonzeros in every row.

    The setting of matrix-product sketching (Daliri et al. 2025): the rows
    share an index (``n`` items, e.g. the keys of a database join) and each
    row of each matrix has a few nonzeros in random columns, with values
    ``N(0, 1)`` times a log-normal row scale (``row_scale_sigma``; 0 gives
    rows of equal weight), drawn independently for ``A`` and ``B`` or, with
    ``shared_row_scales``, once for both (keys that are heavy in both tables).

    Parameters
    ----------
    n, d : int
        Shape of each matrix.
    nnz_per_row : int, default=5
        Nonzeros per row, at most ``d``.
    row_scale_sigma : float in [0, 6.06], default=1.0
        Standard deviation of the log of the row scales (at most
        ``ln(1e100) / 38``, so that no scale leaves ``[1e-100, 1e100]``).
    shared_row_scales : bool, default=False
        Use the same row scales for ``A`` and ``B``.
    random_state : None, int, Generator, RandomState or SeedSequence
        Seed.

    Returns
    -------
    A : sparse array (CSR) of shape (n, d)
        First matrix.
    B : sparse array (CSR) of shape (n, d)
        Second matrix, with the same row index.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If ``nnz_per_row > d`` or the matrices would take more than 32 GiB.

    Examples
    --------
    >>> from sparsekit.datasets import sparse_rows_pair
    >>> A, B = sparse_rows_pair(100, 20, nnz_per_row=3, random_state=0)
    >>> A.nnz, B.nnz
    (300, 300)
    """
    if nnz_per_row > d:
        raise ValueError(f"nnz_per_row must be at most d={d}; got {nnz_per_row}.")
    rng = check_random_state(random_state)

    def row_scales():
        return rng.lognormal(sigma=row_scale_sigma, size=n) if row_scale_sigma > 0 else np.ones(n)

    shared = row_scales() if shared_row_scales else None

    def one():
        cols = np.argsort(rng.random((n, d)), axis=1)[:, :nnz_per_row] if 4 * nnz_per_row > d else None
        if cols is None:
            cols = np.empty((n, nnz_per_row), dtype=np.int64)
            for j in range(nnz_per_row):  # distinct columns by rejection (few clashes when s << d)
                cols[:, j] = rng.integers(0, d, size=n)
                clash = (cols[:, :j] == cols[:, j:j + 1]).any(axis=1)
                while clash.any():
                    cols[clash, j] = rng.integers(0, d, size=int(clash.sum()))
                    clash = (cols[:, :j] == cols[:, j:j + 1]).any(axis=1)
        scales = shared if shared is not None else row_scales()
        values = rng.standard_normal((n, nnz_per_row)) * scales[:, None]
        matrix = sparse.csr_array((values.ravel(), (np.repeat(np.arange(n), nnz_per_row), cols.ravel())),
                                  shape=(n, d))
        matrix.sort_indices()
        return matrix

    return one(), one()


def _spectrum_bytes(n_samples, n_features, **_):
    """About the memory of the rotation, the factor and both sets' Gaussian draws and features."""
    n_bytes = 8 * (4 * n_features**2 + 5 * n_samples * n_features)
    return n_bytes, {"n_samples": n_samples, "n_features": n_features}


@generator_params(
    {"n_samples": [SIZE], "n_features": [SIZE], "noise": [Interval(Real, 0, SCALE_MAX, closed="both")],
     "decay": [Interval(Real, 0, None, closed="left")], "random_state": ["random_state"]},
    _spectrum_bytes,
)
def decaying_spectrum_regression(n_samples, n_features, *, noise=1.0, decay=0.5, random_state=None):
    """A linear regression ``y = X β + ε`` whose features have a power-law spectrum, plus a test set.

    Rows of ``X`` are ``N(0, Σ)`` with ``Σ = Q diag(j^(-2 decay)) Qᵀ`` for a
    random rotation ``Q``; ``β ~ N(0, 1/p)``; ``ε ~ N(0, noise²)``. Ridge
    regression has a well-defined optimal penalty here, which makes it a
    test of penalty selection.

    Parameters
    ----------
    n_samples, n_features : int
        Size of the training set (the test set has the same size).
    noise : float in [0, 1e100], default=1.0
        Noise standard deviation.
    decay : float, default=0.5
        Feature standard deviations decay like ``j^(-decay)`` (any finite
        ``decay >= 0``; an int is taken as the float).
    random_state : None, int, Generator, RandomState or SeedSequence
        Seed.

    Returns
    -------
    X_train : ndarray of shape (n_samples, n_features)
        Training features.
    y_train : ndarray of shape (n_samples,)
        Training targets.
    X_test : ndarray of shape (n_samples, n_features)
        Test features, from the same distribution.
    y_test : ndarray of shape (n_samples,)
        Test targets.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If the data would take more than 32 GiB.

    Examples
    --------
    >>> from sparsekit.datasets import decaying_spectrum_regression
    >>> X, y, X_test, y_test = decaying_spectrum_regression(50, 8, random_state=0)
    >>> X.shape, y_test.shape
    ((50, 8), (50,))
    """
    rng = check_random_state(random_state)
    Q = np.linalg.qr(rng.standard_normal((n_features, n_features)))[0]
    factor = (Q * np.arange(1, n_features + 1) ** -decay) @ Q.T
    beta = rng.standard_normal(n_features) * 3.0 / np.sqrt(n_features)

    def draw():
        X = rng.standard_normal((n_samples, n_features)) @ factor
        return X, X @ beta + noise * rng.standard_normal(n_samples)

    X_train, y_train = draw()
    X_test, y_test = draw()
    return X_train, y_train, X_test, y_test
