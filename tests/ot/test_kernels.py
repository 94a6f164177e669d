"""Every numba kernel of sparsekit.ot against its NumPy twin (small inputs: these also run without JIT)."""

import numpy as np
import pytest
from scipy import sparse

from sparsekit._core._testing import assert_kernel_matches_twin, readonly
from sparsekit.ot import _newton_kernels as sns
from sparsekit.ot import _sinkhorn_kernels as sk
from sparsekit.ot import _sparse_ot_kernels as sparse_kernels

from . import _reference as ref

pytestmark = pytest.mark.kernel


@pytest.fixture
def entropic(rng):
    """A small cost (float64, read-only) and potentials giving plan entries over many magnitudes."""
    M = readonly(rng.random((7, 9)))
    F = rng.standard_normal(7)
    G = rng.standard_normal(9)
    return M, F, G, np.float64(1.0 / 0.05)


def test_fast_exp_is_accurate_over_the_whole_range():
    x = np.concatenate([np.linspace(-708.0, 709.0, 2001), [-1e-300, 0.0, 1e-300, -0.5, 0.5]])
    out = np.empty_like(x)
    sk.exp_array(readonly(x), out)
    np.testing.assert_allclose(out, np.exp(x), rtol=3e-14, atol=0)


def test_fast_exp_underflows_to_zero_and_saturates(rng):
    x = np.array([-1e4, -709.0, -708.5, 710.0, 1e4])
    assert_kernel_matches_twin(sk.exp_array, ref.exp_array, x, np.empty(5), rtol=3e-14)
    out = np.empty(5)
    sk.exp_array(x, out)
    assert out[0] == out[1] == out[2] == 0.0 and np.isfinite(out).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_marginal_kernels(entropic, dtype):
    M, F, G, inv = entropic
    M = readonly(M.astype(dtype))
    assert_kernel_matches_twin(sk.row_sums, ref.row_sums, M, F, G, inv, np.empty(7), rtol=1e-13)
    assert_kernel_matches_twin(sk.col_sums, ref.col_sums, M, F, G, inv, np.empty(9), rtol=1e-13)
    assert_kernel_matches_twin(
        sk.plan_sums_and_cost, ref.plan_sums_and_cost, M, F, G, inv, np.empty(7), np.empty(9), rtol=1e-13
    )


def test_log_sum_exp_kernels_survive_huge_exponents(entropic):
    M, F, G, _ = entropic
    inv = 1e5  # exp(-M / reg) underflows everywhere: the max must be subtracted first
    rows = np.array([0, 3, 6], dtype=np.int64)
    assert_kernel_matches_twin(sk.row_lse, ref.row_lse, M, G, inv, rows, np.empty(3), rtol=1e-13)
    assert_kernel_matches_twin(sk.col_lse, ref.col_lse, M, F, inv, np.empty(9), rtol=1e-13)
    out = np.empty(9)
    sk.col_lse(M, F, inv, out)
    assert np.isfinite(out).all()


def test_plan_kernels(entropic, rng):
    M, F, G, inv = entropic
    assert_kernel_matches_twin(sk.fill_plan, ref.fill_plan, M, F, G, inv, np.empty((7, 9)), rtol=1e-13)
    x = readonly(rng.standard_normal((9, 2)))
    y = readonly(rng.standard_normal((7, 3)))
    assert_kernel_matches_twin(sk.plan_matvec, ref.plan_matvec, M, F, G, inv, x, np.empty((7, 2)), rtol=1e-12)
    assert_kernel_matches_twin(sk.plan_rmatvec, ref.plan_rmatvec, M, F, G, inv, y, np.empty((9, 3)), rtol=1e-12)
    for level in (-50.0, -3.0, 0.0, 2.0):
        assert_kernel_matches_twin(sk.count_at_least, ref.count_at_least, M, F, G, inv, level)


def _cleared_past_count(kernel):
    """The candidate kernel, its three candidate buffers cleared past the count (that tail is its scratch space)."""

    def run(*args):
        total, found = kernel(*args)
        for buffer in args[-3:]:
            buffer[found:] = 0
        return total, found

    return run


@pytest.mark.parametrize("capacity", [64, 5])
def test_sums_and_candidates(entropic, capacity):
    M, F, G, inv = entropic
    assert_kernel_matches_twin(
        _cleared_past_count(sns.sums_and_candidates), ref.sums_and_candidates, M, F, G, inv, -2.0, np.empty(7),
        np.empty(9),
        np.zeros(capacity, np.int32), np.zeros(capacity, np.int32), np.zeros(capacity), rtol=1e-13,
    )


@pytest.mark.parametrize("capacity", [64, 5])
def test_kernel_sums_and_candidates(entropic, capacity, rng):
    M, F, G, inv = entropic
    K = np.exp(F[:, None] + G[None, :] - M * inv)
    u, v = readonly(np.exp(rng.uniform(-3, 3, 7))), readonly(np.exp(rng.uniform(-3, 3, 9)))
    assert_kernel_matches_twin(
        _cleared_past_count(sns.kernel_sums_and_candidates), ref.kernel_sums_and_candidates, readonly(K), u, v, np.exp(-2.0),
        np.empty(7), np.empty(9), np.zeros(capacity, np.int32), np.zeros(capacity, np.int32), np.zeros(capacity),
        rtol=1e-13,
    )


@pytest.mark.parametrize(
    ("drop_fraction", "max_kept", "n_bins", "enough"),
    [(0.5, 40, 7, True), (0.05, 40, 28, True), (0.05, 12, 12, False), (1e-6, 40, 40, False), (0.05, 0, 1, False)],
)
def test_keep_largest(drop_fraction, max_kept, n_bins, enough):
    # a 5 x 8 plan whose 40 candidates fall one per bin of 0.1 nats below the largest; the mass exceeds theirs
    flat = np.arange(40)
    logs = np.where(flat == 0, 0.0, -0.1 * (flat + 0.5))
    total = 1.001 * float(np.exp(logs).sum())
    args = (
        flat // 8, flat % 8, logs, total, drop_fraction * total, max_kept, 0.1,
        np.zeros(6, np.int64), np.zeros(40, np.int32), np.zeros(40),
    )
    args = tuple(readonly(x.astype(np.int32)) for x in args[:2]) + (readonly(logs),) + args[3:]
    assert sns.keep_largest(*args[:7], *(x.copy() for x in args[7:]))[::2] == (n_bins, enough)
    assert_kernel_matches_twin(sns.keep_largest, ref.keep_largest, *args, rtol=1e-15)


def test_schur_cg_solves_the_schur_complement(rng):
    P = sparse.random(6, 8, density=0.4, random_state=1, format="csr") + sparse.eye(6, 8, format="csr")
    P = sparse.csr_array(P)
    row_diag = np.asarray(P.sum(axis=1)).ravel() + 0.01
    col_diag = np.asarray(P.sum(axis=0)).ravel() + 0.01
    rhs = rng.standard_normal(8)
    x = np.empty(8)
    n_iter, residual = sns.schur_cg(
        readonly(P.indptr), readonly(P.indices), readonly(P.data), row_diag, col_diag, rhs, 1e-13, 100, x
    )
    expected = ref.schur_solve(P.indptr, P.indices, P.data, row_diag, col_diag, rhs)
    np.testing.assert_allclose(x, expected, rtol=1e-10)
    assert 0 < n_iter <= 8 + 2 and residual <= 1e-13


@pytest.mark.parametrize("k", [1, 2, 4])
def test_topk_dual(rng, k):
    CT = readonly(rng.random((6, 5)))
    alpha = rng.random(5) * 0.8
    beta = rng.random(6) * 0.8
    size = 6 * k
    assert_kernel_matches_twin(
        sparse_kernels.topk_dual, ref.topk_dual, CT, alpha, beta, 0.1, k, np.empty(5), np.empty(6),
        np.zeros(size, np.int64), np.zeros(size, np.int64), np.zeros(size), rtol=1e-13,
    )


@pytest.mark.parametrize("k", [1, 2, 5])
def test_topk_semidual(rng, k):
    CT = readonly(rng.random((6, 5)))
    alpha = rng.random(5)
    b = rng.random(6) + 0.1
    size = 6 * k
    assert_kernel_matches_twin(
        sparse_kernels.topk_semidual, ref.topk_semidual, CT, alpha, b, 0.1, k, np.empty(5),
        np.zeros(size, np.int64), np.zeros(size, np.int64), np.zeros(size), rtol=1e-12,
    )


def test_topk_ties_go_to_the_lower_row():
    CT = np.zeros((1, 4))
    alpha = np.array([1.0, 2.0, 2.0, 2.0])
    rows = np.zeros(2, np.int64)
    sparse_kernels.topk_dual(CT, alpha, np.zeros(1), 1.0, 2, np.empty(4), np.empty(1), rows, np.zeros(2, np.int64),
                             np.zeros(2))
    assert rows.tolist() == [1, 2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scaling_update(rng, dtype):
    products = readonly(rng.random(8).astype(dtype) + 0.1)
    scaling = rng.random(8).astype(dtype)
    targets = rng.random(8)
    assert_kernel_matches_twin(sk.scaling_update, ref.scaling_update, products, scaling, targets, 1e-30, 1e30,
                               np.empty(8, dtype=dtype), rtol=1e-6 if dtype == np.float32 else 1e-13)
    products = products.copy()
    products[3] = 0.0  # an underflowed product: unsafe, never a division by zero
    assert_kernel_matches_twin(sk.scaling_update, ref.scaling_update, products, scaling, targets, 1e-30, 1e30,
                               np.empty(8, dtype=dtype), rtol=1e-6 if dtype == np.float32 else 1e-13)


def test_log_update(rng):
    sums = rng.random(9) + 0.01
    sums[[2, 5]] = [0.0, np.inf]
    potentials, targets = rng.standard_normal(9), rng.random(9)
    out = np.empty(9)
    assert_kernel_matches_twin(sk.log_update, ref.log_update, readonly(sums), potentials, targets, np.log(targets),
                               1e-280, 1e280, out, rtol=1e-13)
