"""SOR kernels against their NumPy twins (small inputs: these also run with NUMBA_DISABLE_JIT=1)."""

import numpy as np
import pytest

from sparsekit._core._testing import assert_kernel_matches_twin
from sparsekit.datasets import poisson2d, poisson3d
from sparsekit.linalg import LaplacianStencil
from sparsekit.linalg._relaxation import _sor_kernels as kernels
from sparsekit.linalg._relaxation._sor import as_sor_operator

from . import _sor_reference as ref


def _general_csr(rng, n=12):
    """Nonsymmetric, diagonally dominant, with unsorted indices and duplicate entries: the general CSR case."""
    from scipy import sparse

    dense = np.where(rng.random((n, n)) < 0.3, rng.standard_normal((n, n)), 0.0)
    np.fill_diagonal(dense, 4.0)
    dense[1, 0] = 0.5
    canonical = sparse.csr_array(dense)
    indptr, indices, data = [0], [], []
    for i in range(n):
        row = slice(canonical.indptr[i], canonical.indptr[i + 1])
        cols, vals = list(canonical.indices[row][::-1]), list(canonical.data[row][::-1])
        if i == 1:  # duplicates of the diagonal and of the previous-row entry
            cols, vals = cols + [1, 0], vals + [1.5, -0.25]
        indices += cols
        data += vals
        indptr.append(len(indices))
    return sparse.csr_array((np.array(data), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int32)),
                            shape=(n, n))


def _hermitian_csr(rng, n=12):
    """Complex Hermitian positive definite (diagonally dominant), the complex case of the CSR kernels."""
    from scipy import sparse

    dense = np.where(rng.random((n, n)) < 0.3, rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)), 0)
    dense = dense + dense.conj().T
    np.fill_diagonal(dense, 8.0)
    return sparse.csr_array(dense)


OPERATORS = {
    "csr-2d": lambda rng: as_sor_operator(poisson2d(3, 4, shift=0.2)),
    "csr-hermitian": lambda rng: as_sor_operator(_hermitian_csr(rng), dtype="float-or-complex"),
    "csr-general": lambda rng: as_sor_operator(_general_csr(rng)),
    "stencil-2d": lambda rng: as_sor_operator(LaplacianStencil((3, 4), shift=0.2)),
    "stencil-3d": lambda rng: as_sor_operator(LaplacianStencil((2, 3, 4), diffusion=0.7, shift=0.1)),
}


def _vector(rng, op):
    """A random vector of the operator's kind: complex for a complex matrix."""
    if op.dtype.kind == "c":
        return rng.standard_normal(op.n) + 1j * rng.standard_normal(op.n)
    return rng.standard_normal(op.n)


@pytest.mark.kernel
@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("kind", OPERATORS)
def test_sweep_matches_textbook_sor(kind, forward, fused, rng):
    op = OPERATORS[kind](rng)
    b = _vector(rng, op)
    x_old = _vector(rng, op)
    x_new = x_old if not fused else np.zeros(op.n, op.dtype)
    arrays = op.arrays
    if op.grid.shape[0] == 3:
        assert_kernel_matches_twin(kernels.stencil_sor_sweep, ref.stencil_sor_sweep_twin, arrays[3], arrays[4], b,
                                   x_old, x_new, 1.3, forward, fused)
    else:
        assert_kernel_matches_twin(kernels.csr_sor_sweep, ref.csr_sor_sweep_twin, *arrays[:3], b, x_old, x_new,
                                   1.3, forward, fused)


@pytest.mark.kernel
@pytest.mark.parametrize("kind", OPERATORS)
def test_matvec(kind, rng):
    op = OPERATORS[kind](rng)
    assert_kernel_matches_twin(kernels.matvec, ref.matvec_twin, *op.arrays, _vector(rng, op),
                               np.zeros(op.n, op.dtype))


@pytest.mark.kernel
@pytest.mark.parametrize("kind", OPERATORS)
def test_residual_norm_and_dot(kind, rng):
    op = OPERATORS[kind](rng)
    b, x = _vector(rng, op), _vector(rng, op)
    assert_kernel_matches_twin(kernels.residual_norm2, ref.residual_norm2_twin, *op.arrays, b, x, np.zeros(op.n, op.dtype))
    assert_kernel_matches_twin(kernels.dot, ref.dot_twin, b, x)
    assert_kernel_matches_twin(kernels.norm2, ref.norm2_twin, b)


@pytest.mark.kernel
@pytest.mark.parametrize("sweep", [0, 1, 2])
@pytest.mark.parametrize("kind", ["csr-2d", "csr-hermitian", "stencil-3d"])
@pytest.mark.parametrize("n_sweeps, track", [(1, True), (7, True), (400, True), (7, False)])
def test_sor_iterate(kind, sweep, n_sweeps, track, rng):
    op = OPERATORS[kind](rng)
    b = _vector(rng, op)
    tol2 = (1e-6 * np.linalg.norm(b)) ** 2

    def kernel(*args):  # the work buffer's final content is not part of the contract
        return kernels.sor_iterate(*args[:7], np.empty(op.n, op.dtype), *args[7:])

    def twin(*args):
        return ref.sor_iterate_twin(*args[:7], None, *args[7:])

    assert_kernel_matches_twin(kernel, twin, *op.arrays, b, np.zeros(op.n, op.dtype), 1.2, sweep, tol2, n_sweeps,
                               np.zeros(n_sweeps + 1), 0, track, rtol=1e-10, atol=1e-13)


@pytest.mark.kernel
def test_sor_iterate_reports_divergence():
    from scipy import sparse

    op = as_sor_operator(sparse.csr_array(np.array([[1.0, 3.0], [3.0, 1.0]])))
    residuals = np.zeros(3001)
    with np.errstate(over="ignore", invalid="ignore"):  # the pure-Python run (NUMBA_DISABLE_JIT) overflows loudly
        k, status = kernels.sor_iterate(*op.arrays, np.ones(2), np.zeros(2), np.zeros(2), 1.5, 0, 0.0, 3000,
                                        residuals, 0, True)
    assert status == kernels.DIVERGED and k < 3000 and not np.isfinite(residuals[k])


@pytest.mark.kernel
@pytest.mark.parametrize("kind", OPERATORS)
def test_ssor_apply_is_the_ssor_matrix_inverse(kind, rng):
    op = OPERATORS[kind](rng)
    assert_kernel_matches_twin(kernels.ssor_apply, ref.ssor_apply_twin, *op.arrays, _vector(rng, op),
                               np.zeros(op.n, op.dtype), 1.4, rtol=1e-11)


@pytest.mark.kernel
@pytest.mark.parametrize("kind", ["csr-2d", "csr-hermitian", "stencil-2d", "stencil-3d"])
def test_ssor_cg_iterate(kind, rng):
    op = OPERATORS[kind](rng)
    b = _vector(rng, op)
    work = [np.zeros(op.n, op.dtype) for _ in range(4)]
    assert_kernel_matches_twin(kernels.ssor_cg_iterate, ref.ssor_cg_iterate_twin, *op.arrays, b,
                               np.zeros(op.n, op.dtype), *work, np.zeros(1), 1.3, (1e-10 * np.linalg.norm(b)) ** 2, 100,
                               np.zeros(101), 0, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("shape", [(7, 9), (4, 5, 6), (1, 9), (9, 1)])
@pytest.mark.parametrize("forward", [True, False])
def test_stencil_and_csr_sweeps_are_bitwise_equal(shape, forward, rng):
    """The matrix-free kernel sums in the CSR kernel's order: same iterates to the last bit."""
    stencil = LaplacianStencil(shape, diffusion=1.3, shift=-0.2)
    csr = as_sor_operator(stencil.tocsr())
    grid = as_sor_operator(stencil)
    b = rng.standard_normal(csr.n)
    x_old = rng.standard_normal(csr.n)
    for fused in (True, False):
        outs = []
        for op in (csr, grid):
            x_new = np.zeros(csr.n) if fused else x_old.copy()
            res2 = kernels.sor_sweep(*op.arrays, b, x_old if fused else x_new, x_new, 1.7, forward, fused)
            outs.append((x_new, res2))
        np.testing.assert_array_equal(outs[0][0], outs[1][0])
        assert outs[0][1] == outs[1][1]
    if len(shape) == 3:
        csr3 = as_sor_operator(poisson3d(4, shift=0.5))
        assert (LaplacianStencil((4, 4, 4), shift=0.5).tocsr() != csr3.source).nnz == 0
