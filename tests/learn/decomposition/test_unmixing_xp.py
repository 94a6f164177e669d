"""The array-namespace path of the unmixing NMFs: the batched active set, the stencil Laplacian, the solvers.

Without a GPU the namespace path runs on ``array_api_strict`` (NumPy underneath, no NumPy functions
allowed on its arrays): it must reproduce the compiled NumPy path to 1e-10. With CuPy and a device,
the ``gpu`` tests run the same code on the GPU.
"""

import warnings

import numpy as np
import pytest

from sparsekit.datasets import make_hyperspectral
from sparsekit.learn.decomposition import correntropy_nmf, robust_sparse_nmf, structured_sparse_nmf
from sparsekit.learn.decomposition._fcls_kernels import active_set_qp
from sparsekit.learn.decomposition._unmixing_loop import grid_laplacian, heat_kernel_laplacian, laplacian_of
from sparsekit.learn.decomposition._unmixing_xp import GridLaplacian, batched_active_set

SOLVERS = [
    pytest.param(structured_sparse_nmf, {}, id="structured"),
    pytest.param(structured_sparse_nmf, dict(alpha=0.1, sum_to_one=False), id="structured-l1-no-sum"),
    pytest.param(correntropy_nmf, dict(alpha=0.1, spatial=1e-4), id="correntropy-lhalf-spatial"),
    pytest.param(correntropy_nmf, dict(sigma=0.05), id="correntropy-fixed-sigma"),
    pytest.param(robust_sparse_nmf, dict(alpha=0.1, spatial=1e-4), id="robust-lp-spatial"),
]


def _strict():
    return pytest.importorskip("array_api_strict")


def _cupy():
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() == 0:
            pytest.skip("no CUDA device")
    except Exception as exc:  # CUDA driver missing
        pytest.skip(f"CuPy has no usable device: {exc}")
    return cupy


def _qp_problems(rng, p, n, sum_to_one, degenerate=False):
    E = rng.random((p, 12))
    if degenerate:  # two collinear endmembers: a singular free block, the kernel's pivot floor decides
        E[1] = 2.0 * E[0]
    G = E @ E.T
    B = rng.random((n, 12)) @ E.T + rng.normal(scale=0.3, size=(n, p))
    X = np.full((n, p), -1.0)
    warm = rng.random((n // 2, p))
    X[: n // 2] = warm / warm.sum(axis=1, keepdims=True) if sum_to_one else warm
    return G, B, X


@pytest.mark.parametrize("namespace", ["numpy", "array_api_strict"])
@pytest.mark.parametrize("sum_to_one", [True, False])
@pytest.mark.parametrize("p, degenerate", [(1, False), (4, False), (5, True)])
def test_batched_active_set_takes_the_kernels_steps(rng, namespace, sum_to_one, p, degenerate):
    xp = np if namespace == "numpy" else _strict()
    G, B, X = _qp_problems(rng, p, 60, sum_to_one, degenerate)
    expected = X.copy()
    expected_changes = active_set_qp(G, B, expected, sum_to_one, 50, 1e-12)
    got, changes = batched_active_set(xp.asarray(G), xp.asarray(B), xp.asarray(X), sum_to_one, 50, 1e-12, xp)
    got, changes = np.asarray(got), np.asarray(changes)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(changes, expected_changes)
    np.testing.assert_array_equal(X[:, 0][X[:, 0] < 0], -1.0)  # the warm start is not modified
    assert got.min() >= 0
    if sum_to_one:
        np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)


def test_batched_active_set_marks_rows_stopped_by_max_iter(rng):
    G, B, X = _qp_problems(rng, 6, 40, True)
    expected = X.copy()
    expected_changes = active_set_qp(G, B, expected, True, 1, 1e-12)
    got, changes = batched_active_set(G, B, X, True, 1, 1e-12, np)
    assert (expected_changes == 2).any()
    np.testing.assert_array_equal(changes, expected_changes)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("heat_kernel", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (1, 6), (3, 1)])
def test_stencil_laplacian_is_the_sparse_one(rng, heat_kernel, shape):
    Y = rng.random((shape[0] * shape[1], 7))
    expected = (heat_kernel_laplacian(Y, *shape) if heat_kernel else grid_laplacian(*shape)).toarray()
    strict = _strict()
    L = laplacian_of(strict.asarray(Y), shape, heat_kernel=heat_kernel)
    assert isinstance(L, GridLaplacian)
    V = rng.normal(size=(Y.shape[0], 3))
    np.testing.assert_allclose(np.asarray(L @ strict.asarray(V)), expected @ V, rtol=0, atol=1e-13)
    np.testing.assert_allclose(np.asarray(L @ strict.asarray(V[:, 0])), expected @ V[:, 0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(np.asarray(L.diagonal()), np.diag(expected), rtol=0, atol=1e-15)
    assert L.curvature() == pytest.approx(np.abs(expected).sum(axis=1).max(), rel=1e-14)


@pytest.fixture(scope="module")
def small_scene():
    cube, E, A = make_hyperspectral(7, 6, 24, 3, n_outlier_bands=2, random_state=0)
    return cube


def _run(solver, Y, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is short on purpose: the paths are compared, not the answer
        return solver(Y, 3, max_iter=12, **kwargs)


@pytest.mark.parametrize("solver, kwargs", SOLVERS)
def test_namespace_path_reproduces_the_compiled_one(small_scene, solver, kwargs):
    """array_api_strict input runs the batched active set and the stencil, and lands on the numba path's answer."""
    strict = _strict()
    expected = _run(solver, small_scene, kwargs)
    got = _run(solver, strict.asarray(small_scene), kwargs)
    assert type(got.endmembers).__module__.startswith("array_api_strict")
    assert type(got.abundances).__module__.startswith("array_api_strict")
    assert got.n_iter == expected.n_iter and got.status == expected.status
    for field in ("endmembers", "abundances", "band_weights"):
        np.testing.assert_allclose(np.asarray(getattr(got, field)), getattr(expected, field), rtol=1e-10,
                                   atol=1e-10 * np.abs(getattr(expected, field)).max(), err_msg=field)
    np.testing.assert_allclose(got.objective, expected.objective, rtol=1e-10)
    if solver is robust_sparse_nmf:
        np.testing.assert_allclose(np.asarray(got.guidance), expected.guidance, rtol=0, atol=1e-10)
    if solver is correntropy_nmf:
        assert got.sigma == pytest.approx(expected.sigma, rel=1e-10)


def test_namespace_path_keeps_float32_and_the_pixel_matrix(small_scene):
    strict = _strict()
    Y = small_scene.reshape(-1, small_scene.shape[2]).astype(np.float32)
    expected = _run(robust_sparse_nmf, Y, {})
    got = _run(robust_sparse_nmf, strict.asarray(Y), {})
    assert got.endmembers.dtype == strict.float32 and got.abundances.dtype == strict.float32
    assert got.abundances.shape == (Y.shape[0], 3)
    np.testing.assert_allclose(np.asarray(got.abundances), expected.abundances, rtol=0, atol=1e-6)


def test_namespace_path_checks_its_input():
    strict = _strict()
    with pytest.raises(ValueError, match="Y must be non-negative"):
        robust_sparse_nmf(strict.asarray(-np.ones((5, 4))), 2)
    with pytest.raises(ValueError, match="n_endmembers"):
        correntropy_nmf(strict.asarray(np.ones((5, 4))), 5)


@pytest.mark.gpu
@pytest.mark.parametrize("solver, kwargs", SOLVERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cupy_matches_numpy(solver, kwargs, dtype):
    """On the GPU the three NMFs run on the device and agree with the CPU answer (cuBLAS rounds differently)."""
    cupy = _cupy()
    cube, _, _ = make_hyperspectral(20, 18, 60, 3, n_outlier_bands=4, random_state=0)
    cube = cube.astype(dtype)
    expected = _run(solver, cube, kwargs)
    got = _run(solver, cupy.asarray(cube), kwargs)
    assert isinstance(got.endmembers, cupy.ndarray) and isinstance(got.abundances, cupy.ndarray)
    assert got.endmembers.dtype == dtype and got.abundances.shape == expected.abundances.shape
    assert float(got.abundances.min()) >= 0
    atol = 1e-6 if dtype == np.float64 else 1e-3
    for field in ("endmembers", "abundances"):
        np.testing.assert_allclose(cupy.asnumpy(getattr(got, field)), getattr(expected, field), rtol=0,
                                   atol=atol * np.abs(getattr(expected, field)).max(), err_msg=field)


def test_numpy_input_keeps_the_compiled_path(small_scene, monkeypatch):
    """NumPy input never reaches the batched active set nor the stencil (the numba kernel is its fast path)."""
    from sparsekit.learn.decomposition import _unmixing_loop

    def refuse(*args, **kwargs):
        raise AssertionError("the namespace path ran on NumPy input")

    monkeypatch.setattr(_unmixing_loop, "batched_active_set", refuse)
    monkeypatch.setattr(_unmixing_loop, "GridLaplacian", type("NotUsed", (), {"from_edges": refuse}))
    for solver, kwargs in [(structured_sparse_nmf, {}), (robust_sparse_nmf, dict(alpha=0.1, spatial=1e-4)),
                           (correntropy_nmf, dict(spatial=1e-4))]:
        assert type(_run(solver, small_scene, kwargs).endmembers) is np.ndarray
