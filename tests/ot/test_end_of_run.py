"""How every OT solver ends: one ConvergenceWarning at the user's line, no non-finite result called converged,
``callback(state)`` with a Result, and plain Sinkhorn independent of the Newton solvers."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import sparsekit
from sparsekit.ot import (
    EntropicPlan,
    _entropic,
    _quadratic_ot,
    cost_matrix,
    emd,
    quadratic_ot,
    sinkhorn,
    sinkhorn_newton_sparse,
    solve,
    sparse_ot,
    wasserstein,
)


def clouds(n, m=None, seed=0):
    rng = np.random.default_rng(seed)
    M = cost_matrix(rng.random((n, 2)), rng.random((m or n, 2)))
    return M / M.max()


def run_recording(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, caught


def test_sinkhorn_does_not_load_the_newton_solvers():
    code = (
        "import sys, sparsekit.ot._sinkhorn, sparsekit.ot._sparse_ot; "
        "assert 'sparsekit.ot._sns' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


UNCONVERGED = {
    "sinkhorn": lambda: sinkhorn(None, None, clouds(50), 1e-3, method="kernel", max_iter=20),
    "sinkhorn (batched)": lambda: sinkhorn(
        None, np.full((50, 2), 1 / 50), clouds(50), 1e-3, method="kernel", max_iter=20
    ),
    "sinkhorn_newton_sparse": lambda: sinkhorn_newton_sparse(None, None, clouds(100), 1e-4, max_iter=15),
    "sparse_ot": lambda: sparse_ot(None, None, clouds(30, 10), 2, 0.1),
    "quadratic_ot": lambda: quadratic_ot(None, None, clouds(40), 0.1, max_iter=1),
    "solve": lambda: solve(None, None, clouds(50), 1e-3, method="sinkhorn", max_iter=20),
    "solve sparse": lambda: solve(None, None, clouds(30, 10), 0.1, method="sparse", k=2),
    "wasserstein": lambda: wasserstein(None, None, clouds(50), reg=1e-3, max_iter=20),
}


@pytest.mark.parametrize("name", list(UNCONVERGED))
def test_one_warning_at_the_callers_line(name):
    result, caught = run_recording(UNCONVERGED[name])
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert caught[0].category is sparsekit.ConvergenceWarning
    assert caught[0].filename == __file__
    if name != "wasserstein":
        assert result.status == 1 and not result.converged


def test_emd_budget_warns_once_at_the_callers_line():
    pytest.importorskip("ot")
    result, caught = run_recording(lambda: emd(None, None, clouds(30), max_iter=1))
    assert [w.category for w in caught] == [sparsekit.ConvergenceWarning]
    assert caught[0].filename == __file__ and str(caught[0].message).startswith("emd: ")
    assert result.status == 1 and not result.converged
    _, caught = run_recording(lambda: solve(None, None, clouds(30), method="emd", max_iter=1))
    assert len(caught) == 1 and caught[0].filename == __file__


def test_converged_runs_do_not_warn():
    M = clouds(30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for result in (sinkhorn(None, None, M, 1e-1), sparse_ot(None, None, M, 2, 0.1), emd(None, None, M)):
            assert result.converged and result.status == 0


def test_non_finite_potentials_are_never_converged(monkeypatch):
    def nan_potentials(problem, passes, F, G, reg):
        return F * np.nan, G * np.nan

    monkeypatch.setattr(_entropic, "extend_potentials", nan_potentials)
    for call in (
        lambda: sinkhorn(None, None, clouds(20), 1e-1),
        lambda: sinkhorn_newton_sparse(None, None, clouds(20), 1e-1),
    ):
        result, caught = run_recording(call)
        assert not result.converged and result.status == 3 and "non-finite values in f, g" in result.message
        assert len(caught) == 1 and caught[0].filename == __file__


def test_non_finite_plan_is_never_converged(monkeypatch):
    monkeypatch.setattr(EntropicPlan, "toarray", lambda self: np.full(self.shape, np.nan))
    result, caught = run_recording(lambda: sinkhorn(None, None, clouds(20), 1e-1))
    assert not result.converged and result.status == 3 and "plan" in result.message
    assert len(caught) == 1 and caught[0].filename == __file__


def test_non_finite_sparse_potentials_are_never_converged(monkeypatch):
    monkeypatch.setattr(_quadratic_ot, "expand", lambda values, kept, size, fill: np.full(size, np.inf))
    result, caught = run_recording(lambda: sparse_ot(None, None, clouds(20), 2, 0.1))
    assert not result.converged and result.status == 3 and "alpha, beta" in result.message
    assert len(caught) == 1 and caught[0].filename == __file__


@pytest.mark.parametrize(
    "solver",
    [
        lambda cb: sinkhorn(None, None, clouds(60), 1e-2, method="log", callback=cb),
        lambda cb: sinkhorn(None, np.full((60, 2), 1 / 60), clouds(60), 1e-2, method="kernel", callback=cb),
        lambda cb: sinkhorn_newton_sparse(None, None, clouds(60), 1e-3, callback=cb),
        lambda cb: quadratic_ot(None, None, clouds(40), 0.1, callback=cb),
        lambda cb: sparse_ot(None, None, clouds(40), 2, 0.1, callback=cb),
    ],
)
def test_callback_gets_a_result_and_stop_iteration_stops(solver):
    states = []

    def callback(state):
        states.append(state)
        if state.n_iter == 3:
            raise StopIteration

    result, caught = run_recording(lambda: solver(callback))
    assert all(isinstance(s, sparsekit.Result) for s in states)
    assert [s.n_iter for s in states] == [1, 2, 3]
    assert all(np.isfinite(s.marginal_error) and s.marginal_error > 0 for s in states)
    assert result.status == 2 and not result.converged and not caught


def test_callback_can_stop_the_newton_stage():
    M = clouds(100)
    full = sinkhorn_newton_sparse(None, None, M, 1e-3)
    assert full.n_newton >= 2
    seen = []
    stopped = sinkhorn_newton_sparse(
        None, None, M, 1e-3, callback=lambda state: seen.append(state.n_iter) or state.n_iter > full.n_sinkhorn
    )
    assert stopped.status == 2 and stopped.n_newton == 1 and seen[-1] == full.n_sinkhorn + 1
