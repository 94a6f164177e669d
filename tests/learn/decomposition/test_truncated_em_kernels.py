"""Helpers shared by the truncated E-steps: the state set and the normalisation of the log-joints vs their twins."""

import numpy as np
import pytest

from sparsekit._core._testing import assert_kernel_matches_twin
from sparsekit.learn.decomposition import _truncated_em_kernels as kernels


@pytest.mark.parametrize("n_candidates, max_active", [(1, 1), (4, 2), (6, 6)])
def test_truncated_states_match_twin(n_candidates, max_active):
    H = 7
    score = np.random.default_rng(0).standard_normal(H)
    score[3] = score[5]  # a tie: the stable order keeps the lower index first
    Hc = min(n_candidates, H)
    masks = kernels.candidate_masks(Hc, max_active)
    act = np.full((1 + masks.shape[0] + H, H), -1, dtype=np.int64)
    size = np.full(act.shape[0], -1, dtype=np.int64)
    k = kernels.truncated_states(score, Hc, masks, act, size)
    sets = kernels.truncated_state_sets_twin(score, Hc, masks)
    assert k == len(sets) == 1 + masks.shape[0] + H - Hc
    for j, A in enumerate(sets):
        np.testing.assert_array_equal(act[j, :size[j]], A)
    assert len({tuple(sorted(A)) for A in sets}) == k  # no state twice


@pytest.mark.parametrize("k", [1, 5, 9])
def test_normalise_log_joints_matches_twin(k):
    logp = np.random.default_rng(1).normal(-800.0, 30.0, 9)  # far below exp's range: the shift by the max matters
    assert_kernel_matches_twin(kernels.normalise_log_joints, kernels.normalise_log_joints_twin, logp, k)
    logp_k = logp.copy()
    log_evidence, z = kernels.normalise_log_joints(logp_k, k)
    assert np.isclose(log_evidence, np.logaddexp.reduce(logp[:k]))
    assert np.isclose(logp_k[:k].sum(), z) and np.isclose(logp_k[:k].max(), 1.0)
    np.testing.assert_array_equal(logp_k[k:], logp[k:])
