"""
Message passing over forest blocks: label propagation on a lattice
==================================================================

The paper's dataset D: a 50 x 50 lattice with random weights, 100 labelled nodes. Label propagation solves
``L_UU f_U = -L_UL y``; :func:`sparsekit.linalg.greedy_label_propagation` minimises the quadratic one node at a
time (``blocks="coordinate"``) or one forest of the lattice at a time, solved exactly by Gaussian elimination
on the trees (``blocks="forests"``: a fixed partition; ``blocks="greedy-forest"``: grown from the largest
scores). Plotted: the gradient against block steps and against epochs; timed against SciPy's CG (Jacobi),
BLAS on one thread, medians of interleaved rounds.

Writes ``doc/user_guide/images/linalg_coordinate_forests.png`` when run as a script::

    python examples/linalg/forest_blocks.py [--out PATH]
"""

import argparse
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit._tour.linalg_coordinate import harmonic_cg, lattice_graph
from sparsekit.linalg import greedy_label_propagation

W, y, labeled = lattice_graph(50, 100)
CASES = [("coordinate", "gsl"), ("coordinate", "gs"), ("coordinate", "cyclic"), ("forests", "gsl"),
         ("forests", "cyclic"), ("greedy-forest", "gsl"), ("greedy-forest", "gs")]


def gradient_norm(f):
    g = np.asarray(W.sum(axis=1)).ravel() * f - W @ f
    g[labeled] = 0.0
    return float(np.abs(g).max())


def traced(blocks, rule):
    """Gradient norm after every epoch (the callback's cadence), with the step counts from the final run."""
    trace = []
    res = greedy_label_propagation(W, y, labeled, blocks=blocks, rule=rule, tol=1e-8, max_epochs=100_000,
                                   callback=lambda f: trace.append(gradient_norm(f)) and False)
    return res, np.array(trace)


fig, ax = plt.subplots(figsize=(6, 4))
g0 = gradient_norm(np.bincount(labeled, weights=y, minlength=W.shape[0]))  # at x0 = 0
results = {}
for blocks, rule in CASES:
    res, trace = traced(blocks, rule)
    results[blocks, rule] = res
    per_run = res.n_epochs / res.n_iter  # a kernel run makes one epoch of updates, plus the rest of a block
    ax.semilogy(np.arange(1, len(trace) + 1) * per_run, trace / g0,
                label=f"{blocks} {rule}: {res.n_epochs:.0f} epochs, {res.n_steps} steps")
ax.set_xlabel("epochs (node updates / unlabelled nodes)")
ax.set_ylabel("||grad||_inf / ||grad(0)||_inf")
ax.set_title("label propagation, 50x50 lattice, 100 labelled")
ax.legend(fontsize=7)
fig.tight_layout()

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="doc/user_guide/images/linalg_coordinate_forests.png")
    fig.savefig(parser.parse_args().out, dpi=110)
    times = {case: [] for case in CASES + ["cg"]}
    cg_norm = None
    with threadpool_limits(1):
        for _ in range(5):
            for case in CASES:
                t = time.perf_counter()
                greedy_label_propagation(W, y, labeled, blocks=case[0], rule=case[1], tol=1e-8, max_epochs=100_000)
                times[case].append(time.perf_counter() - t)
            t = time.perf_counter()
            f = harmonic_cg(W, y, labeled, 1e-8)
            times["cg"].append(time.perf_counter() - t)
            cg_norm = gradient_norm(f)
    for case in CASES:
        res = results[case]
        print(f"{case[0]:14s} {case[1]:7s} steps {res.n_steps:9d} epochs {res.n_epochs:8.1f} "
              f"time {np.median(times[case]):.4f}s  grad {res.gradient_norm / g0:.1e}")
    print(f"cg (Jacobi, rtol 1e-8) time {np.median(times['cg']):.4f}s  grad {cg_norm / g0:.1e}")
    print("load", os.getloadavg())
