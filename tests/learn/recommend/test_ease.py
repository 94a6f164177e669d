"""EASE: the closed form to 1e-10, chunked and Dask Gram, float32, max_items, recommend, kernels, estimator checks."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit._core._testing import assert_kernel_matches_twin
from sparsekit.learn.recommend import EASE, ease_weights
from sparsekit.learn.recommend import _ease_kernels as kernels


def _interactions(n=300, m=60, seed=0):
    """Power-law item popularity, 0/1 interactions."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, m + 1) ** 0.8
    X = rng.random((n, m)) < 0.3 * popularity / popularity.mean() * rng.random((n, 1))
    X[np.arange(n), rng.integers(0, m, n)] = True
    return sparse.csr_array(X.astype(np.float64))


def _closed_form(X, l2):
    P = np.linalg.inv((X.T @ X).toarray() + l2 * np.eye(X.shape[1]))
    B = np.eye(X.shape[1]) - P / np.diag(P)[None, :]
    np.fill_diagonal(B, 0.0)
    return B


@pytest.mark.parametrize("form", ["sparse", "dense", "dask"])
def test_weights_equal_the_closed_form(form):
    X = _interactions()
    data = {"sparse": X, "dense": X.toarray()}.get(form)
    if form == "dask":
        da = pytest.importorskip("dask.array")
        data = da.from_array(X.toarray(), chunks=(70, 20))
    B, items = ease_weights(data, 50.0, dtype="float64", chunk_rows=37)
    np.testing.assert_allclose(B, _closed_form(X, 50.0), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(items, np.arange(X.shape[1]))


def test_float32_is_close_and_kept():
    X = _interactions()
    B, _ = ease_weights(X, 50.0)
    assert B.dtype == np.float32
    np.testing.assert_allclose(B, _closed_form(X, 50.0), atol=1e-5)


def test_max_items_keeps_the_most_popular():
    X = _interactions()
    counts = np.diff(sparse.csc_array(X).indptr)
    B, items = ease_weights(X, 50.0, dtype="float64", max_items=10)
    assert set(items) == set(np.argsort(-counts, kind="stable")[:10])
    np.testing.assert_allclose(B, _closed_form(X[:, items], 50.0), atol=1e-10)
    model = EASE(l2=50.0, max_items=10).fit(X)
    assert set(model.recommend(np.arange(20), 5, exclude_seen=False).ravel()) <= set(items)


def test_recommend_excludes_seen_and_ranks_by_score():
    X = _interactions()
    model = EASE(l2=20.0, dtype="float64").fit(X)
    top = model.recommend(np.arange(50), 5)
    scores = X[:50] @ model.coef_
    for u in range(50):
        assert not set(top[u]) & set(X[[u]].indices)
        unseen = np.setdiff1d(np.arange(X.shape[1]), X[[u]].indices)
        np.testing.assert_allclose(scores[u, top[u]], np.sort(scores[u, unseen])[::-1][:5])
    fold_in = model.recommend([0, 1], 5, X=X[:2].toarray())
    np.testing.assert_array_equal(fold_in, top[:2])


def test_bad_input_is_named():
    X = _interactions()
    with pytest.raises(ValueError, match="Negative values in data passed to X"):
        EASE().fit(-X.toarray())  # scikit-learn's wording, which its checks expect
    with pytest.raises(ValueError, match="negative"):
        ease_weights(X * -1.0)
    model = EASE().fit(X)
    with pytest.raises(ValueError, match="users"):
        model.recommend([300], 5)
    with pytest.raises(ValueError, match="k must"):
        model.recommend([0], 0)


def test_gram_kernel_matches_twin():
    X = _interactions(40, 15)
    G = np.zeros((15, 15), order="F")
    C = X.tocsc()
    assert_kernel_matches_twin(kernels.accumulate_gram, kernels.accumulate_gram_twin, X.indptr, X.indices, X.data,
                               C.indptr, C.indices, C.data, G)


@pytest.mark.parametrize("n", [8, 150])  # one tile; several, the last one partial
def test_weights_kernel_matches_twin(n):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((n, n))
    P = np.asfortranarray(np.linalg.inv(A @ A.T + np.eye(n)))
    assert_kernel_matches_twin(kernels.weights_from_inverse, kernels.weights_from_inverse_twin, P)


# EASE ranks items: it has no predict/transform, so the checks that need one skip; all the rest apply.
@parametrize_with_checks([EASE(l2=1.0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
