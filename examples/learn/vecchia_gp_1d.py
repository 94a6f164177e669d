"""
The user guide's 1-D picture: Vecchia GP posterior mean ± 2σ against the exact GP (scikit-learn).
=================================================================================================

Usage::

    python examples/learn/vecchia_gp_1d.py [--out doc/user_guide/images/learn_gp_1d.png]
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.gaussian_process import GaussianProcessRegressor  # noqa: E402
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel  # noqa: E402

from sparsekit.learn.gaussian_process import VecchiaGaussianProcessRegressor  # noqa: E402


def main(out):
    rng = np.random.default_rng(0)
    X = np.sort(rng.random(60) * 10)[:, None]
    X = np.vstack([X, X[20:23]])  # three duplicated inputs
    y = np.sin(X[:, 0]) + 0.3 * np.cos(3 * X[:, 0]) + 0.15 * rng.standard_normal(X.shape[0])
    grid = np.linspace(-1, 11, 400)[:, None]
    start = ConstantKernel(1.0) * Matern(1.0, nu=1.5) + WhiteKernel(0.1)
    exact = GaussianProcessRegressor(start, normalize_y=True).fit(X, y)
    ours = VecchiaGaussianProcessRegressor(start, n_neighbors=5, n_neighbors_predict=10, normalize_y=True).fit(X, y)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for model, colour, label in ((exact, "0.3", "exact GP (scikit-learn)"), (ours, "C1", "Vecchia GP, k = 5 / 10")):
        mean, std = model.predict(grid, return_std=True)
        ax.plot(grid[:, 0], mean, color=colour, label=f"{label}: mean ± 2σ")
        ax.fill_between(grid[:, 0], mean - 2 * std, mean + 2 * std, color=colour, alpha=0.2)
    ax.plot(X[:, 0], y, "k.", ms=4, label="training data")
    ax.legend(loc="lower left", fontsize=8)
    ax.set_xlabel("x")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(exact.kernel_, ours.kernel_, sep="\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="doc/user_guide/images/learn_gp_1d.png")
    main(parser.parse_args().out)
