import numpy as np
import pytest

from sparsekit._core._testing import assert_rejects
from sparsekit.datasets import make_linear_sem
from sparsekit.learn.dag import metrics, remove_cycles

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])  # 0 -> 1 -> 2


def test_hand_counted_example():
    estimate = np.array([[0, 0, 1], [1, 0, 0], [0, 0, 0]])  # 1 -> 0 -> 2
    # 0-1 reversed, 1-2 missing, 0-2 extra.
    assert metrics.structural_hamming_distance(CHAIN, estimate) == 3
    assert metrics.true_positive_rate(CHAIN, estimate) == 0.0
    assert metrics.false_discovery_rate(CHAIN, estimate) == 1.0
    assert metrics.false_positive_rate(CHAIN, estimate) == 2.0  # 2 wrong edges / (3 pairs - 2 true edges)
    assert metrics.graph_accuracy(CHAIN, CHAIN, sid=True) == {
        "shd": 0, "tpr": 1.0, "fdr": 0.0, "fpr": 0.0, "nnz": 2, "sid": 0
    }


def test_weights_and_two_cycles():
    weighted = np.array([[0, 0.7, 0], [0, 0, -1.5], [0, 0, 0]])
    assert metrics.structural_hamming_distance(CHAIN, weighted) == 0
    both_ways = np.array([[0, 1, 0], [1, 0, 1], [0, 0, 0]])
    assert metrics.structural_hamming_distance(CHAIN, both_ways) == 1
    assert metrics.false_discovery_rate(CHAIN, both_ways) == pytest.approx(1 / 3)


def test_matches_dagma_count_accuracy():
    utils = pytest.importorskip("dagma.utils")
    rng = np.random.default_rng(0)
    for seed in range(10):
        _, true = make_linear_sem(2, 12, 20, random_state=seed)
        # Delete some true edges, reverse some, add random ones: every error type occurs.
        kept = np.where(rng.random(true.shape) < 0.7, true, 0.0)
        reverse = (rng.random(true.shape) < 0.3) & (kept != 0)
        estimate = np.where(reverse, 0.0, kept) + np.where(reverse, kept, 0.0).T
        estimate = estimate + (rng.random(true.shape) < 0.05) * rng.uniform(0.5, 1.0, true.shape)
        estimate = remove_cycles(estimate)
        expected = utils.count_accuracy(true != 0, estimate != 0)
        got = metrics.graph_accuracy(true, estimate)
        for key in ("shd", "tpr", "fdr", "fpr", "nnz"):
            assert got[key] == pytest.approx(expected[key]), key
        assert 0 < got["shd"] and 0 < got["tpr"] < 1


def _sid_by_adjustment_oracle(true_weights, estimated_support):
    """SID through population regressions of a generic linear Gaussian SEM of the true DAG.

    ``G`` gets ``p(x_j | do(x_i))`` right exactly when its adjustment (its parents of ``i``)
    reproduces the true total effect ``[(I - W)^{-1}]_{ij}`` (generic weights: no coincidences).
    """
    d = true_weights.shape[0]
    total = np.linalg.inv(np.eye(d) - true_weights)
    cov = total.T @ total  # unit noise: X = E (I - W)^{-1}
    wrong = 0
    for i in range(d):
        parents = list(np.flatnonzero(estimated_support[:, i]))
        for j in range(d):
            if j == i:
                continue
            if j in parents:
                estimate = 0.0
            else:
                regressors = [i] + parents
                coef = np.linalg.solve(cov[np.ix_(regressors, regressors)], cov[regressors, j])
                estimate = coef[0]
            wrong += not np.isclose(estimate, total[i, j], atol=1e-9)
    return wrong


def test_sid_hand_examples():
    single = np.array([[0, 1], [0, 0]])
    assert metrics.structural_intervention_distance(single, single.T) == 2
    assert metrics.structural_intervention_distance(single, np.zeros((2, 2))) == 1
    # The empty graph claims no effect anywhere; with no confounding in the chain only the pairs
    # (i downstream, j upstream) are wrong, where the unblocked path j -> ... -> i fakes an effect.
    assert metrics.structural_intervention_distance(CHAIN, np.zeros((3, 3))) == 3
    # A superset of the true DAG with the same order has SID 0.
    assert metrics.structural_intervention_distance(CHAIN, np.triu(np.ones((3, 3)), 1)) == 0


@pytest.mark.parametrize("seed", range(6))
def test_sid_matches_the_adjustment_oracle(seed):
    _, true = make_linear_sem(2, 7, 9, random_state=seed)
    _, estimate = make_linear_sem(2, 7, 8, random_state=seed + 50)
    sid = metrics.structural_intervention_distance(true, estimate)
    assert sid == _sid_by_adjustment_oracle(true, estimate != 0)
    assert 0 < sid < 42


def test_bad_graphs():
    cyclic = np.array([[0, 1], [1, 0]])
    assert_rejects(metrics.structural_intervention_distance, np.zeros((2, 2)), cyclic,
                   naming="estimated_graph")
    assert_rejects(metrics.structural_hamming_distance, np.zeros((3, 3)), np.zeros((2, 2)),
                   naming="estimated_graph")
    assert_rejects(metrics.true_positive_rate, np.zeros((3, 2)), np.zeros((3, 2)), naming="true_graph")
    assert_rejects(metrics.graph_accuracy, [[np.nan]], [[0.0]], naming="true_graph")
