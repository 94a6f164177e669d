from numbers import Integral, Real

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import BaseEstimator

from sparsekit import InvalidParameterError
from sparsekit._core._testing import assert_rejects
from sparsekit.utils import (
    Interval,
    Options,
    ParamsValidationMixin,
    check_array,
    check_callable,
    check_nonzero_diagonal,
    check_params,
    check_probability_vector,
    check_shape,
    check_square,
    check_vector,
    validate_params,
)


class TestInterval:
    def test_bounds_and_closure(self):
        open_ = Interval(Real, 0, 2, closed="neither")
        assert open_.is_satisfied_by(1e-12) and open_.is_satisfied_by(1.999)
        assert not open_.is_satisfied_by(0) and not open_.is_satisfied_by(2)
        closed = Interval(Real, 0, 2, closed="both")
        assert closed.is_satisfied_by(0) and closed.is_satisfied_by(2.0)

    def test_types(self):
        ints = Interval(Integral, 1, None, closed="left")
        assert ints.is_satisfied_by(3) and ints.is_satisfied_by(np.int64(3))
        assert not ints.is_satisfied_by(3.0)
        assert not ints.is_satisfied_by(True), "booleans are not numbers here"
        assert not Interval(Real, None, None, closed="neither").is_satisfied_by(float("nan"))

    def test_infinity_only_as_an_explicit_closed_bound(self):
        # "[0, inf)" is what str() shows: an unbounded side is open.
        positive = Interval(Real, 0, None, closed="both")
        assert positive.is_satisfied_by(1e300) and not positive.is_satisfied_by(np.inf)
        assert not Interval(Real, None, 0, closed="both").is_satisfied_by(-np.inf)
        assert not Interval(Real, 0, np.inf, closed="left").is_satisfied_by(np.inf)
        assert Interval(Real, 0, np.inf, closed="both").is_satisfied_by(float("inf"))

    def test_invalid_spec(self):
        with pytest.raises(TypeError):
            Interval(float, 0, 1, closed="both")
        with pytest.raises(ValueError):
            Interval(Real, 0, 1, closed="middle")
        with pytest.raises(ValueError):
            Interval(Real, 2, 1, closed="both")

    def test_describe(self):
        assert str(Interval(Integral, 1, None, closed="left")) == "an int in the range [1, inf)"


class TestCheckParams:
    constraints = {
        "omega": [Interval(Real, 0, 2, closed="neither")],
        "sweep": [Options({"forward", "backward"})],
        "maxiter": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "callback": ["callable", None],
        "verbose": ["verbose"],
    }

    def test_valid(self):
        check_params(
            {"omega": 1.5, "sweep": "forward", "maxiter": None, "random_state": np.random.default_rng(0),
             "callback": print, "verbose": 2, "unconstrained": object()},
            self.constraints,
            caller="f",
        )

    @pytest.mark.parametrize(
        "name, value",
        [("omega", 2.0), ("omega", "1"), ("sweep", "sideways"), ("maxiter", 0), ("maxiter", 2.5),
         ("random_state", -1), ("random_state", "seed"), ("callback", 3), ("verbose", -1)],
    )
    def test_invalid_names_parameter(self, name, value):
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of f") as info:
            check_params({name: value}, self.constraints, caller="f")
        assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)

    def test_unknown_named_constraint(self):
        with pytest.raises(ValueError, match="unknown named constraint"):
            check_params({"a": 1}, {"a": ["positive"]}, caller="f")

    def test_decorator(self):
        @validate_params({"k": [Interval(Integral, 1, None, closed="left")]})
        def f(x, *, k=1):
            return x * k

        assert f(2, k=3) == 6
        with pytest.raises(InvalidParameterError, match="'k' parameter of"):
            f(2, k=0)
        with pytest.raises(ValueError, match="unknown parameters"):
            validate_params({"nope": [None]})(lambda x: x)

    def test_estimator_mixin(self):
        class Est(ParamsValidationMixin, BaseEstimator):
            _parameter_constraints = {"alpha": [Interval(Real, 0, None, closed="left")]}

            def __init__(self, alpha=1.0):
                self.alpha = alpha

        Est(alpha=0.5)._validate_params()
        with pytest.raises(InvalidParameterError, match="'alpha' parameter of Est"):
            Est(alpha=-1)._validate_params()


class TestCheckArray:
    def test_converts_lists_and_ints_to_float(self):
        out = check_array([[1, 2], [3, 4]], "A", ndim=2)
        assert out.dtype == np.float64

    def test_keeps_float32_and_complex(self):
        assert check_array(np.ones(3, np.float32), "x").dtype == np.float32
        assert check_array(np.ones(3, complex), "x", dtype="float-or-complex").dtype == np.complex128
        with pytest.raises(TypeError, match="x must be real"):
            check_array(np.ones(3, complex), "x")

    def test_no_copy_unless_asked(self):
        x = np.ones(3)
        assert check_array(x, "x") is x
        y = check_array(x, "x", copy=True)
        assert y is not x and np.shares_memory(y, x) is False

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_rejects_non_finite(self, bad):
        assert_rejects(check_array, np.array([1.0, bad]), "b", naming="b must not contain NaN")
        assert check_array(np.array([1.0, bad]), "b", allow_nan=True).shape == (2,)

    def test_rejects_empty_wrong_ndim_and_non_numeric(self):
        assert_rejects(check_array, np.ones((0, 3)), "X", naming="X must not be empty")
        assert_rejects(check_array, np.ones(3), "A", ndim=2, naming="A must be 2-D")
        assert_rejects(check_array, np.array(["a", "b"]), "x", error=TypeError, naming="x must hold numbers")
        assert_rejects(check_array, np.array([1, None]), "x", error=TypeError, naming="x must hold numbers")
        assert_rejects(check_array, None, "x", error=TypeError, naming="x must be an array")

    def test_sparse(self):
        A = sparse.random(5, 5, density=0.5, format="coo", random_state=0)
        assert_rejects(check_array, A, "A", error=TypeError, naming="A must be a dense array")
        out = check_array(A, "A", accept_sparse=("csr",))
        assert out.format == "csr" and (out != A.tocsr()).nnz == 0
        csr = A.tocsr()
        assert check_array(csr, "A", accept_sparse="csr") is csr
        csr_bad = csr.copy()
        csr_bad.data[0] = np.nan
        assert_rejects(check_array, csr_bad, "A", accept_sparse="csr", naming="A must not contain NaN")

    def test_array_api_strict_stays_in_namespace(self):
        xps = pytest.importorskip("array_api_strict")
        x = xps.asarray([1, 2, 3])
        out = check_array(x, "x")
        assert type(out).__module__.startswith("array_api_strict")
        assert out.dtype == xps.float64
        with pytest.raises(ValueError, match="x must not contain NaN"):
            check_array(xps.asarray([1.0, float("nan")]), "x")


def test_vector_square_shape_diagonal_callable():
    assert_rejects(check_vector, np.ones((2, 2)), "b", naming="b must be 1-D")
    assert_rejects(check_vector, np.ones(3), "b", size=4, naming="b must have length 4; got 3")
    assert check_square(sparse.eye(4), "A") == 4
    assert_rejects(check_square, np.ones((3, 4)), "A", naming="A must be a square matrix")
    assert_rejects(check_square, np.ones(3), "A", naming="A must be a square matrix")
    check_shape(np.ones((2, 3)), "M", (None, 3))
    assert_rejects(check_shape, np.ones((2, 3)), "M", (2, 4), naming="M must have shape (2, 4)")
    assert_rejects(check_shape, np.ones(2), "b", (3,), naming="b must have shape (3,)")
    A = sparse.diags([1.0, 0.0, 2.0]).tocsr()
    assert_rejects(check_nonzero_diagonal, A, "A", naming="A[1, 1] = 0")
    np.testing.assert_array_equal(check_nonzero_diagonal(sparse.eye(3), "A"), np.ones(3))
    check_callable(None, "callback")
    assert_rejects(check_callable, "f", "callback", error=TypeError, naming="callback must be callable")


def test_probability_vector():
    np.testing.assert_array_equal(check_probability_vector([0.0, 2.0], "a"), [0.0, 2.0])
    assert_rejects(check_probability_vector, np.array([0.5, -0.5]), "a", naming="a must have non-negative")
    assert_rejects(check_probability_vector, np.zeros(3), "b", naming="b must have a positive total")
    assert_rejects(check_probability_vector, np.array([np.nan, 1.0]), "a", naming="a must not contain NaN")
    assert_rejects(check_probability_vector, np.ones(3), "a", size=2, naming="a must have length 2")


def test_assert_rejects_detects_missing_error_and_wrong_name():
    with pytest.raises(AssertionError, match="did not raise"):
        assert_rejects(lambda x: x, 1, naming="x")
    with pytest.raises(AssertionError, match="does not name"):
        assert_rejects(check_vector, np.ones((2, 2)), "b", naming="zzz")


def test_messages_show_values_as_a_user_writes_them():
    from numbers import Real

    from sparsekit.utils import Interval, check_params

    with pytest.raises(InvalidParameterError) as caught:
        check_params({"tol": np.float64(-50.0)}, {"tol": [Interval(Real, 0, None, closed="neither")]}, caller="f")
    assert "got -50.0." in str(caught.value) and "np.float64" not in str(caught.value)


def test_complex_cast_to_a_real_dtype_is_refused_not_truncated():
    with pytest.raises(TypeError, match="a must be real; got complex"):
        check_array(np.ones(3) + 1j, "a", dtype=np.float64)
    assert check_array(np.ones(3) + 1j, "a", dtype=np.complex64).dtype == np.complex64
