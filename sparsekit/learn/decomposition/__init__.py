"""Matrix decompositions: sparse PCA, supervised and masked dictionary learning."""

from ._sparse_pca import sparse_pca
from ._sparse_pca_estimator import SparsePCA

__all__ = [
    "SparsePCA",
    "sparse_pca",
]
