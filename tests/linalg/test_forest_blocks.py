"""Forest-structured blocks of greedy_label_propagation: kernel twins, tree solve vs dense solve, the solver."""

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse import csgraph
from scipy.sparse.linalg import spsolve

from sparsekit._core._testing import assert_kernel_matches_twin, readonly
from sparsekit.linalg import greedy_label_propagation
from sparsekit.linalg._coordinate import _forest_kernels as K


def lattice(side=12, n_labeled=10, seed=0):
    """A ``side x side`` lattice with uniform(0.1, 1) weights, ``n_labeled`` random nodes labelled -1/+1."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    rows = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    cols = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    W = sparse.coo_array((rng.uniform(0.1, 1.0, len(rows)), (rows, cols)), shape=(side * side,) * 2).tocsr()
    labeled = rng.choice(side * side, n_labeled, replace=False)
    return W + W.T, rng.choice([-1.0, 1.0], n_labeled), labeled


def _hessian(seed=0, side=8, eps=0.05):
    W, _, _ = lattice(side, 1, seed)
    H = sparse.csr_array(sparse.diags_array(np.asarray(W.sum(axis=1)).ravel() + eps) - W)
    H.sort_indices()
    return H


def _is_forest(H, block):
    sub = sparse.csr_array(H[block][:, block] - sparse.diags_array(H[block][:, block].diagonal()))
    sub.eliminate_zeros()
    return sub.nnz // 2 == len(block) - csgraph.connected_components(sub, directed=False)[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grow_forest_matches_twin(seed):
    H = _hessian(seed)
    order = np.random.default_rng(seed).permutation(H.shape[0]).astype(np.int64)
    assert_kernel_matches_twin(K.grow_forest, K.grow_forest_twin, readonly(H.indptr), H.indices, order, 40)
    block = K.grow_forest(H.indptr, H.indices, order, H.shape[0])
    assert _is_forest(H, block) and len(block) > H.shape[0] // 2


@pytest.mark.parametrize("seed", [0, 1])
def test_tree_solve_matches_dense_solve(seed):
    H = _hessian(seed)
    rng = np.random.default_rng(seed)
    block = K.grow_forest(H.indptr, H.indices, rng.permutation(H.shape[0]).astype(np.int64), H.shape[0])
    rhs = rng.standard_normal(len(block))
    assert_kernel_matches_twin(K.forest_solve, K.forest_solve_twin, H.indptr, H.indices, H.data, H.diagonal(),
                               block, rhs, rtol=1e-10, atol=1e-12)


def test_tree_solve_of_a_singular_tree_is_consistent():
    # A path's Laplacian is singular; the root of the tree is left at 0, and H d = rhs still holds.
    H = sparse.csr_array(sparse.diags_array([np.full(4, -1.0), [1.0, 2, 2, 2, 1], np.full(4, -1.0)],
                                            offsets=[-1, 0, 1]))
    rhs = np.array([1.0, -2.0, 0.5, 0.25, 0.25])
    d = K.forest_solve(H.indptr, H.indices, H.data, H.diagonal(), np.arange(5), rhs)
    np.testing.assert_allclose(H @ d, rhs, atol=1e-12)


@pytest.mark.parametrize("mode,rule", [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)])
def test_forest_bcd_matches_twin(mode, rule):
    H = _hessian(3, side=6)
    rng = np.random.default_rng(3)
    x = np.zeros(H.shape[0])
    grad = rng.standard_normal(H.shape[0])
    ptr, idx = K.forest_partition(H.indptr, H.indices)
    # Greedy forests: one step, since after it the block's gradients are rounding noise whose order differs
    # between the tree solve and the dense one (and with it the next forest).
    budget = 1 if mode == 1 else 3 * H.shape[0]
    assert_kernel_matches_twin(K.forest_bcd, K.forest_bcd_twin, H.indptr, H.indices, H.data, H.diagonal(), grad,
                               x, mode, rule, ptr, idx, budget, 1e-12, rtol=1e-8, atol=1e-10)


def test_partition_covers_the_lattice_with_few_forests():
    H = _hessian(4, side=10)
    ptr, idx = K.forest_partition(H.indptr, H.indices)
    assert np.array_equal(np.sort(idx), np.arange(100)) and len(ptr) - 1 <= 3
    assert all(_is_forest(H, idx[a:c]) for a, c in zip(ptr[:-1], ptr[1:]))


@pytest.mark.parametrize("blocks,rule", [("forests", "gsl"), ("forests", "cyclic"), ("greedy-forest", "gs")])
def test_forest_blocks_solve_the_harmonic_problem_in_few_steps(blocks, rule):
    W, y, labeled = lattice(20, 20)
    res = greedy_label_propagation(W, y, labeled, blocks=blocks, rule=rule, tol=1e-10, max_epochs=10_000)
    coordinate = greedy_label_propagation(W, y, labeled, tol=1e-10, max_epochs=10_000)
    L = sparse.csr_array(sparse.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)
    U = np.setdiff1d(np.arange(400), labeled)
    exact = spsolve(sparse.csc_array(L[U][:, U]), -(L[U][:, labeled] @ y))
    assert res.converged
    np.testing.assert_allclose(res.x[U], exact, atol=1e-7)
    # Measured: forests of about half the nodes each need ~1/1000 the steps of single coordinates; margin 100.
    assert res.n_steps * 100 < coordinate.n_steps


def test_greedy_forest_needs_a_greedy_rule():
    W, y, labeled = lattice(5, 3)
    with pytest.raises(ValueError, match="greedy-forest"):
        greedy_label_propagation(W, y, labeled, blocks="greedy-forest", rule="cyclic")
