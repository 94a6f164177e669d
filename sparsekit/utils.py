"""Public building blocks: validation, backends, registries, progress, random state.

These are the pieces sparsekit's own solvers and estimators are built from,
exposed for users who write their own methods in the same style.
"""

from ._core.backend import (
    device_of,
    get_namespace,
    is_cupy_namespace,
    is_numpy_namespace,
    numpy_dtype,
    to_namespace,
    to_numpy,
)
from ._core.exceptions import ConvergenceWarning, InvalidParameterError
from ._core.jit import SAFE_FASTMATH, kernel
from ._core.params import (
    Interval,
    Options,
    ParamsValidationMixin,
    check_params,
    format_value,
    validate_params,
)
from ._core.progress import IterationMonitor, get_logger
from ._core.random import check_random_state, spawn_generators
from ._core.registry import Method, Registry, restore_items, take_items
from ._core.result import Result, end_run, inner_runs, warn_at_caller
from ._core.threads import blas_threads_for_small_blocks, small_block_threads, small_blocks
from ._core.validation import (
    check_array,
    check_callable,
    check_nonzero_diagonal,
    check_probability_vector,
    check_shape,
    check_square,
    check_vector,
)

__all__ = [
    "ConvergenceWarning",
    "InvalidParameterError",
    "Interval",
    "IterationMonitor",
    "Method",
    "Options",
    "ParamsValidationMixin",
    "Registry",
    "Result",
    "SAFE_FASTMATH",
    "blas_threads_for_small_blocks",
    "check_array",
    "check_callable",
    "check_nonzero_diagonal",
    "check_params",
    "check_probability_vector",
    "check_random_state",
    "check_shape",
    "check_square",
    "check_vector",
    "device_of",
    "end_run",
    "format_value",
    "get_logger",
    "get_namespace",
    "inner_runs",
    "is_cupy_namespace",
    "is_numpy_namespace",
    "numpy_dtype",
    "kernel",
    "restore_items",
    "small_block_threads",
    "small_blocks",
    "spawn_generators",
    "take_items",
    "to_namespace",
    "to_numpy",
    "validate_params",
    "warn_at_caller",
]
