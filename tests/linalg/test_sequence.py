import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import aslinearoperator

from sparsekit import ConvergenceWarning, InvalidParameterError, Result
from sparsekit._core._testing import assert_rejects
from sparsekit._core.registry import Method
from sparsekit.datasets import darcy_sequence, helmholtz_sequence, poisson2d, poisson_sequence
from sparsekit.linalg import SEQUENCE_METHODS, LaplacianStencil, RecycleSpace, solve_sequence
from sparsekit.linalg._sequence import SYSTEM_FIELDS, _feature_distances, _greedy_order, run_systems


@pytest.fixture(scope="module")
def helmholtz():
    return helmholtz_sequence(8, n=16, random_state=5)


def _assert_solved(systems, res, rtol):
    for (A, b), x in zip(systems, res.x):
        assert np.linalg.norm(b - A @ x) <= rtol * np.linalg.norm(b) * (1 + 1e-9)


def test_greedy_chain_follows_nearest_neighbours():
    positions = np.array([0.0, 5.0, 1.0, 4.0, 2.0, 3.0])
    np.testing.assert_array_equal(_greedy_order(_feature_distances(positions[:, None]), 6), [0, 2, 4, 5, 3, 1])


def test_default_order_is_matrix_value_distance(helmholtz):
    systems = helmholtz.systems
    by_values = solve_sequence(systems, rtol=1e-6).order
    data = np.stack([A.data for A, _ in systems])
    np.testing.assert_array_equal(by_values, _greedy_order(_feature_distances(data), len(systems)))
    dense = [(A.toarray(), b) for A, b in systems]  # no shared pattern: differences are formed
    np.testing.assert_array_equal(solve_sequence(dense, rtol=1e-6, method="gmres").order, by_values)
    assert not np.array_equal(by_values, np.arange(len(systems)))


@pytest.mark.parametrize("method, options", [("gcrodr", {"m": 30, "k": 10}), ("gmres", {"restart": 30}),
                                              ("gcrotmk", {"m": 15, "k": 10})])  # fmt: skip
def test_methods_return_solutions_in_callers_order(helmholtz, method, options):
    res = solve_sequence(helmholtz.systems, method=method, features=helmholtz.features, rtol=1e-8, **options)
    assert res.converged and res.status == 0 and res.system_converged.all()
    assert sorted(res.order) == list(range(8)) and not np.array_equal(res.order, np.arange(8))
    _assert_solved(helmholtz.systems, res, 1e-8)
    for field in ("n_iter", "n_matvec", "residual_norm", "seconds", "system_status"):
        assert res[field].shape == (8,)
    for i, (A, b) in enumerate(helmholtz.systems):
        assert res.residual_norm[i] == pytest.approx(np.linalg.norm(b - A @ res.x[i]), rel=1e-6, abs=1e-14)


def test_recycling_beats_restarted_gmres(helmholtz):
    common = dict(features=helmholtz.features, rtol=1e-8)
    gcrodr_res = solve_sequence(helmholtz.systems, method="gcrodr", m=12, k=6, **common)
    gmres_res = solve_sequence(helmholtz.systems, method="gmres", restart=12, **common)
    gcrot_res = solve_sequence(helmholtz.systems, method="gcrotmk", m=6, k=6, **common)
    assert gcrodr_res.n_matvec.sum() < 0.55 * gmres_res.n_matvec.sum()
    assert gcrodr_res.n_matvec.sum() < gcrot_res.n_matvec.sum()
    assert isinstance(gcrodr_res.recycle, RecycleSpace) and len(gcrot_res.CU) > 0


def test_per_system_x0_is_reordered_with_the_systems(helmholtz):
    exact = [np.linalg.solve(A.toarray(), b) for A, b in helmholtz.systems]
    for method in SEQUENCE_METHODS.names():
        res = solve_sequence(helmholtz.systems, method=method, x0=exact, rtol=1e-8)
        assert res.converged and res.n_iter.max() <= 1, method  # exact guesses: nothing left to iterate
    with pytest.raises(ValueError, match=r"x0 must hold one entry per item \(8\); got 3"):
        solve_sequence(helmholtz.systems, x0=exact[:3])


def test_per_item_options_and_results_of_a_registered_method(helmholtz, monkeypatch):
    received = {}

    def echo(systems, *, context=None):
        """Record the context each system came with."""
        received["context"] = context
        received["first_b"] = [b[0] for _, b in systems]
        count = len(systems)
        return Result(x=[b for _, b in systems], n_iter=np.zeros(count, int), system_converged=np.ones(count, bool),
                      converged=True, status=0, message="ok", echo=np.asarray(context))  # fmt: skip

    method = Method(name="echo", func=echo, family="solve_sequence", per_item_options=("context",),
                    per_item_results=("echo",))  # fmt: skip
    monkeypatch.setitem(SEQUENCE_METHODS._methods, "echo", method)
    systems = [(np.eye(2), np.array([float(i), 0.0])) for i in range(5)]
    context = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
    res = solve_sequence(systems, method="echo", order=[3, 1, 4, 0, 2], context=context)
    np.testing.assert_array_equal(received["context"], [13.0, 11.0, 14.0, 10.0, 12.0])
    assert received["first_b"] == [3.0, 1.0, 4.0, 0.0, 2.0]  # each context travelled with its system
    np.testing.assert_array_equal(res.echo, context)  # and the results come back in the caller's order
    assert [x[0] for x in res.x] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert set(SYSTEM_FIELDS) >= {"x", "n_iter", "system_converged"}


def test_callable_systems_are_generated_on_demand(helmholtz):
    calls = []

    def generate(i):
        calls.append(i)
        return helmholtz.systems[i]

    res = solve_sequence(generate, n_systems=8, features=helmholtz.features, rtol=1e-8)
    assert res.converged and sorted(calls) == list(range(8)) and calls == list(res.order)
    _assert_solved(helmholtz.systems, res, 1e-8)
    with pytest.raises(ValueError, match="needs features"):
        solve_sequence(generate, n_systems=8)
    with pytest.raises(TypeError, match="n_systems is required"):
        solve_sequence(generate)
    with pytest.raises(TypeError, match="n_systems is only"):
        solve_sequence(helmholtz.systems, n_systems=8)
    given = solve_sequence(generate, n_systems=3, order="given", rtol=1e-8)
    np.testing.assert_array_equal(given.order, [0, 1, 2])


def test_preconditioners_by_name_and_factory():
    data = darcy_sequence(4, n=16, random_state=0)
    plain = solve_sequence(data.systems, rtol=1e-8, m=20, k=8)
    for M in ("jacobi", "ilu", lambda A: sparse.diags_array(1.0 / A.diagonal())):
        res = solve_sequence(data.systems, rtol=1e-8, m=20, k=8, M=M)
        assert res.converged
        _assert_solved(data.systems, res, 1e-8)
    ilu = solve_sequence(data.systems, rtol=1e-8, M="ilu")
    assert ilu.n_iter.sum() < plain.n_iter.sum() / 3
    for method in ("gmres", "gcrotmk"):
        assert solve_sequence(data.systems, method=method, rtol=1e-8, M="jacobi").converged


def test_fixed_matrix_sequence_recycles_without_recomputing_c():
    data = poisson_sequence(6, n=16, random_state=0)
    res = solve_sequence(data.systems, order="given", rtol=1e-8, m=30, k=10)
    assert res.converged
    # From the second system on: iterations + one probe + one final residual, no k-product refresh.
    np.testing.assert_array_equal(res.n_matvec[1:], res.n_iter[1:] + 2)
    assert res.n_matvec[1:].mean() < 0.8 * res.n_matvec[0]


def test_nonconvergence_is_one_warning_and_stop_by_callback(helmholtz):
    with pytest.warns(ConvergenceWarning, match=r"8 of 8 systems did not converge") as record:
        res = solve_sequence(helmholtz.systems, rtol=1e-12, maxiter=5)
    assert len(record) == 1 and res.status == 1 and not res.system_converged.any()
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # the user asked to stop: no warning
        res = solve_sequence(helmholtz.systems, rtol=1e-6, callback=lambda r: seen.append(r.index) or len(seen) == 3)
    assert res.status == 2 and not res.converged and seen == list(res.order[:3])
    assert "stopped by the callback" in res.message
    assert (res.system_status == -3).sum() == 5 and res.x[res.order[-1]] is None


def test_method_stopped_by_its_callback_has_unsolved_systems_filled():
    """sor-bandit returns only the systems it solved when its callback stops it; the front door fills the rest."""
    rng = np.random.default_rng(0)
    systems = [(LaplacianStencil((5, 5), shift=s), rng.standard_normal(25)) for s in (0.0, 0.3, 0.1, 0.2)]
    res = solve_sequence(systems, method="sor-bandit", order=[2, 0, 3, 1], policy="fixed", omega=1.5,
                         callback=lambda system: system.index == 0)
    assert res.status == 2
    solved, unsolved = [2, 0], [3, 1]
    assert all(res.x[i] is not None for i in solved) and all(res.x[i] is None for i in unsolved)
    assert np.all(res.n_iter[solved] > 0) and np.all(res.n_iter[unsolved] == 0)
    assert res.system_converged[solved].all() and not res.system_converged[unsolved].any()
    np.testing.assert_array_equal(res.omega[solved], 1.5)
    assert np.isnan(res.omega[unsolved]).all()


@pytest.mark.parametrize("method", SEQUENCE_METHODS.names())
def test_every_method_calls_back_with_caller_index_and_result(method):
    """One callback contract for all methods: ``callback(result)``, ``result.index`` in the caller's numbering."""
    rng = np.random.default_rng(1)
    systems = [(poisson2d(5, shift=s, format="csr"), rng.standard_normal(25)) for s in (0.0, 0.3, 0.1)]
    seen = []
    res = solve_sequence(systems, method=method, order=[2, 0, 1], rtol=1e-8,
                         callback=lambda result: seen.append((result.index, bool(result.converged))))
    assert res.converged
    assert seen == [(2, True), (0, True), (1, True)]


@pytest.mark.parametrize("method", ["gcrodr", "gmres", "gcrotmk"])
def test_single_precision_sequences_solve_in_their_precision(helmholtz, method):
    systems = [(A.astype(np.float32), b.astype(np.float32)) for A, b in helmholtz.systems[:4]]
    res = solve_sequence(systems, method=method, rtol=1e-5)
    assert res.converged
    assert all(x.dtype == np.float32 for x in res.x)
    for (A, b), x in zip(systems, res.x):
        assert np.linalg.norm(b - A @ x) <= 1.1e-5 * np.linalg.norm(b)


def test_bad_input_clear_errors(helmholtz):
    systems = helmholtz.systems
    assert_rejects(solve_sequence, [], naming="at least one")
    assert_rejects(solve_sequence, [systems[0], (systems[1][0],)], error=TypeError, naming="systems[1]")
    assert_rejects(solve_sequence, [systems[0], (np.eye(3), np.ones(3))], naming="systems[1][0]")
    assert_rejects(solve_sequence, [systems[0], (systems[1][0], np.ones(5))], naming="systems[1][1]")
    bad = systems[2][0].copy()
    bad.data[0] = np.nan
    assert_rejects(solve_sequence, [systems[0], (bad, systems[2][1])], naming="systems[1][0]")
    assert_rejects(solve_sequence, systems, features=np.ones((3, 2)), naming="features")
    assert_rejects(solve_sequence, systems, order=[0, 0, 1, 2, 3, 4, 5, 6], naming="order")
    assert_rejects(solve_sequence, systems, order="sorted", naming="order")
    assert_rejects(solve_sequence, systems, method="cg", naming="known methods")
    assert_rejects(solve_sequence, systems, omega=1.2, error=TypeError, naming="omega")
    assert_rejects(solve_sequence, systems, m=10, k=10, naming="k")
    assert_rejects(solve_sequence, systems, rtol=-1.0, error=InvalidParameterError, naming="rtol")
    assert_rejects(solve_sequence, systems, M="amg", naming="M")
    operators = [(aslinearoperator(A), b) for A, b in systems]
    assert_rejects(solve_sequence, operators, naming="LinearOperator")
    assert_rejects(solve_sequence, operators, order="given", M="jacobi", naming="LinearOperator")
    zero_diag = systems[0][0].tolil()
    zero_diag[4, 4] = 0.0
    assert_rejects(solve_sequence, [(zero_diag.tocsr(), systems[0][1])], M="jacobi", naming="systems[0]")


def test_run_systems_contract_for_method_authors(helmholtz):
    systems = helmholtz.systems

    class Listed(list):
        def original_index(self, j):
            return j

    def solve_one(j, A, b, x0):
        return Result(x=b, n_iter=j, n_matvec=2 * j, converged=True, status=0, residual_norm=0.0)

    res = run_systems(Listed(systems), solve_one)
    assert res.converged and list(res.n_iter) == list(range(8)) and list(res.n_matvec) == list(range(0, 16, 2))


# --------------------------------------------------------------------------- end of run
def test_one_warning_at_the_callers_line(helmholtz):
    with pytest.warns(ConvergenceWarning) as record:
        solve_sequence(helmholtz.systems[:3], rtol=1e-12, maxiter=5)
    assert len(record) == 1 and record[0].filename == __file__


@pytest.mark.parametrize("method", ["gcrodr", "gmres", "gcrotmk"])
def test_a_non_finite_system_is_never_converged(method):
    nan_operator = aslinearoperator(np.eye(25))
    nan_operator.matvec = lambda v: np.full(25, np.nan)
    nan_operator.matmat = lambda X: np.full(X.shape, np.nan)
    systems = [(nan_operator, np.ones(25)), (poisson2d(5, format="csr"), np.ones(25))]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = solve_sequence(systems, method=method, order="given", rtol=1e-8)
    convergence = [w for w in record if issubclass(w.category, ConvergenceWarning)]
    assert len(convergence) == 1 and convergence[0].filename == __file__
    assert not res.converged and res.status == 1
    # The next system is solved: nothing non-finite is carried to it.
    assert not res.system_converged[0] and res.system_status[0] != 0 and res.system_converged[1]
