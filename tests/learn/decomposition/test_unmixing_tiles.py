"""Tiled (Dask) FCLS and transform give the in-memory answers; cube helpers (grid Laplacians)."""

import numpy as np
import pytest

from sparsekit import ConvergenceWarning
from sparsekit.datasets import make_hyperspectral
from sparsekit.learn.decomposition import CorrentropyNMF, fcls
from sparsekit.learn.decomposition._unmixing_loop import grid_laplacian, heat_kernel_laplacian

da = pytest.importorskip("dask.array")


@pytest.fixture(scope="module")
def scene():
    return make_hyperspectral(24, 30, 40, 3, n_outlier_bands=2, random_state=0)


@pytest.mark.parametrize("chunks", [(10, 7, 40), (8, 8, 15)])
def test_tiled_fcls_equals_in_memory(scene, chunks):
    cube, E, _ = scene
    direct = fcls(cube, E)
    tiled = fcls(da.from_array(cube, chunks=chunks), E)
    np.testing.assert_array_equal(tiled.abundances, direct.abundances)
    assert tiled.converged and tiled.n_iter == direct.n_iter
    np.testing.assert_allclose(tiled.residual_norm, direct.residual_norm, rtol=1e-9)


def test_tiled_pixel_matrix_and_transform(scene):
    cube, E, _ = scene
    Y = cube.reshape(-1, 40)
    np.testing.assert_array_equal(fcls(da.from_array(Y, chunks=(100, 40)), E).abundances, fcls(Y, E).abundances)
    model = CorrentropyNMF(3).fit(cube)
    np.testing.assert_array_equal(model.transform(da.from_array(cube, chunks=(9, 9, 40))), model.transform(cube))
    with pytest.raises(ValueError, match="X has 39 bands"):
        model.transform(da.from_array(cube[..., 1:]))


def test_tiled_fcls_reports_bad_tiles(scene):
    cube, E, _ = scene
    bad = cube.copy()
    bad[20, 25, 3] = np.nan
    with pytest.raises(ValueError, match="Y must not contain NaN"):
        fcls(da.from_array(bad, chunks=(8, 8, 40)), E)


def test_grid_laplacians():
    L = grid_laplacian(3, 4)
    assert L.shape == (12, 12) and np.allclose(L.sum(axis=1), 0)
    assert L.diagonal().tolist() == [2, 3, 3, 2, 3, 4, 4, 3, 2, 3, 3, 2]
    rng = np.random.default_rng(0)
    Y = rng.random((12, 5))
    H = heat_kernel_laplacian(Y, 3, 4).toarray()
    assert np.allclose(H.sum(axis=1), 0) and np.allclose(H, H.T)
    edges = [(i, j) for i in range(12) for j in range(i + 1, 12) if L[i, j] != 0]
    distance = np.array([np.sum((Y[i] - Y[j]) ** 2) for i, j in edges])
    np.testing.assert_allclose([-H[i, j] for i, j in edges], np.exp(-distance / distance.mean()))


@pytest.mark.parametrize("solver", ["robust_sparse_nmf", "correntropy_nmf", "structured_sparse_nmf"])
def test_memory_stays_within_the_cube(solver):
    """No pixels x bands temporary: the run allocates well under one cube's bytes (the issue allows 3 in all)."""
    import tracemalloc

    from sparsekit.learn import decomposition

    cube, _, _ = make_hyperspectral(80, 80, 100, 4, n_outlier_bands=4, random_state=0)
    run = getattr(decomposition, solver)
    with pytest.warns(ConvergenceWarning):  # load the compiled kernels before measuring
        run(cube[:6, :6], 4, max_iter=1, tol=0.0)
    tracemalloc.start()
    try:
        with pytest.warns(ConvergenceWarning, match="max_iter=5"):
            run(cube, 4, max_iter=5, tol=0.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * cube.nbytes, peak / cube.nbytes
