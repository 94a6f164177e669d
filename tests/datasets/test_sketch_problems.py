import numpy as np
import pytest

from sparsekit import InvalidParameterError
from sparsekit.datasets import (
    decaying_spectrum_regression,
    ill_conditioned_lstsq,
    sparse_matrix,
    sparse_rows_pair,
)


def test_ill_conditioned_lstsq_has_the_requested_condition_number():
    A, b = ill_conditioned_lstsq(300, 20, condition=1e6, random_state=1)
    singular = np.linalg.svd(A, compute_uv=False)
    assert singular[0] == pytest.approx(1.0) and singular[0] / singular[-1] == pytest.approx(1e6, rel=1e-6)
    assert b.shape == (300,)
    with pytest.raises(ValueError, match="at least n"):
        ill_conditioned_lstsq(5, 6)


def test_sparse_generators():
    A = sparse_matrix(2000, 30, 5000, format="csr", random_state=0)
    assert A.format == "csr" and A.has_sorted_indices and 4800 < A.nnz <= 5000
    for d in (6, 100):
        A, B = sparse_rows_pair(500, d, nnz_per_row=5, random_state=0)
        assert np.all(np.diff(A.indptr) == 5) and np.all(np.diff(B.indptr) == 5)
        assert (A != B).nnz > 0
    with pytest.raises(ValueError, match="at most d"):
        sparse_rows_pair(10, 3, nnz_per_row=4)
    with pytest.raises(InvalidParameterError, match="'nnz'"):
        sparse_matrix(10, 10, 0)


def test_decaying_spectrum_regression():
    X, y, X_test, y_test = decaying_spectrum_regression(4000, 10, noise=0.0, decay=1.0, random_state=0)
    spread = np.linalg.svd(X, compute_uv=False)
    assert spread[0] / spread[-1] == pytest.approx(10, rel=0.2)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(X_test @ beta, y_test, atol=1e-8)
