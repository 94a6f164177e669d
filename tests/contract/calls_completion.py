"""Contract entries of matrix completion, EASE, binary and spike-and-slab sparse coding."""

import pathlib
import tempfile

import numpy as np
from scipy import sparse

from ._call import Call


def observed():
    """A noisy rank-2 matrix of 30 x 20 with about 40% of its entries observed (every row and column seen)."""
    rng = np.random.default_rng(11)
    M = rng.standard_normal((30, 2)) @ rng.standard_normal((2, 20)) + 0.1 * rng.standard_normal((30, 20))
    mask = rng.random(M.shape) < 0.4
    mask[np.arange(30), np.arange(30) % 20] = True
    r, c = np.nonzero(mask)
    return (sparse.csr_array((M[r, c], (r, c)), shape=M.shape),)


def with_nan():
    """The same matrix, dense, its missing entries NaN (scikit-learn's imputers' convention)."""
    M = observed()[0]
    X = np.full(M.shape, np.nan)
    r, c = M.nonzero()
    X[r, c] = M.data
    return (X,)


def tiny_ratings_file():
    """A three-rating table in the recbole ``.inter`` format (not MovieLens data: the loader's parsing only)."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="sparsekit-contract-")) / "ml-100k.inter"
    path.write_text("user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
                    "1\t2\t3\t881250949\n2\t1\t5\t891717742\n1\t3\t1\t878887116\n")
    return path


def interactions():
    """20 users x 8 items of 0/1 interactions (every user and item has one)."""
    rng = np.random.default_rng(12)
    X = (rng.random((20, 8)) < 0.3).astype(float)
    X[np.arange(20), np.arange(20) % 8] = 1.0
    return (X,)


def ranking():
    """Held-out items of 5 users and 3 recommendations each."""
    held_out = np.zeros((5, 8))
    held_out[np.arange(5), [1, 2, 3, 4, 5]] = 1.0
    return held_out, np.array([[1, 0, 2], [0, 2, 3], [4, 5, 3], [4, 1, 0], [6, 7, 5]])


def bars():
    """40 images of the 4 x 4 bars problem."""
    from sparsekit.datasets import make_bars

    return (make_bars(40, size=4, random_state=0)[0],)


_BSC = dict(n_candidates=4, max_active=2, max_iter=30, random_state=0)

# NaN marks a missing entry (valid input); object and numeric-string arrays convert as scikit-learn's own do
_IMPUTER = {"X": ("nan", "object", "str")}

CALLS = {
    "altmin_complete": Call(lambda: (*observed(), 2), dict(random_state=0), force=dict(max_iter=1),
                            solution="U", sparse=("M_observed",)),
    "make_low_rank_completion": Call(lambda: (30, 20, 2), dict(random_state=0)),
    "load_movielens_100k": Call(lambda: (), dict(path=tiny_ratings_file())),
    "ease_weights": Call(interactions, dict(l2=5.0), sparse=("X",)),
    "EASE": Call(interactions, dict(l2=5.0), sparse=("X",), accepts={"X": ("object", "str")}),
    "ndcg_at_k": Call(ranking, dict(k=3), sparse=("held_out",)),
    "recall_at_k": Call(ranking, dict(k=3), sparse=("held_out",)),
    "make_bars": Call(lambda: (20,), dict(random_state=0)),
    "binary_sparse_coding": Call(lambda: (*bars(), 8), _BSC, force=dict(max_iter=1), solution="W"),
    "BinarySparseCoding": Call(bars, dict(n_components=8, **_BSC), force=dict(max_iter=1),
                               accepts={"X": ("object", "str")}),
    "spike_slab_coding": Call(lambda: (*bars(), 8), _BSC, force=dict(max_iter=1), solution="W"),
    "SpikeSlabCoding": Call(bars, dict(n_components=8, **_BSC), force=dict(max_iter=1),
                            accepts={"X": ("object", "str")}),
    "AltMinCompletion": Call(with_nan, dict(rank=2, random_state=0), force=dict(max_iter=1), sparse=("X",),
                             accepts=_IMPUTER),
}
