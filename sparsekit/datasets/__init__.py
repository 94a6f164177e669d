"""Generators of the problems sparsekit's methods are tested and benchmarked on.

All data is generated from a seed or shipped with an installed package;
nothing is downloaded.
"""

from ._completion import load_movielens_100k, make_bars, make_low_rank_completion
from ._grids import poisson2d, poisson3d
from ._hidden_direction import make_hidden_direction_classification
from ._hyperspectral import make_hyperspectral
from ._pde_sequences import darcy_sequence, helmholtz_sequence, poisson_sequence
from ._relaxation import HeatEquation2D, shifted_laplacian_sequence
from ._sem import make_linear_sem
from ._sketch_problems import (
    decaying_spectrum_regression,
    ill_conditioned_lstsq,
    sparse_matrix,
    sparse_rows_pair,
)
from ._sparse_coding import make_sparse_coding
from ._sparse_regression import make_kronecker_regression, make_sparse_regression
from ._spiked_covariance import make_spiked_covariance

__all__ = [
    "HeatEquation2D",
    "darcy_sequence",
    "decaying_spectrum_regression",
    "helmholtz_sequence",
    "ill_conditioned_lstsq",
    "make_hidden_direction_classification",
    "make_hyperspectral",
    "load_movielens_100k",
    "make_bars",
    "make_low_rank_completion",
    "make_kronecker_regression",
    "make_linear_sem",
    "make_sparse_coding",
    "make_sparse_regression",
    "make_spiked_covariance",
    "poisson2d",
    "poisson3d",
    "poisson_sequence",
    "shifted_laplacian_sequence",
    "sparse_matrix",
    "sparse_rows_pair",
]
