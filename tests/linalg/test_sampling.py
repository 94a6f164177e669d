"""Leverage scores, Lewis weights, sampling sketches and coordinated sampling."""

import warnings

import numpy as np
import pytest
from scipy import sparse

from sparsekit import ConvergenceWarning
from sparsekit._core._testing import assert_rejects
from sparsekit.linalg import (
    RowSamplingSketch,
    coordinated_sketch,
    leverage_scores,
    lewis_weights,
    sketch,
    sketched_product,
)
from sparsekit.linalg._sketching._coordinated import _threshold_for_expected_size, _uniform_hash


def _heavy_tailed(rng, m, n):
    A = rng.standard_normal((m, n)) * np.exp(rng.standard_normal((m, 1)))
    A[:3] *= 50.0  # a few rows of high leverage
    return A


def _svd_leverage(A):
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    U = U[:, s > s[0] * 1e-12]
    return np.sum(U**2, axis=1)


def test_exact_leverage_matches_svd_for_dense_sparse_and_rank_deficient(rng):
    A = _heavy_tailed(rng, 300, 6)
    expected = _svd_leverage(A)
    np.testing.assert_allclose(leverage_scores(A), expected, atol=1e-12)
    np.testing.assert_allclose(leverage_scores(sparse.csr_array(A)), expected, atol=1e-10)
    np.testing.assert_allclose(leverage_scores(sparse.csc_array(A)), expected, atol=1e-10)
    deficient = np.hstack([A, A[:, :2] + A[:, 2:4]])
    np.testing.assert_allclose(leverage_scores(deficient), expected, atol=1e-10)
    assert leverage_scores(deficient).sum() == pytest.approx(6)
    np.testing.assert_allclose(leverage_scores(A[:3]), np.ones(3), atol=1e-10)


def test_approximate_leverage_is_within_factor_two_on_99_percent_of_rows(rng):
    A = _heavy_tailed(rng, 20_000, 30)
    exact = leverage_scores(A)
    approx = leverage_scores(A, method="approx", random_state=0)
    ratio = approx / exact
    assert np.mean((ratio > 0.5) & (ratio < 2.0)) >= 0.99
    assert approx.sum() == pytest.approx(30, rel=1e-10)
    np.testing.assert_array_equal(approx, leverage_scores(A, method="approx", random_state=0))
    sparse_approx = leverage_scores(sparse.csr_array(A), method="approx", random_state=0)
    np.testing.assert_allclose(sparse_approx, approx, rtol=1e-8)
    no_projection = leverage_scores(A, method="approx", jl_dim=None, random_state=0) / exact
    assert np.all((no_projection > 0.5) & (no_projection < 2.0))


@pytest.mark.parametrize("p", [0.5, 1.0, 1.5, 3.0])
def test_lewis_weights_satisfy_their_fixed_point(p, rng):
    A = _heavy_tailed(rng, 400, 5)
    A[7] = 0.0
    res = lewis_weights(A, p, rtol=1e-10)
    w = res.weights
    assert res.converged and res.status == 0
    assert w[7] == 0.0
    assert w.sum() == pytest.approx(5, rel=1e-8)
    active = w > 0
    scaled = A[active] * (w[active] ** (0.5 - 1 / p))[:, None]
    np.testing.assert_allclose(_svd_leverage(scaled), w[active], rtol=1e-7)
    # the iteration contracts with factor |1 - p/2| (log domain)
    history = res.change_history
    assert history[-1] < 1e-10 and np.all(np.diff(np.log(history[2:])) < 0)


def test_lewis_weights_for_p2_are_leverage_scores_and_approx_variant(rng):
    A = _heavy_tailed(rng, 3000, 8)
    res = lewis_weights(A, 2.0)
    assert res.n_iter == 2
    np.testing.assert_allclose(res.weights, leverage_scores(A), atol=1e-12)
    approx = lewis_weights(A, 1.0, leverage="approx", random_state=0, rtol=1e-9)
    exact = lewis_weights(A, 1.0).weights
    assert approx.converged
    ratio = approx.weights / exact
    assert np.mean((ratio > 0.5) & (ratio < 2.0)) >= 0.99
    with pytest.warns(ConvergenceWarning, match="maxiter"):
        short = lewis_weights(A, 1.0, maxiter=2)
    assert not short.converged and short.status == 1


def test_lewis_weights_approx_with_zero_rows_and_zero_matrix(rng):
    # The approximate leverage sketch must be drawn for the nonzero rows the iteration works on.
    A = _heavy_tailed(rng, 300, 4)
    A[:20] = 0.0
    exact = lewis_weights(A, 1.0).weights
    for matrix in (A, sparse.csr_array(A), sparse.csc_array(A)):
        approx = lewis_weights(matrix, 1.0, leverage="approx", sketch_size=40, random_state=0)
        assert approx.converged and np.all(approx.weights[:20] == 0.0)
        assert approx.weights.sum() == pytest.approx(4, rel=1e-8)
        assert np.median(approx.weights[20:] / exact[20:]) == pytest.approx(1.0, rel=0.5)
    for leverage in ("exact", "approx"):
        zero = lewis_weights(np.zeros((50, 3)), 1.0, leverage=leverage, sketch_size=10, random_state=0)
        assert zero.converged and zero.status == 0 and np.array_equal(zero.weights, np.zeros(50))
    SA = sketch(sparse.csr_array(A), 40, method="lewis", random_state=0)
    assert SA.shape == (40, 4)


def test_leverage_sampling_beats_uniform_on_a_coherent_matrix(rng):
    A = rng.standard_normal((4000, 4)) * 0.01
    A[:4] = np.eye(4)  # four rows carry almost all of the column space
    gram = A.T @ A
    errors = {}
    for method in ("leverage", "uniform"):
        errs = []
        for seed in range(5):
            SA = sketch(A, 200, method=method, random_state=seed)
            errs.append(np.linalg.norm(SA.T @ SA - gram) / np.linalg.norm(gram))
        errors[method] = np.median(errs)
    assert errors["leverage"] < 0.3 < errors["uniform"]


def test_lp_sampling_preserves_the_l1_norm(rng):
    A = _heavy_tailed(rng, 2000, 3)
    x = rng.standard_normal(3)
    target = np.abs(A @ x).sum()
    weights = lewis_weights(A, 1.0).weights
    estimates = [np.abs(RowSamplingSketch(100, 2000, weights=weights, p=1.0, random_state=s) @ (A @ x)).sum()
                 for s in range(400)]
    assert abs(np.mean(estimates) - target) <= 5 * np.std(estimates) / np.sqrt(400)
    for method in ("root-leverage", "lewis"):
        SA = sketch(A, 400, method=method, p=1.0, random_state=0)
        assert np.abs(SA @ x).sum() == pytest.approx(target, rel=0.3)


def test_sampling_scores_refuse_bad_input(rng):
    A = rng.standard_normal((30, 3))
    assert_rejects(lewis_weights, A, 4.0, naming="'p'")
    assert_rejects(leverage_scores, A, method="fast", naming="'method'")
    bad = A.copy()
    bad[0, 0] = np.inf
    assert_rejects(leverage_scores, bad, naming="NaN")
    assert_rejects(leverage_scores, A[:, 0], naming="2-D")


# --------------------------------------------------------------------------- coordinated sampling
def test_hash_is_uniform_and_shared():
    h = _uniform_hash(np.arange(200_000), 12345)
    assert 0 < h.min() and h.max() < 1
    assert abs(h.mean() - 0.5) < 0.003 and abs(h.var() - 1 / 12) < 0.001
    np.testing.assert_array_equal(h[:10], _uniform_hash(np.arange(10), 12345))
    assert not np.array_equal(h[:10], _uniform_hash(np.arange(10), 54321))


def test_threshold_gives_the_expected_sample_size(rng):
    w = rng.exponential(size=500) ** 3
    for k in (1, 10, 100, 499):
        c = _threshold_for_expected_size(w, k)
        assert np.minimum(1.0, c * w).sum() == pytest.approx(k)


def test_keeping_everything_is_exact(rng):
    A = sparse.random_array((200, 6), density=0.3, format="csr", rng=rng)
    B = rng.standard_normal((200, 4))
    for method in ("priority", "threshold"):
        estimate = sketched_product(coordinated_sketch(A, 500, method=method, random_state=1),
                                    coordinated_sketch(B, 500, method=method, random_state=1))
        np.testing.assert_allclose(estimate, (A.T @ B), atol=1e-12)


@pytest.mark.parametrize("method", ["priority", "threshold"])
def test_inner_product_and_matrix_product_estimates_are_unbiased(method, rng):
    n = 60
    a = rng.standard_normal(n) * rng.exponential(size=n)
    b = a * 0.5 + rng.standard_normal(n)
    A = sparse.random_array((n, 3), density=0.6, format="csr", rng=rng)
    B = sparse.random_array((n, 2), density=0.6, format="csr", rng=rng)
    draws = 1000
    inner = np.array([
        sketched_product(coordinated_sketch(a, 10, method=method, random_state=s),
                         coordinated_sketch(b, 10, method=method, random_state=s))
        for s in range(draws)
    ])
    assert abs(inner.mean() - a @ b) <= 5 * inner.std() / np.sqrt(draws)
    products = np.array([
        sketched_product(coordinated_sketch(A, 12, method=method, random_state=s),
                         coordinated_sketch(B, 12, method=method, random_state=s)).toarray()
        for s in range(draws)
    ])
    error = np.abs(products.mean(axis=0) - (A.T @ B).toarray())
    assert np.all(error <= 5 * products.std(axis=0) / np.sqrt(draws) + 1e-12)
    if method == "priority":
        sizes = [coordinated_sketch(a, 10, method=method, random_state=s).indices.size for s in range(5)]
        assert sizes == [10] * 5


def test_coordinated_sampling_beats_countsketch_on_sparse_rows(rng):
    """Sparse rows (5 of 100 nonzero), equal storage: sampling has a lower error than CountSketch."""
    n, d, s = 20_000, 100, 5
    A = _sparse_rows(rng, n, d, s)
    B = _sparse_rows(rng, n, d, s)
    exact = (A.T @ B).toarray()
    scale = sparse.linalg.norm(A) * sparse.linalg.norm(B)
    SA = coordinated_sketch(A, 2000, random_state=0)
    SB = coordinated_sketch(B, 2000, random_state=0)
    sampled = np.linalg.norm(sketched_product(SA, SB).toarray() - exact) / scale
    assert SA.storage == 2 * SA.rows.nnz + SA.indices.size
    assert SA.nbytes == SA.rows.nnz * (8 + 1) + SA.indices.size * 2 + 8  # uint8 columns, uint16 row ids
    rows = (SA.storage + SB.storage) // (2 * d)  # CountSketch rows holding as many numbers
    CA = sketch(A, rows, method="countsketch", random_state=0)
    CB = sketch(B, rows, method="countsketch", random_state=0)
    linear = np.linalg.norm(CA.T @ CB - exact) / scale
    assert sampled * 2 < linear


def _sparse_rows(rng, n, d, s):
    cols = np.argsort(rng.random((n, d)), axis=1)[:, :s].ravel()
    values = rng.standard_normal(n * s) * np.repeat(rng.lognormal(sigma=1.0, size=n), s)
    return sparse.csr_array((values, (np.repeat(np.arange(n), s), cols)), shape=(n, d))


def test_coordinated_sketch_refuses_bad_input(rng):
    a = rng.standard_normal(20)
    assert_rejects(coordinated_sketch, a, 5, random_state=None, error=TypeError, naming="shared seed")
    assert_rejects(coordinated_sketch, a, 5, random_state=np.random.default_rng(0), error=TypeError,
                   naming="shared seed")
    assert_rejects(coordinated_sketch, a, 0, random_state=0, naming="'k'")
    assert_rejects(coordinated_sketch, a, 5, method="minhash", random_state=0, naming="'method'")
    sa = coordinated_sketch(a, 5, random_state=0)
    with pytest.raises(ValueError, match="different seeds"):
        sketched_product(sa, coordinated_sketch(a, 5, random_state=1))
    with pytest.raises(ValueError, match="different methods"):
        sketched_product(sa, coordinated_sketch(a, 5, method="threshold", random_state=0))
    with pytest.raises(ValueError, match="incompatible shapes"):
        sketched_product(sa, coordinated_sketch(a[:10], 5, random_state=0))
    with pytest.raises(TypeError, match="CoordinatedSketch"):
        sketched_product(sa, a)


def test_lewis_warning_at_the_callers_line_and_none_from_the_lewis_sketch(rng):
    # p = 3.8 contracts by only |1 - p/2| = 0.9 per iteration: 30 iterations stop short of rtol=1e-3
    A = _heavy_tailed(rng, 300, 4)
    with pytest.warns(ConvergenceWarning, match="^lewis_weights: maxiter") as caught:
        short = lewis_weights(A, 3.8, rtol=1e-3, maxiter=30)
    assert caught[0].filename == __file__ and short.status == 1
    # the sketch uses that short run on purpose: no warning is issued, none of the user's is hidden
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SA = sketch(A, 40, method="lewis", p=3.8, leverage="exact", random_state=0)
        warnings.warn("the user's own warning", UserWarning)
    assert SA.shape == (40, 4)
    assert [str(w.message) for w in caught] == ["the user's own warning"]
