"""Sizing and shape rules of sketch-and-precondition least squares, shared by its in-memory and Dask paths."""

import math

__all__ = ["check_shape_for_lstsq", "default_oversampling", "default_sketch_size"]


def default_oversampling(m, n, nnz):
    """Sketch rows per column when ``oversampling=None``; see :func:`~sparsekit.linalg.sketch_lstsq`.

    A cost model. LSQR needs about ``37 / ln(r)`` iterations to gain the eight
    orders of magnitude from the first iterate to a backward error of 1e-10
    (its convergence factor is ``sqrt(n/d) = 1/sqrt(r)``), each a pass over
    ``A`` at ``c_pass`` per nonzero; one more sketch row costs ``q(n)`` in
    the QR. Equating the marginal costs gives
    ``r ln²r = 37 c_pass nnz / (n q(n))``. With one-thread timings here
    (``c_pass ≈ 1e-9 s``, ``q(n) ≈ 4.9e-11 n² + 1e-7 n`` s: a QR is less
    efficient per flop for small ``n``) this is
    ``r ln²r = nnz / (n² (n/750 + 2.7))``, solved for ``r`` in [4, 40].
    """
    target = nnz / (float(n) ** 2 * (n / 750.0 + 2.7))

    def cost_balance(r):
        return r * math.log(r) ** 2

    low, high = 4.0, 40.0
    if cost_balance(low) >= target:
        return low
    if cost_balance(high) <= target:
        return high
    for _ in range(40):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if cost_balance(middle) < target else (low, middle)
    return 0.5 * (low + high)


def default_sketch_size(m, n, oversampling):
    """Rows of the sketch: ``ceil(oversampling * n)``, at least ``n + 1``, at most ``m``."""
    return int(min(m, max(n + 1, math.ceil(oversampling * n))))


def check_shape_for_lstsq(m, n, alpha):
    """Refuse underdetermined problems without regularization."""
    if m < n and alpha == 0:
        raise ValueError(
            f"A must have at least as many rows as columns (got shape ({m}, {n})); "
            "sketch-and-precondition needs an overdetermined problem unless alpha > 0."
        )
