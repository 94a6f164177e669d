"""Input checks shared by the learn solvers, on top of :mod:`sparsekit._core.validation`.

``check_array(x, name, dtype=np.float64)`` casts complex input to real with
only NumPy's ``ComplexWarning`` (the imaginary part is dropped silently).
:func:`check_real_array` refuses complex input first, naming the argument.
It belongs in ``_core.validation`` (an explicit real target dtype should
refuse complex input there), and can move there unchanged.
"""

import numpy as np

from .._core.validation import check_array

__all__ = ["check_real_array"]


def check_real_array(x, name, *, dtype=np.float64, **kwargs):
    """Validate a real array argument and cast it to ``dtype``.

    Parameters
    ----------
    x : array-like or sparse array
        The argument.
    name : str
        Its name, for error messages.
    dtype : dtype or None, default=np.float64
        Target dtype; None keeps float32 and float64 (integers and booleans
        become float64).
    **kwargs
        Passed to :func:`~sparsekit.utils.check_array` (``ndim``,
        ``accept_sparse``, ``allow_empty``, ...).

    Returns
    -------
    array
        The validated array.

    Raises
    ------
    TypeError
        If ``x`` is complex, holds no numbers (object or string dtype), or is
        sparse where sparse is not accepted.
    ValueError
        As :func:`~sparsekit.utils.check_array`.
    """
    x = check_array(x, name, dtype="float", **kwargs)
    return x if dtype is None or x.dtype == dtype else x.astype(dtype)
