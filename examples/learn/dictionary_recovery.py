"""
Figures of the dictionary-learning user guide: recovered atoms beside the true ones, error versus time.
=======================================================================================================

Usage::

    python examples/learn/dictionary_recovery.py [--out-dir doc/user_guide/images]

One BLAS thread; n=50 atoms, m=20 000 samples, Bernoulli(0.3)-Gaussian codes (the issue's problem).
"""

import argparse
import pathlib
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402
from sklearn.decomposition import FastICA  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sparsekit._tour.learn_dictionary import complete_problem, minibatch_dl, stream_until  # noqa: E402
from sparsekit.learn.decomposition import (  # noqa: E402
    OnlineOrthogonalDictionaryLearning,
    dictionary_error,
    orthogonal_dictionary_learning,
)


def power_method_trace(X, D):
    """(seconds, error) after each iteration of the ℓ3 power method; the error evaluations are not timed."""
    trace, clock = [], [0.0, time.perf_counter()]

    def record(A):
        clock[0] += time.perf_counter() - clock[1]
        trace.append((clock[0], dictionary_error(A, D)))
        clock[1] = time.perf_counter()

    orthogonal_dictionary_learning(X, random_state=0, callback=record)
    return trace


def fastica_trace(X, D, iterations=12):
    """(seconds, error) of FastICA runs stopped after 1, 2, ... iterations (each a fresh, complete fit)."""
    trace = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(1, iterations + 1):
            start = time.perf_counter()
            model = FastICA(X.shape[1], whiten="unit-variance", fun="logcosh", tol=1e-6, max_iter=k,
                            random_state=0).fit(X)
            trace.append((time.perf_counter() - start, dictionary_error(model.components_, D)))
    return trace


def atoms_figure(X, D, path):
    A = orthogonal_dictionary_learning(X, random_state=0).components
    C = A @ D.T
    rows, cols = linear_sum_assignment(-np.abs(C))
    order = np.argsort(cols)
    matched = A[rows[order]] * np.sign(C[rows[order], cols[order]])[:, None]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for k, color in zip(range(4), ("C0", "C1", "C2", "C3")):
        axes[0].plot(D[k] + 1.2 * k, color=color, lw=2.5, alpha=0.4, label="true" if k == 0 else None)
        axes[0].plot(matched[k] + 1.2 * k, color=color, lw=1, ls="--", label="recovered" if k == 0 else None)
    axes[0].set(title="Four atoms (offset), true and recovered", xlabel="feature", yticks=[])
    axes[0].legend(loc="upper right")
    image = axes[1].imshow(np.abs(matched @ D.T), cmap="magma", vmin=0, vmax=1)
    axes[1].set(title=f"|A D0^T| after matching: error {dictionary_error(A, D):.1e}", xlabel="true atom",
                ylabel="recovered atom")
    fig.colorbar(image, ax=axes[1])
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def error_time_figure(X, D, path):
    curves = {
        "OrthogonalDictionaryLearning (l3 power method)": power_method_trace(X, D),
        "sklearn FastICA (logcosh)": fastica_trace(X, D),
        "OnlineOrthogonalDictionaryLearning (one pass, batches of 100)": stream_until(
            OnlineOrthogonalDictionaryLearning(batch_size=100, random_state=0), X, D, 0.0)[2],
        "sklearn MiniBatchDictionaryLearning.partial_fit (batches of 100)": stream_until(
            minibatch_dl(X.shape[1]), X, D, 0.0)[2],
    }
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for label, trace in curves.items():
        seconds, errors = np.array(trace).T
        ax.loglog(seconds, errors, marker="." if len(trace) < 50 else None, label=label)
    ax.set(xlabel="seconds (one BLAS thread)", ylabel="dictionary error 1 - ||A D0^T||_4^4 / n",
           title="n=50, m=20 000, theta=0.3")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default="doc/user_guide/images")
    out = pathlib.Path(parser.parse_args().out_dir)
    X, D, _ = complete_problem()
    with threadpool_limits(1):
        atoms_figure(X, D, out / "learn_dictionary_atoms.png")
        error_time_figure(X, D, out / "learn_dictionary_error_time.png")


if __name__ == "__main__":
    main()
