import numpy as np
import pytest

from sparsekit import InvalidParameterError
from sparsekit.datasets import make_kronecker_regression, make_sparse_regression


def test_gaussian_design_snr_and_sparsity():
    X, y, coef, noise_std = make_sparse_regression(400, 800, 20, snr_db=20.0, random_state=0)
    assert X.shape == (400, 800) and np.count_nonzero(coef) == 20
    assert np.mean(np.sum(X**2, axis=0)) == pytest.approx(1.0, rel=0.02)
    signal = X @ coef
    assert 10 * np.log10(np.mean(signal**2) / noise_std**2) == pytest.approx(20.0)
    assert np.std(y - signal) == pytest.approx(noise_std, rel=0.1)
    again = make_sparse_regression(400, 800, 20, snr_db=20.0, random_state=0)
    np.testing.assert_array_equal(again[1], y)


def test_hard_designs():
    X, _, _, _ = make_sparse_regression(100, 200, 5, design="ill-conditioned", condition_number=1e3, random_state=1)
    singular = np.linalg.svd(X, compute_uv=False)
    assert singular[0] / singular[-1] == pytest.approx(1e3, rel=1e-6)
    assert np.mean(np.sum(X**2, axis=0)) == pytest.approx(1.0, rel=1e-10)
    X, _, _, _ = make_sparse_regression(4000, 6, 2, design="correlated", correlation=0.9, random_state=2)
    correlation = np.corrcoef(X.T)
    np.testing.assert_allclose(correlation[0, 1:4], [0.9, 0.81, 0.729], atol=0.02)


def test_given_coefficients_and_rademacher():
    coef = np.zeros(10)
    coef[[1, 4]] = [1.0, -2.0]
    X, y, out, _ = make_sparse_regression(30, 10, 0, coef=coef, noise_std=0.0, random_state=3)
    np.testing.assert_allclose(y, X @ coef)
    assert out is not coef and np.array_equal(out, coef)
    _, _, coef, _ = make_sparse_regression(30, 50, 4, coef_distribution="rademacher", random_state=4)
    assert np.linalg.norm(coef) == pytest.approx(1.0) and set(np.abs(coef[coef != 0])) == {0.5}


def test_kronecker_problem_is_kronecker():
    factors, y, coef, noise_std = make_kronecker_regression([(3, 5), (4, 6)], [2, 3], snr_db=30.0, random_state=5)
    H = np.kron(factors[0], factors[1])
    assert np.std(y - H @ coef) == pytest.approx(noise_std, rel=0.5)
    support = coef.reshape(5, 6) != 0
    assert support.sum() == 6 and np.linalg.matrix_rank(support.astype(float)) == 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_nonzero"):
        make_sparse_regression(10, 5, 6)
    with pytest.raises(InvalidParameterError, match="design"):
        make_sparse_regression(10, 5, 1, design="toeplitz")
    with pytest.raises(ValueError, match="coef"):
        make_sparse_regression(10, 5, 1, coef=np.ones(4))
    with pytest.raises(ValueError, match="support_sizes"):
        make_kronecker_regression([(3, 5), (4, 6)], [2, 7])
    with pytest.raises(ValueError, match="factor_shapes"):
        make_kronecker_regression([(3, 5, 1)], [2])
