"""sketch_and_project: randomized Kaczmarz, block Kaczmarz, randomized Gauss-Seidel."""

import numpy as np
import pytest
from scipy import sparse

from sparsekit import ConvergenceWarning
from sparsekit._core._testing import assert_kernel_matches_twin, assert_rejects, readonly
from sparsekit.datasets import poisson2d
from sparsekit.linalg import SKETCH_AND_PROJECT_METHODS, sketch_and_project
from sparsekit.linalg._sketching import _sketch_and_project_kernels as kernels

from . import _sketch_reference as twins


@pytest.mark.parametrize("method", ["kaczmarz", "block-kaczmarz"])
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_kaczmarz_methods_solve_consistent_systems(method, fmt, rng):
    A = rng.standard_normal((400, 25))
    x_true = rng.standard_normal(25)
    b = A @ x_true
    matrix = A if fmt == "dense" else sparse.csr_array(A).asformat(fmt)
    res = sketch_and_project(matrix, b, method=method, rtol=1e-10, random_state=0)
    assert res.converged and res.status == 0
    np.testing.assert_allclose(res.x, x_true, atol=1e-8)
    assert res.residual_history[-1] <= 1e-10 < res.residual_history[-2]
    assert res.residual_history[0] == pytest.approx(1.0)


def test_block_kaczmarz_needs_fewer_projections_than_kaczmarz(rng):
    A = rng.standard_normal((600, 40))
    b = A @ rng.standard_normal(40)
    single = sketch_and_project(A, b, rtol=1e-8, random_state=0)
    block = sketch_and_project(A, b, method="block-kaczmarz", block_size=20, rtol=1e-8, random_state=0)
    assert block.n_iter * 5 < single.n_iter


@pytest.mark.filterwarnings("ignore::sparsekit.ConvergenceWarning")  # rtol=0: runs to maxiter on purpose
def test_kaczmarz_rate_matches_theory(rng):
    """E||x_k - x*||² <= (1 - σ_min²/||A||_F²)^k ||x*||²: the observed decay is at least that fast."""
    A = rng.standard_normal((300, 10))
    x_true = rng.standard_normal(10)
    rate = 1 - np.linalg.svd(A, compute_uv=False)[-1] ** 2 / np.linalg.norm(A, "fro") ** 2
    errors = []
    for seed in range(20):
        res = sketch_and_project(A, A @ x_true, maxiter=600, check_every=600, rtol=0.0, random_state=seed)
        errors.append(np.sum((res.x - x_true) ** 2))
    assert np.mean(errors) <= rate**600 * np.sum(x_true**2)


@pytest.mark.parametrize("dense", [False, True])
def test_gauss_seidel_solves_spd_systems(dense, rng):
    A = poisson2d(12, 12, shift=0.5)
    b = rng.standard_normal(A.shape[0])
    res = sketch_and_project(A.toarray() if dense else A, b, method="gauss-seidel", rtol=1e-9, random_state=0)
    assert res.converged
    np.testing.assert_allclose(A @ res.x, b, atol=1e-7 * np.linalg.norm(b))
    same = sketch_and_project(A, b, method="coordinate-descent", rtol=1e-9, random_state=0)
    np.testing.assert_allclose(same.x, res.x, rtol=1e-12)


def test_maxiter_callback_and_reproducibility(rng):
    A = rng.standard_normal((200, 30))
    b = A @ rng.standard_normal(30)
    with pytest.warns(ConvergenceWarning, match="maxiter"):
        res = sketch_and_project(A, b, maxiter=50, rtol=1e-12, random_state=0)
    assert res.n_iter == 50 and res.status == 1 and not res.converged
    with pytest.warns(ConvergenceWarning):
        again = sketch_and_project(A, b, maxiter=50, rtol=1e-12, random_state=0)
    np.testing.assert_array_equal(res.x, again.x)
    stopped = sketch_and_project(A, b, callback=lambda x: True, random_state=0)
    assert stopped.status == 2 and stopped.n_iter == 200
    # A stop requested at the check that meets the tolerance does not undo the convergence.
    met = sketch_and_project(A, b, rtol=1e-2, check_every=5000, callback=lambda x: True, random_state=0)
    assert met.converged and met.status == 0 and met.n_iter == 5000
    x0 = np.ones(30)
    kept = x0.copy()
    with pytest.warns(ConvergenceWarning):
        sketch_and_project(A, b, x0, maxiter=10, random_state=0)
    np.testing.assert_array_equal(x0, kept)


def test_registry_and_bad_input(rng):
    assert SKETCH_AND_PROJECT_METHODS.names() == ["kaczmarz", "block-kaczmarz", "gauss-seidel"]
    A = rng.standard_normal((20, 5))
    b = rng.standard_normal(20)
    assert_rejects(sketch_and_project, A, b, method="jacobi", naming="known methods")
    for method in SKETCH_AND_PROJECT_METHODS.names():
        for zero in (np.zeros((4, 4)), sparse.csr_array((4, 4))):
            assert_rejects(sketch_and_project, zero, np.ones(4), method=method, naming="A must have a nonzero entry")
    assert_rejects(sketch_and_project, A, b[:10], naming="length 20")
    assert_rejects(sketch_and_project, A, b, method="kaczmarz", block_size=3, error=TypeError,
                   naming="block_size")
    assert_rejects(sketch_and_project, A, b, method="gauss-seidel", naming="square")
    nonsymmetric = np.eye(4) + np.triu(np.ones((4, 4)), 1)
    assert_rejects(sketch_and_project, nonsymmetric, np.ones(4), method="gauss-seidel", naming="symmetric")
    assert_rejects(sketch_and_project, -np.eye(3), np.ones(3), method="gauss-seidel",
                   naming="positive definite")
    bad = b.copy()
    bad[2] = np.nan
    assert_rejects(sketch_and_project, A, bad, naming="NaN")


@pytest.mark.kernel
def test_row_action_kernels_match_twins(rng):
    A = sparse.random_array((15, 6), density=0.5, format="csr", rng=rng)
    A = A + sparse.eye_array(15, 6, format="csr")
    dense = A.toarray()
    b = readonly(rng.standard_normal(15))
    order = readonly(rng.integers(0, 15, size=40))
    inverse = readonly(1.0 / np.maximum(np.sum(dense**2, axis=1), 1e-3))
    x = rng.standard_normal(6)
    assert_kernel_matches_twin(kernels.kaczmarz_csr, twins.kaczmarz_csr, A.indptr, A.indices, A.data, b,
                               inverse, order, x)
    assert_kernel_matches_twin(kernels.kaczmarz_dense, twins.kaczmarz_dense, readonly(dense), b, inverse,
                               order, x)
    S = poisson2d(3, 3, shift=1.0)
    diagonal = readonly(1.0 / S.diagonal())
    order9 = readonly(rng.integers(0, 9, size=30))
    y = rng.standard_normal(9)
    rhs = readonly(rng.standard_normal(9))
    assert_kernel_matches_twin(kernels.gauss_seidel_csr, twins.gauss_seidel_csr, S.indptr, S.indices, S.data,
                               rhs, diagonal, order9, y)
    assert_kernel_matches_twin(kernels.gauss_seidel_dense, twins.gauss_seidel_dense, S.toarray(), rhs,
                               diagonal, order9, y)


@pytest.mark.parametrize("method", ["kaczmarz", "block-kaczmarz", "gauss-seidel"])
def test_warning_at_the_callers_line_and_no_non_finite_convergence(method, rng):
    A = np.eye(30) + 0.01 * rng.standard_normal((30, 30))
    A = A @ A.T
    b = A @ rng.standard_normal(30)
    with pytest.warns(ConvergenceWarning, match=rf"^sketch_and_project \({method}\): maxiter") as caught:
        sketch_and_project(A, b, method=method, maxiter=2, rtol=1e-12, random_state=0)
    assert len(caught) == 1 and caught[0].filename == __file__
    # ||b|| would overflow: the run is rescaled by a power of two and converges to x = b, finite
    res = sketch_and_project(np.eye(3), np.full(3, 1e308), method=method, random_state=0)
    assert res.converged and res.status == 0
    np.testing.assert_allclose(res.x, 1e308, rtol=1e-6)
