"""make_sparse_coding: shapes, the planted model, sparsity, noise, dtype and bad arguments."""

import numpy as np
import pytest

from sparsekit.datasets import make_sparse_coding


def test_orthogonal_dictionary_gives_the_codes_back():
    X, D, codes = make_sparse_coding(4000, 12, sparsity=0.2, random_state=0)
    assert X.shape == (4000, 12) and D.shape == (12, 12) and codes.shape == (4000, 12)
    np.testing.assert_allclose(D @ D.T, np.eye(12), atol=1e-12)
    np.testing.assert_allclose(X @ D.T, codes, atol=1e-12)
    assert abs(np.mean(codes != 0) - 0.2) < 0.01


def test_fixed_number_of_nonzeros_per_code():
    X, D, codes = make_sparse_coding(500, 40, 10, n_nonzero=4, dictionary="gaussian", noise_std=0.0,
                                     random_state=0)
    assert (np.count_nonzero(codes, axis=1) == 4).all()
    np.testing.assert_allclose(X, codes @ D)
    counts = np.count_nonzero(codes, axis=0)
    assert counts.min() > 0.5 * counts.mean()  # supports drawn uniformly over the atoms
    with pytest.raises(ValueError, match="n_nonzero"):
        make_sparse_coding(10, 5, 8, n_nonzero=6, dictionary="gaussian")


def test_overcomplete_gaussian_atoms_have_unit_norm():
    X, D, codes = make_sparse_coding(300, 20, 8, dictionary="gaussian", random_state=1)
    assert X.shape == (300, 8) and D.shape == (20, 8)
    np.testing.assert_allclose(np.linalg.norm(D, axis=1), 1.0)
    np.testing.assert_allclose(X, codes @ D)


def test_noise_has_the_requested_standard_deviation():
    X, D, codes = make_sparse_coding(20000, 10, noise_std=0.1, random_state=2)
    assert abs(np.std(X - codes @ D) - 0.1) < 2e-3


def test_seed_and_dtype():
    a = make_sparse_coding(50, 5, random_state=3)
    b = make_sparse_coding(50, 5, random_state=3)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert all(x.dtype == np.float32 for x in make_sparse_coding(50, 5, dtype="float32", random_state=3))


def test_orthogonal_needs_a_square_dictionary():
    with pytest.raises(ValueError, match="n_features"):
        make_sparse_coding(10, 5, 4)
    with pytest.raises(ValueError, match="sparsity"):
        make_sparse_coding(10, 5, sparsity=0.0)
