"""Fractional minimisation by coordinate descent (Yuan, ICML 2023) for sparse recovery, with a Dinkelbach baseline.

Minimise ``F(x) = (1/2 ||G x - y||^2 + lam ||x||_1) / (lam topk(|x|))``, where
``topk`` sums the ``k`` largest magnitudes: the numerator fits the data, the
ratio rewards putting the l1 mass on ``k`` entries (Yuan's sparse-recovery
application, ``SpaseRecovery`` in yuangzh/FracOpt-CD).
"""

from numbers import Integral, Real

import numpy as np

from ..._core.params import Interval, Options, validate_params
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, Result, end_run
from ..._core.validation import check_array
from ._fractional_cd_kernels import fractional_sweep

__all__ = ["fractional_cd"]


def _top_k_sum(x, k):
    a = np.abs(x)
    return a.sum() if k >= a.size else np.partition(a, a.size - k)[a.size - k:].sum()


def _objective(G, y, x, lam, k):
    r = G @ x - y
    den = lam * _top_k_sum(x, k)
    return (0.5 * (r @ r) + lam * np.abs(x).sum()) / den if den > 0 else np.inf


def _top_k_signs(x, k):
    top = np.argpartition(np.abs(x), x.size - k)[x.size - k:] if k < x.size else np.arange(x.size)
    s = np.zeros_like(x)
    s[top] = np.sign(x[top])
    return s


def _lasso_with_linear_term(G, y, x, lam, v, lipschitz, tol, maxiter):
    """FISTA on ``||G x - y||^2 / 2 + lam ||x||_1 - v^T x`` from ``x``; returns the solution and the steps taken."""
    z, w, t = x.copy(), x.copy(), 1.0
    for step in range(1, maxiter + 1):
        u = w - (G.T @ (G @ w - y) - v) / lipschitz
        z_new = np.sign(u) * np.maximum(np.abs(u) - lam / lipschitz, 0.0)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        w = z_new + (t - 1.0) / t_new * (z_new - z)
        done = np.linalg.norm(z_new - z) <= tol * max(np.linalg.norm(z_new), 1e-300)
        z, t = z_new, t_new
        if done:
            break
    return z, step


def _dinkelbach(G, y, x, lam, k, rtol, maxiter, dca_maxiter=50, fista_maxiter=2000):
    """Dinkelbach's parametric method: with ``c = F(x)``, decrease ``f - c g`` (a DC program) by DCA, each DCA
    step a Lasso with a linear term solved by FISTA; then update ``c``."""
    lipschitz = np.linalg.norm(G, 2) ** 2
    c = _objective(G, y, x, lam, k)
    history, inner = [c], 0
    for _ in range(maxiter):
        s = _top_k_signs(x, k)
        for _ in range(dca_maxiter):
            x, steps = _lasso_with_linear_term(G, y, x, lam, c * lam * s, lipschitz, 1e-10, fista_maxiter)
            inner += steps
            s_new = _top_k_signs(x, k)
            if np.array_equal(s_new, s):
                break
            s = s_new
        value = _objective(G, y, x, lam, k)
        history.append(value)
        if not c - value > rtol * abs(value):
            return x, history, inner, STATUS_CONVERGED, "relative decrease of F below rtol"
        c = value
    return x, history, inner, STATUS_MAX_ITER, f"maxiter={maxiter} outer iterations without reaching rtol"


@validate_params(
    {
        "G": ["array-like"],
        "y": ["array-like"],
        "k": [Interval(Integral, 1, None, closed="left")],
        "lam": [Interval(Real, 0, None, closed="neither"), None],
        "method": [Options({"cd", "dinkelbach"})],
        "x0": ["array-like", None],
        "rtol": [Interval(Real, 0, None, closed="left")],
        "maxiter": [Interval(Integral, 1, None, closed="left")],
        "theta": [Interval(Real, 0, None, closed="left")],
    }
)
def fractional_cd(G, y, k, *, lam=None, method="cd", x0=None, rtol=1e-10, maxiter=1000, theta=1e-5):
    """Minimise the sparse-recovery ratio ``(||G x - y||^2 / 2 + lam ||x||_1) / (lam topk(|x|))``.

    Parameters
    ----------
    G : array-like of shape (m, n)
        Design matrix.
    y : array-like of shape (m,)
        Observations.
    k : int
        Number of magnitudes in the top-k denominator.
    lam : float, optional
        The l1 weight; default ``0.1 / m`` (the paper's experiments).
    method : {"cd", "dinkelbach"}, default="cd"
        Fractional coordinate descent (global one-dimensional ratio steps),
        or Dinkelbach's parametric method, the baseline.
    x0 : array-like of shape (n,), optional
        Start; default ``G^T y / ||G||_2^2``.
    rtol : float, default=1e-10
        Stop when an iteration (a sweep, or a Dinkelbach step) decreases
        ``F`` by at most ``rtol F``.
    maxiter : int, default=1000
        Most sweeps (cd) or outer iterations (dinkelbach).
    theta : float, default=1e-5
        Proximal weight ``theta t^2 / 2`` in each coordinate step (cd).

    Returns
    -------
    Result
        ``x``, ``objective`` (``F`` at the start and after each iteration),
        ``n_iter``, ``n_inner`` (FISTA steps, dinkelbach), ``converged``,
        ``status``, ``message``.

    Raises
    ------
    ValueError
        For NaN or infinity, mismatched shapes, ``k > n``, an all-zero
        start, or ``method="dinkelbach"`` with fewer rows than columns.
    TypeError
        For sparse or non-numeric input.

    Notes
    -----
    FCD (Yuan, "Coordinate descent methods for fractional minimization",
    ICML 2023): cyclically, coordinate ``i`` moves to the global minimiser
    of the ratio along it. With ``u = |x_i + t|``, and ``A``, ``a`` the sum of
    the ``k`` largest other magnitudes and the ``k``-th largest,
    ``topk = A + (u - a)_+``; the ratio is quadratic over linear on four
    pieces cut at ``x_i + t in {-a, 0, a}``, and its minimiser is a root of a
    quadratic on a piece or a cut (a numba kernel; the paper's code
    enumerates the same breakpoints). Dinkelbach's method sets ``c = F(x)``
    and decreases ``f - c g``; we solve that DC subproblem by DCA (``topk``
    linearised at the current point), each step a Lasso with a linear term
    solved by FISTA (our choice of inner solver for the paper's DPA
    baseline); ``n_inner`` counts the FISTA steps. Dinkelbach's subproblem
    is unbounded below when ``G`` has a null space and ``c > 1`` (``lam
    (||x||_1 - c topk(|x|))`` decreases without bound along a sparse enough
    null direction, and ``F >= 1``), so the baseline needs ``m >= n``;
    coordinate descent minimises the ratio itself and has no such limit. Every iteration of either method decreases ``F``.
    Computation in float64.

    References
    ----------
    G. Yuan, "Coordinate descent methods for fractional minimization", ICML
    2023 (code: github.com/yuangzh/FracOpt-CD).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import fractional_cd
    >>> rng = np.random.default_rng(0)
    >>> G = rng.standard_normal((100, 60)) / 10.0
    >>> x = np.zeros(60); x[:5] = 1.0
    >>> y = G @ x + 0.01 * rng.standard_normal(100)
    >>> cd = fractional_cd(G, y, 5)
    >>> dk = fractional_cd(G, y, 5, method="dinkelbach")
    >>> bool(cd.converged), bool(cd.objective[-1] <= dk.objective[-1] * (1 + 1e-9))
    (True, True)
    """
    G = check_array(G, "G", ndim=2, dtype=np.float64)
    y = check_array(y, "y", ndim=1, dtype=np.float64)
    m, n = G.shape
    if y.shape[0] != m:
        raise ValueError(f"y must have one entry per row of G ({m}); got {y.shape[0]}.")
    if k > n:
        raise ValueError(f"k must be at most the number of columns of G ({n}); got {k}.")
    if method == "dinkelbach" and m < n:
        raise ValueError(
            f"method='dinkelbach' needs G with at least as many rows as columns; got G of shape {G.shape}: with a "
            "null space its subproblem f - c g is unbounded below once c > 1."
        )
    lam = 0.1 / m if lam is None else float(lam)
    if x0 is None:
        x = G.T @ y
        scale = np.linalg.norm(G, 2) ** 2
        x = x / scale if scale > 0 else x
    else:
        x = check_array(x0, "x0", ndim=1, dtype=np.float64).copy()
        if x.shape[0] != n:
            raise ValueError(f"x0 must have one entry per column of G ({n}); got {x.shape[0]}.")
    if not np.any(x):
        raise ValueError("The start (x0, or G^T y) must not be all zeros: the ratio is infinite there.")

    if method == "dinkelbach":
        x, history, inner, status, message = _dinkelbach(G, y, x, lam, k, rtol, maxiter)
    else:
        Gf = np.asfortranarray(G)
        col_sq = np.einsum("ij,ij->j", G, G)
        r = G @ x - y
        history, inner = [_objective(G, y, x, lam, k)], 0
        status, message = STATUS_MAX_ITER, f"maxiter={maxiter} sweeps without reaching rtol"
        for _ in range(maxiter):
            fractional_sweep(Gf, r, x, col_sq, lam, k, theta)
            history.append(_objective(G, y, x, lam, k))
            if not history[-2] - history[-1] > rtol * abs(history[-1]):
                status, message = STATUS_CONVERGED, "relative decrease of F below rtol"
                break
    objective = np.asarray(history)
    result = Result(x=x, objective=objective, n_iter=objective.size - 1, n_inner=inner)
    return end_run(result, caller="fractional_cd", status=status, message=message, check=("x", "objective"))
