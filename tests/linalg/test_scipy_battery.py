"""SciPy's own iterative-solver battery (``scipy.sparse.linalg._isolve.tests.test_iterative``) run through our solvers.

Every problem of SciPy's ``IterativeParams`` (Poisson 1-D/2-D, negated, random
SPD, non-symmetric, complex and Hermitian, float32 variants, a symmetric
indefinite breakdown case) and SciPy's per-solver checks (rtol/atol pairs with
badly scaled preconditioners, zero right-hand side, x0 variants, dummy and
exact-inverse preconditioners) are run through :func:`gcrodr` next to SciPy's
own ``gmres``, and the SPD problems through :func:`sor` and :func:`ssor_cg`,
asserting SciPy's pass criterion: ``info == 0`` (our ``status == 0``) and
``||b - A x|| <= max(rtol ||b||, atol)`` on the true residual. Where SciPy is
installed without its tests, the problems are those rebuilt in ``_scipy_cases``.
"""

import itertools
import warnings

import numpy as np
import pytest
from scipy.sparse.linalg import LinearOperator, aslinearoperator, gmres

from sparsekit import ConvergenceWarning
from sparsekit.linalg import gcrodr, sor, ssor_cg

from ._scipy_cases import own_problems, scipy_problems

CASES = scipy_problems() or own_problems()
# SciPy runs cg (its positive-definite solver) on these: SOR and SSOR-CG must converge too.
SPD_CASES = [case for case in CASES if case.spd]


def _gcrodr(A, b, **options):
    """gcrodr in SciPy's ``(x, info)`` form; the ConvergenceWarning of a status other than 0 is expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = gcrodr(A, b, **options)
    return result.x, result.status


def _gmres(A, b, **options):
    """SciPy's gmres as SciPy's battery calls it: the legacy callback type, whose ``maxiter`` counts iterations."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "scipy.sparse.linalg.gmres called without specifying", DeprecationWarning)
        return gmres(A, b, **options)


SOLVERS = [pytest.param(_gcrodr, id="gcrodr"), pytest.param(_gmres, id="gmres")]


def _rtol(A):
    return 1e-8 if A.dtype.char in "dD" else 1e-2


def _residual(A, x, b):
    return np.linalg.norm(b - A @ x)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_convergence(case, solver):
    A, b = case.A, case.b
    rtol = _rtol(A)
    x0 = 0 * b
    x, info = solver(A, b, x0=x0, rtol=rtol)
    np.testing.assert_array_equal(x0, 0 * b)
    assert info == 0
    assert _residual(A, x, b) <= rtol * np.linalg.norm(b)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_maxiter_one(case, solver):
    seen = []
    x, info = solver(case.A, case.b, x0=0 * case.b, rtol=1e-12, maxiter=1, callback=seen.append)
    assert len(seen) == 1
    assert info == 1


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_precond_dummy(case, solver):
    A, b = case.A, case.b
    identity = LinearOperator(A.shape, lambda v: v, rmatvec=lambda v: v, dtype=A.dtype)
    for matrix, M in ((A, identity), (aslinearoperator(A), None)):
        x, info = solver(matrix, b, M=M, x0=0 * b, rtol=1e-8)
        assert info == 0
        assert _residual(A, x, b) <= 1e-8 * np.linalg.norm(b)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_x0_equals_Mb(case, solver):
    x, info = solver(case.A, case.b, x0="Mb", rtol=1e-8)
    assert info == 0
    assert _residual(case.A, x, case.b) <= 1e-8 * np.linalg.norm(case.b)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name", ["poisson1d", "poisson2d"])
def test_precond_inverse(name, solver):
    (case,) = [case for case in CASES if case.name == name]
    dense = case.A.toarray()
    count = [0]

    def matvec(v):
        count[0] += 1
        return case.A @ v

    A = LinearOperator(case.A.shape, matvec, dtype=case.A.dtype)
    M = LinearOperator(case.A.shape, lambda v: np.linalg.solve(dense, v), dtype=case.A.dtype)
    x, info = solver(A, case.b, M=M, x0=0 * case.b, rtol=1e-8)
    assert info == 0
    assert _residual(case.A, x, case.b) <= 1e-8 * np.linalg.norm(case.b)
    assert count[0] <= 3


@pytest.mark.parametrize("solver", SOLVERS)
def test_atol(solver):
    rng = np.random.default_rng(168441431005389)
    A = rng.uniform(size=[10, 10])
    A = A @ A.T + 10 * np.eye(10)
    b = 1e3 * rng.uniform(size=10)
    tols = np.r_[0, np.logspace(-9, 2, 7), np.inf]
    M0 = rng.standard_normal(size=(10, 10))
    M0 = M0 @ M0.T
    failures = []
    for (i, M), rtol, atol in itertools.product(enumerate([None, 1e-6 * M0, 1e6 * M0]), tols, tols):
        if rtol == 0 and atol == 0:
            continue
        x, info = solver(A, b, M=M, rtol=rtol, atol=atol)
        # SciPy's own 1.00025 slack (gh-17839).
        if info != 0 or _residual(A, x, b) > 1.00025 * max(atol, rtol * np.linalg.norm(b)):
            failures.append((i, float(rtol), float(atol), info))
    assert failures == []


@pytest.mark.parametrize("solver", SOLVERS)
def test_zero_rhs(solver):
    rng = np.random.default_rng(1684414984100503)
    A = rng.random(size=[10, 10])
    A = A @ A.T + 10 * np.eye(10)
    b = np.zeros(10)
    for tol in np.logspace(-10, 2, 7):
        x, info = solver(A, b, rtol=tol)
        assert info == 0
        np.testing.assert_allclose(x, 0.0, atol=1e-15)
        x, info = solver(A, b, rtol=tol, x0=np.ones(10))
        assert info == 0
        np.testing.assert_allclose(x, 0.0, atol=tol)
        for atol in (0.0, tol):
            x, info = solver(A, b, rtol=tol, atol=atol)
            assert info == 0
            np.testing.assert_allclose(x, 0.0, atol=1e-300)


@pytest.mark.parametrize("solver", SOLVERS)
def test_x0_working(solver):
    rng = np.random.default_rng(1685363802304750)
    A = rng.random(size=[10, 10])
    A = A @ A.T
    b, x0 = rng.random(10), rng.random(10)
    x, info = solver(A, b, atol=0, rtol=1e-6)
    assert info == 0
    assert _residual(A, x, b) <= 1e-6 * np.linalg.norm(b)
    x, info = solver(A, b, x0=x0, atol=0, rtol=1e-6)
    assert info == 0
    assert _residual(A, x, b) <= 1e-5 * np.linalg.norm(b)


@pytest.mark.parametrize("solver", SOLVERS)
def test_x0_solves_problem_exactly(solver):
    rhs = np.array([-1.0, -1.0])
    x, info = solver(np.eye(2), rhs, x0=rhs)
    np.testing.assert_allclose(x, rhs)
    assert info == 0


@pytest.mark.parametrize("relax", [sor, ssor_cg])
@pytest.mark.parametrize("case", SPD_CASES, ids=[case.name for case in SPD_CASES])
def test_relaxation_on_spd_cases(case, relax):
    A, b = case.A, case.b
    rtol = _rtol(A)
    x0 = 0 * b
    result = relax(A, b, x0, rtol=rtol, maxiter=20_000)
    np.testing.assert_array_equal(x0, 0 * b)
    assert result.status == 0, result.message
    assert result.x.dtype == np.result_type(A.dtype, b.dtype)
    assert _residual(A, result.x, b) <= rtol * np.linalg.norm(b)


def test_own_problem_list_is_scipys():
    """The rebuilt list (used where SciPy's tests are not installed) is SciPy's, problem for problem."""
    theirs = scipy_problems()
    if theirs is None:
        pytest.skip("SciPy is installed without its tests")
    ours = own_problems()
    assert [case.name for case in ours] == [case.name for case in theirs]
    for mine, scipys in zip(ours, theirs):
        assert mine.spd == scipys.spd, mine.name
        dense = [A.toarray() if hasattr(A, "toarray") else A for A in (mine.A, scipys.A)]
        assert dense[0].dtype == dense[1].dtype, mine.name
        np.testing.assert_array_equal(*dense, err_msg=mine.name)
        np.testing.assert_array_equal(mine.b, scipys.b, err_msg=mine.name)
