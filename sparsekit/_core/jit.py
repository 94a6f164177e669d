"""numba conventions for sparsekit kernels.

Kernels sit beside the algorithm that uses them (``linalg/_sor_kernels.py``) and
are declared with :func:`kernel`: ``njit(cache=True, nogil=True)`` with lazy
signatures, so read-only (memory-mapped) arrays work and the GIL is released
for threaded callers such as dask. Fast-math is never blanket-enabled: where a
kernel is measured to benefit, it passes ``fastmath=SAFE_FASTMATH``, which omits
the ``nnan``/``ninf`` flags that would let NaN propagate silently.

numba compiles a kernel called from another kernel with the *caller's*
fast-math flags, not its own: a helper that must round exactly (say with the
``(a + b) - b`` rounding trick) and is called from a kernel compiled with
``fastmath=SAFE_FASTMATH`` has to be written to be correct under reassociation.
``assert_kernel_matches_twin`` calls a kernel on its own, compiled with its own
flags, so it cannot catch this (found in ``exp_neg`` of
``learn/gaussian_process/_fused_kernels.py``).

Importing this module imports numba; the rest of ``sparsekit._core`` does not.
"""

import numba

__all__ = ["kernel", "SAFE_FASTMATH"]

SAFE_FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def kernel(func=None, **options):
    """Compile ``func`` as a sparsekit numba kernel.

    Parameters
    ----------
    func : callable, optional
        The Python function; omit to pass options (``@kernel(parallel=True)``).
    **options
        Extra ``numba.njit`` options. ``fastmath=True`` is refused; use
        ``fastmath=SAFE_FASTMATH``. ``parallel=True`` kernels are not cached
        (numba's cache of parallel functions saves little here).

    Returns
    -------
    numba dispatcher or decorator
        The compiled kernel, lazily typed on first call.

    Raises
    ------
    ValueError
        If ``fastmath=True`` or explicit signatures are requested.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.utils import kernel
    >>> @kernel(cache=False)  # interactive code has no file to cache into
    ... def total(x):
    ...     s = 0.0
    ...     for v in x:
    ...         s += v
    ...     return s
    >>> total(np.arange(4.0))
    6.0
    """
    if options.get("fastmath") is True:
        raise ValueError("fastmath=True is NaN-unsafe; pass fastmath=SAFE_FASTMATH instead.")
    if "signature_or_function" in options or "signatures" in options:
        raise ValueError("sparsekit kernels use lazy signatures so read-only arrays work.")
    settings = {"cache": not options.get("parallel", False), "nogil": True, **options}
    if isinstance(settings.get("fastmath"), frozenset):
        settings["fastmath"] = set(settings["fastmath"])

    def compile_(f):
        return numba.njit(**settings)(f)

    return compile_ if func is None else compile_(func)
