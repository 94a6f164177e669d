"""Tour rows of the sketching layer: CountSketch, sketch-and-precondition, coordinated sampling, leverage."""

import numpy as np

from sparsekit.datasets import ill_conditioned_lstsq, sparse_matrix, sparse_rows_pair
from sparsekit.linalg import (
    CountSketch,
    coordinated_sketch,
    leverage_scores,
    sketch,
    sketch_and_project,
    sketch_lstsq,
    sketched_product,
)

from ._case import TourRow, tour_case


def backward_error(A, b, x):
    """``||Aᵀr|| / (||A||_F ||r||)``, the same normwise measure for every solver (tour and benchmarks)."""
    r = b - A @ x
    return float(np.linalg.norm(A.T @ r) / (np.linalg.norm(A) * np.linalg.norm(r)))


@tour_case("linalg", "CountSketch of a sparse CSC matrix vs scipy.linalg.clarkson_woodruff_transform")
def countsketch_throughput(ctx):
    """Same sketch size, same input; the metric is ||SA||_F / ||A||_F (1 in expectation)."""
    import scipy.linalg

    m, n, nnz = (200_000, 1000, 2_000_000) if ctx.quick else (1_000_000, 1000, 10_000_000)
    k = 2000
    A = sparse_matrix(m, n, nnz, format="csc", random_state=0)
    norm = float(np.sqrt(np.dot(A.data, A.data)))
    CountSketch(k, 100, random_state=0).apply(A[:100], dense_output=True)  # compile outside the timing
    SA, seconds = ctx.timed(lambda: CountSketch(k, m, random_state=0).apply(A, dense_output=True))
    peer, peer_seconds = ctx.timed(scipy.linalg.clarkson_woodruff_transform, A, k, rng=0)
    peer_norm = float(np.sqrt((peer.multiply(peer)).sum()))
    return TourRow(
        problem=f"CSC {m}x{n}, {A.nnz} nnz", method="CountSketch @ A", size=f"k={k}", seconds=seconds,
        metric="||SA||_F/||A||_F", value=float(np.linalg.norm(SA) / norm),
        peer="scipy clarkson_woodruff_transform", peer_seconds=peer_seconds, peer_value=peer_norm / norm,
    )


@tour_case("linalg", "Sketch-and-precondition least squares (kappa=1e8) vs scipy.linalg.lstsq(gelsd)")
def least_squares(ctx):
    """Backward error ||Aᵀr||/(||A||_F ||r||) of both; the plot shows sketch_lstsq's history."""
    import scipy.linalg

    m, n = (10_000, 200) if ctx.quick else (50_000, 500)
    A, b = ill_conditioned_lstsq(m, n, condition=1e8, random_state=0)
    sketch_lstsq(A[:2000], b[:2000], random_state=0)
    result, seconds = ctx.timed(sketch_lstsq, A, b, random_state=0)
    peer, peer_seconds = ctx.timed(scipy.linalg.lstsq, A, b, lapack_driver="gelsd")
    with ctx.figure("sketch_lstsq_backward_error") as (fig, ax):
        if fig is not None:
            ax.semilogy(result.backward_error_history, marker="o")
            ax.axhline(backward_error(A, b, peer[0]), color="k", linestyle="--", label="gelsd")
            ax.set_xlabel("LSQR iteration")
            ax.set_ylabel("backward error estimate")
            ax.set_title(f"sketch_lstsq, {m}x{n}, kappa=1e8")
            ax.legend()
    return TourRow(
        problem=f"dense {m}x{n}, kappa=1e8", method=f"sketch_lstsq ({result.n_iter} its)",
        size=f"d={result.sketch_size}", seconds=seconds, metric="backward error",
        value=result.backward_error, peer="scipy lstsq gelsd", peer_seconds=peer_seconds,
        peer_value=backward_error(A, b, peer[0]),
    )


@tour_case("linalg", "A^T B from independent sketches: coordinated sampling vs CountSketch (equal storage)")
def matrix_product(ctx):
    """Relative error ||AᵀB − est||_F / (||A||_F ||B||_F) at the same number of stored numbers."""
    n, d = (20_000, 100) if ctx.quick else (100_000, 100)
    A, B = sparse_rows_pair(n, d, nnz_per_row=5, random_state=0)
    exact = (A.T @ B).toarray()
    scale = float(np.sqrt(np.dot(A.data, A.data) * np.dot(B.data, B.data)))
    k = n // 50

    def sampled():
        SA, SB = (coordinated_sketch(M, k, random_state=1) for M in (A, B))
        return sketched_product(SA, SB)

    estimate, seconds = ctx.timed(sampled)
    storage = coordinated_sketch(A, k, random_state=1).storage
    rows = max(1, storage // d)
    def linear_sketches():
        CA, CB = (sketch(M, rows, method="countsketch", random_state=1) for M in (A, B))
        return CA.T @ CB

    linear, peer_seconds = ctx.timed(linear_sketches)
    return TourRow(
        problem=f"A, B {n}x{d}, 5 nnz/row", method="coordinated priority sampling",
        size=f"{storage} numbers/side", seconds=seconds, metric="rel. Frobenius error",
        value=float(np.linalg.norm(estimate.toarray() - exact) / scale),
        peer=f"CountSketch, {rows} rows", peer_seconds=peer_seconds,
        peer_value=float(np.linalg.norm(linear - exact) / scale),
    )


@tour_case("linalg", "Approximate leverage scores (sketch + QR + JL) vs exact (thin QR)")
def approximate_leverage(ctx):
    """Fraction of rows whose approximate score is within a factor 2 of the exact one."""
    m, n = (20_000, 100) if ctx.quick else (50_000, 500)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((m, n)) * rng.lognormal(size=(m, 1))
    approx, seconds = ctx.timed(leverage_scores, A, method="approx", random_state=0)
    exact, peer_seconds = ctx.timed(lambda: np.sum(np.linalg.qr(A)[0] ** 2, axis=1))
    ratio = approx / exact
    return TourRow(
        problem=f"dense {m}x{n}, heavy-tailed rows", method="leverage_scores approx", size="k=4n, jl=64",
        seconds=seconds, metric="frac. within 2x", value=float(np.mean((ratio > 0.5) & (ratio < 2))),
        peer="numpy qr (exact)", peer_seconds=peer_seconds, peer_value=1.0,
    )


@tour_case("linalg", "Randomized Kaczmarz on a consistent sparse system vs scipy lsqr")
def kaczmarz(ctx):
    """Relative residual after convergence to rtol=1e-8."""
    from scipy.sparse.linalg import lsqr

    m, n = (20_000, 500) if ctx.quick else (100_000, 1000)
    A = sparse_matrix(m, n, 20 * m, format="csr", random_state=0)
    b = A @ np.random.default_rng(1).standard_normal(n)
    sketch_and_project(A[:200], b[:200], rtol=1e-2, random_state=0)  # compile outside the timing
    result, seconds = ctx.timed(sketch_and_project, A, b, rtol=1e-8, random_state=0)
    peer, peer_seconds = ctx.timed(lsqr, A, b, atol=1e-10, btol=1e-10)
    return TourRow(
        problem=f"CSR {m}x{n}, consistent",
        method=f"sketch_and_project kaczmarz ({result.n_iter // m} sweeps)",
        size=f"nnz={A.nnz}", seconds=seconds, metric="rel. residual",
        value=float(np.linalg.norm(A @ result.x - b) / np.linalg.norm(b)), peer=f"scipy lsqr ({peer[2]} its)",
        peer_seconds=peer_seconds, peer_value=float(np.linalg.norm(A @ peer[0] - b) / np.linalg.norm(b)),
    )
