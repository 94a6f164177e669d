"""Every public name of the sketching family against odd and bad input.

Scale (1e-300, 1e300), every SciPy sparse format, float32, complex / object /
string data, wrong shapes, bad scalar parameters, and the rule that a run
reported converged meets its tolerance on the returned ``x``.
"""

import warnings

import numpy as np
import pytest
from scipy import sparse

from sparsekit import ConvergenceWarning, InvalidParameterError
from sparsekit._core._testing import assert_rejects
from sparsekit.learn.linear_model import SketchedRidgeEnsemble, sketched_ridge_gcv
from sparsekit.linalg import (
    GaussianSketch,
    coordinated_sketch,
    leverage_scores,
    lewis_weights,
    sketch,
    sketch_and_project,
    sketch_lstsq,
    sketched_product,
)

M, N = 80, 6


def _problem(dtype=np.float64):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((M, N))
    b = A @ rng.standard_normal(N)  # consistent, as the Kaczmarz methods need
    return A.astype(dtype), b.astype(dtype)


def _coordinated(A, b):
    sketch_a = coordinated_sketch(A, 40, random_state=3)
    return sketched_product(sketch_a, coordinated_sketch(b, 40, random_state=3))


# name -> (call(A, b) returning the answer, how the answer scales with A (a) and b (c): answer * factor(a, c)
# is the answer for unit scale)
CALLS = {
    "sketch": (lambda A, b: sketch(A, 30, random_state=0), lambda a, c: 1 / a),
    "sketch(leverage)": (lambda A, b: sketch(A, 30, method="leverage", random_state=0), lambda a, c: 1 / a),
    "sketch(lewis)": (lambda A, b: sketch(A, 30, method="lewis", random_state=0), lambda a, c: 1 / a),
    "GaussianSketch.apply": (lambda A, b: GaussianSketch(30, M, random_state=0).apply(A), lambda a, c: 1 / a),
    "sketch_lstsq": (lambda A, b: sketch_lstsq(A, b, random_state=0).x, lambda a, c: a / c),
    "sketch_and_project": (
        lambda A, b: sketch_and_project(A, b, method="block-kaczmarz", block_size=M, random_state=0).x,
        lambda a, c: a / c,
    ),
    "leverage_scores": (lambda A, b: leverage_scores(A), lambda a, c: 1.0),
    "leverage_scores(approx)": (
        lambda A, b: leverage_scores(A, method="approx", sketch_size=40, random_state=0), lambda a, c: 1.0
    ),
    "lewis_weights": (lambda A, b: lewis_weights(A).weights, lambda a, c: 1.0),
    "coordinated_sketch": (lambda A, b: _coordinated(A, b[:, None]), lambda a, c: 1 / (a * c)),
    "sketched_ridge_gcv": (lambda A, b: sketched_ridge_gcv(A, b, random_state=0).coef, lambda a, c: a / c),
    "SketchedRidgeEnsemble": (lambda A, b: SketchedRidgeEnsemble(random_state=0).fit(A, b).coef_,
                              lambda a, c: a / c),
}
# The names whose first argument is called X, and those that take b (y).
X_NAMED = {"sketched_ridge_gcv", "SketchedRidgeEnsemble"}
TAKES_B = {"sketch_lstsq", "sketch_and_project", "sketched_ridge_gcv", "SketchedRidgeEnsemble"}


def _dense(x):
    return x.toarray() if sparse.issparse(x) else np.asarray(x)


SCALES = [(1e-300, 1.0), (1e300, 1.0), (1e-300, 1e-300), (1e300, 1e300), (1.0, 1e-300)]


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("a, c", SCALES)
def test_scale_of_the_data_does_not_change_the_answer(name, a, c):
    """Entries whose squares underflow or overflow: the answer scales exactly, no error, no NaN."""
    call, factor = CALLS[name]
    if name == "coordinated_sketch" and a == c != 1.0:
        pytest.skip("AᵀB itself is 1e±600: see test_products_beyond_float64_are_refused")
    if name in X_NAMED and a != 1.0:
        pytest.skip("its alpha grid, in X's units squared, is 1e±600: see test_ridge_alpha_grid_beyond_float64")
    A, b = _problem()
    expected = _dense(call(A, b))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        got = _dense(call(A * a, b * c))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got * factor(a, c), expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())


FORMATS = {
    "coo_array": sparse.coo_array, "bsr_array": sparse.bsr_array, "lil_array": sparse.lil_array,
    "dok_array": sparse.dok_array, "dia_array": sparse.dia_array, "csc_array": sparse.csc_array,
    "csr_matrix": sparse.csr_matrix, "coo_matrix": sparse.coo_matrix, "lil_matrix": sparse.lil_matrix,
}


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_sparse_format_is_accepted_and_gives_the_csr_answer(name, fmt):
    call, _ = CALLS[name]
    A, b = _problem()
    A[np.abs(A) < 0.7] = 0.0  # a sparse matrix with every row nonzero
    b = A @ np.linspace(-1.0, 1.0, N)
    expected = _dense(call(sparse.csr_array(A), b))
    np.testing.assert_allclose(_dense(call(FORMATS[fmt](A), b)), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", CALLS)
def test_float32_in_float32_out(name):
    call, _ = CALLS[name]
    A, b = _problem(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        got = call(A, b)
    assert got.dtype == np.float32
    np.testing.assert_allclose(_dense(got), _dense(call(*_problem())), rtol=2e-3, atol=2e-4)


def _bad_arrays():
    A, b = _problem()
    return {
        "complex": (A + 1j, TypeError, "complex"),
        "object": (A.astype(object), TypeError, "dtype object"),
        "str": (A.astype(str), TypeError, "must hold numbers"),
        "0-d": (np.float64(1.0), ValueError, "-D"),
        "3-d": (A[None], ValueError, "-D"),
        "no rows": (A[:0], ValueError, "empty"),
        "no columns": (A[:, :0], ValueError, "empty"),
        "NaN": (np.where(A > 1.5, np.nan, A), ValueError, "NaN"),
    }


@pytest.mark.parametrize("name", sorted(set(CALLS) - {"SketchedRidgeEnsemble", "GaussianSketch.apply"}))
@pytest.mark.parametrize("case", list(_bad_arrays()))
def test_bad_arrays_are_refused_naming_the_argument(name, case):
    call, _ = CALLS[name]
    value, error, text = _bad_arrays()[case]
    _, b = _problem()
    argument = "X" if name in X_NAMED else "A"
    exc = assert_rejects(call, value, b, error=error, naming=text)
    assert str(exc).startswith(argument)


@pytest.mark.parametrize("name", sorted(TAKES_B - {"SketchedRidgeEnsemble"}))
def test_bad_right_hand_sides_are_refused_naming_them(name):
    call, _ = CALLS[name]
    A, b = _problem()
    target = "y" if name in X_NAMED else "b"
    assert_rejects(call, A, b[:-1], naming=f"{target} must have length {M}")
    assert_rejects(call, A, b + 1j, error=TypeError, naming=f"{target} must be real")
    assert_rejects(call, A, b.astype(object), error=TypeError, naming=f"{target} must hold numbers")


BAD_PARAMETERS = [
    (lambda A, b, v: sketch(A, v), "'k'"),
    (lambda A, b, v: sketch(A, 10, method="root-leverage", p=v), "'p'"),
    (lambda A, b, v: sketch(A, 10, method="weighted", weights=np.full(M, v)), "weights"),
    (lambda A, b, v: sketch_lstsq(A, b, rtol=v), "'rtol'"),
    (lambda A, b, v: sketch_lstsq(A, b, atol=v), "'atol'"),
    (lambda A, b, v: sketch_lstsq(A, b, alpha=v), "'alpha'"),
    (lambda A, b, v: sketch_lstsq(A, b, maxiter=v), "'maxiter'"),
    (lambda A, b, v: sketch_and_project(A, b, rtol=v), "'rtol'"),
    (lambda A, b, v: sketch_and_project(A, b, atol=v), "'atol'"),
    (lambda A, b, v: sketch_and_project(A, b, maxiter=v), "'maxiter'"),
    (lambda A, b, v: leverage_scores(A, method="approx", jl_dim=v), "'jl_dim'"),
    (lambda A, b, v: lewis_weights(A, p=v), "'p'"),
    (lambda A, b, v: lewis_weights(A, rtol=v), "'rtol'"),
    (lambda A, b, v: coordinated_sketch(A, v, random_state=0), "'k'"),
    (lambda A, b, v: sketched_ridge_gcv(A, b, alphas=[1.0, v]), "alphas"),
    (lambda A, b, v: sketched_ridge_gcv(A, b, sketch_sizes=[v]), "sketch_sizes"),
    (lambda A, b, v: SketchedRidgeEnsemble(n_sketches=v).fit(A, b), "'n_sketches'"),
]


@pytest.mark.parametrize("call, naming", BAD_PARAMETERS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, -1.0])
def test_bad_scalar_parameters_raise_invalid_parameter_error(call, naming, value):
    A, b = _problem()
    assert_rejects(call, A, b, value, error=InvalidParameterError, naming=naming)


def test_sizes_no_machine_could_allocate_are_refused_naming_them():
    A, b = _problem()
    assert_rejects(sketch, A, 10**30, error=InvalidParameterError, naming="'k'")
    assert_rejects(GaussianSketch, 10**30, M, error=InvalidParameterError, naming="'k'")
    assert_rejects(leverage_scores, A, method="approx", jl_dim=10**30, error=InvalidParameterError,
                   naming="'jl_dim'")
    # enormous but representable weights and exponents are valid: their ratios are what matter
    assert sketch(A, 10, method="weighted", weights=np.full(M, 1e308), random_state=0).shape == (10, N)
    assert sketch(A, 10, method="root-leverage", p=1e6, random_state=0).shape == (10, N)


def _lstsq_backward_error(A, b, x):
    A, b, x = (np.asarray(v, dtype=np.float64) for v in (A, b, x))
    r = b - A @ x
    return np.linalg.norm(A.T @ r) / (np.linalg.norm(A) * np.linalg.norm(r)), r


def _ill_conditioned(dtype, condition=1e5, noise=1e-4):
    rng = np.random.default_rng(3)
    U = np.linalg.qr(rng.standard_normal((2000, 30)))[0]
    V = np.linalg.qr(rng.standard_normal((30, 30)))[0]
    A = (U * np.logspace(0, -np.log10(condition), 30)) @ V.T
    b = A @ rng.standard_normal(30) + noise * rng.standard_normal(2000)
    return A.astype(dtype), b.astype(dtype)


@pytest.mark.parametrize("dtype, default_rtol", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("condition", [1e2, 1e5])
def test_sketch_lstsq_success_holds_for_the_returned_x(dtype, default_rtol, condition):
    A, b = _ill_conditioned(dtype, condition)
    res = sketch_lstsq(A, b, random_state=0)
    assert res.status == 0 and res.x.dtype == dtype
    backward, r = _lstsq_backward_error(A, b, res.x)
    compatible = np.linalg.norm(r) / (np.linalg.norm(A) * np.linalg.norm(res.x) + np.linalg.norm(b))
    assert min(backward, compatible) <= default_rtol
    assert res.backward_error == pytest.approx(backward, rel=1e-6)


def test_sketch_lstsq_refuses_success_the_rounded_x_does_not_have():
    # the float64 iteration meets rtol = 2e-6, but x rounded to float32 has a backward error near 1e-5
    A, b = _ill_conditioned(np.float32)
    with pytest.warns(ConvergenceWarning, match="recomputed from x"):
        res = sketch_lstsq(A, b, rtol=2e-6, random_state=0)
    backward, _ = _lstsq_backward_error(A, b, res.x)
    assert res.status == 1 and not res.converged and backward > 2e-6
    assert res.backward_error == pytest.approx(backward, rel=1e-6)


@pytest.mark.parametrize("dtype, default_rtol", [(np.float64, 1e-6), (np.float32, 1e-4)])
def test_sketch_and_project_success_holds_for_the_returned_x(dtype, default_rtol):
    A, _ = _ill_conditioned(dtype, condition=10.0)
    A = A[:200]
    b = (A.astype(np.float64) @ np.ones(30)).astype(dtype)
    res = sketch_and_project(A, b, method="block-kaczmarz", block_size=200, random_state=0)
    assert res.status == 0 and res.x.dtype == dtype
    residual = np.linalg.norm(b.astype(np.float64) - A.astype(np.float64) @ res.x.astype(np.float64))
    assert residual <= default_rtol * np.linalg.norm(b.astype(np.float64))


def test_sketch_and_project_refuses_success_the_rounded_x_does_not_have():
    # One block holding every row projects exactly in float64 (float64 blocks: with float32 Gram
    # pseudo-inverses this run stalled at a residual of 3e-3). x along the smallest singular direction:
    # rounding it to float32 leaves a relative residual near eps32 * cond = 5e-5.
    A, _ = _ill_conditioned(np.float32, condition=1e4)
    A = A[:200]
    x_true = np.linalg.svd(A.astype(np.float64))[2][-1]
    b = (A.astype(np.float64) @ x_true).astype(np.float32)
    norm_b = np.linalg.norm(b.astype(np.float64))
    with pytest.warns(ConvergenceWarning, match="recomputed from the returned float32 x"):
        res = sketch_and_project(A, b, method="block-kaczmarz", block_size=200, rtol=2e-6, random_state=0)
    residual = np.linalg.norm(b.astype(np.float64) - A.astype(np.float64) @ res.x.astype(np.float64))
    assert res.status == 1 and res.n_iter == 1 and residual > 2e-6 * norm_b
    # the float32 default, 1e-4, is what float32 can resolve here: that run converges, and truly
    res = sketch_and_project(A, b, method="block-kaczmarz", block_size=200, random_state=0)
    residual = np.linalg.norm(b.astype(np.float64) - A.astype(np.float64) @ res.x.astype(np.float64))
    assert res.status == 0 and residual <= 1e-4 * norm_b


def test_solutions_beyond_float64_end_with_status_3_not_an_error():
    A, b = _problem()
    with pytest.warns(ConvergenceWarning, match="beyond float64's range"):
        res = sketch_lstsq(A * 1e-300, b * 1e300, random_state=0)
    assert res.status == 3 and not res.converged
    with pytest.raises(ValueError, match="y is too large in magnitude"):
        sketched_ridge_gcv(A * 1e-300, b * 1e300, random_state=0)
    with pytest.raises(ValueError, match="y is too large in magnitude"):
        SketchedRidgeEnsemble(random_state=0).fit(A, b * 1e200)


@pytest.mark.parametrize("a", [1e-300, 1e300])
def test_ridge_alpha_grid_beyond_float64_is_refused_naming_x(a):
    A, b = _problem()
    with pytest.raises(ValueError, match="X is too far from unit scale for the default alpha grid"):
        sketched_ridge_gcv(A * a, b, random_state=0)
    with pytest.raises(ValueError, match="X is too far from unit scale"):
        SketchedRidgeEnsemble(random_state=0).fit(A * a, b)


def test_products_beyond_float64_are_refused():
    a = np.random.default_rng(0).standard_normal(50)
    sa = coordinated_sketch(a * 1e300, 50, random_state=1)
    assert_rejects(sketched_product, sa, coordinated_sketch(a * 1e300, 50, random_state=1),
                   naming="beyond float64's range")
    # a representable product of a huge and a tiny vector is computed without overflow on the way
    assert sketched_product(sa, coordinated_sketch(a * 1e-300, 50, random_state=1)) == pytest.approx(a @ a)


@pytest.mark.parametrize("method", ["leverage", "root-leverage", "lewis"])
def test_sampling_the_zero_matrix_is_refused_naming_a(method):
    assert_rejects(sketch, np.zeros((10, 3)), 4, method=method, random_state=0,
                   naming="A must have a nonzero row")


@pytest.mark.parametrize("solve", [
    lambda A, b, callback: sketch_lstsq(A, b, random_state=0, callback=callback),
    lambda A, b, callback: sketch_and_project(A, b, method="block-kaczmarz", block_size=M, random_state=0,
                                              callback=callback),
])
def test_callbacks_see_the_iterate_of_the_users_problem_when_it_is_rescaled(solve):
    A, b = _problem()
    seen = []
    res = solve(A * 1e-300, b, lambda xk: seen.append(xk.copy()))
    assert res.converged and np.abs(res.x).max() > 1e299
    np.testing.assert_allclose(seen[-1], res.x, rtol=1e-12)


def test_parameters_beyond_range_once_rescaled_are_refused_naming_them():
    A, b = _problem()
    assert_rejects(sketch_lstsq, A * 1e-300, b, alpha=1e300, naming="alpha=1e+300 is too large for A")
    assert_rejects(sketch_lstsq, A * 1e300, b * 1e-300, x0=np.full(N, 1e300), naming="x0 is too large")
    assert_rejects(sketch_and_project, A * 1e300, b * 1e-300, x0=np.full(N, 1e300), naming="x0 is too large")
    assert_rejects(sketched_ridge_gcv, A * 1e-300, b, alphas=[1e300], naming="alphas are beyond")


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("method", ["countsketch", "sparse-sign"])
def test_dense_input_is_checked_on_its_sketch(method, order):
    """The NaN scan of dense input is done on the k x n sketch: it must still catch every NaN and infinity."""
    A = np.asarray(np.random.default_rng(0).standard_normal((300, 4)), order=order)
    for bad in (np.nan, np.inf, -np.inf):
        B = A.copy(order=order)
        B[137, 2] = bad
        with pytest.raises(ValueError, match="A must not contain NaN or infinity"):
            sketch(B, 20, method=method, random_state=0)
    with pytest.raises(ValueError, match="its sketch overflows"):
        sketch(np.full((300, 4), 1e308, order=order), 8, method=method, random_state=0)
