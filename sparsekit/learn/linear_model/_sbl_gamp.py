"""GGAMP-SBL: sparse Bayesian learning with a damped Gaussian GAMP E-step (Al-Shoukairi et al. 2018).

Each EM iteration runs warm-started, damped GAMP instead of factorising a
matrix, so the cost per iteration is a few products with ``A``; divergence is
caught and the iteration restarted with half the damping.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import linalg, sparse

from ..._core.params import Interval, Options, validate_params
from ..._core.progress import IterationMonitor
from ..._core.validation import check_array
from ._sbl_run import (
    SBL_CONSTRAINTS,
    _check_design_and_targets,
    _em_noise_update,
    _finish,
    _History,
    _initial_hyperparameters,
    _noise_floor,
    _Normalised,
    _prune_mask,
    _record_iteration,
    _relative_change,
    _status,
)

__all__ = ["gamp_damping", "ggamp_sbl"]

#: Constraints of :func:`ggamp_sbl`'s options.
GAMP_CONSTRAINTS = {
    **SBL_CONSTRAINTS,
    "damping": [Options({"auto"}), Interval(Real, 0, 1, closed="right")],
    "max_inner": [Interval(Integral, 1, None, closed="left")],
    "inner_tol": [Interval(Real, 0, None, closed="left")],
}
#: Status of a GGAMP-SBL run whose GAMP kept diverging down to the smallest damping.
STATUS_DIVERGED = -1


def gamp_damping(A):
    """Damping factor of GGAMP-SBL chosen from the matrix, as in Al-Shoukairi et al.

    The positive root of ``1.1 (M N ||A||_2^2 / ||A||_F^2) t^2 + 2 (N - M) t - 4 N = 0``
    for an ``M x N`` matrix, capped at 1: close to 1 for iid Gaussian
    matrices, smaller as the spectrum spreads (ill-conditioned or
    column-correlated matrices).

    Parameters
    ----------
    A : array-like or sparse array of shape (M, N)
        The (column-normalised) measurement matrix.

    Returns
    -------
    float
        Damping factor in (0, 1]; 1 for a zero matrix.

    Raises
    ------
    ValueError
        If ``A`` is not a finite, non-empty 2-D array.
    TypeError
        If ``A`` is complex or not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import gamp_damping
    >>> A = np.random.default_rng(0).standard_normal((500, 1000)) / np.sqrt(500)
    >>> round(gamp_damping(A), 2)
    0.98
    """
    return _gamp_damping(check_array(A, "A", ndim=2, accept_sparse=("csc", "csr"), dtype=np.float64))


def _gamp_damping(A):
    """:func:`gamp_damping` of a checked dense or sparse float64 matrix (possibly with no columns)."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    # the rule depends on ||A||_2 / ||A||_F only: scale A to a unit peak so neither norm overflows
    peak = float(abs(A).max()) if min(A.shape) else 0.0
    if peak == 0.0:
        return 1.0
    A = A / peak
    rows, cols = A.shape
    frobenius2 = float(A.multiply(A).sum()) if sparse.issparse(A) else float(np.sum(A**2))
    if min(rows, cols) > 64:
        gram = LinearOperator((cols, cols), matvec=lambda v: A.T @ (A @ v), dtype=np.float64)
        spectral2 = float(eigsh(gram, k=1, which="LA", tol=1e-3, v0=np.ones(cols), return_eigenvectors=False)[0])
    elif sparse.issparse(A):  # the small Gram matrix is made dense, never A itself
        spectral2 = float(linalg.eigvalsh((A @ A.T if rows <= cols else A.T @ A).toarray())[-1])
    else:
        spectral2 = float(linalg.svdvals(A)[0] ** 2)
    a = 1.1 * rows * cols * spectral2 / frobenius2
    b = 2.0 * (cols - rows)
    c = 4.0 * cols
    root = (-b + math.sqrt(b * b + 4.0 * a * c)) / (2.0 * a)
    return float(min(1.0, root))


#: A GAMP residual larger than this multiple of ``||y||`` is taken as divergence.
DIVERGENCE_FACTOR = 10.0
_MIN_DAMPING = 1e-3


@validate_params(GAMP_CONSTRAINTS)
def ggamp_sbl(A, y, *, max_iter=1000, tol=1e-5, damping="auto", max_inner=50, inner_tol=1e-4, prune_threshold=1e-3,
              noise_variance=None, covariance="auto", callback=None, verbose=0, progress=False):
    """GGAMP-SBL: sparse Bayesian learning with a damped Gaussian GAMP E-step.

    Parameters
    ----------
    A : array-like or sparse array of shape (n_samples, n_features)
        Measurement matrix; a sparse one (any format) stays sparse: GAMP
        uses it through products only.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Measurements; several columns share ``gamma`` (MMV with a common support).
    max_iter : int, default=1000
        Maximum number of EM (outer) iterations.
    tol : float, default=1e-5
        Stopping tolerance on the relative change of the estimate between EM
        iterations.
    damping : "auto" or float in (0, 1], default="auto"
        Damping factor of the GAMP means; ``"auto"`` uses :func:`gamp_damping`.
    max_inner : int, default=50
        Maximum GAMP iterations per EM iteration (warm-started).
    inner_tol : float, default=1e-4
        A GAMP E-step stops once the relative change of its estimate is at
        most ``inner_tol``.
    prune_threshold : float in [0, 1), default=1e-3
        Features with ``gamma_i <= prune_threshold * max(max(gamma),
        noise_variance)`` are removed for good, after E-steps that reached
        ``inner_tol`` only.
    noise_variance : float, optional
        Known noise variance; estimated by EM when None.
    covariance : {"auto", "full", "diag"}, default="auto"
        Posterior covariance returned for the active features (computed once,
        exactly, at the final hyperparameters).
    callback : callable, optional
        ``callback(xk)`` after each EM iteration, with ``xk`` the current
        coefficients in the caller's units; returning True (or raising
        StopIteration) stops the run (status 2, no warning).
    verbose : bool or int, default=0
        Log progress.
    progress : bool, default=False
        Show a tqdm progress bar.

    Returns
    -------
    Result
        As :func:`sbl_mackay`, plus ``damping`` (the factor finally used),
        ``n_restarts`` (divergences caught and recovered from by halving the
        damping) and ``n_inner`` (total GAMP iterations). ``status`` is -1 if
        GAMP kept diverging down to a damping of 1e-3.

    Raises
    ------
    ValueError
        If ``A`` or ``y`` contain NaN or infinity, or their numbers of rows differ.

    Notes
    -----
    Each EM iteration runs up to ``max_inner`` iterations of Gaussian GAMP
    (variance form, ``S = A o A``)::

        nu_p = S nu_x;           p = A x - nu_p s
        nu_s = 1 / (nu_p + noise);  s <- (1 - t) s + t (y - p) nu_s
        nu_r = 1 / (S^T nu_s);   r = x + nu_r A^T s
        nu_x = gamma nu_r / (gamma + nu_r);  x <- (1 - t) x + t gamma r / (gamma + nu_r)

    then the EM M-step ``gamma = x^2 + nu_x``, ``noise = (||y - A x||^2 + noise
    sum(1 - nu_x / gamma_old)) / n``. Each GAMP iteration costs four products
    with ``A`` or ``S`` instead of a factorisation. Damped Gaussian GAMP
    converges for a small enough damping ``t`` (Al-Shoukairi et al., 2018);
    the default ``t`` follows their rule (:func:`gamp_damping`). Divergence
    (non-finite values, or a residual above ``DIVERGENCE_FACTOR * ||y||``) is
    detected at every GAMP iteration; the EM iteration is then restarted from
    its saved state with half the damping.

    ``sigma`` is the exact posterior covariance at the final hyperparameters
    (one Cholesky factorisation of the small final problem), not GAMP's
    approximate variances.

    Stopping rule: ``||x_k - x_{k-1}||_F <= tol ||x_k||_F`` between EM
    iterations, or ``max_iter`` EM iterations (then a
    :class:`~sparsekit.ConvergenceWarning`).

    References
    ----------
    .. [1] M. Al-Shoukairi, P. Schniter and B. D. Rao, "A GAMP-based low
       complexity sparse Bayesian learning algorithm", IEEE Trans. Signal
       Process. 66(2), 2018.
    .. [2] S. Rangan, P. Schniter and A. K. Fletcher, "On the convergence of
       approximate message passing with arbitrary matrices", ISIT 2014.

    Examples
    --------
    >>> from sparsekit.datasets import make_sparse_regression
    >>> from sparsekit.learn.linear_model import ggamp_sbl
    >>> A, y, coef, _ = make_sparse_regression(100, 200, 5, snr_db=30, random_state=0)
    >>> res = ggamp_sbl(A, y)
    >>> bool(res.converged), bool(((res.x - coef) ** 2).sum() < 0.01 * (coef ** 2).sum())
    (True, True)
    """
    name = "ggamp_sbl"
    A, Y, single_target = _check_design_and_targets(A, y)
    n_samples, n_features = A.shape
    n_targets = Y.shape[1]
    normalised = _Normalised(A, Y)
    A_active, Y = normalised.matrix, normalised.targets
    noise_variance = normalised.noise_in_units(noise_variance)
    squared = A_active.multiply(A_active).tocsc() if sparse.issparse(A_active) else A_active**2
    theta = _gamp_damping(A_active) if damping == "auto" else float(damping)
    gamma0, noise0 = _initial_hyperparameters(Y, A_active.shape[1])
    learn_noise = noise_variance is None
    floor = _noise_floor(Y)
    noise = max(noise0 if learn_noise else float(noise_variance), floor)
    gamma = np.full(A_active.shape[1], gamma0)
    x = np.zeros((A_active.shape[1], n_targets))
    nu_x = gamma.copy()
    s = np.zeros((n_samples, n_targets))
    divergence_level = DIVERGENCE_FACTOR * math.sqrt(float(np.sum(Y**2)))
    history = _History()
    converged = stopped = failed = False
    n_iter = n_inner = n_restarts = 0
    if gamma0 == 0.0:
        A_active = normalised.keep(np.zeros(gamma.size, dtype=bool))
        gamma, x, converged = gamma[:0], x[:0], True
    with IterationMonitor(name, total=max_iter, verbose=verbose, progress=progress, callback=callback) as monitor:
        while gamma.size and n_iter < max_iter:
            n_iter += 1
            saved = (x, s, nu_x, noise)
            x_outer = x
            diverged = False
            inner_converged = False
            for _ in range(max_inner):
                n_inner += 1
                nu_p = squared @ nu_x
                Ax = A_active @ x
                residual = Y - Ax
                if not math.isfinite(float(np.sum(x))) or math.sqrt(float(np.sum(residual**2))) > divergence_level:
                    diverged = True
                    break
                nu_s = 1.0 / (nu_p + noise)
                s = (1.0 - theta) * s + theta * (residual + nu_p[:, None] * s) * nu_s[:, None]
                nu_r = 1.0 / (squared.T @ nu_s)
                shrink = gamma / (gamma + nu_r)
                nu_x = shrink * nu_r
                x_previous = x
                x = (1.0 - theta) * x + theta * shrink[:, None] * (x + nu_r[:, None] * (A_active.T @ s))
                if _relative_change(x, x_previous) <= inner_tol:
                    inner_converged = True
                    break
            if diverged or not math.isfinite(float(np.sum(x))):
                x, s, nu_x, noise = saved
                theta *= 0.5
                n_restarts += 1
                if theta < _MIN_DAMPING:
                    failed = True
                    break
                continue
            gamma_old = gamma
            well_determined = 1.0 - nu_x / gamma_old
            gamma = np.mean(x**2, axis=1) + nu_x
            if learn_noise:
                residual_energy = float(np.sum((Y - A_active @ x) ** 2)) / n_targets
                noise = _em_noise_update(residual_energy, noise, float(np.sum(well_determined)), n_samples, floor)
            change = _relative_change(x, x_outer)
            # pruning is permanent, so it only acts on an E-step that GAMP has solved to inner_tol
            keep = _prune_mask(gamma, noise, prune_threshold) if inner_converged else np.ones(gamma.size, dtype=bool)
            if not keep.all():
                A_active = normalised.keep(keep)
                squared = squared[:, keep]
                gamma, x, nu_x = gamma[keep], x[keep], nu_x[keep]
            stopped = _record_iteration(monitor, history, change, noise, normalised, x, single_target,
                                        n_features if callback is not None else None)
            if change <= tol or not gamma.size:
                converged = True
                break
            if stopped:
                break
        if failed:
            status, message = STATUS_DIVERGED, f"GAMP diverged even with damping below {_MIN_DAMPING:g}"
        else:
            status, message = _status(converged, stopped, n_iter, max_iter)
        monitor.close(message)
    return _finish(name, normalised, n_features, Y, gamma, noise, mean=x, covariance=covariance,
                   single_target=single_target, status=status, message=message, n_iter=n_iter,
                   history=history.record,
                   extra={"damping": theta, "n_restarts": n_restarts, "n_inner": n_inner})

