"""Online orthogonal dictionary learning (stochastic Frank–Wolfe): recovery, partial_fit, Dask, contracts."""

import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit import ConvergenceWarning
from sparsekit.datasets import make_sparse_coding
from sparsekit.learn.decomposition import (
    OnlineOrthogonalDictionaryLearning,
    dictionary_error,
    online_orthogonal_dictionary_learning,
)
from sparsekit.learn.decomposition._online_dl import step_sizes


@pytest.fixture(scope="module")
def problem():
    return make_sparse_coding(8000, 12, sparsity=0.3, random_state=0)


@pytest.mark.parametrize("variant", ["nonconvex", "convex"])
def test_one_pass_recovers_the_dictionary(problem, variant):
    X, D, _ = problem
    result = online_orthogonal_dictionary_learning(X, batch_size=100, variant=variant, random_state=0)
    assert result.converged and result.n_iter == result.n_steps == 80
    # the convex variant's step 2/(t+8) is slower: 80 minibatches are far from its asymptote (200 reach 2.2e-3)
    assert dictionary_error(result.components, D) < (5e-3 if variant == "nonconvex" else 5e-2)
    np.testing.assert_allclose(result.components @ result.components.T, np.eye(12), atol=1e-10)
    if variant == "convex":  # the iterate lies in the spectral-norm ball, the returned atoms are its polar factor
        assert np.linalg.norm(result.iterate, 2) <= 1 + 1e-12
    # the gap shrinks as the averaged gradient settles
    assert np.median(result.gap[-10:]) < 0.5 * np.median(result.gap[:10])


def test_step_sizes_follow_the_paper_with_rho_clipped():
    assert step_sizes(1, "nonconvex") == (1.0, 2.0 / 3.0 ** 0.75)
    assert step_sizes(100, "nonconvex") == (4.0 / np.sqrt(101), 2.0 / 102 ** 0.75)
    assert step_sizes(1, "convex") == (4.0 / 9 ** (2 / 3), 2.0 / 9)
    assert step_sizes(100, "convex") == (4.0 / 108 ** (2 / 3), 2.0 / 108)


def test_partial_fit_equals_fit_on_the_stream(problem):
    X, D, _ = problem
    whole = OnlineOrthogonalDictionaryLearning(batch_size=100, random_state=0).fit(X)
    streamed = OnlineOrthogonalDictionaryLearning(batch_size=100, random_state=0)
    for start in range(0, len(X), 1000):
        streamed.partial_fit(X[start:start + 1000])
    np.testing.assert_allclose(streamed.components_, whole.components_, atol=1e-12)
    assert streamed.n_steps_ == whole.n_steps_ == 80 and streamed.n_iter_ == 10


def test_dask_fit_reads_chunks_and_matches_memory(problem):
    da = pytest.importorskip("dask.array")
    X, D, _ = problem
    reference = OnlineOrthogonalDictionaryLearning(batch_size=100, random_state=0).fit(X).components_
    for chunks in [(1000, 12), (777, 5)]:  # chunk ends that are not batch ends, split columns
        model = OnlineOrthogonalDictionaryLearning(batch_size=100, random_state=0).fit(da.from_array(X, chunks=chunks))
        np.testing.assert_array_equal(model.components_, reference)
    codes = model.transform(da.from_array(X, chunks=(1000, 12)))
    assert isinstance(codes, da.Array)
    np.testing.assert_allclose(codes.compute(), X @ model.components_.T)


def test_dask_never_computes_the_whole_array(problem):
    da = pytest.importorskip("dask.array")
    X, _, _ = problem
    largest = []

    class Watched(np.ndarray):
        def __getitem__(self, key):
            out = super().__getitem__(key)
            largest.append(np.asarray(out).shape[0] if np.ndim(out) == 2 else 0)
            return out

    lazy = da.from_array(X.view(Watched), chunks=(2000, 12), asarray=False)
    online_orthogonal_dictionary_learning(lazy, random_state=0)
    assert largest and max(largest) <= 2000


def test_dask_nan_in_a_chunk_names_x(problem):
    da = pytest.importorskip("dask.array")
    X = problem[0].copy()
    X[5000, 3] = np.nan
    with pytest.raises(ValueError, match="X"):
        online_orthogonal_dictionary_learning(da.from_array(X, chunks=(1000, 12)), random_state=0)


def test_float32_is_kept(problem):
    X, D, _ = problem
    model = OnlineOrthogonalDictionaryLearning(random_state=0).fit(X.astype(np.float32))
    assert model.components_.dtype == np.float32 and model.result_.averaged_gradient.dtype == np.float32
    assert dictionary_error(model.components_, D) < 6e-3


def test_tolerance_stops_early_or_warns(problem):
    X, _, _ = problem
    early = online_orthogonal_dictionary_learning(X, tol=0.05, random_state=0)
    assert early.converged and early.n_iter < 80 and early.gap[-1] <= 0.05
    with pytest.warns(ConvergenceWarning, match="gap"):
        late = online_orthogonal_dictionary_learning(X, tol=1e-12, random_state=0)
    assert not late.converged and late.n_iter == 80
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stopped = online_orthogonal_dictionary_learning(X, random_state=0, callback=lambda A: True)
    assert stopped.status == 2 and stopped.n_iter == 1


def test_scale_invariance(problem):
    X, _, _ = problem
    reference = online_orthogonal_dictionary_learning(X[:2000], random_state=3).components
    for scale in (1e300, 1e-300):
        scaled = online_orthogonal_dictionary_learning(X[:2000] * scale, random_state=3)
        assert scaled.scale_exponent != 0
        np.testing.assert_allclose(scaled.components, reference, atol=1e-10)


@pytest.mark.parametrize("bad, name", [
    (dict(X=np.ones(5)), "X"),
    (dict(X=np.array([[1.0, np.nan], [0.0, 1.0]])), "X"),
    (dict(X=np.ones((5, 3)), n_components=4), "n_components"),
    (dict(X=np.ones((5, 3)), variant="other"), "variant"),
])
def test_bad_input_names_the_argument(bad, name):
    X = bad.pop("X")
    with pytest.raises(ValueError, match=name):
        online_orthogonal_dictionary_learning(X, **bad)
    with pytest.raises(ValueError, match=name):
        OnlineOrthogonalDictionaryLearning(**bad).fit(X)


def test_partial_fit_checks_the_features(problem):
    model = OnlineOrthogonalDictionaryLearning(random_state=0).partial_fit(problem[0][:200])
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(np.ones((10, 5)))


@parametrize_with_checks([OnlineOrthogonalDictionaryLearning(random_state=0),
                          OnlineOrthogonalDictionaryLearning(n_components=1, batch_size=7, variant="convex",
                                                             random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.gpu
def test_cupy_matches_numpy(problem):
    cupy = pytest.importorskip("cupy")
    X = problem[0]
    expected = online_orthogonal_dictionary_learning(X, random_state=0)
    got = online_orthogonal_dictionary_learning(cupy.asarray(X), random_state=0)
    assert isinstance(got.components, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(got.components), expected.components, atol=1e-8)
