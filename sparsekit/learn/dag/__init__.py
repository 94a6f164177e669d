"""Learning directed acyclic graphs (DAGs) of linear structural equation models.

Solvers (plain functions returning a :class:`~sparsekit.Result`) and their
scikit-learn estimators:

- :func:`colide` / :class:`CoLiDE`: concomitant linear DAG estimation, equal
  (``"ev"``) or per-node (``"nv"``) noise scales;
- :func:`dagma_linear` / :class:`DAGMALinear`: the DAGMA least-squares baseline;
- :func:`topo_swap` / :class:`TopoSwap`: topological-swap search, stand-alone
  or as a refinement of any learner's DAG.

:mod:`sparsekit.learn.dag.metrics` compares an estimated graph with the truth
(SHD, TPR, FDR, FPR, SID).
"""

from . import metrics
from ._colide import colide, dagma_linear
from ._estimators import CoLiDE, DAGMALinear, TopoSwap
from ._graph import is_dag, remove_cycles, topological_order
from ._linear_sem import sem_score
from ._topo import topo_swap

__all__ = [
    "CoLiDE",
    "DAGMALinear",
    "TopoSwap",
    "colide",
    "dagma_linear",
    "is_dag",
    "metrics",
    "remove_cycles",
    "sem_score",
    "topo_swap",
    "topological_order",
]
