"""The contract every public name keeps: result fields, non-convergence, untouched inputs, seeds, bad input.

Parametrized over the one table of ``calls.py`` and over every registry's ``names()`` at collection time. Current
failures are marked in ``known_failures.py`` (strict: a fix forces the entry's removal).
"""

import importlib
import inspect
import types
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator

import sparsekit
from sparsekit import ConvergenceWarning, Result
from sparsekit.utils import Registry

from . import _inputs as inp
from .calls import CALLS, REGISTRIES, Built, Call, NotCallable, entries, public_names, resolve

TIME_BOUND_S = 30
ENTRIES = entries()
SOLVERS = [key for key, (_, call) in ENTRIES.items() if call.solution]
FORCED = [key for key, (_, call) in ENTRIES.items() if call.force is not None]


def target(key):
    return resolve(ENTRIES[key][0])


def is_estimator(obj):
    return isinstance(obj, type) and issubclass(obj, BaseEstimator)


def invoke(key, args, options):
    """Run one entry from this module, so a warning issued 'at the caller's line' lands in this file."""
    obj = target(key)
    with inp.time_bound(TIME_BOUND_S):
        if is_estimator(obj):
            return obj(**options).fit(*args)
        return obj(*args, **options)


def data(key):
    call = ENTRIES[key][1]
    return tuple(call.data()), dict(call.options)


def signature_of(key):
    obj = target(key)
    return inspect.signature(obj.fit if is_estimator(obj) else obj)


def named_arguments(key, args, options):
    """``{argument name: value}`` of the positional data (fit's for an estimator) and of the options."""
    params = [p for p in signature_of(key).parameters.values() if p.name != "self"]
    named = {p.name: value for p, value in zip(params, args)}
    return named, {name: value for name, value in options.items()}


def replace(key, args, options, name, value):
    """The call's arguments with argument ``name`` replaced by ``value``."""
    params = [p.name for p in signature_of(key).parameters.values() if p.name != "self"]
    args = list(args)
    if name in params[: len(args)]:
        args[params.index(name)] = value
    else:
        options = {**options, name: value}
    return tuple(args), options


# ------------------------------------------------------------------------------------------------------------
# Every public name is in the table and classified.
# ------------------------------------------------------------------------------------------------------------


def classify(obj):
    if isinstance(obj, Registry):
        return "registry"
    if isinstance(obj, types.ModuleType):
        return "module"
    if is_estimator(obj):
        return "estimator"
    if isinstance(obj, type):
        return "class"
    if callable(obj):
        return "function"
    return "constant"


@pytest.mark.parametrize("area, name", public_names(), ids=[f"{a}.{n}" for a, n in public_names()])
def test_every_public_name_is_declared(area, name):
    obj = getattr(importlib.import_module(area), name)
    kind = classify(obj)
    assert name in CALLS, (
        f"{area}.{name} ({kind}) has no entry in tests/contract/calls.py: declare one in CALLS "
        f"(a Call with a small valid call, Built(by=...) for a returned class, NotCallable(why) otherwise)"
    )
    entry = CALLS[name]
    if kind in ("registry", "module", "constant"):
        assert isinstance(entry, NotCallable), f"{name} is a {kind}: declare it NotCallable(why)"
    if kind == "registry":
        assert name in REGISTRIES, f"registry {name}: add its front door and problem to REGISTRIES"
    if isinstance(entry, Built):
        assert kind == "class", f"{name}: only classes are Built by another call"
    if isinstance(entry, Call):
        assert kind in ("function", "class", "estimator"), f"{name} is a {kind}, not a call"


def test_known_failures_all_match():
    """Every pattern of known_failures.py matches a test of this suite (a stale entry hides nothing)."""
    from .conftest import UNMATCHED

    assert not UNMATCHED, f"known_failures.py entries matching no test: {sorted(UNMATCHED)}"


def test_table_has_no_stale_entry():
    public = {name for _, name in public_names()}
    assert not set(CALLS) - public, f"entries for names no longer public: {sorted(set(CALLS) - public)}"


def test_every_registry_is_walked():
    """Every Registry object defined anywhere in sparsekit's solver layers is walked by REGISTRIES."""
    import pkgutil

    found = set()
    for package in (sparsekit.linalg, sparsekit.ot, sparsekit.learn):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            found |= {name for name, value in vars(module).items() if isinstance(value, Registry)}
    assert found <= set(REGISTRIES), f"registries with no front door in calls.REGISTRIES: {found - set(REGISTRIES)}"


@pytest.mark.parametrize("name", [n for n, e in CALLS.items() if isinstance(e, Built)])
def test_built_classes_come_from_their_call(name):
    cls = resolve(name)
    args, options = data(CALLS[name].by)
    out = invoke(CALLS[name].by, args, {**options, **CALLS[name].options})
    found = [out] + (list(out.values()) if isinstance(out, dict) else [])
    assert any(isinstance(item, cls) for item in found), f"{CALLS[name].by} returns no {name}"


@pytest.mark.parametrize("key", [k for k in ENTRIES if not ENTRIES[k][1].solution])
def test_results_are_declared_solvers(key):
    """A name returning a Result must declare its solution field, so the solver contract reaches it."""
    out = invoke(key, *data(key))
    assert not isinstance(out, Result), f"{key} returns a Result: declare solution= in its Call"


# ------------------------------------------------------------------------------------------------------------
# Result contract and non-convergence.
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", SOLVERS)
def test_result_contract(key):
    call = ENTRIES[key][1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = invoke(key, *data(key))
    assert isinstance(res, Result), f"{key} returns {type(res).__name__}, not a sparsekit.Result"
    missing = [f for f in ("converged", "status", "message", "n_iter", call.solution) if f not in res]
    assert not missing, f"{key}: Result lacks {missing}"
    assert bool(res.converged) == (res.status == 0), f"{key}: converged={res.converged} but status={res.status}"
    assert isinstance(res.message, str) and res.message, f"{key}: empty message"
    if res.converged:
        assert not inp.non_finite(res), f"{key}: converged with non-finite values"


@pytest.mark.parametrize("key", FORCED)
def test_non_convergence_warns_once_at_caller(key):
    args, options = data(key)
    options.update(ENTRIES[key][1].force)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = invoke(key, args, options)
    ours = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(ours) == 1, f"{key}: {len(ours)} ConvergenceWarnings, expected one: {[str(w.message) for w in ours]}"
    assert ours[0].filename == __file__, f"{key}: warning at {ours[0].filename}:{ours[0].lineno}, not the caller's"
    assert converged_flag_of(out) is False, f"{key}: forced run reports converged={converged_flag_of(out)}"


def converged_flag_of(out):
    flag = inp.converged_flag(out)
    return None if flag is None else bool(flag)


# ------------------------------------------------------------------------------------------------------------
# Inputs untouched; same seed, same output.
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(ENTRIES))
def test_inputs_not_modified(key):
    args, options = data(key)
    before = inp.snapshot((args, options))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        invoke(key, args, options)
    for (name, old), new in zip(
        [*named_arguments(key, *before)[0].items(), *before[1].items()],
        [*named_arguments(key, args, options)[0].values(), *options.values()],
    ):
        assert inp.identical(old, new), f"{key} modified its input {name}"


SEEDED = [k for k in ENTRIES if "random_state" in inspect.signature(target(k)).parameters]


@pytest.mark.parametrize("key", SEEDED)
def test_same_seed_same_output(key):
    args, options = data(key)
    options["random_state"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = invoke(key, args, options)
        second = invoke(key, *data(key)[:1], {**options})
    assert inp.same(first, second), f"{key}: two runs with random_state=0 differ"


# ------------------------------------------------------------------------------------------------------------
# Bad input: an error naming the argument, or a correct result.
# ------------------------------------------------------------------------------------------------------------


def _bad_input_cases():
    cases = []
    for key, (_, call) in ENTRIES.items():
        args, options = tuple(call.data()), dict(call.options)
        positional, keywords = named_arguments(key, args, options)
        arrays = [n for n, v in {**positional, **keywords}.items() if inp.is_array(v)]
        for name in arrays:
            for case in inp.ARRAY_CASES:
                if case == "mismatched" and len(arrays) < 2:
                    continue
                cases.append(pytest.param(key, name, case, id=f"{key}-{name}-{case}"))
            if name in call.sparse:
                cases += [pytest.param(key, name, c, id=f"{key}-{name}-{c}") for c in inp.SPARSE_CASES]
        defaults = {p.name: p.default for p in signature_of(key).parameters.values()}
        if isinstance(target(key), type) and not is_estimator(target(key)):
            defaults = {}
        elif is_estimator(target(key)):  # an estimator's scalars are its constructor's
            defaults = {p.name: p.default for p in inspect.signature(target(key)).parameters.values()}
        scalars = [n for n, v in {**defaults, **positional, **keywords}.items() if inp.is_scalar(v)
                   and n not in ("random_state", "verbose")]
        for name in dict.fromkeys([*scalars, *call.scalars]):
            cases += [pytest.param(key, name, c, id=f"{key}-{name}-{c}") for c in inp.SCALAR_CASES]
    return cases


def _outcome(key, args, options):
    """``("raised", exc)`` for ValueError/TypeError, else ``("returned", output)``; other errors propagate."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "returned", invoke(key, args, options)
    except (ValueError, TypeError) as exc:
        return "raised", exc


def _direction(vector):
    """``vector`` as a unit vector, scaled by its largest entry first so that 1e-300 values do not underflow."""
    vector = np.asarray(vector, dtype=float)
    peak = np.abs(vector).max()
    return vector / peak / np.linalg.norm(vector / peak) if peak > 0 else vector


@pytest.mark.parametrize("key, name, case", _bad_input_cases())
def test_bad_input(key, name, case):
    call = ENTRIES[key][1]
    args, options = data(key)
    positional, keywords = named_arguments(key, args, options)
    value = {**positional, **keywords}.get(name)
    if case in inp.SPARSE_CASES:
        bad = inp.as_sparse(value, case)
    elif case in inp.SCALAR_VALUES:
        bad = inp.SCALAR_VALUES[case](value if value is not None else 1.0)
    else:
        bad = inp.ARRAY_CASES[case](value)
    kind, out = _outcome(key, *replace(key, args, options, name, bad))
    if kind == "raised":
        # A mismatch is between two arguments: naming either is right.
        arrays = [n for n, v in {**positional, **keywords}.items() if inp.is_array(v)]
        named = arrays if case == "mismatched" else [name]
        assert any(inp.names_argument(str(out), n) for n in named), (
            f"[message] {key}: {type(out).__name__} does not name {name!r}: {out}")
        return
    flag = converged_flag_of(out)
    if flag:
        assert not inp.non_finite(out), f"[non-finite converged] {key}({name}={case}) reports converged with NaN/inf"
    if case in call.accepts.get(name, ()):
        return
    if case in inp.MUST_RAISE:
        assert flag is False, f"[accepted] {key} accepted {name}={case} and returned an answer"
    elif case in inp.SCALE_CASES:
        if flag is False:
            return
        assert not inp.non_finite(out), f"[non-finite] {key}({name}={case}) returned NaN/inf"
        if name in call.homogeneous:
            _, reference = _outcome(key, *data(key))
            assert np.allclose(_direction(out[call.solution]), _direction(reference[call.solution]), rtol=1e-6), (
                f"[scaling] {key}({name}={case}) is not the unscaled answer up to the scale")
    elif case in inp.SPARSE_CASES:
        _, reference = _outcome(key, *replace(key, args, options, name, inp.as_sparse(value, "csr_array")))
        assert inp.same(out, reference, rtol=1e-8, atol=1e-12), f"[sparse format] {key}({name}={case}) != CSR answer"
    elif case == "scalar_nan":
        assert flag is False, f"[accepted] {key} accepted {name}=nan and returned an answer"
    # A negative or infinite scalar may be valid (a shift, an unlimited budget): the answer's contract is checked above.
