"""Robust unmixing NMFs: recovery under outlier bands (against scikit-learn's NMF), monotone objective, options."""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import NMF

from sparsekit import ConvergenceWarning
from sparsekit.datasets import make_hyperspectral
from sparsekit.learn.decomposition import abundance_rmse, fcls, robust_sparse_nmf, spa, spectral_angle_distance


@pytest.fixture(scope="module")
def scene():
    cube, E, A = make_hyperspectral(30, 30, 80, 3, n_outlier_bands=8, random_state=0)
    return cube, E, A


@pytest.fixture(scope="module")
def peer(scene):
    cube, E, A = scene
    Y = cube.reshape(-1, 80)
    E0 = spa(Y, 3).endmembers
    model = NMF(3, solver="cd", init="custom", max_iter=500, tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        W = model.fit_transform(Y, W=fcls(Y, E0).abundances, H=E0.copy())
    return spectral_angle_distance(E, model.components_), abundance_rmse(A.reshape(-1, 3), W)


def test_beats_nmf_under_outlier_bands(scene, peer):
    cube, E, A = scene
    result = robust_sparse_nmf(cube, 3)
    sad = spectral_angle_distance(E, result.endmembers)
    rmse = abundance_rmse(A, result.abundances, endmembers_true=E, endmembers_pred=result.endmembers)
    assert result.converged
    assert sad <= 0.8 * peer[0] and rmse <= peer[1], (sad, rmse, peer)


def test_outlier_bands_get_the_smallest_weights(scene):
    cube, _, _ = scene
    _, _, _, bad = make_hyperspectral(30, 30, 80, 3, n_outlier_bands=8, return_outlier_bands=True, random_state=0)
    weights = robust_sparse_nmf(cube, 3).band_weights
    assert set(np.argsort(weights)[:8]) == set(bad.tolist())


def test_objective_never_increases_without_sparsity(scene):
    with pytest.warns(ConvergenceWarning, match="max_iter=15"):
        result = robust_sparse_nmf(scene[0], 3, max_iter=15, tol=0.0)
    assert np.all(np.diff(result.objective) <= 1e-9 * result.objective[0])


def test_sparsity_and_spatial_terms_act(scene):
    cube, _, _ = scene
    plain = robust_sparse_nmf(cube, 3)
    sparse = robust_sparse_nmf(cube, 3, alpha=1.0)
    assert np.count_nonzero(sparse.abundances == 0) > np.count_nonzero(plain.abundances == 0)
    smooth = robust_sparse_nmf(cube, 3, spatial=1e-3)

    def roughness(a):
        return float(np.abs(np.diff(a, axis=0)).sum() + np.abs(np.diff(a, axis=1)).sum())

    assert roughness(smooth.abundances) < roughness(plain.abundances)
    for result in (sparse, smooth):
        assert result.abundances.min() >= 0
        np.testing.assert_allclose(result.abundances.sum(axis=2), 1.0, atol=1e-12)


def test_float32_and_without_sum_to_one(scene):
    cube, _, _ = scene
    result = robust_sparse_nmf(cube.astype(np.float32), 3, sum_to_one=False)
    assert result.endmembers.dtype == np.float32 and result.abundances.dtype == np.float32
    assert result.abundances.min() >= 0
