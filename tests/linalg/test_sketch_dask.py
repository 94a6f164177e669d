"""Dask paths of sketch and sketch_lstsq, on a LocalCluster(processes=False)."""

import subprocess
import sys

import numpy as np
import pytest
from scipy import sparse

from sparsekit.linalg import SKETCH_METHODS, sketch, sketch_lstsq

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.dask

DASK_METHODS = [m.name for m in SKETCH_METHODS if "dask" in m.backends]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client


def _options(method, m):
    return {"weights": np.linspace(1.0, 2.0, m)} if method == "weighted" else {}


@pytest.mark.parametrize("method", DASK_METHODS)
def test_chunkwise_sketch_does_not_depend_on_the_scheduler(method, client, rng):
    A = rng.standard_normal((900, 6))
    A_dask = da.from_array(A, chunks=(300, 6))
    options = _options(method, 900)
    lazy = sketch(A_dask, 200, method=method, random_state=4, **options)
    assert isinstance(lazy, da.Array) and lazy.shape == (200, 6)
    on_cluster = lazy.compute()
    with dask.config.set(scheduler="synchronous"):
        local = sketch(A_dask, 200, method=method, random_state=4, **options).compute()
    np.testing.assert_array_equal(on_cluster, local)
    # a valid sketch: the Gram matrix is preserved up to sketching error
    gram = A.T @ A
    assert np.linalg.norm(on_cluster.T @ on_cluster - gram) <= 0.5 * np.linalg.norm(gram)


def test_chunk_sum_equals_the_sum_of_chunk_operators(client, rng):
    """The sketch is Σ_i S_i A_i with S_i seeded by child i of the seed."""
    from sparsekit.linalg import SparseSignSketch
    from sparsekit.linalg._sketching._sketch_dask import chunk_seeds

    A = rng.standard_normal((500, 4))
    got = sketch(da.from_array(A, chunks=(200, 4)), 40, method="sparse-sign", nnz_per_col=2,
                 random_state=7).compute()
    seeds = chunk_seeds(7, 3)
    expected = sum(
        SparseSignSketch(40, stop - start, nnz_per_col=2, random_state=np.random.SeedSequence(seed))
        @ A[start:stop]
        for seed, (start, stop) in zip(seeds[1:], [(0, 200), (200, 400), (400, 500)])
    )
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_sparse_chunks_and_vectors(client, rng):
    A = sparse.random_array((800, 5), density=0.2, format="csr", rng=rng)
    A_dask = da.from_array(A, chunks=(200, 5), asarray=False)
    SA = sketch(A_dask, 100, method="countsketch", random_state=1).compute()
    assert SA.shape == (100, 5)
    gram = (A.T @ A).toarray()
    assert np.linalg.norm(SA.T @ SA - gram) <= 0.5 * np.linalg.norm(gram)
    b = da.from_array(rng.standard_normal(800), chunks=200)
    assert sketch(b, 50, method="gaussian", random_state=1).compute().shape == (50,)


def test_sampling_across_chunks_is_unbiased(client, rng):
    A = rng.standard_normal((60, 2))
    A_dask = da.from_array(A, chunks=(25, 2))
    with dask.config.set(scheduler="synchronous"):
        sketches = [sketch(A_dask, 10, method="uniform", random_state=s).compute() for s in range(200)]
    grams = [SA.T @ SA for SA in sketches]
    mean, error = np.mean(grams, axis=0), np.std(grams, axis=0) / np.sqrt(200)
    assert np.all(np.abs(mean - A.T @ A) <= 6 * error)
    without = sketch(A_dask, 60, method="uniform", replace=False, random_state=0).compute()
    np.testing.assert_allclose(without.T @ without, A.T @ A)  # every row exactly once


def test_lstsq_on_a_cluster_matches_in_memory_accuracy(client, rng):
    U = np.linalg.qr(rng.standard_normal((2000, 20)))[0]
    A = (U * np.logspace(0, -6, 20)) @ np.linalg.qr(rng.standard_normal((20, 20)))[0]
    b = rng.standard_normal(2000)
    A_dask = da.from_array(A, chunks=(500, 20))
    res = sketch_lstsq(A_dask, da.from_array(b, chunks=500), random_state=0)
    assert res.converged and res.backward_error <= 1e-10
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    assert np.linalg.norm(res.x - x) <= 1e-7 * np.linalg.norm(x)
    ridge = sketch_lstsq(A_dask, b, alpha=0.1, sketch="uniform", random_state=0)  # NumPy b, chunked like A
    assert ridge.backward_error <= 1e-10
    np.testing.assert_allclose(ridge.x, np.linalg.solve(A.T @ A + 0.1 * np.eye(20), A.T @ b), rtol=1e-6)


def test_dask_bad_input(client, rng):
    A_dask = da.from_array(rng.standard_normal((100, 3)), chunks=(50, 3))
    with pytest.raises(ValueError, match="does not support dask input"):
        sketch(A_dask, 10, method="leverage")
    with pytest.raises(ValueError, match="return_operator"):
        sketch(A_dask, 10, return_operator=True)
    with pytest.raises(TypeError, match="unexpected option"):
        sketch(A_dask, 10, method="gaussian", nnz_per_col=3)
    with pytest.raises(ValueError, match="rechunk A into taller chunks"):
        sketch(A_dask, 60, method="srdct")
    with pytest.raises(ValueError, match=r"b must have shape \(100,\)"):
        sketch_lstsq(A_dask, da.ones(99, chunks=50))
    bad = da.from_array(np.full((100, 3), np.nan), chunks=(50, 3))
    with pytest.raises(ValueError, match="NaN"):
        sketch_lstsq(bad, np.ones(100))


def test_import_sparsekit_does_not_import_dask():
    code = ("import sys, sparsekit, sparsekit.linalg, sparsekit.learn.linear_model; "
            "print('dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
