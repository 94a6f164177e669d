"""The array-namespace path of the entropic solvers: array-api-strict on the CPU, CuPy on a GPU (``gpu``).

The numba kernels serve NumPy input; any other namespace runs the same
algorithm through ``sparsekit.ot._passes.ArrayAPIPasses`` (blocks of rows) and
must give NumPy's iterates, on the input's device.
"""

import numpy as np
import pytest

from sparsekit.ot import cost_matrix, sinkhorn, sinkhorn_newton_sparse
from sparsekit.utils import get_namespace, to_numpy


@pytest.fixture(params=[
    pytest.param("array_api_strict", id="array_api_strict"),
    pytest.param("cupy", id="cupy", marks=pytest.mark.gpu),
])
def foreign_xp(request):
    """A non-NumPy array namespace: array-api-strict on the CPU, CuPy where a GPU is present."""
    module = pytest.importorskip(request.param)
    if request.param == "cupy":
        try:
            if module.cuda.runtime.getDeviceCount() == 0:
                pytest.skip("no CUDA device")
        except Exception as exc:  # no driver
            pytest.skip(f"CuPy has no usable device: {exc}")
    return module


def problem(n=50, m=40, seed=0):
    rng = np.random.default_rng(seed)
    M = cost_matrix(rng.random((n, 2)), rng.random((m, 2)))
    b = rng.random(m)
    b[3] = 0.0
    return np.full(n, 1 / n), b / b.sum(), M / M.max()


@pytest.mark.parametrize("method", ["kernel", "log", "auto"])
@pytest.mark.parametrize("reg", [5e-2, 1e-2])
def test_sinkhorn_in_the_namespace_matches_numpy(foreign_xp, method, reg):
    xp = foreign_xp
    a, b, M = problem()
    expected = sinkhorn(a, b, M, reg, method=method)
    res = sinkhorn(xp.asarray(a), xp.asarray(b), xp.asarray(M), reg, method=method)
    assert get_namespace(res.f) is get_namespace(xp.asarray(M)) and get_namespace(res.plan) is not np
    assert res.converged and res.n_iter == expected.n_iter and res.method == expected.method
    np.testing.assert_allclose(to_numpy(res.plan), expected.plan, atol=1e-13)
    np.testing.assert_allclose(to_numpy(res.f), expected.f, rtol=1e-10, atol=1e-12)
    assert res.cost == pytest.approx(expected.cost, rel=1e-10)


def test_sns_and_lazy_plan_in_the_namespace(foreign_xp):
    xp = foreign_xp
    a, b, M = problem(seed=1)
    expected = sinkhorn_newton_sparse(a, b, M, 1e-3)
    res = sinkhorn_newton_sparse(xp.asarray(a), xp.asarray(b), xp.asarray(M), 1e-3, plan_format="lazy")
    assert res.converged and res.n_newton == expected.n_newton
    np.testing.assert_allclose(to_numpy(res.plan.toarray()), expected.plan, atol=1e-12)
    np.testing.assert_allclose(to_numpy(res.plan @ xp.ones(40, dtype=xp.float64)), expected.plan.sum(axis=1),
                               atol=1e-12)


def test_batched_in_the_namespace(foreign_xp):
    xp = foreign_xp
    a, b, M = problem(seed=2)
    B = np.stack([b, np.full(40, 1 / 40)], axis=1)
    expected = sinkhorn(a, B, M, 5e-2, method="kernel")
    res = sinkhorn(xp.asarray(a), xp.asarray(B), xp.asarray(M), 5e-2, method="kernel")
    np.testing.assert_allclose(res.cost, expected.cost, rtol=1e-10)
    assert tuple(res.f.shape) == (50, 2)


@pytest.mark.gpu
def test_cupy_float32_kernel_space():
    cupy = pytest.importorskip("cupy")
    a, b, M = problem(200, 200)
    expected = sinkhorn(a, b, M.astype(np.float32), 1e-2, method="kernel", tol=1e-6)
    res = sinkhorn(cupy.asarray(a), cupy.asarray(b), cupy.asarray(M, dtype=cupy.float32), 1e-2, method="kernel",
                   tol=1e-6)
    assert isinstance(res.plan, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(res.plan), expected.plan, atol=1e-7)
