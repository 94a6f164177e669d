"""
The user guide's error-versus-time figure: Vecchia GP against the exact GP (scikit-learn) as n grows.
=====================================================================================================

One draw of 100 000 training and 1000 test points from the benchmark GP (``sparsekit._tour.learn_gp.gp_problem``:
uniform inputs in ``[0, 1]^5``, Matérn-1.5), hyperparameters held at the truth; the first ``n`` training points
for each ``n``. Both sides in one process, BLAS on one thread. Prints one line per run and saves the figure.

Usage::

    python examples/learn/vecchia_gp_scaling.py [--out doc/user_guide/images/learn_gp_scaling.png]
"""

import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.gaussian_process import GaussianProcessRegressor  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sparsekit._tour.learn_gp import gp_problem, rmse  # noqa: E402
from sparsekit.learn.gaussian_process import VecchiaGaussianProcessRegressor  # noqa: E402

OURS_SIZES = (2000, 5000, 10_000, 20_000, 50_000, 100_000)
EXACT_SIZES = (2000, 4000, 6000)


def _run(model, X, y, X_test, y_test):
    start = time.perf_counter()
    mean = model.fit(X, y).predict(X_test)
    return time.perf_counter() - start, rmse(mean, y_test)


def main(out):
    X, y, X_test, y_test, kernel = gp_problem(max(OURS_SIZES), 1000)
    runs = {"exact GP (scikit-learn)": [], "Vecchia GP (ours)": []}
    with threadpool_limits(1):
        for label, sizes, make in (
            ("Vecchia GP (ours)", OURS_SIZES,
             lambda: VecchiaGaussianProcessRegressor(kernel, optimizer=None, normalize_y=True)),
            ("exact GP (scikit-learn)", EXACT_SIZES,
             lambda: GaussianProcessRegressor(kernel, optimizer=None, normalize_y=True)),
        ):
            for n in sizes:
                seconds, error = _run(make(), X[:n], y[:n], X_test, y_test)
                runs[label].append((n, seconds, error))
                print(f"{label:24s} n={n:6d}  {seconds:8.2f} s  RMSE {error:.4f}  load {os.getloadavg()[0]:.1f}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    for (label, points), style in zip(runs.items(), ("s-", "o-")):
        n, seconds, error = np.array(points).T
        left.loglog(seconds, error, style, label=label)
        for size, x_value, y_value in zip(n, seconds, error):
            left.annotate(f"{int(size) // 1000}k", (x_value, y_value), textcoords="offset points", xytext=(3, 3),
                          fontsize=7)
        right.loglog(n, seconds, style, label=label)
    left.set_xlabel("fit + predict time [s]")
    left.set_ylabel("test RMSE (1000 points)")
    left.set_title("error against time (labels: n)", fontsize=9)
    right.set_xlabel("training points n")
    right.set_ylabel("fit + predict time [s]")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--out", default="doc/user_guide/images/learn_gp_scaling.png")
    main(parser.parse_args().out)
