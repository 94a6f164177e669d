"""Sketch operators and the ``sketch`` front door: correctness, unbiasedness, backends, bad input."""

import numpy as np
import pytest
from scipy import sparse

from sparsekit import InvalidParameterError
from sparsekit._core._testing import assert_kernel_matches_twin, assert_rejects, readonly
from sparsekit.linalg import (
    SKETCH_METHODS,
    CountSketch,
    GaussianSketch,
    RowSamplingSketch,
    SparseSignSketch,
    SRDCTSketch,
    SRHTSketch,
    sketch,
)
from sparsekit.linalg._sketching import _sketch_kernels as kernels

from . import _sketch_reference as twins

M, N, K = 96, 7, 24

OPERATORS = {
    "gaussian": lambda k, m, seed: GaussianSketch(k, m, random_state=seed),
    "countsketch": lambda k, m, seed: CountSketch(k, m, random_state=seed),
    "sparse-sign": lambda k, m, seed: SparseSignSketch(k, m, nnz_per_col=3, random_state=seed),
    "srht": lambda k, m, seed: SRHTSketch(k, m, random_state=seed),
    "srdct": lambda k, m, seed: SRDCTSketch(k, m, random_state=seed),
    "uniform": lambda k, m, seed: RowSamplingSketch(k, m, random_state=seed),
    "uniform-no-replace": lambda k, m, seed: RowSamplingSketch(k, m, replace=False, random_state=seed),
    "weighted": lambda k, m, seed: RowSamplingSketch(k, m, weights=np.arange(1.0, m + 1), random_state=seed),
}


def _inputs(rng):
    A = rng.standard_normal((M, N))
    A_sparse = sparse.random_array((M, N), density=0.2, format="csr", rng=rng)
    return {
        "dense": A,
        "dense-F": np.asfortranarray(A),
        "dense-readonly": readonly(A),
        "csr": A_sparse,
        "csc": A_sparse.tocsc(),
        "vector": A[:, 0].copy(),
        "float32": A.astype(np.float32),
    }


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_applies_its_matrix_to_every_input_kind(name, rng):
    S = OPERATORS[name](K, M, 0)
    S_dense = S.toarray()
    assert S_dense.shape == (K, M)
    for kind, A in _inputs(rng).items():
        SA = S @ A
        dense_A = A.toarray() if sparse.issparse(A) else A
        got = SA.toarray() if sparse.issparse(SA) else SA
        assert got.shape == (K,) + dense_A.shape[1:], kind
        tolerance = 1e-5 if kind == "float32" else 1e-12
        np.testing.assert_allclose(got, S_dense @ dense_A, rtol=tolerance, atol=tolerance, err_msg=kind)
        if kind == "float32":
            assert got.dtype == np.float32
    np.testing.assert_allclose(S.apply_transpose(np.eye(K)[:, :3]), S_dense.T[:, :3], atol=1e-12)


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_same_seed_same_sketch_other_seed_other_sketch(name):
    first, again, other = (OPERATORS[name](K, M, seed).toarray() for seed in (3, 3, 4))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", sorted(OPERATORS))
@pytest.mark.parametrize("m", [12, 16])
def test_sketches_are_unbiased(name, m):
    """E[SᵀS] = I: the Monte-Carlo mean is within 6 standard errors of I, entry by entry."""
    draws = 1500
    grams = np.array([(S.T @ S) for S in (OPERATORS[name](6, m, seed).toarray() for seed in range(draws))])
    mean = grams.mean(axis=0)
    standard_error = grams.std(axis=0) / np.sqrt(draws)
    assert np.all(np.abs(mean - np.eye(m)) <= 6 * standard_error + 1e-12)


def test_sparse_sign_columns_have_distinct_rows_and_unit_norm():
    S = SparseSignSketch(10, 500, nnz_per_col=4, random_state=0)
    assert all(np.unique(row).size == 4 for row in S.rows)
    np.testing.assert_allclose(np.linalg.norm(S.toarray(), axis=0), 1.0)
    dense_case = SparseSignSketch(5, 50, nnz_per_col=4, random_state=0)  # 4 s > k: permutation branch
    assert all(np.unique(row).size == 4 for row in dense_case.rows)


def test_trig_sketches_have_orthogonal_rows():
    # SRHT pads m to a power of two; its rows restricted to m columns are orthogonal only without padding
    for S in (SRHTSketch(8, 16, random_state=1), SRDCTSketch(8, 20, random_state=1)):
        dense = S.toarray()
        gram = dense @ dense.T
        np.testing.assert_allclose(gram, gram[0, 0] * np.eye(8), atol=1e-12)


@pytest.mark.parametrize("method", SKETCH_METHODS.names())
def test_front_door_embeds_a_subspace(method, rng):
    """Every registered method keeps ||S A x|| close to ||A x|| for a generous k."""
    A = rng.standard_normal((3000, 5))
    options = {"weights": np.ones(3000)} if method == "weighted" else {}
    SA, S = sketch(A, 600, method=method, random_state=0, return_operator=True, **options)
    assert SA.shape == (600, 5)
    np.testing.assert_array_equal(SA, S @ A)
    Q = np.linalg.qr(A)[0]
    singular = np.linalg.svd(S @ Q, compute_uv=False)
    if method in ("root-leverage", "lewis"):
        return  # scaled for the l1 norm, not l2
    assert 0.7 < singular.min() and singular.max() < 1.3, singular


def test_front_door_options_and_aliases(rng):
    A = rng.standard_normal((200, 4))
    np.testing.assert_array_equal(
        sketch(A, 20, method="osnap", nnz_per_col=2, random_state=1),
        SparseSignSketch(20, 200, nnz_per_col=2, random_state=1) @ A,
    )
    with pytest.raises(ValueError, match="known methods: 'gaussian'"):
        sketch(A, 20, method="fft")
    with pytest.raises(TypeError, match="unexpected option"):
        sketch(A, 20, method="gaussian", nnz_per_col=2)
    with pytest.raises(InvalidParameterError, match="nnz_per_col"):
        sketch(A, 20, method="sparse-sign", nnz_per_col=0)


def test_sparse_input_stays_sparse_where_the_output_would_be_sparse():
    A = sparse.random_array((1000, 20_000), density=1e-4, format="csc", rng=0)
    SA = sketch(A, 50, method="countsketch", random_state=0)
    assert sparse.issparse(SA) and SA.shape == (50, 20_000)
    np.testing.assert_allclose(SA.toarray(), CountSketch(50, 1000, random_state=0).toarray() @ A)
    narrow = sparse.random_array((1000, 10), density=0.1, format="csr", rng=0)
    assert isinstance(sketch(narrow, 50, method="countsketch", random_state=0), np.ndarray)
    rows = sketch(A, 30, method="uniform", random_state=0)
    assert sparse.issparse(rows) and rows.nnz <= A.nnz
    assert isinstance(sketch(narrow, 30, method="uniform", dense_output=True, random_state=0), np.ndarray)


def test_bad_input_is_refused_with_clear_errors(rng):
    A = rng.standard_normal((50, 3))
    assert_rejects(sketch, A, 51, method="srdct", naming="k must be at most 50")
    assert_rejects(RowSamplingSketch, 60, 50, replace=False, naming="without replacement")
    assert_rejects(SparseSignSketch, 4, 50, nnz_per_col=5, naming="nnz_per_col")
    assert_rejects(sketch, A, 0, naming="'k'")
    bad = A.copy()
    bad[3, 1] = np.nan
    assert_rejects(sketch, bad, 10, naming="NaN")
    assert_rejects(sketch, A.astype(complex), 10, error=TypeError, naming="complex")
    assert_rejects(sketch, np.ones((4, 4, 4)), 2, naming="1-D or 2-D")
    assert_rejects(GaussianSketch(10, 40).apply, A, naming="must have 40 rows")
    assert_rejects(sketch, A, 10, method="weighted", naming="needs weights")
    assert_rejects(sketch, A, 10, method="weighted", weights=-np.ones(50), naming="non-negative")
    assert_rejects(sketch, A, 10, method="weighted", weights=np.ones(49), naming="length 50")
    assert_rejects(sketch, A, 10, random_state="seed", error=TypeError, naming="random_state")


@pytest.mark.kernel
@pytest.mark.parametrize("s", [1, 3])
def test_sparse_sign_kernels_match_twins(s, rng):
    m, n, k = 30, 6, 9
    S = SparseSignSketch(k, m, nnz_per_col=s, random_state=2)
    rows, signs = readonly(S.rows), readonly(S.signs)
    A_csr = sparse.random_array((m, n), density=0.3, format="csr", rng=rng)
    A_csc = A_csr.tocsc()
    A = rng.standard_normal((m, n))
    assert_kernel_matches_twin(kernels.sparse_sign_csr, twins.sparse_sign_csr, A_csr.indptr, A_csr.indices,
                               readonly(A_csr.data), rows, signs, S.scale, np.zeros((k, n)))
    assert_kernel_matches_twin(kernels.sparse_sign_csc, twins.sparse_sign_csc, A_csc.indptr, A_csc.indices,
                               A_csc.data, rows, signs, S.scale, np.zeros((n, k)))
    assert_kernel_matches_twin(kernels.sparse_sign_dense_rows, twins.sparse_sign_dense_rows, readonly(A),
                               rows, signs, S.scale, np.zeros((k, n)))
    assert_kernel_matches_twin(kernels.sparse_sign_dense_cols, twins.sparse_sign_dense_cols,
                               np.ascontiguousarray(A.T), rows, signs, S.scale, np.zeros((n, k)))
    assert_kernel_matches_twin(kernels.sparse_sign_transpose, twins.sparse_sign_transpose, rows, signs,
                               S.scale, rng.standard_normal((k, 4)), np.zeros((m, 4)))


GENERIC_METHODS = [m.name for m in SKETCH_METHODS if "array-api" in m.backends]


@pytest.mark.parametrize("method", GENERIC_METHODS)
def test_namespace_generic_methods_match_numpy(method, xp, rng):
    """The array-namespace path (array_api_strict on CPU, CuPy on a GPU) gives NumPy's result."""
    from sparsekit.utils import to_numpy

    A = rng.standard_normal((64, 5))
    options = {"weights": np.arange(1.0, 65)} if method == "weighted" else {}
    expected = sketch(A, 16, method=method, random_state=5, **options)
    got = sketch(xp.asarray(A), 16, method=method, random_state=5, **options)
    assert type(got).__module__.split(".")[0] == type(xp.asarray(A)).__module__.split(".")[0]
    np.testing.assert_allclose(to_numpy(got), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.gpu
@pytest.mark.parametrize("method", ["countsketch", "sparse-sign", "srdct"])
def test_cupy_specific_methods_match_numpy(method, rng):
    cupy = pytest.importorskip("cupy")
    A = rng.standard_normal((128, 6))
    expected = sketch(A, 32, method=method, random_state=9)
    got = sketch(cupy.asarray(A), 32, method=method, random_state=9)
    assert isinstance(got, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(got), expected, rtol=1e-10, atol=1e-12)


def test_methods_without_a_generic_path_refuse_other_namespaces(rng):
    strict = pytest.importorskip("array_api_strict")
    with pytest.raises(ValueError, match="does not support array-api input"):
        sketch(strict.asarray(rng.standard_normal((20, 2))), 4, method="countsketch")


def test_host_only_functions_refuse_other_namespaces(rng):
    """Functions that compute with NumPy/SciPy name themselves when given another array library."""
    strict = pytest.importorskip("array_api_strict")
    from sparsekit.learn.linear_model import sketched_ridge_gcv
    from sparsekit.linalg import coordinated_sketch, leverage_scores, lewis_weights, sketch_lstsq

    A = strict.asarray(rng.standard_normal((40, 3)))
    b = rng.standard_normal(40)
    for call, caller in [
        (lambda: sketch_lstsq(A, b), "sketch_lstsq"),
        (lambda: leverage_scores(A), "leverage_scores"),
        (lambda: lewis_weights(A), "lewis_weights"),
        (lambda: coordinated_sketch(A, 5, random_state=0), "coordinated_sketch"),
        (lambda: sketched_ridge_gcv(A, b), "sketched_ridge_gcv"),
    ]:
        with pytest.raises(TypeError, match=f"{caller} takes NumPy or SciPy sparse input"):
            call()
