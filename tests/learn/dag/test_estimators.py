import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit import ConvergenceWarning
from sparsekit.datasets import make_linear_sem
from sparsekit.learn.dag import (
    CoLiDE,
    DAGMALinear,
    TopoSwap,
    colide,
    dagma_linear,
    metrics,
    sem_score,
    topological_order,
)

ESTIMATORS = [CoLiDE(), CoLiDE(variant="nv"), DAGMALinear(), TopoSwap()]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.fixture(scope="module")
def data():
    return make_linear_sem(800, 8, 12, noise_scale=2.0, random_state=0)


def test_colide_is_a_thin_wrapper_of_the_solver(data):
    X, W = data
    model = CoLiDE().fit(X)
    result = colide(X)
    np.testing.assert_array_equal(model.adjacency_, result.adjacency)
    assert model.noise_scale_ == result.noise_scale == pytest.approx(2.0, rel=0.05)
    assert (model.n_iter_, model.converged_, model.score_) == (result.n_iter, result.converged, result.score)
    assert metrics.structural_hamming_distance(W, model.adjacency_) == 0
    np.testing.assert_array_equal(DAGMALinear().fit(X).adjacency_, dagma_linear(X).adjacency)


def test_predict_is_the_sems_fitted_values_and_score_its_negative_score(data):
    X, _ = data
    for model in (CoLiDE(variant="nv").fit(X), DAGMALinear().fit(X), TopoSwap(random_state=0).fit(X)):
        weights = model.weights_ if isinstance(model, TopoSwap) else model.adjacency_
        fitted = model.predict(X)
        np.testing.assert_allclose(fitted, X.mean(axis=0) + (X - X.mean(axis=0)) @ weights)
        variant = getattr(model, "variant", "ls")
        alpha = getattr(model, "alpha", 0.0)
        assert model.score(X) == pytest.approx(-sem_score(X, weights, variant=variant, alpha=alpha))
        assert model.score(X) == pytest.approx(-model.score_)
        # A better model of held-out data from the same SEM scores higher than the empty graph's.
        held_out, _ = make_linear_sem(300, 8, 12, noise_scale=2.0, random_state=0)
        assert model.score(held_out) > -sem_score(held_out, np.zeros((8, 8)), variant=variant)


def test_topo_swap_refine_and_given_order(data):
    X, W = data
    learned = DAGMALinear(alpha=0.2).fit(X)
    refined = TopoSwap().refine(X, learned.adjacency_)
    assert refined.score_history_[0] <= sem_score(X, learned.adjacency_)
    assert refined.score_ == refined.score_history_[-1] <= refined.score_history_[0]
    assert metrics.structural_hamming_distance(W, refined.adjacency_) == 0
    start = topological_order(learned.adjacency_)
    from_order = TopoSwap(order=start).fit(X)
    np.testing.assert_array_equal(from_order.order_, refined.order_)
    assert from_order.get_params()["order"] is start
    with pytest.raises(ValueError, match="acyclic"):
        TopoSwap().refine(X, W + W.T)
    with pytest.raises(ValueError, match="adjacency"):
        TopoSwap().refine(X, W[:3, :3])


@pytest.mark.parametrize("estimator", [CoLiDE(), DAGMALinear(), TopoSwap()])
def test_bad_input(estimator, data):
    X, _ = data
    before = X.copy()
    with pytest.raises(ValueError, match="NaN"):
        estimator.fit(np.where(X > 4, np.nan, X))
    with pytest.raises(ValueError, match="1 sample"):
        estimator.fit(X[:1])
    with pytest.raises(NotFittedError):
        estimator.predict(X)
    one_column = estimator.fit(X[:, :1])
    assert one_column.adjacency_.shape == (1, 1) and not one_column.adjacency_.any()
    constant = estimator.fit(np.column_stack([X, np.full(len(X), 3.0)]))
    assert not constant.adjacency_[8].any() and not constant.adjacency_[:, 8].any()
    np.testing.assert_array_equal(X, before)
    with pytest.raises(ValueError, match="features"):
        constant.predict(X)


