"""altmin_complete: recovery, the three row solvers, biases and ridge, float32, bad input, memory, stopping rule."""

import warnings

import numpy as np
import pytest
from scipy import sparse

from sparsekit import ConvergenceWarning
from sparsekit._core._testing import assert_rejects
from sparsekit.linalg import altmin_complete


def _problem(n=120, m=90, k=4, frac=0.3, noise=0.0, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, k)) @ rng.standard_normal((k, m))
    mask = rng.random((n, m)) < frac
    r, c = np.nonzero(mask)
    values = M[r, c] + noise * rng.standard_normal(len(r))
    return sparse.csr_array((values.astype(dtype), (r, c)), shape=(n, m)), M, mask


@pytest.mark.parametrize("solver", ["exact", "cg", "sketch"])
def test_exact_low_rank_is_recovered(solver):
    M_obs, M, mask = _problem()
    res = altmin_complete(M_obs, 4, solver=solver, random_state=0, max_iter=200, tol=1e-8)
    assert res.converged
    assert np.linalg.norm(res.U @ res.V.T - M) / np.linalg.norm(M) < 1e-5
    assert np.all(np.diff(res.rmse[:5]) <= 1e-12)  # AltMin never increases the observed-entry loss at ridge=0


def test_noisy_completion_error_is_at_noise_level():
    M_obs, M, mask = _problem(noise=0.1, frac=0.25)
    res = altmin_complete(M_obs, 4, random_state=0)
    held_out = np.sqrt(np.mean((res.U @ res.V.T - M)[~mask] ** 2))
    assert held_out < 0.1 and res.rmse[-1] < 0.1


def test_bias_model_recovers_offsets():
    """Ratings = offset + row and column biases + low rank: the fitted model predicts the missing entries."""
    M_obs, M, mask = _problem(k=2)
    rng = np.random.default_rng(5)
    rb, cb = rng.standard_normal(M.shape[0]), rng.standard_normal(M.shape[1])
    full = 3.0 + rb[:, None] + cb[None, :] + M
    r, c = np.nonzero(mask)
    res = altmin_complete(sparse.csr_array((full[r, c], (r, c)), shape=M.shape), 2, bias=True, random_state=0,
                          max_iter=300, tol=1e-9)
    pred = res.offset + res.row_bias[:, None] + res.col_bias[None, :] + res.U @ res.V.T
    assert res.converged and np.sqrt(np.mean((pred - full)[~mask] ** 2)) < 1e-8
    assert res.offset == pytest.approx(full[mask].mean())


def test_ridge_is_the_objective_minimiser():
    """At the fixed point, each side is the ridge solution given the other (first-order optimality)."""
    M_obs, _, _ = _problem(noise=0.3)
    res = altmin_complete(M_obs, 4, ridge=2.0, random_state=0, max_iter=500, tol=1e-12)
    P = sparse.csr_array((np.einsum("ij,ij->i", res.U[M_obs.nonzero()[0]], res.V[M_obs.nonzero()[1]]),
                          M_obs.nonzero()), shape=M_obs.shape)
    R = (P - M_obs).toarray()
    grad_U, grad_V = R @ res.V + 2.0 * res.U, R.T @ res.U + 2.0 * res.V
    assert np.abs(grad_U).max() < 1e-4 and np.abs(grad_V).max() < 1e-4


def test_float32_stays_float32():
    M_obs, M, _ = _problem(dtype=np.float32)
    res = altmin_complete(M_obs, 4, random_state=0)
    assert res.U.dtype == res.V.dtype == np.float32
    assert np.linalg.norm(res.U @ res.V.T - M) / np.linalg.norm(M) < 1e-3


def test_same_answer_for_every_sparse_format_and_scale():
    M_obs, _, _ = _problem(noise=0.2)
    ref = altmin_complete(M_obs, 4, random_state=0, ridge=0.5)
    for other in (M_obs.tocoo(), sparse.csc_matrix(M_obs)):
        res = altmin_complete(other, 4, random_state=0, ridge=0.5)
        np.testing.assert_allclose(res.U @ res.V.T, ref.U @ ref.V.T, atol=1e-9)
    scaled = altmin_complete(M_obs * 1e200, 4, random_state=0, ridge=0.5e200)
    np.testing.assert_allclose(scaled.U @ scaled.V.T / 1e200, ref.U @ ref.V.T, rtol=1e-8, atol=1e-8)


def test_max_iter_warns_and_callback_stops():
    M_obs, _, _ = _problem(noise=0.1)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        res = altmin_complete(M_obs, 4, max_iter=1, random_state=0)
    assert not res.converged and res.status == 1 and res.n_iter == 1
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = altmin_complete(M_obs * 7.0, 4, random_state=0,
                              callback=lambda r: seen.append((r.n_iter, r.U @ r.V.T)) or r.n_iter == 2)
    assert res.status == 2 and [s[0] for s in seen] == [1, 2] and res.n_iter == 2
    np.testing.assert_allclose(seen[-1][1], res.U @ res.V.T)  # the callback sees the data's units


def test_bad_input_is_named():
    M_obs, _, _ = _problem(noise=0.2)
    assert_rejects(altmin_complete, M_obs.toarray(), 4, error=TypeError, naming="M_observed")
    assert_rejects(altmin_complete, M_obs, 90, naming="rank")
    assert_rejects(altmin_complete, M_obs, 0, naming="rank")
    assert_rejects(altmin_complete, M_obs, 4, ridge=-1.0, naming="ridge")
    assert_rejects(altmin_complete, M_obs, 4, solver="als", naming="solver")
    empty_row = M_obs.tolil()
    empty_row[3, :] = 0
    empty_row = sparse.csr_array(empty_row)
    empty_row.eliminate_zeros()
    assert_rejects(altmin_complete, empty_row, 4, naming="M_observed")
    assert altmin_complete(empty_row, 4, ridge=1.0, random_state=0).U[3] == pytest.approx(0.0)
    bad = M_obs.copy()
    bad.data[0] = np.nan
    assert_rejects(altmin_complete, bad, 4, naming="M_observed")
