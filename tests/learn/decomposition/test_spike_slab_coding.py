"""Spike-and-slab sparse coding: the E-step kernel vs its twin, dictionary recovery, the estimator checks, bad input."""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit._core._testing import assert_kernel_matches_twin
from sparsekit.datasets import make_bars
from sparsekit.learn.decomposition import SpikeSlabCoding, spike_slab_coding
from sparsekit.learn.decomposition import _binary_sparse_coding_kernels as bsc_kernels
from sparsekit.learn.decomposition import _spike_slab_coding_kernels as kernels


def _slab_bars(n, seed, slab_mean=1.0, slab_std=0.3, noise=1.0):
    """Bars of amplitude 10 with Gaussian weights where present (pi = 1/5), plus noise."""
    _, bars = make_bars(1, random_state=0)
    rng = np.random.default_rng(seed)
    S = (rng.random((n, 10)) < 0.2) * rng.normal(slab_mean, slab_std, (n, 10))
    return S @ bars + rng.normal(0.0, noise, (n, 25)), bars


def _worst_atom_error(res, bars):
    """Largest max-abs error between a true bar and its learnt mean contribution ``W_h mu_h``, matched one to one."""
    atoms = (res.W * res.mu).T
    cost = np.abs(atoms[:, None, :] - bars[None, :, :]).max(axis=2)
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols].max()


@pytest.mark.parametrize("n_candidates, max_active", [(4, 2), (6, 6), (12, 3)])
@pytest.mark.parametrize("want_means", [False, True])
def test_estep_matches_twin(n_candidates, max_active, want_means):
    rng = np.random.default_rng(0)
    Y, bars = _slab_bars(30, 1)
    W = bars.T / 10 + 0.1 * rng.standard_normal(bars.T.shape)
    mu, psi2 = rng.uniform(0.5, 1.5, 10), rng.uniform(0.1, 1.0, 10)
    masks = bsc_kernels.candidate_masks(min(n_candidates, 10), max_active)
    assert_kernel_matches_twin(kernels.estep_gaussian, kernels.estep_gaussian_twin, Y, W, 1.5, 0.2, mu, psi2, 0.7,
                               n_candidates, masks, want_means, rtol=1e-9, atol=1e-9)


@pytest.fixture(scope="module")
def fitted():
    """One fit at N = 500 (10 of 10 seeds recover every bar there; this suite runs seed 0)."""
    Y, bars = _slab_bars(500, 0)
    return SpikeSlabCoding(10, random_state=0).fit(Y), bars


def test_generating_dictionary_is_recovered(fitted):
    """Bars with N(1, 0.3^2) slabs, pi = 1/5, sigma = 1: each bar learnt as some W_h mu_h; sigma, pi, psi / mu."""
    model, bars = fitted
    res = model.result_
    assert res.converged
    assert _worst_atom_error(res, bars) < 1.5
    assert abs(res.sigma - 1.0) < 0.1
    assert abs(res.pi - 0.2) < 0.03
    np.testing.assert_allclose(res.psi / res.mu, 0.3, atol=0.1)
    assert np.isfinite(res.loglik).all() and len(res.loglik) == res.n_iter


def test_transform_gives_the_codes(fitted):
    model, bars = fitted
    atoms = model.components_ * model.slab_mean_[:, None]
    cost = np.abs(atoms[:, None, :] - bars[None, :, :]).max(axis=2)
    _, atom_of_bar = linear_sum_assignment(cost.T)
    rng = np.random.default_rng(5)
    truth = (rng.random((20, 10)) < 0.2) * rng.normal(1.0, 0.3, (20, 10))
    truth[(truth != 0).sum(axis=1) > 3] = 0.0  # at most 3 bars: within the truncation (8 candidates, 5 active)
    codes = model.transform(truth @ bars) / model.slab_mean_  # y = z_h W_h = (z_h / mu_h) bar_h
    np.testing.assert_allclose(codes[:, atom_of_bar], truth, atol=0.1)


def test_bad_input_is_named():
    Y, _ = _slab_bars(50, 0)
    with pytest.raises(ValueError, match="max_active"):
        spike_slab_coding(Y, 10, n_candidates=3, max_active=4)
    Y[0, 0] = np.nan
    with pytest.raises(ValueError, match="Y"):
        spike_slab_coding(Y, 10)


@parametrize_with_checks([SpikeSlabCoding(3, n_candidates=3, max_active=2, max_iter=5, random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
