"""
Figure of the fractional-minimisation user guide: the sparse-recovery ratio against time, ours vs Dinkelbach.
=============================================================================================================

Usage::

    python examples/linalg/fractional_ratio_vs_time.py [--out-dir doc/user_guide/images] [--cap 30]

One BLAS thread; the 1024 x 1024 Gaussian-plus-sparse problem of the benchmark (k = 100, lam = 0.1 / m).
"""

import argparse
import os
import pathlib
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sparsekit._tour.linalg_fractional import recovery_problem, time_to, timed_run  # noqa: E402
from sparsekit.linalg import fractional_cd  # noqa: E402

RUNS = {"FCD": ("fcd", {}), "PCD": ("pcd", {}), "Dinkelbach, 10 inner steps": ("dinkelbach", {"inner": 10}),
        "Dinkelbach, 100 inner steps": ("dinkelbach", {"inner": 100})}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default="doc/user_guide/images")
    parser.add_argument("--cap", type=float, default=30.0)
    args = parser.parse_args()
    G, y = recovery_problem(1024, 1024)
    warnings.simplefilter("ignore")
    fractional_cd(G[:20, :30], y[:20], k=3, maxiter=2)
    with threadpool_limits(1):
        runs = {label: timed_run(G, y, method, max_time=args.cap, **options)
                for label, (method, options) in RUNS.items()}
    best = min(result.ratio for result, _ in runs.values())
    dinkelbach = min(result.ratio for label, (result, _) in runs.items() if label.startswith("Dinkelbach"))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for label, (result, stamps) in runs.items():
        ax.loglog(stamps, result.ratios - best + 1e-7 * best, label=label)
        print(f"{label:28s} final ratio {result.ratio:.8f}  iterations {result.n_iter:6d}  "
              f"to 1e-6 of best {time_to(result, stamps, best * (1 + 1e-6)):.3g} s  "
              f"to Dinkelbach's final {time_to(result, stamps, dinkelbach):.3g} s  (last at {stamps[-1]:.1f} s)")
    print(f"load average {os.getloadavg()}")
    ax.set_xlabel("seconds (one BLAS thread)")
    ax.set_ylabel("ratio - best ratio (+1e-7 best)")
    ax.set_title("Top-k sparse recovery, Gaussian+sparse G 1024x1024")
    ax.legend()
    fig.tight_layout()
    fig.savefig(pathlib.Path(args.out_dir) / "linalg_fractional_ratio_time.png", dpi=110)


if __name__ == "__main__":
    main()
