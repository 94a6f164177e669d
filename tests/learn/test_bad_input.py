"""Bad and extreme input for every public name of sparsekit.learn: refused naming the argument, or answered right."""

import math
import re

import numpy as np
import pytest
from scipy import sparse

from sparsekit import InvalidParameterError
from sparsekit.datasets import make_kronecker_regression, make_sparse_regression
from sparsekit.learn.dag import (
    CoLiDE,
    DAGMALinear,
    TopoSwap,
    colide,
    dagma_linear,
    is_dag,
    metrics,
    remove_cycles,
    sem_score,
    topo_swap,
    topological_order,
)
from sparsekit.learn.linear_model import (
    KroneckerSBL,
    LDPAccountant,
    LDPSparseRegression,
    SparseBayesianRegression,
    gamp_damping,
    gaussian_mechanism_scale,
    ggamp_sbl,
    kronecker_matvec,
    kronecker_sbl,
    ldp_iht,
    ldp_sparse_regression,
    nearest_kronecker_factors,
    posterior,
    sbl_em,
    sbl_mackay,
    sparse_bayesian_learning,
)

RNG = np.random.default_rng(0)
A = RNG.standard_normal((30, 40))
Y = A[:, :3] @ np.array([1.0, -2.0, 3.0]) + 0.01 * RNG.standard_normal(30)
FACTORS = [RNG.standard_normal((4, 5)), RNG.standard_normal((3, 4))]
Y_KRON = RNG.standard_normal(12)
X_DAG = RNG.standard_normal((200, 4))
X_DAG[:, 1] += X_DAG[:, 0]
X_DAG[:, 3] += X_DAG[:, 2]
G = np.triu(np.ones((4, 4)), 1)
X_LDP = RNG.standard_normal((300, 4))
Y_LDP = X_LDP @ np.array([0.5, 0.0, 0.0, -0.5])


#: An array made complex, or non-numeric, in the same shape.
BAD = {
    "complex": lambda v: np.asarray(v) + 1j,
    "object": lambda v: np.asarray(v).astype(object),
    "str": lambda v: np.asarray(v).astype(str),
}


# (name, call taking a transformation of one argument, the argument's name in the message)
ARRAY_ARGUMENTS = [
    ("sbl_em", lambda f: sbl_em(f(A), Y), "A"),
    ("sbl_em", lambda f: sbl_em(A, f(Y)), "y"),
    ("sbl_mackay", lambda f: sbl_mackay(f(A), Y), "A"),
    ("ggamp_sbl", lambda f: ggamp_sbl(A, f(Y)), "y"),
    ("sparse_bayesian_learning", lambda f: sparse_bayesian_learning(f(A), Y), "A"),
    ("posterior", lambda f: posterior(f(A), Y, np.ones(40), 1.0), "A"),
    ("posterior", lambda f: posterior(A, Y, f(np.ones(40)), 1.0), "gamma"),
    ("gamp_damping", lambda f: gamp_damping(f(A)), "A"),
    ("kronecker_sbl", lambda f: kronecker_sbl([f(FACTORS[0]), FACTORS[1]], Y_KRON), "factors[0]"),
    ("kronecker_sbl", lambda f: kronecker_sbl(FACTORS, f(Y_KRON)), "y"),
    ("kronecker_matvec", lambda f: kronecker_matvec([FACTORS[0], f(FACTORS[1])], np.ones(20)), "factors[1]"),
    ("nearest_kronecker_factors", lambda f: nearest_kronecker_factors(f(np.kron(*FACTORS)), [(4, 5), (3, 4)]), "X"),
    ("ldp_sparse_regression", lambda f: ldp_sparse_regression(f(X_LDP), Y_LDP, 1.0), "X"),
    ("ldp_iht", lambda f: ldp_iht(X_LDP, f(Y_LDP), 1.0, k=2), "y"),
    ("is_dag", lambda f: is_dag(f(G)), "adjacency"),
    ("topological_order", lambda f: topological_order(f(G)), "adjacency"),
    ("remove_cycles", lambda f: remove_cycles(f(G)), "weights"),
    ("sem_score", lambda f: sem_score(X_DAG, f(G)), "adjacency"),
    ("sem_score", lambda f: sem_score(f(X_DAG), G), "X"),
    ("colide", lambda f: colide(f(X_DAG)), "X"),
    ("topo_swap", lambda f: topo_swap(f(X_DAG)), "X"),
    *[(name, lambda f, m=getattr(metrics, name): m(G, f(G)), "estimated_graph")
      for name in ("structural_hamming_distance", "true_positive_rate", "false_discovery_rate",
                   "false_positive_rate", "structural_intervention_distance", "graph_accuracy")],
]


@pytest.mark.parametrize("kind", ["complex", "object", "str"])
@pytest.mark.parametrize(("name", "call", "argument"), ARRAY_ARGUMENTS,
                         ids=[f"{n}-{a}" for n, _, a in ARRAY_ARGUMENTS])
def test_complex_and_non_numeric_arrays_are_refused_by_name(name, call, argument, kind):
    # complex data used to be truncated to real with only a ComplexWarning
    with pytest.raises(TypeError, match="^" + re.escape(argument) + " must"):
        call(BAD[kind])


@pytest.mark.parametrize("estimator", [SparseBayesianRegression(), LDPSparseRegression(), CoLiDE(), TopoSwap()],
                         ids=type)
def test_estimators_refuse_complex_X(estimator):
    X = (X_LDP if isinstance(estimator, LDPSparseRegression) else X_DAG) + 1j
    with pytest.raises(ValueError, match="[Cc]omplex"):
        estimator.fit(X, Y_LDP[: X.shape[0]] if X.shape[0] == 300 else np.ones(X.shape[0]))


# ---------------------------------------------------------------- scale: the answer scaled back
@pytest.mark.parametrize("solver", [sbl_em, sbl_mackay, ggamp_sbl])
@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_sbl_is_scale_equivariant(solver, scale):
    X, y, _, _ = make_sparse_regression(60, 100, 4, random_state=3)
    reference = solver(X, y)
    scaled = solver(X * scale, y * scale)  # was noise_variance=nan, coef=0 at 1e150
    assert scaled.status == 0
    np.testing.assert_allclose(scaled.x, reference.x, rtol=1e-6, atol=1e-9)
    assert scaled.noise_variance == pytest.approx(reference.noise_variance * scale**2, rel=1e-6)


@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_kronecker_sbl_is_scale_equivariant(scale):
    factors, y, _, _ = make_kronecker_regression([(6, 12), (6, 12)], [2, 2], random_state=0)
    reference = kronecker_sbl(factors, y)
    scaled = kronecker_sbl([factors[0] * scale, factors[1]], y * scale)
    assert scaled.status == 0
    np.testing.assert_allclose(scaled.x, reference.x, rtol=1e-6, atol=1e-9)
    assert scaled.noise_variance == pytest.approx(reference.noise_variance * scale**2, rel=1e-6)


def test_sbl_keeps_a_known_noise_variance_exactly_at_any_scale():
    result = sbl_em(A, Y * 1e150, noise_variance=3e296)
    assert result.noise_variance == 3e296


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150])
def test_topo_swap_finds_the_same_graph_at_any_scale(scale):
    reference = topo_swap(X_DAG, random_state=0)
    scaled = topo_swap(X_DAG * scale, random_state=0)  # 1e-150 found another graph, 1e300 NaN
    assert scaled.status == 0
    np.testing.assert_allclose(scaled.weights, reference.weights, atol=1e-9)
    assert scaled.score == pytest.approx(reference.score * scale**2, rel=1e-9)


@pytest.mark.parametrize("call", [lambda X: TopoSwap().refine(X, G), lambda X: topo_swap(X),
                                  lambda X: colide(X), lambda X: dagma_linear(X), lambda X: CoLiDE().fit(X)])
def test_dag_learners_refuse_a_covariance_that_overflows(call):
    with pytest.raises(ValueError, match="X is too large in magnitude"):
        call(X_DAG * 1e300)


@pytest.mark.parametrize("call", [lambda X: colide(X), lambda X: dagma_linear(X), lambda X: CoLiDE().fit(X),
                                  lambda X: DAGMALinear().fit(X)])
def test_penalised_dag_learners_refuse_a_variance_that_underflows(call):
    # was ZeroDivisionError; the l1-penalised scores are not scale-invariant, so no rescaling is silent
    with pytest.raises(ValueError, match="X is too small in magnitude"):
        call(X_DAG * 1e-300)


# ---------------------------------------------------------------- LDP
@pytest.mark.parametrize("public_X", [np.zeros((10, 4)), np.full((10, 4), 1e-300)])
def test_degenerate_public_X_is_refused(public_X):
    with pytest.raises(ValueError, match="public_X must not be all zeros"):  # was NaN coefficients, converged
        ldp_sparse_regression(X_LDP, Y_LDP, 1.0, public_X=public_X)


@pytest.mark.parametrize(("budget", "argument"), [((math.nan, 0.0), "epsilon"), ((math.inf, 0.0), "epsilon"),
                                                  ((-1.0, 0.0), "epsilon"), ((1.0, -1e-5), "delta"),
                                                  ((1.0, math.nan), "delta"), ((1.0, 1.0), "delta")])
def test_accountant_refuses_bad_budgets(budget, argument):
    with pytest.raises(InvalidParameterError, match=f"'{argument}' parameter of LDPAccountant"):
        LDPAccountant(*budget)


@pytest.mark.parametrize(("spend", "argument"), [((-1.4, 0.0), "epsilon"), ((math.nan, 0.0), "epsilon"),
                                                 ((math.inf, 0.0), "epsilon"), ((0.1, -1e-6), "delta"),
                                                 ((0.1, math.inf), "delta")])
def test_accountant_refuses_negative_and_non_finite_spends(spend, argument):
    ledger = LDPAccountant(1.0, 1e-5)
    # a negative spend used to give budget back: 1.4 + (-1.4) let another release of 1.0 through
    with pytest.raises(InvalidParameterError, match=f"'{argument}' parameter of LDPAccountant.spend"):
        ledger.spend("x", (0, 10), *spend)
    assert ledger.releases == []


@pytest.mark.parametrize("users", [(5, 2), (-1, 3), (0.5, 3), "ab", (1,)])
def test_accountant_refuses_bad_user_ranges(users):
    with pytest.raises(ValueError, match="users must be a pair of ints"):
        LDPAccountant(1.0, 1e-5).spend("x", users, 0.1, 0.0)


def test_gaussian_mechanism_scale_is_stable_over_the_whole_range():
    unit = gaussian_mechanism_scale(1.0, 1.0, 1e-5)
    assert unit == pytest.approx(3.7306316, rel=1e-7)
    for sensitivity in (1e-300, 1e300):  # was OverflowError or "f(a) and f(b) must have different signs"
        assert gaussian_mechanism_scale(sensitivity, 1.0, 1e-5) == pytest.approx(unit * sensitivity, rel=1e-12)
    # large epsilon: sigma -> 1 / sqrt(2 epsilon); tiny epsilon: the (0, delta) limit 1 / (delta sqrt(2 pi))
    assert gaussian_mechanism_scale(1.0, 1e12, 1e-5) == pytest.approx(1 / math.sqrt(2e12), rel=1e-3)
    assert gaussian_mechanism_scale(1.0, 1e-300, 1e-5) == pytest.approx(1 / (1e-5 * math.sqrt(2 * math.pi)),
                                                                       rel=1e-6)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: gaussian_mechanism_scale(1.0, 1e300, 1e-5), "'epsilon' parameter"),
    (lambda: gaussian_mechanism_scale(1e305, 1e-300, 1e-5), "sensitivity=1e\\+305 and epsilon=1e-300"),
    (lambda: ldp_sparse_regression(X_LDP, Y_LDP, 1e300), "'epsilon' parameter"),
    (lambda: ldp_sparse_regression(X_LDP, Y_LDP, 1.0, clip_X=1e300), "lower clip_X"),
    (lambda: ldp_sparse_regression(X_LDP, Y_LDP, 1.0, clip_y=1e300, mechanism="laplace"), "lower clip_X and clip_y"),
    (lambda: ldp_iht(X_LDP, Y_LDP, 1.0, k=2, radius=1e300), "lower clip_X, clip_y and radius"),
    (lambda: LDPSparseRegression(clip_X=1e300).fit(X_LDP, Y_LDP), "lower clip_X"),
])
def test_ldp_refuses_parameters_whose_noise_overflows(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- posterior, gamp_damping
@pytest.mark.parametrize(("call", "match"), [
    (lambda: posterior(A, Y, np.ones(40), -1.0), "'noise_variance' parameter of posterior"),
    (lambda: posterior(A, Y, np.ones(40), math.nan), "'noise_variance' parameter of posterior"),
    (lambda: posterior(A, Y, np.ones(40), 1.0, full_covariance="yes"), "'full_covariance' parameter"),
    (lambda: posterior(A, Y, -np.ones(40), 1.0), "gamma must be non-negative"),
    (lambda: posterior(A, Y, np.ones(3), 1.0), "gamma must have 40 entries"),
    (lambda: posterior(A, Y[:5], np.ones(40), 1.0), "Y must have 30 rows"),
    (lambda: posterior(A, Y, np.ones(40), 1.0, gram=np.eye(3)), r"gram must have shape \(40, 40\)"),
    (lambda: posterior(A[:, 0], Y, np.ones(1), 1.0), "A must be 2-D"),
    (lambda: gamp_damping(np.full((3, 3), np.nan)), "A must not contain NaN"),
    (lambda: gamp_damping(np.ones(3)), "A must be 2-D"),
    (lambda: gamp_damping(np.zeros((0, 3))), "A must not be empty"),
])
def test_posterior_and_gamp_damping_validate_by_name(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_posterior_accepts_lists_and_one_target():
    mean, variance, _, _ = posterior(A.tolist(), Y, np.ones(40), 0.5)  # 1-D y was broadcast to (40, 40)
    mean_2d, variance_2d, _, _ = posterior(A, Y[:, None], np.ones(40), 0.5)
    assert mean.shape == (40,)
    np.testing.assert_allclose(mean, mean_2d[:, 0])
    np.testing.assert_allclose(variance, variance_2d)


def test_gamp_damping_is_scale_free():
    assert gamp_damping(A.tolist()) == pytest.approx(gamp_damping(A * 1e300), rel=1e-9)


# ---------------------------------------------------------------- float32
@pytest.mark.parametrize(("estimator", "data", "fields"), [
    (SparseBayesianRegression(), (A, Y), ("coef_", "gamma_", "sigma_", "X_offset_")),
    (LDPSparseRegression(), (X_LDP, Y_LDP), ("coef_",)),
    (KroneckerSBL(), (np.kron(*FACTORS), Y_KRON), ("coef_", "gamma_", "sigma_")),
    (CoLiDE(max_iter=200, warm_iter=50), (X_DAG, None), ("adjacency_", "mean_")),
    (DAGMALinear(max_iter=200, warm_iter=50), (X_DAG, None), ("adjacency_", "mean_")),
    (TopoSwap(random_state=0), (X_DAG, None), ("adjacency_", "weights_", "mean_")),
], ids=lambda v: type(v).__name__ if hasattr(v, "fit") else "")
def test_float32_in_float32_out(estimator, data, fields):
    import warnings

    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted32 = estimator.fit(X.astype(np.float32), None if y is None else y.astype(np.float32))
        for field in fields:
            assert getattr(fitted32, field).dtype == np.float32, field
        assert fitted32.predict(X[:3].astype(np.float32)).dtype == np.float32
        coef32 = getattr(fitted32, fields[0]).copy()
        fitted64 = estimator.fit(X, y)
        assert getattr(fitted64, fields[0]).dtype == np.float64
    if not isinstance(estimator, LDPSparseRegression):  # the same problem, rounded to float32
        np.testing.assert_allclose(coef32, getattr(fitted64, fields[0]), atol=1e-3)


# ---------------------------------------------------------------- scalar parameters
SCALARS = [
    (lambda v: sbl_em(A, Y, tol=v), "tol"),
    (lambda v: sbl_mackay(A, Y, noise_variance=v), "noise_variance"),
    (lambda v: ggamp_sbl(A, Y, inner_tol=v), "inner_tol"),
    (lambda v: kronecker_sbl(FACTORS, Y_KRON, tol=v), "tol"),
    (lambda v: nearest_kronecker_factors(np.kron(*FACTORS), [(4, 5), (3, 4)], rtol=v), "rtol"),
    (lambda v: posterior(A, Y, np.ones(40), v), "noise_variance"),
    (lambda v: gaussian_mechanism_scale(v, 1.0, 1e-5), "sensitivity"),
    (lambda v: ldp_sparse_regression(X_LDP, Y_LDP, v), "epsilon"),
    (lambda v: ldp_sparse_regression(X_LDP, Y_LDP, 1.0, clip_y=v), "clip_y"),
    (lambda v: ldp_iht(X_LDP, Y_LDP, 1.0, k=2, step_size=v), "step_size"),
    (lambda v: LDPAccountant(v, 0.0), "epsilon"),
    (lambda v: colide(X_DAG, alpha=v), "alpha"),
    (lambda v: dagma_linear(X_DAG, lr=v), "lr"),
    (lambda v: topo_swap(X_DAG, w_threshold=v), "w_threshold"),
    (lambda v: sem_score(X_DAG, G, alpha=v), "alpha"),
    (lambda v: SparseBayesianRegression(tol=v).fit(A, Y), "tol"),
    (lambda v: KroneckerSBL(noise_variance=v).fit(FACTORS, Y_KRON), "noise_variance"),
    (lambda v: LDPSparseRegression(delta=v).fit(X_LDP, Y_LDP), "delta"),
    (lambda v: CoLiDE(mu_init=v).fit(X_DAG), "mu_init"),
    (lambda v: TopoSwap(w_threshold=v).fit(X_DAG), "w_threshold"),
]


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0])
@pytest.mark.parametrize(("call", "argument"), SCALARS, ids=[f"{i}-{a}" for i, (_, a) in enumerate(SCALARS)])
def test_nan_inf_and_negative_scalars_are_refused_by_name(call, argument, value):
    with pytest.raises(InvalidParameterError, match=f"'{argument}' parameter"):
        call(value)



# ---------------------------------------------------------------- sparse designs
SPARSE_A = sparse.random_array((50, 200), density=0.1, random_state=0, format="csr")
SPARSE_Y = SPARSE_A @ np.r_[1.0, -2.0, 3.0, np.zeros(197)] + 0.01 * RNG.standard_normal(50)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "lil", "dok", "bsr", "dia"])
@pytest.mark.parametrize("solver", [sbl_em, sbl_mackay, ggamp_sbl])
def test_sbl_solvers_take_every_sparse_format(solver, fmt):
    dense = solver(SPARSE_A.toarray(), SPARSE_Y)
    result = solver(SPARSE_A.asformat(fmt), SPARSE_Y)  # was TypeError: A must be a dense array
    assert result.n_iter == dense.n_iter
    np.testing.assert_allclose(result.x, dense.x, atol=1e-10)
    np.testing.assert_allclose(result.sigma, dense.sigma, atol=1e-12)


def test_sparse_woodbury_never_forms_the_dense_design(monkeypatch):
    # while more features than rows are active, only n x n blocks of L^-1 B are formed
    shapes = []
    original = sparse.csc_array.toarray
    monkeypatch.setattr(sparse.csc_array, "toarray", lambda self, *a, **k: shapes.append(self.shape) or original(
        self, *a, **k))
    posterior(SPARSE_A.tocsc(), SPARSE_Y, np.ones(200), 0.1)
    assert shapes and max(r * c for r, c in shapes) <= 50 * 50


def test_gamp_damping_takes_sparse_matrices():
    assert gamp_damping(SPARSE_A) == pytest.approx(gamp_damping(SPARSE_A.toarray()), rel=1e-12)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_bayesian_regression_takes_sparse_X_without_intercept(fmt):
    dense = SparseBayesianRegression(fit_intercept=False).fit(SPARSE_A.toarray(), SPARSE_Y)
    model = SparseBayesianRegression(fit_intercept=False).fit(SPARSE_A.asformat(fmt), SPARSE_Y)
    np.testing.assert_allclose(model.coef_, dense.coef_, atol=1e-10)
    mean, std = model.predict(SPARSE_A.asformat(fmt)[:5], return_std=True)
    np.testing.assert_allclose(mean, dense.predict(SPARSE_A.toarray()[:5]), atol=1e-10)
    assert std.shape == (5,)


def test_sparse_X_with_an_intercept_is_refused_naming_X():
    with pytest.raises(TypeError, match="^X must be dense when fit_intercept=True"):
        SparseBayesianRegression().fit(SPARSE_A, SPARSE_Y)


def test_sem_score_refuses_weights_whose_residuals_overflow():
    from sparsekit.datasets import make_linear_sem
    from sparsekit.learn.dag import sem_score

    X, W = make_linear_sem(50, 4, 3, random_state=0)
    with pytest.raises(ValueError, match="adjacency and X are too large in magnitude"):
        sem_score(X, W * 1e300)


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_nearest_kronecker_factors_is_scale_equivariant(scale):
    from sparsekit.learn.linear_model import nearest_kronecker_factors

    rng = np.random.default_rng(0)
    A, B = rng.random((2, 2)), rng.random((3, 3))
    factors = nearest_kronecker_factors(np.kron(A, B) * scale, [(2, 2), (3, 3)])
    np.testing.assert_allclose(np.kron(*factors) / scale, np.kron(A, B), rtol=1e-10)
