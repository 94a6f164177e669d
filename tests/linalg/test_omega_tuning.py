"""OmegaTuner policies, sor_sequence, evaluate_omegas and the "sor-bandit" sequence method."""

import numpy as np
import pytest
from scipy.sparse.linalg import spsolve

from sparsekit import ConvergenceWarning, InvalidParameterError
from sparsekit._core._testing import assert_rejects
from sparsekit.datasets import HeatEquation2D, shifted_laplacian_sequence
from sparsekit.linalg import (
    SEQUENCE_METHODS,
    LaplacianStencil,
    OmegaTuner,
    evaluate_omegas,
    solve_sequence,
    sor,
    sor_sequence,
    young_omega,
)


def _synthetic_cost(omega, best=1.6):
    """A cost curve shaped like SOR's: steep below the optimum, steeper above."""
    return 20.0 + 300.0 * abs(omega - best) * (1.0 if omega < best else 3.0)


@pytest.fixture(scope="module")
def paper_sequence():
    """The high-variance shifted-Laplacian sequence of the paper, matrix-free, T = 600."""
    return shifted_laplacian_sequence(600, variance="high", matrix_free=True, random_state=0)


@pytest.fixture(scope="module")
def paper_hindsight(paper_sequence):
    return evaluate_omegas(paper_sequence.systems)


def test_tsallis_inf_concentrates_on_the_best_omega():
    tuner = OmegaTuner("tsallis-inf", random_state=0)
    for _ in range(3000):
        tuner.observe(_synthetic_cost(tuner.suggest()))
    late = tuner.omega_history[-500:]
    assert np.mean(np.abs(late - 1.6) < 0.06) > 0.8
    assert tuner.cost_history.sum() < 1.35 * 3000 * _synthetic_cost(1.6)


def test_contextual_policies_learn_the_context_to_omega_map():
    rng = np.random.default_rng(1)
    for policy, option in (("tsallis-inf-cb", {"n_bins": 4}), ("chebcb", {})):
        tuner = OmegaTuner(policy, context_range=(0.0, 1.0), random_state=0, **option)
        contexts = rng.uniform(0.0, 1.0, 3000)
        for c in contexts:
            tuner.observe(_synthetic_cost(tuner.suggest(c), best=1.2 + 0.6 * c))
        late = slice(-800, None)
        gap = np.abs(tuner.omega_history[late] - (1.2 + 0.6 * contexts[late]))
        assert np.median(gap) < 0.15, policy


def test_tuner_is_reproducible_and_validates():
    runs = []
    for _ in range(2):
        tuner = OmegaTuner("tsallis-inf", random_state=np.random.default_rng(5))
        for _ in range(40):
            tuner.observe(_synthetic_cost(tuner.suggest()))
        runs.append(tuner.omega_history)
    np.testing.assert_array_equal(*runs)
    tuner = OmegaTuner("tsallis-inf")
    with pytest.raises(RuntimeError, match="suggest"):
        tuner.observe(3)
    tuner.suggest()
    with pytest.raises(RuntimeError, match="observe"):
        tuner.suggest()
    for cost in (-1, np.inf, np.nan):
        with pytest.raises(InvalidParameterError, match="cost"):
            tuner.observe(cost)
    with pytest.raises(ValueError, match="Unknown method 'bandit'"):
        OmegaTuner("bandit")
    with pytest.raises(TypeError, match="n_bins"):
        OmegaTuner("chebcb", n_bins=3, context_range=(0, 1))
    with pytest.raises(ValueError, match="context_range"):
        OmegaTuner("chebcb")
    with pytest.raises(ValueError, match="needs a context"):
        OmegaTuner("tsallis-inf-cb", context_range=(0, 1)).suggest()
    for context in ("0.5", np.array([0.1, 0.2]), np.inf):
        assert_rejects(OmegaTuner("chebcb", context_range=(0, 1)).suggest, context, naming="context")
    with pytest.raises(ValueError, match="omegas must lie"):
        OmegaTuner("tsallis-inf", omegas=[1.0, 2.0])
    with pytest.raises(InvalidParameterError, match="'omega'"):
        OmegaTuner("fixed", omega=2.0)
    assert OmegaTuner("fixed", omega=1.3).suggest() == 1.3
    stencil = LaplacianStencil((10, 10), shift=0.2)
    assert OmegaTuner("instance-optimal").suggest(A=stencil) == young_omega(stencil)
    with pytest.raises(ValueError, match="needs the matrix"):
        OmegaTuner("instance-optimal").suggest()


def test_paper_setup_short_run(paper_sequence, paper_hindsight):
    """T = 600 of the paper's high-variance sequence: orderings of the totals that hold already."""
    systems, shifts = paper_sequence.systems, paper_sequence.shifts
    totals = {
        policy: sor_sequence(systems, policy=policy, context=shifts, random_state=0).total_iterations
        for policy in ("tsallis-inf-cb", "chebcb")
    }
    totals["tsallis-inf"] = sor_sequence(systems, policy="tsallis-inf", random_state=0).total_iterations
    totals["gauss-seidel"] = sor_sequence(systems, policy="fixed", omega=1.0).total_iterations
    totals["instance-optimal"] = sor_sequence(systems, policy="instance-optimal").total_iterations
    best = paper_hindsight.best_total
    assert paper_hindsight.best_omega == pytest.approx(1.8)
    assert totals["gauss-seidel"] == paper_hindsight.totals[0]
    assert totals["instance-optimal"] < 0.65 * best
    assert totals["tsallis-inf"] < 0.45 * totals["gauss-seidel"]
    assert totals["chebcb"] < 1.2 * best
    assert totals["tsallis-inf-cb"] < totals["tsallis-inf"]


def test_evaluate_omegas_matches_single_solves(paper_sequence, paper_hindsight):
    systems = paper_sequence.systems
    for t in (0, 17):
        for k in (0, 9, 19):
            omega = paper_hindsight.omegas[k]
            assert paper_hindsight.costs[t, k] == sor(*systems[t], omega=omega).n_iter
    assert paper_hindsight.best_total == paper_hindsight.totals.min()
    assert paper_hindsight.oracle_total == paper_hindsight.costs.min(axis=1).sum()


def test_sequence_result_and_reproducibility(paper_sequence):
    systems, shifts = paper_sequence.systems[:40], paper_sequence.shifts[:40]
    first = sor_sequence(systems, policy="chebcb", context=shifts, random_state=3)
    second = sor_sequence(systems, policy="chebcb", context=shifts, random_state=3)
    np.testing.assert_array_equal(first.omega, second.omega)
    assert first.converged and first.status == 0 and first.system_converged.all()
    assert first.n_iter.shape == first.omega.shape == (40,) and first.total_iterations == first.n_iter.sum()
    for (A, b), x in zip(systems[:3], first.x[:3]):
        assert np.linalg.norm(b - A @ x) <= 1e-8 * np.linalg.norm(b)
    lean = sor_sequence(systems, policy="fixed", omega=1.7, keep_solutions=False)
    assert lean.x is None and lean.x_last.shape == (100,)
    stopped = sor_sequence(systems, policy="fixed", omega=1.7, callback=lambda system: system.t == 4)
    assert stopped.status == 2 and stopped.n_iter.shape == (5,)


def test_contextual_policies_accept_zero_costs():
    """A system solved by its initial guess costs 0 iterations; ChebCB's cost scale must stay positive."""
    for policy in ("chebcb", "tsallis-inf-cb", "tsallis-inf"):
        tuner = OmegaTuner(policy, context_range=None if policy == "tsallis-inf" else (0.0, 1.0), random_state=0)
        for t in range(6):
            omega = tuner.suggest(None if policy == "tsallis-inf" else t / 6)
            tuner.observe(0 if t < 3 else _synthetic_cost(omega))
        assert np.all(np.isfinite(tuner.omega_history)) and tuner.cost_history[:3].sum() == 0
    A = LaplacianStencil((5, 5))
    zero_rhs = sor_sequence([(A, np.zeros(25))] * 3 + [(A, np.ones(25))], policy="chebcb",
                            context=[0.0, 0.2, 0.4, 0.6], random_state=0)
    assert zero_rhs.converged and list(zero_rhs.n_iter[:3]) == [0, 0, 0]


def test_sequence_bad_input(paper_sequence):
    systems, shifts = paper_sequence.systems[:5], paper_sequence.shifts[:5]
    with pytest.raises(ValueError, match="context has 3 entries"):
        sor_sequence(systems, policy="chebcb", context=shifts[:3])
    with pytest.raises(ValueError, match="context has 6 entries"):
        sor_sequence(systems, policy="chebcb", context=np.append(shifts, 0.0))
    with pytest.raises(ValueError, match="needs a context"):
        sor_sequence(systems, policy="chebcb", context_range=(0, 1))
    with pytest.raises(ValueError, match=r"systems\[1\]\[1\] \(b\) must have length 100"):
        sor_sequence([systems[0], (systems[1][0], np.ones(3))], policy="fixed")
    with pytest.raises(ValueError, match="at least one"):
        sor_sequence([], policy="fixed")
    with pytest.raises(InvalidParameterError, match="'solver'"):
        sor_sequence(systems, solver="gmres")
    with pytest.warns(ConvergenceWarning, match="4 of 5 systems converged") as record:
        capped = sor_sequence(systems, policy="fixed", omega=1.0, maxiter=500)
    assert capped.status == 1 and capped.n_iter.max() == 500
    assert len(record) == 1 and record[0].filename == __file__


def test_solve_sequence_front_door(paper_sequence):
    assert "sor-bandit" in SEQUENCE_METHODS
    systems, shifts = paper_sequence.systems[:30], paper_sequence.shifts[:30]
    via_registry = solve_sequence(systems, method="sor-bandit", order="given", policy="tsallis-inf-cb",
                                  context=shifts, random_state=0)
    direct = sor_sequence(systems, policy="tsallis-inf-cb", context=shifts, random_state=0)
    np.testing.assert_array_equal(via_registry.n_iter, direct.n_iter)
    assert via_registry.converged and len(via_registry.x) == 30
    with pytest.raises(TypeError, match="unexpected option"):
        solve_sequence(systems, method="sor-bandit", order="given", tolerance=1e-3)
    with pytest.raises(InvalidParameterError, match="'policy'"):
        solve_sequence(systems, method="sor-bandit", order="given", policy="ucb")


def test_ssor_cg_over_a_heat_equation_generator():
    heat = HeatEquation2D(nx=24, n_steps=30)
    exact = list(HeatEquation2D(nx=24, n_steps=30).systems())  # the generator's own direct solves
    reference = spsolve(exact[-1][0].tocsc(), exact[-1][1])
    result = sor_sequence(heat.systems(), policy="chebcb", context=heat.contexts, solver="ssor-cg",
                          warm_start=True, x0=heat.initial(), rtol=1e-10, random_state=0)
    assert result.converged and result.n_iter.shape == (30,)
    np.testing.assert_allclose(result.x_last, reference, rtol=1e-7, atol=1e-9)
    fixed = sor_sequence(HeatEquation2D(nx=24, n_steps=30, matrix_free=True).systems(), policy="fixed",
                         omega=1.5, solver="ssor-cg", warm_start=True, x0=heat.initial(), rtol=1e-10)
    np.testing.assert_allclose(fixed.x_last, reference, rtol=1e-7, atol=1e-9)
    table = evaluate_omegas(HeatEquation2D(nx=24, n_steps=10).systems(), omegas=[1.0, 1.5], solver="ssor-cg",
                            warm_start=True, x0=heat.initial())
    assert table.costs.shape == (10, 2)


def test_sor_bandit_through_solve_sequence_reorders_context(paper_sequence):
    """solve_sequence sorts the systems; the per-system context and chosen omegas follow them."""
    systems, shifts = paper_sequence.systems[:30], paper_sequence.shifts[:30]
    res = solve_sequence(systems, method="sor-bandit", policy="tsallis-inf-cb", context=shifts,
                         features=shifts[:, None], random_state=0)
    assert res.converged and len(res.x) == 30
    np.testing.assert_array_equal(res.context, shifts)
    assert not np.array_equal(res.order, np.arange(30)), "greedy order must differ from the given one here"
    assert np.all(np.diff(shifts[res.order][1:]) != 0)
    for (A, b), x in zip(systems, res.x):
        assert np.linalg.norm(b - A @ x) <= 1e-8 * np.linalg.norm(b) * 1.0001
    assert res.omega.shape == (30,) and np.all((res.omega >= 1.0) & (res.omega <= 1.95))


def test_chebcb_takes_a_context_beyond_its_range_as_the_nearest_end():
    from sparsekit.linalg import LaplacianStencil, sor_sequence

    rng = np.random.default_rng(0)
    systems = [(LaplacianStencil((4, 4), shift=c), rng.standard_normal(16)) for c in (0.1, 0.5, 0.9)]
    far = sor_sequence(systems, policy="chebcb", context_range=(0.0, 1.0), context=[1e300, 2e300, 3e300],
                       random_state=0)
    end = sor_sequence(systems, policy="chebcb", context_range=(0.0, 1.0), context=[1.0, 1.0, 1.0],
                       random_state=0)
    assert far.converged and np.array_equal(far.omega, end.omega)
