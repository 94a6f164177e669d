"""Recycling that never costs much more than solving each system fresh (sequences where a recycled space hurt)."""

import numpy as np
import pyamg
import pytest
from scipy import sparse

from sparsekit.linalg import gcrodr, solve_sequence


def _laplacian(n):
    h = 1.0 / (n + 1)
    T = sparse.diags_array([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], offsets=[-1, 0, 1]) / h**2
    eye = sparse.eye_array(n)
    return (sparse.kron(T, eye) + sparse.kron(eye, T)).tocsr()


def _helmholtz(n, wavenumber):
    """-Laplacian - k^2 (1 - 0.05i): indefinite, with an absorbing term."""
    return (_laplacian(n) - wavenumber**2 * (1 - 0.05j) * sparse.eye_array(n * n)).tocsr()


def _random_right_hand_sides(n=40, count=10):
    A = _helmholtz(n, 15.0)
    rng = np.random.default_rng(0)
    return [(A, rng.standard_normal(n * n) + 1j * rng.standard_normal(n * n)) for _ in range(count)]


def _wavenumber_sweep(n=40, count=10):
    b = np.zeros(n * n, dtype=complex)
    b[(n // 2) * n + n // 2] = 1.0
    return [(_helmholtz(n, k), b) for k in np.linspace(15.0, 16.8, count)]


def _anisotropic_angle_sweep(n=40, count=10):
    b = np.random.default_rng(1).standard_normal(n * n)
    return [
        (pyamg.gallery.stencil_grid(pyamg.gallery.diffusion_stencil_2d(epsilon=0.01, theta=t, type="FE"), (n, n),
                                    format="csr"), b)
        for t in np.linspace(0, np.pi / 2, count)
    ]  # fmt: skip


def _amg(A):
    return pyamg.smoothed_aggregation_solver(A).aspreconditioner()


# Products per system (m=40, k=20, rtol=1e-8) before the rule: recycled 228.7, 189.7, 40.9 against fresh
# 216, 224, 23.3 (and gcrotmk 28.0 with AMG); with it 219.1, 168.2, 25.3. The wavenumber sweep is where
# recycling gains; its count moves by ~10% with rounding (185.8 seen in one full-suite run), so its bound keeps
# it under fresh solves without pinning the exact gain.
@pytest.mark.parametrize(
    "build, M, recycled_at_most",
    [(_random_right_hand_sides, None, 1.1), (_wavenumber_sweep, None, 0.95), (_anisotropic_angle_sweep, _amg, 1.1)],
)
def test_recycled_sequence_costs_at_most_a_tenth_more_than_fresh_solves(build, M, recycled_at_most):
    systems = build()
    recycled = solve_sequence(systems, method="gcrodr", order="given", rtol=1e-8, M=M)
    assert recycled.converged
    fresh = sum(gcrodr(A, b, rtol=1e-8, M=None if M is None else M(A)).n_matvec for A, b in systems)
    assert recycled.n_matvec.sum() <= recycled_at_most * fresh
    if M is not None:  # with AMG, no more products than SciPy's gcrotmk carrying its vectors
        gcrot = solve_sequence(systems, method="gcrotmk", order="given", rtol=1e-8, M=M)
        assert recycled.n_matvec.sum() <= gcrot.n_matvec.sum()


def test_a_space_that_did_not_pay_is_dropped_until_a_system_is_much_harder():
    systems = _anisotropic_angle_sweep(count=3)
    first = gcrodr(*systems[0], rtol=1e-8, M=_amg(systems[0][0]))
    second = gcrodr(*systems[1], rtol=1e-8, M=_amg(systems[1][0]), recycle=first.recycle)
    # The second solve recomputed C (20 products) and needed more products than the fresh first one ...
    assert second.n_matvec == second.n_iter + 20 + 1 and second.n_matvec > first.n_matvec
    third = gcrodr(*systems[2], rtol=1e-8, M=_amg(systems[2][0]), recycle=second.recycle)
    # ... so the third starts without it: only iterations and the final residual.
    assert third.n_matvec == third.n_iter + 1
