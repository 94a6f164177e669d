"""Benchmarks of ``sparsekit.learn.dag``: CoLiDE, the DAGMA baseline and TopoSwap, vs the dagma package.

The peer is ``dagma.linear.DagmaLinear`` (dagma 1.1.1). Its package declares a
torch dependency that ``dagma.linear`` does not use, so install it with
``pip install --no-deps dagma`` next to ``igraph`` and ``tqdm``; everything here
imports without it.

Data: ER graphs with ``2 d`` edges, ``n = 1000`` samples, weights uniform on
``±[0.5, 2]`` (``sparsekit.datasets.make_linear_sem``).
"""

import numpy as np
from common import CompareCase, PinnedThreads, have, quiet

from sparsekit._tour.learn_dag import dagma_peer_fit
from sparsekit.datasets import make_linear_sem
from sparsekit.learn.dag import (
    colide,
    dagma_linear,
    metrics,
    sem_score,
    topo_swap,
    topological_order,
)

N_SAMPLES = 1000


def _data(d, noise_scale, seed):
    return make_linear_sem(N_SAMPLES, d, 2 * d, noise_scale=noise_scale, random_state=seed)


def _warm_numba():
    """Load (or compile) the kernels once, outside any timing."""
    X, _ = _data(5, 1.0, 0)
    quiet(colide, X, warm_iter=5, max_iter=5, checkpoint=5)
    topo_swap(X, random_state=0)


class CoLiDEFit(PinnedThreads):
    """CoLiDE on equal-variance (EV) and heteroscedastic (NV) data."""

    params = ([10, 20], ["ev", "nv"])
    param_names = ["d", "variant"]
    timeout = 300

    def setup(self, d, variant):
        super().setup(d, variant)
        _warm_numba()
        self.X, self.W = _data(d, 1.0 if variant == "ev" else "heteroscedastic", 0)

    def time_fit(self, d, variant):
        quiet(colide, self.X, variant=variant)

    def peakmem_fit(self, d, variant):
        quiet(colide, self.X, variant=variant)

    def track_shd(self, d, variant):
        return metrics.structural_hamming_distance(self.W, quiet(colide, self.X, variant=variant).adjacency)

    def track_iterations(self, d, variant):
        return quiet(colide, self.X, variant=variant).n_iter


class DAGMALinearFit(PinnedThreads):
    """Our DAGMA baseline (same path following, least-squares score)."""

    params = [10, 20]
    param_names = ["d"]
    timeout = 300

    def setup(self, d):
        super().setup(d)
        _warm_numba()
        self.X, self.W = _data(d, 1.0, 0)

    def time_fit(self, d):
        quiet(dagma_linear, self.X)

    def track_shd(self, d):
        return metrics.structural_hamming_distance(self.W, quiet(dagma_linear, self.X).adjacency)


class TopoSwapSearch(PinnedThreads):
    """TopoSwap from a random order, and as a refinement of a continuous learner's DAG."""

    params = [20, 50]
    param_names = ["d"]

    def setup(self, d):
        super().setup(d)
        _warm_numba()
        self.X, self.W = _data(d, 1.0, 0)
        self.start = topological_order(quiet(dagma_linear, self.X, warm_iter=2000, max_iter=2000).adjacency)

    def time_from_random_order(self, d):
        topo_swap(self.X, random_state=0)

    def time_refine(self, d):
        topo_swap(self.X, self.start)

    def peakmem_from_random_order(self, d):
        topo_swap(self.X, random_state=0)

    def track_rounds_from_random_order(self, d):
        return topo_swap(self.X, random_state=0).n_iter

    def track_score_decrease_of_refine(self, d):
        result = topo_swap(self.X, self.start)
        return result.initial_score - result.score


def _rate(metric, W):
    return lambda adjacency: metric(W, adjacency)


def _shd(W):
    return _rate(metrics.structural_hamming_distance, W)


def _refined_shd(X, W):
    """SHD after ``topo_swap`` from the topological order of a learned DAG."""

    def refined(adjacency):
        return metrics.structural_hamming_distance(W, topo_swap(X, topological_order(adjacency)).adjacency)

    return refined


def _learner_case(label, X, W, sparsekit_fit, peer_alpha):
    """A sparsekit learner vs DagmaLinear; quality: SHD no worse than the peer's."""
    peer = (lambda: dagma_peer_fit(X, peer_alpha)) if have("dagma") else None
    return CompareCase(
        case=label,
        sparsekit=lambda: quiet(sparsekit_fit, X).adjacency,
        peer=peer,
        peer_name=f"dagma.DagmaLinear(lambda1={peer_alpha})",
        quality=lambda ours, theirs: theirs is None or _shd(W)(ours) <= _shd(W)(theirs),
        metrics={
            "SHD": (_shd(W), _shd(W)),
            "SHD after TopoSwap.refine": (_refined_shd(X, W), _refined_shd(X, W)),
            "TPR": (_rate(metrics.true_positive_rate, W), _rate(metrics.true_positive_rate, W)),
            "FDR": (_rate(metrics.false_discovery_rate, W), _rate(metrics.false_discovery_rate, W)),
        },
        setup=_warm_numba,
    )


def _refine_case(label, X, W, peer_alpha):
    """DagmaLinear then TopoSwap from its DAG's order (timed together) vs DagmaLinear alone.

    TopoSwap's model is its unthresholded regressions (``weights``), whose least-squares score the search
    lowers; its graph (``adjacency``) keeps the weights of at least 0.3, like DagmaLinear's output.
    """

    def refined():
        return topo_swap(X, topological_order(dagma_peer_fit(X, peer_alpha)))

    return CompareCase(
        case=label,
        sparsekit=refined,
        peer=lambda: dagma_peer_fit(X, peer_alpha),
        peer_name=f"dagma.DagmaLinear(lambda1={peer_alpha})",
        quality=lambda ours, theirs: ours.score <= sem_score(X, theirs),
        metrics={
            "LS score": (lambda result: result.score, lambda adjacency: sem_score(X, adjacency)),
            "LS score of the thresholded graph": (lambda result: sem_score(X, result.adjacency), None),
            "SHD": (lambda result: _shd(W)(result.adjacency), _shd(W)),
        },
        setup=_warm_numba,
    )


def _inner_loop_case(d, n_iter):
    """The numba inner loop vs its vectorised NumPy twin (one LAPACK inverse per step), same iterations."""
    try:
        from tests.learn.dag import _reference
    except ImportError:  # the twin lives in the source checkout's tests, not in an installed package
        return None
    from sparsekit.learn.dag import _colide_kernels

    X, _ = _data(d, 1.0, 0)
    centred = X - X.mean(axis=0)
    cov = centred.T @ centred / X.shape[0]

    def run(chunk):
        state = [np.zeros((d, d)), np.ones(d), np.zeros((d, d)), np.zeros((d, d)), np.zeros((d, d))]
        chunk(cov, *state, 1.0, 0.05, 1.0, 3e-4, 0.99, 0.999, 1, 1e-8, 1, n_iter, True)
        return state[0]

    return CompareCase(
        case=f"CoLiDE-EV inner loop d={d}, {n_iter} Adam steps",
        sparsekit=lambda: run(_colide_kernels.adam_chunk),
        peer=lambda: run(_reference.adam_chunk),
        peer_name="NumPy twin (tests/learn/dag/_reference.py)",
        quality=lambda ours, theirs: np.allclose(ours, theirs, rtol=1e-6, atol=1e-9),
        setup=_warm_numba,
    )


def compare_cases(quick=False):
    """CoLiDE and our DAGMA baseline vs DagmaLinear; TopoSwap refining DagmaLinear.

    Full run (ER2, n = 1000, seeds 0-4): CoLiDE-EV on equal-variance
    Gaussian noise at d = 20 and 50; CoLiDE-NV on heteroscedastic noise
    (variances U(0.5, 10)) at d = 50; DagmaLinear followed by
    ``topo_swap`` from its DAG's order on the same heteroscedastic data;
    our ``dagma_linear`` vs DagmaLinear at d = 20 and 50 (seed 0). Every
    learner row also reports the SHD after TopoSwap refinement of each
    side's output. ``quick``: d = 10, seed 0.
    """
    seeds = [0] if quick else range(5)
    sizes = [10] if quick else [20, 50]
    hetero_d = 10 if quick else 50
    cases = []
    for d in sizes:
        for seed in seeds:
            X, W = _data(d, 1.0, seed)
            cases.append(_learner_case(f"ER2 d={d} EV gauss seed={seed}: CoLiDE-EV", X, W, colide, 0.03))
    for seed in seeds:
        X, W = _data(hetero_d, "heteroscedastic", seed)
        cases.append(_learner_case(f"ER2 d={hetero_d} hetero seed={seed}: CoLiDE-NV", X, W,
                                   lambda data: colide(data, variant="nv"), 0.03))
    for seed in seeds if have("dagma") else []:
        X, W = _data(hetero_d, "heteroscedastic", seed)
        cases.append(_refine_case(f"ER2 d={hetero_d} hetero seed={seed}: DagmaLinear + TopoSwap.refine", X, W,
                                  0.03))
    for d in sizes:
        X, W = _data(d, 1.0, 0)
        cases.append(_learner_case(f"ER2 d={d} EV gauss seed=0: our dagma_linear", X, W, dagma_linear, 0.03))
    for d in [10, 20] if quick else [10, 20, 50, 100]:
        cases.append(_inner_loop_case(d, 200 if quick else 1000))
    return [case for case in cases if case is not None]
