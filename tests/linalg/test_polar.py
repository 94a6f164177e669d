"""The polar factor: against SciPy, both methods, shapes, dtypes, scale and rank deficiency."""

import numpy as np
import pytest
import scipy.linalg

from sparsekit.linalg import _polar, polar


@pytest.mark.parametrize("method", ["svd", "newton-schulz"])
@pytest.mark.parametrize("shape", [(30, 30), (80, 12), (12, 80), (1, 5)])
def test_matches_scipy_polar(method, shape):
    G = np.random.default_rng(0).standard_normal(shape)
    U, P = polar(G, method=method, return_hermitian=True)
    U_ref, P_ref = scipy.linalg.polar(G.T if shape[0] < shape[1] else G)
    if shape[0] < shape[1]:
        U_ref = U_ref.T
    np.testing.assert_allclose(U, U_ref, atol=1e-12)
    np.testing.assert_allclose(U @ P, G, atol=1e-12)
    np.testing.assert_allclose(P, P.T, atol=0)


@pytest.mark.parametrize("method", ["svd", "newton-schulz"])
def test_float32_stays_float32_and_complex_is_unitary(method):
    rng = np.random.default_rng(1)
    G = rng.standard_normal((40, 10)).astype(np.float32)
    U = polar(G, method=method)
    assert U.dtype == np.float32
    np.testing.assert_allclose(U.T @ U, np.eye(10), atol=2e-6)
    Z = rng.standard_normal((6, 4)) + 1j * rng.standard_normal((6, 4))
    U, P = polar(Z, method=method, return_hermitian=True)
    np.testing.assert_allclose(U.conj().T @ U, np.eye(4), atol=1e-14)
    np.testing.assert_allclose(U @ P, Z, atol=1e-13)


def test_newton_schulz_converges_quadratically_and_stops_at_tol():
    rng = np.random.default_rng(2)
    Q, _ = np.linalg.qr(rng.standard_normal((50, 50)))
    G = Q * np.linspace(1.0, 3.0, 50)  # condition 3; the Frobenius scaling puts s_min near 0.07: 13 steps
    X = _polar._newton_schulz_factor(np, G, maxiter=13, tol=1e-13)
    assert X is not None
    np.testing.assert_allclose(X, Q, atol=1e-13)
    assert _polar._newton_schulz_factor(np, G, maxiter=12, tol=1e-13) is None  # one step short: the SVD answers


def test_rank_deficient_falls_back_to_svd():
    G = np.random.default_rng(3).standard_normal((20, 5))
    G[:, 2] = 0.0
    assert _polar._newton_schulz_factor(np, G / np.abs(G).max(), maxiter=100, tol=1e-14) is None
    np.testing.assert_allclose(polar(G, method="newton-schulz"), polar(G), atol=0)


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_scale_invariant_at_the_edges_of_the_range(scale):
    G = np.random.default_rng(4).standard_normal((6, 4))
    for method in ("svd", "newton-schulz"):
        np.testing.assert_allclose(polar(G * scale, method=method), polar(G), atol=1e-14)


@pytest.mark.parametrize("bad, match", [
    (np.array([[np.nan, 1.0]]), "G must not contain NaN"),
    (np.zeros((3, 2)), "G is all zeros"),
    (np.ones(3), "G must be 2-D"),
])
def test_bad_input_names_g(bad, match):
    with pytest.raises(ValueError, match=match):
        polar(bad)
