"""
Learning the SOR relaxation parameter across a sequence of systems
==================================================================

We solve 1000 systems ``(L + c_t I) x = b_t`` -- the 5-point Laplacian on a
10 x 10 grid with a random diagonal shift ``c_t = -0.15 + 0.6 Beta(0.5, 1.5)``
-- by SOR, choosing each relaxation parameter ``omega_t`` online from the
iteration counts alone (Khodak et al., "Learning to Relax", ICLR 2024).

The bandit (Tsallis-INF) approaches the best fixed omega in hindsight, which
needs all systems in advance; the contextual policies, given the shift
``c_t``, can beat it, since the best omega depends on ``c_t``. Gauss-Seidel
(``omega = 1``) and Young's instance-optimal omega (which needs each matrix's
Jacobi spectral radius) bracket them.
"""

import matplotlib.pyplot as plt
import numpy as np

from sparsekit.datasets import shifted_laplacian_sequence
from sparsekit.linalg import LaplacianStencil, evaluate_omegas, sor_sequence, young_omega

data = shifted_laplacian_sequence(1000, variance="high", matrix_free=True, random_state=0)
systems, shifts = data.systems, data.shifts

# %%
# Each policy sees the systems in the same order. ``evaluate_omegas`` runs
# every omega of the grid on every system, which gives the best fixed omega
# in hindsight.
runs = {
    "Tsallis-INF": sor_sequence(systems, policy="tsallis-inf", random_state=0),
    "Tsallis-INF, 5 context bins": sor_sequence(systems, policy="tsallis-inf-cb", context=shifts, random_state=0),
    "ChebCB (context regression)": sor_sequence(systems, policy="chebcb", context=shifts, random_state=0),
    "omega = 1 (Gauss-Seidel)": sor_sequence(systems, policy="fixed", omega=1.0),
    "instance-optimal (Young)": sor_sequence(systems, policy="instance-optimal"),
}
hindsight = evaluate_omegas(systems)
best = int(np.argmin(hindsight.totals))
curves = {name: np.cumsum(result.n_iter) for name, result in runs.items()}
curves[f"best fixed omega = {hindsight.best_omega:.2f} (hindsight)"] = np.cumsum(hindsight.costs[:, best])
for name, curve in curves.items():
    print(f"{name:40s} {curve[-1]:8d} iterations  ({curve[-1] / hindsight.best_total:.2f} x best fixed)")

# %%
# Cumulative iterations, and the omegas ChebCB played against the shift, with
# Young's optimal omega of each matrix for reference.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
t = np.arange(1, len(systems) + 1)
for name, curve in curves.items():
    left.plot(t, curve, label=name, linestyle="--" if "fixed" in name or "omega = 1" in name else "-")
left.set_yscale("log")
left.set_xlabel("system t")
left.set_ylabel("cumulative SOR iterations")
left.legend(fontsize=8)

grid = np.linspace(shifts.min(), shifts.max(), 100)
chebcb = runs["ChebCB (context regression)"]
right.scatter(shifts[-500:], chebcb.omega[-500:], s=6, alpha=0.5, label="ChebCB, last 500 systems")
right.plot(grid, [young_omega(LaplacianStencil((10, 10), shift=c)) for c in grid], color="k",
           label="Young's omega*(c)")
right.axhline(hindsight.best_omega, color="gray", linestyle=":", label="best fixed omega")
right.set_xlabel("shift c_t (context)")
right.set_ylabel("omega")
right.legend(fontsize=8)
fig.tight_layout()
plt.show()
