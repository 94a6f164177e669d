import numpy as np

from sparsekit import InvalidParameterError
from sparsekit._core._testing import assert_rejects
from sparsekit.learn.dag import is_dag, remove_cycles, sem_score, topological_order


def test_topological_order_and_is_dag():
    adjacency = np.zeros((4, 4))
    adjacency[3, 1] = adjacency[1, 0] = adjacency[3, 2] = 0.5
    order = topological_order(adjacency)
    assert order.tolist() == [3, 1, 0, 2]
    position = np.argsort(order)
    assert all(position[i] < position[j] for i, j in zip(*np.nonzero(adjacency)))
    assert is_dag(adjacency) and not is_dag(adjacency + adjacency.T) and not is_dag(np.eye(2))
    assert_rejects(topological_order, adjacency + adjacency.T, naming="adjacency")
    assert_rejects(is_dag, np.ones((2, 3)), naming="adjacency")


def test_remove_cycles_drops_the_weakest_edge_of_each_cycle():
    weights = np.zeros((6, 6))
    # Cycle 0 -> 1 -> 2 -> 0 with weakest edge 2 -> 0; 2-cycle 3 <-> 4; a weak edge 4 -> 5 on no cycle.
    weights[0, 1], weights[1, 2], weights[2, 0] = 1.0, -2.0, 0.5
    weights[3, 4], weights[4, 3] = 0.9, -0.8
    weights[4, 5] = 0.1
    weights[5, 5] = 3.0
    before = weights.copy()
    dag = remove_cycles(weights)
    np.testing.assert_array_equal(weights, before)
    assert is_dag(dag)
    expected = before.copy()
    expected[2, 0] = expected[4, 3] = expected[5, 5] = 0.0
    np.testing.assert_array_equal(dag, expected)


def test_remove_cycles_nested_cycles():
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.1, 1.0, (8, 8))
    dag = remove_cycles(weights)
    assert is_dag(dag)
    # The kept edges are maximal: a complete graph keeps a full tournament (28 of its 56 edges), the
    # greedy order by weight.
    assert np.count_nonzero(dag) == 28
    order = topological_order(dag)
    assert all(dag[order[a], order[b]] != 0 for a in range(8) for b in range(a + 1, 8))


def test_sem_score_rejects_bad_input():
    X = np.random.default_rng(0).standard_normal((20, 3))
    W = np.zeros((3, 3))
    assert_rejects(sem_score, X, W, variant="lasso", error=InvalidParameterError, naming="variant")
    assert_rejects(sem_score, X, W, alpha=-1.0, error=InvalidParameterError, naming="alpha")
    assert_rejects(sem_score, X, W, alpha=np.inf, error=InvalidParameterError, naming="alpha")
    assert_rejects(sem_score, X, np.zeros((2, 2)), naming="adjacency")
    assert_rejects(sem_score, X[:1], W, naming="X")
