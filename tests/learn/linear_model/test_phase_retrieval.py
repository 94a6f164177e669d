"""sparse_phase_retrieval: Newton hard thresholding against SPARTA, the spectral start, the Newton step's formula."""

import numpy as np
import pytest
from scipy import linalg

from sparsekit import ConvergenceWarning
from sparsekit.learn.linear_model import sparse_phase_retrieval
from sparsekit.learn.linear_model._phase_retrieval import _newton_ht_step, spectral_start


def phaseless(seed, m, n=400, s=6, noise=0.0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    x = np.zeros(n)
    x[rng.choice(n, s, replace=False)] = rng.standard_normal(s)
    y = (A @ x) ** 2
    return A, y * (1.0 + noise * rng.standard_normal(m)), x, s


def distance(z, x):
    return min(np.linalg.norm(z - x), np.linalg.norm(z + x)) / np.linalg.norm(x)


def test_newton_step_minimises_the_quadratic_model_on_the_support(rng):
    """x_S - H_SS^-1 (g_S - H_SJ x_J) is the minimiser of f_I's second-order model over vectors supported on S."""
    A, y, x, s = phaseless(0, 200, n=30, s=4)
    z = x + 0.1 * rng.standard_normal(30) * (x != 0)
    z[[0, 1]] += 0.05  # entries off the true support, which the step may drop
    Az = A @ z
    new = _newton_ht_step(A, y, np.sqrt(y), z, Az, s, 0.95)
    S = np.flatnonzero(new)
    m = A.shape[0]
    g = A.T @ ((Az**2 - y) * Az) / m
    H = (A * (3 * Az**2 - y)[:, None]).T @ A / m
    # model(v) = g^T (v - z) + (v - z)^T H (v - z) / 2 over v supported on S: H_SS (v_S - z_S) = -g_S + H_S,notS z_notS
    off = np.setdiff1d(np.arange(30), S)
    expected = z[S] + linalg.solve(H[np.ix_(S, S)], -g[S] + H[np.ix_(S, off)] @ z[off])
    np.testing.assert_allclose(new[S], expected, rtol=1e-10)


def test_spectral_start_finds_the_large_entries():
    A, y, x, s = phaseless(1, 600, n=1000, s=10)
    start = spectral_start(A, y, s)
    assert np.count_nonzero(start) == s
    assert set(np.argsort(-np.abs(x))[:3]) <= set(np.flatnonzero(start))
    assert abs(start @ x) > 0.7 * np.linalg.norm(start) * np.linalg.norm(x)
    assert np.linalg.norm(start) == pytest.approx(np.sqrt(y.mean()))


@pytest.mark.parametrize("method", ["newton-ht", "sparta"])
def test_exact_recovery(method):
    A, y, x, s = phaseless(2, 400)
    res = sparse_phase_retrieval(A, y, s, method=method, maxiter=300)
    assert res.converged and distance(res.x, x) < 1e-10
    assert set(res.support) == set(np.flatnonzero(x))
    assert res.residual[-1] < 1e-9 * res.residual[0]


def test_newton_needs_fewer_iterations_and_succeeds_as_often_as_sparta():
    """Gate, small: success rate >= SPARTA's at each m, median iterations <= 0.5x."""
    for m in (200, 400):
        newton, sparta = [], []
        for seed in range(6):
            A, y, x, s = phaseless(seed, m)
            newton.append(sparse_phase_retrieval(A, y, s, maxiter=300))
            sparta.append(sparse_phase_retrieval(A, y, s, method="sparta", maxiter=300))
        success = [np.mean([distance(r.x, phaseless(seed, m)[2]) < 1e-10 for seed, r in enumerate(runs)])
                   for runs in (newton, sparta)]
        assert success[0] >= success[1]
        assert np.median([r.n_iter for r in newton]) <= 0.5 * np.median([r.n_iter for r in sparta])


def test_quadratic_convergence():
    A, y, x, s = phaseless(3, 400)
    with pytest.warns(ConvergenceWarning):  # rtol=0 runs to maxiter
        res = sparse_phase_retrieval(A, y, s, rtol=0.0, maxiter=12)
    changes = res.step_norm[res.step_norm > 1e-14]
    # once close, each relative change is at most about the square of the previous one
    tail = changes[-3:]
    assert tail[-1] <= 10 * tail[-2] ** 2 or tail[-1] < 1e-12


def test_noisy_measurements_give_an_error_of_the_noise_order():
    A, y, x, s = phaseless(4, 800, noise=0.01)
    res = sparse_phase_retrieval(A, y, s, rtol=1e-8)
    assert res.converged and distance(res.x, x) < 0.02


def test_stopping_warning_callback_and_dtype():
    A, y, x, s = phaseless(5, 400)
    with pytest.warns(ConvergenceWarning, match="maxiter=2"):
        res = sparse_phase_retrieval(A, y, s, method="sparta", maxiter=2)
    assert not res.converged and res.n_iter == 2
    seen = []
    stopped = sparse_phase_retrieval(A, y, s, callback=lambda xk: seen.append(xk.copy()) or len(seen) == 2)
    assert stopped.status == 2 and not stopped.converged and len(seen) == 2
    single = sparse_phase_retrieval(A.astype(np.float32), y.astype(np.float32), s)
    assert single.x.dtype == np.float32 and distance(single.x, x) < 1e-5
    restart = sparse_phase_retrieval(A, y, s, x0=res.x)
    assert restart.converged and distance(restart.x, x) < 1e-10


def test_bad_input_is_named():
    A, y, _, s = phaseless(6, 100, n=20, s=2)
    with pytest.raises(ValueError, match="y must be non-negative"):
        sparse_phase_retrieval(A, -y, s)
    with pytest.raises(ValueError, match="k must be at most"):
        sparse_phase_retrieval(A, y, 21)
    with pytest.raises(ValueError, match="x0"):
        sparse_phase_retrieval(A, y, s, x0=np.ones(19))
