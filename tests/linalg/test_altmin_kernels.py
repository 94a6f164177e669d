"""AltMin completion kernels against their NumPy twins (small inputs: these also run with NUMBA_DISABLE_JIT=1)."""

import numpy as np
import pytest
from scipy import sparse

from sparsekit._core._testing import assert_kernel_matches_twin, readonly
from sparsekit.linalg._completion import _altmin_kernels as kernels


def _observed(rng, n=9, m=7, k=3, frac=0.5, dtype=np.float64):
    """A rank-k matrix with about ``frac`` of its entries observed; row 0 has a single observation."""
    M = rng.standard_normal((n, k)) @ rng.standard_normal((k, m))
    mask = rng.random((n, m)) < frac
    mask[0] = False
    mask[0, 2] = True
    r, c = np.nonzero(mask)
    return sparse.csr_array((M[r, c].astype(dtype), (r, c)), shape=(n, m))


@pytest.mark.parametrize("method", [kernels.EXACT, kernels.CG, kernels.SKETCH])
@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("ridge", [0.0, 0.3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_solve_rows_matches_twin(method, use_bias, ridge, dtype):
    rng = np.random.default_rng(0)
    M = _observed(rng, dtype=dtype)
    k = 3
    F = rng.standard_normal((M.shape[1], k)).astype(dtype)
    other_bias = (0.1 * rng.standard_normal(M.shape[1])).astype(dtype)
    X = rng.standard_normal((M.shape[0], k)).astype(dtype)
    b = rng.standard_normal(M.shape[0]).astype(dtype)
    buckets, signs = rng.random(M.nnz).astype(dtype), rng.choice([-1.0, 1.0], M.nnz).astype(dtype)
    rtol = 1e-9 if dtype == np.float64 else 2e-3
    assert_kernel_matches_twin(kernels.solve_rows, kernels.solve_rows_twin, readonly(M.indptr), readonly(M.indices),
                               readonly(M.data), readonly(F), readonly(other_bias), dtype(0.2), dtype(ridge),
                               dtype(ridge), use_bias, X, b, method, 2, readonly(buckets), readonly(signs), 4,
                               rtol=rtol, atol=rtol)


def test_exact_rows_solve_the_ridge_regressions():
    """The exact half-step is the per-row ridge regression (checked against a stacked lstsq)."""
    rng = np.random.default_rng(1)
    M = _observed(rng)
    F = rng.standard_normal((M.shape[1], 3))
    X, b = np.zeros((M.shape[0], 3)), np.zeros(M.shape[0])
    kernels.solve_rows(M.indptr, M.indices, M.data, F, np.zeros(M.shape[1]), 0.0, 0.5, 0.5, True, X, b,
                       kernels.EXACT, 1, np.zeros(1), np.zeros(1), 1)
    for i in range(M.shape[0]):
        cols = M.indices[M.indptr[i]:M.indptr[i + 1]]
        A = np.vstack([np.hstack([F[cols], np.ones((len(cols), 1))]), np.sqrt(0.5) * np.eye(4)])
        t = np.concatenate([M.data[M.indptr[i]:M.indptr[i + 1]], np.zeros(4)])
        np.testing.assert_allclose(np.append(X[i], b[i]), np.linalg.lstsq(A, t, rcond=None)[0], atol=1e-10)


def test_singular_rows_get_the_minimum_norm_solution():
    """ridge=0 and one observation for three unknowns: the minimum-norm least-squares answer, not NaN."""
    rng = np.random.default_rng(2)
    M = _observed(rng)
    F = rng.standard_normal((M.shape[1], 3))
    X, b = np.zeros((M.shape[0], 3)), np.zeros(M.shape[0])
    kernels.solve_rows(M.indptr, M.indices, M.data, F, np.zeros(M.shape[1]), 0.0, 0.0, 0.0, False, X, b,
                       kernels.EXACT, 1, np.zeros(1), np.zeros(1), 1)
    np.testing.assert_allclose(X[0], np.linalg.pinv(F[[2]]) @ M.data[:1], atol=1e-12)
    assert np.isfinite(X).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_observed_rmse_matches_twin(dtype):
    rng = np.random.default_rng(3)
    M = _observed(rng, dtype=dtype)
    U, V = rng.standard_normal((M.shape[0], 3)).astype(dtype), rng.standard_normal((M.shape[1], 3)).astype(dtype)
    rb, cb = rng.standard_normal(M.shape[0]).astype(dtype), rng.standard_normal(M.shape[1]).astype(dtype)
    assert_kernel_matches_twin(kernels.observed_rmse, kernels.observed_rmse_twin, M.indptr, M.indices, M.data, U, V,
                               rb, cb, dtype(0.5), rtol=1e-10 if dtype == np.float64 else 1e-5)
