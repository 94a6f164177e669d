"""
Sparse phase retrieval: phase transition of Newton hard thresholding and SPARTA
===============================================================================

Success rate (distance to ``x`` up to sign below ``1e-10``) against the number
of measurements ``m`` for a ``10``-sparse signal of length ``n = 1000`` with
Gaussian nonzeros and Gaussian measurements ``y = (A x)^2``; both methods
start from the same spectral estimate. A measurement of a minute or so, not
run when the documentation is built::

    python examples/learn/phase_retrieval_transition.py [--trials 20] [--out transition.png]

It prints one row per ``m``: success rates and median iterations of both.
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sparsekit._tour.learn_recovery import phaseless, sign_distance  # noqa: E402
from sparsekit.learn.linear_model import sparse_phase_retrieval  # noqa: E402

SIZES = (100, 150, 200, 250, 300, 400, 500, 600, 800, 1000)
METHODS = {"newton-ht": "Newton-HT (Cai et al.)", "sparta": "SPARTA"}


def main(trials, out):
    rates = {method: [] for method in METHODS}
    with threadpool_limits(1):
        for m in SIZES:
            row = []
            for method in METHODS:
                results = [(sparse_phase_retrieval(A, y, 10, method=method, maxiter=500), x)
                           for A, y, x in (phaseless(seed, m) for seed in range(trials))]
                success = np.mean([sign_distance(r.x, x) < 1e-10 for r, x in results])
                rates[method].append(success)
                row.append(f"{method}: {success:.2f}, {np.median([r.n_iter for r, _ in results]):.0f} it")
            print(f"m={m:5d}  " + "  ".join(row))
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for method, label in METHODS.items():
        ax.plot(SIZES, rates[method], marker="o", label=label)
    ax.set_xlabel("measurements m (n = 1000, s = 10)")
    ax.set_ylabel(f"success rate ({trials} trials)")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--out", default="doc/user_guide/images/learn_recovery_phase_transition.png")
    args = parser.parse_args()
    main(args.trials, args.out)
