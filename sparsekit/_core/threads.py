"""BLAS threads for the library's small-block hot paths.

Krylov cycles, sketch-and-solve steps and SBL updates do most of their dense
work on blocks of a few dozen columns. A multithreaded BLAS wakes and
synchronises its threads for every such call, which costs more than the call
itself: on a shared 2-core machine the README's ``solve_sequence`` example ran
20 times slower with the default threads than with one. So the solvers that
live on small blocks run them with BLAS pinned to one thread, chosen here
once, not by the user.

Override it with :func:`small_block_threads` (a context manager, or a global
setting) or the ``SPARSEKIT_BLAS_THREADS`` environment variable: an integer,
or ``"off"`` to leave the BLAS as it is.
"""

import contextlib
import functools
import os
import threading

__all__ = ["blas_threads_for_small_blocks", "small_block_threads", "small_blocks"]

_ENV = "SPARSEKIT_BLAS_THREADS"
_state = threading.local()
_global = {"threads": None}  # None: not set in code; the environment variable or the default decides


def _parse(value, source):
    if value is None or value == "off":
        return value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    threads = value if isinstance(value, int) and not isinstance(value, bool) else 0
    if threads < 1:
        raise ValueError(f"{source} must be a positive integer or 'off'; got {value!r}.")
    return threads


def blas_threads_for_small_blocks():
    """Return the BLAS thread count the small-block paths run with (an int), or ``"off"``.

    Precedence: :func:`small_block_threads` (innermost context first, then the
    global setting), then ``SPARSEKIT_BLAS_THREADS``, then 1.

    Returns
    -------
    int or "off"
        The thread count, or ``"off"`` when the BLAS is left alone.

    Examples
    --------
    >>> from sparsekit.utils import blas_threads_for_small_blocks, small_block_threads
    >>> with small_block_threads(2):
    ...     blas_threads_for_small_blocks()
    2
    """
    stack = getattr(_state, "stack", None)
    if stack:
        return stack[-1]
    if _global["threads"] is not None:
        return _global["threads"]
    return _parse(os.environ.get(_ENV), _ENV) or 1


class small_block_threads(contextlib.ContextDecorator):
    """Set the BLAS threads of sparsekit's small-block paths: in a ``with`` block, or for the session.

    Parameters
    ----------
    threads : int or "off"
        Threads the BLAS may use inside sparsekit's small-block hot paths;
        ``"off"`` leaves the BLAS's own setting (e.g. ``OPENBLAS_NUM_THREADS``)
        in force.
    globally : bool, default=False
        Keep the setting for the rest of the session instead of for a
        ``with`` block (``small_block_threads(4, globally=True)``).

    Examples
    --------
    >>> from sparsekit.utils import blas_threads_for_small_blocks, small_block_threads
    >>> with small_block_threads("off"):
    ...     blas_threads_for_small_blocks()
    'off'
    >>> blas_threads_for_small_blocks()
    1
    """

    def __init__(self, threads, *, globally=False):
        self.threads = _parse(threads, "threads")
        if self.threads is None:
            raise ValueError("threads must be a positive integer or 'off'; got None.")
        if globally:
            _global["threads"] = self.threads

    def __enter__(self):
        _state.stack = getattr(_state, "stack", []) + [self.threads]
        return self

    def __exit__(self, *exc_info):
        _state.stack = _state.stack[:-1]
        return False


@functools.lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def small_blocks(func):
    """Run ``func`` with the BLAS threads of :func:`blas_threads_for_small_blocks` (decorator).

    Nested calls inside an already limited region cost nothing more.

    Parameters
    ----------
    func : callable
        A solver whose dense work is on small blocks.

    Returns
    -------
    callable
        The wrapped solver.

    Examples
    --------
    >>> import numpy as np
    >>> from threadpoolctl import threadpool_info
    >>> from sparsekit.utils import small_blocks
    >>> @small_blocks
    ... def blas_threads():
    ...     return max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
    >>> _ = np.ones((2, 2)) @ np.ones((2, 2))  # load the BLAS
    >>> blas_threads()
    1
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        threads = blas_threads_for_small_blocks()
        if threads == "off" or getattr(_state, "limited", False):
            return func(*args, **kwargs)
        _state.limited = True
        try:
            with _controller().limit(limits=threads, user_api="blas"):
                return func(*args, **kwargs)
        finally:
            _state.limited = False

    return wrapper
