import warnings

import numpy as np
import pytest

from sparsekit import ConvergenceWarning
from sparsekit._core._testing import assert_kernel_matches_twin, assert_rejects, readonly
from sparsekit.datasets import make_linear_sem
from sparsekit.learn.dag import TopoSwap, colide, metrics, sem_score, topo_swap, topological_order
from sparsekit.learn.dag import _topo_kernels as kernels
from sparsekit.learn.dag._topo import _apply_greedy, default_candidate_sizes

from . import _reference as twin


def _covariance(X):
    centred = X - X.mean(axis=0)
    return centred.T @ centred / X.shape[0]


@pytest.mark.kernel
def test_ordered_cholesky_rows_matches_twin():
    X, _ = make_linear_sem(200, 9, 14, random_state=0)
    cov = _covariance(X)
    order = np.random.default_rng(0).permutation(9)
    L, residual_var = np.zeros((9, 9)), np.zeros(9)
    kernels.ordered_cholesky_rows(cov, order, L, residual_var, 0, 4, 1e-12)
    assert_kernel_matches_twin(kernels.ordered_cholesky_rows, twin.ordered_cholesky_rows, cov, order, L,
                               residual_var, 4, 9, 1e-12, rtol=1e-10, atol=1e-13)
    kernels.ordered_cholesky_rows(readonly(cov), readonly(order), L, residual_var, 0, 9, 1e-12)


@pytest.mark.kernel
def test_swap_scores_matches_twin():
    X, _ = make_linear_sem(200, 9, 14, random_state=1)
    cov = _covariance(X)
    order = np.random.default_rng(1).permutation(9)
    L, residual_var = np.zeros((9, 9)), np.zeros(9)
    kernels.ordered_cholesky_rows(cov, order, L, residual_var, 0, 9, 1e-12)
    lows, highs = np.triu_indices(9, k=1)
    assert_kernel_matches_twin(kernels.swap_scores, twin.swap_scores, cov, order, L, residual_var, lows,
                               highs, 1e-12, rtol=1e-9, atol=1e-12)


@pytest.mark.kernel
def test_regression_and_path_weights_match_twins():
    X, _ = make_linear_sem(200, 8, 12, random_state=6)
    L = np.linalg.cholesky(_covariance(X))
    assert_kernel_matches_twin(kernels.regression_weights, twin.regression_weights, L, rtol=1e-10, atol=1e-13)
    A = np.triu(np.random.default_rng(6).uniform(0, 0.9, (8, 8)), 1)
    assert_kernel_matches_twin(kernels.path_weights, twin.path_weights, A, rtol=1e-10, atol=1e-13)
    kernels.regression_weights(readonly(L))


def test_inner_level_is_least_squares_on_the_predecessors():
    X, _ = make_linear_sem(300, 7, 10, random_state=2)
    order = np.array([3, 0, 6, 1, 5, 2, 4])
    with pytest.warns(ConvergenceWarning):
        result = topo_swap(X, order, max_iter=1, w_threshold=0.0)
    # Rebuild the regressions of the initial order by lstsq and compare the initial score.
    centred = X - X.mean(axis=0)
    expected = np.zeros((7, 7))
    for k in range(1, 7):
        parents, child = order[:k], order[k]
        expected[parents, child] = np.linalg.lstsq(centred[:, parents], centred[:, child], rcond=None)[0]
    assert result.initial_score == pytest.approx(sem_score(X, expected))
    # The final weights are the regressions of the final order, and adjacency thresholds them.
    final_order = result.order
    for k in range(1, 7):
        coef = np.linalg.lstsq(centred[:, final_order[:k]], centred[:, final_order[k]], rcond=None)[0]
        np.testing.assert_allclose(result.weights[final_order[:k], final_order[k]], coef, atol=1e-10)
    assert result.score == pytest.approx(sem_score(X, result.weights))


@pytest.mark.parametrize("seed", range(3))
def test_search_from_a_random_order_never_increases_the_score(seed):
    X, W = make_linear_sem(1000, 12, 24, random_state=seed)
    result = topo_swap(X, random_state=seed)
    assert np.all(np.diff(result.score_history) < 0) and result.n_iter == result.score_history.size - 1
    assert result.converged and result.status == 0 and result.n_swaps >= result.n_iter
    assert metrics.structural_hamming_distance(W, result.adjacency) == 0
    position = np.argsort(result.order)
    rows, cols = np.nonzero(result.weights)
    assert np.all(position[rows] < position[cols])


def test_refining_a_learner_never_increases_its_score():
    for seed, noise_scale in [(3, 1.0), (4, "heteroscedastic")]:
        X, _ = make_linear_sem(500, 12, 24, noise_scale=noise_scale, random_state=seed)
        learned = colide(X).adjacency
        result = topo_swap(X, topological_order(learned))
        assert result.score <= result.initial_score <= sem_score(X, learned)
        assert np.all(np.diff(result.score_history) <= 0)


def test_greedy_application_skips_overlapping_swaps():
    order = np.arange(8)
    applied = _apply_greedy(order, np.array([0, 2, 5, 1]), np.array([3, 6, 7, 2]), np.array([-1.0, -3.0, -2.0,
                                                                                            -0.5]))
    # Best first: (2, 6); (5, 7) overlaps it; then (0, 3) overlaps too; (1, 2) overlaps at 2.
    assert applied == [(2, 6)]
    assert order.tolist() == [0, 1, 6, 3, 4, 5, 2, 7]


def test_candidate_sizes_follow_the_authors_defaults():
    assert default_candidate_sizes(50) == (75, 588, 1)
    assert default_candidate_sizes(5) == (6, 7, 0)
    assert default_candidate_sizes(2) == (1, 1, 0)


def test_max_iter_callback_and_degenerate_input():
    X, W = make_linear_sem(500, 10, 20, random_state=5)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        result = topo_swap(X, np.arange(10)[::-1], max_iter=1)
    assert result.status == 1 and result.n_iter == 1 and not result.converged
    stopped = topo_swap(X, random_state=0, callback=lambda state: state.n_iter == 2)
    assert stopped.status == 2 and stopped.n_iter == 2 and not stopped.converged

    with_constant = np.column_stack([X, np.zeros(500)])
    before = with_constant.copy()
    result = topo_swap(with_constant, random_state=1)
    np.testing.assert_array_equal(with_constant, before)
    assert not result.weights[10].any() and not result.weights[:, 10].any()
    single = topo_swap(X[:, :1])
    assert single.adjacency.shape == (1, 1) and single.converged and single.n_iter == 0

    assert_rejects(topo_swap, X, [0, 1, 2], naming="order")
    assert_rejects(topo_swap, X, np.zeros(10, dtype=int), naming="order")
    assert_rejects(topo_swap, X[:1], naming="at least 2 samples")
    assert_rejects(topo_swap, np.where(X > 3, np.inf, X), naming="X")


@pytest.mark.parametrize("run", [lambda X: topo_swap(X, np.arange(10)[::-1], max_iter=1),
                                 lambda X: TopoSwap(order=np.arange(10)[::-1], max_iter=1).fit(X)],
                         ids=["topo_swap", "TopoSwap"])
def test_one_convergence_warning_at_the_callers_line(run):
    X, _ = make_linear_sem(500, 10, 20, random_state=5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(X)
    [w] = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert w.filename == __file__ and str(w.message).startswith("topo_swap: reached max_iter=1")
