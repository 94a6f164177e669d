"""scikit-learn estimators for sparse learning problems.

Subpackages are imported on first use.
"""

import importlib

_SUBPACKAGES = ("dag", "decomposition", "gaussian_process", "linear_model", "recommend")

__all__ = list(_SUBPACKAGES)


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
