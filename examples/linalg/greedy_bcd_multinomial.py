"""
Greedy rules on multinomial logistic regression: GS, GSL and GSQ against cyclic and random block selection
==========================================================================================================

Softmax regression with an ℓ1 penalty on the design of dataset A of Nutini, Laradji & Schmidt (sparse,
columns of very different norms), solved by :func:`sparsekit.linalg.greedy_bcd_multinomial` with one feature's
row of coefficients per block and each selection rule. Plotted: suboptimality against epochs (feature
updates divided by the number of features). Then the same objective against scikit-learn's
``LogisticRegression`` (saga for ℓ1, lbfgs for the ridge), BLAS on one thread.

Writes ``doc/user_guide/images/linalg_coordinate_multinomial.png`` when run as a script::

    python examples/linalg/greedy_bcd_multinomial.py [--out PATH] [--size 500]
"""

import argparse
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit._tour.linalg_coordinate import multinomial_epochs_by_rule, multinomial_problem
from sparsekit.linalg import greedy_bcd_multinomial
from sparsekit.linalg._coordinate._multinomial import multinomial_objective

parser = argparse.ArgumentParser()
parser.add_argument("--out", default="doc/user_guide/images/linalg_coordinate_multinomial.png")
parser.add_argument("--size", type=int, default=500)
parser.add_argument("--classes", type=int, default=10)
args = parser.parse_args([]) if __name__ != "__main__" else parser.parse_args()

n = p = args.size
A, y = multinomial_problem(n, p, args.classes)
alpha = 0.1 * np.abs(A.T @ (1 / args.classes - np.eye(args.classes)[y])).max() / n
with threadpool_limits(1):
    runs = multinomial_epochs_by_rule(A, y, alpha, tol=1e-8)
best = min(res.objective for res in runs.values())

fig, ax = plt.subplots(figsize=(6, 4))
for rule, res in runs.items():
    sub = np.maximum((res.objective_history - best) / best, 1e-16)
    reached = res.updates_history[np.argmax(sub <= 1e-8)] / p if np.any(sub <= 1e-8) else np.nan
    ax.semilogy(res.updates_history / p, sub, label=f"{rule}: {reached:.0f} epochs to 1e-8")
    print(f"{rule:7s} epochs to violation 1e-8: {res.n_epochs:8.1f}  to suboptimality 1e-8: {reached:8.1f}")
ax.set_xlabel("epochs (feature updates / n_features)")
ax.set_ylabel("(F - F*) / F*")
ax.set_title(f"softmax + l1, {n}x{p}, {args.classes} classes, 0.1 alpha_max")
ax.legend()
fig.tight_layout()

if __name__ == "__main__":
    fig.savefig(args.out, dpi=110)
    from sklearn.linear_model import LogisticRegression

    C = 1.0 / (alpha * n)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = {"ours l1": [], "saga l1": [], "ours ridge": [], "lbfgs ridge": []}
        for _ in range(3):
            t = time.perf_counter()
            ours = greedy_bcd_multinomial(A, y, alpha=alpha, tol=1e-8)
            times["ours l1"].append(time.perf_counter() - t)
            t = time.perf_counter()
            saga = LogisticRegression(C=C, l1_ratio=1.0, solver="saga", fit_intercept=False, tol=1e-8,
                                      max_iter=100_000).fit(A, y)
            times["saga l1"].append(time.perf_counter() - t)
            t = time.perf_counter()
            ridge = greedy_bcd_multinomial(A, y, l2=alpha, tol=1e-8)
            times["ours ridge"].append(time.perf_counter() - t)
            t = time.perf_counter()
            lbfgs = LogisticRegression(C=1.0 / (alpha * n), fit_intercept=False, tol=1e-10, max_iter=100_000).fit(A, y)
            times["lbfgs ridge"].append(time.perf_counter() - t)
    f_saga = multinomial_objective(A, y, saga.coef_.T, alpha, 0.0, "l1")
    f_lbfgs = multinomial_objective(A, y, lbfgs.coef_.T, 0.0, alpha, "l1")
    print(f"l1:    ours {ours.objective:.15f}  saga {f_saga:.15f}  ours - saga {ours.objective - f_saga:.2e}")
    print(f"ridge: ours {ridge.objective:.15f}  lbfgs {f_lbfgs:.15f}  ours - lbfgs {ridge.objective - f_lbfgs:.2e}")
    print({k: round(float(np.median(v)), 3) for k, v in times.items()}, "load", os.getloadavg())
