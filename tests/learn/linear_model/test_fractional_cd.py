"""fractional_cd: the one-dimensional ratio step, monotone descent, and the Dinkelbach baseline."""

import numpy as np
import pytest

from sparsekit import ConvergenceWarning
from sparsekit._core._testing import assert_kernel_matches_twin
from sparsekit.learn.linear_model import fractional_cd
from sparsekit.learn.linear_model._fractional_cd import _objective
from sparsekit.learn.linear_model._fractional_cd_kernels import (
    _best_step,
    fractional_sweep,
    fractional_sweep_numpy,
)


def ratio_problem(seed, m=200, n=100, k=10, noise=0.1):
    """Yuan's sparse-recovery generator in small: Frobenius-normalised Gaussian G, k-sparse x, relative noise."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((m, n))
    G /= np.linalg.norm(G)
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    b = G @ x
    return G, b + noise * np.linalg.norm(b) / np.sqrt(m) * rng.standard_normal(m), k


def test_sweep_kernel_matches_twin(rng):
    G = np.asfortranarray(rng.standard_normal((30, 20)))
    x, y = rng.standard_normal(20), rng.standard_normal(30)
    for k in (1, 5, 20):
        assert_kernel_matches_twin(fractional_sweep, fractional_sweep_numpy, G, G @ x - y, x, (G * G).sum(0), 0.1,
                                   k, 1e-5, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("xi, top_sum, kth", [(0.7, 2.0, 0.5), (-0.2, 1.0, 0.3), (0.0, 0.8, 0.0), (1.5, 0.4, 0.4)])
def test_one_dimensional_step_is_the_global_minimiser(xi, top_sum, kth):
    q2, q1, q0, lam = 0.8, -0.9, 1.3, 0.2

    def ratio(t):
        u = np.abs(xi + t)
        return (q2 * t * t + q1 * t + q0 + lam * u) / (lam * (top_sum + np.maximum(u - kth, 0.0)))

    grid = np.linspace(-20, 20, 400001)
    t = _best_step(q2, q1, q0, lam, xi, top_sum, kth)
    assert ratio(t) <= ratio(grid).min() + 1e-9


def test_cd_decreases_the_ratio_and_matches_or_beats_dinkelbach():
    """The notes' gate: final ratio <= Dinkelbach's (both from the same start)."""
    for seed in range(3):
        G, y, k = ratio_problem(seed)
        cd = fractional_cd(G, y, k)
        dk = fractional_cd(G, y, k, method="dinkelbach")
        assert cd.converged and dk.converged
        assert np.all(np.diff(cd.objective) <= 1e-12 * cd.objective[1:])
        assert cd.objective[-1] <= dk.objective[-1] * (1 + 1e-9)
        assert cd.objective[-1] == pytest.approx(_objective(G, y, cd.x, 0.1 / G.shape[0], k), rel=1e-12)


def test_wide_designs_and_bad_input():
    G, y, k = ratio_problem(3, m=40, n=60, k=4)
    assert fractional_cd(G, y, k).converged  # coordinate descent needs no null-space-free G
    with pytest.raises(ValueError, match="dinkelbach"):
        fractional_cd(G, y, k, method="dinkelbach")
    with pytest.raises(ValueError, match="k must be at most"):
        fractional_cd(G, y, 61)
    with pytest.raises(ValueError, match="all zeros"):
        fractional_cd(G, y, k, x0=np.zeros(60))
    with pytest.warns(ConvergenceWarning, match="maxiter=2"):
        res = fractional_cd(G, y, k, maxiter=2, rtol=0.0)
    assert not res.converged and res.n_iter == 2
