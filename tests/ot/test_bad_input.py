"""Bad and odd input for every OT solver: each case is refused naming the argument, or solved correctly."""

import math
import time
import warnings

import numpy as np
import pytest

import sparsekit
from sparsekit._core._testing import assert_rejects
from sparsekit.ot import (
    cost_matrix,
    emd,
    quadratic_ot,
    sinkhorn,
    sinkhorn_newton_sparse,
    solve,
    sparse_ot,
    wasserstein,
)

N = 6
RNG = np.random.default_rng(0)
M = cost_matrix(RNG.random((N, 2)), RNG.random((N, 2)))
UNIFORM = np.full(N, 1.0 / N)

# Every solver as (a, b, M, **options) -> Result (wasserstein returns a float).
SOLVERS = {
    "sinkhorn": lambda a, b, C, **kw: sinkhorn(a, b, C, kw.pop("reg", 0.5), **kw),
    "sinkhorn_newton_sparse": lambda a, b, C, **kw: sinkhorn_newton_sparse(a, b, C, kw.pop("reg", 0.5), **kw),
    "sparse_ot": lambda a, b, C, **kw: sparse_ot(a, b, C, kw.pop("k", 2), kw.pop("gamma", 0.5), **kw),
    "quadratic_ot": lambda a, b, C, **kw: quadratic_ot(a, b, C, kw.pop("gamma", 0.5), **kw),
    "emd": lambda a, b, C, **kw: emd(a, b, C, **kw),
    "solve": lambda a, b, C, **kw: solve(a, b, C, kw.pop("reg", 0.5), **kw),
    "wasserstein": lambda a, b, C, **kw: wasserstein(a, b, C, **kw),
}
# The name each solver gives its regularisation, where it has one.
REG_NAME = {"sinkhorn": "reg", "sinkhorn_newton_sparse": "reg", "solve": "reg", "sparse_ot": "gamma",
            "quadratic_ot": "gamma"}

BAD_DATA = {
    # only None means uniform: an empty array used to be read as uniform and reported converged
    "empty a": ((np.array([]), UNIFORM, M), ValueError, "a must not be empty"),
    "empty list b": ((UNIFORM, [], M), ValueError, "b must not be empty"),
    "empty M": ((None, None, np.zeros((0, 0))), ValueError, "M must not be empty"),
    "0 x n M": ((None, None, np.zeros((0, 3))), ValueError, "M must not be empty"),
    # complex masses were truncated to real with only a ComplexWarning
    "complex a": ((UNIFORM + 1e-3j, UNIFORM, M), TypeError, "a must be real"),
    "complex b": ((UNIFORM, UNIFORM.astype(complex), M), TypeError, "b must be real"),
    "complex M": ((UNIFORM, UNIFORM, M + 0j), TypeError, "M must be real"),
    # a 0-d mass was AttributeError: __dlpack__
    "0-d a": ((np.float64(1.0), UNIFORM, M), ValueError, "a must be a 1-D array"),
    "python scalar b": ((UNIFORM, 1.0, M), ValueError, "b must be a 1-D array"),
    # a transposed M blamed a ("a must have length 3; got 6")
    "transposed M": ((UNIFORM, np.full(3, 1 / 3), RNG.random((3, N))), ValueError,
                     "M's shape (3, 6) does not match (len(a), len(b)) = (6, 3): is M transposed?"),
    # masses of 1e+-300: POT's "infeasible", a ZeroDivisionError in the Newton solve, or a vacuous tol
    "masses 1e300": ((UNIFORM * 1e300, UNIFORM * 1e300, M), ValueError, "a must have a total mass between"),
    "masses 1e-300": ((UNIFORM * 1e-300, UNIFORM * 1e-300, M), ValueError, "a must have a total mass between"),
    "infinite total": ((np.full(N, 1e308), np.full(N, 1e308), M), ValueError, "a must have a total mass"),
}


def _call(name, a, b, C, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning, RuntimeWarning or ConvergenceWarning on the way
        return SOLVERS[name](a, b, C, **options)


@pytest.mark.parametrize("case", list(BAD_DATA))
@pytest.mark.parametrize("name", list(SOLVERS))
def test_bad_data_is_refused_naming_the_argument(name, case):
    (a, b, C), error, message = BAD_DATA[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_rejects(SOLVERS[name], a, b, C, error=error, naming=message)


@pytest.mark.parametrize("name", list(SOLVERS))
def test_non_contiguous_masses_are_accepted(name):
    # emd passed them to POT: "ndarray is not C-contiguous"
    strided = np.repeat(UNIFORM, 2)[::2]
    assert not strided.flags.c_contiguous
    got = _call(name, strided, strided[::-1], M)
    expected = _call(name, UNIFORM, UNIFORM, M)
    if name == "wasserstein":
        assert got == pytest.approx(expected, rel=1e-12)
    else:
        assert got.converged
        np.testing.assert_allclose(_dense(got.plan), _dense(expected.plan), atol=1e-12)


def _dense(plan):
    return np.asarray(plan.toarray() if hasattr(plan, "toarray") else plan)


@pytest.mark.parametrize("scale", [1e90, 1e-90])
@pytest.mark.parametrize("name", list(SOLVERS))
def test_scaled_masses_inside_the_range_give_the_scaled_plan(name, scale):
    # tol is relative to the total mass: a rescaled problem stops alike (it was absolute, so 1e-90
    # masses "converged" at once and 1e90 masses never did; POT's emd called 1e90 masses infeasible).
    # Quadratic regularisation is not homogeneous in the mass: T(s a, s b; gamma / s) = s T(a, b; gamma).
    options = {"gamma": 0.5 / scale} if name in ("sparse_ot", "quadratic_ot") else {}
    expected = _call(name, UNIFORM, UNIFORM, M)
    got = _call(name, UNIFORM * scale, UNIFORM * scale, M, **options)
    if name == "wasserstein":
        assert got == pytest.approx(expected * scale, rel=1e-6)  # W1 is the cost: it scales with the masses
        return
    assert got.converged
    np.testing.assert_allclose(_dense(got.plan) / scale, _dense(expected.plan), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["sinkhorn", "sinkhorn_newton_sparse", "solve", "sparse_ot", "quadratic_ot"])
def test_cost_far_beyond_the_regularisation_is_refused_before_iterating(name):
    # M * 1e300 with reg 0.5 ran to max_iter (sinkhorn), was a ZeroDivisionError (sparse_ot) or NaN
    # (quadratic_ot); reg=1e-300 on a 20 x 20 problem ran a million iterations (100+ s)
    reg = REG_NAME[name]
    assert_rejects(SOLVERS[name], UNIFORM, UNIFORM, M * 1e300, naming=f"{reg}=0.5 is too small for the cost")
    C = cost_matrix(RNG.random((20, 2)))
    start = time.perf_counter()
    assert_rejects(SOLVERS[name], None, None, C, naming=f"{reg}=1e-300 is too small", **{reg: 1e-300})
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("name", list(SOLVERS))
def test_tiny_and_huge_costs_with_a_matching_scale(name):
    # a cost of 1e-300 is a (correct) product plan; 1e300 works with a regularisation of its scale
    for scale in (1e-300, 1e300):
        options = {REG_NAME[name]: 0.5 * scale} if name in REG_NAME else {}
        got = _call(name, None, None, M * scale, **options)
        expected = _call(name, None, None, M, **({REG_NAME[name]: 0.5} if name in REG_NAME else {}))
        if name == "wasserstein":
            assert got == pytest.approx(expected * scale, rel=1e-6)
            continue
        assert got.converged and np.isfinite(got.cost)
        if name == "emd" or scale == 1e300:
            np.testing.assert_allclose(_dense(got.plan), _dense(expected.plan), atol=1e-9)


@pytest.mark.parametrize("name", [n for n in SOLVERS if n != "wasserstein"])
def test_negligible_cost_gives_the_product_plan(name):
    # a cost of 1e-300 against a regularisation of 0.5: the regulariser alone decides (the product plan
    # for entropic and quadratic OT); solved in units of the cost alone, gamma would become 1e300
    res = _call(name, None, None, M * 1e-300)
    assert res.converged and np.isfinite(res.cost)
    if name not in ("emd", "sparse_ot"):
        np.testing.assert_allclose(_dense(res.plan), np.full((N, N), 1 / N**2), atol=1e-12)


# (solver, parameter, bad values): NaN, infinity, negative, zero where it must be positive, wrong type
BAD_PARAMETERS = [
    (name, param, value)
    for name, params in {
        "sinkhorn": ("reg", "tol", "max_iter"),
        "sinkhorn_newton_sparse": ("reg", "tol", "max_iter", "switch_tol", "hess_tol", "shift"),
        "sparse_ot": ("gamma", "tol", "max_iter", "k"),
        "quadratic_ot": ("gamma", "tol", "max_iter"),
        "emd": ("max_iter",),
        "solve": ("reg", "tol", "max_iter"),
        "wasserstein": ("p",),
    }.items()
    for param in params
    for value in (math.nan, math.inf, -1.0, -math.inf, 0)
    if not (param == "p" and value == math.inf)
]


@pytest.mark.parametrize("name, param, value", BAD_PARAMETERS)
def test_nan_inf_negative_parameters_name_the_parameter(name, param, value):
    error = sparsekit.InvalidParameterError
    assert_rejects(SOLVERS[name], UNIFORM, UNIFORM, M, naming=repr(param), error=error, **{param: value})


def test_sparse_ot_cut_off_by_max_iter_does_not_claim_convergence():
    # max_iter=1 stopped L-BFGS after one iteration, yet the finishing Newton stage ran 49 more
    # iterations on a support read from that dual and reported converged=True with n_iter=49
    C = cost_matrix(np.random.default_rng(1).random((20, 2)))
    with pytest.warns(sparsekit.ConvergenceWarning, match="max_iter=1 ran out"):
        res = sparse_ot(None, None, C, 3, 0.5, max_iter=1)
    assert not res.converged and res.status == 1 and res.n_iter <= 1


@pytest.mark.parametrize("name", ["sinkhorn", "sinkhorn_newton_sparse"])
def test_no_progress_stops_before_the_budget(name):
    # a tol below the rounding floor used to run all of max_iter; the stall rule stops it early
    C = cost_matrix(np.random.default_rng(2).random((30, 2)))
    with pytest.warns(sparsekit.ConvergenceWarning, match="made no progress"):
        res = SOLVERS[name](None, None, C, reg=0.05, tol=1e-30, max_iter=100_000)
    assert res.status == 1 and res.n_iter < 1000


def test_float32_stays_float32_and_converges_at_its_default_tol():
    # the plan came back float64, and at the default tol=1e-9 float32 ran its 1000 iterations to warn
    C = cost_matrix(np.random.default_rng(3).random((300, 2))).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = sinkhorn(None, None, C, 1e-2, method="kernel")
        batched = sinkhorn(None, np.full((300, 2), 1 / 300), C, 1e-2, method="kernel")
        auto = sinkhorn(None, None, C, 1e-2)
    for r in (res, auto):
        assert r.converged and r.plan.dtype == r.f.dtype == r.g.dtype == np.float32
        assert r.marginal_error[-1].max() <= 1e-6
    assert batched.converged and batched.f.dtype == np.float32
    assert all(p.dtype == np.float32 for p in batched.plan)
    assert res.n_iter < 200
    # the lazy plan materialises in float32 too
    assert sinkhorn(None, None, C, 1e-2, plan_format="lazy").plan.toarray().dtype == np.float32


def test_cost_matrix_refuses_points_whose_costs_overflow():
    points = np.random.default_rng(0).random((5, 2)) * 1e300
    with pytest.raises(ValueError, match="x and y are too large in magnitude"):
        cost_matrix(points)
