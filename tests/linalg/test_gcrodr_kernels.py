import numpy as np
import pytest
from scipy import sparse

from sparsekit._core._testing import assert_kernel_matches_twin, readonly
from sparsekit.linalg._krylov._gcrodr_kernels import (
    PC_LEFT,
    PC_NONE,
    PC_RIGHT,
    apply_operator_rows,
    arnoldi_cycle_csr,
    arnoldi_step,
    back_substitute,
    deflation_coefficients,
    finish_cycle,
    harmonic_pencil,
    orthonormal_image,
    select_harmonic,
    start_cycle,
)

from ._krylov_reference import (
    apply_operator_rows_twin,
    arnoldi_cycle_csr_twin,
    arnoldi_step_twin,
    back_substitute_twin,
    deflation_coefficients_twin,
    finish_cycle_twin,
    harmonic_pencil_twin,
    orthonormal_image_twin,
    select_harmonic_twin,
    start_cycle_twin,
)

pytestmark = pytest.mark.kernel

DTYPES = [(np.float64, 1e-12), (np.complex128, 1e-12), (np.float32, 1e-4)]


def _matrix(n, dtype, rng):
    """A sparse non-symmetric test matrix (shifted random pattern plus a strong diagonal)."""
    A = sparse.random_array((n, n), density=0.15, rng=rng, format="csr") + 4 * sparse.eye_array(n)
    if np.dtype(dtype).kind == "c":
        A = A + 1j * sparse.random_array((n, n), density=0.1, rng=rng, format="csr")
    A = sparse.csr_array(A.astype(dtype))
    A.sort_indices()
    return A


def _state(n, k, s, dtype, rng):
    """Orthonormal recycled rows C, a start vector orthogonal to them, and empty cycle arrays."""
    C = np.linalg.qr(rng.standard_normal((n, k)) + (1j * rng.standard_normal((n, k)) if np.dtype(dtype).kind == "c" else 0))[0]
    C = np.ascontiguousarray(C.T).astype(dtype)
    v = rng.standard_normal(n).astype(dtype)
    v = v - (C.conj() @ v) @ C
    V = np.zeros((s + 1, n), dtype=dtype)
    V[0] = v / np.linalg.norm(v)
    g = np.zeros(s + 1, dtype=dtype)
    g[0] = np.linalg.norm(v)
    return dict(
        C=C, V=V, H=np.zeros((s + 1, s), dtype=dtype), B=np.zeros((k, s), dtype=dtype),
        R=np.zeros((s + 1, s), dtype=dtype), cs=np.zeros(s), sn=np.zeros(s, dtype=dtype), g=g,
    )  # fmt: skip


@pytest.mark.parametrize("dtype, rtol", DTYPES)
@pytest.mark.parametrize("reorth", [0.0, 0.1, 1.0])
def test_arnoldi_step_matches_twin(dtype, rtol, reorth):
    rng = np.random.default_rng(1)
    n, k, s = 40, 3, 6
    A = _matrix(n, dtype, rng)
    state = _state(n, k, s, dtype, rng)
    for j in range(3):  # the state after three steps, built by the twin
        arnoldi_step_twin(state["C"], k, state["V"], j, (A @ state["V"][j]).astype(dtype), state["H"], state["B"],
                          state["R"], state["cs"], state["sn"], state["g"], reorth)  # fmt: skip
    w = (A @ state["V"][3]).astype(dtype)
    assert_kernel_matches_twin(
        arnoldi_step, arnoldi_step_twin, readonly(state["C"]), k, state["V"], 3, w, state["H"], state["B"],
        state["R"], state["cs"], state["sn"], state["g"], reorth, rtol=rtol, atol=rtol,
    )  # fmt: skip


@pytest.mark.parametrize("dtype, rtol", DTYPES[:2])
@pytest.mark.parametrize("mode", [PC_NONE, PC_LEFT, PC_RIGHT])
def test_arnoldi_cycle_matches_twin(dtype, rtol, mode):
    rng = np.random.default_rng(2)
    n, k, s = 35, 2, 8
    A = _matrix(n, dtype, rng)
    diag = (1.0 / A.diagonal()).astype(dtype)
    state = _state(n, k, s, dtype, rng)
    assert_kernel_matches_twin(
        arnoldi_cycle_csr, arnoldi_cycle_csr_twin, readonly(A.indptr), readonly(A.indices), readonly(A.data),
        readonly(diag), mode, readonly(state["C"]), k, state["V"], s, state["H"], state["B"], state["R"],
        state["cs"], state["sn"], state["g"], 0.1, 0.0, 1e-14, np.zeros(s), rtol=100 * rtol, atol=100 * rtol,
    )  # fmt: skip


def test_arnoldi_cycle_stops_at_target_and_breakdown():
    rng = np.random.default_rng(3)
    n, s = 30, 10
    A = _matrix(n, np.float64, rng)
    state = _state(n, 0, s, np.float64, rng)
    history = np.zeros(s)
    target = 0.5 * state["g"][0]
    args = (A.indptr, A.indices, A.data, np.ones(1), PC_NONE, state["C"], 0, state["V"], s, state["H"],
            state["B"], state["R"], state["cs"], state["sn"], state["g"], 0.1)  # fmt: skip
    steps, code = arnoldi_cycle_csr(*args, target, 1e-14, history)
    assert code == 0 and 1 <= steps < s
    assert history[steps - 1] <= target and (steps == 1 or history[steps - 2] > target)
    # An invariant subspace: the identity maps V[0] onto itself, so the first step breaks down.
    identity = sparse.eye_array(n, format="csr")
    state = _state(n, 0, s, np.float64, rng)
    args = (identity.indptr, identity.indices, identity.data, np.ones(1), PC_NONE, state["C"], 0, state["V"], s,
            state["H"], state["B"], state["R"], state["cs"], state["sn"], state["g"], 0.1)  # fmt: skip
    steps, code = arnoldi_cycle_csr(*args, 0.0, 1e-14, np.zeros(s))
    assert (steps, code) == (1, 1)


def test_arnoldi_cycle_reports_nonfinite():
    rng = np.random.default_rng(4)
    n, s = 20, 5
    A = _matrix(n, np.float64, rng)
    A.data[3] = np.nan
    state = _state(n, 0, s, np.float64, rng)
    steps, code = arnoldi_cycle_csr(A.indptr, A.indices, A.data, np.ones(1), PC_NONE, state["C"], 0, state["V"], s,
                                    state["H"], state["B"], state["R"], state["cs"], state["sn"], state["g"], 0.1,
                                    0.0, 1e-14, np.zeros(s))  # fmt: skip
    assert (steps, code) == (0, 2)


def _random(shape, dtype, rng):
    out = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        out = out + 1j * rng.standard_normal(shape)
    return out.astype(dtype)


def _cycle(n, k, s, dtype, rng):
    """The state after ``s`` projected Arnoldi steps (built by the twin)."""
    A = _matrix(n, dtype, rng)
    state = _state(n, k, s, dtype, rng)
    for j in range(s):
        arnoldi_step_twin(state["C"], k, state["V"], j, (A @ state["V"][j]).astype(dtype), state["H"], state["B"],
                          state["R"], state["cs"], state["sn"], state["g"], 0.1)  # fmt: skip
    return state


@pytest.mark.parametrize("dtype, rtol", DTYPES)
@pytest.mark.parametrize("mode", [PC_NONE, PC_LEFT, PC_RIGHT])
def test_apply_operator_rows_matches_twin(dtype, rtol, mode):
    rng = np.random.default_rng(5)
    A = _matrix(25, dtype, rng)
    diag = (1.0 / A.diagonal()).astype(dtype)
    X = _random((4, 25), dtype, rng)
    assert_kernel_matches_twin(apply_operator_rows, apply_operator_rows_twin, readonly(A.indptr),
                               readonly(A.indices), readonly(A.data), readonly(diag), mode, readonly(X),
                               np.zeros((4, 25), dtype=dtype), rtol=rtol, atol=rtol)  # fmt: skip


@pytest.mark.parametrize("dtype, rtol", DTYPES)
@pytest.mark.parametrize("k", [0, 3])
def test_start_cycle_matches_twin(dtype, rtol, k):
    rng = np.random.default_rng(6)
    state = _state(30, k, 4, dtype, rng)
    r = _random(30, dtype, rng)
    assert_kernel_matches_twin(start_cycle, start_cycle_twin, readonly(state["C"]), k, r, state["V"],
                               np.zeros(max(k, 1), dtype=dtype), rtol=rtol, atol=rtol)  # fmt: skip


@pytest.mark.parametrize("dtype, rtol", DTYPES)
def test_back_substitute_and_finish_cycle_match_twins(dtype, rtol):
    rng = np.random.default_rng(7)
    n, k, s = 30, 3, 6
    state = _cycle(n, k, s, dtype, rng)
    y = np.zeros(s, dtype=dtype)
    assert_kernel_matches_twin(back_substitute, back_substitute_twin, readonly(state["R"]), readonly(state["g"]),
                               s, y, 1e-14, rtol=rtol, atol=rtol)  # fmt: skip
    assert back_substitute(state["R"], state["g"], s, y, 1e-14)
    U = _random((k, n), dtype, rng)
    c0 = _random(k, dtype, rng)
    assert_kernel_matches_twin(
        finish_cycle, finish_cycle_twin, readonly(U), k, readonly(state["V"]), s, readonly(state["H"]),
        readonly(state["B"]), readonly(c0), readonly(y), 1.5, np.zeros(n, dtype=dtype), np.zeros(n, dtype=dtype),
        rtol=rtol, atol=rtol,
    )  # fmt: skip
    singular = state["R"].copy()
    singular[2, 2] = 0.0
    assert not back_substitute(singular, state["g"], s, y, 1e-14)
    assert not back_substitute_twin(singular, state["g"], s, y, 1e-14)


@pytest.mark.parametrize("dtype, rtol", DTYPES[:2])
@pytest.mark.parametrize("k", [0, 3])
def test_harmonic_pencil_matches_twin(dtype, rtol, k):
    rng = np.random.default_rng(8)
    n, s = 30, 6
    state = _cycle(n, k, s, dtype, rng)
    U = _random((k, n), dtype, rng)
    CU = _random((k, k), dtype, rng)
    VhU = _random((s + 1, k), dtype, rng)
    assert_kernel_matches_twin(
        harmonic_pencil, harmonic_pencil_twin, readonly(state["R"]), readonly(state["cs"]), readonly(state["sn"]),
        s, readonly(state["B"]), readonly(U), k, readonly(CU), readonly(VhU), rtol=1e4 * rtol, atol=1e4 * rtol,
    )  # fmt: skip
    singular = state["R"].copy()
    singular[1, 1] = 0.0
    assert not harmonic_pencil(singular, state["cs"], state["sn"], s, state["B"], U, k, CU, VhU)[-1]


@pytest.mark.parametrize("smallest", [True, False])
@pytest.mark.parametrize("real", [True, False])
@pytest.mark.parametrize("k", [1, 4, 5])
def test_select_harmonic_matches_twin(smallest, real, k):
    # 1/|theta| with a conjugate pair (positive imaginary part first), a tie, an infinite and a zero entry.
    inverse_magnitude = np.array([0.5, 2.0, 2.0, 0.5, np.inf, 0.0, 1.0, 3.0])
    imaginary = np.array([0.0, 1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert_kernel_matches_twin(select_harmonic, select_harmonic_twin, readonly(inverse_magnitude),
                               readonly(imaginary), k, smallest, real)  # fmt: skip
    marks, count = select_harmonic(inverse_magnitude, imaginary, k, smallest, real)
    assert count == marks.sum() <= k and not marks[5]  # an infinite theta is never kept
    if real:
        assert marks[1] == marks[2]  # the pair whole or not at all


@pytest.mark.parametrize("dtype, rtol", DTYPES[:2])
def test_orthonormal_image_matches_twin(dtype, rtol):
    rng = np.random.default_rng(9)
    RG = np.triu(_random((8, 8), dtype, rng)) + 4 * np.eye(8)
    P = _random((8, 3), dtype, rng)
    assert_kernel_matches_twin(orthonormal_image, orthonormal_image_twin, readonly(RG), readonly(P), 1e-6,
                               rtol=1e3 * rtol, atol=1e3 * rtol)  # fmt: skip
    Q, PT, ok = orthonormal_image(RG, P, 1e-6)
    assert ok
    np.testing.assert_allclose(Q.conj().T @ Q, np.eye(3), atol=1e-13)
    np.testing.assert_allclose(np.triu(RG) @ PT, Q, atol=1e-12)
    dependent = P.copy()
    dependent[:, 2] = dependent[:, 0] + 1e-9 * dependent[:, 1]
    assert not orthonormal_image(RG, dependent, 1e-6)[-1]


@pytest.mark.parametrize("dtype, rtol", DTYPES[:2])
def test_deflation_coefficients_match_twin(dtype, rtol):
    rng = np.random.default_rng(10)
    n, k, s = 30, 3, 5
    state = _cycle(n, k, s, dtype, rng)
    Q = np.linalg.qr(_random((k + s, 4), dtype, rng))[0]
    PT = _random((k + s, 4), dtype, rng)
    M = _random((k + s, k + s), dtype, rng)
    assert_kernel_matches_twin(deflation_coefficients, deflation_coefficients_twin, readonly(Q), readonly(PT),
                               readonly(M), readonly(state["cs"]), readonly(state["sn"]), s, k, rtol=rtol,
                               atol=rtol)  # fmt: skip
