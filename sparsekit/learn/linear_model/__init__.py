"""Linear models: sparse Bayesian learning, locally private sparse regression, sketched ridge ensembles."""

from ._kronecker_sbl import KroneckerSBL, kronecker_matvec, kronecker_sbl, nearest_kronecker_factors
from ._ldp import LDPAccountant, LDPSparseRegression, gaussian_mechanism_scale, ldp_iht, ldp_sparse_regression
from ._sbl import (
    SBL_METHODS,
    SparseBayesianRegression,
    gamp_damping,
    ggamp_sbl,
    posterior,
    sbl_em,
    sbl_mackay,
    sparse_bayesian_learning,
)
from ._sketched_ridge import SketchedRidgeEnsemble, sketched_ridge_gcv

__all__ = [
    "KroneckerSBL",
    "LDPAccountant",
    "LDPSparseRegression",
    "SBL_METHODS",
    "SketchedRidgeEnsemble",
    "SparseBayesianRegression",
    "gamp_damping",
    "gaussian_mechanism_scale",
    "ggamp_sbl",
    "kronecker_matvec",
    "kronecker_sbl",
    "ldp_iht",
    "ldp_sparse_regression",
    "nearest_kronecker_factors",
    "posterior",
    "sbl_em",
    "sbl_mackay",
    "sketched_ridge_gcv",
    "sparse_bayesian_learning",
]
