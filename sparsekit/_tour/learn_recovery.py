"""Tour rows for sparse recovery: loss-based OMP vs scikit-learn's OMP and QuantileRegressor; sparse phase
retrieval by Newton hard thresholding vs SPARTA (fractional coordinate descent: ``linalg_fractional.py``)."""

import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit.learn.linear_model import loss_omp, sparse_phase_retrieval

from ._case import TourRow, tour_case


def compressed_sensing(seed, m=150, n=500, s=15, noise=0.01, outliers=0):
    """The notes' problem: unit-norm Gaussian columns, ``s`` amplitudes +-(1-2), noise relative to the RMS
    measurement, and ``outliers`` rows shifted by +-10 times the RMS measurement. Returns ``A, y, x``."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    A /= np.linalg.norm(A, axis=0)
    x = np.zeros(n)
    x[rng.choice(n, s, replace=False)] = rng.choice([-1.0, 1.0], s) * rng.uniform(1.0, 2.0, s)
    b = A @ x
    scale = np.linalg.norm(b) / np.sqrt(m)
    y = b + noise * scale * rng.standard_normal(m)
    rows = rng.choice(m, outliers, replace=False)
    y[rows] += 10.0 * scale * rng.choice([-1.0, 1.0], outliers)
    return A, y, x


def relative_error(estimate, truth):
    """``||estimate - truth|| / ||truth||`` (tour, benchmarks, user guide)."""
    return float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))


def quantile_regressor(A, y, alpha=3e-3):
    """scikit-learn's LAD-LASSO (``QuantileRegressor``, HiGHS) at the notes' best ``alpha``; its ``coef_``."""
    from sklearn.linear_model import QuantileRegressor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return QuantileRegressor(quantile=0.5, alpha=alpha, fit_intercept=False, solver="highs").fit(A, y).coef_


def oracle_omp(A, y, s):
    """scikit-learn's OMP told the true sparsity; its ``coef_``."""
    from sklearn.linear_model import OrthogonalMatchingPursuit

    return OrthogonalMatchingPursuit(n_nonzero_coefs=s, fit_intercept=False).fit(A, y).coef_


@tour_case("learn.recovery", "Loss-based OMP: noise-blind sqrt-lasso and robust LAD vs scikit-learn")
def tour_loss_omp(ctx):
    with threadpool_limits(1):
        return _loss_omp_rows(ctx)


def _loss_omp_rows(ctx):
    s = 15
    rows = []
    for noise in (0.01, 0.1):
        A, y, x = compressed_sensing(0, noise=noise)
        res, seconds = ctx.timed(loss_omp, A, y, loss="sqrt-lasso")
        peer, peer_seconds = ctx.timed(oracle_omp, A, y, s) if ctx.has("sklearn") else (None, None)
        rows.append(TourRow(
            problem=f"CS, s={s}, noise {noise:.0%}", method="loss_omp(sqrt-lasso), noise-blind", size="150x500",
            seconds=seconds, metric="relative error", value=relative_error(res.x, x),
            peer="sklearn OMP(n_nonzero_coefs=s)" if peer is not None else None, peer_seconds=peer_seconds,
            peer_value=relative_error(peer, x) if peer is not None else None,
        ))
    A, y, x = compressed_sensing(0, outliers=8)
    res, seconds = ctx.timed(loss_omp, A, y, loss="lad", n_nonzero_coefs=s)
    has_peer = ctx.has("sklearn") and not ctx.quick  # QuantileRegressor takes ~0.5 s
    peer, peer_seconds = ctx.timed(quantile_regressor, A, y) if has_peer else (None, None)
    rows.append(TourRow(
        problem=f"CS, s={s}, 8/150 rows corrupted", method="loss_omp(lad, k=s)", size="150x500", seconds=seconds,
        metric="relative error", value=relative_error(res.x, x),
        peer="sklearn QuantileRegressor(alpha=3e-3)" if peer is not None else None, peer_seconds=peer_seconds,
        peer_value=relative_error(peer, x) if peer is not None else None,
    ))
    return rows


def phaseless(seed, m, n=1000, s=10, noise=0.0):
    """The notes' phase retrieval problem: Gaussian ``A`` (m x n), ``s`` Gaussian nonzeros, ``y = (A x)^2``
    with multiplicative noise of relative size ``noise``. Returns ``A, y, x``."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    x = np.zeros(n)
    x[rng.choice(n, s, replace=False)] = rng.standard_normal(s)
    y = (A @ x) ** 2
    return A, y * (1.0 + noise * rng.standard_normal(m)), x


def sign_distance(estimate, truth):
    """``min(||z - x||, ||z + x||) / ||x||``: phase retrieval recovers ``x`` up to its sign."""
    return float(min(np.linalg.norm(estimate - truth), np.linalg.norm(estimate + truth)) / np.linalg.norm(truth))


@tour_case("learn.recovery", "Sparse phase retrieval: Newton hard thresholding vs SPARTA (n=1000, s=10)")
def tour_phase_retrieval(ctx):
    with threadpool_limits(1):
        return _phase_retrieval_rows(ctx)


def _phase_retrieval_rows(ctx):
    rows = []
    for m in (600,) if ctx.quick else (600, 1000, 2000):
        A, y, x = phaseless(0, m)
        newton, seconds = ctx.timed(sparse_phase_retrieval, A, y, 10)
        sparta, sparta_seconds = ctx.timed(sparse_phase_retrieval, A, y, 10, method="sparta", maxiter=500)
        rows.append(TourRow(
            problem="noiseless, n=1000, s=10", method=f"sparse_phase_retrieval ({newton.n_iter} iterations)",
            size=f"m={m}", seconds=seconds, metric="distance up to sign", value=sign_distance(newton.x, x),
            peer=f"SPARTA, ours ({sparta.n_iter} iterations)", peer_seconds=sparta_seconds,
            peer_value=sign_distance(sparta.x, x),
        ))
    return rows
