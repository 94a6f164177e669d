import numpy as np
import pytest

from sparsekit import InvalidParameterError
from sparsekit._core._testing import assert_rejects
from sparsekit.datasets import make_linear_sem
from sparsekit.learn.dag import is_dag


@pytest.mark.parametrize("graph", ["er", "sf"])
def test_graph_is_a_weighted_dag_with_the_asked_edges(graph):
    X, W = make_linear_sem(50, 30, 60, graph=graph, random_state=0)
    assert X.shape == (50, 30) and W.shape == (30, 30)
    assert is_dag(W)
    n_edges = np.count_nonzero(W)
    # ER: exactly n_edges; SF: m = 2 edges per new node (the second node can only get one).
    assert n_edges == (60 if graph == "er" else 2 * 29 - 1)
    magnitudes = np.abs(W[W != 0])
    assert magnitudes.min() >= 0.5 and magnitudes.max() <= 2.0
    assert (W > 0).any() and (W < 0).any()


def test_scale_free_hubs_collect_parents():
    _, W = make_linear_sem(10, 200, 400, graph="sf", random_state=1)
    in_degree = np.count_nonzero(W, axis=0)
    assert in_degree.max() >= 15 > np.median(in_degree)


def test_relabelling_hides_the_order():
    _, W = make_linear_sem(10, 40, 80, random_state=2)
    assert np.count_nonzero(np.tril(W)) > 0 and np.count_nonzero(np.triu(W)) > 0


@pytest.mark.parametrize("noise", ["gaussian", "exponential", "laplace", "gumbel"])
def test_noise_has_mean_zero_and_the_asked_scale(noise):
    X, W, scales = make_linear_sem(100_000, 4, 3, noise=noise, noise_scale=[0.5, 1.0, 2.0, 3.0],
                                   return_noise_scale=True, random_state=3)
    E = X - X @ W
    np.testing.assert_allclose(E.mean(axis=0), 0.0, atol=0.03)
    np.testing.assert_allclose(E.std(axis=0), scales, rtol=0.02)


def test_heteroscedastic_variances_and_reproducibility():
    X, W, scales = make_linear_sem(200, 50, 100, noise_scale="heteroscedastic", return_noise_scale=True,
                                   random_state=4)
    assert 0.5 <= (scales**2).min() and (scales**2).max() <= 10.0 and np.ptp(scales**2) > 5
    X2, W2 = make_linear_sem(200, 50, 100, noise_scale="heteroscedastic", random_state=4)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(W, W2)


def test_custom_weight_range_and_empty_graph():
    _, W = make_linear_sem(5, 10, 20, weight_range=((0.25, 1.0),), random_state=5)
    assert np.abs(W[W != 0]).min() >= 0.25 and W.max() <= 1.0 and W.min() >= 0
    X, W = make_linear_sem(5, 3, 0, graph="sf", random_state=5)
    assert not W.any() and X.shape == (5, 3)


def test_bad_arguments():
    assert_rejects(make_linear_sem, 10, 4, 7, naming="n_edges")
    assert_rejects(make_linear_sem, 10, 4, 3, weight_range=((1.0, 0.5),), naming="weight_range")
    assert_rejects(make_linear_sem, 10, 4, 3, weight_range=(1.0, 2.0, 3.0), naming="weight_range")
    assert_rejects(make_linear_sem, 10, 4, 3, noise_scale=[1.0, 2.0], naming="noise_scale")
    assert_rejects(make_linear_sem, 10, 4, 3, noise_scale=[1.0, -2.0, 1.0, 1.0], naming="noise_scale")
    # A NumPy scalar passes the "array-like" constraint, so the vector check must catch it.
    assert_rejects(make_linear_sem, 10, 4, 3, noise_scale=np.float64(-1.0), naming="noise_scale")
    assert_rejects(make_linear_sem, 10, 4, 3, weight_range=((0.5, np.inf),), naming="weight_range")
    with pytest.raises(InvalidParameterError, match="'noise' parameter"):
        make_linear_sem(10, 4, 3, noise="cauchy")
    with pytest.raises(InvalidParameterError, match="'graph' parameter"):
        make_linear_sem(10, 4, 3, graph="bp")
    with pytest.raises(InvalidParameterError, match="'noise_scale' parameter"):
        make_linear_sem(10, 4, 3, noise_scale=-1.0)
