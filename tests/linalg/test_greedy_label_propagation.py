"""Label propagation by greedy coordinate descent: the closed-form harmonic solution, rules, kernel twin, bad input."""

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import spsolve

from sparsekit._core._testing import assert_kernel_matches_twin, readonly
from sparsekit.linalg import greedy_label_propagation
from sparsekit.linalg._coordinate._label_propagation_kernels import sparse_quadratic_cd, sparse_quadratic_cd_twin


def _knn_graph(n=300, k=5, seed=0):
    """Two noisy moons, a symmetric k-nearest-neighbour graph with Gaussian weights, 10 labelled nodes."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    side = np.arange(n) % 2
    pts = np.c_[np.cos(t) + side, np.sin(t) * (1 - 2 * side) + 0.5 * side] + 0.1 * rng.standard_normal((n, 2))
    d2 = ((pts[:, None] - pts[None]) ** 2).sum(-1)
    nearest = np.argsort(d2, axis=1)[:, 1:k + 1]
    rows = np.repeat(np.arange(n), k)
    W = sparse.csr_array((np.exp(-d2[rows, nearest.ravel()] / 0.1), (rows, nearest.ravel())), shape=(n, n))
    W = sparse.csr_array(W.maximum(W.T))
    labeled = np.r_[rng.choice(np.flatnonzero(side == 0), 5, replace=False),
                    rng.choice(np.flatnonzero(side == 1), 5, replace=False)]
    return W, np.where(side[labeled] == 0, -1.0, 1.0), labeled, side


def _harmonic(W, y, labeled, eps=0.0):
    n = W.shape[0]
    L = sparse.csr_array(sparse.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)
    U = np.setdiff1d(np.arange(n), labeled)
    f = np.zeros(n)
    f[labeled] = y
    f[U] = spsolve(sparse.csc_array(L[U][:, U] + eps * sparse.eye_array(len(U))), -(L[U][:, labeled] @ y))
    return f


@pytest.mark.parametrize("rule", ["gsl", "gs", "cyclic"])
def test_matches_the_closed_form(rule):
    W, y, labeled, side = _knn_graph()
    res = greedy_label_propagation(W, y, labeled, rule=rule, eps=0.05, tol=1e-10)
    exact = _harmonic(W, y, labeled, eps=0.05)
    assert res.converged
    np.testing.assert_allclose(res.x, exact, atol=1e-7)
    np.testing.assert_array_equal(res.x[labeled], y)
    assert np.mean((res.x > 0) == (side == 1)) > 0.8


def test_greedy_rules_need_fewer_updates_than_cyclic():
    W, y, labeled, _ = _knn_graph(seed=1)
    updates = {rule: greedy_label_propagation(W, y, labeled, rule=rule, eps=1e-3, tol=1e-4).n_updates
               for rule in ("gsl", "gs", "cyclic")}
    assert updates["gsl"] < updates["cyclic"] and updates["gs"] < updates["cyclic"]


def test_dense_input_and_objective():
    W, y, labeled, _ = _knn_graph(n=60, seed=2)
    mask = np.zeros(60, dtype=bool)
    mask[labeled] = True
    res = greedy_label_propagation(W.toarray(), y[np.argsort(labeled)], mask, eps=1e-3, tol=1e-12)
    f = res.x
    Wd = W.toarray()
    unl = ~mask
    objective = 0.25 * np.sum(Wd * (f[:, None] - f[None]) ** 2) + 0.5e-3 * np.sum(f[unl] ** 2)
    assert res.objective == pytest.approx(objective, rel=1e-10)


@pytest.mark.parametrize("rule", [0, 1, 2])
def test_kernel_matches_twin(rule):
    W, y, labeled, _ = _knn_graph(n=80, seed=3)
    U = np.setdiff1d(np.arange(80), labeled)
    L = sparse.csr_array(sparse.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)
    H = sparse.csr_array(L[U][:, U] + 1e-2 * sparse.eye_array(len(U)))
    H.sort_indices()
    grad = L[U][:, labeled] @ y
    assert_kernel_matches_twin(sparse_quadratic_cd, sparse_quadratic_cd_twin, readonly(H.indptr),
                               readonly(H.indices), readonly(H.data), readonly(H.diagonal()), grad,
                               np.zeros(len(U)), rule, 500, 1e-9, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("change,naming", [
    (lambda W, y, lab: (W[:, :-1], y, lab), "W"),
    (lambda W, y, lab: (W + 2 * sparse.eye_array(W.shape[0]) + sparse.csr_array(([1.0], ([0], [1])), W.shape),
                        y, lab), "symmetric"),
    (lambda W, y, lab: (W, y[:-1], lab), "y"),
    (lambda W, y, lab: (W, y, np.r_[lab[:-1], lab[0]]), "labeled"),
    (lambda W, y, lab: (W, y, np.r_[lab[:-1], 10**6]), "labeled"),
])
def test_bad_input(change, naming):
    W, y, labeled, _ = _knn_graph(n=40, seed=4)
    with pytest.raises(ValueError, match=naming):
        greedy_label_propagation(*change(W, y, labeled))


def test_isolated_unlabelled_node_needs_eps():
    W = sparse.csr_array(sparse.diags_array([np.ones(3), np.ones(3)], offsets=[-1, 1]).toarray())
    W = sparse.block_diag([W, sparse.csr_array((1, 1))], format="csr")
    with pytest.raises(ValueError, match="eps"):
        greedy_label_propagation(W, [1.0], [0])
    res = greedy_label_propagation(W, [1.0], [0], eps=1e-3, tol=1e-12)
    assert res.converged and res.x[4] == 0.0
