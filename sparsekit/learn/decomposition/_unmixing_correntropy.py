"""Correntropy NMF unmixing (CENMF): band-wise correntropy by half-quadratic re-weighting."""

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
from ._unmixing_xp import column_square_norms, namespace

__all__ = ["CorrentropyNMF", "correntropy_nmf"]

_CORRENTROPY_CONSTRAINTS = {
    **COMMON_CONSTRAINTS,
    "sigma": [Interval(Real, 0, None, closed="neither"), None],
    "alpha": [Interval(Real, 0, None, closed="left")],
}


@validate_params(_CORRENTROPY_CONSTRAINTS)
def correntropy_nmf(Y, n_endmembers, *, sigma=None, alpha=0.0, sum_to_one=True, spatial=0.0, init="spa",
                    max_iter=200, tol=1e-4, random_state=None, callback=None, verbose=0):
    """Unmix by maximising the band-wise correntropy of the fit: corrupted bands lose their say.

    Minimises ``sum_l sigma^2 (1 - exp(-||y_l - A m_l||^2 / (2 sigma^2)))
    + lam * sum_nk (a_nk + 0.01)^(1/2) + beta / 2 * tr(A^T L A)`` over
    ``M >= 0`` and ``A >= 0`` (rows summing to one with ``sum_to_one``).

    Parameters
    ----------
    Y : array-like of shape (n_pixels, n_bands) or (height, width, n_bands)
        Non-negative pixels, or an image cube. NumPy, or CuPy (any
        array-API array) to run on its device (see Notes).
    n_endmembers : int
        Number of endmembers.
    sigma : float > 0, optional
        Kernel width, in the units of a band's residual norm ``||y_l - A m_l||``.
        When None it adapts at each iteration: ``sigma^2`` is the mean of
        the squared band residuals.
    alpha : float >= 0, default=0.0
        Weight of the l_1/2 abundance sparsity, relative to the mean
        per-pixel loss at the start.
    sum_to_one : bool, default=True
        Constrain each pixel's abundances to sum to one (exactly).
    spatial : float >= 0, default=0.0
        Grid-Laplacian smoothness of the abundance maps, relative to the data
        term's curvature at the start (cube input only).
    init : {"spa", "vca", "nfindr"} or array-like of shape (n_endmembers, n_bands), default="spa"
        Starting endmembers; the starting abundances are their FCLS.
    max_iter : int, default=200
        Iterations.
    tol : float >= 0, default=1e-4
        Stop when ``||M_new - M||_F <= tol ||M||_F``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of VCA's directions.
    callback : callable, optional
        ``callback(state)`` after each iteration (Result with ``n_iter``,
        ``endmembers``, ``objective``); returning True stops.
    verbose : bool or int, default=0
        Log progress.

    Returns
    -------
    Result
        ``endmembers``, ``abundances``, ``band_weights`` (the half-quadratic
        weights ``exp(-r_l^2 / (2 sigma^2))`` in [0, 1]: near 0 for corrupted
        bands), ``sigma`` (final kernel width), ``objective`` (history),
        ``n_iter``, ``converged``, ``status``, ``message``.

    Raises
    ------
    ValueError
        For negative, non-finite or wrongly shaped ``Y``, or more endmembers
        than bands or pixels.

    Notes
    -----
    From the paper (Wang, Pan, Xiang, Zhu, "Robust hyperspectral unmixing
    with correntropy-based metric", IEEE TIP 2015, arXiv 1305.7311): the
    band-wise correntropy objective and its half-quadratic solution, band
    weights ``w_l = exp(-||r_l||^2 / (2 sigma^2))`` then a weighted NMF.
    Derived here: the weighted problem is solved by exact block updates
    (FCLS active set with weighted Gram ``E diag(w) E^T`` for all pixels,
    NNLS for all bands, where the weights drop out) instead of
    multiplicative updates, so sum-to-one is exact and abundances are never
    negative; the sparsity prior is l_1/2 (l_1 is a constant on the
    simplex), majorised by its tangent. My choice where the paper is
    unclear: the adaptive width ``sigma^2 = mean_l ||r_l||^2``, a
    Silverman-like rule that keeps clean bands near weight ``exp(-1/2)``;
    with it the objective moves with ``sigma``, so the stopping rule is on
    the endmembers.

    Where it runs: NumPy input (float32 or float64) takes the compiled
    active-set kernel (numba) for both block updates and a SciPy sparse
    Laplacian. CuPy input (or any other array-API array) runs the same
    iterations in its namespace, on its device: the half-quadratic band
    weights and the l_1/2 tangent as array expressions, both block updates
    by a batched form of the same active-set method (every pixel, then every
    band, advanced together; it takes the kernel's steps, to rounding), the
    Laplacian as a stencil on the image grid. Only the start's endmember
    extraction runs on a host copy of the pixels (once). The result's arrays
    come back in the input's namespace and dtype. The estimator works on
    NumPy arrays.

    Examples
    --------
    >>> from sparsekit.datasets import make_hyperspectral
    >>> from sparsekit.learn.decomposition import correntropy_nmf
    >>> cube, E, A, bad = make_hyperspectral(30, 30, 60, 3, n_outlier_bands=5, return_outlier_bands=True,
    ...                                      random_state=0)
    >>> result = correntropy_nmf(cube, 3)
    >>> bool(result.converged), bool(result.band_weights[bad].max() < result.band_weights.mean())
    (True, True)
    """
    Y2, image, exponent = prepare(Y, n_endmembers)
    work = scaled(Y2, exponent)
    E, A = initial_factors(work, n_endmembers, init, random_state, sum_to_one)
    laplacian = laplacian_of(work, image, heat_kernel=False) if image is not None and spatial > 0 else None
    xp = namespace(Y=work)
    widths = []
    fixed = None if sigma is None else float(np.ldexp(sigma, exponent))  # in the units of the rescaled pixels

    def weigh(r2):
        square = fixed**2 if fixed is not None else max(float(xp.mean(r2)), np.finfo(np.float64).tiny)
        widths.append(np.sqrt(square))
        return xp.exp(-r2 / (2.0 * square)), float(square * xp.sum(-xp.expm1(-r2 / (2.0 * square))))

    penalty = None
    if alpha > 0:
        yy = column_square_norms(work, xp)
        loss0 = weigh(band_residuals(yy, A.T @ work, A.T @ A, E, xp))[1]
        penalty = lp_penalty(alpha * loss0 / work.shape[0], 0.5)
    result = run_unmixing(work, E, A, weigh=weigh, penalty=penalty, laplacian=laplacian, spatial=spatial,
                          sum_to_one=sum_to_one, max_iter=max_iter, tol=tol, callback=callback, verbose=verbose,
                          caller="correntropy_nmf")
    result.sigma = float(np.ldexp(widths[-1], -exponent))
    return finish(result, Y2, image, exponent, Y2.dtype)


class CorrentropyNMF(UnmixingMixin):
    """Correntropy NMF unmixing (CENMF): half-quadratic band weights, exact sum-to-one, optional sparsity.

    The estimator face of :func:`correntropy_nmf`; ``band_weights_`` shows
    which bands the model trusted, and ``transform`` uses them (weighted FCLS).

    Parameters
    ----------
    n_components : int, default=3
        Number of endmembers.
    sigma : float > 0, optional
        Kernel width; adaptive when None (see :func:`correntropy_nmf`).
    alpha : float >= 0, default=0.0
        Weight of the l_1/2 sparsity.
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
        Final half-quadratic band weights in [0, 1].
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
    correntropy_nmf : The solver.
    RobustSparseNMF, StructuredSparseNMF : The other unmixing NMFs.

    Examples
    --------
    >>> from sparsekit.datasets import make_hyperspectral
    >>> from sparsekit.learn.decomposition import CorrentropyNMF
    >>> cube, E, A = make_hyperspectral(30, 30, 60, 3, n_outlier_bands=5, random_state=0)
    >>> model = CorrentropyNMF(3).fit(cube)
    >>> model.components_.shape, model.band_weights_.shape
    ((3, 60), (60,))
    """

    _parameter_constraints = {
        "n_components": [_CORRENTROPY_CONSTRAINTS["n_endmembers"][0]],
        **{k: v for k, v in _CORRENTROPY_CONSTRAINTS.items() if k not in ("n_endmembers", "callback")},
    }
    _solver = staticmethod(correntropy_nmf)

    def __init__(self, n_components=3, *, sigma=None, alpha=0.0, sum_to_one=True, spatial=0.0, init="spa",
                 max_iter=200, tol=1e-4, random_state=None, verbose=0):
        self.n_components = n_components
        self.sigma = sigma
        self.alpha = alpha
        self.sum_to_one = sum_to_one
        self.spatial = spatial
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    def _solver_options(self):
        return dict(sigma=self.sigma, alpha=self.alpha, sum_to_one=self.sum_to_one, spatial=self.spatial,
                    init=self.init, max_iter=self.max_iter, tol=self.tol, random_state=self.random_state,
                    verbose=self.verbose)
