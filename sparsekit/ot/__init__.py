"""Optimal transport: entropic (Sinkhorn, Sinkhorn-Newton-Sparse), sparsity-constrained and quadratic OT.

Every solver takes ``(a, b, M, ...)`` and returns a :class:`sparsekit.Result`;
:func:`solve` reaches all of them through the :data:`OT_METHODS` registry.

Each name is imported from its module on first use, so a program that runs
only :func:`sinkhorn` never loads the Newton solvers or the registry.
"""

import importlib

# public name -> the module that defines it
_HOMES = {
    "OT_METHODS": "._solve",
    "EntropicPlan": "._plan",
    "cost_matrix": "._cost",
    "emd": "._solve",
    "quadratic_ot": "._quadratic_ot",
    "sinkhorn": "._sinkhorn",
    "sinkhorn_newton_sparse": "._sns",
    "solve": "._solve",
    "solve_batch": "._batch",
    "sparse_ot": "._sparse_ot",
    "wasserstein": "._solve",
}

__all__ = list(_HOMES)


def __getattr__(name):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
