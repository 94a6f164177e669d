"""
One sparsity weight across noise levels: CoLiDE-EV vs DAGMA
===========================================================

The experiment of CoLiDE's Figure 1: ER2 graphs, ``n = 1000`` samples,
equal-variance Gaussian noise whose variance goes from 0.5 to 10, one fixed
sparsity weight for each method (CoLiDE's default ``alpha = 0.05``, DAGMA's
default ``lambda1 = 0.03``). DAGMA's least-squares score grows with the
square of the noise scale, so its fixed penalty weakens as the noise grows;
CoLiDE's concomitant scale makes its score grow only linearly.

This is a full-size measurement (minutes), not run when the documentation
is built::

    python examples/learn/colide_noise_sweep.py [--nodes 50] [--seeds 5] [--out sweep.png]

It uses the ``dagma`` package's ``DagmaLinear`` when installed
(``pip install --no-deps dagma igraph tqdm``), otherwise our
:class:`~sparsekit.learn.dag.DAGMALinear`, and prints one row per noise
variance (mean SHD, per-seed SHDs, mean wall times).
"""

import argparse
import os
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")  # DagmaLinear's progress bar; read when tqdm is imported

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sparsekit import ConvergenceWarning  # noqa: E402
from sparsekit.datasets import make_linear_sem  # noqa: E402
from sparsekit.learn.dag import colide, dagma_linear, metrics  # noqa: E402

VARIANCES = (0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0)


def dagma_fit(X):
    """The dagma package's DagmaLinear if installed (on a copy: it centres in place), else ours."""
    try:
        from dagma.linear import DagmaLinear
    except ImportError:
        return "sparsekit DAGMALinear", dagma_linear(X).adjacency
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return "dagma DagmaLinear", DagmaLinear("l2").fit(X.copy(), lambda1=0.03)


def sweep(n_nodes, seeds):
    rows = []
    for variance in VARIANCES:
        shd = {"colide": [], "dagma": []}
        seconds = {"colide": [], "dagma": []}
        for seed in seeds:
            X, W = make_linear_sem(1000, n_nodes, 2 * n_nodes, noise_scale=np.sqrt(variance),
                                   random_state=seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                estimate = colide(X).adjacency
            seconds["colide"].append(time.perf_counter() - start)
            shd["colide"].append(metrics.structural_hamming_distance(W, estimate))
            start = time.perf_counter()
            peer_name, estimate = dagma_fit(X)
            seconds["dagma"].append(time.perf_counter() - start)
            shd["dagma"].append(metrics.structural_hamming_distance(W, estimate))
        rows.append((variance, shd, seconds))
        print(f"variance {variance:4g}: CoLiDE-EV SHD {np.mean(shd['colide']):5.1f} {shd['colide']} "
              f"({np.mean(seconds['colide']):.1f} s) | {peer_name} SHD {np.mean(shd['dagma']):5.1f} "
              f"{shd['dagma']} ({np.mean(seconds['dagma']):.1f} s)", flush=True)
    return peer_name, rows


def plot(peer_name, rows, n_nodes, n_seeds, path):
    variances = [row[0] for row in rows]
    fig, ax = plt.subplots(figsize=(5.5, 3.8), constrained_layout=True)
    for key, label, marker in (("colide", "CoLiDE-EV (alpha = 0.05)", "o"),
                               ("dagma", f"{peer_name} (lambda1 = 0.03)", "s")):
        values = np.array([row[1][key] for row in rows], dtype=float)
        mean = values.mean(axis=1)
        error = values.std(axis=1) / np.sqrt(values.shape[1])
        ax.errorbar(variances, mean, yerr=error, marker=marker, capsize=3, label=label)
    ax.set(xlabel="noise variance", ylabel="SHD (mean ± s.e.)",
           title=f"ER2, d = {n_nodes}, n = 1000, {n_seeds} seeds, one sparsity weight")
    ax.legend()
    fig.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", default="colide_noise_sweep.png")
    args = parser.parse_args()
    with threadpool_limits(1):
        peer_name, rows = sweep(args.nodes, range(args.seeds))
    plot(peer_name, rows, args.nodes, args.seeds, args.out)
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
