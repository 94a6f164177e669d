"""The majorise-minimise alternating loop shared by the unmixing NMFs, and what it needs around it.

Every method of this family minimises a fit ``sum_l phi(||y_l - A m_l||^2)`` over bands ``l`` (squared
loss, l2,1 or correntropy) plus optional abundance penalties, under ``A >= 0`` (rows on the simplex
when ``sum_to_one``) and ``M >= 0``. Each iteration majorises the objective at the current point by a
band-weighted least-squares problem with a linear term and one shared Gram matrix, and minimises it
exactly: the abundance block by the active-set kernel of :mod:`._fcls_kernels` (all pixels at once),
the endmember block by the same kernel without the sum row (all bands at once; band weights scale a
band's whole problem and drop out). No pixels x bands temporary is ever formed: band residuals come
from ``A^T Y`` and ``A^T A``.

Every step runs in the array namespace of the pixels: NumPy input takes the compiled kernel and SciPy
sparse Laplacians; CuPy (or any array-API) input runs the whole loop on its device with
:func:`._unmixing_xp.batched_active_set` and a stencil Laplacian (only the endmember extraction of the
start and the heat-kernel edge weights are computed on the host).
"""

from numbers import Integral, Real

import numpy as np
from scipy import sparse

from ..._core.params import Interval, Options
from ..._core.progress import IterationMonitor
from ..._core.result import Result, end_run
from ._endmembers import nfindr, spa, vca
from ._fcls import check_pixels, solve_constrained
from ._unmixing_xp import (
    GridLaplacian,
    batched_active_set,
    column_dots,
    column_square_norms,
    host,
    is_host,
    namespace,
    times_two_to,
    unit_exponent_of,
)

__all__ = [
    "COMMON_CONSTRAINTS",
    "band_residuals",
    "finish",
    "grid_laplacian",
    "heat_kernel_laplacian",
    "initial_factors",
    "laplacian_of",
    "lp_penalty",
    "prepare",
    "run_unmixing",
    "scaled",
]

COMMON_CONSTRAINTS = {
    "n_endmembers": [Interval(Integral, 1, None, closed="left")],
    "sum_to_one": ["boolean"],
    "spatial": [Interval(Real, 0, None, closed="left")],
    "init": [Options({"spa", "vca", "nfindr"}), "array-like"],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "random_state": ["random_state"],
    "callback": ["callable", None],
    "verbose": ["verbose"],
}

_QP_STEPS = 50  # active-set changes per pixel or band in one block update (each needs a few per endmember)


def grid_laplacian(height, width):
    """The graph Laplacian ``D - W`` of the 4-neighbour grid of an image, as a CSR array (row-major pixels)."""
    index = np.arange(height * width).reshape(height, width)
    pairs = [(index[:, :-1].ravel(), index[:, 1:].ravel()), (index[:-1, :].ravel(), index[1:, :].ravel())]
    rows = np.concatenate([a for a, b in pairs] + [b for a, b in pairs])
    cols = np.concatenate([b for a, b in pairs] + [a for a, b in pairs])
    W = sparse.csr_array((np.ones(rows.size), (rows, cols)), shape=(height * width,) * 2)
    return (sparse.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W).tocsr()


def heat_kernel_weights(Y, height, width):
    """The edges ``(rows, cols)`` of the 4-neighbour grid (rows of the image first) and their heat-kernel weights."""
    index = np.arange(height * width).reshape(height, width)
    rows = np.concatenate([index[:, :-1].ravel(), index[:-1, :].ravel()])
    cols = np.concatenate([index[:, 1:].ravel(), index[1:, :].ravel()])
    if rows.size == 0:
        return rows, cols, np.zeros(0)
    # ||y_i - y_j||^2 = ||y_i||^2 + ||y_j||^2 - 2 y_i.y_j, products over views of the cube: no edges x bands copy
    cube = Y.reshape(height, width, -1)
    norms = np.einsum("ij,ij->i", Y, Y, dtype=np.float64)
    products = np.concatenate([np.einsum("hwl,hwl->hw", cube[:, :-1], cube[:, 1:], dtype=np.float64).ravel(),
                               np.einsum("hwl,hwl->hw", cube[:-1, :], cube[1:, :], dtype=np.float64).ravel()])
    distance = np.maximum(norms[rows] + norms[cols] - 2.0 * products, 0.0)
    spread = float(distance.mean())
    weight = np.exp(-distance / spread) if spread > 0 else np.ones_like(distance)
    return rows, cols, weight


def heat_kernel_laplacian(Y, height, width):
    """The 4-neighbour grid Laplacian with heat-kernel weights ``exp(-||y_i - y_j||^2 / s)``, ``s`` their mean.

    Neighbours across a material boundary (spectrally far apart) are coupled less (SS-NMF's weights).
    """
    rows, cols, weight = heat_kernel_weights(Y, height, width)
    if rows.size == 0:
        return sparse.csr_array((height * width,) * 2)
    W = sparse.csr_array((np.concatenate([weight, weight]), (np.concatenate([rows, cols]), np.concatenate([cols, rows]))),
                         shape=(height * width,) * 2)
    return (sparse.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W).tocsr()


def laplacian_of(Y, image, *, heat_kernel):
    """The grid Laplacian of a cube's pixels ``Y``: SciPy CSR for NumPy, else a stencil in ``Y``'s namespace.

    ``heat_kernel`` weighs the edges by spectral similarity (computed on the host), else all ones.
    """
    xp = namespace(Y=Y)
    if is_host(xp):
        return heat_kernel_laplacian(Y, *image) if heat_kernel else grid_laplacian(*image)
    height, width = image
    if heat_kernel:
        weights = xp.asarray(heat_kernel_weights(host(Y), height, width)[2])
    else:
        weights = xp.ones(height * (width - 1) + (height - 1) * width, dtype=xp.float64)
    return GridLaplacian.from_edges(weights, height, width, xp)


def lp_penalty(lam, p, guidance=None, eps=1e-2):
    """``penalty(A)`` for ``lam * sum_n h_n sum_k (a_nk + eps)^p``: its tangent's slope at ``A`` and its value.

    ``guidance(A) -> h`` gives the per-pixel weights (all ones when None). The tangent majorises the
    concave term (``p <= 1``); ``eps`` keeps the slope at a zero abundance finite.
    """

    def penalty(A):
        xp = namespace(A=A)
        h = xp.ones(A.shape[0], dtype=xp.float64) if guidance is None else guidance(A)
        shifted = A + eps
        return lam * p * h[:, None] * shifted ** (p - 1.0), lam * float(h @ xp.sum(shifted**p, axis=1))

    return penalty


def prepare(Y, n_endmembers):
    """Pixels (2-D, non-negative, finite), the image shape or None, and the power-of-two exponent to unit scale."""
    Y2, image = check_pixels(Y, allow_negative=False)
    if n_endmembers > Y2.shape[1]:
        raise ValueError(f"n_endmembers={n_endmembers} exceeds the number of bands of Y ({Y2.shape[1]}).")
    if n_endmembers > Y2.shape[0]:
        raise ValueError(f"n_endmembers={n_endmembers} exceeds the number of pixels of Y ({Y2.shape[0]}).")
    return Y2, image, unit_exponent_of(Y2, namespace(Y=Y2), margin=4)


def initial_factors(Y, n_endmembers, init, random_state, sum_to_one):
    """Starting endmembers (from SPA, VCA, N-FINDR or the given array) and their FCLS (or NNLS) abundances.

    The extraction runs on the host (a NumPy copy of ``Y`` off NumPy); the FCLS in ``Y``'s namespace.
    """
    xp = namespace(Y=Y)
    if isinstance(init, str):
        if init not in ("spa", "vca", "nfindr"):
            raise ValueError(f"init must be 'spa', 'vca', 'nfindr' or an array of endmembers; got {init!r}.")
        Yh = host(Y)
        extract = {"spa": lambda: spa(Yh, n_endmembers),
                   "vca": lambda: vca(Yh, n_endmembers, random_state=random_state),
                   "nfindr": lambda: nfindr(Yh, n_endmembers)}[init]
        E = np.asarray(extract().endmembers, dtype=np.float64)
    else:
        E = np.asarray(host(init), dtype=np.float64)
        if E.ndim != 2 or E.shape != (n_endmembers, Y.shape[1]):
            raise ValueError(f"init must be an array of shape (n_endmembers, n_bands) = {(n_endmembers, Y.shape[1])}; "
                             f"got shape {E.shape}.")
        if not np.isfinite(E).all() or E.min() < 0:
            raise ValueError("init must hold finite, non-negative endmember spectra.")
    if not is_host(xp):
        E = xp.asarray(E)
    B = Y @ _as_dtype(E.T, Y.dtype, xp)
    A = solve_block(E @ E.T, B, xp.full(B.shape, -1.0, dtype=xp.float64), sum_to_one=sum_to_one, xp=xp)
    return E, A


def _as_dtype(X, dtype, xp):
    return X.astype(dtype, copy=False) if is_host(xp) else xp.astype(X, dtype, copy=False)


def solve_block(G, B, X, *, sum_to_one, xp):
    """One exact block update: the compiled active-set kernel on NumPy, its batched twin in any other namespace."""
    if is_host(xp):
        return solve_constrained(G, B, X, sum_to_one=sum_to_one, max_iter=_QP_STEPS, tol=1e-12)[0]
    return batched_active_set(G, B, X, sum_to_one, _QP_STEPS, 1e-12, xp)[0]


def band_residuals(yy, AY, AA, E, xp=np):
    """``||y_l - A m_l||^2`` for every band ``l``, from ``||y_l||^2``, ``A^T Y`` and ``A^T A`` (clipped at zero)."""
    r2 = yy - 2.0 * column_dots(AY, E, xp) + column_dots(E, AA @ E, xp)
    return np.maximum(r2, 0.0) if is_host(xp) else xp.clip(r2, min=0.0)


def run_unmixing(Y, E, A, *, weigh, penalty=None, laplacian=None, spatial=0.0, sum_to_one, max_iter, tol,
                 callback, verbose, caller):
    """Alternate the two exact block updates of the majorised objective until the endmembers settle.

    Stops when ``||M_new - M||_F <= tol ||M||_F`` after an endmember update (``converged``), when
    ``max_iter`` iterations have run (``status=1``) or when ``callback`` asks to stop (``status=2``).

    Parameters
    ----------
    Y : array of shape (n_pixels, n_bands)
        Pixels (float32 or float64), near unit scale: NumPy (numba kernel), or CuPy / any array-API
        array (batched active set, in that namespace).
    E, A : array
        Starting endmembers (n_endmembers, n_bands) and abundances (n_pixels, n_endmembers), float64,
        in ``Y``'s namespace.
    weigh : callable
        ``weigh(r2) -> (band_weights, objective_of_fit)`` from the band residuals ``r2``.
    penalty : callable, optional
        ``penalty(A) -> (linear_term, value)``: the gradient of the majoriser of an abundance penalty at
        ``A`` (n_pixels, n_endmembers) and the penalty's value.
    laplacian : sparse array or GridLaplacian, optional
        Graph Laplacian of the pixels (:func:`laplacian_of`); adds ``beta / 2 * tr(A^T L A)``, majorised
        with the curvature bound ``c = max row sum of |L|`` so that every pixel keeps the shared Gram matrix.
    spatial : float
        Weight of the Laplacian term relative to the data term: ``beta = spatial * trace(G_1) / p``
        with ``G_1`` the first abundance update's (weighted) Gram matrix.
    sum_to_one : bool
        Abundance rows on the simplex (else only non-negative).
    max_iter : int
        Iterations (one abundance and one endmember update each).
    tol : float
        Relative change of the endmembers that ends the run.
    callback : callable or None
        ``callback(state)`` with a Result holding ``n_iter``, ``endmembers``, ``objective``.
    verbose : int
        Logging level of the run.
    caller : str
        Public name, for the end of the run.

    Returns
    -------
    Result
        ``endmembers``, ``abundances``, ``band_weights``, ``objective`` (history), ``n_iter``, and the
        end-of-run fields.
    """
    xp = namespace(Y=Y)
    yy = column_square_norms(Y, xp)
    AY = A.T @ Y
    AA = A.T @ A
    p = E.shape[0]
    curvature = 0.0
    if laplacian is not None and spatial > 0:
        curvature = laplacian.curvature() if isinstance(laplacian, GridLaplacian) else \
            float(abs(laplacian).sum(axis=1).max())
    beta = None
    history, status, message = [], 1, f"endmembers still changing after max_iter={max_iter} iterations"
    with IterationMonitor(caller, total=max_iter, verbose=verbose, callback=callback) as monitor:
        for iteration in range(1, max_iter + 1):
            weights, fit = weigh(band_residuals(yy, AY, AA, E, xp))
            Ew = E * weights
            B = Y @ _as_dtype(Ew.T, Y.dtype, xp)
            G = Ew @ E.T
            extra = 0.0
            if penalty is not None:
                linear, value = penalty(A)
                B = B - linear
                extra += value
            if curvature:
                if beta is None:  # dimensionless ``spatial``: relative to the data term's curvature at the start
                    beta = spatial * _trace(G, xp) / p
                LA = laplacian @ A
                extra += 0.5 * beta * (float(np.einsum("ij,ij->", A, LA)) if is_host(xp) else float(xp.sum(A * LA)))
                B = B + beta * (curvature * A - LA)
                G = G + beta * curvature * xp.eye(p, dtype=xp.float64)
            history.append(fit + extra)
            A = solve_block(G, B, A, sum_to_one=sum_to_one, xp=xp)
            AY = A.T @ Y
            AA = A.T @ A
            Mt = solve_block(AA, AY.T, E.T, sum_to_one=False, xp=xp)
            change, size = _norm(Mt.T - E, xp), _norm(E, xp)
            E = np.ascontiguousarray(Mt.T) if is_host(xp) else Mt.T
            state = Result(n_iter=iteration, endmembers=E, objective=history[-1]) if callback else None
            if monitor.update(state, objective=history[-1], change=change / size if size else change):
                status, message = 2, "stopped by the callback"
                break
            if change <= tol * size:
                status, message = 0, f"relative change of the endmembers below tol={tol}"
                break
    weights, fit = weigh(band_residuals(yy, AY, AA, E, xp))
    result = Result(endmembers=E, abundances=A, band_weights=weights, objective=np.asarray(history),
                    n_iter=iteration)
    return end_run(result, caller=caller, status=status, message=message)


def _trace(G, xp):
    return float(np.trace(G)) if is_host(xp) else sum(float(G[i, i]) for i in range(G.shape[0]))


def _norm(X, xp):
    return float(np.linalg.norm(X)) if is_host(xp) else float(xp.linalg.vector_norm(X))


def finish(result, Y2, image, exponent, dtype):
    """Undo the power-of-two scaling, restore the image shape and the input's precision."""
    xp = namespace(Y=Y2)
    result.endmembers = _as_dtype(times_two_to(result.endmembers, -exponent, xp), dtype, xp)
    A = _as_dtype(result.abundances, dtype, xp)
    result.abundances = xp.reshape(A, (*image, A.shape[1])) if image is not None else A
    return result


def scaled(Y2, exponent):
    """``Y2 * 2**exponent`` (no copy when the exponent is zero)."""
    return times_two_to(Y2, exponent, namespace(Y=Y2))
