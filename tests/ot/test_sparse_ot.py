"""Sparsity-constrained and quadratic OT: tight marginals, k-sparse columns, optimality conditions."""

import numpy as np
import pytest

import sparsekit
from sparsekit._core._testing import assert_rejects
from sparsekit.ot import cost_matrix, quadratic_ot, sparse_ot


def clouds(n, m=None, seed=0):
    rng = np.random.default_rng(seed)
    M = cost_matrix(rng.random((n, 2)), rng.random((m or n, 2)))
    return M / M.max()


def objective(plan, M, gamma):
    dense = plan.toarray()
    return (dense * M).sum() + 0.5 * gamma * (dense**2).sum()


def test_quadratic_ot_meets_its_optimality_conditions():
    M = clouds(80, 60)
    a = np.random.default_rng(1).random(80)
    a /= a.sum()
    b = np.full(60, 1 / 60)
    res = quadratic_ot(a, b, M, 0.1)
    assert res.converged and res.marginal_error[-1].max() <= 1e-9
    expected = np.maximum(res.alpha[:, None] + res.beta[None, :] - M, 0.0) / 0.1
    np.testing.assert_allclose(res.plan.toarray(), expected, atol=1e-12)
    assert res.plan.nnz < 0.2 * M.size  # quadratic regularisation gives a sparse plan
    assert res.n_iter < 60


def test_quadratic_ot_beats_pots_accuracy():
    ot = pytest.importorskip("ot")
    M = clouds(60)
    a = np.full(60, 1 / 60)
    res = quadratic_ot(a, a, M, 0.1)
    G = ot.smooth.smooth_ot_dual(a, a, M, 0.1, reg_type="l2")
    # the same plan, but ours meets the marginals to 1e-9 (POT's L-BFGS-B stops near 1e-4)
    assert np.abs(res.plan.toarray() - G).sum() < 1e-2
    assert res.marginal_error[-1].max() <= 1e-9


@pytest.mark.parametrize("formulation", ["dual", "semi-dual"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_sparse_ot_is_k_sparse_with_tight_marginals(formulation, k):
    M = clouds(60, seed=3)
    a = np.full(60, 1 / 60)
    res = sparse_ot(a, a, M, k, 0.1, formulation=formulation)
    assert res.converged and res.status == 0
    plan = res.plan.toarray()
    assert (np.count_nonzero(plan, axis=0) <= k).all()
    assert np.abs(plan.sum(axis=1) - a).sum() <= 1e-9 and np.abs(plan.sum(axis=0) - a).sum() <= 1e-9
    assert (plan >= 0).all()
    # more freedom cannot hurt: the quadratic OT objective is a lower bound
    assert objective(res.plan, M, 0.1) >= objective(quadratic_ot(a, a, M, 0.1).plan, M, 0.1) - 1e-12


def test_sparse_ot_with_a_loose_k_is_quadratic_ot():
    M = clouds(40)
    res = sparse_ot(None, None, M, 40, 0.1)
    np.testing.assert_allclose(res.plan.toarray(), quadratic_ot(None, None, M, 0.1).plan.toarray(), atol=1e-12)
    loose = sparse_ot(None, None, M, 8, 0.1)  # k above the quadratic plan's column counts: same plan
    np.testing.assert_allclose(loose.plan.toarray(), quadratic_ot(None, None, M, 0.1).plan.toarray(), atol=1e-9)


def test_no_k_sparse_plan_is_reported():
    M = clouds(30, 10)
    with pytest.warns(sparsekit.ConvergenceWarning, match="can serve all"):
        res = sparse_ot(None, None, M, 2, 0.1)  # 10 columns x 2 nonzeros < 30 rows
    assert not res.converged and (np.diff(res.plan.indptr) <= 2).all()


def test_zero_masses_and_bad_input():
    M = clouds(20, 15)
    a = np.full(20, 1 / 18)
    a[[2, 9]] = 0.0
    res = sparse_ot(a, None, M, 2, 0.1)
    assert res.converged and res.plan.shape == (20, 15)
    assert res.plan.toarray()[[2, 9]].sum() == 0.0
    assert_rejects(sparse_ot, None, None, M, 0, 0.1, naming="k", error=sparsekit.InvalidParameterError)
    assert_rejects(sparse_ot, None, None, M, 2, -1.0, naming="gamma", error=sparsekit.InvalidParameterError)
    assert_rejects(sparse_ot, None, None, M, 2, 0.1, formulation="primal", naming="formulation",
                   error=sparsekit.InvalidParameterError)
    assert_rejects(quadratic_ot, [0.5, 0.5], None, M, 0.1, naming="a")


@pytest.mark.parametrize("solver", ["quadratic", "sparse-stage1", "sparse-stage2"])
def test_callback_stops_the_solve(solver):
    """Returning True from the callback stops the iterations (status 2), it is not replayed after the solve."""
    rng = np.random.default_rng(3)
    M = cost_matrix(rng.random((40, 2)), rng.random((40, 2)))
    M /= M.max()
    calls = []

    def stop_at(n):
        return lambda state: calls.append((state.n_iter, state.marginal_error)) or len(calls) >= n

    if solver == "quadratic":
        full = quadratic_ot(None, None, M, 0.1)
        res = quadratic_ot(None, None, M, 0.1, callback=stop_at(2))
    elif solver == "sparse-stage1":
        full = sparse_ot(None, None, M, 2, 0.1)
        res = sparse_ot(None, None, M, 2, 0.1, callback=stop_at(3))
    else:
        full = sparse_ot(None, None, M, 2, 0.1)
        res = sparse_ot(None, None, M, 2, 0.1, callback=stop_at(full.n_lbfgs + 1))
    assert full.converged and full.n_iter > len(calls)
    assert res.status == 2 and not res.converged and "stopped by the callback" in res.message
    assert [n for n, _ in calls] == list(range(1, len(calls) + 1))
    if solver != "quadratic":
        assert np.diff(res.plan.indptr).max() <= 2
