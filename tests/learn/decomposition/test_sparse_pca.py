import numpy as np
import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit.datasets import make_spiked_covariance
from sparsekit.learn.decomposition import SparsePCA, sparse_pca, support_f1
from sparsekit.learn.decomposition._sparse_pca import adjusted_variance
from sparsekit.learn.decomposition._sparse_pca_operators import CentredData


@pytest.fixture(scope="module")
def spiked():
    return make_spiked_covariance(600, 200, 3, cardinality=10, random_state=0)


@parametrize_with_checks([SparsePCA(), SparsePCA(method="gpower-l1"), SparsePCA(method="gpower-l0", block=True)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("options", [dict(method="tpower", cardinality=10), dict(method="gpower-l1", gamma=0.15),
                                     dict(method="gpower-l0", gamma=0.3),
                                     dict(method="gpower-l1", gamma=0.15, block=True)])
def test_recovers_planted_supports(spiked, options):
    X, V, _ = spiked
    res = sparse_pca(X, 3, **options)
    assert res.converged
    assert support_f1(res.components, V, match_rows="cosine") >= 0.9
    np.testing.assert_allclose(np.linalg.norm(res.components, axis=1), 1.0, rtol=1e-10)


def test_tpower_cardinality_and_adjusted_variance(spiked):
    X, V, theta = spiked
    res = sparse_pca(X, 3, cardinality=10)
    assert (res.components != 0).sum(axis=1).tolist() == [10, 10, 10]
    # the Schur deflation's variances are the QR definition of the adjusted variance
    np.testing.assert_allclose(res.explained_variance, adjusted_variance(CentredData(X), res.components), rtol=1e-8)
    # spike j has variance 1 + theta_j along it
    np.testing.assert_allclose(res.explained_variance, 1 + theta, rtol=0.15)


def test_sparse_input_is_centred_implicitly(spiked):
    X, _, _ = spiked
    X = X.copy()
    X[np.abs(X) < 1.0] = 0.0  # a sparse matrix with nonzero column means
    dense = sparse_pca(X, 2, cardinality=10)
    for fmt in ("csr", "csc"):
        res = sparse_pca(sparse.csr_matrix(X).asformat(fmt), 2, cardinality=10)
        np.testing.assert_allclose(res.components, dense.components, atol=1e-10)
        np.testing.assert_allclose(res.explained_variance, dense.explained_variance, rtol=1e-10)


def test_estimator_transform_is_linear_projection(spiked):
    X, _, _ = spiked
    model = SparsePCA(3, cardinality=10).fit(X)
    np.testing.assert_allclose(model.transform(X), (X - X.mean(0)) @ model.components_.T, atol=1e-10)
    np.testing.assert_allclose(model.transform(sparse.csr_matrix(X)), model.transform(X), atol=1e-10)
    assert model.explained_variance_ratio_.sum() < 1
    assert model.inverse_transform(model.transform(X)).shape == X.shape


def test_float32_stays_float32(spiked):
    X, V, _ = spiked
    model = SparsePCA(3, cardinality=10).fit(X.astype(np.float32))
    assert model.components_.dtype == np.float32 and model.explained_variance_.dtype == np.float32
    assert model.transform(X.astype(np.float32)).dtype == np.float32
    assert support_f1(model.components_, V, match_rows="cosine") >= 0.9


@pytest.mark.parametrize("bad, name", [(dict(cardinality=0), "cardinality"), (dict(cardinality=-3), "cardinality"),
                                       (dict(gamma=1.5), "gamma"), (dict(method="gpower-l1", cardinality=3), "cardinality"),
                                       (dict(gamma=0.1), "gamma"), (dict(n_components=500), "n_components")])
def test_bad_options_named(spiked, bad, name):
    X, _, _ = spiked
    options = {"n_components": 2, **bad}
    with pytest.raises(ValueError, match=name):
        SparsePCA(**options).fit(X)


def test_bad_X_named():
    with pytest.raises(ValueError, match="X"):
        SparsePCA(1).fit(np.ones(5))
    X = np.random.default_rng(0).standard_normal((10, 4))
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match="X"):
        SparsePCA(1).fit(X)
    with pytest.raises(ValueError, match="X"):
        sparse_pca(X, 1)


def test_non_convergence_is_reported(spiked):
    X, _, _ = spiked
    with pytest.warns(Warning, match="max_iter"):
        res = sparse_pca(X, 2, method="gpower-l1", max_iter=1)
    assert not res.converged and res.status == 1


def test_support_f1_counts_misses():
    true = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    assert support_f1(true, true, match_rows="cosine") == 1.0
    assert support_f1(np.array([[0.0, 0.0, 1.0, 0.0]]), true, match_rows="cosine") == pytest.approx(2 / 5)


def test_sparse_input_memory_stays_near_the_matrix():
    import tracemalloc

    X = sparse.random(20_000, 2_000, density=2e-3, format="csr", random_state=np.random.default_rng(0))
    matrix_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    tracemalloc.start()
    try:
        SparsePCA(3, method="gpower-l1", gamma=0.2).fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 3 * matrix_bytes
