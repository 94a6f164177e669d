"""Linear models: greedy-coordinate Lasso, MCP/SCAD by accelerated gradient, loss-based OMP, sparse phase retrieval,
sparse Bayesian learning, locally private sparse regression, sketched ridge ensembles."""

from ._greedy_lasso import GreedyLasso
from ._kronecker_algebra import kronecker_matvec, nearest_kronecker_factors
from ._kronecker_sbl import KroneckerSBL, kronecker_sbl
from ._ldp_estimator import LDPSparseRegression
from ._ldp_mechanisms import LDPAccountant, gaussian_mechanism_scale
from ._ldp_solvers import ldp_iht, ldp_sparse_regression
from ._loss_omp import loss_omp
from ._loss_omp_estimator import LossOMP
from ._nonconvex_penalties import nonconvex_path, nonconvex_regression
from ._nonconvex_penalties_estimators import MCPRegression, SCADRegression
from ._phase_retrieval import sparse_phase_retrieval
from ._sbl_estimator import SBL_METHODS, SparseBayesianRegression, sparse_bayesian_learning
from ._sbl_evidence import sbl_em, sbl_mackay
from ._sbl_gamp import gamp_damping, ggamp_sbl
from ._sbl_posterior import posterior
from ._sketched_ridge import SketchedRidgeEnsemble, sketched_ridge_gcv

__all__ = [
    "GreedyLasso",
    "KroneckerSBL",
    "LDPAccountant",
    "LDPSparseRegression",
    "MCPRegression",
    "LossOMP",
    "SBL_METHODS",
    "SCADRegression",
    "SketchedRidgeEnsemble",
    "SparseBayesianRegression",
    "gamp_damping",
    "gaussian_mechanism_scale",
    "ggamp_sbl",
    "kronecker_matvec",
    "kronecker_sbl",
    "ldp_iht",
    "ldp_sparse_regression",
    "loss_omp",
    "nearest_kronecker_factors",
    "nonconvex_path",
    "nonconvex_regression",
    "posterior",
    "sbl_em",
    "sbl_mackay",
    "sketched_ridge_gcv",
    "sparse_bayesian_learning",
    "sparse_phase_retrieval",
]
