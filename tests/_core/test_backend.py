import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import aslinearoperator

from sparsekit.utils import (
    device_of,
    get_namespace,
    is_cupy_namespace,
    is_numpy_namespace,
    to_namespace,
    to_numpy,
)


def test_numpy_family_is_numpy():
    A = sparse.eye(3, format="csr")
    assert get_namespace(np.ones(3), A, aslinearoperator(A), None, 1.0, [1, 2]) is np
    assert get_namespace() is np
    assert is_numpy_namespace(np) and not is_cupy_namespace(np)
    assert device_of(A) == "cpu"


def test_namespace_roundtrip(xp):
    x = xp.asarray([1.0, 2.0, 3.0])
    ns = get_namespace(x)
    back = to_numpy(x)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, [1.0, 2.0, 3.0])
    again = to_namespace(back, ns, device=device_of(x))
    assert get_namespace(again) is ns


def test_mixing_backends_is_an_error():
    xps = pytest.importorskip("array_api_strict")
    with pytest.raises(ValueError, match="a is a numpy array but b is a array_api_strict array"):
        get_namespace(a=np.ones(2), b=xps.ones(2))


def test_mixing_devices_is_an_error():
    xps = pytest.importorskip("array_api_strict")
    a = xps.ones(2)
    b = xps.ones(2, device=xps.Device("device1"))
    with pytest.raises(ValueError, match="a is on device .* but b is on device"):
        get_namespace(a=a, b=b)
    assert isinstance(to_numpy(b), np.ndarray)


def test_import_is_light():
    """``import sparsekit`` must not pull in CuPy, Dask, numba or scikit-learn."""
    import subprocess
    import sys

    code = (
        "import sys, time; t = time.perf_counter(); import sparsekit; dt = time.perf_counter() - t; "
        "heavy = [m for m in ('cupy', 'dask', 'numba', 'sklearn', 'distributed') if m in sys.modules]; "
        "print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert out[1].strip() == "[]"
    assert float(out[0]) < 1.0
