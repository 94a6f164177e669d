"""Data for matrix completion, recommenders and binary sparse coding: generators and the MovieLens-100k loader."""

import importlib.util
import io
import pathlib
import zipfile
from numbers import Integral, Real

import numpy as np
from scipy import sparse

from .._core.params import Interval
from .._core.random import check_random_state
from ._validation import INDEX_MAX, SCALE_MAX, SIZE, generator_params

__all__ = ["load_movielens_100k", "make_bars", "make_low_rank_completion"]

_INTER = "recbole/dataset_example/ml-100k/ml-100k.inter"
_INSTALL_HINT = (
    "MovieLens-100k is read from the recbole wheel, which ships it (GroupLens' terms forbid redistributing it, so "
    "sparsekit does not). Install the wheel without its dependencies (torch is not needed): "
    "`pip install --no-deps recbole==1.2.1`, or download it with `pip download --no-deps recbole==1.2.1` and pass "
    "path='recbole-1.2.1-py3-none-any.whl'."
)


def _completion_bytes(n_rows, n_columns, rank, observed=0.05, **_):
    """The factors and the drawn entries (positions, values and their float64 draws)."""
    n_bytes = 8 * ((n_rows + n_columns) * rank + 4 * observed * n_rows * n_columns)
    return n_bytes, {"n_rows": n_rows, "n_columns": n_columns, "rank": rank}


_AT_LEAST_TWO = Interval(Integral, 2, INDEX_MAX, closed="both")


@generator_params({
    "n_rows": [_AT_LEAST_TWO],
    "n_columns": [_AT_LEAST_TWO],
    "rank": [SIZE],
    "observed": [Interval(Real, 0, 1, closed="right")],
    "noise": [Interval(Real, 0, SCALE_MAX, closed="both")],
    "random_state": ["random_state"],
}, _completion_bytes)
def make_low_rank_completion(n_rows, n_columns, rank, *, observed=0.05, noise=0.1, random_state=None):
    """A random rank-``rank`` matrix, a uniform sample of its entries observed with Gaussian noise.

    The truth is ``left @ right.T`` with iid ``N(0, 1/sqrt(rank))`` factor
    entries (unit-variance entries); about ``observed * n_rows * n_columns``
    distinct entries are drawn uniformly and returned with ``N(0, noise^2)``
    noise added. Memory is O(observed entries + (n_rows + n_columns) rank).

    Parameters
    ----------
    n_rows, n_columns : int
        Shape of the matrix.
    rank : int
        Its rank.
    observed : float in (0, 1], default=0.05
        Fraction of entries drawn (with replacement, duplicates merged, so
        slightly fewer are observed).
    noise : float, default=0.1
        Standard deviation of the noise on the observed entries.
    random_state : None, int or numpy Generator, default=None
        Seed.

    Returns
    -------
    M_observed : scipy.sparse.csr_array of shape (n_rows, n_columns)
        The noisy observed entries.
    left : ndarray of shape (n_rows, rank)
        Left factor of the noiseless truth ``left @ right.T``.
    right : ndarray of shape (n_columns, rank)
        Right factor of the truth.

    Examples
    --------
    >>> from sparsekit.datasets import make_low_rank_completion
    >>> M, left, right = make_low_rank_completion(200, 100, 3, observed=0.1, random_state=0)
    >>> M.shape, left.shape, right.shape, 1800 < M.nnz <= 2000
    ((200, 100), (200, 3), (100, 3), True)
    """
    rng = check_random_state(random_state)
    left = rng.standard_normal((n_rows, rank)) / rank ** 0.25
    right = rng.standard_normal((n_columns, rank)) / rank ** 0.25
    flat = np.unique(rng.integers(0, n_rows * n_columns, size=max(1, round(observed * n_rows * n_columns))))
    rows, cols = np.divmod(flat, n_columns)
    values = np.einsum("ij,ij->i", left[rows], right[cols]) + noise * rng.standard_normal(len(flat))
    return sparse.csr_array((values, (rows, cols)), shape=(n_rows, n_columns)), left, right


def _inter_text(path):
    if path is None:
        spec = importlib.util.find_spec("recbole")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(_INSTALL_HINT)
        path = pathlib.Path(spec.submodule_search_locations[0]).parent / _INTER
        if not path.exists():
            raise ImportError(f"the installed recbole has no {_INTER}. {_INSTALL_HINT}")
    path = pathlib.Path(path)
    if not path.exists():
        raise ValueError(f"path={str(path)!r} does not exist. {_INSTALL_HINT}")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            if _INTER not in wheel.namelist():
                raise ValueError(f"path={str(path)!r} is a zip without {_INTER}: not a recbole wheel.")
            return wheel.read(_INTER).decode()
    return path.read_text()


def load_movielens_100k(*, path=None):
    """The MovieLens-100k ratings, read from the installed recbole package (never downloaded).

    Parameters
    ----------
    path : str or path-like, optional
        A recbole wheel (``.whl``) or an ``ml-100k.inter`` file to read
        instead of the installed package.

    Returns
    -------
    users : ndarray of int of shape (100000,)
        0-based user index (MovieLens user id - 1; 943 users).
    items : ndarray of int of shape (100000,)
        0-based item index (MovieLens item id - 1; 1682 items).
    ratings : ndarray of float of shape (100000,)
        Stars, 1 to 5.
    timestamps : ndarray of int of shape (100000,)
        Unix seconds.

    Raises
    ------
    ImportError
        If recbole is not installed and ``path`` is None; the message says
        how to get the wheel.
    ValueError
        If ``path`` does not exist or holds no ratings table.

    Notes
    -----
    GroupLens' terms forbid redistributing MovieLens, so sparsekit ships no
    copy. The recbole 1.2.1 wheel (pure Python, 2.1 MB) ships
    ``recbole/dataset_example/ml-100k/ml-100k.inter``; installing it with
    ``pip install --no-deps recbole`` is enough (the loader locates the file
    without importing recbole, so torch is not needed).

    Examples
    --------
    >>> from sparsekit.datasets import load_movielens_100k
    >>> users, items, ratings, _ = load_movielens_100k()  # doctest: +SKIP
    >>> len(ratings), users.max() + 1, items.max() + 1  # doctest: +SKIP
    (100000, 943, 1682)
    """
    text = _inter_text(path)
    header, _, body = text.partition("\n")
    if not header.startswith("user_id"):
        raise ValueError(f"path={str(path)!r} is not a recbole .inter ratings table (header {header[:40]!r}).")
    table = np.loadtxt(io.StringIO(body), dtype=np.float64, ndmin=2)
    if table.shape[1] != 4 or len(table) == 0:
        raise ValueError(f"path={str(path)!r}: expected rows of user, item, rating, timestamp.")
    return (table[:, 0].astype(np.int64) - 1, table[:, 1].astype(np.int64) - 1, table[:, 2],
            table[:, 3].astype(np.int64))


def _bars_bytes(n_samples, size=5, **_):
    """Images, their codes and noise draws."""
    return 8 * n_samples * (3 * size * size + 2 * size), {"n_samples": n_samples, "size": size}


@generator_params({
    "n_samples": [SIZE],
    "size": [_AT_LEAST_TWO],
    "pi": [Interval(Real, 0, 1, closed="neither")],
    "amplitude": [Interval(Real, 0, SCALE_MAX, closed="right")],
    "noise": [Interval(Real, 0, SCALE_MAX, closed="both")],
    "random_state": ["random_state"],
}, _bars_bytes)
def make_bars(n_samples, size=5, *, pi=0.2, amplitude=10.0, noise=2.0, random_state=None):
    """The bars problem of binary sparse coding: superpositions of horizontal and vertical bars plus noise.

    Each of the ``2 size`` bars (a row or a column of a ``size x size``
    image, of value ``amplitude``) is present with probability ``pi``; the
    images are their sums plus ``N(0, noise^2)`` noise (ProSper's bars test:
    5 x 5, pi = 1/5, amplitude 10, sigma 2).

    Parameters
    ----------
    n_samples : int
        Number of images.
    size : int, default=5
        Side of the images.
    pi : float in (0, 1), default=0.2
        Probability of each bar.
    amplitude : float, default=10.0
        Bar value.
    noise : float, default=2.0
        Noise standard deviation.
    random_state : None, int or numpy Generator, default=None
        Seed.

    Returns
    -------
    Y : ndarray of shape (n_samples, size * size)
        The flattened images.
    bars : ndarray of shape (2 * size, size * size)
        The true atoms (``amplitude`` times each bar's indicator).

    Examples
    --------
    >>> from sparsekit.datasets import make_bars
    >>> Y, bars = make_bars(100, random_state=0)
    >>> Y.shape, bars.shape
    ((100, 25), (10, 25))
    """
    rng = check_random_state(random_state)
    bars = np.zeros((2 * size, size, size))
    for b in range(size):
        bars[b, b, :] = amplitude
        bars[size + b, :, b] = amplitude
    bars = bars.reshape(2 * size, size * size)
    S = rng.random((n_samples, 2 * size)) < pi
    return S @ bars + noise * rng.standard_normal((n_samples, size * size)), bars
