"""Kernels of the omega policies against their NumPy twins, and the bounded fit against SciPy's BVLS."""

import numpy as np
import pytest
from scipy.optimize import lsq_linear

from sparsekit._core._testing import assert_kernel_matches_twin, readonly
from sparsekit.linalg._relaxation import _omega_kernels as kernels
from sparsekit.linalg._relaxation._omega_policies import chebyshev_features

from . import _sor_reference as ref


def _chebyshev_problem(rng, n_rows, zero_high_bounds=False):
    """Chebyshev features of contexts in a random sub-interval (ill-conditioned, as in ChebCB), as (F, y,
    bounds) and as the Givens factor (R, z) the policy keeps."""
    low = rng.uniform(-1.0, 0.8)
    contexts = rng.uniform(low, min(low + rng.uniform(0.05, 2.0), 1.0), n_rows)
    F = np.array([chebyshev_features(u, 6) for u in contexts])
    y = rng.standard_normal(n_rows) * rng.uniform(0.01, 3.0) + rng.uniform(-1.0, 1.0)
    bounds = np.concatenate(([rng.uniform(0.05, 1.0)], rng.uniform(0.0, 0.5) / np.arange(1, 6)))
    if zero_high_bounds:
        bounds[3:] = 0.0
    R, z = np.zeros((6, 6)), np.zeros(6)
    for f, value in zip(F, y):
        kernels.givens_append(R, z, f, value)
    return F, y, bounds, R, z


@pytest.mark.kernel
@pytest.mark.parametrize("eta", [2.0, 0.1, 0.01])
def test_tsallis_inf_probabilities(eta, rng):
    losses = readonly(rng.uniform(0.0, 50.0, size=20))
    assert_kernel_matches_twin(kernels.tsallis_inf_probabilities, ref.tsallis_inf_probabilities_twin, losses,
                               eta, rtol=1e-9)
    p = kernels.tsallis_inf_probabilities(losses, eta)
    assert np.argmax(p) == np.argmin(losses) and abs(p.sum() - 1.0) < 1e-14


@pytest.mark.kernel
def test_givens_append(rng):
    F, y, _, R, z = _chebyshev_problem(rng, 12)
    assert_kernel_matches_twin(kernels.givens_append, ref.givens_append_twin, R, z, readonly(F[0]), 0.7)
    np.testing.assert_allclose(R.T @ R, F.T @ F, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(R.T @ z, F.T @ y, rtol=1e-10, atol=1e-12)
    assert np.allclose(np.tril(R, -1), 0.0)


@pytest.mark.kernel
@pytest.mark.parametrize("n_rows", [2, 6, 40])
def test_min_norm_solution(n_rows, rng):
    F, y, _, R, z = _chebyshev_problem(rng, n_rows)
    assert_kernel_matches_twin(kernels.min_norm_solution, ref.min_norm_solution_twin, R, z, rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_allclose(kernels.min_norm_solution(R, z), np.linalg.lstsq(F, y, rcond=None)[0], rtol=1e-6,
                               atol=1e-8)


@pytest.mark.kernel
@pytest.mark.parametrize("case", range(6))
def test_box_constrained_least_squares(case, rng):
    _, _, bounds, R, z = _chebyshev_problem(rng, [3, 30, 200][case % 3], zero_high_bounds=case >= 3)
    assert_kernel_matches_twin(kernels.box_constrained_least_squares, ref.box_constrained_least_squares_twin, R,
                               z, bounds, rng.uniform(-1.0, 1.0, 6), rtol=1e-6, atol=1e-9)


def test_box_constrained_fit_reaches_the_bvls_optimum():
    rng = np.random.default_rng(2)
    for trial in range(60):
        F, y, bounds, R, z = _chebyshev_problem(rng, rng.integers(1, 300), zero_high_bounds=trial % 4 == 0)
        start = rng.uniform(-1, 1, 6) if trial % 2 else np.zeros(6)
        theta = kernels.box_constrained_least_squares(R, z, bounds, start)
        free = bounds > 0
        reference = np.zeros(6)
        reference[free] = lsq_linear(F[:, free], y, bounds=(-bounds[free], bounds[free]), method="bvls").x
        assert np.all(np.abs(theta) <= bounds)
        objective = [np.sum((F @ t - y) ** 2) for t in (theta, reference)]
        assert objective[0] <= objective[1] * (1 + 1e-9) + 1e-12, trial
