"""Tour rows for sparse Bayesian learning: SBL vs scikit-learn's ARDRegression, KroSBL vs unstructured SBL."""

import numpy as np
from threadpoolctl import threadpool_limits

from ._case import TourRow, tour_case
from sparsekit.datasets import make_kronecker_regression, make_sparse_regression
from sparsekit.learn.linear_model._kronecker_sbl import KroneckerSBL
from sparsekit.learn.linear_model._sbl_estimator import SparseBayesianRegression


def nmse_db(estimate, truth):
    """Normalised mean squared error ``10 log10(||x_hat - x||^2 / ||x||^2)`` (tour and benchmarks)."""
    return float(10 * np.log10(np.sum((estimate - truth) ** 2) / np.sum(truth**2)))


def _ard(ctx, X, y):
    if not ctx.has("sklearn"):
        return None, None
    from sklearn.linear_model import ARDRegression

    return ctx.timed(ARDRegression(fit_intercept=False).fit, X, y)


@tour_case("learn.sbl", "Sparse Bayesian learning (EM, GGAMP-SBL) vs ARDRegression")
def tour_sbl_vs_ard(ctx):
    with threadpool_limits(1):  # timings on a shared machine: one BLAS thread for both sides
        return _sbl_vs_ard_rows(ctx)


def _sbl_vs_ard_rows(ctx):
    n, d = (200, 400) if ctx.quick else (500, 1000)
    rows = []
    for design, solver in [("gaussian", "em"), ("gaussian", "gamp"), ("ill-conditioned", "gamp")]:
        X, y, coef, _ = make_sparse_regression(n, d, n // 20, design=design, condition_number=1e3, snr_db=20.0,
                                               random_state=0)
        model, seconds = ctx.timed(SparseBayesianRegression(solver=solver, fit_intercept=False).fit, X, y)
        ard, ard_seconds = _ard(ctx, X, y)
        rows.append(TourRow(
            problem=f"{design} A, k={n // 20}, 20 dB", method=f"SparseBayesianRegression({solver})",
            size=f"{n}x{d}", seconds=seconds, metric="NMSE [dB]", value=nmse_db(model.coef_, coef),
            peer="sklearn ARDRegression" if ard is not None else None, peer_seconds=ard_seconds,
            peer_value=nmse_db(ard.coef_, coef) if ard is not None else None,
        ))
    return rows


@tour_case("learn.sbl", "KroneckerSBL vs unstructured SBL on a 3-factor Kronecker design")
def tour_kronecker_sbl(ctx):
    with threadpool_limits(1):
        return _kronecker_rows(ctx)


def _kronecker_rows(ctx):
    shapes = [(7, 16)] * 3 if ctx.quick else [(10, 22)] * 3
    factors, y, coef, _ = make_kronecker_regression(shapes, [3, 3, 3], snr_db=20.0, random_state=0)
    full = np.kron(np.kron(factors[0], factors[1]), factors[2])
    rows = []
    for solver in ("svd", "am"):
        model, seconds = ctx.timed(KroneckerSBL(solver=solver).fit, factors, y)
        rows.append(TourRow(problem=f"Kronecker {shapes[0]}^3, k=27, 20 dB", method=f"KroneckerSBL({solver})",
                            size=f"{full.shape[0]}x{full.shape[1]}", seconds=seconds, metric="NMSE [dB]",
                            value=nmse_db(model.coef_, coef)))
    plain, plain_seconds = ctx.timed(SparseBayesianRegression(fit_intercept=False).fit, full, y)
    for row in rows:
        row.peer, row.peer_seconds, row.peer_value = "SBL (EM), full matrix", plain_seconds, nmse_db(plain.coef_, coef)
    return rows
