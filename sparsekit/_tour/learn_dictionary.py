"""Tour rows for dictionary learning: ℓ3 power method vs FastICA, online Frank–Wolfe vs MiniBatchDictionaryLearning.

The peer runners here are shared with ``asv_bench/benchmarks/learn_decomposition.py`` and the user guide's figures.
"""

import time
import warnings

from threadpoolctl import threadpool_limits

from sparsekit.datasets import make_sparse_coding
from sparsekit.learn.decomposition import (
    OnlineOrthogonalDictionaryLearning,
    OrthogonalDictionaryLearning,
    dictionary_error,
)

from ._case import TourRow, tour_case


def complete_problem(quick=False, noise_std=0.0, seed=0):
    """The issue's complete-DL problem: n=50, m=20 000, theta=0.3 (n=20, m=5000 when quick)."""
    n, m = (20, 5000) if quick else (50, 20000)
    return make_sparse_coding(m, n, sparsity=0.3, noise_std=noise_std, random_state=seed)


def fastica(X):
    """scikit-learn's FastICA as the issue specifies it (logcosh, unit-variance whitening, tol=1e-6)."""
    from sklearn.decomposition import FastICA

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return FastICA(X.shape[1], whiten="unit-variance", fun="logcosh", tol=1e-6, max_iter=400,
                       random_state=0).fit(X)


def minibatch_dl(n_components):
    """scikit-learn's MiniBatchDictionaryLearning with the notes' settings (alpha=0.1, batches of 100, cd)."""
    from sklearn.decomposition import MiniBatchDictionaryLearning

    return MiniBatchDictionaryLearning(n_components=n_components, alpha=0.1, batch_size=100, fit_algorithm="cd",
                                       random_state=0)


def stream_until(model, X, D, target, batch_size=100, budget=None):
    """``partial_fit`` on consecutive batches until ``dictionary_error <= target`` or one pass (or ``budget`` s).

    Returns ``(seconds to reach the target or None, best error, trace)`` with ``trace`` the (seconds, error) after
    each batch; the error evaluations are not timed.
    """
    elapsed, best, reached, trace = 0.0, 1.0, None, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start in range(0, X.shape[0], batch_size):
            tic = time.perf_counter()
            model.partial_fit(X[start:start + batch_size])
            elapsed += time.perf_counter() - tic
            error = dictionary_error(model.components_, D)
            trace.append((elapsed, error))
            best = min(best, error)
            if error <= target:
                reached = elapsed
                break
            if budget is not None and elapsed > budget:
                break
    return reached, best, trace


@tour_case("learn.decomposition", "Complete dictionary learning: l3 power method vs FastICA")
def tour_orthogonal_dl(ctx):
    with threadpool_limits(1):  # timings on a shared machine: one BLAS thread for both sides
        rows = []
        for noise in (0.0, 0.1):
            X, D, _ = complete_problem(ctx.quick, noise)
            model, seconds = ctx.timed(OrthogonalDictionaryLearning(random_state=0).fit, X)
            peer, peer_seconds = (ctx.timed(fastica, X) if ctx.has("sklearn") else (None, None))
            rows.append(TourRow(
                problem=f"Bernoulli-Gaussian theta=0.3, sigma={noise}", method="OrthogonalDictionaryLearning(p=3)",
                size=f"{X.shape[0]}x{X.shape[1]}", seconds=seconds, metric="dictionary error",
                value=dictionary_error(model.components_, D), peer="sklearn FastICA" if peer else None,
                peer_seconds=peer_seconds, peer_value=dictionary_error(peer.components_, D) if peer else None,
            ))
        return rows


@tour_case("learn.decomposition", "Online orthogonal DL (Frank-Wolfe) vs MiniBatchDictionaryLearning.partial_fit")
def tour_online_dl(ctx):
    with threadpool_limits(1):
        X, D, _ = complete_problem(ctx.quick)
        model, seconds = ctx.timed(OnlineOrthogonalDictionaryLearning(batch_size=100, random_state=0).fit, X)
        row = TourRow(problem="theta=0.3, batches of 100, one pass (peer: at most 20x our time)", method="OnlineOrthogonalDictionaryLearning",
                      size=f"{X.shape[0]}x{X.shape[1]}", seconds=seconds, metric="dictionary error",
                      value=dictionary_error(model.components_, D))
        if ctx.has("sklearn"):
            budget = 2.0 if ctx.quick else 20 * seconds
            _, best, trace = stream_until(minibatch_dl(X.shape[1]), X, D, 0.0, budget=budget)
            row.peer, row.peer_seconds, row.peer_value = "sklearn MiniBatchDL.partial_fit", trace[-1][0], best
        return [row]
