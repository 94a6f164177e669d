"""
Sparse Bayesian learning: accuracy against time
===============================================

Recover a sparse vector from ``n = 250`` noisy random measurements in
``d = 500`` dimensions (25 nonzeros, SNR 20 dB) with the three solvers of
:class:`sparsekit.learn.linear_model.SparseBayesianRegression` and with
scikit-learn's :class:`~sklearn.linear_model.ARDRegression`, and plot the
normalised mean squared error of the estimate against the time spent.

Each sparsekit curve is traced by the solver's ``callback`` (one point per
iteration); ARD is one point, its final fit. The sparsekit solvers prune
features as soon as their prior variance collapses, so each iteration is
cheaper than the last, and they stop at a sparse fixed point instead of
keeping hundreds of tiny coefficients.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import ARDRegression
from threadpoolctl import threadpool_limits

from sparsekit.datasets import make_sparse_regression
from sparsekit.learn.linear_model import ggamp_sbl, sbl_em, sbl_mackay

A, y, coef, _ = make_sparse_regression(250, 500, 25, snr_db=20.0, random_state=0)


def nmse_db(estimate):
    return 10 * np.log10(np.sum((estimate - coef) ** 2) / np.sum(coef**2))


fig, ax = plt.subplots(figsize=(6, 4))
with threadpool_limits(1):
    for name, solver in [("EM-SBL", sbl_em), ("MacKay SBL", sbl_mackay), ("GGAMP-SBL", ggamp_sbl)]:
        trace = []
        start = time.perf_counter()
        solver(A, y, callback=lambda x: trace.append((time.perf_counter() - start, nmse_db(x))))
        seconds, errors = np.array(trace).T
        ax.plot(seconds, errors, "o-", ms=3, label=f"sparsekit {name}")
        print(f"{name:11s} {seconds[-1]:.3f} s  NMSE {errors[-1]:.1f} dB  ({len(trace)} iterations)")
    start = time.perf_counter()
    ard = ARDRegression(fit_intercept=False).fit(A, y)
    ard_seconds = time.perf_counter() - start
print(f"ARD         {ard_seconds:.3f} s  NMSE {nmse_db(ard.coef_):.1f} dB  ({ard.n_iter_} iterations)")
ax.plot([ard_seconds], [nmse_db(ard.coef_)], "k*", ms=12, label="scikit-learn ARDRegression")
ax.set_xscale("log")
ax.set(xlabel="time [s] (one BLAS thread)", ylabel="NMSE [dB]", title="n=250, d=500, k=25, SNR 20 dB")
ax.legend()
fig.tight_layout()
plt.show()
