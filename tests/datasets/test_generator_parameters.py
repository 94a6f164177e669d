"""Every public generator against bad, extreme and odd parameters: named errors or finite data, never a crash.

One table describes each generator (a small valid call, its size and real
parameters with the extremes their constraints accept); the tests run every
generator through every case.
"""

import math
import re
import warnings

import numpy as np
import pytest
from scipy import sparse

from sparsekit import InvalidParameterError, datasets
from sparsekit.datasets import (
    HeatEquation2D,
    darcy_sequence,
    decaying_spectrum_regression,
    helmholtz_sequence,
    ill_conditioned_lstsq,
    make_bars,
    make_hidden_direction_classification,
    make_hyperspectral,
    make_kronecker_regression,
    make_linear_sem,
    make_low_rank_completion,
    make_sparse_coding,
    make_sparse_regression,
    make_spiked_covariance,
    poisson2d,
    poisson3d,
    poisson_sequence,
    shifted_laplacian_sequence,
    sparse_matrix,
    sparse_rows_pair,
)
from sparsekit.datasets._validation import INDEX_MAX, LOG_SCALE_MAX


def _heat(**kwargs):
    heat = HeatEquation2D(**kwargs)
    return heat.contexts, list(heat.systems())


# name: (generator, small valid call, {size: smallest}, {real: (smallest, largest) accepted}).
# Sizes also accept INDEX_MAX where the call's memory does not grow with them (see _HUGE_BUT_CHEAP).
SPECS = {
    "poisson2d": (poisson2d, {"n": 3}, {"n": 1, "m": 1}, {"shift": (-1e100, 1e100)}),
    "poisson3d": (poisson3d, {"n": 2}, {"n": 1}, {"shift": (-1e100, 1e100)}),
    "helmholtz_sequence": (
        helmholtz_sequence,
        {"n_systems": 2, "n": 4, "random_state": 0},
        {"n_systems": 1, "n": 2},
        {"alpha": (1e-300, 100.0), "tau": (0.5, 1e3)},
    ),
    "darcy_sequence": (
        darcy_sequence,
        {"n_systems": 2, "n": 4, "random_state": 0},
        {"n_systems": 1, "n": 2},
        {"alpha": (1e-300, 100.0), "tau": (0.5, 1e3)},
    ),
    "poisson_sequence": (
        poisson_sequence,
        {"n_systems": 2, "n": 4, "random_state": 0},
        {"n_systems": 1, "n": 2, "n_modes": 1},
        {},
    ),
    "shifted_laplacian_sequence": (
        shifted_laplacian_sequence,
        {"n_systems": 2, "grid_size": 3, "random_state": 0},
        {"n_systems": 1, "grid_size": 1},
        {},
    ),
    "HeatEquation2D": (_heat, {"nx": 4, "n_steps": 2}, {"nx": 2, "n_steps": 1}, {"stop_time": (1e-300, 1e6)}),
    "make_linear_sem": (
        make_linear_sem,
        {"n_samples": 5, "n_nodes": 4, "n_edges": 3, "random_state": 0},
        {"n_samples": 1, "n_nodes": 1, "n_edges": 0},
        {"noise_scale": (0.0, 1e100)},
    ),
    "make_sparse_regression": (
        make_sparse_regression,
        {"n_samples": 6, "n_features": 5, "n_nonzero": 2, "random_state": 0},
        {"n_samples": 1, "n_features": 1, "n_nonzero": 0},
        {
            "correlation": (0.0, float(np.nextafter(1.0, 0.0))),
            "condition_number": (1.0, 1e15),
            "snr_db": (-1000.0, 1000.0),
            "noise_std": (0.0, 1e100),
        },
    ),
    "make_kronecker_regression": (
        make_kronecker_regression,
        {"factor_shapes": [(2, 3), (3, 2)], "support_sizes": [1, 2], "random_state": 0},
        {},
        {"snr_db": (-1000.0, 1000.0)},
    ),
    "ill_conditioned_lstsq": (
        ill_conditioned_lstsq,
        {"m": 6, "n": 3, "random_state": 0},
        {"m": 1, "n": 1},
        {"condition": (1.0, 1e15)},
    ),
    "sparse_matrix": (
        sparse_matrix,
        {"m": 6, "n": 4, "nnz": 5, "random_state": 0},
        {"m": 1, "n": 1, "nnz": 1},
        {},
    ),
    "sparse_rows_pair": (
        sparse_rows_pair,
        {"n": 5, "d": 6, "nnz_per_row": 2, "random_state": 0},
        {"n": 1, "d": 1, "nnz_per_row": 1},
        {"row_scale_sigma": (0.0, LOG_SCALE_MAX)},
    ),
    "decaying_spectrum_regression": (
        decaying_spectrum_regression,
        {"n_samples": 6, "n_features": 4, "random_state": 0},
        {"n_samples": 1, "n_features": 1},
        {"noise": (0.0, 1e100), "decay": (0.0, 1.7e308)},
    ),
    "make_hyperspectral": (
        make_hyperspectral,
        {"height": 4, "width": 5, "n_bands": 6, "n_endmembers": 2, "n_outlier_bands": 1, "random_state": 0},
        {"height": 1, "width": 1, "n_bands": 1, "n_endmembers": 1, "n_outlier_bands": 0},
        {"noise_std": (0.0, 1e3), "snr": (-1000.0, 1000.0), "outlier_std": (0.0, 1e3)},
    ),
    "make_sparse_coding": (
        make_sparse_coding,
        {"n_samples": 6, "n_components": 3, "random_state": 0},
        {"n_samples": 1, "n_components": 1},
        {"sparsity": (1e-300, 1.0), "noise_std": (0.0, 1e100)},
    ),
    "make_spiked_covariance": (
        make_spiked_covariance,
        {"n_samples": 6, "n_features": 8, "n_components": 2, "cardinality": 3, "random_state": 0},
        {"n_samples": 1, "n_components": 1, "cardinality": 1},
        {},
    ),
    "make_hidden_direction_classification": (
        make_hidden_direction_classification,
        {"n_samples": 8, "n_features": 5, "random_state": 0},
        {"n_samples": 1, "n_features": 1, "n_strong": 1, "n_weak": 1},
        {"signal": (0.0, 1e100)},
    ),
    "make_low_rank_completion": (
        make_low_rank_completion,
        {"n_rows": 6, "n_columns": 5, "rank": 2, "observed": 0.5, "random_state": 0},
        {"n_rows": 2, "n_columns": 2, "rank": 1},
        {"observed": (1e-300, 1.0), "noise": (0.0, 1e100)},
    ),
    "make_bars": (
        make_bars,
        {"n_samples": 6, "size": 3, "random_state": 0},
        {"n_samples": 1, "size": 2},
        {"pi": (1e-300, 1 - 1e-16), "amplitude": (1e-300, 1e100), "noise": (0.0, 1e100)},
    ),
}
# Sizes the memory does not grow with: at INDEX_MAX they are accepted and must work.
_HUGE_BUT_CHEAP = [
    ("sparse_matrix", {"m": INDEX_MAX, "n": 1, "nnz": 1}),
    ("sparse_matrix", {"m": 1, "n": INDEX_MAX, "nnz": 1, "format": "csr"}),
    ("sparse_rows_pair", {"n": 2, "d": INDEX_MAX, "nnz_per_row": 1}),
]
# Arguments with values of their own to reject, e.g. a string where a string is not one of the choices.
_ARRAYS = {
    "helmholtz_sequence": {"wavenumber": [(1.0, 0.0), (0.0, np.inf), (0.0, 1e300), "ab", (1.0,), None]},
    "darcy_sequence": {"contrast": [(0.0, 1.0), (-1.0, 1.0), (1e-300, 1.0), (np.nan, 1.0), "ab", None]},
    "make_linear_sem": {
        "noise_scale": ["homoscedastic", [1.0, np.nan, 1.0, 1.0], [1.0, -1.0, 1.0, 1.0], np.inf, None],
        "weight_range": [((1.0, 0.5),), ((0.5, np.nan),), ((0.5, 1e300),), (1.0, 2.0), "ab", None],
    },
    "make_sparse_regression": {"coef": [[np.nan] * 5, [1e300] * 5, "abcde", [[1.0] * 5]]},
    "make_kronecker_regression": {
        "factor_shapes": [[(2.5, 3), (3, 2)], [(True, 3), (3, 2)], [(0, 3), (3, 2)], [], "ab", [(2, 3, 1)]],
        "support_sizes": [[1.5, 2], [np.nan, 2], [0, 2], "ab", None],
    },
    "poisson2d": {"dtype": [int, "U3", None, 3.0, "not-a-dtype"]},
}


def _arrays(out):
    """Every ndarray and sparse matrix in a generator's output."""
    if sparse.issparse(out):
        return [out]
    if isinstance(out, np.ndarray):
        return [out] if out.dtype != object else []
    if isinstance(out, dict):
        return [a for value in out.values() for a in _arrays(value)]
    if isinstance(out, (list, tuple)):
        return [a for value in out for a in _arrays(value)]
    return []


def _assert_finite(out):
    arrays = _arrays(out)
    assert arrays
    for a in arrays:
        values = a.data if sparse.issparse(a) else a
        if values.dtype.kind in "iu":  # class labels
            continue
        assert values.dtype == np.float64, values.dtype
        assert np.isfinite(values).all()


def _call(name, **overrides):
    func, base, _, _ = SPECS[name]
    return func(**{**base, **overrides})


def _systems_shapes(systems, n):
    return [(A.shape, (n, n)) for A, _ in systems] + [(b.shape, (n,)) for _, b in systems]


# name: (output, arguments with the defaults that matter) -> [(shape, documented shape), ...]
_SHAPES = {
    "poisson2d": lambda out, a: [(out.shape, (a["n"] * a.get("m", a["n"]),) * 2)],
    "poisson3d": lambda out, a: [(out.shape, (a["n"] ** 3,) * 2)],
    "helmholtz_sequence": lambda out, a: (
        _systems_shapes(out.systems, a["n"] ** 2)
        + [
            (out.features.shape, (a["n_systems"], a["n"] ** 2 + 1)),
            (out.log_coefficients.shape, (a["n_systems"], a["n"], a["n"])),
        ]
    ),
    "darcy_sequence": lambda out, a: (
        _systems_shapes(out.systems, a["n"] ** 2)
        + [(out.features.shape, (a["n_systems"], (a["n"] + 2) ** 2))]
    ),
    "poisson_sequence": lambda out, a: (
        _systems_shapes(out.systems, a["n"] ** 2)
        + [(out.features.shape, (a["n_systems"], a.get("n_modes", 5) ** 2 + 4 * a.get("n_modes", 5)))]
    ),
    "shifted_laplacian_sequence": lambda out, a: (
        _systems_shapes(out.systems, a["grid_size"] ** 2)
        + [(out.shifts.shape, (a["n_systems"],)), (out.features.shape, (a["n_systems"], 1))]
    ),
    "HeatEquation2D": lambda out, a: (
        _systems_shapes(out[1], (a["nx"] - 1) ** 2)
        + [(out[0].shape, (a["n_steps"],)), ((len(out[1]),), (a["n_steps"],))]
    ),
    "make_linear_sem": lambda out, a: [
        (out[0].shape, (a["n_samples"], a["n_nodes"])),
        (out[1].shape, (a["n_nodes"],) * 2),
    ],
    "make_sparse_regression": lambda out, a: [
        (out[0].shape, (a["n_samples"], a["n_features"])),
        (out[1].shape, (a["n_samples"],)),
        (out[2].shape, (a["n_features"],)),
    ],
    "make_kronecker_regression": lambda out, a: [
        (out[1].shape, (math.prod(r for r, _ in a["factor_shapes"]),)),
        (out[2].shape, (math.prod(c for _, c in a["factor_shapes"]),)),
    ],
    "make_hyperspectral": lambda out, a: [
        (out[0].shape, (a["height"], a["width"], a["n_bands"])),
        (out[1].shape, (a["n_endmembers"], a["n_bands"])),
        (out[2].shape, (a["height"], a["width"], a["n_endmembers"])),
    ],
    "make_sparse_coding": lambda out, a: [
        (out[0].shape, (a["n_samples"], a["n_components"])),
        (out[1].shape, (a["n_components"],) * 2),
        (out[2].shape, (a["n_samples"], a["n_components"])),
    ],
    "make_low_rank_completion": lambda out, a: [
        (out[0].shape, (a["n_rows"], a["n_columns"])),
        (out[1].shape, (a["n_rows"], a["rank"])),
    ],
    "make_bars": lambda out, a: [
        (out[0].shape, (a["n_samples"], a["size"] ** 2)),
        (out[1].shape, (2 * a["size"], a["size"] ** 2)),
    ],
    "make_spiked_covariance": lambda out, a: [
        (out[0].shape, (a["n_samples"], a["n_features"])),
        (out[1].shape, (a["n_components"], a["n_features"])),
    ],
    "make_hidden_direction_classification": lambda out, a: [
        (out[0].shape, (a["n_samples"], a["n_features"])),
        (out[1].shape, (a["n_samples"],)),
        (out[2].shape, (a["n_features"], a.get("n_strong", 8) + a.get("n_weak", 2))),
    ],
    "ill_conditioned_lstsq": lambda out, a: [(out[0].shape, (a["m"], a["n"])), (out[1].shape, (a["m"],))],
    "sparse_matrix": lambda out, a: [(out.shape, (a["m"], a["n"]))],
    "sparse_rows_pair": lambda out, a: [(out[0].shape, (a["n"], a["d"])), (out[1].shape, (a["n"], a["d"]))],
    "decaying_spectrum_regression": lambda out, a: [
        (out[k].shape, (a["n_samples"], a["n_features"])[: 2 - k % 2]) for k in range(4)
    ],
}


def _assert_documented(name, **overrides):
    """Call ``name``, check its output is finite float64 of the documented shapes, and return it."""
    out = _call(name, **overrides)
    _assert_finite(out)
    for shape, documented in _SHAPES[name](out, {**SPECS[name][1], **overrides}):
        assert shape == documented
    return out


def _ints(name):
    return list(SPECS[name][2])


def _reals(name):
    return list(SPECS[name][3])


_SIZE_CASES = [(name, p) for name in SPECS for p in _ints(name)]
_REAL_CASES = [(name, p) for name in SPECS for p in _reals(name)]


def test_every_public_generator_is_in_the_table():
    """Every generator (the ``load_*`` loaders read installed data; their arguments are tested with them)."""
    assert sorted(SPECS) == sorted(name for name in datasets.__all__ if not name.startswith("load_"))


@pytest.mark.parametrize("name, param", _SIZE_CASES)
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1, True, 2.5, 3.0, "3", None, 10**300, 1e300])
def test_bad_sizes_are_named(name, param, value):
    if value is None and (name, param) == ("poisson2d", "m"):
        pytest.skip("m=None means m=n")
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        _call(name, **{param: value})


@pytest.mark.parametrize("name, param", _REAL_CASES)
@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), -float("inf"), True, "1", None, np.float64("nan")]
)
def test_bad_reals_are_named(name, param, value):
    if value is None and (name, param) == ("make_sparse_regression", "noise_std"):
        pytest.skip("noise_std=None means: from snr_db")
    if value is None and (name, param) == ("make_hyperspectral", "snr"):
        pytest.skip("snr=None means: from noise_std")
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        _call(name, **{param: value})


@pytest.mark.parametrize("name, param", _REAL_CASES)
def test_reals_beyond_their_extremes_are_named(name, param):
    low, high = SPECS[name][3][param]
    # The field generators bound (alpha, tau) jointly: their messages name both.
    for value in (
        -1.0 if low == 0.0 else None,
        1e300 if high < 1e300 else None,
        -1e300 if low > -1e100 else None,
    ):
        if value is not None and not (low <= value <= high):
            with pytest.raises(ValueError, match=param):
                _call(name, **{param: value})


@pytest.mark.parametrize("name, param", [(n, p) for n, arrays in _ARRAYS.items() for p in arrays])
def test_bad_arrays_and_dtypes_are_named(name, param):
    for value in _ARRAYS[name][param]:
        with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
            _call(name, **{param: value})


@pytest.mark.parametrize("name, param", _REAL_CASES)
def test_an_integer_real_is_the_float(name, param):
    low, high = SPECS[name][3][param]
    value = max(math.ceil(low), 1) if math.ceil(low) <= high else None
    if value is None or value > high:
        pytest.skip("no integer in range")
    as_int, as_float = _call(name, **{param: value}), _call(name, **{param: float(value)})
    for a, b in zip(_arrays(as_int), _arrays(as_float), strict=True):
        assert (a != b).nnz == 0 if sparse.issparse(a) else np.array_equal(a, b)


def test_integer_decay_was_a_numpy_error():
    # decay=1 raised "Integers to negative integer powers are not allowed".
    X, *_ = decaying_spectrum_regression(20, 4, decay=1, random_state=0)
    np.testing.assert_array_equal(X, decaying_spectrum_regression(20, 4, decay=1.0, random_state=0)[0])


@pytest.mark.parametrize("name", list(SPECS))
def test_extremes_give_finite_data_of_the_documented_shape(name):
    _assert_documented(name)
    _assert_documented(name, **SPECS[name][2])
    for param, (low, high) in SPECS[name][3].items():
        for value in (low, high):
            try:
                _assert_documented(name, **{param: value})
            except ValueError as exc:  # samples of a SEM that overflow are reported, never returned
                assert name == "make_linear_sem" and "overflow float64" in str(exc)


@pytest.mark.parametrize("name, sizes", _HUGE_BUT_CHEAP)
def test_sizes_the_memory_does_not_grow_with_reach_index_max(name, sizes):
    out = _call(name, **sizes)
    for matrix in _arrays(out):
        assert matrix.shape == (
            sizes.get("m", sizes.get("n")),
            sizes.get("n", 1) if "m" in sizes else sizes["d"],
        )
        assert np.isfinite(matrix.data).all()


@pytest.mark.parametrize("name", list(SPECS))
def test_same_seed_same_data(name):
    if "random_state" not in SPECS[name][1]:
        pytest.skip("deterministic")
    first, again, other = _call(name), _call(name), _call(name, random_state=1)
    for a, b in zip(_arrays(first), _arrays(again), strict=True):
        assert (a != b).nnz == 0 if sparse.issparse(a) else np.array_equal(a, b)
    assert any(
        (a != b).nnz if sparse.issparse(a) else not np.array_equal(a, b)
        for a, b in zip(_arrays(first), _arrays(other))
    )


_TOO_BIG = [
    ("poisson2d", {"n": 10**6}, "n=1000000, m=1000000"),
    ("poisson3d", {"n": 10**5}, "n=100000"),
    ("helmholtz_sequence", {"n": 10**5}, "n_systems=2, n=100000"),
    ("darcy_sequence", {"n_systems": 10**9}, "n_systems=1000000000, n=4"),
    ("poisson_sequence", {"n_modes": 10**9}, "n_modes=1000000000"),
    ("shifted_laplacian_sequence", {"n_systems": 10**12}, "n_systems=1000000000000"),
    ("HeatEquation2D", {"n_steps": 10**12}, "n_steps=1000000000000"),
    ("make_linear_sem", {"n_nodes": 10**6}, "n_nodes=1000000"),
    ("make_sparse_regression", {"n_samples": INDEX_MAX}, "n_samples=9.223e+18"),
    (
        "make_kronecker_regression",
        {"factor_shapes": [(10**5, 10**5)], "support_sizes": [1]},
        "factor_shapes=1",
    ),
    ("make_hyperspectral", {"height": 10**5, "width": 10**5}, "height=100000, width=100000"),
    ("ill_conditioned_lstsq", {"m": 10**9, "n": 10**3}, "m=1000000000, n=1000"),
    ("sparse_matrix", {"nnz": 10**12}, "nnz=1000000000000"),
    ("sparse_rows_pair", {"n": 10**6, "d": 10**5, "nnz_per_row": 10**5}, "n=1000000, d=100000"),
    ("decaying_spectrum_regression", {"n_features": 10**6}, "n_features=1000000"),
    ("make_sparse_coding", {"n_samples": 10**9, "n_components": 10**3}, "n_samples=1000000000, n_components=1000"),
    ("make_spiked_covariance", {"n_samples": 10**9, "n_features": 10**3}, "n_samples=1000000000, n_features=1000"),
    ("make_hidden_direction_classification", {"n_samples": 10**9}, "n_samples=1000000000"),
    ("make_low_rank_completion", {"n_rows": 10**7, "n_columns": 10**7, "observed": 0.5},
     "n_rows=10000000, n_columns=10000000"),
    ("make_bars", {"n_samples": 10**9, "size": 100}, "n_samples=1000000000, size=100"),
]


def test_every_generator_bounds_its_memory():
    assert sorted({name for name, _, _ in _TOO_BIG}) == sorted(SPECS)


@pytest.mark.parametrize("name, sizes, named", _TOO_BIG)
def test_too_large_a_call_fails_before_allocating(name, sizes, named):
    with pytest.raises(
        ValueError, match=r"would allocate about [0-9.e+]+ GiB, more than the 32 GiB limit"
    ) as info:
        _call(name, **sizes)
    assert named in str(info.value)


@pytest.mark.parametrize("generator", [helmholtz_sequence, darcy_sequence])
@pytest.mark.parametrize(
    "alpha, tau", [(2.5, 1e300), (2.5, 1e-300), (1e300, 7.0), (0.5, 0.1), (1e-300, 1e-300)]
)
def test_a_field_beyond_float64_names_alpha_and_tau(generator, alpha, tau):
    kwargs = {"permeability": "lognormal"} if generator is darcy_sequence else {}
    with pytest.raises(ValueError, match=re.escape(f"alpha={alpha:g} and tau={tau:g} give a random field")):
        generator(2, n=8, alpha=alpha, tau=tau, random_state=0, **kwargs)


def test_the_largest_accepted_field_stays_finite():
    # Bisect tau (alpha = 0.5: the smaller tau, the rougher the field) to the edge of the bound.
    accepted, rejected = 1.0, 1e-3
    for _ in range(40):
        tau = math.sqrt(accepted * rejected)
        try:
            helmholtz_sequence(1, n=30, alpha=0.5, tau=tau, random_state=0)
            accepted = tau
        except ValueError:
            rejected = tau
    data = helmholtz_sequence(20, n=30, alpha=0.5, tau=accepted, random_state=0)
    spread = np.std(data.log_coefficients)
    assert 3.0 < spread <= LOG_SCALE_MAX  # rough, at the edge, and its exp() in [1e-100, 1e100]
    assert all(np.isfinite(A.data).all() for A, _ in data.systems)
    # A threshold field only needs its sign: the same tau is far inside that bound.
    assert np.isfinite(darcy_sequence(2, n=30, alpha=0.5, tau=accepted / 10, random_state=0).features).all()


def test_a_tiny_tau_does_not_divide_by_zero():
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        data = darcy_sequence(2, n=6, alpha=1.0, tau=1e-200, random_state=0)
    assert np.isfinite(data.features).all()


def test_noise_scale_string_is_not_heteroscedastic():
    # Any string passed the "array-like" constraint and was taken as "heteroscedastic".
    with pytest.raises(InvalidParameterError, match="'noise_scale' parameter"):
        make_linear_sem(10, 4, 3, noise_scale="homoscedastic")


def test_sem_samples_that_overflow_are_reported():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reported once, as the error, not also as a RuntimeWarning
        with pytest.raises(
            ValueError, match=r"overflow float64.*weight_range \(largest \|weight\| 1e\+100\)"
        ):
            make_linear_sem(5, 6, 15, weight_range=((1e100, 1e100),), random_state=0)


def test_shift_must_fit_the_dtype():
    assert np.isfinite(poisson2d(3, shift=3e38, dtype=np.float32).data).all()
    with pytest.raises(ValueError, match=r"shift=1e\+39 overflows dtype float32; .* at most 3.40282e\+38"):
        poisson2d(3, shift=1e39, dtype=np.float32)


def test_snr_and_condition_bounds_were_overflows_and_silent_errors():
    # snr_db = 1e300 raised OverflowError, -1e300 ZeroDivisionError; condition 1e20 gave cond(A) ~ 4e16.
    for value in (1e300, -1e300, 5000.0):
        with pytest.raises(InvalidParameterError, match="'snr_db' parameter"):
            make_sparse_regression(6, 5, 2, snr_db=value)
    with pytest.raises(InvalidParameterError, match="'condition' parameter"):
        ill_conditioned_lstsq(60, 20, condition=1e20)
    A, _ = ill_conditioned_lstsq(60, 20, condition=1e15, random_state=0)
    assert np.linalg.cond(A) == pytest.approx(1e15, rel=0.05)


def test_heat_steps_check_their_inputs():
    heat = HeatEquation2D(4, n_steps=2)
    with pytest.raises(InvalidParameterError, match="'step' parameter of system"):
        heat.system(2, heat.initial())
    with pytest.raises(ValueError, match="u must not contain NaN"):
        heat.system(0, np.full(heat.n, np.nan))
    with pytest.raises(InvalidParameterError, match="'t' parameter of forcing"):
        heat.forcing(float("nan"))
    with pytest.raises(ValueError, match="t must not contain NaN"):
        heat.diffusion([0.0, float("inf")])


@pytest.mark.parametrize("name, param", [(n, p) for n, p in _REAL_CASES if SPECS[n][3][p][1] >= 1e100])
def test_numpy_scalars_compare_exactly(name, param):
    # Comparing np.float32(1e30) with the bound 1e100 cast the bound to float32: an overflow warning.
    value = np.float32(1e30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        as_numpy = _call(name, **{param: value})
    for a, b in zip(_arrays(as_numpy), _arrays(_call(name, **{param: float(value)})), strict=True):
        assert (a != b).nnz == 0 if sparse.issparse(a) else np.array_equal(a, b)


def test_a_shape_mismatch_names_both_arguments():
    with pytest.raises(ValueError, match=r"support_sizes .* 1 factors of factor_shapes; got \[1, 2\]"):
        make_kronecker_regression([(2, 3)], [1, 2])
