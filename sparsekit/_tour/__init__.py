"""The tour (``python -m sparsekit tour``): one module of cases per area.

This package sits above every other layer: its cases may import solvers,
estimators, data sets and installed peers alike, and nothing in the library
imports it (the benchmarks under ``asv_bench`` reuse its peer baselines).
"""

from ._runner import discover, format_table, run_tour

__all__ = ["discover", "format_table", "run_tour"]
