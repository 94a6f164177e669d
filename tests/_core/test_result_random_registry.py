import pickle
from numbers import Integral

import numpy as np
import pytest

from sparsekit import InvalidParameterError, Result
from sparsekit.utils import (
    Interval,
    Registry,
    check_random_state,
    restore_items,
    spawn_generators,
    take_items,
)


class TestResult:
    def test_attribute_access(self):
        r = Result(x=np.arange(3.0), converged=True)
        r.n_iter = 4
        assert r["n_iter"] == 4 and r.converged
        del r.n_iter
        with pytest.raises(AttributeError):
            r.n_iter
        with pytest.raises(AttributeError):
            del r.missing
        assert "converged" in dir(r)

    def test_repr_is_readable(self):
        r = Result(x=np.zeros(1000), converged=False, message="maximum iterations reached", n_iter=7)
        text = repr(r)
        assert "x: <ndarray shape=(1000,) dtype=float64>" in text
        assert "message: 'maximum iterations reached'" in text
        assert repr(Result()) == "Result()"

    def test_pickles(self):
        r = Result(x=np.ones(2), n_iter=3)
        back = pickle.loads(pickle.dumps(r))
        assert isinstance(back, Result) and back.n_iter == 3


class TestRandomState:
    def test_reproducible_from_int_and_legacy(self):
        assert check_random_state(5).random() == check_random_state(5).random()
        a = check_random_state(np.random.RandomState(1)).random()
        b = check_random_state(np.random.RandomState(1)).random()
        assert a == b
        g = np.random.default_rng(0)
        assert check_random_state(g) is g
        assert isinstance(check_random_state(None), np.random.Generator)
        assert isinstance(check_random_state(np.random.SeedSequence(3)), np.random.Generator)

    def test_rejects_bad_seeds(self):
        with pytest.raises(ValueError, match="non-negative"):
            check_random_state(-3)
        with pytest.raises(TypeError, match="random_state must be"):
            check_random_state("42")
        with pytest.raises(TypeError):
            check_random_state(True)

    def test_spawn_is_order_independent(self):
        first = [g.random() for g in spawn_generators(7, 3)]
        reverse = [g.random() for g in reversed(spawn_generators(7, 3))][::-1]
        assert first == reverse
        assert len(set(first)) == 3


class TestRegistry:
    def make(self):
        reg = Registry("demo.solve")

        @reg.register("double", constraints={"times": [Interval(Integral, 1, None, closed="left")]},
                      backends=("numpy", "cupy"), aliases=("twice",))
        def double(x, *, times=1):
            """Double x, ``times`` times."""
            return x * 2**times

        @reg.register("kwargs")
        def anything(x, **options):
            """Return the options."""
            return options

        return reg

    def test_dispatch_and_aliases(self):
        reg = self.make()
        assert reg.names() == ["double", "kwargs"] and len(reg) == 2
        assert reg.dispatch("double", 3, times=2) == 12
        assert reg.dispatch("twice", 3) == 6 and "twice" in reg
        assert reg.get("twice").summary == "Double x, ``times`` times."
        assert reg.dispatch("kwargs", 1, anything=5) == {"anything": 5}

    def test_unknown_method_lists_known(self):
        with pytest.raises(ValueError, match="Unknown method 'triple' for demo.solve; known methods: 'double', 'kwargs'"):
            self.make().dispatch("triple", 1)
        with pytest.raises(TypeError, match="method must be a string"):
            self.make().get(None)

    def test_options_and_backends_checked(self):
        reg = self.make()
        with pytest.raises(TypeError, match=r"unexpected option\(s\) \['speed'\]"):
            reg.dispatch("double", 1, speed=3)
        with pytest.raises(InvalidParameterError, match="'times' parameter of demo.solve"):
            reg.dispatch("double", 1, times=0)
        with pytest.raises(ValueError, match="does not support dask input; methods that do: none"):
            reg.dispatch("double", 1, backend="dask")
        assert reg.dispatch("double", 1, backend="cupy") == 2
        # the same checks without a call, for callers that run a method's work themselves
        with pytest.raises(TypeError, match=r"unexpected option\(s\) \['speed'\]"):
            reg.check_options("twice", {"speed": 3})
        with pytest.raises(InvalidParameterError, match="'times' parameter"):
            reg.check_options("double", {"times": 0})
        assert reg.check_options("double", {"times": 2}) is None

    def test_duplicate_registration_rejected(self):
        reg = self.make()
        with pytest.raises(ValueError, match="already registered"):
            reg.register("twice", lambda x: x)


class TestPerItemOptions:
    def make(self):
        reg = Registry("demo.sequence")

        @reg.register("tag", per_item_options=("labels", "weights"), per_item_results=("tags",))
        def tag(items, *, labels=None, weights=None, scale=1.0):
            """Pair each item with its label."""
            return list(zip(items, labels))

        return reg

    def test_take_items_reorders_only_per_item_options(self):
        method = self.make().get("tag")
        assert method.per_item_options == ("labels", "weights") and method.per_item_results == ("tags",)
        options = {"labels": ["a", "b", "c"], "weights": np.array([1.0, 2.0, 3.0]), "scale": 2.0}
        moved = method.take_items(options, [2, 0, 1])
        assert moved["labels"] == ["c", "a", "b"] and moved["scale"] == 2.0
        np.testing.assert_array_equal(moved["weights"], [3.0, 1.0, 2.0])
        assert options["labels"] == ["a", "b", "c"]  # the caller's dict is untouched
        assert method.take_items({"weights": None}, [1, 0]) == {"weights": None}

    def test_length_mismatch_and_scalars_rejected(self):
        method = self.make().get("tag")
        with pytest.raises(ValueError, match=r"labels must hold one entry per item \(3\); got 2"):
            method.take_items({"labels": ["a", "b"]}, [2, 0, 1])
        with pytest.raises(ValueError, match="weights must hold one entry per item"):
            method.take_items({"weights": 0.5}, [0, 1])

    def test_restore_inverts_take(self):
        order = np.array([3, 0, 2, 1])
        values = np.arange(4.0) * 10
        np.testing.assert_array_equal(restore_items(take_items(values, order, "v"), order), values)
        assert restore_items(take_items(list("wxyz"), order, "v"), order) == list("wxyz")
        matrix = np.arange(8).reshape(4, 2)  # reindexed along the first axis only
        np.testing.assert_array_equal(restore_items(take_items(matrix, order, "m"), order), matrix)

    def test_per_item_option_must_be_an_option(self):
        reg = Registry("demo.sequence")
        with pytest.raises(ValueError, match=r"per-item options \['context'\] are not options of 'bad'"):
            reg.register("bad", lambda items, *, x0=None: items, per_item_options=("context",))
        reg.register("open", lambda items, **options: items, per_item_options=("context",))
        assert "open" in reg
