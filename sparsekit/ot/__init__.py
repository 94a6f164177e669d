"""Optimal transport: entropic (Sinkhorn, Sinkhorn-Newton-Sparse), sparsity-constrained and quadratic OT.

Every solver takes ``(a, b, M, ...)`` and returns a :class:`sparsekit.Result`;
:func:`solve` reaches all of them through the :data:`OT_METHODS` registry.
"""

from ._cost import cost_matrix
from ._plan import EntropicPlan
from ._sinkhorn import sinkhorn
from ._sns import sinkhorn_newton_sparse
from ._solve import OT_METHODS, emd, solve, wasserstein
from ._sparse_ot import quadratic_ot, sparse_ot

__all__ = [
    "OT_METHODS",
    "EntropicPlan",
    "cost_matrix",
    "emd",
    "quadratic_ot",
    "sinkhorn",
    "sinkhorn_newton_sparse",
    "solve",
    "sparse_ot",
    "wasserstein",
]
