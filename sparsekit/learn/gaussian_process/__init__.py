"""Gaussian processes at scale: Vecchia (sparse inverse-Cholesky) approximations with scikit-learn kernels."""

from ._ordering import maximin_ordering, nearest_earlier_neighbors
from ._vecchia import sparse_inverse_cholesky

__all__ = [
    "maximin_ordering",
    "nearest_earlier_neighbors",
    "sparse_inverse_cholesky",
]
