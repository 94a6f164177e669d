import warnings

import numpy as np
import pytest
import scipy.linalg
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, aslinearoperator, gmres, spilu

from sparsekit import ConvergenceWarning, InvalidParameterError
from sparsekit._core._testing import assert_rejects
from sparsekit.datasets import helmholtz_sequence, poisson2d
from sparsekit.linalg import RecycleSpace, gcrodr
from sparsekit.linalg._krylov._gcrodr import _GCRODR
from sparsekit.linalg._krylov._gcrodr_kernels import harmonic_pencil
from sparsekit.linalg._krylov._operators import _Operator
from sparsekit.linalg._krylov._recycle import _harmonic_ritz_basis, _most_important


def _residual(A, b, x):
    return np.linalg.norm(b - A @ x) / np.linalg.norm(b)


@pytest.fixture(scope="module")
def helmholtz():
    return helmholtz_sequence(4, n=20, random_state=3).systems


def _nonnormal(n=200):
    """Bidiagonal, four small eigenvalues then 5..n, unit superdiagonal: GMRES(10) stagnates on it."""
    d = np.arange(1.0, n + 1)
    d[:4] = [0.1, 0.2, 0.3, 0.4]
    return sparse.diags_array([d, np.ones(n - 1)], offsets=[0, 1], format="csr")


# --------------------------------------------------------------------------- correctness
def test_real_sparse_meets_stopping_rule_and_matches_direct_solve(helmholtz):
    A, b = helmholtz[0]
    res = gcrodr(A, b, rtol=1e-10, m=30, k=10)
    assert res.converged and res.status == 0
    assert res.residual_norm <= 1e-10 * np.linalg.norm(b)
    assert res.residual_norm == pytest.approx(np.linalg.norm(b - A @ res.x), rel=1e-6)
    np.testing.assert_allclose(res.x, np.linalg.solve(A.toarray(), b), rtol=1e-7)
    assert res.n_matvec == res.n_iter + 1  # the final residual check
    assert len(res.residuals) == res.n_iter + 1 and res.residuals[-1] <= 1e-10 * np.linalg.norm(b)
    # A minimal-residual method: the residual never grows, within a cycle or across restarts.
    assert np.all(np.diff(res.residuals) <= 1e-12 * res.residuals[0]) and res.n_cycles > 1


def test_complex_dense_and_real_recycle_reused(helmholtz):
    rng = np.random.default_rng(0)
    A = helmholtz[1][0].toarray() + 0.3j * np.diag(rng.random(400))
    b = rng.standard_normal(400) + 1j * rng.standard_normal(400)
    first = gcrodr(helmholtz[0][0], helmholtz[0][1], rtol=1e-8, m=30, k=10)
    res = gcrodr(A, b, rtol=1e-9, m=30, k=10, recycle=first.recycle)
    assert res.converged and res.x.dtype == np.complex128
    assert _residual(A, b, res.x) <= 1e-9
    C, U = res.recycle.C, res.recycle.U
    np.testing.assert_allclose(C.conj().T @ C, np.eye(C.shape[1]), atol=1e-12)
    np.testing.assert_allclose(A @ U, C, atol=1e-8)


def test_linear_operator_path_matches_compiled_csr_path(helmholtz):
    A, b = helmholtz[2]
    fast = gcrodr(A, b, rtol=1e-9, m=20, k=8)
    slow = gcrodr(aslinearoperator(A), b, rtol=1e-9, m=20, k=8)
    assert fast.n_iter == slow.n_iter and fast.n_matvec == slow.n_matvec
    np.testing.assert_allclose(fast.x, slow.x, rtol=1e-9)
    dense = gcrodr(A.toarray(), b, rtol=1e-9, m=20, k=8)
    assert dense.n_iter == fast.n_iter


def test_recycling_across_changed_matrices_saves_products(helmholtz):
    fresh = [gcrodr(A, b, rtol=1e-8, m=30, k=10).n_matvec for A, b in helmholtz]
    recycled, space = [], None
    for A, b in helmholtz:
        res = gcrodr(A, b, rtol=1e-8, m=30, k=10, recycle=space)
        assert res.converged and _residual(A, b, res.x) <= 1e-8
        # The space passed on is C = A U with orthonormal columns for the matrix just solved.
        np.testing.assert_allclose(A @ res.recycle.U, res.recycle.C, atol=1e-9)
        recycled.append(res.n_matvec)
        space = res.recycle
    assert sum(recycled[1:]) < 0.85 * sum(fresh[1:])


def test_same_matrix_object_reuses_c_after_one_probe():
    A = poisson2d(20)
    rng = np.random.default_rng(1)
    first = gcrodr(A, rng.standard_normal(400), rtol=1e-8, m=20, k=8)
    b = rng.standard_normal(400)
    same = gcrodr(A, b, rtol=1e-8, m=20, k=8, recycle=first.recycle)
    copy = gcrodr(A.copy(), b, rtol=1e-8, m=20, k=8, recycle=first.recycle)
    assert same.n_matvec == same.n_iter + 2  # one probe, one final residual
    assert copy.n_matvec == copy.n_iter + 8 + 1  # k products to recompute C, one final residual
    assert same.converged and copy.converged
    # Modified in place: the probe notices, C is recomputed, and the space fits the new matrix.
    A.data *= 2.0
    changed = gcrodr(A, b, rtol=1e-8, m=20, k=8, recycle=first.recycle)
    assert changed.converged and changed.n_matvec == changed.n_iter + 1 + 8 + 1
    np.testing.assert_allclose(A @ changed.recycle.U, changed.recycle.C, atol=1e-9)


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("kind", ["jacobi", "ilu"])
def test_preconditioning_both_sides(helmholtz, side, kind):
    A, b = helmholtz[3]
    if kind == "jacobi":
        M = sparse.diags_array(1.0 / A.diagonal())
    else:
        ilu = spilu(sparse.csc_array(A), drop_tol=1e-3)
        M = LinearOperator(A.shape, matvec=ilu.solve, dtype=float)
    plain = gcrodr(A, b, rtol=1e-9, m=20, k=8)
    res = gcrodr(A, b, rtol=1e-9, m=20, k=8, M=M, pc_side=side)
    assert res.converged and _residual(A, b, res.x) <= 1e-9 and res.n_precond > 0
    if kind == "ilu":
        assert res.n_iter < plain.n_iter / 3


def test_no_stagnation_where_restarted_gmres_stagnates():
    A = _nonnormal()
    b = np.ones(A.shape[0])
    x, _ = gmres(A, b, rtol=1e-8, restart=10, maxiter=100)
    assert _residual(A, b, x) > 1e-3  # GMRES(10) stalls after 1000 iterations
    res = gcrodr(A, b, rtol=1e-8, m=10, k=5)
    assert res.converged and res.n_iter < 300 and _residual(A, b, res.x) <= 1e-8


def test_k_zero_is_restarted_gmres():
    A = poisson2d(15, shift=0.5)
    b = np.random.default_rng(2).standard_normal(225)
    count = []
    gmres(A, b, rtol=1e-9, restart=10, callback=lambda r: count.append(r), callback_type="pr_norm")
    res = gcrodr(A, b, rtol=1e-9, m=10, k=0)
    assert res.converged and res.recycle is None
    assert abs(res.n_iter - len(count)) <= 2


def test_recycle_space_holds_smallest_eigenvectors():
    # Symmetric with known eigenvectors: the recycled space must align with those of the k smallest.
    d = np.concatenate([[0.01, 0.02, 0.03], np.linspace(1.0, 10.0, 197)])
    A = sparse.diags_array(d, format="csr")
    b = np.random.default_rng(3).standard_normal(200)
    res = gcrodr(A, b, rtol=1e-10, m=20, k=6)
    U = np.linalg.qr(res.recycle.U)[0]
    # Principal angles between range(U) and e_0, e_1, e_2: their sines must be tiny.
    assert np.linalg.norm(U[:3, :], ord=-2) > 1 - 1e-6
    largest = gcrodr(A, b, rtol=1e-10, m=20, k=6, target="largest")
    assert largest.converged and largest.n_iter > res.n_iter


@pytest.mark.parametrize("target", ["smallest", "largest"])
@pytest.mark.parametrize("singular", [False, True])
def test_harmonic_ritz_basis_spans_the_wanted_invariant_subspace(target, singular):
    rng = np.random.default_rng(4)
    RG = np.triu(rng.standard_normal((12, 12))) + 3 * np.eye(12)
    M = np.eye(12) + 0.3 * rng.standard_normal((12, 12))
    if singular:  # a zero on the diagonal of RG: the QZ fallback
        RG[3, 3] = 0.0
    theta = scipy.linalg.eigvals(RG, M)
    P = _harmonic_ritz_basis(RG, M, 5, target, True, None if singular else np.linalg.solve(RG, M))
    assert P.dtype == np.float64 and P.shape[1] in (4, 5)  # a complex pair is kept whole or dropped
    # range(P) is invariant for the pencil: RG P = M P S for some small S, with the wanted eigenvalues.
    S = np.linalg.lstsq(M @ P, RG @ P, rcond=None)[0]
    np.testing.assert_allclose(M @ P @ S, RG @ P, atol=1e-9)
    kept = np.sort(np.abs(np.linalg.eigvals(S)))
    finite = np.sort(np.abs(theta[np.isfinite(theta)]))
    wanted = finite[: P.shape[1]] if target == "smallest" else finite[::-1][: P.shape[1]][::-1]
    np.testing.assert_allclose(kept, wanted, rtol=1e-8, atol=1e-12)  # theta = 0 when RG is singular
    if not singular:
        np.testing.assert_allclose(P.T @ P, np.eye(P.shape[1]), atol=1e-12)  # Schur vectors


def test_pencil_in_qr_form_is_the_gcrodr_harmonic_problem(helmholtz):
    # After a cycle with a recycle space, R_G and M from the Givens rotations must give the
    # generalised problem of Parks et al.: G^H G = R_G^H R_G and G^H [C V_+]^H [U~ V] = R_G^H M.
    A, b = helmholtz[1]
    n, k, s = A.shape[0], 4, 8
    solver = _GCRODR(_Operator(A, None, "right", np.float64), n, 12, k, "smallest", np.float64)
    solver.adopt(RecycleSpace(np.random.default_rng(0).standard_normal((n, k))), same_operator=False)
    _, _, steps, _ = solver.cycle(np.zeros(n), b.copy(), s, 0.0, [])
    assert steps == s
    U, C, V = solver.U.T, solver.C.T, solver.W[k : k + s + 1].T
    D = np.diag(1.0 / np.linalg.norm(U, axis=0))
    G = np.block([[D, solver.B[:k, :s]], [np.zeros((s + 1, k)), solver.H[: s + 1, :s]]])
    basis, image = np.hstack([U @ D, V[:, :s]]), np.hstack([C, V])
    np.testing.assert_allclose(A @ basis, image @ G, atol=1e-10)
    RG, M, X, scale, solved = harmonic_pencil(solver.R, solver.cs, solver.sn, s, solver.B, solver.U, k,
                                              solver.CU, V.T @ U)  # fmt: skip
    assert solved
    np.testing.assert_allclose(RG.T @ RG, G.T @ G, atol=1e-10)
    np.testing.assert_allclose(RG.T @ M, G.T @ image.T @ basis, atol=1e-10)
    np.testing.assert_allclose(RG @ X, M, atol=1e-10)


def test_smaller_k_keeps_the_most_important_directions():
    d = np.concatenate([[0.01, 0.02, 0.03], np.linspace(1.0, 10.0, 197)])
    A = sparse.diags_array(d, format="csr")
    rng = np.random.default_rng(5)
    space = gcrodr(A, rng.standard_normal(200), rtol=1e-10, m=20, k=8).recycle
    U, C = _most_important(space, 3, "smallest")
    assert U.shape == C.shape == (3, 200)
    # The three kept directions span e_0, e_1, e_2 (the smallest eigenvalues), and C is still A U, orthonormal.
    assert np.linalg.norm(np.linalg.qr(U.T)[0][:3, :], ord=-2) > 1 - 1e-6
    np.testing.assert_allclose(C @ C.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(U * d, C, atol=1e-9)
    res = gcrodr(A, rng.standard_normal(200), rtol=1e-10, m=12, k=3, recycle=space)
    assert res.converged and res.n_matvec == res.n_iter + 2  # one probe, one final residual: C was kept
    user = RecycleSpace(np.eye(200)[:, :5])
    assert _most_important(user, 2, "smallest")[1] is None  # no C: the first columns, C recomputed
    np.testing.assert_array_equal(_most_important(user, 2, "smallest")[0], np.eye(200)[:2])


def test_float32_stays_float32_and_zero_rhs():
    A = poisson2d(12, shift=0.2, dtype=np.float32)
    b = np.ones(144, dtype=np.float32)
    res = gcrodr(A, b, rtol=1e-5, m=20, k=5)
    assert res.converged and res.x.dtype == np.float32 and _residual(A, b, res.x) <= 1e-5
    zero = gcrodr(A, np.zeros(144), rtol=1e-8)
    assert zero.converged and zero.n_iter == 0 and not np.any(zero.x)


def test_exact_x0_atol_and_inputs_untouched(helmholtz):
    A, b = helmholtz[0]
    x_star = np.linalg.solve(A.toarray(), b)
    kept = (A.data.copy(), b.copy(), x_star.copy())
    res = gcrodr(A, b, x0=x_star, rtol=1e-8)
    assert res.converged and res.n_iter == 0
    loose = gcrodr(A, b, atol=10 * np.linalg.norm(b), rtol=0.0)
    assert loose.converged and loose.n_iter == 0
    np.testing.assert_array_equal(A.data, kept[0])
    np.testing.assert_array_equal(b, kept[1])
    np.testing.assert_array_equal(x_star, kept[2])


# --------------------------------------------------------------------------- non-convergence, breakdown
def test_maxiter_warns_and_reports_status_1(helmholtz):
    A, b = helmholtz[0]
    with pytest.warns(ConvergenceWarning, match="maximum number of iterations"):
        res = gcrodr(A, b, rtol=1e-12, maxiter=15, m=10, k=4)
    assert not res.converged and res.status == 1 and res.n_iter == 15
    assert res.residual_norm == pytest.approx(np.linalg.norm(b - A @ res.x))


def test_singular_matrix_breakdown_reported_by_status():
    A = sparse.diags_array([1.0, 2.0, 3.0, 0.0], format="csr")
    with pytest.warns(ConvergenceWarning, match="breakdown"):
        res = gcrodr(A, np.ones(4), rtol=1e-8, m=6, k=2)
    assert res.status == -1 and not res.converged
    assert res.residual_norm == pytest.approx(1.0)  # the component along the null space stays


def test_nonfinite_operator_output_reported_by_status():
    A = poisson2d(6)
    calls = []

    def matvec(v):
        calls.append(1)
        return A @ v if len(calls) < 4 else np.full(36, np.nan)

    with pytest.warns(ConvergenceWarning, match="NaN"):
        res = gcrodr(LinearOperator((36, 36), matvec=matvec, dtype=float), np.ones(36), rtol=1e-12)
    assert res.status == -2 and not res.converged


def test_callback_gets_iterates_and_can_stop(helmholtz):
    A, b = helmholtz[0]
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # the user asked to stop: no warning
        res = gcrodr(A, b, rtol=1e-12, m=10, k=4, callback=lambda x: seen.append(x.copy()) or len(seen) == 2)
    assert res.status == 2 and not res.converged and len(seen) == 2 and res.n_cycles == 2
    np.testing.assert_array_equal(seen[-1], res.x)
    # A stop requested after the cycle that met the tolerance does not undo the convergence.
    A = poisson2d(8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = gcrodr(A, np.ones(64), m=20, k=4, callback=lambda x: True)
    assert res.converged and res.status == 0 and res.n_cycles == 1 and res.residual_norm <= 1e-5 * 8


# --------------------------------------------------------------------------- bad input
def test_bad_input_clear_errors(helmholtz):
    A, b = helmholtz[0]
    assert_rejects(gcrodr, A, b[:-1], naming="b")
    assert_rejects(gcrodr, A, np.where(np.arange(400) == 3, np.nan, b), naming="b")
    bad = A.copy()
    bad.data[0] = np.inf
    assert_rejects(gcrodr, bad, b, naming="A")
    assert_rejects(gcrodr, A[:, :399], b, naming="A")
    assert_rejects(gcrodr, A, b, x0=np.ones(3), naming="x0")
    assert_rejects(gcrodr, A, b, m=10, k=10, naming="k")
    assert_rejects(gcrodr, A, b, m=0, error=InvalidParameterError, naming="'m'")
    assert_rejects(gcrodr, A, b, pc_side="middle", error=InvalidParameterError, naming="pc_side")
    assert_rejects(gcrodr, A, b, M=np.eye(3), naming="M")
    assert_rejects(gcrodr, A, b, recycle="space", error=TypeError, naming="recycle")
    assert_rejects(gcrodr, A, b, recycle=RecycleSpace(np.eye(9)[:, :2]), naming="recycle")
    assert_rejects(gcrodr, A, b, callback=3, error=TypeError, naming="callback")
    assert_rejects(gcrodr, "matrix", b, error=TypeError, naming="A")


def test_singular_preconditioner_rejected(helmholtz):
    A, b = helmholtz[0]
    d = 1.0 / A.diagonal()
    d[7] = 0.0
    exc = assert_rejects(gcrodr, A, b, M=sparse.diags_array(d), naming="M")
    assert "nonzero diagonal" in str(exc) and "M[7, 7] = 0" in str(exc)
    zero = LinearOperator(A.shape, matvec=lambda v: 0 * v, dtype=float)
    assert_rejects(gcrodr, A, b, M=zero, pc_side="left", naming="M is singular")
    assert_rejects(gcrodr, A, b, M=zero, pc_side="right", naming="M is singular")
    inf = LinearOperator(A.shape, matvec=lambda v: v / 0.0, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert_rejects(gcrodr, A, b, M=inf, naming="M is singular")


def test_recycle_space_validation_and_user_basis():
    with pytest.raises(ValueError, match="at most as many columns"):
        RecycleSpace(np.ones((2, 3)))
    with pytest.raises(ValueError, match="shape of U"):
        RecycleSpace(np.ones((5, 2)), C=np.ones((5, 3)))
    A = sparse.diags_array(np.linspace(0.01, 1, 100), format="csr")
    space = RecycleSpace(np.eye(100)[:, :4])
    assert space.C is None and repr(space) == "RecycleSpace(k=4, n=100, dtype=float64)"
    res = gcrodr(A, np.ones(100), rtol=1e-10, m=12, k=4, recycle=space)
    assert res.converged and res.n_matvec == res.n_iter + 4 + 1
    with pytest.raises(ValueError):
        space.U[0, 0] = 1.0  # read-only


def test_residual_inside_the_recycled_space_needs_no_iteration():
    A = np.diag(np.arange(1.0, 11.0))
    b = np.zeros(10)
    b[:3] = [1.0, 2.0, 3.0]
    res = gcrodr(A, b, rtol=0.0, atol=0.0, m=5, k=3, recycle=RecycleSpace(np.eye(10)[:, :3]))
    assert res.converged and res.n_iter == 0
    np.testing.assert_allclose(res.x, np.linalg.solve(A, b), atol=1e-15)


# --------------------------------------------------------------------------- end of run
def test_warning_points_at_the_callers_line(helmholtz):
    A, b = helmholtz[0]
    with pytest.warns(ConvergenceWarning) as record:
        gcrodr(A, b, rtol=1e-12, maxiter=5, m=10, k=4)
    assert len(record) == 1 and record[0].filename == __file__


def test_a_non_finite_run_is_never_converged():
    nan_operator = LinearOperator((36, 36), matvec=lambda v: np.full(36, np.nan), dtype=float)
    for k in (0, 4):
        with pytest.warns(ConvergenceWarning, match="NaN") as record:
            res = gcrodr(nan_operator, np.ones(36), m=10, k=k)
        assert not res.converged and res.status == -2 and len(record) == 1
