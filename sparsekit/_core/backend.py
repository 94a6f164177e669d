"""Array backend: which namespace (NumPy, CuPy, another array-API library) holds the data.

CuPy is never imported here at module level: ``array_api_compat`` recognises a
CuPy array by its type's module without importing CuPy, and CuPy is only
imported once such an array has been seen.
"""

import sys

import numpy as np

__all__ = [
    "get_namespace", "is_numpy_namespace", "is_cupy_namespace", "device_of", "numpy_dtype", "to_numpy", "to_namespace",
]


def _is_scipy_sparse(x):
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(x)


def _is_linear_operator(x):
    interface = sys.modules.get("scipy.sparse.linalg")
    return interface is not None and isinstance(x, interface.LinearOperator)


def _is_cupy_sparse(x):
    return type(x).__module__.startswith("cupyx.scipy.sparse")


def _namespace_of(x):
    """Namespace of one array, or None for scalars and other non-arrays."""
    import array_api_compat

    if isinstance(x, np.ndarray) or _is_scipy_sparse(x) or _is_linear_operator(x):
        return np
    if _is_cupy_sparse(x) or array_api_compat.is_cupy_array(x):
        import cupy

        return cupy
    if array_api_compat.is_array_api_obj(x) and not isinstance(x, np.generic):
        return array_api_compat.array_namespace(x)
    return None


def _describe(xp):
    return getattr(xp, "__name__", repr(xp))


def get_namespace(*arrays, **named_arrays):
    """Return the array namespace shared by the given arrays.

    NumPy arrays, SciPy sparse arrays and ``LinearOperator`` give
    :mod:`numpy`; CuPy arrays (dense or ``cupyx.scipy.sparse``) give
    :mod:`cupy`; any other array-API array gives its namespace as returned by
    ``array_api_compat.array_namespace``. ``None``, Python scalars and lists
    are ignored (they adopt the namespace of the others, NumPy if none).

    Parameters
    ----------
    *arrays : array-like
        Arrays to inspect.
    **named_arrays : array-like
        Arrays to inspect, given by argument name so that an error can say
        which argument is on the wrong backend or device.

    Returns
    -------
    module
        The common namespace.

    Raises
    ------
    ValueError
        If the arrays belong to different namespaces or live on different
        devices.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from sparsekit.utils import get_namespace
    >>> get_namespace(np.ones(3), sparse.eye(3, format="csr")).__name__
    'numpy'
    """
    items = [(f"argument {i}", a) for i, a in enumerate(arrays)] + list(named_arrays.items())
    found = [(name, a, _namespace_of(a)) for name, a in items]
    found = [(name, a, xp) for name, a, xp in found if xp is not None]
    if not found:
        return np
    first_name, first, first_xp = found[0]
    for name, a, xp in found[1:]:
        if xp is not first_xp:
            raise ValueError(
                f"{first_name} is a {_describe(first_xp)} array but {name} is a {_describe(xp)} array; "
                "move all inputs to one backend first."
            )
    if first_xp is not np:
        first_dev = device_of(first)
        for name, a, _ in found[1:]:
            if device_of(a) != first_dev:
                raise ValueError(
                    f"{first_name} is on device {first_dev} but {name} is on device {device_of(a)}; "
                    "move all inputs to one device first."
                )
    return first_xp


def is_numpy_namespace(xp):
    """Return True if ``xp`` is NumPy (plain or array_api_compat's wrapper).

    Parameters
    ----------
    xp : module
        A namespace returned by :func:`get_namespace`.

    Returns
    -------
    bool
        Whether the namespace is NumPy's.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.utils import is_numpy_namespace
    >>> is_numpy_namespace(np)
    True
    """
    return getattr(xp, "__name__", "") in {"numpy", "array_api_compat.numpy"}


def is_cupy_namespace(xp):
    """Return True if ``xp`` is CuPy (plain or array_api_compat's wrapper).

    Parameters
    ----------
    xp : module
        A namespace returned by :func:`get_namespace`.

    Returns
    -------
    bool
        Whether the namespace is CuPy's.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.utils import is_cupy_namespace
    >>> is_cupy_namespace(np)
    False
    """
    return getattr(xp, "__name__", "") in {"cupy", "array_api_compat.cupy"}


def device_of(x):
    """Return the device an array lives on (``"cpu"`` for NumPy and SciPy objects).

    Parameters
    ----------
    x : array
        Any array the backend understands.

    Returns
    -------
    object
        The device, as the array's library names it.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.utils import device_of
    >>> device_of(np.zeros(2))
    'cpu'
    """
    import array_api_compat

    if isinstance(x, np.ndarray) or _is_scipy_sparse(x) or _is_linear_operator(x):
        return "cpu"
    if _is_cupy_sparse(x):
        return x.data.device
    return array_api_compat.device(x)


def numpy_dtype(dtype):
    """The NumPy dtype equal to a dtype of any array namespace.

    CuPy's dtypes already are NumPy dtypes; array-API libraries such as
    array_api_strict have their own dtype objects, named like NumPy's.

    Parameters
    ----------
    dtype : dtype
        A NumPy, CuPy or array-API dtype.

    Returns
    -------
    numpy.dtype
        The same type as a NumPy dtype.

    Examples
    --------
    >>> import array_api_strict as xp
    >>> from sparsekit.utils import numpy_dtype
    >>> numpy_dtype(xp.float32)
    dtype('float32')
    """
    if isinstance(dtype, np.dtype):
        return dtype
    return np.dtype(str(dtype).rsplit(".", 1)[-1])


def to_numpy(x):
    """Copy an array to host memory as a NumPy array (SciPy sparse stays sparse).

    Parameters
    ----------
    x : array
        NumPy, CuPy, SciPy sparse, CuPy sparse or array-API array.

    Returns
    -------
    numpy.ndarray or scipy.sparse array
        The same data on the host; NumPy and SciPy inputs are returned as is.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.utils import to_numpy
    >>> to_numpy(np.arange(3))
    array([0, 1, 2])
    """
    if isinstance(x, np.ndarray) or _is_scipy_sparse(x):
        return x
    if _is_cupy_sparse(x):
        return x.get()
    import array_api_compat

    if array_api_compat.is_cupy_array(x):
        return x.get()
    if array_api_compat.is_array_api_obj(x):
        xp = array_api_compat.array_namespace(x)
        if hasattr(xp, "Device") and device_of(x) != xp.Device("CPU_DEVICE"):
            x = xp.asarray(x, device=xp.Device("CPU_DEVICE"))
        return np.from_dlpack(x)
    return np.asarray(x)


def to_namespace(x, xp, device=None):
    """Move a NumPy array into namespace ``xp`` (and onto ``device`` where given).

    Used to hand results back on the backend and device of the input.

    Parameters
    ----------
    x : numpy.ndarray
        Host array.
    xp : module
        Target namespace, as returned by :func:`get_namespace`.
    device : object, optional
        Target device; the namespace's default when omitted.

    Returns
    -------
    array
        ``x`` as an array of ``xp``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.utils import to_namespace
    >>> to_namespace(np.ones(2), np)
    array([1., 1.])
    """
    if xp is np or is_numpy_namespace(xp):
        return np.asarray(x)
    if device is None:
        return xp.asarray(x)
    if is_cupy_namespace(xp):
        with device:
            return xp.asarray(x)
    return xp.asarray(x, device=device)
