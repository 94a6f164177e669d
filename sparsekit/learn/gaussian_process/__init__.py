"""Gaussian processes at scale: Vecchia (sparse inverse-Cholesky) approximations with scikit-learn kernels."""

from ._ordering import maximin_ordering, nearest_earlier_neighbors
from ._swsgp import swsgp_fit
from ._swsgp_regressor import SparseWithinSparseGaussianProcessRegressor
from ._vecchia import sparse_inverse_cholesky
from ._vecchia_classifier import VecchiaGaussianProcessClassifier
from ._vecchia_fit import vecchia_gp_fit
from ._vecchia_laplace import vecchia_laplace_fit
from ._vecchia_regressor import VecchiaGaussianProcessRegressor

__all__ = [
    "SparseWithinSparseGaussianProcessRegressor",
    "VecchiaGaussianProcessClassifier",
    "VecchiaGaussianProcessRegressor",
    "maximin_ordering",
    "nearest_earlier_neighbors",
    "sparse_inverse_cholesky",
    "swsgp_fit",
    "vecchia_gp_fit",
    "vecchia_laplace_fit",
]
