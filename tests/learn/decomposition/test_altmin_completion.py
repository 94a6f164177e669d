"""AltMinCompletion: scikit-learn's estimator checks, imputation, fold-in, predict, sparse input, bad input."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit.learn.decomposition import AltMinCompletion

# predict scores (row, column) index pairs of the fitted matrix, not samples: the checks that call predict(X)
# with a float feature matrix cannot apply to it.
EXPECTED_FAILED_CHECKS = {
    check: "predict takes (row, column) index pairs of the fitted matrix, not a feature matrix"
    for check in ("check_methods_subset_invariance", "check_methods_sample_order_invariance",
                  "check_fit_idempotent", "check_n_features_in_after_fitting", "check_dict_unchanged",
                  "check_estimators_pickle", "check_fit2d_predict1d", "check_estimators_dtypes",
                  "check_dtype_object", "check_estimator_sparse_array", "check_estimator_sparse_matrix",
                  "check_f_contiguous_array_estimator")
}


@parametrize_with_checks([AltMinCompletion(rank=1, ridge=0.1, random_state=0)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _ratings(seed=0, n=150, m=80, k=3, frac=0.3):
    rng = np.random.default_rng(seed)
    full = 3.0 + rng.standard_normal((n, 1)) * 0.5 + rng.standard_normal((1, m)) * 0.5 + (
        rng.standard_normal((n, k)) @ rng.standard_normal((k, m)) / np.sqrt(k))
    mask = rng.random(full.shape) < frac
    return full, mask


def test_imputes_dense_and_sparse_alike():
    full, mask = _ratings()
    X = np.where(mask, full, np.nan)
    r, c = np.nonzero(mask)
    X_sparse = sparse.csr_array((full[r, c], (r, c)), shape=full.shape)
    dense = AltMinCompletion(rank=3, bias=True, random_state=0).fit(X)
    sparse_model = AltMinCompletion(rank=3, bias=True, random_state=0).fit(X_sparse)
    out = dense.transform(X)
    np.testing.assert_allclose(out, sparse_model.transform(X_sparse), atol=1e-9)
    np.testing.assert_array_equal(out[mask], full[mask])  # observed entries are kept
    assert np.sqrt(np.mean((out - full)[~mask] ** 2)) < 1e-6
    assert dense.converged_ and dense.n_iter_ == len(dense.rmse_)


def test_predict_pairs_and_fold_in_of_new_rows():
    full, mask = _ratings(1)
    model = AltMinCompletion(rank=3, bias=True, ridge=1e-3, random_state=0).fit(np.where(mask, full, np.nan))
    pairs = np.array([[0, 0], [10, 5], [149, 79]])
    np.testing.assert_allclose(model.predict(pairs), full[pairs[:, 0], pairs[:, 1]], atol=0.02)
    new = np.where(np.random.default_rng(2).random((5, 80)) < 0.5, full[:5], np.nan)
    assert np.abs(model.transform(new) - full[:5]).max() < 0.05
    empty = model.transform(np.full((1, 80), np.nan))
    np.testing.assert_allclose(empty[0], model.offset_ + model.col_bias_)


def test_float32_is_kept():
    full, mask = _ratings(2)
    X = np.where(mask, full, np.nan).astype(np.float32)
    model = AltMinCompletion(rank=3, bias=True, random_state=0).fit(X)
    assert model.components_.dtype == model.transform(X).dtype == np.float32


def test_bad_input_is_named():
    full, mask = _ratings()
    X = np.where(mask, full, np.nan)
    with pytest.raises(ValueError, match="rank=80 must be smaller"):
        AltMinCompletion(rank=80).fit(X)
    with pytest.raises(ValueError, match="no observed entry"):
        AltMinCompletion(rank=2).fit(np.full((5, 4), np.nan))
    empty_user = X.copy()
    empty_user[4] = np.nan
    with pytest.raises(ValueError, match="row 4 has no observed entry"):
        AltMinCompletion(rank=2).fit(empty_user)
    bad = sparse.csr_array(np.nan_to_num(X))
    bad.data[0] = np.inf
    with pytest.raises(ValueError, match="X"):
        AltMinCompletion(rank=2).fit(bad)
    model = AltMinCompletion(rank=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X"):
        model.predict(np.array([[0, 80]]))
    with pytest.raises(ValueError, match="X"):
        model.predict(np.ones((3, 2)))
