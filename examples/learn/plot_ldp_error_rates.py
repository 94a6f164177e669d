"""
Locally private sparse regression: error against users and privacy budget
=========================================================================

Every user holds one sample ``(x, y)`` with ``x ~ N(0, I_5)`` and ``y = x^T w* +
noise`` for a 2-sparse ``w*`` of norm 1, and only ever sends the server a noisy
message. We plot the median error ``||w_hat - w*||`` of
:class:`sparsekit.learn.linear_model.LDPSparseRegression` against the number
of users ``n`` (at ``epsilon = 4``) and against the per-user budget
``epsilon`` (at ``n = 10^6``), on log-log axes with the theoretical slopes
``-1/2`` and ``-1``.

The public-X variant estimates the covariance from public unlabeled
covariates, so users spend their whole budget on ``x y`` alone; it is the
more accurate one. The dashed horizontal line is the trivial estimate
``w = 0``; the slopes in the legends are fitted where the error is below
0.5, the regime in which an estimator is informative. Users stream to the server in chunks with aggregated noise draws
(the same law as simulating every user), which keeps a million users fast.
"""

import matplotlib.pyplot as plt
import numpy as np

from sparsekit._tour.learn_ldp import INFORMATIVE, ldp_error_curves, log_log_slope
from sparsekit.learn.linear_model import gaussian_mechanism_scale

ns = [10**4, 10**5, 10**6]
epsilons = [0.5, 1.0, 2.0, 4.0, 8.0]
variants = ("NLDP top-k", "public-X top-k")
curves = ldp_error_curves(ns, epsilons, n_seeds=9, n_public=10**5, variants=variants)

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True)
for name in variants:
    errors_n = [curves[(name, n, 4.0)] for n in ns]
    errors_eps = [curves[(name, ns[-1], eps)] for eps in epsilons]
    slope_n = log_log_slope(ns, errors_n, below=INFORMATIVE)
    slope_eps = log_log_slope(epsilons, errors_eps, below=INFORMATIVE)
    left.loglog(ns, errors_n, "o-", label=f"{name} (slope {slope_n:.2f})")
    right.loglog(epsilons, errors_eps, "o-", label=f"{name} (slope {slope_eps:.2f})")
anchor = curves[("public-X top-k", ns[0], 4.0)]
left.loglog(ns, anchor * (np.array(ns) / ns[0]) ** -0.5, "k--", lw=1, label="slope -1/2")
anchor = curves[("public-X top-k", ns[-1], epsilons[0])]
right.loglog(epsilons, anchor * (np.array(epsilons) / epsilons[0]) ** -1.0, "k--", lw=1, label="slope -1")
# the analytic Gaussian mechanism's noise decreases a little slower than 1/epsilon at large epsilon
scales = np.array([gaussian_mechanism_scale(1.0, eps, 1e-5) for eps in epsilons])
right.loglog(epsilons, anchor * scales / scales[0], "k:", lw=1, label="Gaussian noise scale")
for ax in (left, right):
    ax.axhline(1.0, color="gray", ls="--", lw=0.8)
left.set(xlabel="users n", ylabel="median ||w_hat - w*||", title="epsilon = 4, delta = 1e-5")
right.set(xlabel="epsilon", title="n = 10^6")
right.set_xticks(epsilons, labels=[f"{eps:g}" for eps in epsilons])
right.minorticks_off()
left.legend(fontsize=7)
right.legend(fontsize=7)
fig.tight_layout()
plt.show()
