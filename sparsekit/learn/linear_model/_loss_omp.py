"""Loss-function-based orthogonal matching pursuit (Mohammad-Taheri & Brugiapaglia, "The greedy side of the LASSO").

Each step adds the index whose single-coordinate step decreases a weighted
LASSO-type loss the most, then refits the data-fit term on the support:

- ``"squared"``: ``||A z - y||_2^2 + alpha sum_j w_j |z_j|`` (weighted OMP);
- ``"sqrt-lasso"``: ``||A z - y||_2 + alpha sum_j w_j |z_j|`` (noise-blind stop);
- ``"lad"``: ``||A z - y||_1 + alpha sum_j w_j |z_j|`` (robust to corrupted rows).

The least-squares refits (squared and square-root losses) update a
Gram-Schmidt factorisation of the support, O(m k) per step; the LAD refit is a
warm-started IRLS finished by an exact descent over the vertices of the LAD program.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import linalg

from ..._core.params import Interval, Options, validate_params
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, Result, end_run
from ..._core.scaling import times_power_of_two, unit_exponent
from ..._core.validation import check_array
from ._loss_omp_kernels import lad_selection, lad_vertex_descent

__all__ = ["LOSSES", "loss_omp"]

LOSSES = ("squared", "sqrt-lasso", "lad")

_LOSS_OMP_CONSTRAINTS = {
    "loss": [Options(set(LOSSES))],
    "weights": ["array-like", None],
    "n_nonzero_coefs": [Interval(Integral, 1, None, closed="left"), None],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "alpha": [Interval(Real, 0, None, closed="left"), None],
    "fit_intercept": ["boolean"],
    "max_iter": [Interval(Integral, 1, None, closed="left"), None],
}

# LAD refit: _IRLS_MAX_ITER reweighted solves bring the fit near the optimum (residuals below
# _IRLS_FLOOR * max|r| clamped), then at most _VERTEX_STEPS * p exact vertex steps end at it.
_IRLS_MAX_ITER = 4
_IRLS_FLOOR = 1e-9
_VERTEX_STEPS = 4


def default_alpha(loss, n_samples, n_features, n_nonzero_coefs=None):
    """The noise-blind penalty level of each loss for unit-norm columns (0 for "squared" or a given sparsity)."""
    if loss == "squared" or n_nonzero_coefs is not None:
        return 0.0
    universal = math.sqrt(2.0 * math.log(max(n_features, 2)))
    return 1.1 * universal / math.sqrt(n_samples) if loss == "sqrt-lasso" else 1.1 * universal


def _check_problem(A, y, weights):
    A = check_array(A, "A", ndim=2)
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != A.shape[0]:
        raise ValueError(f"y must have one entry per row of A ({A.shape[0]}); got {y.shape[0]}.")
    if weights is not None:
        weights = check_array(weights, "weights", ndim=1, dtype=np.float64)
        if weights.shape[0] != A.shape[1]:
            raise ValueError(f"weights must have one entry per column of A ({A.shape[1]}); got {weights.shape[0]}.")
        if (weights < 0).any():
            raise ValueError("weights must be non-negative.")
    return A, y, weights


class _LeastSquaresSupport:
    """Gram-Schmidt factorisation ``B = Q R`` of the support's columns, with the residual kept orthogonal to it."""

    def __init__(self, y, capacity, intercept):
        m = y.shape[0]
        self.Q = np.zeros((m, capacity + 1))
        self.R = np.zeros((capacity + 1, capacity + 1))
        self.p = 0
        self.y = y
        self.residual = y.copy()
        if intercept:
            self.add(np.full(m, 1.0 / math.sqrt(m)))

    def add(self, u):
        """Append column ``u``; False (and no change) when it lies in the span of the support."""
        Q = self.Q[:, :self.p]
        coef = Q.T @ u
        q = u - Q @ coef
        again = Q.T @ q  # a second pass keeps Q orthonormal to working precision (Kahan's "twice is enough")
        q -= Q @ again
        coef += again
        norm = np.linalg.norm(q)
        if not norm > 1e-10 * np.linalg.norm(u):
            return False
        q /= norm
        self.Q[:, self.p] = q
        self.R[:self.p, self.p] = coef
        self.R[self.p, self.p] = norm
        self.p += 1
        self.residual -= q * (q @ self.residual)
        return True

    def coefficients(self):
        p = self.p
        return linalg.solve_triangular(self.R[:p, :p], self.Q[:, :p].T @ self.y)


def _lad_refit(B, y, z):
    """Minimise ``||y - B z||_1`` from ``z``: a few IRLS steps, then the exact vertex descent."""
    r = np.abs(y - B @ z)
    best, best_loss = z, r.sum()
    eps = 0.1 * max(r.max(), np.finfo(float).tiny)
    for _ in range(_IRLS_MAX_ITER):
        # the smoothing level shrinks geometrically: IRLS with a fixed tiny floor stalls near the nonsmooth optimum
        eps = max(0.3 * eps, _IRLS_FLOOR * max(r.max(), np.finfo(float).tiny))
        w = 1.0 / np.maximum(r, eps)
        Bw = B * w[:, None]
        try:
            z = np.linalg.solve(B.T @ Bw, Bw.T @ y)
        except np.linalg.LinAlgError:
            break
        r = np.abs(y - B @ z)
        loss = r.sum()
        if loss < best_loss:
            best, best_loss = z, loss
    return lad_vertex_descent(np.ascontiguousarray(B), y, best, _VERTEX_STEPS * B.shape[1])


def _scores(loss, c, rho, mu):
    """Loss decrease of the best single-coordinate step for least-squares-type losses (unit-norm columns)."""
    if loss == "squared":
        return np.maximum(np.abs(c) - 0.5 * mu, 0.0) ** 2
    # square-root loss: for |c| > mu rho and mu < 1 the decrease is rho - sqrt((rho^2 - c^2)(1 - mu^2)) - mu |c|
    a = np.abs(c)
    inside = np.maximum((rho - a) * (rho + a), 0.0) * np.maximum(1.0 - mu, 0.0) * (1.0 + mu)
    gain = rho - np.sqrt(inside) - mu * a
    return np.where((a > mu * rho) & (mu < 1.0), gain, 0.0)


@validate_params({**_LOSS_OMP_CONSTRAINTS, "A": ["array-like"], "y": ["array-like"]})
def loss_omp(A, y, *, loss="squared", weights=None, n_nonzero_coefs=None, tol=None, alpha=None, fit_intercept=False,
             max_iter=None):
    """Loss-function-based orthogonal matching pursuit: greedy sparse regression for three losses.

    Parameters
    ----------
    A : array-like of shape (m, N)
        Design (measurement) matrix, dense.
    y : array-like of shape (m,)
        Measurements.
    loss : {"squared", "sqrt-lasso", "lad"}, default="squared"
        Loss whose decrease selects the next index: weighted least squares,
        square-root LASSO (noise-blind stop) or least absolute deviations
        (robust to a few corrupted measurements).
    weights : array-like of shape (N,), optional
        Non-negative weights ``w_j`` of the penalty ``alpha sum_j w_j |z_j|``
        (weighted sparse recovery: a small weight favours an index). They
        weigh the coefficients of the unit-norm columns. Default: all ones.
    n_nonzero_coefs : int, optional
        Stop after this many indices (an oracle sparsity). Default: no such
        cap, except for ``loss="squared"`` with ``alpha=0`` and no ``tol``,
        which keeps ``max(N // 10, 1)`` as scikit-learn's OMP does.
    tol : float, optional
        Stop once the data-fit term is at most ``tol``: ``||r||_2^2`` (squared,
        as scikit-learn's ``tol``), ``||r||_2`` (sqrt-lasso) or ``||r||_1`` (lad).
    alpha : float, optional
        Penalty level. Default: 0 for ``"squared"`` or when
        ``n_nonzero_coefs`` is given (selection by the data-fit decrease
        alone), else ``1.1 sqrt(2 log N / m)`` for ``"sqrt-lasso"`` and
        ``1.1 sqrt(2 log N)`` for ``"lad"``: levels that need no noise level.
    fit_intercept : bool, default=False
        Fit an unpenalised intercept (always in the support, not counted).
    max_iter : int, optional
        Most greedy steps. Reaching it before any stopping rule holds is a
        non-convergence; without it the run ends at the latest with a full
        support of ``min(m, N)`` indices.

    Returns
    -------
    Result
        ``x`` (coefficients, dtype of the data), ``intercept``, ``support``
        (indices in the order chosen), ``residual_norm`` (the data-fit norm,
        ``||r||_2`` or ``||r||_1`` for lad, before each step and at the end),
        ``alpha``, ``n_iter`` (indices chosen), ``converged``, ``status``,
        ``message``.

    Raises
    ------
    ValueError
        For NaN or infinity, shapes that do not match, negative weights, or an
        invalid option.
    TypeError
        For sparse or non-numeric ``A`` or ``y``.

    Notes
    -----
    Step ``k`` (Mohammad-Taheri & Brugiapaglia, arXiv 2303.00844): with
    residual ``r``, unit-norm columns ``u_j``, ``c_j = u_j^T r``,
    ``rho = ||r||_2`` and ``mu_j = alpha w_j``, choose the index of largest
    decrease of the loss by one coordinate,

    - squared: ``(|c_j| - mu_j / 2)_+^2``;
    - sqrt-lasso: ``rho - sqrt((rho^2 - c_j^2)(1 - mu_j^2)) - mu_j |c_j|``
      when ``|c_j| > mu_j rho`` and ``mu_j < 1``, else 0;
    - lad: ``||r||_1 - min_t (||r - t u_j||_1 + mu_j |t|)``, the minimiser
      being a weighted median (a numba kernel, O(m log m) per column);

    and stop when no index decreases the loss (the square-root LASSO's
    noise-blind rule ``max_j |c_j| / ||r|| <= alpha`` for uniform weights), when
    ``n_nonzero_coefs`` indices are in, when the data fit reaches ``tol``, or
    when the next column is linearly dependent on the support. These closed
    forms were derived here from the losses; the paper states that they exist.

    Interpretations where the paper leaves a choice: the refit minimises the
    data-fit term alone on the support (as OMP's orthogonal projection; a
    penalised refit would shrink the coefficients), least squares by a
    Gram-Schmidt update of the support's factorisation (O(m k) per step), LAD
    by a few IRLS steps warm-started at the previous fit plus the selection's
    step, then an exact descent over the vertices of the LAD program (an LAD
    optimum interpolates ``k`` rows; each step frees the row whose dual
    variable exceeds 1 and line-searches by a weighted median, as the
    Barrodale-Roberts simplex does), so the refit is the LP's optimum without
    an LP solver. Columns are normalised internally, so ``weights`` and
    ``alpha`` refer to unit-norm columns. The defaults are the square-root and
    LAD LASSO's pivotal levels ``1.1 sqrt(2 log N / m)`` and
    ``1.1 sqrt(2 log N)``. With many components of similar size the LAD
    level can stop the greedy run early (its first steps see the signal not
    yet fitted as noise: m=150, N=500, s=15 and 8 corrupted rows stop after
    2 to 15 indices); give ``n_nonzero_coefs`` (or a smaller ``alpha``) there. The computation is in float64; ``x`` is returned in
    the data's precision.

    References
    ----------
    S. Mohammad-Taheri and S. Brugiapaglia, "The greedy side of the LASSO: new
    algorithms for weighted sparse recovery via loss function-based orthogonal
    matching pursuit", arXiv 2303.00844.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import loss_omp
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((100, 300)) / 10.0
    >>> x = np.zeros(300); x[[3, 50, 200]] = [1.5, -2.0, 1.0]
    >>> y = A @ x + 0.01 * rng.standard_normal(100)
    >>> y[:5] += 10.0  # five corrupted measurements
    >>> res = loss_omp(A, y, loss="lad")
    >>> sorted(res.support.tolist()), bool(np.linalg.norm(res.x - x) < 0.1)
    ([3, 50, 200], True)
    """
    A, y, weights = _check_problem(A, y, weights)
    dtype = np.result_type(A.dtype, y.dtype)
    m, n = A.shape
    alpha = default_alpha(loss, m, n, n_nonzero_coefs) if alpha is None else float(alpha)
    if n_nonzero_coefs is None and tol is None and loss == "squared" and alpha == 0.0:
        n_nonzero_coefs = max(n // 10, 1)
    cap = min(m, n) if max_iter is None else min(m, n, max_iter)
    if n_nonzero_coefs is not None:
        cap = min(cap, n_nonzero_coefs)
    mu = alpha * (np.ones(n) if weights is None else weights)

    # exact power-of-two rescaling to unit scale, so that norms and squares neither overflow nor underflow
    e_a = unit_exponent(A, dtype=np.float64)
    e_y = unit_exponent(y, dtype=np.float64)
    A64 = times_power_of_two(np.asarray(A, dtype=np.float64), e_a)
    y64 = times_power_of_two(np.asarray(y, dtype=np.float64), e_y)
    mean = A64.mean(axis=0) if fit_intercept else np.zeros(n)
    norms = np.linalg.norm(A64 - mean, axis=0)
    usable = norms > 0
    U = np.asfortranarray((A64 - mean) / np.where(usable, norms, 1.0))

    if loss == "lad":
        z, support, history, status, message = _lad_pursuit(U, y64, mu, usable, cap, tol, fit_intercept, e_y)
    else:
        z, support, history, status, message = _ls_pursuit(loss, U, y64, mu, usable, cap, tol, fit_intercept, e_y)
    if status == STATUS_MAX_ITER and n_nonzero_coefs is not None and len(support) == n_nonzero_coefs:
        status, message = STATUS_CONVERGED, f"{n_nonzero_coefs} nonzero coefficients (n_nonzero_coefs)"
    elif status == STATUS_MAX_ITER and len(support) == min(m, n) and (max_iter is None or max_iter >= min(m, n)):
        status, message = STATUS_CONVERGED, f"min(m, N) = {min(m, n)} indices chosen: the support is full"

    coef = np.zeros(n)
    support = np.asarray(support, dtype=np.intp)
    offset = 1 if fit_intercept else 0
    coef[support] = z[offset:offset + support.size] / norms[support]
    intercept = (z[0] / math.sqrt(m) - mean @ coef) if fit_intercept else 0.0
    result = Result(
        x=np.ldexp(coef, e_a - e_y).astype(dtype, copy=False),
        intercept=float(np.ldexp(intercept, -e_y)),
        support=support,
        residual_norm=np.ldexp(np.asarray(history), -e_y),
        alpha=alpha,
        n_iter=int(support.size),
    )
    return end_run(result, caller="loss_omp", status=status, message=message,
                   check=("x", "intercept", "residual_norm"))


def _stop_on_fit(value, tol, squared, e_y):
    """Whether the data fit (``value`` at unit scale) has reached ``tol`` (given in the data's scale)."""
    if tol is None:
        return False
    value = float(np.ldexp(value, -e_y))
    return value * value <= tol if squared else value <= tol


def _ls_pursuit(loss, U, y, mu, usable, cap, tol, intercept, e_y):
    factor = _LeastSquaresSupport(y, cap, intercept)
    chosen = np.zeros(U.shape[1], dtype=bool)
    support, history = [], [np.linalg.norm(factor.residual)]
    floor = 64.0 * np.finfo(float).eps * max(np.linalg.norm(y), np.finfo(float).tiny)
    status, message = STATUS_MAX_ITER, f"max_iter={cap} indices chosen before any stopping rule held"
    while True:
        if _stop_on_fit(history[-1], tol, loss == "squared", e_y):
            status, message = STATUS_CONVERGED, "the data fit reached tol"
            break
        if len(support) == cap:
            break
        r = factor.residual
        c = U.T @ r
        gain = _scores(loss, c, history[-1], mu)
        gain[chosen | ~usable] = -np.inf
        j = int(np.argmax(gain))
        if not gain[j] > 0.0 or abs(c[j]) <= floor:
            status, message = STATUS_CONVERGED, "no index decreases the loss"
            break
        if not factor.add(U[:, j]):
            status, message = STATUS_CONVERGED, f"column {j} is linearly dependent on the support"
            break
        chosen[j] = True
        support.append(j)
        history.append(np.linalg.norm(factor.residual))
    return factor.coefficients(), support, history, status, message


def _lad_pursuit(U, y, mu, usable, cap, tol, intercept, e_y):
    m = y.shape[0]
    chosen = np.zeros(U.shape[1], dtype=bool)
    basis = _LeastSquaresSupport(y, cap, intercept)  # only to detect a column dependent on the support
    columns = [np.full(m, 1.0 / math.sqrt(m))] if intercept else []
    z = np.zeros(len(columns))
    if intercept:
        z, _ = _lad_refit(columns[0][:, None], y, np.array([np.median(y) * math.sqrt(m)]))
    r = y - (columns[0] * z[0] if intercept else 0.0)
    support, history = [], [np.abs(r).sum()]
    step = np.zeros(U.shape[1])
    status, message = STATUS_MAX_ITER, f"max_iter={cap} indices chosen before any stopping rule held"
    while True:
        if _stop_on_fit(history[-1], tol, False, e_y):
            status, message = STATUS_CONVERGED, "the data fit reached tol"
            break
        if len(support) == cap:
            break
        gain, step = lad_selection(U, r, mu, ~chosen & usable, step)
        j = int(np.argmax(gain))
        if not gain[j] > 64.0 * np.finfo(float).eps * history[-1]:
            status, message = STATUS_CONVERGED, "no index decreases the loss"
            break
        if not basis.add(U[:, j]):
            status, message = STATUS_CONVERGED, f"column {j} is linearly dependent on the support"
            break
        B = np.column_stack(columns + [U[:, j]])
        z, value = _lad_refit(B, y, np.append(z, step[j]))
        columns.append(U[:, j])
        chosen[j] = True
        support.append(j)
        r = y - B @ z
        history.append(value)
    return z, support, history, status, message
