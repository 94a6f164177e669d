"""Robust NMF unmixing with an l2,1 (channel-robust) loss and a learned l_p sparsity guidance map (RRLbS)."""

import math
from numbers import Real

import numpy as np

from ..._core.params import Interval, validate_params
from ._unmixing_estimator import UnmixingMixin
from ._unmixing_loop import (
    COMMON_CONSTRAINTS,
    band_residuals,
    finish,
    initial_factors,
    laplacian_of,
    lp_penalty,
    prepare,
    run_unmixing,
    scaled,
)
from ._unmixing_xp import column_square_norms, is_host, namespace, row_dots

__all__ = ["RobustSparseNMF", "robust_sparse_nmf"]


def guidance_map(A, laplacian=None):
    """The per-pixel sparsity weight ``h_n = 1 - entropy(a_n) / log(p)``, averaged with the grid neighbours.

    Near 1 for a nearly pure pixel (push it to a vertex), near 0 for an evenly mixed one (leave it mixed).
    """
    xp = namespace(A=A)
    p = A.shape[1]
    if p == 1:
        return xp.ones(A.shape[0], dtype=xp.float64)
    safe = np.clip(A, 1e-300, None) if is_host(xp) else xp.clip(A, min=1e-300)
    h = 1.0 + row_dots(A, xp.log(safe), xp) / math.log(p)
    h = np.clip(h, 0.0, 1.0) if is_host(xp) else xp.clip(h, min=0.0, max=1.0)
    if laplacian is not None:
        degree = laplacian.diagonal()
        h = (h + (degree * h - laplacian @ h)) / (1.0 + degree)
    return h


_ROBUST_CONSTRAINTS = {
    **COMMON_CONSTRAINTS,
    "alpha": [Interval(Real, 0, None, closed="left")],
    "p": [Interval(Real, 0, 1, closed="right")],
}


@validate_params(_ROBUST_CONSTRAINTS)
def robust_sparse_nmf(Y, n_endmembers, *, alpha=0.0, p=0.5, sum_to_one=True, spatial=0.0, init="spa", max_iter=200,
                      tol=1e-4, random_state=None, callback=None, verbose=0):
    """Unmix with an l2,1 loss over bands (outlier bands cost their norm, not its square) and l_p sparsity.

    Minimises ``sum_l ||y_l - A m_l||_2 + lam * sum_n h_n sum_k (a_nk + 0.01)^p
    + beta / 2 * tr(A^T L A)`` over ``M >= 0`` and ``A >= 0`` (rows summing
    to one with ``sum_to_one``), ``y_l`` the image in band ``l``.

    Parameters
    ----------
    Y : array-like of shape (n_pixels, n_bands) or (height, width, n_bands)
        Non-negative pixels, or an image cube. NumPy, or CuPy (any
        array-API array) to run on its device (see Notes).
    n_endmembers : int
        Number of endmembers.
    alpha : float >= 0, default=0.0
        Weight of the sparsity term, relative to the mean per-pixel loss at
        the start (``lam = alpha * loss_0 / n_pixels``).
    p : float in (0, 1], default=0.5
        Exponent of the sparsity term (1 is l1, a constant on the simplex).
    sum_to_one : bool, default=True
        Constrain each pixel's abundances to sum to one (exactly).
    spatial : float >= 0, default=0.0
        Weight of the graph-Laplacian smoothness of the abundance maps,
        relative to the data term's curvature at the start; used only for a
        cube, whose 4-neighbour grid defines ``L``.
    init : {"spa", "vca", "nfindr"} or array-like of shape (n_endmembers, n_bands), default="spa"
        Starting endmembers; the starting abundances are their FCLS.
    max_iter : int, default=200
        Iterations (one abundance and one endmember update each).
    tol : float >= 0, default=1e-4
        Stop when ``||M_new - M||_F <= tol ||M||_F``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of VCA's directions (other inits are deterministic).
    callback : callable, optional
        ``callback(state)`` after each iteration with a Result holding
        ``n_iter``, ``endmembers`` and ``objective``; returning True stops.
    verbose : bool or int, default=0
        Log progress.

    Returns
    -------
    Result
        ``endmembers`` (n_endmembers, n_bands); ``abundances`` (n_pixels,
        n_endmembers) or (height, width, n_endmembers); ``band_weights``
        (``1 / ||y_l - A m_l||``, small for outlier bands); ``guidance``
        (the map ``h``); ``objective`` (history); ``n_iter``, ``converged``,
        ``status``, ``message``.

    Raises
    ------
    ValueError
        For negative, non-finite or wrongly shaped ``Y``, or more endmembers
        than bands or pixels.

    Notes
    -----
    From the paper (Zhu, Wang, Fan, Meng, Pan, "Effective spectral unmixing
    via robust representation and learning-based sparsity", arXiv
    1409.0685): the l2,1 loss over channels and the per-pixel l_p sparsity
    weighted by a guidance map of each pixel's mixed level. Derived here,
    not the paper's updates: (1) the l2,1 loss is majorised by
    ``sum_l ||r_l||^2 / (2 ||r_l^0||) + const`` (band weights
    ``1/||r_l^0||``), the l_p term by its tangent at ``a + 0.01``, the
    Laplacian by a curvature bound; each majoriser is minimised *exactly*
    in each block (FCLS active set for all pixels, NNLS for all bands)
    rather than by multiplicative steps, so sum-to-one holds exactly and
    no abundance is ever negative. (2) My interpretation of the guidance
    map: ``h_n = 1 - entropy(a_n) / log p`` from the current abundances,
    averaged with the grid neighbours for a cube, so pixels that look pure
    are pushed to a vertex and mixed ones are left mixed. The stopping rule
    is on the endmembers (the guidance map moves the objective).

    Where it runs: NumPy input (float32 or float64) takes the compiled
    active-set kernel (numba) for both block updates and a SciPy sparse
    Laplacian. CuPy input (or any other array-API array) runs the same
    iterations in its namespace, on its device: the l2,1 band weights, the
    guidance map and the l_p tangent as array expressions, both block
    updates by a batched form of the same active-set method (every pixel,
    then every band, advanced together; it takes the kernel's steps, to
    rounding), the Laplacian as a stencil on the image grid. Only the
    start's endmember extraction runs on a host copy of the pixels (once).
    The result's arrays (``guidance`` too) come back in the input's
    namespace and dtype. The estimator works on NumPy arrays.

    Examples
    --------
    >>> from sparsekit.datasets import make_hyperspectral
    >>> from sparsekit.learn.decomposition import robust_sparse_nmf, spa, spectral_angle_distance
    >>> cube, E, A = make_hyperspectral(30, 30, 60, 3, n_outlier_bands=5, random_state=0)
    >>> result = robust_sparse_nmf(cube, 3)
    >>> bool(result.converged), result.abundances.shape
    (True, (30, 30, 3))
    >>> bool(spectral_angle_distance(E, result.endmembers) < spectral_angle_distance(E, spa(cube, 3).endmembers))
    True
    """
    Y2, image, exponent = prepare(Y, n_endmembers)
    work = scaled(Y2, exponent)
    E, A = initial_factors(work, n_endmembers, init, random_state, sum_to_one)
    laplacian = laplacian_of(work, image, heat_kernel=False) if image is not None and spatial > 0 else None
    xp = namespace(Y=work)
    floor = np.finfo(np.float64).tiny

    def weigh(r2):
        norms = xp.sqrt(r2)
        least = max(1e-8 * float(xp.max(norms)), floor)
        return 1.0 / (np.maximum(norms, least) if is_host(xp) else xp.clip(norms, min=least)), float(xp.sum(norms))

    penalty = None
    if alpha > 0:
        yy = column_square_norms(work, xp)
        loss0 = float(xp.sum(xp.sqrt(band_residuals(yy, A.T @ work, A.T @ A, E, xp))))
        grid = laplacian if laplacian is not None else (
            laplacian_of(work, image, heat_kernel=False) if image is not None else None)
        penalty = lp_penalty(alpha * loss0 / work.shape[0], p, lambda A: guidance_map(A, grid))

    result = run_unmixing(work, E, A, weigh=weigh, penalty=penalty, laplacian=laplacian, spatial=spatial,
                          sum_to_one=sum_to_one, max_iter=max_iter, tol=tol, callback=callback, verbose=verbose,
                          caller="robust_sparse_nmf")
    grid = laplacian_of(work, image, heat_kernel=False) if image is not None else None
    result.guidance = guidance_map(result.abundances, grid)
    if image is not None:
        result.guidance = xp.reshape(result.guidance, image)
    return finish(result, Y2, image, exponent, Y2.dtype)


class RobustSparseNMF(UnmixingMixin):
    """Robust sparse NMF unmixing: l2,1 loss over bands, exact sum-to-one, learned l_p sparsity (RRLbS).

    The estimator face of :func:`robust_sparse_nmf`: ``components_`` are the
    endmembers, ``transform`` gives abundances by FCLS weighted with the
    learned band weights (outlier bands count little).

    Parameters
    ----------
    n_components : int, default=3
        Number of endmembers.
    alpha : float >= 0, default=0.0
        Sparsity weight (see :func:`robust_sparse_nmf`).
    p : float in (0, 1], default=0.5
        Sparsity exponent.
    sum_to_one : bool, default=True
        Abundances on the simplex.
    spatial : float >= 0, default=0.0
        Grid-Laplacian smoothness weight (cube input only).
    init : {"spa", "vca", "nfindr"} or array-like, default="spa"
        Starting endmembers.
    max_iter : int, default=200
        Iterations.
    tol : float >= 0, default=1e-4
        Relative change of the endmembers that stops the run.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of VCA.
    verbose : bool or int, default=0
        Log progress.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Endmember spectra.
    n_components_ : int
        Number of endmembers.
    band_weights_ : ndarray of shape (n_features,)
        Final band weights ``1 / ||residual of band l||``.
    reconstruction_err_ : float
        Final objective.
    n_iter_ : int
        Iterations run.
    converged_ : bool
        Whether the stopping rule held.
    result_ : Result
        The solver's result.
    n_features_in_ : int
        Number of bands.
    feature_names_in_ : ndarray of str
        Band names, when ``X`` has them.

    See Also
    --------
    robust_sparse_nmf : The solver.
    CorrentropyNMF, StructuredSparseNMF : The other unmixing NMFs.
    sklearn.decomposition.NMF : No sum-to-one, no robust loss.

    Examples
    --------
    >>> from sparsekit.datasets import make_hyperspectral
    >>> from sparsekit.learn.decomposition import RobustSparseNMF
    >>> cube, E, A = make_hyperspectral(30, 30, 60, 3, n_outlier_bands=5, random_state=0)
    >>> model = RobustSparseNMF(3)
    >>> abundances = model.fit_transform(cube)
    >>> abundances.shape, model.components_.shape, bool(abundances.min() >= 0)
    ((30, 30, 3), (3, 60), True)
    """

    _parameter_constraints = {
        "n_components": [_ROBUST_CONSTRAINTS["n_endmembers"][0]],
        **{k: v for k, v in _ROBUST_CONSTRAINTS.items() if k not in ("n_endmembers", "callback")},
    }
    _solver = staticmethod(robust_sparse_nmf)

    def __init__(self, n_components=3, *, alpha=0.0, p=0.5, sum_to_one=True, spatial=0.0, init="spa", max_iter=200,
                 tol=1e-4, random_state=None, verbose=0):
        self.n_components = n_components
        self.alpha = alpha
        self.p = p
        self.sum_to_one = sum_to_one
        self.spatial = spatial
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    def _solver_options(self):
        return dict(alpha=self.alpha, p=self.p, sum_to_one=self.sum_to_one, spatial=self.spatial, init=self.init,
                    max_iter=self.max_iter, tol=self.tol, random_state=self.random_state, verbose=self.verbose)
