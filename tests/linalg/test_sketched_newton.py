"""sketched_newton: Hock-Schittkowski problems against their known solutions and trust-constr, options, bad input."""

import warnings

import numpy as np
import pytest
from scipy import optimize, sparse

from sparsekit import ConvergenceWarning
from sparsekit.linalg import sketched_newton
from sparsekit.linalg._constrained._kkt_minres import KKTSystem, minres

from ._hock_schittkowski import PROBLEMS

# Budgets that keep the Kaczmarz solves of the two tiny ill-conditioned KKT systems (hs6, hs7) short.
_SKETCH = dict(solver="block-kaczmarz", random_state=0, maxiter=60)


# hs6's KKT matrix has condition 1e4: Kaczmarz needs ~1e5 projections there, so it runs with "direct" only.
@pytest.mark.parametrize("name, solver", [(name, s) for name in sorted(PROBLEMS) for s in ("direct", "nystrom-minres")]
                         + [(name, "block-kaczmarz") for name in sorted(PROBLEMS) if name != "hs6"])
def test_hock_schittkowski_reaches_the_known_solution(name, solver):
    p = PROBLEMS[name]()
    res = sketched_newton(p["fun"], p["x0"], jac=p["jac"], hess=p["hess"], constraints=p["constraints"],
                          **(_SKETCH if solver == "block-kaczmarz" else dict(solver=solver, random_state=0)))
    assert res.converged and res.kkt_residual[-1] <= 1e-6
    np.testing.assert_allclose(res.x, p["x_star"], atol=2e-5)
    assert res.fun == pytest.approx(p["f_star"], abs=1e-6)
    assert res.constraint_violation <= 1e-6
    c = p["constraints"]
    peer = optimize.minimize(p["fun"], p["x0"], jac=p["jac"], hess=p["hess"], method="trust-constr",
                             constraints=[optimize.NonlinearConstraint(c["fun"], 0, 0, jac=c["jac"], hess=c["hess"])])
    assert res.fun <= peer.fun + 1e-6


def test_exact_newton_converges_quadratically_on_hs40():
    p = PROBLEMS["hs40"]()
    res = sketched_newton(p["fun"], p["x0"], jac=p["jac"], hess=p["hess"], constraints=p["constraints"],
                          solver="direct")
    k = res.kkt_residual
    assert res.n_iter <= 6 and (res.step_sizes == 1.0).all()
    assert k[-1] <= 10 * k[-2] ** 2  # the last step squares the residual


def test_equality_quadratic_program_with_sparse_linear_constraints_matches_the_kkt_solution():
    rng = np.random.default_rng(0)
    d, m = 60, 15
    Q = sparse.random_array((d, d), density=0.1, random_state=rng)
    Q = (Q @ Q.T + sparse.eye_array(d)).tocsr()
    A = sparse.random_array((m, d), density=0.2, random_state=rng, format="csr") + sparse.eye_array(m, d)
    b, q = rng.standard_normal(m), rng.standard_normal(d)
    K = sparse.bmat([[Q, A.T], [A, None]], format="csc")
    exact = sparse.linalg.spsolve(K, np.concatenate([-q, b]))
    res = sketched_newton(lambda x: 0.5 * x @ (Q @ x) + q @ x, np.zeros(d), jac=lambda x: Q @ x + q,
                          hess=lambda x: Q, constraints=optimize.LinearConstraint(A, b, b), tol=1e-8,
                          random_state=0)
    assert res.converged
    np.testing.assert_allclose(res.x, exact[:d], atol=1e-7)
    np.testing.assert_allclose(res.multipliers, exact[d:], atol=1e-6)
    assert res.inner_iterations.sum() > 0 and res.inner_iterations.shape == (res.n_iter,)


def test_maxiter_warns_and_callback_stops():
    p = PROBLEMS["hs40"]()
    options = dict(jac=p["jac"], hess=p["hess"], constraints=p["constraints"], solver="direct")
    with pytest.warns(ConvergenceWarning, match="sketched_newton: maxiter"):
        res = sketched_newton(p["fun"], p["x0"], maxiter=1, **options)
    assert not res.converged and res.status == 1 and res.n_iter == 1
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = sketched_newton(p["fun"], p["x0"], callback=lambda r: seen.append(r.kkt_residual[-1]) or True,
                              **options)
    assert res.status == 2 and len(seen) == 1 and not res.converged


def test_inputs_are_not_modified():
    p = PROBLEMS["hs48"]()
    x0 = p["x0"].copy()
    sketched_newton(p["fun"], x0, jac=p["jac"], hess=p["hess"], constraints=p["constraints"], solver="direct")
    np.testing.assert_array_equal(x0, p["x0"])


@pytest.mark.parametrize("constraints, match", [
    ({"type": "ineq", "fun": lambda x: x, "jac": lambda x: np.eye(2), "hess": lambda x, v: np.zeros((2, 2))},
     "equality constraint"),
    (optimize.NonlinearConstraint(lambda x: x[0] ** 2, 0.0, 1.0, jac=lambda x: np.array([[2 * x[0], 0.0]])),
     "lb == ub"),
    ({"type": "eq", "fun": lambda x: x[0] ** 2 - 1, "jac": lambda x: np.array([[2 * x[0], 0.0]])}, "no hess"),
    ({"type": "eq", "fun": lambda x: x - 1, "jac": lambda x: np.eye(2), "hess": lambda x, v: np.zeros((2, 2)),
      "bounds": 1}, "unknown keys"),
    (optimize.LinearConstraint(np.eye(3)[:, :2], 0.0, 0.0), "at most 2"),
])
def test_bad_constraints_are_named(constraints, match):
    with pytest.raises(ValueError, match=match):
        sketched_newton(lambda x: x @ x, np.ones(2), jac=lambda x: 2 * x, hess=lambda x: 2 * np.eye(2),
                        constraints=constraints)


def test_bad_arguments_are_named():
    good = dict(jac=lambda x: 2 * x, hess=lambda x: 2 * np.eye(2),
                constraints=optimize.LinearConstraint([[1.0, 1.0]], 1.0, 1.0))
    with pytest.raises(ValueError, match="x0 must not contain NaN"):
        sketched_newton(lambda x: x @ x, np.array([np.nan, 1.0]), **good)
    with pytest.raises(TypeError, match="hess must be a callable"):
        sketched_newton(lambda x: x @ x, np.ones(2), **{**good, "hess": np.eye(2)})
    with pytest.raises(TypeError, match="constraints"):
        sketched_newton(lambda x: x @ x, np.ones(2), **{**good, "constraints": 3})
    with pytest.raises(ValueError, match=r"jac\(x\) must have shape \(2,\)"):
        sketched_newton(lambda x: x @ x, np.ones(2), **{**good, "jac": lambda x: np.ones(3)})
    with pytest.raises(ValueError, match="multipliers0"):
        sketched_newton(lambda x: x @ x, np.ones(2), multipliers0=np.ones(2), **good)


@pytest.mark.parametrize("sparse_input", [False, True])
def test_nystrom_preconditioner_is_exact_for_a_diagonal_hessian(sparse_input):
    # P = H and the exact Schur complement: the preconditioned KKT matrix has three eigenvalues (Murphy, Golub &
    # Wathen), so MINRES stops within three iterations
    rng = np.random.default_rng(1)
    d, m = 80, 30
    H = np.diag(rng.uniform(1e-3, 1e2, d))
    G = rng.standard_normal((m, d))
    if sparse_input:
        H, G = sparse.csr_array(H), sparse.csr_array(G)
    system = KKTSystem(H, G, 10, rng)
    b = rng.standard_normal(d + m)
    z, iterations = minres(system, b, np.zeros(d + m), 1e-10, 100)
    K = sparse.bmat([[sparse.csr_array(H), sparse.csr_array(G).T], [sparse.csr_array(G), None]]).toarray()
    assert iterations <= 4
    np.testing.assert_allclose(z, np.linalg.solve(K, b), rtol=1e-7, atol=1e-9)


def test_minres_meets_the_relative_residual_on_an_indefinite_hessian():
    rng = np.random.default_rng(2)
    d, m = 50, 10
    Q = rng.standard_normal((d, d))
    H = Q @ np.diag(np.linspace(-1.0, 5.0, d)) @ Q.T / d + np.eye(d)
    G = rng.standard_normal((m, d))
    system = KKTSystem(H, G, 10, rng)
    b = rng.standard_normal(d + m)
    for rtol in (1e-1, 1e-6, 1e-11):
        z, iterations = minres(system, b, np.zeros(d + m), rtol, 10 * (d + m))
        assert np.linalg.norm(system.matvec(z) - b) <= rtol * np.linalg.norm(b)
        assert 0 < iterations < d + m


def test_hessian_vector_products_give_the_matrix_answer_and_direct_refuses_them():
    rng = np.random.default_rng(3)
    d, m = 40, 5
    Q = rng.standard_normal((d, d)) / np.sqrt(d)
    Q = Q @ Q.T + 0.1 * np.eye(d)
    A, b = rng.standard_normal((m, d)), rng.standard_normal(m)
    fun = lambda x: 0.25 * np.sum(x**4) + 0.5 * x @ Q @ x  # noqa: E731
    jac = lambda x: x**3 + Q @ x  # noqa: E731
    constraint = optimize.LinearConstraint(A, b, b)
    matrix = sketched_newton(fun, np.zeros(d), jac=jac, hess=lambda x: np.diag(3 * x**2) + Q,
                             constraints=constraint, tol=1e-9, random_state=0)
    operator = sparse.linalg.LinearOperator((d, d), matvec=lambda v: v, dtype=float)
    hessp = sketched_newton(fun, np.zeros(d), jac=jac, constraints=constraint, tol=1e-9, random_state=0,
                            hess=lambda x: sparse.linalg.aslinearoperator(np.diag(3 * x**2) + Q) + 0 * operator)
    assert matrix.converged and hessp.converged
    np.testing.assert_allclose(hessp.x, matrix.x, atol=1e-8)
    with pytest.raises(ValueError, match="LinearOperator"):
        sketched_newton(fun, np.zeros(d), jac=jac, hess=lambda x: operator, constraints=constraint, solver="direct")


def test_minres_stops_at_the_rounding_floor_of_its_residual():
    # constraint rows of size 1e8 against a Hessian of 1e-9 (a discretised PDE): no residual below
    # eps |K| |z| can be certified, so rtol=1e-30 must end there, not run to maxiter
    rng = np.random.default_rng(4)
    d, m = 60, 20
    H = sparse.diags_array(rng.uniform(1e-9, 1e-8, d), format="csr")
    G = sparse.random_array((m, d), density=0.3, random_state=rng, format="csr") * 1e8 + sparse.eye_array(m, d)
    system = KKTSystem(H, G, 10, rng)
    b = rng.standard_normal(d + m)
    z, iterations = minres(system, b, np.zeros(d + m), 1e-30, 10_000)
    assert iterations < 100
    assert np.linalg.norm(system.matvec(z) - b) <= 10 * system.rounding_floor(z, b)


def test_a_tiny_but_positive_hessian_is_not_shifted():
    # H = 1e-10 I is positive definite: the curvature test is relative to diag H, so the exact step is taken
    rng = np.random.default_rng(5)
    d, m = 30, 10
    A, b, q = rng.standard_normal((m, d)), rng.standard_normal(m), rng.standard_normal(d)
    scale = 1e-10
    res = sketched_newton(lambda x: scale * (0.5 * x @ x + q @ x), np.zeros(d), jac=lambda x: scale * (x + q),
                          hess=lambda x: sparse.diags_array(np.full(d, scale)),
                          constraints=optimize.LinearConstraint(sparse.csr_array(A), b, b), tol=1e-14,
                          random_state=0)
    x_star = -q + A.T @ np.linalg.solve(A @ A.T, b + A @ q)
    assert res.converged and (res.hessian_shifts == 0.0).all()
    np.testing.assert_allclose(res.x, x_star, rtol=1e-8, atol=1e-8)


def test_starting_multipliers_share_the_first_schur_factorisation(monkeypatch):
    # the starting multipliers and every Newton step share one factorisation of G D^{-1} G^T
    rng = np.random.default_rng(6)
    d, m = 80, 20
    A = sparse.random_array((m, d), density=0.2, random_state=rng, format="csr") + sparse.eye_array(m, d)
    b = rng.standard_normal(m)
    calls = []
    splu = sparse.linalg.splu
    monkeypatch.setattr(sparse.linalg, "splu", lambda *args, **kwargs: calls.append(1) or splu(*args, **kwargs))
    res = sketched_newton(lambda x: 0.25 * np.sum(x**4) + 0.5 * x @ x, np.ones(d), jac=lambda x: x**3 + x,
                          hess=lambda x: sparse.diags_array(3 * x**2 + 1), constraints=optimize.LinearConstraint(
                              A, b, b), random_state=0)
    assert res.converged and res.n_iter >= 2
    assert len(calls) == res.n_iter  # the Jacobi scaling changes with x: one per Newton step, none besides
