"""Fractional minimisation by coordinate descent (G. Yuan, ICML 2023), with a Dinkelbach baseline.

Two ratio problems: sparse recovery ``(1/2 ||G x - y||^2 + lam ||x||_1) / (lam topk(|x|))`` (:func:`fractional_cd`)
and the ``l4`` (kurtosis / ICA) ratio ``||x||^2 / ||A x||_4^2`` (:func:`fractional_l4_cd`).
"""

import math
import time
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from ..._core.params import Interval, Options, validate_params
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_STOPPED, Result, end_run
from ..._core.validation import check_array, check_vector
from . import _fractional_cd_kernels as _k

__all__ = ["fractional_cd", "fractional_l4_cd"]

_COMMON = {
    "x0": ["array-like", None],
    "theta": [Interval(Real, 0.0, None, closed="left")],
    "tol": [Interval(Real, 0.0, None, closed="left")],
    "window": [Interval(Integral, 1, None, closed="left")],
    "maxiter": [Interval(Integral, 1, None, closed="left")],
    "max_time": [Interval(Real, 0.0, None, closed="neither"), None],
    "random_state": ["random_state"],
}


def _stalled(history, window, tol):
    """The stopping rule: mean relative decrease of the ratio over the last ``window`` iterations below ``tol``."""
    if len(history) <= window:
        return False
    old, new = history[-1 - window], history[-1]
    return abs(old - new) <= tol * window * abs(new)


def _topk(x, k):
    return float(np.partition(np.abs(x), x.size - k)[x.size - k:].sum())


class _Ratio:
    """The sparse-recovery ratio and its pieces at one point."""

    def __init__(self, G, y, lam, k):
        self.G, self.y, self.lam, self.k = G, y, lam, k

    def __call__(self, x):
        r = self.G @ x - self.y
        return (0.5 * float(r @ r) + self.lam * float(np.abs(x).sum())) / (self.lam * _topk(x, self.k))


_MESSAGES = {STATUS_CONVERGED: "the ratio stopped decreasing (tol reached)",
             STATUS_MAX_ITER: "maxiter or max_time reached before the ratio stopped decreasing",
             STATUS_STOPPED: "stopped by the callback"}


def _iterate(step, x, tol, window, maxiter, max_time, callback, start):
    """Run ``step()`` (one iteration, updating ``x`` in place, returning the ratio) until the stopping rule."""
    ratios = []
    for _ in range(maxiter):
        ratios.append(float(step()))
        if not np.isfinite(ratios[-1]):
            return ratios, STATUS_MAX_ITER  # end_run reports the non-finite field
        if callback is not None and callback(x.copy()):
            return ratios, STATUS_STOPPED
        if _stalled(ratios, window, tol):
            return ratios, STATUS_CONVERGED
        if max_time is not None and time.perf_counter() - start > max_time:
            break
    return ratios, STATUS_MAX_ITER


def _column_norms(G):
    if sp.issparse(G):
        return np.asarray(G.multiply(G).sum(axis=0), dtype=G.dtype).ravel()
    return np.einsum("ij,ij->j", G, G)


def _cd_step(G, y, x, lam, k, theta, parametric, colsq):
    """One cyclic FCD / PCD pass through the kernels, as a closure over its running state."""
    r = np.asarray(G @ x - y, dtype=x.dtype)
    if sp.issparse(G):
        arrays = (G.indptr, G.indices, G.data)
        epoch = _k.ratio_epoch_csc
    else:
        arrays = (G,)
        epoch = _k.ratio_epoch_dense
    sv = np.concatenate([np.sort(np.abs(x))[::-1], np.zeros(1, dtype=x.dtype)])

    def step():
        state = np.array([r @ r, np.abs(x).sum(), sv[:k].sum()], dtype=np.float64)  # re-summed: no drift
        return epoch(*arrays, r, x, sv, state, colsq, k, lam, theta, parametric)

    return step


def _dinkelbach_step(G, y, x, lam, k, inner):
    """One Dinkelbach step: the subproblem ``min N(x) - c lam s^T x`` (``s`` a subgradient of topk at ``x_t``) by
    ``inner`` accelerated proximal-gradient steps with backtracking, warm-started at ``x_t``."""
    ratio = _Ratio(G, y, lam, k)
    lipschitz = [1.0]

    def step():
        c = ratio(x)
        top = np.argpartition(np.abs(x), x.size - k)[x.size - k:]
        lin = np.zeros_like(x)
        lin[top] = c * lam * np.sign(x[top])
        L = lipschitz[0]
        z, x_prev, mom = x.copy(), x.copy(), 1.0
        for _ in range(inner):
            rz = G @ z - y
            fz = 0.5 * float(rz @ rz) - float(lin @ z)
            grad = G.T @ rz - lin
            while True:
                u = z - grad / L
                x_new = np.sign(u) * np.maximum(np.abs(u) - lam / L, 0.0)
                d = x_new - z
                rn = G @ x_new - y
                if 0.5 * float(rn @ rn) - float(lin @ x_new) <= fz + float(grad @ d) + 0.5 * L * float(d @ d):
                    break
                L *= 2.0
            mom_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * mom * mom))
            z = x_new + ((mom - 1.0) / mom_new) * (x_new - x_prev)
            x_prev, mom = x_new, mom_new
        lipschitz[0] = L
        if _topk(x_prev, k) > 0.0 and ratio(x_prev) <= c:  # the subproblem's decrease is the outer decrease
            x[:] = x_prev
        return ratio(x)

    return step


@validate_params({
    "k": [Interval(Integral, 1, None, closed="left")],
    "lam": [Interval(Real, 0.0, None, closed="neither"), None],
    "method": [Options({"fcd", "pcd", "dinkelbach"})],
    "inner": [Interval(Integral, 1, None, closed="left")],
    "callback": ["callable", None],
    **_COMMON,
})
def fractional_cd(G, y, x0=None, *, k=100, lam=None, method="fcd", theta=1e-5, inner=10, tol=1e-10, window=10,
                  maxiter=1000, max_time=None, random_state=None, callback=None):
    """Minimise the sparse-recovery ratio ``(1/2 ||G x - y||^2 + lam ||x||_1) / (lam topk(|x|))``.

    ``topk(|x|)`` is the sum of the ``k`` largest magnitudes; the ratio is at least 1, and small when ``x`` fits
    ``y`` with (nearly) all of its mass on ``k`` entries. Coordinate descent solves each 1-D ratio problem
    globally.

    Parameters
    ----------
    G : (m, n) array_like or sparse array
        Design matrix, finite. Sparse input is used in CSC form (never densified); dense input is used in
        Fortran order (a copy if it is C-ordered). Not modified.
    y : (m,) array_like
        Observations, finite.
    x0 : (n,) array_like, optional
        Starting point with at least one nonzero entry. Default: ``0.1 * randn(n)`` from ``random_state``
        (the reference code's start).
    k : int, default=100
        Size of the top-k denominator, ``1 <= k <= n``.
    lam : float, optional
        ``lam > 0``; default ``0.1 / m`` (the paper's experiments).
    method : {"fcd", "pcd", "dinkelbach"}, default="fcd"
        ``"fcd"``: fractional coordinate descent, each coordinate moved to the global minimiser of the ratio along
        it. ``"pcd"``: parametric coordinate descent, each coordinate moved to the global minimiser of
        ``N - c D`` along it, ``c`` the current ratio. ``"dinkelbach"``: the baseline, Dinkelbach's parametric
        method with ``inner`` accelerated proximal-gradient steps per subproblem.
    theta : float, default=1e-5
        Proximal weight ``theta/2 t^2`` added to each coordinate step (the reference code's value); it makes
        every 1-D problem strongly convex in its numerator. ``0`` is allowed when no column of ``G`` is zero.
    inner : int, default=10
        Proximal-gradient steps per Dinkelbach subproblem (the reference code's value). Only for ``"dinkelbach"``.
    tol : float, default=1e-10
        Stopping rule: the mean relative decrease of the ratio over the last ``window`` iterations,
        ``(F_{t-w} - F_t) / (w |F_t|)``, is at most ``tol``.
    window : int, default=10
        See ``tol``. One iteration is one cyclic pass over the coordinates (FCD, PCD) or one Dinkelbach step.
    maxiter : int, default=1000
        Maximum number of iterations.
    max_time : float, optional
        Wall-clock budget in seconds (the paper uses 60); reaching it ends the run unconverged.
    random_state : None, int or numpy.random.Generator, optional
        Draws the default ``x0``.
    callback : callable, optional
        ``callback(xk)`` after each iteration; returning True stops the run (status 2, no warning).

    Returns
    -------
    Result
        ``x``; ``ratio`` (its objective); ``ratios`` (the objective after every iteration; for a ratio-vs-time
        plot, time-stamp them with ``callback``, as the benchmark does); ``n_iter``; ``method``; ``converged``,
        ``status`` (0 converged, 1 maxiter or max_time reached, 2 stopped by the callback, 3 non-finite),
        ``message``.

    Raises
    ------
    ValueError
        If an array is not finite or has the wrong shape, ``x0`` is all zeros, ``k > n``, ``theta = 0`` with a
        zero column in ``G``, or an option is out of range.
    TypeError
        If an array is not numeric.

    Warns
    -----
    ConvergenceWarning
        When the stopping rule is not met within ``maxiter`` iterations or ``max_time``.

    See Also
    --------
    fractional_l4_cd : The same coordinate descent on ``||x||^2 / ||A x||_4^2``.

    Notes
    -----
    FCD [1]_ moves coordinate ``i`` to ``argmin_z F(x + (z - x_i) e_i) + theta (z - x_i)^2 / (2 D)``, with the
    least-squares term exact (no majorisation is needed for a quadratic) and the proximal term in the numerator,
    as in the reference code. Our derivation of the 1-D solve: with ``P`` the sum of the ``k - 1`` largest other
    magnitudes and ``v`` the ``k``-th, the denominator is ``lam (P + max(|z|, v))``, so the ratio is a quadratic
    over a constant on ``[-v, v]`` (split at 0) and over an affine function beyond; the candidates are the
    breakpoints, the clipped vertices and the roots of ``A z^2 + 2 s A P z + s b' P - C`` on ``s z >= v``. This is
    exact where the reference code enumerates a superset by sorting ``x`` per candidate; ours keeps ``|x|`` sorted
    and costs ``O(m)`` per coordinate plus a short shift. PCD ([1]_, ``SpaseRecovery_ParametricCD.m``) solves the
    parametric 1-D problem over the same four pieces. Coordinates are visited cyclically. Both decrease the ratio
    monotonically: the current value is always a candidate.

    Dinkelbach (the paper's DPA baseline) takes ``c_t = F(x_t)`` and decreases ``N(x) - c_t lam s_t^T x``, a lasso
    with a linear term, where ``s_t`` is the sign pattern of the top ``k`` entries of ``x_t`` (a subgradient of
    the convex ``topk``); since ``topk(x) >= s_t^T x``, a decrease of that subproblem is a decrease of ``F``. Our
    interpretation: the reference code's 10 plain proximal-gradient steps with step ``1/||G||^2`` are replaced by
    10 accelerated steps with backtracking (no spectral norm to compute), a stronger baseline; a step that would
    raise ``F`` is rejected.

    The stopping rule is the reference code's (mean relative change over a window; there 100 coordinate steps
    for ICA 5000), counted here in passes.

    References
    ----------
    .. [1] G. Yuan, "Coordinate Descent Methods for Fractional Minimization", ICML 2023.
       Code: https://github.com/yuangzh/FracOpt-CD

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import fractional_cd
    >>> rng = np.random.default_rng(0)
    >>> G = rng.standard_normal((60, 80))
    >>> x_true = np.zeros(80)
    >>> x_true[:5] = rng.standard_normal(5)
    >>> y = G @ x_true + 0.01 * rng.standard_normal(60)
    >>> fcd = fractional_cd(G, y, k=5, lam=0.1, random_state=0)
    >>> dpa = fractional_cd(G, y, k=5, lam=0.1, method="dinkelbach", tol=1e-6, maxiter=5000, random_state=0)
    >>> bool(fcd.converged), bool(fcd.ratio <= dpa.ratio)
    (True, True)
    """
    start = time.perf_counter()
    G = check_array(G, "G", ndim=2, accept_sparse="csc")
    m, n = G.shape
    y = check_vector(y, "y", size=m)
    if k > n:
        raise ValueError(f"k must be at most the number of columns of G ({n}), got {k}.")
    dtype = np.result_type(G.dtype, y.dtype)
    if x0 is None:
        x = (0.1 * check_random_state(random_state).standard_normal(n)).astype(dtype)
    else:
        x = check_vector(x0, "x0", size=n).astype(dtype, copy=True)
        if not np.any(x):
            raise ValueError("x0 must have a nonzero entry: the ratio's denominator topk(|x0|) is 0.")
    if sp.issparse(G):
        G = sp.csc_matrix(G, dtype=dtype)
        G.sort_indices()
    else:
        G = np.asfortranarray(G, dtype=dtype)
    y = y.astype(dtype, copy=False)
    lam = 0.1 / m if lam is None else float(lam)
    if method == "dinkelbach":
        step = _dinkelbach_step(G, y, x, lam, k, inner)
    else:
        colsq = _column_norms(G)
        if theta == 0.0 and not np.all(colsq > 0):
            raise ValueError("theta must be positive when G has a zero column (its 1-D step is then unbounded).")
        step = _cd_step(G, y, x, lam, k, theta, method == "pcd", colsq)
    ratios, status = _iterate(step, x, tol, window, maxiter, max_time, callback, start)
    result = Result(x=x, ratio=ratios[-1], ratios=np.asarray(ratios), n_iter=len(ratios),
                    method=method)
    return end_run(result, caller="fractional_cd", status=status, message=_MESSAGES[status])


@validate_params({"callback": ["callable", None], **{key: _COMMON[key] for key in _COMMON if key != "inner"}})
def fractional_l4_cd(A, x0=None, *, theta=1e-5, tol=1e-10, window=10, maxiter=1000, max_time=None,
                     random_state=None, callback=None):
    """Minimise ``||x||^2 / ||A x||_4^2`` by cyclic coordinate descent with a global 1-D step.

    The ``l4`` (kurtosis) ratio of ICA-style problems: its minimisers are directions ``x`` along which ``A x`` is
    most spiky. The ratio is scale-invariant in ``x``.

    Parameters
    ----------
    A : (m, n) array_like
        Dense, finite; used in Fortran order (a copy if it is C-ordered). Not modified.
    x0 : (n,) array_like, optional
        Starting point with ``A x0 != 0``. Default: ``randn(n)`` from ``random_state``.
    theta : float, default=1e-5
        Proximal weight added to the numerator of each 1-D step, ``(||x||^2 + 2 x_i t + (1 + theta) t^2)``
        (the reference code's value).
    tol : float, default=1e-10
        Stopping rule, as in :func:`fractional_cd`: ``(F_{t-w} - F_t) / (w |F_t|) <= tol``.
    window : int, default=10
        ``w`` of the stopping rule, in cyclic passes.
    maxiter : int, default=1000
        Maximum number of passes.
    max_time : float, optional
        Wall-clock budget in seconds; reaching it ends the run unconverged.
    random_state : None, int or numpy.random.Generator, optional
        Draws the default ``x0``.
    callback : callable, optional
        ``callback(xk)`` after each pass; returning True stops the run (status 2, no warning).

    Returns
    -------
    Result
        ``x`` (normalised to unit 2-norm), ``ratio``, ``ratios``, ``n_iter``, ``converged``,
        ``status``, ``message``.

    Raises
    ------
    ValueError
        If ``A`` or ``x0`` is not finite or has the wrong shape, or ``A x0 = 0``.
    TypeError
        If ``A`` is sparse or not numeric.

    Warns
    -----
    ConvergenceWarning
        When the stopping rule is not met within ``maxiter`` iterations or ``max_time``.

    See Also
    --------
    fractional_cd : The sparse-recovery ratio, with PCD and Dinkelbach.

    Notes
    -----
    ``A`` is first divided by a power of two near its largest entry (exact), so that ``(A x)^4`` neither under- nor
    overflows; ``x`` does not depend on that scale and ``ratios`` are reported in the caller's scale (they can
    under- or overflow there for data near the ends of the floating-point range). Along coordinate ``i`` the ratio is ``N(t) / sqrt(Q(t))`` with ``N(t) = ||x||^2 + 2 x_i t + (1 + theta) t^2``
    and ``Q(t) = ||A x + t a_i||_4^4 = sum_j q_j t^j``, whose five coefficients cost one pass over ``a_i``
    (``ComputeCofPoly4`` in [1]_). Stationary points solve ``2 N' Q - N Q' = 0``, a quartic after the ``t^5``
    terms cancel; the step is the best of its real roots and ``t = 0`` ([1]_, ``nonconvex_prox_frac_l2l4``).
    Differences from the reference code (our choices): the real parts of all four roots are candidates (the
    code also tries their moduli), and ``||x||^2`` is re-summed after each move.

    References
    ----------
    .. [1] G. Yuan, "Coordinate Descent Methods for Fractional Minimization", ICML 2023.
       Code: https://github.com/yuangzh/FracOpt-CD (``ICA_FractionalCD.m``)

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import fractional_l4_cd
    >>> A = np.random.default_rng(0).standard_normal((50, 8))
    >>> res = fractional_l4_cd(A, random_state=0)
    >>> x0 = np.random.default_rng(0).standard_normal(8)
    >>> bool(res.converged), bool(res.ratio < (x0 @ x0) / np.linalg.norm(A @ x0, 4) ** 2)
    (True, True)
    """
    start = time.perf_counter()
    A = check_array(A, "A", ndim=2)
    n = A.shape[1]
    peak = float(np.max(np.abs(A)))
    if peak == 0.0:
        raise ValueError("A is all zeros: the ratio's denominator ||A x||_4 is 0 for every x.")
    exponent = math.frexp(peak)[1]  # A / 2**exponent is exact and of unit scale: no under/overflow in (A x)^4
    A = np.asfortranarray(np.ldexp(A, -exponent))
    if x0 is None:
        x = check_random_state(random_state).standard_normal(n).astype(A.dtype)
    else:
        x = check_vector(x0, "x0", size=n).astype(A.dtype, copy=True)
    b = A @ x
    if not np.any(b):
        raise ValueError("A @ x0 is zero: the ratio's denominator ||A x0||_4 is 0.")

    def step():
        return _k.l4_epoch(A, b, x, np.array([float(x @ x)]), theta)

    ratios, status = _iterate(step, x, tol, window, maxiter, max_time, callback, start)
    ratios = np.ldexp(np.asarray(ratios), -2 * exponent).astype(A.dtype)  # back to the caller's scale of A
    result = Result(x=x / np.linalg.norm(x), ratio=ratios[-1], ratios=ratios, n_iter=len(ratios))
    return end_run(result, caller="fractional_l4_cd", status=status, message=_MESSAGES[status])
