"""Sparse phase retrieval: Newton hard thresholding (Cai, Long, Wen & Ying, ICLR 2024) and SPARTA as the baseline.

Recover a ``k``-sparse ``x`` (up to its sign) from ``y_i = (a_i^T x)^2``. Both
methods start from the same sparse spectral estimate and keep ``k`` entries
per iteration; Newton-HT takes a Newton step of the intensity loss on the
support that a gradient step of the amplitude loss chooses, SPARTA a
truncated gradient step of the amplitude loss.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import linalg

from ..._core.params import Interval, Options, validate_params
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_STOPPED, Result, end_run
from ..._core.scaling import times_power_of_two, unit_exponent
from ..._core.validation import check_array, check_callable

__all__ = ["PHASE_RETRIEVAL_METHODS", "sparse_phase_retrieval"]

PHASE_RETRIEVAL_METHODS = ("newton-ht", "sparta")

# SPARTA's truncation: only measurements with |a_i^T x| >= sqrt(y_i) / (1 + gamma) enter its gradient
_SPARTA_GAMMA = 0.7


def spectral_start(A, y, k):
    """Sparse spectral initialisation: the ``k`` columns of largest ``mean(y_i a_ij^2)``, then the leading
    eigenvector of ``mean(y_i a_iS a_iS^T)`` on them, scaled to ``sqrt(mean(y))`` (largest entry positive)."""
    m, n = A.shape
    scores = (y @ (A * A)) / m
    support = np.sort(np.argpartition(scores, n - k)[n - k:]) if k < n else np.arange(n)
    AS = A[:, support]
    covariance = (AS * y[:, None]).T @ AS / m
    _, vector = linalg.eigh(covariance, subset_by_index=[k - 1, k - 1])
    vector = vector[:, 0]
    vector *= np.sign(vector[np.argmax(np.abs(vector))])
    x = np.zeros(n)
    x[support] = math.sqrt(y.mean()) * vector
    return x


def _top_k(v, k):
    n = v.size
    return np.sort(np.argpartition(np.abs(v), n - k)[n - k:]) if k < n else np.arange(n)


def _newton_ht_step(A, y, amplitude, x, Ax, k, step):
    """One Newton hard-thresholding step: support from the amplitude gradient, Newton on the intensity loss."""
    m = A.shape[0]
    amplitude_gradient = A.T @ (Ax - amplitude * np.sign(Ax)) / m
    support = _top_k(x - step * amplitude_gradient, k)
    AS = A[:, support]
    ASx = AS @ x[support]
    rest = Ax - ASx  # contribution of supp(x) \ S, which the step sets to zero
    residual = Ax * Ax - y
    gradient = AS.T @ (residual * Ax) / m
    weights = 3.0 * Ax * Ax - y
    hessian = (AS * weights[:, None]).T @ AS / m
    coupling = AS.T @ (weights * rest) / m
    x_new = np.zeros_like(x)
    try:
        x_new[support] = x[support] - linalg.solve(hessian, gradient - coupling, assume_a="sym", check_finite=False)
    except (linalg.LinAlgError, ValueError):
        # a singular Newton system (a degenerate start): take the amplitude gradient step instead
        x_new[support] = x[support] - step * amplitude_gradient[support]
    return x_new


def _misfit(Ax, y):
    """RMS intensity misfit ``sqrt(mean((a_i^T x)^2 - y_i)^2)``; inf, without a warning, when it overflows (a
    diverging run, which the end of the run reports)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(np.mean((Ax * Ax - y) ** 2)))


def _sparta_step(A, y, amplitude, x, Ax, k, step):
    """One SPARTA step: truncated amplitude-flow gradient, then the ``k`` largest entries."""
    m = A.shape[0]
    keep = np.abs(Ax) >= amplitude / (1.0 + _SPARTA_GAMMA)
    gradient = A[keep].T @ (Ax[keep] - amplitude[keep] * np.sign(Ax[keep])) / m
    v = x - step * gradient
    support = _top_k(v, k)
    x_new = np.zeros_like(x)
    x_new[support] = v[support]
    return x_new


_STEPS = {"newton-ht": _newton_ht_step, "sparta": _sparta_step}
_DEFAULT_STEP = {"newton-ht": 0.95, "sparta": 1.0}


@validate_params(
    {
        "A": ["array-like"],
        "y": ["array-like"],
        "k": [Interval(Integral, 1, None, closed="left")],
        "method": [Options(set(PHASE_RETRIEVAL_METHODS))],
        "x0": ["array-like", None],
        "step": [Interval(Real, 0, None, closed="neither"), None],
        "rtol": [Interval(Real, 0, None, closed="left")],
        "maxiter": [Interval(Integral, 1, None, closed="left")],
        "callback": ["callable", None],
    }
)
def sparse_phase_retrieval(A, y, k, *, method="newton-ht", x0=None, step=None, rtol=1e-10, maxiter=100,
                           callback=None):
    """Recover a ``k``-sparse signal from phaseless measurements ``y = (A x)^2``.

    Parameters
    ----------
    A : array-like of shape (m, n)
        Measurement vectors ``a_i`` as rows (real Gaussian in the theory).
    y : array-like of shape (m,)
        Non-negative intensity measurements ``(a_i^T x)^2`` (possibly noisy).
    k : int
        Sparsity of the signal (at most ``n``).
    method : {"newton-ht", "sparta"}, default="newton-ht"
        Newton hard thresholding (Cai, Long, Wen & Ying), or SPARTA, the
        sparse truncated amplitude flow of Wang et al., kept as the baseline.
    x0 : array-like of shape (n,), optional
        Starting point; by default the sparse spectral initialisation.
    step : float, optional
        Gradient step of the amplitude loss: the support-selection step
        (newton-ht, default 0.95) or SPARTA's step (default 1.0), for ``A``
        rescaled to unit mean square (the theory's N(0, 1) entries), so that
        the method is invariant to scaling ``A``.
    rtol : float, default=1e-10
        Stop when ``||x_{t+1} - x_t|| <= rtol ||x_{t+1}||``.
    maxiter : int, default=100
        Most iterations.
    callback : callable, optional
        Called after each iteration with the current iterate; returning True
        stops the run (status 2).

    Returns
    -------
    Result
        ``x`` (the estimate, dtype of the data; ``-x`` fits equally),
        ``support``, ``x0`` (the start), ``residual`` (RMS intensity misfit
        ``sqrt(mean((a_i^T x)^2 - y_i)^2)`` of the start and every iterate),
        ``step_norm`` (relative change per iteration), ``n_iter``,
        ``converged``, ``status``, ``message``.

    Raises
    ------
    ValueError
        For negative, NaN or infinite ``y``, shapes that do not match, or
        ``k > n``.
    TypeError
        For sparse or non-numeric input.

    Notes
    -----
    Newton-HT (arXiv 2309.02046), from ``x``, with ``f_A`` the amplitude loss
    ``mean(|a_i^T x| - sqrt(y_i))^2 / 2`` and ``f_I`` the intensity loss:

    1. ``S = supp H_k(x - step grad f_A(x))``;
    2. ``J = supp(x) \\ S``;
    3. ``x_S <- x_S - H_SS^{-1} (g_S - H_SJ x_J)``, ``x_{S^c} = 0``, with
       ``g = grad f_I(x) = mean(((a_i^T x)^2 - y_i)(a_i^T x) a_i)`` and
       ``H = mean((3 (a_i^T x)^2 - y_i) a_i a_i^T)``

    which is the minimiser of the quadratic model of ``f_I`` over vectors
    supported on ``S``: O(m n + m k^2) per iteration, quadratic convergence
    near the signal. SPARTA (Wang, Zhang, Giannakis, Akcakaya & Chen, 2018)
    takes ``x <- H_k(x - step mean_{i in T}(a_i^T x - sqrt(y_i) sign(a_i^T x))
    a_i)`` over the rows ``T`` with ``|a_i^T x| >= sqrt(y_i) / 1.7``.

    Interpretations: both methods start from the same spectral estimate (top
    ``k`` of ``mean(y_i a_ij^2)``, leading eigenvector on that support,
    scaled by ``sqrt(mean y)``), without SPARTA's truncation of large ``y_i``
    in the start, so that the comparison is of the iterations alone; the
    iterations and both update formulas are the papers'. A singular Newton
    system (a degenerate start) falls back to the amplitude gradient step,
    our choice. ``A`` is rescaled to unit mean square and ``y`` exactly by a
    power of two (``x`` scales as ``sqrt(y)``). The computation is in float64.

    References
    ----------
    J.-F. Cai, J. Long, Y. Wen, J. Ying, "A fast and provable algorithm for
    sparse phase retrieval", ICLR 2024, arXiv 2309.02046.
    G. Wang, L. Zhang, G. B. Giannakis, M. Akcakaya, J. Chen, "Sparse phase
    retrieval via truncated amplitude flow", IEEE TSP 66(2), 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import sparse_phase_retrieval
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((600, 1000))
    >>> x = np.zeros(1000); x[rng.choice(1000, 10, replace=False)] = rng.standard_normal(10)
    >>> res = sparse_phase_retrieval(A, (A @ x) ** 2, 10)
    >>> error = min(np.linalg.norm(res.x - x), np.linalg.norm(res.x + x)) / np.linalg.norm(x)
    >>> bool(res.converged), bool(error < 1e-10), res.n_iter < 15
    (True, True, True)
    """
    A = check_array(A, "A", ndim=2)
    y = check_array(y, "y", ndim=1)
    m, n = A.shape
    if y.shape[0] != m:
        raise ValueError(f"y must have one entry per row of A ({m}); got {y.shape[0]}.")
    if (y < 0).any():
        raise ValueError("y must be non-negative (intensities |a_i^T x|^2).")
    if k > n:
        raise ValueError(f"k must be at most the number of columns of A ({n}); got {k}.")
    if callback is not None:
        check_callable(callback, "callback")
    if x0 is not None:
        x0 = check_array(x0, "x0", ndim=1, dtype=np.float64)
        if x0.shape[0] != n:
            raise ValueError(f"x0 must have one entry per column of A ({n}); got {x0.shape[0]}.")
    dtype = np.result_type(A.dtype, y.dtype)
    step = _DEFAULT_STEP[method] if step is None else float(step)

    # y rescaled exactly by an even power of two (so that x scales by a power of two); A to unit mean square,
    # the N(0, 1) entries the default steps are meant for, which makes the method invariant to scaling A
    e_a = unit_exponent(A, dtype=np.float64)
    e_y = unit_exponent(y, dtype=np.float64)
    e_y += e_y % 2
    A = times_power_of_two(np.asarray(A, dtype=np.float64), e_a)
    rms = float(np.sqrt(np.mean(A * A)))
    if not rms > 0.0:
        raise ValueError("A must have a nonzero entry.")
    A /= rms
    y = times_power_of_two(np.asarray(y, dtype=np.float64), e_y)
    x_scale = e_y // 2 - e_a  # x at unit scale is rms * x * 2**x_scale

    def unscale(v):
        return np.ldexp(v / rms, -x_scale).astype(dtype, copy=False)

    x = spectral_start(A, y, k) if x0 is None else rms * np.ldexp(x0, x_scale)
    start = x.copy()
    amplitude = np.sqrt(y)
    advance = _STEPS[method]

    Ax = A @ x
    residuals, changes = [_misfit(Ax, y)], []
    status, message = STATUS_MAX_ITER, f"maxiter={maxiter} iterations without reaching rtol={rtol:g}"
    for _ in range(maxiter):
        x_new = advance(A, y, amplitude, x, Ax, k, step)
        with np.errstate(over="ignore", invalid="ignore"):
            change = np.linalg.norm(x_new - x) / max(np.linalg.norm(x_new), np.finfo(float).tiny)
        x, Ax = x_new, A @ x_new
        residuals.append(_misfit(Ax, y))
        changes.append(change)
        if not np.isfinite(change):
            status, message = STATUS_MAX_ITER, "the iterate diverged (too few measurements or too long a step)"
            break
        if change <= rtol:
            status, message = STATUS_CONVERGED, f"relative change {change:.2e} <= rtol"
            break
        if callback is not None and callback(unscale(x)):
            status, message = STATUS_STOPPED, "the callback asked to stop"
            break
    result = Result(
        x=unscale(x),
        support=np.flatnonzero(x),
        x0=unscale(start),
        residual=np.ldexp(np.asarray(residuals), -e_y),
        step_norm=np.asarray(changes),
        n_iter=len(changes),
    )
    return end_run(result, caller="sparse_phase_retrieval", status=status, message=message,
                   check=("x", "x0", "residual", "step_norm"))
