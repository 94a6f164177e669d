"""Every greedy BCD kernel against its NumPy twin, on a random working-set model."""

import numpy as np
import pytest

from sparsekit._core._testing import assert_kernel_matches_twin, readonly
from sparsekit.linalg._coordinate import _greedy_bcd_kernels as K


def _model(seed=0, n=30, m=12):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, m)) * rng.uniform(0.2, 3.0, m)
    G = A.T @ A / n
    x = np.zeros(m)
    x[:3] = rng.standard_normal(3)
    h = -A.T @ rng.standard_normal(n) / n
    return G, G @ x + h, x


@pytest.mark.parametrize("rule", [0, 1, 2])
@pytest.mark.parametrize("l1", [0.0, 0.05])
def test_greedy_cd(rule, l1):
    G, grad, x = _model()
    assert_kernel_matches_twin(K.greedy_cd, K.greedy_cd_twin, readonly(G), grad, x, l1, rule, 40, 1e-9,
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("l1", [0.0, 0.05])
def test_sweep_cd(l1):
    G, grad, x = _model(1)
    order = np.array([np.arange(12), np.random.default_rng(0).permutation(12)])
    assert_kernel_matches_twin(K.sweep_cd, K.sweep_cd_twin, G, grad, x, l1, order, 5, 1e-9, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("rule", [0, 1, 2])
@pytest.mark.parametrize("update", [0, 1])
@pytest.mark.parametrize("fixed", [False, True])
def test_block_cd(rule, update, fixed):
    G, grad, x = _model(2)
    if fixed:
        idx = np.argsort(np.diag(G), kind="mergesort").astype(np.int64)
        ptr = np.array([0, 4, 8, 12], dtype=np.int64)
        block_L = np.array([np.linalg.eigvalsh(G[np.ix_(idx[a:c], idx[a:c])])[-1] for a, c in zip(ptr, ptr[1:])])
    else:
        ptr, idx, block_L = np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    assert_kernel_matches_twin(K.block_cd, K.block_cd_twin, G, grad, x, 0.05, rule, 3, ptr, idx, block_L, update,
                               10, 1e-9, rtol=1e-9, atol=1e-11)


def test_greedy_step_keeps_gradient_exact():
    G, grad, x = _model(3)
    h = grad - G @ x
    K.greedy_cd(G, grad, x, 0.05, 2, 25, 0.0)
    np.testing.assert_allclose(grad, G @ x + h, atol=1e-12)
