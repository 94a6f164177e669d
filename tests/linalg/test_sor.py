"""sor, ssor_cg, ssor_preconditioner, young_omega and LaplacianStencil: correctness, stopping rules, bad input."""

import logging
import math

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, aslinearoperator, cg

from sparsekit import ConvergenceWarning, InvalidParameterError
from sparsekit._core._testing import assert_rejects, readonly
from sparsekit.datasets import poisson2d, poisson3d
from sparsekit.linalg import LaplacianStencil, sor, ssor_cg, ssor_preconditioner, young_omega
from sparsekit.linalg._relaxation._sor import CONVERGED, make_result

from ._sor_reference import ssor_matrix


@pytest.fixture
def system(rng):
    A = poisson2d(8, shift=0.1)
    return A, rng.standard_normal(64)


@pytest.mark.parametrize("sweep", ["forward", "backward", "symmetric"])
@pytest.mark.parametrize("omega", [0.8, 1.0, 1.6])
def test_iterates_match_pyamg(sweep, omega, rng):
    relaxation = pytest.importorskip("pyamg.relaxation.relaxation")
    A = poisson2d(9, 7, shift=0.3)
    b, x0 = rng.standard_normal(63), rng.standard_normal(63)
    x_peer = x0.copy()
    for k in range(1, 6):
        # pyamg 5.4's sweep="symmetric" drops omega (plain symmetric Gauss-Seidel): compose its one-way sweeps.
        for one_way in ("forward", "backward") if sweep == "symmetric" else (sweep,):
            relaxation.sor(A, x_peer, b, omega, iterations=1, sweep=one_way)
        ours = sor(A, b, x0, omega=omega, maxiter=k, rtol=0.0, sweep=sweep)
        assert ours.n_iter == k
        np.testing.assert_allclose(ours.x, x_peer, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("sweep", ["forward", "backward", "symmetric"])
@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 5)])
def test_stencil_path_gives_the_csr_iterates(shape, sweep, rng):
    stencil = LaplacianStencil(shape, shift=0.05)
    csr = poisson2d(*shape, shift=0.05) if len(shape) == 2 else stencil.tocsr()
    b = rng.standard_normal(stencil.shape[0])
    on_csr = sor(csr, b, omega=1.45, sweep=sweep, rtol=1e-10)
    on_stencil = sor(stencil, b, omega=1.45, sweep=sweep, rtol=1e-10)
    assert on_csr.converged and on_stencil.n_iter == on_csr.n_iter
    np.testing.assert_array_equal(on_stencil.x, on_csr.x)
    np.testing.assert_array_equal(on_stencil.residuals, on_csr.residuals)


@pytest.mark.filterwarnings("ignore::sparsekit.ConvergenceWarning")  # fixed-length reference runs
def test_stopping_rule_and_residual_history(system):
    A, b = system
    rtol = 1e-9
    res = sor(A, b, omega=1.5, rtol=rtol)
    tol = rtol * np.linalg.norm(b)
    assert res.converged and res.status == 0 and "converged" in res.message
    assert np.linalg.norm(b - A @ res.x) <= tol
    assert res.residuals.shape == (res.n_iter + 1,) and res.residuals[-1] <= tol < res.residuals[-2]
    assert res.residuals[0] == pytest.approx(np.linalg.norm(b))
    for k in (1, 5, res.n_iter - 1):
        x_k = sor(A, b, omega=1.5, maxiter=k, rtol=1e-300).x  # a positive tolerance: the same kernel
        assert res.residuals[k] == pytest.approx(np.linalg.norm(b - A @ x_k), rel=1e-12)
    loose = sor(A, b, omega=1.5, rtol=0.0, atol=1e-3)
    assert np.linalg.norm(b - A @ loose.x) <= 1e-3 < loose.residuals[-2]


@pytest.mark.filterwarnings("ignore::sparsekit.ConvergenceWarning")  # fixed-length reference runs
@pytest.mark.parametrize("sweep", ["forward", "symmetric"])
def test_zero_tolerance_runs_maxiter_sweeps_in_place(system, sweep):
    A, b = system
    smoothed = sor(A, b, omega=1.4, maxiter=6, rtol=0.0, sweep=sweep)
    tracked = sor(A, b, omega=1.4, maxiter=6, rtol=1e-300, sweep=sweep)
    # No tolerance: the six sweeps asked for are the stopping rule, met without a warning.
    assert smoothed.n_iter == tracked.n_iter == 6 and smoothed.status == 0 and smoothed.converged
    np.testing.assert_allclose(smoothed.x, tracked.x, rtol=1e-13)
    assert np.isnan(smoothed.residuals[:-1]).all() and smoothed.residuals.shape == (7,)
    assert smoothed.residuals[-1] == pytest.approx(np.linalg.norm(b - A @ smoothed.x), rel=1e-12)


def test_zero_iterations_when_the_guess_already_solves(system):
    A, b = system
    x = np.linalg.solve(A.toarray(), b)
    res = sor(A, b, x, rtol=1e-8)
    assert res.converged and res.n_iter == 0
    zero = sor(A, np.zeros(64))
    assert zero.converged and zero.n_iter == 0 and not zero.x.any()


def test_maxiter_warns_and_keeps_the_last_iterate(system):
    A, b = system
    with pytest.warns(ConvergenceWarning, match="maximum number of iterations"):
        res = sor(A, b, maxiter=3)
    assert not res.converged and res.status == 1 and res.n_iter == 3
    assert res.residuals[-1] == pytest.approx(np.linalg.norm(b - A @ res.x))


def test_divergence_is_reported():
    A = sparse.csr_array(np.array([[1.0, 3.0], [3.0, 1.0]]))
    with pytest.warns(ConvergenceWarning, match="diverged"):
        res = sor(A, np.ones(2), omega=1.2)
    assert res.status == -1 and not res.converged and res.n_iter < 10_000


@pytest.mark.filterwarnings("ignore::sparsekit.ConvergenceWarning")  # fixed-length reference runs
def test_callback_sees_every_iterate_and_can_stop(system):
    A, b = system
    seen = []
    res = sor(A, b, omega=1.3, callback=lambda xk: seen.append(xk.copy()))
    plain = sor(A, b, omega=1.3)
    assert len(seen) == res.n_iter == plain.n_iter
    np.testing.assert_array_equal(seen[-1], res.x)
    np.testing.assert_array_equal(res.x, plain.x)
    np.testing.assert_array_equal(seen[1], sor(A, b, omega=1.3, maxiter=2, rtol=1e-300).x)
    stopped = sor(A, b, omega=1.3, callback=lambda xk: len(seen) > 0 and seen.clear() is None)
    assert stopped.status == 2 and stopped.n_iter == 1 and not stopped.converged


def test_verbose_logs(system, caplog):
    A, b = system
    with caplog.at_level(logging.INFO, logger="sparsekit"):
        sor(A, b, omega=1.3, verbose=2, maxiter=20, rtol=1e-3)
    assert any("iter" in r.message for r in caplog.records)


def test_inputs_are_not_modified_and_read_only_inputs_work(rng):
    A = poisson2d(6)
    A.data.flags.writeable = False
    b, x0 = readonly(rng.standard_normal(36)), readonly(rng.standard_normal(36))
    A_before = A.copy()
    res = sor(A, b, x0, omega=1.2)
    assert res.converged
    assert (A != A_before).nnz == 0
    writable = sor(A_before, b, x0, omega=1.2)
    np.testing.assert_array_equal(res.x, writable.x)


def test_other_formats_and_dtypes(rng):
    A = poisson2d(5, shift=0.5)
    b = rng.standard_normal(25)
    reference = sor(A, b, omega=1.2)
    for other in (A.tocoo(), A.tocsc(), A.toarray(), sparse.csr_matrix(A), A.toarray().tolist()):
        np.testing.assert_allclose(sor(other, b, omega=1.2).x, reference.x, rtol=1e-12)
    single = sor(A.astype(np.float32), b.astype(np.float32), omega=1.2, rtol=1e-5)
    assert single.x.dtype == np.float32 and single.converged
    assert sor(A.astype(np.float32), b, omega=1.2).x.dtype == np.float64


def test_bad_input(system):
    A, b = system
    assert_rejects(sor, poisson2d(4)[:, :15], np.ones(16), naming="A must be a square matrix")
    zero_diagonal = A.tolil()
    zero_diagonal[3, 3] = 0.0
    assert_rejects(sor, zero_diagonal.tocsr(), b, naming="A[3, 3] = 0")
    for omega in (0.0, 2.0, -0.5, 2.5, float("nan")):
        assert_rejects(sor, A, b, omega=omega, error=InvalidParameterError, naming="'omega'")
        assert_rejects(ssor_preconditioner, A, omega, error=InvalidParameterError, naming="'omega'")
    nan_b = b.copy()
    nan_b[5] = np.nan
    assert_rejects(sor, A, nan_b, naming="b must not contain NaN")
    nan_A = A.copy()
    nan_A.data[7] = np.inf
    assert_rejects(sor, nan_A, b, naming="A must not contain NaN")
    assert_rejects(sor, A, b[:-1], naming="b must have length 64")
    assert_rejects(sor, A, b, np.zeros(63), naming="x0 must have length 64")
    assert_rejects(sor, A, b, sweep="sideways", error=InvalidParameterError, naming="'sweep'")
    assert_rejects(sor, A, b, maxiter=-1, error=InvalidParameterError, naming="'maxiter'")
    assert_rejects(sor, aslinearoperator(A), b, error=TypeError, naming="LaplacianStencil")
    assert_rejects(ssor_cg, A, nan_b, naming="b must not contain NaN")
    assert_rejects(ssor_cg, A, b, omega=2.0, error=InvalidParameterError, naming="'omega'")


def test_ssor_preconditioner_in_scipy_cg(system):
    A, b = system
    M = ssor_preconditioner(A, omega=1.5)
    assert isinstance(M, LinearOperator) and M.shape == A.shape
    np.testing.assert_allclose(M @ b, np.linalg.solve(ssor_matrix(A.toarray(), 1.5), b), rtol=1e-11)
    u, v = np.random.default_rng(1).standard_normal((2, 64))
    assert u @ (M @ v) == pytest.approx(v @ (M @ u), rel=1e-12)
    counts = {"plain": 0, "ssor": 0}

    def counter(name):
        def count(xk):
            counts[name] += 1
        return count

    x_plain, info_plain = cg(A, b, rtol=1e-10, callback=counter("plain"))
    x_ssor, info_ssor = cg(A, b, M=M, rtol=1e-10, callback=counter("ssor"))
    assert info_plain == info_ssor == 0
    assert counts["ssor"] < 0.6 * counts["plain"]
    ours = ssor_cg(A, b, omega=1.5, rtol=1e-10)
    assert abs(ours.n_iter - counts["ssor"]) <= 1
    np.testing.assert_allclose(ours.x, x_ssor, rtol=1e-7, atol=1e-9)
    stencil = ssor_preconditioner(LaplacianStencil((8, 8), shift=0.1), omega=1.5)
    np.testing.assert_array_equal(stencil @ b, M @ b)


def test_ssor_cg_stopping_rule_warm_start_and_callback(rng):
    A = poisson2d(20, shift=0.01)
    b = rng.standard_normal(400)
    res = ssor_cg(A, b, omega=1.7, rtol=1e-10)
    assert res.converged and res.status == 0
    assert np.linalg.norm(b - A @ res.x) <= 1e-10 * np.linalg.norm(b) < res.residuals[-2]
    assert ssor_cg(A, b, res.x, omega=1.7, rtol=1e-8).n_iter == 0
    seen = []
    with_callback = ssor_cg(A, b, omega=1.7, rtol=1e-10, callback=lambda xk: seen.append(1))
    assert len(seen) == with_callback.n_iter == res.n_iter
    np.testing.assert_array_equal(with_callback.x, res.x)
    assert ssor_cg(A, b, omega=1.7, callback=lambda xk: True).status == 2
    with pytest.warns(ConvergenceWarning, match="maximum"):
        assert ssor_cg(A, b, omega=1.7, maxiter=2).status == 1
    stencil = ssor_cg(LaplacianStencil((20, 20), shift=0.01), b, omega=1.7, rtol=1e-10)
    assert stencil.n_iter == res.n_iter
    np.testing.assert_allclose(stencil.x, res.x, rtol=1e-12)


def test_ssor_cg_reports_breakdown_on_an_indefinite_matrix(rng):
    A = poisson2d(6, shift=-2.0)
    with pytest.warns(ConvergenceWarning, match="breakdown"):
        res = ssor_cg(A, rng.standard_normal(36), omega=1.0)
    assert res.status == -2 and not res.converged


def test_young_omega():
    expected = 2.0 / (1.0 + math.sin(math.pi / 11))  # 10 x 10 Laplacian: beta = cos(pi / 11)
    assert young_omega(poisson2d(10)) == pytest.approx(expected, rel=1e-12)
    assert young_omega(LaplacianStencil((10, 10))) == pytest.approx(expected, rel=1e-12)
    shifted = LaplacianStencil((30, 30), shift=0.3)  # n = 900: the ARPACK path on CSR
    assert young_omega(shifted.tocsr()) == pytest.approx(young_omega(shifted), rel=1e-9)
    nonsymmetric = poisson2d(25).tolil()
    nonsymmetric[0, 1] = -0.5
    assert 1.0 < young_omega(nonsymmetric.tocsr()) < 2.0
    with pytest.raises(ValueError, match="below 1"):
        young_omega(LaplacianStencil((10, 10), shift=-0.5))
    iterations = {omega: sor(poisson2d(10), np.ones(100), omega=omega).n_iter for omega in (1.4, expected, 1.75)}
    assert iterations[expected] < min(iterations[1.4], iterations[1.75])


def test_laplacian_stencil_operator(rng):
    stencil = LaplacianStencil((4, 5, 6), diffusion=0.5, shift=2.0)
    dense = stencil.tocsr().toarray()
    assert dense[0, 0] == 0.5 * 6 + 2.0 and dense[0, 1] == -0.5
    x = rng.standard_normal(120)
    np.testing.assert_allclose(stencil @ x, dense @ x, rtol=1e-14)
    np.testing.assert_allclose(stencil.T @ x, dense @ x, rtol=1e-14)
    np.testing.assert_array_equal(stencil.diagonal(), np.diag(dense))
    assert (LaplacianStencil((7, 7), shift=-0.15).tocsr() != poisson2d(7, shift=-0.15)).nnz == 0
    assert (LaplacianStencil((3, 3, 3)).tocsr() != poisson3d(3)).nnz == 0
    assert LaplacianStencil((4, 4), diffusion=0.0, shift=1.0).tocsr().nnz == 16
    with pytest.raises(ValueError, match="shape"):
        LaplacianStencil((4, 0))
    with pytest.raises(ValueError, match="nonzero"):
        LaplacianStencil((4, 4), diffusion=0.0)


@pytest.mark.parametrize(
    "matrix, shape",
    [
        (poisson2d(6, 9, shift=0.4), (6, 9)),
        (poisson3d(3, shift=-0.1), (3, 3, 3)),
        (0.25 * poisson2d(5) + sparse.eye_array(25), (5, 5)),
        (poisson2d(1, 8), (8,)),
    ],
)
def test_stencil_detection(matrix, shape, rng):
    found = LaplacianStencil.from_matrix(matrix.tocoo())
    assert found is not None and found.grid_shape == shape
    x = rng.standard_normal(matrix.shape[0])
    np.testing.assert_array_equal(found @ x, matrix @ x)


def test_stencil_detection_rejects_other_matrices():
    A = poisson2d(6)
    perturbed = A.tolil()
    perturbed[10, 11] = -1.0001
    assert LaplacianStencil.from_matrix(perturbed.tocsr()) is None
    periodic = A.tolil()
    periodic[0, 35] = periodic[35, 0] = -1.0
    assert LaplacianStencil.from_matrix(periodic.tocsr()) is None
    assert LaplacianStencil.from_matrix(A.toarray()) is None
    assert LaplacianStencil.from_matrix(A, shape=(4, 9)) is None
    untouched = A.copy()
    LaplacianStencil.from_matrix(untouched)
    assert (untouched != A).nnz == 0


# --------------------------------------------------------------------------- end of run
def test_warnings_point_at_the_callers_line(system):
    A, b = system
    for solve in (sor, ssor_cg):
        with pytest.warns(ConvergenceWarning) as record:
            solve(A, b, maxiter=2)
        assert len(record) == 1 and record[0].filename == __file__


def test_a_non_finite_iterate_is_never_converged():
    with pytest.warns(ConvergenceWarning, match="non-finite values in x"):
        res = make_result("sor", np.array([1.0, np.nan]), 4, CONVERGED, np.zeros(5), 1e-8)
    assert not res.converged and res.status == 3
    overflowing = np.array([[1.0, 3e38], [3e38, 1.0]], dtype=np.float32)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        res = sor(overflowing, np.ones(2, dtype=np.float32))
    assert not res.converged and res.status == -1


def _hermitian_system(rng, n=30):
    """A complex Hermitian positive definite CSR matrix (diagonally dominant) and a complex right-hand side."""
    offdiag = sparse.random_array((n, n), density=0.15, rng=rng, dtype=np.complex128)
    offdiag.data += 1j * rng.standard_normal(offdiag.nnz)
    A = offdiag + offdiag.conj().T
    A = (A + sparse.diags_array(abs(A).sum(axis=1) + 1.0)).tocsr()
    return A, rng.standard_normal(n) + 1j * rng.standard_normal(n)


@pytest.mark.parametrize("sweep", ["forward", "backward"])
@pytest.mark.parametrize("dense", [False, True])
def test_complex_hermitian_iterates_match_pyamg(sweep, dense, rng):
    relaxation = pytest.importorskip("pyamg.relaxation.relaxation")
    A, b = _hermitian_system(rng)
    x0 = rng.standard_normal(30) + 1j * rng.standard_normal(30)
    x_peer = x0.copy()
    for k in range(1, 6):
        relaxation.sor(sparse.csr_matrix(A), x_peer, b, 1.3, iterations=1, sweep=sweep)
        ours = sor(A.toarray() if dense else A, b, x0, omega=1.3, maxiter=k, rtol=0.0, sweep=sweep)
        assert ours.x.dtype == np.complex128
        np.testing.assert_allclose(ours.x, x_peer, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("solver", [sor, ssor_cg])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_hermitian_systems_converge(solver, dtype, rng):
    A, b = _hermitian_system(rng)
    A, b = A.astype(dtype), b.astype(dtype)
    result = solver(A, b, omega=1.2, rtol=1e-5)
    assert result.status == 0 and result.x.dtype == dtype
    exact = np.linalg.solve(A.toarray().astype(np.complex128), b.astype(np.complex128))
    assert np.linalg.norm(b - A @ result.x) <= 1e-5 * np.linalg.norm(b)
    np.testing.assert_allclose(result.x, exact, rtol=1e-3)


def test_complex_ssor_preconditioner_applies_the_ssor_matrix(rng):
    A, b = _hermitian_system(rng)
    expected = np.linalg.solve(ssor_matrix(A.toarray(), 1.4), b)
    np.testing.assert_allclose(ssor_preconditioner(A, omega=1.4) @ b, expected, rtol=1e-12)


def test_unsorted_indices_and_duplicates_give_the_canonical_iterates(rng):
    """The sweep splits canonical rows at the diagonal; other CSR input is canonicalised on a copy."""
    from .test_sor_kernels import _general_csr

    A = _general_csr(rng)
    indices_before, data_before = A.indices.copy(), A.data.copy()
    b = rng.standard_normal(A.shape[0])
    canonical = sparse.csr_array(A.toarray())
    for sweep in ("forward", "backward", "symmetric"):
        ours = sor(A, b, omega=1.2, maxiter=4, rtol=0.0, sweep=sweep)
        np.testing.assert_allclose(ours.x, sor(canonical, b, omega=1.2, maxiter=4, rtol=0.0, sweep=sweep).x,
                                   rtol=1e-13)
    np.testing.assert_array_equal(A.indices, indices_before)
    np.testing.assert_array_equal(A.data, data_before)
