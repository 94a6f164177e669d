"""Vecchia building blocks: every numba kernel against its NumPy twin, orderings, the KL-optimal factor."""

import numpy as np
import pytest
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, RationalQuadratic, WhiteKernel

from sparsekit._core._testing import assert_kernel_matches_twin, readonly
from sparsekit.learn.gaussian_process import _factor_kernels as fk
from sparsekit.learn.gaussian_process import _fused_kernels as fk_fused
from sparsekit.learn.gaussian_process import _ordering_kernels as ok
from sparsekit.learn.gaussian_process import maximin_ordering, nearest_earlier_neighbors, sparse_inverse_cholesky
from sparsekit.learn.gaussian_process._kernel_blocks import block_kernel, weighted_gradient


def _rank(order):
    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(order.size)
    return rank


def test_maximin_matches_twin(rng):
    X = rng.random((400, 3))
    assert_kernel_matches_twin(ok.maximin_kernel, ok.maximin_twin, readonly(X))


def test_maximin_is_greedy_farthest_point_and_non_increasing(rng):
    X = rng.random((300, 2))
    order, distances = maximin_ordering(X)
    assert np.array_equal(np.sort(order), np.arange(300))
    assert np.all(np.diff(distances) <= 1e-15)
    for j in (5, 50, 299):  # the j-th pick is the farthest point from the first j
        gaps = np.min(np.linalg.norm(X[:, None] - X[order[:j]][None], axis=2), axis=1)
        assert distances[j] == pytest.approx(gaps.max(), rel=1e-12)


@pytest.mark.parametrize("n", [300, 5000])  # a scan below BRUTE_FORCE_SIZE, the KD-tree above
def test_earlier_neighbors_match_twin(rng, n):
    X = rng.random((n, 2))
    rank = _rank(rng.permutation(n))
    queries = slice(0, 400)
    for radius2 in (np.full(400, np.inf), rng.random(400) * 0.01):  # no radius; the rho rule's radii
        for k in (7, 12):  # the scan bounds the k-th distance from a sample from k = 8 on
            assert_kernel_matches_twin(ok.earlier_neighbors_kernel, ok.earlier_neighbors_twin,
                                       X, rank, X[queries], rank[queries], k, radius2)


def test_kdtree_partitions_the_points(rng):
    X = rng.random((1000, 3))
    perm, start, end, left, right, lo, hi = ok.build_kdtree(X)
    assert np.array_equal(np.sort(perm), np.arange(1000))
    leaves = left < 0
    assert (end[leaves] - start[leaves]).max() <= ok.LEAF_SIZE
    for v in range(start.size):
        inside = X[perm[start[v]:end[v]]]
        assert np.all(inside >= lo[v]) and np.all(inside <= hi[v])


def test_nearest_earlier_neighbors_respects_the_order(rng):
    X = rng.random((200, 2))
    order, _ = maximin_ordering(X)
    neighbors = nearest_earlier_neighbors(X, order, 6)
    rank = _rank(order)
    for i in range(200):
        found = neighbors[i][neighbors[i] >= 0]
        assert found.size == min(6, rank[i])
        assert np.all(rank[found] < rank[i])


def test_factor_kernels_match_twins(rng):
    Xb = rng.random((20, 8, 3))
    A = Xb @ Xb.transpose(0, 2, 1) + 0.1 * np.eye(8)
    A[3] = np.ones((8, 8))  # singular: needs the jitter
    Y = rng.standard_normal((20, 8))
    assert_kernel_matches_twin(fk.kl_factor_columns, fk.kl_factor_columns_twin, A, Y, rtol=1e-6, atol=1e-9)
    inv_scale = np.array([1.0, 2.0, 0.5])
    assert_kernel_matches_twin(fk.scaled_sqdist, fk.scaled_sqdist_twin, Xb, inv_scale, atol=1e-14)
    W = rng.standard_normal((20, 8, 8))
    for code in range(4):
        for with_gradient in (False, True):
            assert_kernel_matches_twin(fk.radial_blocks, fk.radial_blocks_twin, Xb, inv_scale, code, with_gradient,
                                       rtol=1e-12, atol=1e-14)
        for anisotropic in (False, True):
            assert_kernel_matches_twin(fk.radial_weighted_gradient, fk.radial_weighted_gradient_twin, Xb,
                                       inv_scale, code, W, anisotropic, rtol=1e-10)


KERNELS = [
    ConstantKernel(2.0) * Matern([0.3, 0.5, 0.4], nu=1.5) + WhiteKernel(0.01),
    ConstantKernel() * RationalQuadratic(0.4, 2.0) + WhiteKernel(0.1),
    RBF(0.5) * Matern(0.7, nu=0.5) + WhiteKernel(0.1),
    Matern(0.4, nu=2.5) + WhiteKernel(0.1, noise_level_bounds="fixed"),
    RBF([0.3, 0.4, 0.5]),
    Matern(0.4, nu=0.7) + WhiteKernel(0.1),  # general nu: one scikit-learn call per block
]


@pytest.mark.parametrize("kernel", KERNELS, ids=str)
def test_blocks_match_sklearn_kernel_and_gradient(rng, kernel):
    Xb = rng.random((4, 6, 3))
    valid = np.ones((4, 6), dtype=bool)
    valid[0, :2] = False
    K, G = block_kernel(kernel, Xb, valid, eval_gradient=True)
    for b in range(4):
        inner = np.flatnonzero(valid[b])
        k_ref, g_ref = kernel(Xb[b, inner], eval_gradient=True)
        np.testing.assert_allclose(K[b][np.ix_(inner, inner)], k_ref, atol=1e-14)
        np.testing.assert_allclose(G[b][np.ix_(inner, inner)], g_ref, atol=1e-14)
    np.testing.assert_array_equal(K[0, :2, :2], np.eye(2))
    W = rng.standard_normal((4, 6, 6)) * (valid[:, :, None] & valid[:, None, :])
    cache = {}
    block_kernel(kernel, Xb, valid, cache=cache)
    np.testing.assert_allclose(weighted_gradient(kernel, Xb, valid, W, cache), np.einsum("bij,bijp->p", W, G),
                               rtol=1e-12, atol=1e-13)


def test_factor_is_exact_with_all_predecessors_and_improves_with_k(rng):
    X = rng.random((80, 2))
    kernel = Matern(0.3, nu=1.5) + WhiteKernel(0.01)
    K = kernel(X) + 1e-10 * np.eye(80)
    res = sparse_inverse_cholesky(X, kernel, n_neighbors=79)
    np.testing.assert_allclose((res.U @ res.U.T).toarray(), np.linalg.inv(K), rtol=1e-8, atol=1e-8)
    P = np.eye(80)[res.order]  # upper triangular once permuted
    assert np.abs(np.tril(P @ res.U.toarray() @ P.T, -1)).max() == 0.0

    def kl(k):
        U = sparse_inverse_cholesky(X, kernel, n_neighbors=k).U.toarray()
        M = U.T @ K @ U
        return 0.5 * (np.trace(M) - np.linalg.slogdet(M)[1] - 80)

    values = [kl(k) for k in (2, 5, 10, 20)]
    assert np.all(np.diff(values) < 0) and values[-1] < 1e-2 * values[0]


def test_duplicated_inputs_get_a_reported_jitter(rng):
    X = np.repeat(rng.random((30, 2)), 2, axis=0)
    res = sparse_inverse_cholesky(X, RBF(0.5), n_neighbors=5, alpha=0.0)
    assert res.jitter > 0 and np.all(np.isfinite(res.U.data))


def test_affine_radial_blocks_match_twin_and_the_general_path(rng):
    Xb = rng.random((10, 6, 3))
    valid = rng.random((10, 6)) > 0.2
    valid[:, -1] = True
    inv_scale = np.array([1.0, 2.0, 0.5])
    for code in range(4):
        assert_kernel_matches_twin(fk.affine_radial_blocks, fk.affine_radial_blocks_twin, Xb, valid, inv_scale,
                                   code, 1.7, 0.05, rtol=1e-12, atol=1e-15)
    kernel = ConstantKernel(1.7) * Matern([1.0, 0.5, 2.0], nu=1.5) + WhiteKernel(0.05)
    fast = block_kernel(kernel, Xb, valid)
    general = block_kernel(kernel, Xb, valid, cache={})
    np.testing.assert_allclose(fast, general, rtol=1e-13, atol=1e-15)


def test_exp_neg_matches_numpy(rng):
    r = np.concatenate(([0.0, 1e-300, 0.5 * np.log(2), 707.9, 708.0, 800.0, np.inf], rng.random(500) * 40))
    assert_kernel_matches_twin(fk_fused.exp_neg, fk_fused.exp_neg_twin, r, np.empty(r.size), r.size,
                               np.empty(r.size), rtol=1e-13, atol=0.0)


def test_fused_conditionals_match_twin(rng):
    X = rng.random((60, 3))
    X[7] = X[3]  # a duplicate: without noise its block needs the jitter
    y = rng.standard_normal(60)
    Q = np.vstack((rng.random((12, 3)), X[3:4]))
    neighbors = np.stack([rng.permutation(60)[:6] for _ in range(13)])
    neighbors[0, 4:] = -1  # padding is skipped
    neighbors[12, :2] = [3, 7]
    for code in range(4):
        # without noise the duplicate's block is jittered by 1e-10 of its diagonal: condition number 1e10
        for noise, alpha, rtol in ((0.05, 1e-10, 1e-9), (0.0, 0.0, 1e-4)):
            assert_kernel_matches_twin(fk_fused.radial_conditionals, fk_fused.radial_conditionals_twin, X, y, Q,
                                       neighbors, code, 1.7, noise, alpha, alpha, rtol=rtol, atol=1e-9)
    *_, jitter = fk_fused.radial_conditionals(X, y, Q, neighbors, 1, 1.0, 0.0, 0.0, 0.0)
    assert jitter[12] > 0 and np.all(jitter[:12] == 0)


@pytest.mark.parametrize("kernel", [ConstantKernel(1.7) * Matern([0.3, 0.5, 0.4], nu=1.5) + WhiteKernel(0.01),
                                    RBF(0.4), Matern(0.3, nu=0.5) * ConstantKernel(0.5)], ids=str)
def test_fused_path_matches_the_block_path(rng, kernel):
    from sparsekit.learn.gaussian_process._vecchia import conditional, order_and_neighbors, vecchia_loglik

    X, Q = rng.random((150, 3)), rng.random((20, 3))
    y = rng.standard_normal(150)
    _, neighbors = order_and_neighbors(X, kernel, 8)
    fused, jitter = vecchia_loglik(X, y, kernel, neighbors, 1e-6)
    general = vecchia_loglik(X, y, kernel, neighbors, 1e-6, eval_gradient=True)[0]  # the gradient path: blocks
    assert fused == pytest.approx(general, rel=1e-10)
    mean, var, _ = conditional(X, y, kernel, Q, 12, 1e-6)
    mean_ref, var_ref, _, _ = conditional(X, y, kernel, Q, 12, 1e-6, weights=True)
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(var, var_ref, rtol=1e-9)


def test_rho_rule_keeps_neighbors_within_the_radius_and_a_larger_rho_is_closer_to_exact(rng):
    from sparsekit.learn.gaussian_process import vecchia_gp_fit

    X = rng.random((300, 2))
    kernel = Matern(0.3, nu=1.5) + WhiteKernel(1e-4)
    K = kernel(X) + 1e-10 * np.eye(300)
    order, distances = maximin_ordering(X, length_scale=0.3)
    reach = np.empty(300)
    reach[order] = distances

    def kl(rho):
        res = sparse_inverse_cholesky(X, kernel, n_neighbors=100, rho=rho)
        found = res.neighbors >= 0
        gaps = np.linalg.norm(X[np.where(found, res.neighbors, 0)] - X[:, None], axis=2) / 0.3
        assert np.all(gaps[found] <= (rho * reach[:, None] * (1 + 1e-12)).repeat(100, axis=1)[found])
        U = res.U.toarray()
        M = U.T @ K @ U
        return 0.5 * (np.trace(M) - np.linalg.slogdet(M)[1] - 300), found.sum()

    (kl1, nnz1), (kl2, nnz2), (kl3, nnz3) = kl(1.5), kl(2.5), kl(4.0)
    assert kl3 < kl2 < kl1 and nnz1 < nnz2 < nnz3
    y = np.linalg.cholesky(K) @ rng.standard_normal(300)
    exact = -0.5 * (y @ np.linalg.solve(K, y) + np.linalg.slogdet(K)[1] + 300 * np.log(2 * np.pi))
    gaps = [abs(vecchia_gp_fit(X, y, kernel, n_neighbors=100, rho=rho, alpha=1e-10, optimizer=None).log_likelihood
                - exact) for rho in (1.5, 4.0)]
    assert gaps[1] < gaps[0]
    with pytest.raises(ValueError, match="rho"):
        sparse_inverse_cholesky(X, kernel, rho=0.5)
