"""Tour rows of ``sparsekit.learn.dag``: CoLiDE and TopoSwap vs the dagma package."""

import functools
import importlib
import warnings

import numpy as np

from sparsekit import ConvergenceWarning
from sparsekit.datasets import make_linear_sem
from sparsekit.learn.dag import colide, metrics, sem_score, topo_swap, topological_order

from ._case import TourRow, tour_case


def dagma_peer_fit(X, alpha=0.03):
    """dagma's ``DagmaLinear`` on a copy (it centres in place), its warnings and tqdm bar silenced."""
    linear = importlib.import_module("dagma.linear")
    bar = linear.tqdm
    linear.tqdm = functools.partial(bar, disable=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return linear.DagmaLinear("l2").fit(X.copy(), lambda1=alpha)
    finally:
        linear.tqdm = bar


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return func(*args, **kwargs)


def _warm_kernels(X):
    """Load the numba kernels (cache or compile) before anything is timed."""
    _quiet(colide, X[:50, :3], warm_iter=5, max_iter=5, checkpoint=5)
    topo_swap(X[:50, :3], random_state=0)


def _learner_row(ctx, label, method, X, W, fit):
    result, seconds = ctx.timed(_quiet, fit, X)
    row = TourRow(problem=label, method=method, size=f"d={X.shape[1]}, n={X.shape[0]}", seconds=seconds,
                  metric="SHD", value=float(metrics.structural_hamming_distance(W, result.adjacency)))
    if ctx.has("dagma"):
        peer, peer_seconds = ctx.timed(dagma_peer_fit, X)
        row.peer, row.peer_seconds = "dagma DagmaLinear", peer_seconds
        row.peer_value = float(metrics.structural_hamming_distance(W, peer))
    return row, result


@tour_case("learn.dag", "CoLiDE-EV and CoLiDE-NV vs DagmaLinear on ER2 graphs")
def colide_vs_dagma(ctx):
    d = 10 if ctx.quick else 20
    X, W = make_linear_sem(1000, d, 2 * d, random_state=0)
    _warm_kernels(X)
    ev_row, ev = _learner_row(ctx, "ER2, EV gaussian", "colide ev", X, W, colide)
    X_h, W_h, scales = make_linear_sem(1000, d, 2 * d, noise_scale="heteroscedastic", return_noise_scale=True,
                                       random_state=0)
    nv_row, nv = _learner_row(ctx, "ER2, heteroscedastic", "colide nv", X_h, W_h,
                              lambda data: colide(data, variant="nv"))
    with ctx.figure("learn_dag_colide", ncols=3, figsize=(11, 3.6)) as (fig, axes):
        if fig is not None:
            limit = np.abs(W).max()
            for ax, matrix, title in zip(axes, (W, ev.adjacency, W_h),
                                         ("true W (EV data)", "CoLiDE-EV estimate", "true W (NV data)")):
                image = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
                ax.set(title=title, xlabel="child j", ylabel="parent i")
            fig.colorbar(image, ax=axes[1], label="edge weight W[i, j]", fraction=0.046, pad=0.04)
            axes[2].clear()
            axes[2].scatter(scales, nv.noise_scale)
            axes[2].plot([0, scales.max()], [0, scales.max()], "k--", lw=1)
            axes[2].set(xlabel="true noise sd", ylabel="CoLiDE-NV estimate", title="per-node noise scales")
    return [ev_row, nv_row]


@tour_case("learn.dag", "TopoSwap: from a random order, and refining DagmaLinear on heteroscedastic data")
def topo_swap_rows(ctx):
    d = 10 if ctx.quick else 20
    X, W = make_linear_sem(1000, d, 2 * d, random_state=1)
    _warm_kernels(X)
    result, seconds = ctx.timed(topo_swap, X, random_state=0)
    shd = float(metrics.structural_hamming_distance(W, result.adjacency))
    rows = [TourRow(problem="ER2, EV gaussian, random start", method="topo_swap", size=f"d={d}, n=1000",
                    seconds=seconds, metric="SHD", value=shd)]
    X_h, W_h = make_linear_sem(1000, d, 2 * d, noise_scale="heteroscedastic", random_state=1)
    start = _quiet(colide, X_h).adjacency
    label = "colide ev"
    if ctx.has("dagma"):
        start, label = dagma_peer_fit(X_h), "dagma DagmaLinear"
    refined, seconds = ctx.timed(topo_swap, X_h, topological_order(start))
    rows.append(TourRow(problem=f"refine {label} output (hetero)", method="topo_swap", size=f"d={d}, n=1000",
                        seconds=seconds, metric="LS score", value=refined.score, peer=label,
                        peer_value=sem_score(X_h, start)))
    return rows
