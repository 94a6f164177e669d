"""Binary sparse coding: the E-step kernel vs its twin, the bars test, the estimator checks, bad input."""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit._core._testing import assert_kernel_matches_twin
from sparsekit.datasets import make_bars
from sparsekit.learn.decomposition import BinarySparseCoding, binary_sparse_coding
from sparsekit.learn.decomposition import _binary_sparse_coding_kernels as kernels


def _worst_bar_error(W, bars):
    """Largest max-abs error between a true bar and its learnt atom, atoms matched one to one."""
    cost = np.abs(W.T[:, None, :] - bars[None, :, :]).max(axis=2)
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols].max()


@pytest.mark.parametrize("n_candidates, max_active", [(4, 2), (6, 6), (12, 3)])
@pytest.mark.parametrize("want_means", [False, True])
def test_estep_matches_twin(n_candidates, max_active, want_means):
    rng = np.random.default_rng(0)
    Y, bars = make_bars(30, random_state=1)
    W = bars.T + rng.standard_normal(bars.T.shape)
    masks = kernels.candidate_masks(min(n_candidates, 10), max_active)
    assert_kernel_matches_twin(kernels.estep, kernels.estep_twin, Y, W, 4.0, 0.2, 0.7, n_candidates, masks,
                               want_means, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", [0, 3])
def test_bars_are_recovered_with_the_noise_level(seed):
    """ProSper's bars test (5 x 5, pi = 1/5, amplitude 10, sigma = 2); 10 of 10 seeds at N = 1000 in the benchmark."""
    Y, bars = make_bars(400, random_state=seed)
    res = binary_sparse_coding(Y, 10, random_state=seed)
    assert res.converged
    assert _worst_bar_error(res.W, bars) < 2.0
    assert abs(res.sigma - 2.0) < 0.1 * 2.0
    assert abs(res.pi - 0.2) < 0.05
    assert np.isfinite(res.loglik).all() and len(res.loglik) == res.n_iter


def test_transform_gives_the_active_bars():
    Y, bars = make_bars(400, random_state=0)  # a seed whose bars are all learnt at N = 400
    model = BinarySparseCoding(10, random_state=0).fit(Y)
    rng = np.random.default_rng(5)
    truth = rng.random((20, 10)) < 0.2
    truth[truth.sum(axis=1) > 3] = False  # at most 3 bars: within the truncation (8 candidates, 5 active)
    codes = model.transform(truth @ bars)
    cost = np.abs(model.components_[:, None, :] - bars[None, :, :]).max(axis=2)
    _, atom_of_bar = linear_sum_assignment(cost.T)
    np.testing.assert_array_equal(codes[:, atom_of_bar] > 0.5, truth)


def test_bad_input_is_named():
    Y, _ = make_bars(50, random_state=0)
    with pytest.raises(ValueError, match="max_active"):
        binary_sparse_coding(Y, 10, n_candidates=3, max_active=4)
    Y[0, 0] = np.nan
    with pytest.raises(ValueError, match="Y"):
        binary_sparse_coding(Y, 10)


@parametrize_with_checks([BinarySparseCoding(3, n_candidates=3, max_active=2, max_iter=5, random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
