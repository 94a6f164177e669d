"""Bad, odd and extreme inputs to the Krylov and relaxation solvers: every public entry point x every case.

Each entry point is called through an adapter ``call(A, b, x0=None, **params)`` returning the solution
(or the preconditioned right-hand side, or Young's omega), so that one case table covers them all.
"""

import re
import warnings

import numpy as np
import pytest
from scipy import sparse

from sparsekit import ConvergenceWarning, InvalidParameterError
from sparsekit.datasets import poisson2d
from sparsekit.linalg import (
    LaplacianStencil,
    OmegaTuner,
    evaluate_omegas,
    gcrodr,
    order_systems,
    solve_sequence,
    sor,
    sor_sequence,
    ssor_cg,
    ssor_preconditioner,
    young_omega,
)

N_SIDE = 6
A0 = sparse.csr_array(poisson2d(N_SIDE))
N = A0.shape[0]
B0 = np.linspace(1.0, 2.0, N)


def _sequence_x0(x0):
    return None if x0 is None else [x0]


# name -> (call, solves a system: takes b and x0 and returns x)
ENTRIES = {
    "sor": (lambda A, b, x0=None, **p: sor(A, b, x0, **p).x, True),
    "ssor_cg": (lambda A, b, x0=None, **p: ssor_cg(A, b, x0, **p).x, True),
    "gcrodr": (lambda A, b, x0=None, **p: gcrodr(A, b, x0, **p).x, True),
    "solve_sequence": (lambda A, b, x0=None, **p: solve_sequence([(A, b)], x0=_sequence_x0(x0), **p).x[0], True),
    "sor_sequence": (lambda A, b, x0=None, **p: sor_sequence([(A, b)], policy="fixed", x0=x0, **p).x[0], True),
    "evaluate_omegas": (lambda A, b, x0=None, **p: evaluate_omegas([(A, b)], [1.0], x0=x0, **p).costs, True),
    "ssor_preconditioner": (lambda A, b, x0=None, **p: ssor_preconditioner(A, **p) @ b, False),
    "young_omega": (lambda A, b, x0=None, **p: young_omega(A), False),
    "order_systems": (lambda A, b, x0=None, **p: order_systems([(A, b), (A, b)]), False),
    "OmegaTuner.suggest": (lambda A, b, x0=None, **p: OmegaTuner("instance-optimal").suggest(A=A), False),
}
SOLVERS = [name for name, (_, solves) in ENTRIES.items() if solves]
# sor, ssor_cg and ssor_preconditioner take complex systems (test_sor.py::test_complex_hermitian_*).
REAL_ONLY = {"sor_sequence", "evaluate_omegas", "young_omega", "OmegaTuner.suggest"}
# The preconditioner is an operator: the vectors it is applied to are the Krylov solver's, not checked per
# product (SciPy's rule for a LinearOperator).
USES_B = {"sor", "ssor_cg", "gcrodr", "solve_sequence", "sor_sequence", "evaluate_omegas", "order_systems"}


def _with(A, index, value):
    A = A.copy()
    A.data[index] = value
    return A


# case -> (A, b, x0, exception, argument the message must name)
BAD_SYSTEMS = {
    "complex A": (A0.astype(complex), B0, None, TypeError, "A"),
    "object A": (A0.toarray().astype(object), B0, None, TypeError, "A"),
    "str A": (np.array([["a"]]), B0[:1], None, TypeError, "A"),
    "0-d A": (np.float64(2.0), B0[:1], None, (TypeError, ValueError), "A"),
    "1-d A": (np.ones(3), B0[:3], None, ValueError, "A"),
    "3-d A": (np.ones((2, 2, 2)), B0[:2], None, ValueError, "A"),
    "empty A": (sparse.csr_array((0, 0)), np.zeros(0), None, ValueError, "A"),
    "rectangular A": (sparse.csr_array(np.ones((3, 4))), B0[:3], None, ValueError, "A"),
    "NaN in A": (_with(A0, 3, np.nan), B0, None, ValueError, "A"),
    "inf in A": (_with(A0, 3, np.inf), B0, None, ValueError, "A"),
    "complex b": (A0, B0 + 1j, None, TypeError, "b"),
    "object b": (A0, B0.astype(object), None, TypeError, "b"),
    "str b": (A0, np.array(["a"] * N), None, TypeError, "b"),
    "0-d b": (A0, np.float64(1.0), None, ValueError, "b"),
    "2-d b": (A0, B0[:, None], None, ValueError, "b"),
    "short b": (A0, B0[:-1], None, ValueError, "b"),
    "NaN in b": (A0, np.r_[np.nan, B0[1:]], None, ValueError, "b"),
    "inf in b": (A0, np.r_[np.inf, B0[1:]], None, ValueError, "b"),
    "short x0": (A0, B0, B0[:-1], ValueError, "x0"),
    "NaN in x0": (A0, B0, np.r_[np.nan, B0[1:]], ValueError, "x0"),
    "complex x0 for a real solver": (A0, B0, B0 + 1j, TypeError, "x0"),
}


def _applies(entry, case):
    if case.startswith("complex") and entry not in REAL_ONLY:
        return False
    if ("b" in case.split() or case.endswith(" b")) and entry not in USES_B:
        return False
    return "x0" not in case or ENTRIES[entry][1]


@pytest.mark.parametrize("entry, case", [(e, c) for e in ENTRIES for c in BAD_SYSTEMS if _applies(e, c)])
def test_bad_system_is_refused_naming_the_argument(entry, case):
    A, b, x0, error, argument = BAD_SYSTEMS[case]
    call = ENTRIES[entry][0]
    with pytest.raises(error) as info:
        call(A, b, x0) if x0 is not None else call(A, b)
    assert re.search(rf"\b{re.escape(argument)}\b", str(info.value)), str(info.value)
    assert "shape=()" not in str(info.value) and "np.float64" not in str(info.value)


BAD_PARAMETERS = [("rtol", np.nan), ("rtol", -1.0), ("atol", np.nan), ("atol", -1.0), ("maxiter", -1),
                  ("maxiter", np.nan), ("maxiter", 2.5), ("omega", np.nan), ("omega", 2.0), ("omega", -0.5),
                  ("m", -1), ("m", np.nan), ("k", -1), ("k", np.inf)]
PARAMETERS_OF = {"sor": {"rtol", "atol", "maxiter", "omega"}, "ssor_cg": {"rtol", "atol", "maxiter", "omega"},
                 "gcrodr": {"rtol", "atol", "maxiter", "m", "k"}, "solve_sequence": {"rtol", "atol", "maxiter", "m", "k"},
                 "sor_sequence": {"rtol", "atol", "maxiter"}, "evaluate_omegas": {"rtol", "atol", "maxiter"},
                 "ssor_preconditioner": {"omega"}}


@pytest.mark.parametrize(
    "entry, name, value",
    [(e, name, value) for e in PARAMETERS_OF for name, value in BAD_PARAMETERS if name in PARAMETERS_OF[e]],
)
def test_bad_scalar_parameter_is_refused_naming_it(entry, name, value):
    with pytest.raises(InvalidParameterError, match=rf"'{name}'"):
        ENTRIES[entry][0](A0, B0, **{name: value})


FORMATS = ["csr", "csc", "coo", "bsr", "lil", "dok", "dia"]


@pytest.mark.parametrize("container", [sparse.csr_array, sparse.csr_matrix])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_every_sparse_format_gives_the_csr_answer(entry, fmt, container):
    """Each format is converted once at the entry: the answer is the CSR one (lil and dok in solve_sequence
    raised a TypeError and an AttributeError)."""
    call = ENTRIES[entry][0]
    expected = call(A0, B0)
    got = call(container(A0).asformat(fmt), B0)
    if isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-12)
    elif entry == "order_systems":
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14 * np.max(np.abs(expected)))


SCALES = [1e-300, 1e-200, 1e200, 1e300]
SCALED_SOLVERS = ["sor", "ssor_cg", "gcrodr", "solve_sequence", "sor_sequence"]
for _method in ("gmres", "gcrotmk"):
    ENTRIES[f"solve_sequence[{_method}]"] = (
        lambda A, b, x0=None, _method=_method, **p: solve_sequence(
            [(A, b)], method=_method, x0=_sequence_x0(x0), **p).x[0],
        True,
    )


@pytest.mark.parametrize("where", ["A", "b", "both"])
@pytest.mark.parametrize("factor", SCALES)
@pytest.mark.parametrize("entry", SCALED_SOLVERS + ["solve_sequence[gmres]", "solve_sequence[gcrotmk]"])
def test_scaled_system_is_solved_as_the_unscaled_one(entry, factor, where):
    """b scaled by 1e-200 "converged" at x = 0 (squared norms underflow), by 1e200 diverged; gcrodr on A
    scaled by 1e-200 failed with "unexpected array size". The iteration is scale-invariant."""
    a = factor if where in ("A", "both") else 1.0
    c = factor if where in ("b", "both") else 1.0
    call = ENTRIES[entry][0]
    rtol = 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = call(A0 * a, B0 * c, rtol=rtol)
    # x solves (a A) x = c b: a x / c solves the unscaled system, whose relative residual is scale-free.
    unscaled = x * (a / c) if abs(np.log10(a / c)) < 300 else (x * a) / c
    assert np.all(np.isfinite(unscaled))
    residual = np.linalg.norm(B0 - A0 @ unscaled) / np.linalg.norm(B0)
    assert residual <= 1.001 * rtol


@pytest.mark.parametrize("factor", [1e-300, 1e300])
def test_scaled_sor_counts_iterations_and_reports_caller_units(factor):
    reference = sor(A0, B0, rtol=1e-8)
    seen = []
    result = sor(A0, B0 * factor, rtol=1e-8, callback=lambda xk: seen.append(xk.copy()))
    assert result.n_iter == reference.n_iter
    np.testing.assert_allclose(result.residuals / factor, reference.residuals, rtol=1e-6)
    np.testing.assert_allclose(seen[-1] / factor, result.x / factor, rtol=1e-12)
    np.testing.assert_allclose(result.x / factor, reference.x, rtol=1e-6)


def test_scaled_evaluate_omegas_costs_are_the_unscaled_ones():
    omegas = [1.0, 1.5]
    reference = evaluate_omegas([(A0, B0)], omegas).costs
    np.testing.assert_array_equal(evaluate_omegas([(A0, B0 * 1e-200)], omegas).costs, reference)
    np.testing.assert_array_equal(evaluate_omegas([(A0 * 1e250, B0)], omegas).costs, reference)


def test_scaled_gcrodr_recycle_space_is_in_the_callers_units():
    A = A0 * 1e-300
    first = gcrodr(A, B0, rtol=1e-10, m=20, k=5)
    U, C = first.recycle.U, first.recycle.C
    np.testing.assert_allclose(A @ U, C, atol=1e-8)
    second = gcrodr(A, B0[::-1].copy(), rtol=1e-10, m=20, k=5, recycle=first.recycle)
    assert second.converged
    assert np.linalg.norm(B0[::-1] - A0 @ (second.x * 1e-300)) <= 1e-10 * np.linalg.norm(B0)
    assert second.residual_norm == pytest.approx(np.linalg.norm(B0[::-1] - A @ second.x), rel=1e-3)


@pytest.mark.parametrize("pc_side", ["right", "left"])
@pytest.mark.parametrize("kind", ["diagonal", "sparse"])
@pytest.mark.parametrize("factor", [1e-300, 1e300])
def test_scaled_gcrodr_with_a_preconditioner(factor, kind, pc_side):
    """M (about A^-1) is scaled by the inverse power: with M = diag(A)^-1 on A scaled by 1e-300 the Arnoldi
    basis underflowed ("unexpected array size")."""
    A = A0 * factor
    M = sparse.diags_array(1.0 / A.diagonal())
    if kind == "sparse":
        M = (M + sparse.eye_array(N) * (1e-3 / factor)).tocsr()
    first = gcrodr(A, B0, M=M, pc_side=pc_side, rtol=1e-8, m=10, k=4)
    second = gcrodr(A, B0[::-1].copy(), M=M, pc_side=pc_side, rtol=1e-8, m=10, k=4, recycle=first.recycle)
    for result, b in ((first, B0), (second, B0[::-1])):
        assert result.converged
        assert np.linalg.norm(b - A0 @ (result.x * factor)) <= 1.001e-8 * np.linalg.norm(b)
    assert second.n_iter < first.n_iter


def test_gcrodr_on_an_operator_out_of_range_fails_cleanly():
    """A LinearOperator's size is unknown, so it is not rescaled: it ends with a reported breakdown and a
    warning, never an internal error (a deflation whose directions all underflowed now keeps none)."""
    from scipy.sparse.linalg import aslinearoperator

    with pytest.warns(ConvergenceWarning, match="breakdown"):
        result = gcrodr(aslinearoperator(A0 * 1e-300), B0, rtol=1e-8, m=10, k=4)
    assert result.status < 0 and not result.converged


# --------------------------------------------------------------------------- float32: the tolerance is met
def _spd_float32(seed, n=50):
    """Random SPD system of the report (seed 66: sor claimed rtol=1e-4 with a true residual of 1.0012e-4)."""
    rng = np.random.default_rng(seed)
    G = rng.random((n, n))
    A = (G @ G.T + n * np.eye(n) * rng.random()).astype(np.float32)
    return A, rng.random(n).astype(np.float32)


def _relative_residual64(A, b, x):
    b64 = b.astype(np.float64)
    return np.linalg.norm(b64 - A.astype(np.float64) @ np.asarray(x).astype(np.float64)) / np.linalg.norm(b64)


@pytest.mark.parametrize("seed", [66, 3, 11])
@pytest.mark.parametrize("entry", SCALED_SOLVERS + ["solve_sequence[gmres]", "solve_sequence[gcrotmk]"])
def test_float32_success_meets_the_tolerance_in_float64(entry, seed):
    A, b = _spd_float32(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = ENTRIES[entry][0](A, b, rtol=1e-4)
    assert np.asarray(x).dtype == np.float32
    assert _relative_residual64(A, b, x) <= 1e-4


@pytest.mark.parametrize("entry", ["sor", "ssor_cg", "gcrodr"])
def test_float32_tolerance_below_its_precision_is_raised_not_run_to_maxiter(entry):
    """rtol=1e-10 cannot be met in float32: it is raised to 10 eps(float32) = 1.19e-6 (documented)."""
    A, b = _spd_float32(3)
    solver = {"sor": sor, "ssor_cg": ssor_cg, "gcrodr": gcrodr}[entry]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = solver(A, b, rtol=1e-10)
    assert result.status == 0
    assert _relative_residual64(A, b, result.x) <= 10 * np.finfo(np.float32).eps


def test_stencil_input_is_scaled_too():
    stencil = LaplacianStencil((N_SIDE, N_SIDE))
    result = sor(stencil, B0 * 1e-300, rtol=1e-8)
    assert result.status == 0
    assert np.linalg.norm(B0 - A0 @ (result.x / 1e-300)) <= 1.001e-8 * np.linalg.norm(B0)


# --------------------------------------------------------------------------- SciPy conventions
RESULT_OF = {
    "sor": lambda A, b, **p: sor(A, b, **p),
    "ssor_cg": lambda A, b, **p: ssor_cg(A, b, **p),
    "gcrodr": lambda A, b, **p: gcrodr(A, b, **p),
    "solve_sequence": lambda A, b, x0=None, **p: solve_sequence([(A, b)], x0=_sequence_x0(x0), **p),
    "sor_sequence": lambda A, b, **p: sor_sequence([(A, b)], policy="fixed", **p),
}


def _only(value):
    return int(np.ravel(value)[0])


@pytest.mark.parametrize("entry", list(RESULT_OF))
def test_zero_rhs_returns_zero_at_once(entry):
    """b = 0 from x0 = 1: sor ran 1785 sweeps, ssor_cg all 10 000 (status 1), gcrodr broke down (status -1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = RESULT_OF[entry](A0, np.zeros(N), x0=np.ones(N))
    assert result.status == 0 and _only(result.n_iter) == 0
    np.testing.assert_array_equal(np.ravel(result.x), 0.0)


def test_zero_rhs_smoother_sweeps_still_run():
    """rtol = atol = 0 asks for maxiter sweeps (SOR as a smoother of A e = 0): they are not skipped."""
    result = sor(A0, np.zeros(N), np.ones(N), rtol=0, atol=0, maxiter=3)
    assert result.n_iter == 3 and 0 < np.max(result.x) < 1


@pytest.mark.parametrize("name", ["rtol", "atol"])
@pytest.mark.parametrize("entry", list(RESULT_OF))
def test_infinite_tolerance_is_met_at_once(entry, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = RESULT_OF[entry](A0, B0, **{name: np.inf})
    assert result.status == 0 and _only(result.n_iter) == 0


def test_gcrodr_starts_from_M_b():
    jacobi = sparse.diags_array(1.0 / A0.diagonal())
    with pytest.warns(ConvergenceWarning, match="maximum number of iterations"):
        np.testing.assert_allclose(gcrodr(A0, B0, x0="Mb", M=jacobi, maxiter=0).x, jacobi @ B0)
    with pytest.warns(ConvergenceWarning, match="maximum number of iterations"):
        np.testing.assert_allclose(gcrodr(A0, B0, x0="Mb", maxiter=0).x, B0)
    assert gcrodr(A0, B0, x0="Mb", M=jacobi, rtol=1e-8).converged


def test_messages_print_values_not_numpy_reprs():
    with pytest.raises(ValueError, match=r"got 2\.5\.$"):
        solve_sequence(lambda i: (A0, B0), n_systems=np.float64(2.5))
    with pytest.raises(ValueError, match=r"got \(0, 3\)\.$"):
        LaplacianStencil((np.int64(0), np.int64(3)))
