"""sketch_lstsq: accuracy against LAPACK, stopping rule, options, kernels and bad input."""

import numpy as np
import pytest
import scipy.linalg
from scipy import sparse

from sparsekit import ConvergenceWarning, InvalidParameterError
from sparsekit._core._testing import assert_kernel_matches_twin, assert_rejects, readonly
from sparsekit.linalg import sketch_lstsq
from sparsekit.linalg._sketching._lstsq_sizing import default_oversampling
from sparsekit.linalg._sketching._sketch_lstsq_kernels import csr_fused_normal

from . import _sketch_reference as twins


def _ill_conditioned(rng, m, n, condition):
    U = np.linalg.qr(rng.standard_normal((m, n)))[0]
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]
    return (U * np.logspace(0, -np.log10(condition), n)) @ V.T


def _backward_error(A, b, x, alpha=0.0):
    r = b - A @ x
    normal = A.T @ r - alpha * x
    frobenius = sparse.linalg.norm(A) if sparse.issparse(A) else np.linalg.norm(A, "fro")
    norm_A = np.sqrt(frobenius**2 + alpha * A.shape[1])
    return np.linalg.norm(normal) / (norm_A * np.sqrt(r @ r + alpha * x @ x))


@pytest.mark.parametrize("solver", ["lsqr", "lsmr"])
@pytest.mark.parametrize("method", ["sparse-sign", "gaussian", "countsketch", "srht", "srdct"])
def test_ill_conditioned_problem_reaches_lapack_accuracy(method, solver, rng):
    A = _ill_conditioned(rng, 3000, 60, 1e8)
    b = rng.standard_normal(3000)
    res = sketch_lstsq(A, b, sketch=method, solver=solver, random_state=0)
    assert res.converged and res.status == 0
    assert res.backward_error <= 1e-10
    assert _backward_error(A, b, res.x) == pytest.approx(res.backward_error, rel=1e-6)
    x_lapack = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
    assert np.linalg.norm(res.x - x_lapack) <= 1e-6 * np.linalg.norm(x_lapack)
    # a preconditioned Krylov method: a few tens of iterations whatever the conditioning
    assert res.n_iter <= 30
    assert res.residual_norm == pytest.approx(np.linalg.norm(b - A @ res.x))


def test_backward_error_history_tracks_the_true_backward_error(rng):
    A = _ill_conditioned(rng, 2000, 40, 1e6)
    b = rng.standard_normal(2000)
    seen = []
    res = sketch_lstsq(A, b, random_state=1, callback=lambda x: seen.append(_backward_error(A, b, x)))
    estimates = res.backward_error_history[1:]
    assert len(seen) == res.n_iter == estimates.size
    np.testing.assert_allclose(estimates, seen, rtol=1e-2)  # exact up to rounding at the 1e-11 level
    # stopping rule: the first estimate at or below rtol ends the run
    assert estimates[-1] <= 1e-10 < estimates[-2]
    assert res.residual_history[0] >= res.residual_history[-1]
    seen_lsmr = []
    lsmr = sketch_lstsq(A, b, solver="lsmr", random_state=1,
                        callback=lambda x: seen_lsmr.append(_backward_error(A, b, x)))
    # LSMR's estimate is an upper bound
    assert np.all(lsmr.backward_error_history[1:] >= 0.99 * np.array(seen_lsmr))
    assert lsmr.backward_error <= 1e-10


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input(fmt, rng):
    A = sparse.random_array((4000, 80), density=0.05, format=fmt, rng=rng)
    A = A + sparse.eye_array(4000, 80, format=fmt)
    b = rng.standard_normal(4000)
    res = sketch_lstsq(A, b, random_state=0)
    assert res.converged and res.backward_error <= 1e-10
    expected = np.linalg.lstsq(A.toarray(), b, rcond=None)[0]
    assert np.linalg.norm(res.x - expected) <= 1e-8 * np.linalg.norm(expected)


def test_ridge_matches_the_regularized_normal_equations(rng):
    A = _ill_conditioned(rng, 1500, 30, 1e5)
    b = rng.standard_normal(1500)
    for alpha in (1e-6, 0.3):
        res = sketch_lstsq(A, b, alpha=alpha, random_state=0)
        expected = np.linalg.solve(A.T @ A + alpha * np.eye(30), A.T @ b)
        np.testing.assert_allclose(res.x, expected, rtol=1e-6)
        assert _backward_error(A, b, res.x, alpha) == pytest.approx(res.backward_error, rel=1e-6)
    wide = rng.standard_normal((20, 50))
    res = sketch_lstsq(wide, rng.standard_normal(20), alpha=0.5, random_state=0)
    assert res.converged


def test_rank_deficient_problem_gives_the_minimum_norm_solution(rng):
    A = rng.standard_normal((1000, 12))
    A = np.hstack([A, A[:, :4] - A[:, 4:8]])
    b = rng.standard_normal(1000)
    res = sketch_lstsq(A, b, random_state=0)
    assert res.rank == 12 and res.converged
    np.testing.assert_allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-7, atol=1e-10)


def test_warm_start_and_x0(rng):
    A = _ill_conditioned(rng, 2000, 30, 1e4)
    x_true = rng.standard_normal(30)
    consistent = A @ x_true
    res = sketch_lstsq(A, consistent + 1e-8 * rng.standard_normal(2000), random_state=0)
    assert res.warm_start, "a nearly consistent system starts from sketch-and-solve"
    noise_only = rng.standard_normal(2000)
    assert not sketch_lstsq(A, noise_only, random_state=0).warm_start, "x = 0 is the better start here"
    exact_start = sketch_lstsq(A, consistent, np.linalg.lstsq(A, consistent, rcond=None)[0], random_state=0)
    assert exact_start.n_iter <= 1 and not exact_start.warm_start
    np.testing.assert_allclose(exact_start.x, x_true, rtol=1e-8)


def test_same_seed_same_answer_and_maxiter_warning(rng):
    A = _ill_conditioned(rng, 1000, 20, 1e6)
    b = rng.standard_normal(1000)
    np.testing.assert_array_equal(sketch_lstsq(A, b, random_state=3).x, sketch_lstsq(A, b, random_state=3).x)
    with pytest.warns(ConvergenceWarning, match="maxiter"):
        res = sketch_lstsq(A, b, oversampling=1.2, maxiter=2, random_state=0)
    assert not res.converged and res.status == 1 and res.n_iter == 2
    stopped = sketch_lstsq(A, b, random_state=0, callback=lambda x: True)
    assert stopped.status == 2 and stopped.n_iter == 1


def test_float32_and_readonly_input(rng):
    A = _ill_conditioned(rng, 1000, 20, 1e3)
    b = rng.standard_normal(1000)
    res = sketch_lstsq(readonly(A.astype(np.float32)), readonly(b), random_state=0)
    assert res.converged and res.x.dtype == np.float64
    assert _backward_error(A.astype(np.float32).astype(np.float64), b, res.x) <= 1e-9


def test_default_oversampling_follows_the_cost_model():
    assert default_oversampling(50_000, 500, 50_000 * 500) == pytest.approx(7.5, abs=0.2)
    assert default_oversampling(200_000, 200, 200_000 * 200) == pytest.approx(29, abs=1)
    assert default_oversampling(10**6, 1000, 10**7) == 4.0
    assert default_oversampling(10**8, 10, 10**9) == 40.0


def test_bad_input(rng):
    A = rng.standard_normal((50, 5))
    b = rng.standard_normal(50)
    assert_rejects(sketch_lstsq, A.T, b[:5], naming="at least as many rows")
    assert_rejects(sketch_lstsq, A, b[:40], naming="length 50")
    bad = b.copy()
    bad[0] = np.nan
    assert_rejects(sketch_lstsq, A, bad, naming="NaN")
    assert_rejects(sketch_lstsq, A, b, alpha=-1.0, error=InvalidParameterError, naming="'alpha'")
    assert_rejects(sketch_lstsq, A, b, oversampling=1.0, error=InvalidParameterError, naming="'oversampling'")
    assert_rejects(sketch_lstsq, A, b, solver="cg", error=InvalidParameterError, naming="'solver'")
    assert_rejects(sketch_lstsq, A, b, sketch="fft", naming="Unknown method 'fft'")
    assert_rejects(sketch_lstsq, A, b, x0=np.ones(4), naming="x0")
    assert_rejects(sketch_lstsq, A, b, callback=3, error=TypeError, naming="callback")


@pytest.mark.kernel
@pytest.mark.parametrize("with_u", [False, True])
def test_fused_csr_kernel_matches_twin(with_u, rng):
    A = sparse.random_array((25, 7), density=0.3, format="csr", rng=rng)
    assert_kernel_matches_twin(
        csr_fused_normal, twins.csr_fused_normal, A.indptr, A.indices, readonly(A.data),
        rng.standard_normal(7), readonly(rng.standard_normal(25)), 0.7, np.zeros(25), np.zeros(7),
        np.zeros(7 if with_u else 0),
    )


def test_warning_at_the_callers_line_and_no_non_finite_convergence(rng):
    A = _ill_conditioned(rng, 1000, 20, 1e6)
    b = rng.standard_normal(1000)
    with pytest.warns(ConvergenceWarning, match="^sketch_lstsq: ") as caught:
        sketch_lstsq(A, b, oversampling=1.2, maxiter=2, random_state=0)
    assert len(caught) == 1 and caught[0].filename == __file__
    # ||b||² overflows: the iteration's estimates say "converged", the result is not finite
    with np.errstate(all="ignore"), pytest.warns(ConvergenceWarning, match="non-finite") as caught:
        res = sketch_lstsq(A, np.full(1000, 1e307), random_state=0)
    assert not res.converged and res.status == 3 and not np.all(np.isfinite(res.x))
    assert caught[0].filename == __file__
