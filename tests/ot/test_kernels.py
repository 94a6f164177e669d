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


def test_scale_kernel_to_plan(entropic, rng):
    M, F, G, inv = entropic
    K = np.exp(F[:, None] + G[None, :] - M * inv)
    u, v = readonly(np.exp(rng.uniform(-3, 3, 7))), readonly(np.exp(rng.uniform(-3, 3, 9)))
    assert_kernel_matches_twin(sk.scale_kernel_to_plan, ref.scale_kernel_to_plan, K, u, v, M, np.empty(7),
                               np.empty(9), rtol=1e-13)


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


def _one_per_bin(size):
    """``size`` plan values one per bin of keep_largest (1/8 of an octave), from 1.0 down."""
    k = np.arange(size, dtype=np.int64)
    bits = np.where(k == 0, np.float64(1.0).view(np.int64), np.float64(1.0).view(np.int64) - (k << 49) - (1 << 48))
    return bits.view(np.float64)


@pytest.mark.parametrize(
    ("drop_fraction", "max_kept", "n_bins", "enough"),
    [(0.5, 40, 8, True), (0.05, 40, 30, True), (0.05, 12, 12, False), (1e-6, 40, 40, False), (0.05, 0, 1, False)],
)
def test_keep_largest(drop_fraction, max_kept, n_bins, enough):
    # a 5 x 8 plan whose 40 candidates fall one per bin below the largest; the mass exceeds theirs
    flat = np.arange(40)
    values = _one_per_bin(40)
    total = 1.001 * float(values.sum())
    # the expected bin count: the first prefix of the sorted values whose dropped mass meets the tolerance
    dropped = total - np.cumsum(values)
    meets = np.flatnonzero(dropped[:max(max_kept, 1)] <= drop_fraction * total)
    assert (meets[0] + 1 if meets.size else max(max_kept, 1), bool(meets.size)) == (n_bins, enough)
    args = (
        flat // 8, flat % 8, values, total, drop_fraction * total, max_kept,
        np.zeros(6, np.int64), np.zeros(40, np.int32), np.zeros(40),
    )
    args = tuple(readonly(x.astype(np.int32)) for x in args[:2]) + (readonly(values),) + args[3:]
    got = sns.keep_largest(*args[:6], *(x.copy() for x in args[6:]))
    assert (got[0], got[2]) == (n_bins, enough)
    # every kept value is at least the floor, every dropped one below it
    assert values[n_bins - 1] >= got[1] > (values[n_bins] if n_bins < 40 else 0.0)
    assert_kernel_matches_twin(sns.keep_largest, ref.keep_largest, *args, rtol=1e-15)


def test_schur_cg_solves_the_newton_system(rng):
    P = sparse.random(6, 8, density=0.4, random_state=1, format="csr") + sparse.eye(6, 8, format="csr")
    P = sparse.csr_array(P)
    row_diag = np.asarray(P.sum(axis=1)).ravel() + 0.01
    col_diag = np.asarray(P.sum(axis=0)).ravel() + 0.01
    grad_rows, grad_cols = rng.standard_normal(6), rng.standard_normal(8)
    d_rows, d_cols = np.empty(6), np.empty(8)
    n_iter, residual = sns.schur_cg(
        readonly(P.indptr), readonly(P.indices), readonly(P.data), row_diag, col_diag, readonly(grad_rows),
        readonly(grad_cols), 1e-13, 100, d_rows, d_cols,
    )
    expected = ref.newton_solve(P.indptr, P.indices, P.data, row_diag, col_diag, grad_rows, grad_cols)
    np.testing.assert_allclose(np.concatenate([d_rows, d_cols]), expected, rtol=1e-10)
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
