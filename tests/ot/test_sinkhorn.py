"""sinkhorn: agreement with POT, the stopping rule, domains, dtypes, batches, lazy plans, robustness."""

import warnings

import numpy as np
import pytest

import sparsekit
from sparsekit._core._testing import assert_rejects, readonly
from sparsekit.ot import EntropicPlan, cost_matrix, sinkhorn, sinkhorn_newton_sparse

ot = pytest.importorskip("ot")

METHODS = ["kernel", "log", "auto"]


def clouds(n, m=None, seed=0):
    rng = np.random.default_rng(seed)
    M = cost_matrix(rng.random((n, 2)), rng.random((m or n, 2)))
    return M / M.max()


def marginal_errors(P, a, b):
    return np.linalg.norm(P.sum(axis=1) - a), np.linalg.norm(P.sum(axis=0) - b)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("reg", [1e-1, 1e-2])
def test_matches_pot(method, reg):
    M = clouds(120, 100)
    a, b = np.full(120, 1 / 120), np.full(100, 1 / 100)
    res = sinkhorn(a, b, M, reg, method=method)
    G, log = ot.sinkhorn(a, b, M, reg, stopThr=1e-12, numItermax=100_000, log=True)
    assert res.converged and res.status == 0
    assert max(marginal_errors(res.plan, a, b)) <= 1e-9
    assert np.abs(res.plan - G).sum() <= 1e-6
    assert res.cost == pytest.approx((G * M).sum(), rel=1e-7)
    # same iterates as POT: the potentials give POT's plan, the iteration count is POT's (which checks every 10)
    np.testing.assert_allclose(np.exp((res.f[:, None] + res.g[None, :] - M) / reg), res.plan, rtol=1e-12)


@pytest.mark.parametrize("method", ["kernel", "log"])
def test_iteration_count_is_pots(method):
    M = clouds(80)
    a = b = np.full(80, 1 / 80)
    res = sinkhorn(a, b, M, 1e-2, method=method)
    _, log = ot.sinkhorn(a, b, M, 1e-2, stopThr=1e-9, log=True, method="sinkhorn" if method == "kernel" else
                         "sinkhorn_log")
    assert abs(res.n_iter - log["niter"]) <= 10


def test_stopping_rule_is_both_marginals_below_tol():
    M = clouds(60)
    for tol in (1e-4, 1e-7, 1e-10):
        res = sinkhorn(None, None, M, 1e-2, method="log", tol=tol)
        errors = res.marginal_error
        assert errors.shape == (res.n_iter, 2)
        assert errors[-1].max() <= tol < errors[:-1, 0].min()  # the first iterate below tol stops
        assert max(marginal_errors(res.plan, np.full(60, 1 / 60), np.full(60, 1 / 60))) <= tol
    assert sinkhorn(None, None, M, 1e-2, tol=1e-4).n_iter < res.n_iter


def test_kernel_and_log_domains_agree():
    M = clouds(90, 70, seed=3)
    a = np.random.default_rng(1).random(90)
    a /= a.sum()
    b = np.full(70, 1 / 70)
    kernel = sinkhorn(a, b, M, 3e-3, method="kernel")
    log = sinkhorn(a, b, M, 3e-3, method="log")
    assert kernel.n_iter == log.n_iter
    np.testing.assert_allclose(kernel.plan, log.plan, atol=1e-14, rtol=1e-9)


def test_float32():
    M = clouds(100)
    ref = sinkhorn(None, None, M, 1e-2, method="kernel")
    res = sinkhorn(None, None, M.astype(np.float32), 1e-2, method="kernel", tol=1e-7)
    # float32 in, float32 out: the plan and the potentials (they were float64)
    assert res.converged and res.f.dtype == res.g.dtype == res.plan.dtype == np.float32
    np.testing.assert_allclose(res.plan, ref.plan, atol=1e-8)
    # float64 potentials in the log domain meet float64's tolerance when it is asked for
    res = sinkhorn(None, None, M, 1e-2, method="log", dtype="float32", tol=1e-9)
    np.testing.assert_allclose(res.plan, ref.plan, atol=1e-8)


def test_batched_histograms_match_pot():
    M = clouds(50, 40)
    rng = np.random.default_rng(2)
    B = rng.random((40, 3))
    B[:5, 1] = 0.0
    B /= B.sum(axis=0)
    a = np.full(50, 1 / 50)
    expected = ot.sinkhorn(a, B, M, 5e-2, stopThr=1e-12, numItermax=10_000)
    for method in METHODS:
        res = sinkhorn(a, B, M, 5e-2, method=method)
        np.testing.assert_allclose(res.cost, expected, rtol=1e-7)
        assert res.converged and res.problem_converged.all() and res.f.shape == (50, 3) and res.g.shape == (40, 3)
        assert len(res.plan) == 3 and np.isfinite(res.g).all()
        np.testing.assert_allclose(res.plan[1].sum(axis=0), B[:, 1], atol=1e-9)


def test_lazy_plan_matches_dense():
    M = clouds(40, 30)
    a = np.full(40, 1 / 40)
    b = np.random.default_rng(0).random(30)
    b[3] = 0.0
    b /= b.sum()
    dense = sinkhorn(a, b, M, 1e-2).plan
    lazy = sinkhorn(a, b, M, 1e-2, plan_format="lazy").plan
    assert isinstance(lazy, EntropicPlan) and lazy.shape == (40, 30)
    np.testing.assert_allclose(lazy.toarray(), dense, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(np.asarray(lazy), dense, rtol=1e-12, atol=1e-300)
    x, y = np.arange(30.0), np.arange(40.0)
    np.testing.assert_allclose(lazy @ x, dense @ x, rtol=1e-12)
    np.testing.assert_allclose(y @ lazy, y @ dense, rtol=1e-12)
    np.testing.assert_allclose(lazy @ np.ones((30, 2)), dense @ np.ones((30, 2)), rtol=1e-12)
    np.testing.assert_allclose(lazy.sum(axis=0), b, atol=1e-9)
    assert lazy.sum() == pytest.approx(1.0)


def test_warm_start_and_callback():
    M = clouds(70)
    first = sinkhorn(None, None, M, 1e-2, method="log")
    again = sinkhorn(None, None, M, 1e-2, method="log", x0=(first.f, first.g))
    assert again.n_iter <= 2 and again.converged
    seen = []
    stopped = sinkhorn(None, None, M, 1e-2, method="kernel", callback=lambda state: seen.append(state.marginal_error) or state.n_iter == 5)
    assert stopped.status == 2 and not stopped.converged and len(seen) == 5 and stopped.n_iter == 5


def test_non_convergence_warns():
    with pytest.warns(sparsekit.ConvergenceWarning, match="did not converge"):
        res = sinkhorn(None, None, clouds(50), 1e-3, method="kernel", max_iter=20)
    assert res.status == 1 and not res.converged and res.n_iter == 20


@pytest.mark.parametrize("method", METHODS)
def test_unnormalised_cost_at_small_reg_stays_finite_and_keeps_mass(method):
    # max cost 50 at reg 1e-3: exp(-M / reg) underflows almost everywhere (POT's sinkhorn returns NaN)
    M = clouds(150) * 50.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sparsekit.ConvergenceWarning)
        res = sinkhorn(None, None, M, 1e-3, method=method, max_iter=300)
    assert np.isfinite(res.plan).all() and np.isfinite(res.f).all() and np.isfinite(res.g).all()
    assert np.isfinite(res.marginal_error).all() and np.isfinite(res.cost)
    assert res.plan.sum() == pytest.approx(1.0, abs=1e-9)
    # 50 / 1e-3 is reg = 2e-5 for a normalised cost: far from converged after 300 iterations, but sane
    assert res.marginal_error[-1].max() < 0.1


def test_unnormalised_cost_converges_with_newton_steps():
    M = clouds(150) * 50.0
    res = sinkhorn(None, None, M, 1e-2)  # reg = 2e-4 relative to the cost
    assert res.converged and res.n_newton > 0 and np.isfinite(res.plan).all()


@pytest.mark.parametrize("method", METHODS)
def test_zero_masses(method):
    M = clouds(30, 25)
    a = np.full(30, 1.0)
    a[[0, 7]] = 0.0
    a /= a.sum()
    b = np.full(25, 1 / 25)
    b[4] = 0.0
    b /= b.sum()
    res = sinkhorn(a, b, M, 1e-2, method=method)
    assert res.converged and np.isfinite(res.f).all() and np.isfinite(res.g).all()
    assert (res.plan[[0, 7]] == 0).all() and (res.plan[:, 4] == 0).all()
    assert max(marginal_errors(res.plan, a, b)) <= 1e-9


def test_thousand_points_at_small_reg_keep_mass_one():
    # POT's sinkhorn_stabilized returns a plan of mass 1e-6 here
    M = clouds(1000)
    res = sinkhorn(None, None, M, 1e-3)
    assert res.converged and res.plan.sum() == pytest.approx(1.0, abs=1e-8)
    assert res.marginal_error[-1].max() <= 1e-9


def test_read_only_inputs_are_not_modified():
    M = readonly(clouds(20))
    a = readonly(np.full(20, 0.05))
    res = sinkhorn(a, a, M, 1e-2)
    assert res.converged


def test_bad_input():
    M = clouds(10, 8)
    a, b = np.full(10, 0.1), np.full(8, 1 / 8)
    assert_rejects(sinkhorn, a, b * 2, M, 1e-2, naming="same total mass")
    bad = M.copy()
    bad[2, 3] = np.nan
    assert_rejects(sinkhorn, a, b, bad, 1e-2, naming="M")
    assert_rejects(sinkhorn, -a, b, M, 1e-2, naming="a")
    assert_rejects(sinkhorn, a, np.full(7, 1 / 7), M, 1e-2, naming="b")
    assert_rejects(sinkhorn, a, b, M, 0.0, naming="reg", error=sparsekit.InvalidParameterError)
    assert_rejects(sinkhorn, a, b, M, 1e-2, naming="method", method="greenkhorn")
    assert_rejects(sinkhorn, a, b, M, 1e-2, naming="x0", x0=(np.zeros(3), np.zeros(8)))
    assert_rejects(sinkhorn, a, b, M, 1e-2, naming="callback", callback=3, error=TypeError)
    # verbose and dtype used to fail deep inside with "invalid literal for int()" / "data type not understood"
    assert_rejects(sinkhorn, a, b, M, 1e-2, naming="verbose", verbose="loud", error=sparsekit.InvalidParameterError)
    assert_rejects(sinkhorn_newton_sparse, a, b, M, 1e-2, naming="verbose", verbose=-1,
                   error=sparsekit.InvalidParameterError)
    assert_rejects(sinkhorn, a, b, M, 1e-2, naming="dtype", dtype="double-ish", error=TypeError)
    # rounding-level differences of the totals are rescaled, not rejected
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sinkhorn(a, b * (1 + 1e-9), M, 1e-1).converged


def test_float32_stop_short_of_tol_says_so():
    # In float32 the loop's own errors can meet tol while the exact errors of the returned plan do not;
    # the message used to read "did not converge in 35 iterations" although the budget was 1000.
    rng = np.random.default_rng(0)
    M = cost_matrix(rng.random((6, 2)), rng.random((4, 2))).astype(np.float32)
    a, b = rng.random(6).astype(np.float32), rng.random(4).astype(np.float32)
    a, b = a / a.sum(), b / b.sum()
    with pytest.warns(sparsekit.ConvergenceWarning, match="float32 errors stall"):
        res = sinkhorn(a, b, M, 0.05, method="kernel", tol=1e-9, max_iter=1000)
    assert res.n_iter < 1000 and not res.converged and res.status == 1
    assert res.marginal_error[-1].max() > 1e-9


def test_float64_stop_short_of_a_tol_below_rounding_says_so():
    # The same stop in float64 (tol below rounding) used to advise "use dtype='float64'".
    rng = np.random.default_rng(0)
    M = cost_matrix(rng.random((6, 2)), rng.random((4, 2)))
    a, b = rng.random(6), rng.random(4)
    a, b = a / a.sum(), b / b.sum()
    with pytest.warns(sparsekit.ConvergenceWarning, match="tol is below the rounding level") as record:
        res = sinkhorn(a, b, M, 0.05, method="kernel", tol=1e-16, max_iter=1000)
    assert res.n_iter < 1000 and res.status == 1
    assert "float32" not in str(record[0].message)
