"""Sinkhorn-Newton-Sparse: convergence, the adaptive switch, the sparsified Hessian, agreement with POT."""

import numpy as np
import pytest

import sparsekit
from sparsekit._core._testing import assert_rejects
from sparsekit.ot import cost_matrix, sinkhorn, sinkhorn_newton_sparse

ot = pytest.importorskip("ot")


def clouds(n, seed=0):
    rng = np.random.default_rng(seed)
    M = cost_matrix(rng.random((n, 2)), rng.random((n, 2)))
    return M / M.max()


@pytest.mark.parametrize("reg", [1e-3, 1e-4])
def test_converges_in_few_newton_steps(reg):
    M = clouds(300)
    res = sinkhorn_newton_sparse(None, None, M, reg)
    assert res.converged and res.marginal_error[-1].max() <= 1e-9
    assert res.n_newton > 0 and res.n_iter == res.n_sinkhorn + res.n_newton
    assert res.hess_density.shape == res.cg_iterations.shape == (res.n_newton,)
    assert (res.hess_density > 0).all() and (res.hess_density < 0.25).all()
    plain = sinkhorn(None, None, M, reg, method="kernel", tol=1e-6) if reg == 1e-3 else None
    if plain is not None:  # even Sinkhorn to a looser tolerance needs far more iterations
        assert res.n_iter * 10 < plain.n_iter


def test_plan_agrees_with_pot():
    M = clouds(200, seed=4)
    a = b = np.full(200, 1 / 200)
    res = sinkhorn_newton_sparse(a, b, M, 1e-3)
    G = ot.sinkhorn(a, b, M, 1e-3, stopThr=1e-11, numItermax=100_000)
    assert res.converged and np.abs(res.plan - G).sum() <= 1e-6


def test_switch_is_adaptive():
    M = clouds(200)
    dense = sinkhorn(None, None, M, 1e-1)  # plan dense: never leaves Sinkhorn
    assert dense.converged and dense.n_newton == 0 and dense.plan_density.size >= 1
    assert (dense.plan_density > 0.15).all()
    sparse_plan = sinkhorn(None, None, M, 1e-3)
    assert sparse_plan.n_newton > 0 and sparse_plan.plan_density[-1] <= 0.15
    never = sinkhorn_newton_sparse(None, None, M, 1e-3, max_density=1e-6)
    assert never.n_newton == 0 and never.converged


def test_direct_and_cg_solvers_agree():
    M = clouds(150, seed=2)
    cg = sinkhorn_newton_sparse(None, None, M, 1e-3, linear_solver="cg")
    direct = sinkhorn_newton_sparse(None, None, M, 1e-3, linear_solver="direct")
    assert cg.converged and direct.converged
    np.testing.assert_allclose(cg.plan, direct.plan, atol=1e-10)
    assert (direct.cg_iterations == 0).all() and (cg.cg_iterations > 0).all()


def test_random_assignment_case():
    # the SNS paper's case: n = 500, C ~ U[0, 1], eta = 1200; the paper reports 29 iterations
    rng = np.random.default_rng(0)
    C = rng.random((500, 500))
    res = sinkhorn_newton_sparse(None, None, C, 1 / 1200)
    assert res.converged and res.n_iter <= 60


def test_non_uniform_masses_and_rectangular():
    rng = np.random.default_rng(5)
    M = cost_matrix(rng.random((120, 2)), rng.random((90, 2)))
    M /= M.max()
    a = rng.random(120)
    a /= a.sum()
    b = rng.random(90)
    b[[3, 50]] = 0.0
    b /= b.sum()
    res = sinkhorn_newton_sparse(a, b, M, 1e-3)
    assert res.converged and res.n_newton > 0 and np.isfinite(res.g).all()
    assert np.linalg.norm(res.plan.sum(axis=1) - a) <= 1e-9 and np.linalg.norm(res.plan.sum(axis=0) - b) <= 1e-9


def test_budget_ends_on_a_plan_of_the_right_mass():
    with pytest.warns(sparsekit.ConvergenceWarning):
        res = sinkhorn_newton_sparse(None, None, clouds(100), 1e-4, max_iter=15)
    assert not res.converged and res.n_iter == 15 and res.plan.sum() == pytest.approx(1.0, abs=1e-12)


def test_bad_options():
    M = clouds(10)
    assert_rejects(sinkhorn_newton_sparse, None, None, M, 1e-3, linear_solver="lu", naming="linear_solver",
                   error=sparsekit.InvalidParameterError)
    assert_rejects(sinkhorn_newton_sparse, None, None, M, 1e-3, max_hess_density=0.0, naming="max_hess_density",
                   error=sparsekit.InvalidParameterError)


def test_newton_evaluations_by_the_absorbed_kernel_match_the_exponential_ones(monkeypatch):
    """A kernel-domain Sinkhorn stage hands its kernel to Newton: products instead of exponentials, same answer.

    The log-domain stage keeps no kernel (exponential evaluations); a tiny absorption range forces a refill of the
    kernel at nearly every evaluation.
    """
    from sparsekit.ot import _newton

    M = clouds(250, seed=2)
    by_kernel = sinkhorn_newton_sparse(None, None, M, 1e-3, domain="kernel")
    by_exp = sinkhorn_newton_sparse(None, None, M, 1e-3, domain="log")
    monkeypatch.setattr(_newton, "_ABSORB_NATS", 1e-3)
    refilled = sinkhorn_newton_sparse(None, None, M, 1e-3, domain="kernel")
    for res in (by_kernel, by_exp, refilled):
        assert res.converged and res.n_newton > 0 and res.marginal_error[-1].max() <= 1e-9
    assert np.abs(by_kernel.plan - by_exp.plan).sum() <= 1e-8
    assert np.abs(by_kernel.plan - refilled.plan).sum() <= 1e-8
    assert abs(by_kernel.n_newton - refilled.n_newton) <= 1
