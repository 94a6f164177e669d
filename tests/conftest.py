"""Shared fixtures: array namespaces (NumPy, array-api-strict, CuPy when present) and markers."""

import importlib.util

import numpy as np
import pytest
import scipy.linalg  # noqa: F401  (loads SciPy's own BLAS so the limit below reaches it)
from threadpoolctl import threadpool_limits


def _namespaces():
    params = [pytest.param("numpy", id="numpy")]
    if importlib.util.find_spec("array_api_strict") is not None:
        params.append(pytest.param("array_api_strict", id="array_api_strict"))
    params.append(pytest.param("cupy", id="cupy", marks=pytest.mark.gpu))
    return params


@pytest.fixture(params=_namespaces())
def xp(request):
    """An array namespace module; CuPy is skipped where it does not import or has no device."""
    if request.param == "numpy":
        return np
    if request.param == "cupy":
        cupy = pytest.importorskip("cupy")
        try:
            if cupy.cuda.runtime.getDeviceCount() == 0:
                pytest.skip("no CUDA device")
        except Exception as exc:  # CUDA driver missing
            pytest.skip(f"CuPy has no usable device: {exc}")
        return cupy
    return pytest.importorskip(request.param)


@pytest.fixture(autouse=True, scope="session")
def one_blas_thread():
    """Pin BLAS/OpenMP pools to one thread for the whole run.

    The suite runs as two xdist workers on two cores; more BLAS threads only
    oversubscribe (many small factorizations ran 10x slower with two threads
    on a loaded two-core machine).
    """
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def rng():
    """A seeded generator, so every test is deterministic."""
    return np.random.default_rng(0)


def pytest_collection_modifyitems(config, items):
    """Skip ``gpu`` tests when CuPy is not importable."""
    if importlib.util.find_spec("cupy") is None:
        skip = pytest.mark.skip(reason="CuPy is not installed")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)
