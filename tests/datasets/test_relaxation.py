"""The "Learning to Relax" problem sequences: shifted Laplacians and the Crank-Nicolson heat equation."""

import numpy as np
import pytest
from scipy import sparse

from sparsekit.datasets import HeatEquation2D, poisson2d, shifted_laplacian_sequence


def test_shifted_laplacian_sequence():
    first = shifted_laplacian_sequence(200, variance="low", random_state=4)
    second = shifted_laplacian_sequence(200, variance="low", matrix_free=True, random_state=4)
    systems, shifts, again, shifts_again = first.systems, first.shifts, second.systems, second.shifts
    np.testing.assert_array_equal(first.features[:, 0], shifts)
    np.testing.assert_array_equal(shifts, shifts_again)
    assert -0.15 <= shifts.min() and shifts.max() <= 0.45 and abs(shifts.mean() - (-0.15 + 0.6 * 0.25)) < 0.02
    for (A, b), (S, b_again), c in zip(systems[:5], again[:5], shifts[:5]):
        assert (A != poisson2d(10, shift=c)).nnz == 0 and (S.tocsr() != A).nnz == 0
        np.testing.assert_array_equal(b, b_again)
    assert max(np.linalg.norm(b) for _, b in systems) <= 10.0
    high = shifted_laplacian_sequence(2000, variance="high", matrix_free=True, random_state=0).shifts
    assert abs(high.mean() - (-0.15 + 0.6 * 0.25)) < 0.02 and np.median(high) < 0.0


def test_heat_equation_systems():
    heat = HeatEquation2D(nx=16, n_steps=40, stop_time=0.4)
    free = HeatEquation2D(nx=16, n_steps=40, stop_time=0.4, matrix_free=True)
    assert heat.n == 225 and heat.dt == pytest.approx(0.01)
    wave = np.sin(2 * np.pi * np.arange(40) * 0.01)
    np.testing.assert_allclose(heat.contexts, np.maximum(0.1 * wave, -10.0 * wave))
    assert heat.contexts.min() >= 0.0 and heat.diffusion(0.75) == pytest.approx(10.0)
    u = heat.initial()
    assert u.max() == 1.0 and u.argmax() == 7 * 15 + 7 and u.min() == 0.0  # bump centred on grid point (8, 8)
    A, b = heat.system(3, u)
    S, b_free = free.system(3, u)
    assert (S.tocsr() != A).nnz == 0
    np.testing.assert_allclose(b_free, b, rtol=1e-13)
    a = heat.diffusion(3.5 * 0.01) * 0.01 / (2 / 16**2)
    expected = sparse.eye_array(225) + a * poisson2d(15)
    assert abs(A - expected).max() < 1e-13
    np.testing.assert_allclose(b, (sparse.eye_array(225) - a * poisson2d(15)) @ u + 0.01 * heat.forcing(0.035))
    trajectory = list(heat.systems())
    assert len(trajectory) == 40
    with pytest.raises(ValueError, match="nx"):
        HeatEquation2D(nx=1)
    with pytest.raises(ValueError, match="stop_time"):
        HeatEquation2D(nx=4, stop_time=float("inf"))
