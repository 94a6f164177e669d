"""FCLS, endmember extraction and the unmixing metrics on synthetic scenes."""

import numpy as np
import pytest
from scipy.optimize import nnls

from sparsekit._core._testing import assert_kernel_matches_twin, readonly
from sparsekit.datasets import make_hyperspectral
from sparsekit.learn.decomposition import (
    abundance_rmse,
    fcls,
    match_endmembers,
    nfindr,
    spa,
    spectral_angle_distance,
    vca,
)
from sparsekit.learn.decomposition._fcls_kernels import active_set_qp, active_set_qp_twin


@pytest.fixture(scope="module")
def scene():
    cube, E, A = make_hyperspectral(20, 25, 60, 4, random_state=0)
    return cube.reshape(-1, 60), E, A.reshape(-1, 4)


def nnls_with_sum_row(Y, E, weight=1e4):
    M = np.vstack([E.T, weight * np.ones(E.shape[0])])
    return np.array([nnls(M, np.append(y, weight))[0] for y in Y])


@pytest.mark.parametrize("sum_to_one", [True, False])
def test_kernel_matches_twin(scene, sum_to_one):
    Y, E, _ = scene
    G, B = E @ E.T, Y[:150] @ E.T
    start = np.full((150, 4), -1.0)
    start[::3] = 0.25  # some rows warm-started
    assert_kernel_matches_twin(active_set_qp, active_set_qp_twin, G, readonly(B), start, sum_to_one, 30, 1e-12)


def test_fcls_is_the_kkt_point_and_matches_nnls(scene):
    Y, E, _ = scene
    result = fcls(Y, E)
    A = result.abundances
    assert result.converged and result.n_iter <= 3 * 4 + 10
    assert A.min() >= 0.0 and np.abs(A.sum(axis=1) - 1).max() < 1e-12
    np.testing.assert_allclose(A, nnls_with_sum_row(Y, E), atol=1e-4)
    # KKT: the gradient is constant on the support and no smaller off it
    grad = A @ (E @ E.T) - Y @ E.T
    nu = np.array([g[a > 0].mean() for g, a in zip(grad, A)])
    spread = np.abs(np.where(A > 0, grad - nu[:, None], 0)).max()
    assert spread < 1e-9 * np.abs(grad).max()
    assert (np.where(A == 0, grad - nu[:, None], 0) > -1e-9).all()
    np.testing.assert_allclose(result.residual_norm, np.linalg.norm(Y - A @ E), rtol=1e-8)


def test_fcls_cube_float32_and_scale(scene):
    Y, E, _ = scene
    cube = Y.reshape(20, 25, 60)
    A = fcls(cube, E).abundances
    assert A.shape == (20, 25, 4)
    np.testing.assert_allclose(A.reshape(-1, 4), fcls(Y, E).abundances)
    A32 = fcls(Y.astype(np.float32), E).abundances
    assert A32.dtype == np.float32 and np.abs(A32 - A.reshape(-1, 4)).max() < 1e-3
    np.testing.assert_allclose(fcls(Y * 1e-200, E * 1e-200).abundances, A.reshape(-1, 4), atol=1e-12)


def test_fcls_collinear_endmembers_stays_feasible(scene):
    Y, E, _ = scene
    doubled = np.vstack([E, E[:1]])
    A = fcls(Y, doubled).abundances
    assert A.min() >= 0 and np.abs(A.sum(axis=1) - 1).max() < 1e-12
    np.testing.assert_allclose(A[:, 1:4], fcls(Y, E).abundances[:, 1:], atol=1e-6)


def test_fcls_names_mismatched_bands(scene):
    Y, E, _ = scene
    with pytest.raises(ValueError, match="E has 59 bands"):
        fcls(Y, E[:, 1:])


@pytest.mark.parametrize("extract", [spa, vca, nfindr])
def test_extraction_finds_the_pure_pixels_without_noise(extract):
    cube, E, A = make_hyperspectral(30, 30, 50, 4, noise_std=0.0, random_state=1)
    result = extract(cube, 4) if extract is spa else extract(cube, 4, random_state=0)
    assert spectral_angle_distance(E, result.endmembers) < 1e-6  # arccos near 1: sqrt(eps)
    assert sorted(A.reshape(-1, 4)[result.indices].argmax(axis=1).tolist()) == [0, 1, 2, 3]


def test_nfindr_grows_the_volume_from_a_random_start():
    cube, E, _ = make_hyperspectral(30, 30, 50, 4, noise_std=0.005, random_state=2)
    result = nfindr(cube, 4, init="random", random_state=0)
    assert result.converged and result.n_iter >= 2
    assert spectral_angle_distance(E, result.endmembers) < 0.05


def test_extraction_rejects_too_many_endmembers(scene):
    Y, _, _ = scene
    with pytest.raises(ValueError, match="n_endmembers=61"):
        spa(Y, 61)


def test_metrics_match_permutations():
    rng = np.random.default_rng(0)
    E = rng.random((4, 30))
    A = rng.dirichlet(np.ones(4), size=100)
    order = np.array([2, 0, 3, 1])
    assert match_endmembers(E, 3 * E[order]).tolist() == np.argsort(order).tolist()
    assert spectral_angle_distance(E, E[order]) < 1e-7
    assert abundance_rmse(A, A[:, order]) == 0.0
    assert abundance_rmse(A, A[:, order], endmembers_true=E, endmembers_pred=E[order]) == 0.0
    noisy = A + 0.1
    np.testing.assert_allclose(abundance_rmse(A, noisy, average=False), 0.1)
    angle = spectral_angle_distance(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]))
    np.testing.assert_allclose(angle, np.pi / 4)
