"""Tour rows for hyperspectral unmixing: FCLS vs per-pixel solvers, robust NMFs vs scikit-learn's NMF."""

import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit.datasets import make_hyperspectral
from sparsekit.learn.decomposition import (
    CorrentropyNMF,
    RobustSparseNMF,
    StructuredSparseNMF,
    abundance_rmse,
    fcls,
    spa,
    spectral_angle_distance,
)

from ._case import TourRow, tour_case


def nnls_sum_row(Y, E, weight=1e3):
    """The common baseline: per-pixel ``scipy.optimize.nnls`` with an appended, weighted sum-to-one row."""
    from scipy.optimize import nnls

    M = np.vstack([E.T, weight * np.ones(E.shape[0])])
    return np.array([nnls(M, np.append(y, weight))[0] for y in Y])


def sklearn_nmf_from_spa(Y, n_endmembers):
    """scikit-learn's ``NMF(solver="cd", init="custom")`` from SPA endmembers and their FCLS abundances."""
    from sklearn.decomposition import NMF

    E0 = spa(Y, n_endmembers).endmembers
    model = NMF(n_endmembers, solver="cd", init="custom", max_iter=500, tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        W = model.fit_transform(Y, W=fcls(Y, E0).abundances, H=E0.copy())
    return model, W


@tour_case("learn.unmixing", "FCLS for all pixels at once vs the per-pixel nnls loop")
def tour_fcls(ctx):
    with threadpool_limits(1):
        cube, E, _ = make_hyperspectral(20 if ctx.quick else 40, 25, 156, 3, random_state=0)
        Y = cube.reshape(-1, 156)
        fcls(Y[:2], E)  # compile outside the timing
        result, seconds = ctx.timed(fcls, Y, E)
        reference, peer_seconds = ctx.timed(nnls_sum_row, Y, E)
    return TourRow(problem="FCLS, 3 endmembers, 156 bands", method="fcls", size=f"{Y.shape[0]} px",
                   seconds=seconds, metric="max |sum - 1|", value=float(np.abs(result.abundances.sum(1) - 1).max()),
                   peer="scipy nnls loop + sum row", peer_seconds=peer_seconds,
                   peer_value=float(np.abs(reference.sum(1) - 1).max()))


@tour_case("learn.unmixing", "Robust unmixing NMFs vs sklearn NMF under 10 corrupted bands")
def tour_robust_unmixing(ctx):
    with threadpool_limits(1):
        size, bands = (30, 80) if ctx.quick else (60, 156)
        cube, E, A = make_hyperspectral(size, size, bands, 3, n_outlier_bands=10, random_state=0)
        Y = cube.reshape(-1, bands)
        peer = None
        if ctx.has("sklearn"):
            (model, W), peer_seconds = ctx.timed(sklearn_nmf_from_spa, Y, 3)
            peer = (spectral_angle_distance(E, model.components_), peer_seconds)
        rows = []
        for estimator in (RobustSparseNMF(3), CorrentropyNMF(3), StructuredSparseNMF(3)):
            fitted, seconds = ctx.timed(estimator.fit, cube)
            rows.append(TourRow(
                problem=f"{size}x{size}x{bands}, 3 endmembers, 10 outlier bands", method=type(estimator).__name__,
                size=f"{size * size} px", seconds=seconds, metric="SAD [rad]",
                value=spectral_angle_distance(E, fitted.components_),
                peer="sklearn NMF(cd, SPA+FCLS start)" if peer else None,
                peer_seconds=peer[1] if peer else None, peer_value=peer[0] if peer else None,
            ))
    return rows


def unmixing_scores(E, A, endmembers, abundances):
    """SAD and abundance RMSE of an unmixing against the truth (matched by spectral angle)."""
    return (spectral_angle_distance(E, endmembers),
            abundance_rmse(A, abundances, endmembers_true=E, endmembers_pred=endmembers))
