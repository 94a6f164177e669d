"""Orthogonal dictionary learning (ℓp power method) and the recovery metrics."""

import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit import ConvergenceWarning
from sparsekit.datasets import make_sparse_coding
from sparsekit.learn.decomposition import (
    OrthogonalDictionaryLearning,
    dictionary_error,
    orthogonal_dictionary_learning,
    support_f1,
)


@pytest.fixture(scope="module")
def problem():
    return make_sparse_coding(6000, 16, sparsity=0.3, random_state=0)


def test_dictionary_error_is_blind_to_order_and_sign():
    D = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 6)))[0]
    signed = -D[[3, 1, 0, 5, 4, 2]] * np.array([1, -1, 1, 1, -1, 1])[:, None]
    assert dictionary_error(signed, D) == pytest.approx(0.0, abs=1e-14)
    assert dictionary_error(signed, D, method="assignment") == pytest.approx(0.0, abs=1e-14)
    # two atoms rotated by t in their plane: C = R, whose fourth powers sum to 4 + 2 (cos^4 t + sin^4 t)
    t = 0.1
    R = np.eye(6)
    R[:2, :2] = [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]
    expected = 1 - (4 + 2 * (np.cos(t) ** 4 + np.sin(t) ** 4)) / 6
    assert dictionary_error(R @ D, D) == pytest.approx(expected, rel=1e-12)


def test_dictionary_error_bad_input():
    with pytest.raises(ValueError, match="components"):
        dictionary_error(np.ones((3, 4)), np.ones((3, 5)))
    with pytest.raises(ValueError, match="true_components"):
        dictionary_error(np.ones((3, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="assignment"):
        dictionary_error(np.ones((2, 4)), np.eye(4), method="assignment")


def test_support_f1():
    assert support_f1([0.0, 1.0, 2.0, 0.0], [0.0, 3.0, 0.0, 0.0]) == pytest.approx(2 / 3)
    assert support_f1([[1e-9, 1.0]], [[0.0, 2.0]], atol=1e-6) == 1.0
    rows = np.array([[1.0, 0, 0, 1], [0, 1.0, 1, 0]])
    assert support_f1(rows[::-1], rows) == 0.0
    assert support_f1(rows[::-1], rows, match_rows=True) == 1.0
    assert support_f1(np.zeros(3), np.zeros(3)) == 1.0
    with pytest.raises(ValueError, match="shape"):
        support_f1(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="columns"):
        support_f1(np.ones((2, 3)), np.ones((2, 4)), match_rows=True)


def test_support_f1_matched_by_cosine_counts_unmatched_rows_as_misses():
    true = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    found = np.array([[0.0, 0.0, 1.0, 0.5], [1.0, 0.0, 0.0, 0.0]])
    assert support_f1(found, true, match_rows="cosine") == pytest.approx(2 * 3 / 7)
    assert support_f1(found[:1], true, match_rows="cosine") == pytest.approx(2 * 2 / 6)
    # cosine pairs found[0] (mostly feature 2) with true[1]; support overlap would pair it with either
    assert support_f1(found, true, match_rows=True) == support_f1(found, true, match_rows="support")


def test_dictionary_error_nearest_takes_each_true_atoms_best_match():
    rng = np.random.default_rng(0)
    D = rng.standard_normal((4, 6))
    learned = np.vstack([3 * D[::-1], rng.standard_normal((10, 6))])
    assert dictionary_error(learned, D, method="nearest") == pytest.approx(0.0, abs=1e-15)
    cos = 0.8
    tilted = cos * D / np.linalg.norm(D, axis=1, keepdims=True)
    orth = rng.standard_normal((4, 6))
    orth -= np.sum(orth * tilted, axis=1, keepdims=True) * tilted / cos**2
    tilted += np.sqrt(1 - cos**2) * orth / np.linalg.norm(orth, axis=1, keepdims=True)
    assert dictionary_error(tilted, D, method="nearest") <= 1 - cos + 1e-12


@pytest.mark.parametrize("p", [3, 4, 3.5])
def test_recovers_a_planted_orthogonal_dictionary(problem, p):
    X, D, codes = problem
    result = orthogonal_dictionary_learning(X, p=p, random_state=0)
    assert result.converged
    # p=4 (MSP) is less accurate at a finite sample size than p=3, as Shen et al. report
    assert dictionary_error(result.components, D) < (3e-3 if p == 3 else 5e-3)
    np.testing.assert_allclose(result.components @ result.components.T, np.eye(16), atol=1e-12)
    # a power method on a convex objective never decreases it
    assert np.all(np.diff(result.objective) >= -1e-12 * result.objective[-1])
    assert result.n_iter < 40 and len(result.step) == result.n_iter


def test_codes_and_inverse_transform(problem):
    X, D, codes = problem
    model = OrthogonalDictionaryLearning(random_state=0).fit(X)
    estimated = model.transform(X)
    np.testing.assert_allclose(model.inverse_transform(estimated), X, atol=1e-10)
    # the codes are sparse up to the finite-sample rotation error: a threshold recovers their support
    matched = support_f1(estimated.T, codes.T, atol=0.1, match_rows=True)
    assert matched > 0.9
    assert model.objective_.shape == (model.n_iter_,) and model.converged_


def test_float32_is_kept_and_agrees(problem):
    X, D, _ = problem
    model = OrthogonalDictionaryLearning(random_state=0).fit(X.astype(np.float32))
    assert model.components_.dtype == np.float32 and model.transform(X).dtype == np.float64
    assert model.transform(X.astype(np.float32)).dtype == np.float32
    assert dictionary_error(model.components_, D) < 3e-3


def test_fewer_components_learn_orthonormal_rows(problem):
    X, D, _ = problem
    result = orthogonal_dictionary_learning(X, 5, random_state=0)
    np.testing.assert_allclose(result.components @ result.components.T, np.eye(5), atol=1e-12)
    # each learned atom is one of the true ones
    assert np.all(np.max(np.abs(result.components @ D.T), axis=1) > 0.99)


def test_init_seed_and_scale_invariance(problem):
    X, D, _ = problem
    first = orthogonal_dictionary_learning(X, random_state=1).components
    np.testing.assert_array_equal(first, orthogonal_dictionary_learning(X, random_state=1).components)
    np.testing.assert_allclose(orthogonal_dictionary_learning(X * 1e300, random_state=1).components, first,
                               atol=1e-12)
    np.testing.assert_allclose(orthogonal_dictionary_learning(X * 1e-300, random_state=1).components, first,
                               atol=1e-12)
    warm = orthogonal_dictionary_learning(X, init=D + 0.01, random_state=1)
    assert warm.n_iter <= 8 and dictionary_error(warm.components, D) < 3e-3


def test_non_convergence_warns_and_callback_stops(problem):
    X, _, _ = problem
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        result = orthogonal_dictionary_learning(X, max_iter=2, random_state=0)
    assert not result.converged and result.status == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stopped = orthogonal_dictionary_learning(X, random_state=0, callback=lambda A: True)
    assert stopped.status == 2 and stopped.n_iter == 1


def test_zero_data_is_a_stationary_point():
    result = orthogonal_dictionary_learning(np.zeros((10, 3)), random_state=0)
    assert result.converged and result.n_iter == 1


@pytest.mark.parametrize("bad, name", [
    (dict(X=np.ones(5)), "X"),
    (dict(X=np.array([[1.0, np.nan], [0.0, 1.0]])), "X"),
    (dict(X=np.ones((5, 3)), n_components=4), "n_components"),
    (dict(X=np.ones((5, 3)), init=np.eye(2)), "init"),
    (dict(X=np.ones((5, 3)), init=np.zeros((3, 3))), "init"),
    (dict(X=np.ones((5, 3)), p=2), "p"),
])
def test_bad_input_names_the_argument(bad, name):
    X = bad.pop("X")
    with pytest.raises(ValueError, match=name):
        orthogonal_dictionary_learning(X, **bad)
    if "init" not in bad:
        with pytest.raises(ValueError, match=name):
            OrthogonalDictionaryLearning(**bad).fit(X)


@parametrize_with_checks([OrthogonalDictionaryLearning(random_state=0),
                          OrthogonalDictionaryLearning(n_components=1, p=4, random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cupy_matches_numpy(problem, dtype):
    cupy = pytest.importorskip("cupy")
    X = problem[0].astype(dtype)
    expected = orthogonal_dictionary_learning(X, random_state=0)
    got = orthogonal_dictionary_learning(cupy.asarray(X), random_state=0)
    assert isinstance(got.components, cupy.ndarray) and got.components.dtype == dtype
    assert got.n_iter == expected.n_iter
    np.testing.assert_allclose(cupy.asnumpy(got.components), expected.components, atol=1e-8 if dtype == np.float64
                               else 1e-3)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_subsample_start_saves_full_data_iterations(seed):
    # From a Haar-random start the full data needed 21 to 30 iterations here; warmed up on 40 * n samples, 8 or 9.
    X, D, _ = make_sparse_coding(6000, 20, sparsity=0.3, noise_std=0.1, random_state=seed)
    cold = orthogonal_dictionary_learning(X, init="random", random_state=0)
    warm = orthogonal_dictionary_learning(X, random_state=0)
    assert warm.converged and warm.n_iter <= 12 < cold.n_iter
    assert dictionary_error(warm.components, D) <= dictionary_error(cold.components, D) + 1e-4


def test_subsample_start_falls_back_to_random_on_few_samples():
    X, _, _ = make_sparse_coding(500, 10, random_state=0)
    np.testing.assert_array_equal(orthogonal_dictionary_learning(X, random_state=0).components,
                                  orthogonal_dictionary_learning(X, init="random", random_state=0).components)
