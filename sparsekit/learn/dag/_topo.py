"""TopoSwap: the bi-level topological-swap search of Deng, Bello, Aragam and Ravikumar (ICML 2023)."""

import math
from numbers import Integral, Real

import numpy as np

from ..._core.params import Interval, validate_params
from ..._core.progress import IterationMonitor
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_STOPPED, Result, end_run
from ..._core.threads import small_blocks
from . import _topo_kernels as kernels
from ._linear_sem import prepare_normalised_data

__all__ = ["topo_swap"]

# Residual variances are floored at this fraction of the largest variance (collinear or constant
# columns would otherwise break the Cholesky factor).
_VARIANCE_FLOOR = 1e-12

# A swap must lower the score by more than this relative amount to count as an improvement, so that
# rounding can never make the search cycle.
_IMPROVEMENT_RTOL = 1e-12


def default_candidate_sizes(d):
    """The authors' defaults: (size_small, size_large, max_large_searches) for ``d`` nodes."""
    pairs = d * (d - 1) // 2
    spread = int(math.sqrt(d) * (d - 1) * math.log10(d)) if d > 1 else 0
    size_small = max(1, min(int(1.5 * d), spread, pairs))
    size_large = max(size_small, min(max(int(1.5 * d), min(spread, pairs)), pairs))
    return size_small, size_large, min(d // 10, 1)


def _check_order(order, d):
    try:
        order = np.asarray(order)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"order must be a permutation of range({d}); got {order!r}.") from exc
    is_permutation = order.shape == (d,) and order.dtype.kind in "iu" and np.array_equal(np.sort(order),
                                                                                         np.arange(d))
    if not is_permutation:
        raise ValueError(f"order must be a permutation of range({d}); got {order!r}.")
    return order.astype(np.intp)


class _OrderedRegressions:
    """Least-squares regressions of each node on its predecessors in an order (one Cholesky factor)."""

    def __init__(self, cov, order, floor):
        self.cov, self.floor = cov, floor
        d = cov.shape[0]
        self.order = order.copy()
        self.L = np.zeros((d, d))
        self.residual_var = np.zeros(d)
        self.refresh(0)

    def refresh(self, start):
        kernels.ordered_cholesky_rows(self.cov, self.order, self.L, self.residual_var, start, self.order.size,
                                      self.floor)

    @property
    def score(self):
        return 0.5 * float(self.residual_var.sum())

    def weights(self):
        """Regression weights as a weighted adjacency matrix (``W[i, j]``: weight of ``i -> j``)."""
        W = np.zeros_like(self.L)
        W[np.ix_(self.order, self.order)] = kernels.regression_weights(self.L)
        return W

    def path_weights(self, W):
        """``(I - |W|)^{-1}`` in order coordinates: entry (b, a) sums the weights of paths from b to a."""
        return kernels.path_weights(np.abs(W[np.ix_(self.order, self.order)]))


def _candidates(regressions, W, size):
    """Forbidden pairs (positions lo < hi: the edge from the later to the earlier node) with the
    smallest acyclicity gradient ``[grad h(W)]_{ij} = [(I - |W|)^{-1}]_{ji}``, best first."""
    paths = regressions.path_weights(W)
    lows, highs = np.triu_indices(W.shape[0], k=1)
    ranking = np.argsort(paths[lows, highs], kind="stable")[:size]
    return lows[ranking], highs[ranking]


def _apply_greedy(order, lows, highs, new_scores):
    """Apply improving swaps best first, skipping any whose position interval overlaps an applied one."""
    taken = np.zeros(order.size, dtype=bool)
    applied = []
    for c in np.argsort(new_scores, kind="stable"):
        lo, hi = lows[c], highs[c]
        if taken[lo:hi + 1].any():
            continue
        taken[lo:hi + 1] = True
        order[lo], order[hi] = order[hi], order[lo]
        applied.append((int(lo), int(hi)))
    return applied


TOPO_CONSTRAINTS = {
    "w_threshold": [Interval(Real, 0, None, closed="left")],
    "size_small": [Interval(Integral, 1, None, closed="left"), None],
    "size_large": [Interval(Integral, 1, None, closed="left"), None],
    "max_large_searches": [Interval(Integral, 0, None, closed="left"), None],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


@validate_params({**TOPO_CONSTRAINTS, "callback": [None, "callable"]})
@small_blocks
def topo_swap(X, order=None, *, w_threshold=0.3, size_small=None, size_large=None, max_large_searches=None,
              max_iter=1000, random_state=None, verbose=0, callback=None):
    """Search topological orders for the least-squares DAG by greedy node swaps (TOPO).

    The bi-level method of Deng et al.: for a topological order the best DAG
    is the least-squares regression of each node on all its predecessors
    (inner level); the outer level swaps pairs of nodes in the order, picking
    candidates where the acyclicity gradient says an edge against the order
    would close few or weak cycles. Every accepted step lowers the score, so
    the search ends at an order no candidate swap improves.

    Parameters
    ----------
    X : array-like of shape (n_samples, d)
        Data, one column per node; centred internally (on a copy).
    order : array-like of shape (d,), optional
        Initial topological order (a permutation of ``range(d)``); a random
        one from ``random_state`` by default. To refine a learner's DAG,
        pass :func:`topological_order` of its adjacency matrix.
    w_threshold : float, default=0.3
        Regression weights with ``|w| < w_threshold`` are dropped from
        ``adjacency``.
    size_small : int, optional
        Candidates scored first in each round. Default
        ``min(1.5 d, sqrt(d) (d-1) log10(d), d(d-1)/2)``, the authors' choice.
    size_large : int, optional
        Candidates scored when none of the small set improves. Default
        ``max(1.5 d, min(sqrt(d) (d-1) log10(d), d(d-1)/2))`` (at most all
        ``d(d-1)/2`` pairs).
    max_large_searches : int, optional
        How many times a successful large-set search may be used. Default
        ``min(d // 10, 1)``.
    max_iter : int, default=1000
        Maximum number of rounds (each applies at least one swap).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the initial order when ``order`` is None.
    verbose : bool or int, default=0
        Log progress through the ``sparsekit.learn.dag.topo_swap`` logger.
    callback : callable, optional
        Called after each round as ``callback(state)`` with a
        :class:`~sparsekit.Result` holding ``order``, ``score`` and ``n_iter``;
        returning True (or raising StopIteration) stops the search (status 2,
        no warning).

    Returns
    -------
    Result
        With fields ``adjacency`` (thresholded weights: a DAG consistent
        with ``order``), ``weights`` (the least-squares weights of ``order``),
        ``order``, ``score`` (``||X - X weights||_F^2 / (2n)``, the searched
        objective), ``initial_score`` (the same for the initial order),
        ``score_history`` (after each round, non-increasing),
        ``n_swaps``, ``converged`` (no candidate improved), ``status``
        (0 converged, 1 ``max_iter`` reached, 2 stopped by the callback,
        3 non-finite result),
        ``message``, ``n_iter`` (rounds) and ``mean`` (column means of ``X``).

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array with at least two rows, its
        covariance overflows float64 (the scores could not be reported), or
        ``order`` is not a permutation of ``range(d)``.

    Warns
    -----
    ConvergenceWarning
        If ``max_iter`` rounds end with improving swaps left.

    See Also
    --------
    TopoSwap : The scikit-learn estimator, with ``refine``.
    colide : Continuous optimisation whose output this can refine.

    Notes
    -----
    Inner level: with ``S = X^T X / n`` of the centred data and the
    Cholesky factor ``S[pi][:, pi] = L L^T``, the residual variance of the
    node at position ``k`` regressed on positions ``< k`` is ``L[k, k]^2``
    and its weights are ``-L[k, k] (L^{-1})[k, :k]``; a swap of positions
    ``lo < hi`` re-factors rows ``lo..hi`` only. Residual variances are
    floored at ``1e-12`` times the largest variance, so collinear and
    constant columns are handled (a constant column gets weight 0 everywhere).
    The search runs on ``X`` divided by a power of two that brings its
    largest centred entry into [0.5, 1) (least-squares weights do not change
    with the scale of ``X``), so data near 1e-300 or 1e150 give the same
    graph as standardised data; scores are reported in ``X``'s units.

    Outer level: for the current weights ``W`` (a DAG), ``h(W) = -log det(I -
    |W|)`` has gradient ``(I - |W|)^{-T}``, whose entry ``(i, j)`` for a
    forbidden pair (``i`` after ``j``) sums the weights of paths ``j -> i``.
    The ``size_small`` forbidden pairs with the smallest gradient are
    scored by swapping ``i`` and ``j``; if some lower the score, the improving
    swaps are applied best first, skipping swaps whose position intervals
    overlap (non-overlapping swaps change disjoint sets of regressions, so
    their gains add up). Otherwise the next ``size_large - size_small``
    candidates are tried, at most ``max_large_searches`` times over the run.

    Interpretation: as in the authors' released code, candidates are
    selected by the acyclicity gradient alone (the paper's extra filter on
    the loss gradient is not applied) and only the plain swap move is used.
    A swap must lower the score by more than ``1e-12`` relatively.

    References
    ----------
    .. [1] C. Deng, K. Bello, B. Aragam, P. Ravikumar. "Optimizing NOTEARS
       objectives via topological swaps". ICML 2023.

    Examples
    --------
    >>> from sparsekit.datasets import make_linear_sem
    >>> from sparsekit.learn.dag import topo_swap, metrics
    >>> X, W = make_linear_sem(1000, 10, 20, random_state=0)
    >>> result = topo_swap(X, random_state=0)
    >>> result.score <= result.initial_score
    True
    >>> metrics.structural_hamming_distance(W, result.adjacency)
    0
    """
    # least-squares weights are the same for X and any multiple of it: search in normalised units,
    # report scores in the caller's
    mean, cov, _, exponent = prepare_normalised_data(X)
    d = cov.shape[0]
    order = check_random_state(random_state).permutation(d) if order is None else _check_order(order, d)
    small_default, large_default, searches_default = default_candidate_sizes(d)
    pairs = d * (d - 1) // 2
    size_small = min(small_default if size_small is None else size_small, pairs)
    size_large = min(max(large_default if size_large is None else size_large, size_small), pairs)
    max_large_searches = searches_default if max_large_searches is None else max_large_searches

    floor = _VARIANCE_FLOOR * max(float(cov.diagonal().max()), np.finfo(float).tiny)
    regressions = _OrderedRegressions(cov, order.astype(np.intp), floor)
    history = [regressions.score]
    large_used, n_swaps, rounds = 0, 0, 0
    status = STATUS_CONVERGED
    monitor = IterationMonitor("learn.dag.topo_swap", total=max_iter, verbose=verbose, callback=callback)
    with monitor:
        while pairs:
            if rounds == max_iter:
                status = STATUS_MAX_ITER
                break
            W = regressions.weights()
            lows, highs = _candidates(regressions, W, size_large)
            current = regressions.score
            margin = _IMPROVEMENT_RTOL * max(abs(current), 1.0)
            chosen = slice(0, size_small)
            deltas = kernels.swap_scores(cov, regressions.order, regressions.L, regressions.residual_var,
                                         lows[chosen], highs[chosen], floor)
            if not np.any(deltas < -margin):
                if large_used >= max_large_searches or size_large == size_small:
                    break
                chosen = slice(size_small, size_large)
                deltas = kernels.swap_scores(cov, regressions.order, regressions.L, regressions.residual_var,
                                             lows[chosen], highs[chosen], floor)
                if not np.any(deltas < -margin):
                    break
                large_used += 1
            improving = deltas < -margin
            applied = _apply_greedy(regressions.order, lows[chosen][improving], highs[chosen][improving],
                                    deltas[improving])
            regressions.refresh(min(lo for lo, _ in applied))
            n_swaps += len(applied)
            rounds += 1
            history.append(regressions.score)
            score = float(np.ldexp(regressions.score, 2 * exponent))
            state = Result(order=regressions.order.copy(), score=score, n_iter=rounds)
            if monitor.update(state, score=score, swaps=len(applied)):
                status = STATUS_STOPPED
                break

    weights = regressions.weights()
    adjacency = np.where(np.abs(weights) < w_threshold, 0.0, weights)
    message = {
        STATUS_CONVERGED: "converged: no candidate swap lowers the score",
        STATUS_MAX_ITER: f"reached max_iter={max_iter} rounds with improving swaps left",
        STATUS_STOPPED: "stopped by the callback",
    }[status]
    result = Result(
        adjacency=adjacency,
        weights=weights,
        order=regressions.order.copy(),
        score=float(np.ldexp(regressions.score, 2 * exponent)),
        initial_score=float(np.ldexp(history[0], 2 * exponent)),
        score_history=np.ldexp(np.array(history), 2 * exponent),
        n_swaps=n_swaps,
        n_iter=rounds,
        mean=mean,
    )
    return end_run(result, caller="topo_swap", status=status, message=message)
