"""Sparsity-constrained OT (Liu, Puigcerver & Blondel, ICLR 2023) and quadratically regularised OT."""

import math
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from scipy import optimize, sparse
from threadpoolctl import threadpool_limits

from .._core.backend import to_numpy
from .._core.result import Result, end_run
from .._core.validation import Interval, Options, check_callable, check_params
from . import _sparse_ot_kernels as kernels
from ._entropic import marginal_status
from ._problem import check_cost_scale, check_ot_problem, expand, power_of_two
from ._newton import newton_direction

_CONSTRAINTS = {
    "gamma": [Interval(Real, 0, None, closed="neither")],
    "tol": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "formulation": [Options({"dual", "semi-dual"})],
}


def _host_problem(a, b, M):
    problem = check_ot_problem(a, b, M, dtype="float64")
    C = np.ascontiguousarray(np.asarray(to_numpy(problem.M), dtype=np.float64))
    return problem, C


def _l1(x):
    return float(np.abs(x).sum())


# --------------------------------------------------------------------------- quadratic OT on a support
def _support_qp(C_support, rows, cols, a, b, gamma, alpha, beta, *, tol, max_iter, stop=None):
    """Quadratically regularised OT restricted to a support, by semismooth Newton on its dual.

    Maximises ``<alpha, a> + <beta, b> - (1 / (2 gamma)) sum_{(i,j) in S}
    [alpha_i + beta_j - C_ij]_+^2``; the plan is ``T_ij = [.]_+ / gamma`` on
    ``S`` (listed row by row). The generalised Hessian is ``(1/gamma) [[diag(row counts), E],
    [E.T, diag(col counts)]]`` with ``E`` the active edges: the structure of
    the SNS system, solved by the same shifted Schur complement (CG, to a
    tight tolerance: semismooth Newton needs accurate steps); Armijo
    backtracking on the (concave, piecewise-quadratic) dual.

    Returns
    -------
    tuple
        ``(values, alpha, beta, errors, n_iter, status)`` with ``values``
        the plan on the support, ``errors`` the per-iteration L1 marginal
        errors ``(rows, cols)`` and ``status`` 0 (converged), 1 (not
        converged) or 2 (``stop(max error)`` returned True after an
        iteration).
    """
    n, m = a.shape[0], b.shape[0]

    def evaluate(alpha, beta):
        slack = alpha[rows] + beta[cols] - C_support
        values = np.maximum(slack, 0.0) / gamma
        dual = alpha @ a + beta @ b - 0.5 * gamma * (values @ values)
        return values, dual

    values, dual = evaluate(alpha, beta)
    errors = []
    for iteration in range(max_iter + 1):
        grad_rows = a - np.bincount(rows, weights=values, minlength=n)
        grad_cols = b - np.bincount(cols, weights=values, minlength=m)
        errors.append((_l1(grad_rows), _l1(grad_cols)))
        if max(errors[-1]) <= tol:
            return values, alpha, beta, errors, iteration, 0
        if stop is not None and stop(max(errors[-1])):
            return values, alpha, beta, errors, iteration, 2
        if iteration == max_iter or (iteration >= 30 and max(errors[-1]) > 0.5 * max(errors[-30])):
            # out of budget, or stagnating (the dual optimum is not attained on this support)
            break
        active = values > 0
        row_counts = np.bincount(rows[active], minlength=n)
        # the support is listed row by row, so the CSR arrays of the active edges are read off directly
        indptr = np.concatenate([[0], np.cumsum(row_counts)])
        E = sparse.csr_array((np.ones(indptr[-1]), cols[active], indptr), shape=(n, m))
        grad_norm = math.hypot(np.linalg.norm(grad_rows), np.linalg.norm(grad_cols))
        d_rows, d_cols, _ = newton_direction(
            E, row_counts.astype(float), np.bincount(cols[active], minlength=m).astype(float),
            gamma * grad_rows, gamma * grad_cols, max(1e-3 * gamma * grad_norm, 1e-14), "cg", 1e-10,
        )
        slope = d_rows @ grad_rows + d_cols @ grad_cols
        step = 1.0
        while step > 1e-12:
            trial_values, trial_dual = evaluate(alpha + step * d_rows, beta + step * d_cols)
            if trial_dual >= dual + 1e-4 * step * slope or (
                abs(trial_dual - dual) <= 1e-15 * max(1.0, abs(dual)) and step == 1.0
            ):
                break
            step *= 0.5
        else:
            break
        alpha, beta = alpha + step * d_rows, beta + step * d_cols
        values, dual = trial_values, trial_dual
    return values, alpha, beta, errors, len(errors) - 1, 1


# Time limit of one support-selection MILP (it is small unless no k-sparse plan exists).
_MILP_SECONDS = 2.0
# Newton iterations of a quadratic OT solved inside sparse_ot (quadratic_ot's default budget).
_MAX_NEWTON = 200
# First-stage iterations over which the marginal error must improve by 10% to continue.
_STALL_WINDOW = 100


def _column_projection_beta(C, b, gamma, k):
    """``beta`` making every column's mass exact at ``alpha = 0`` (top-k of ``-C``): a good start."""
    m = C.shape[1]
    beta = np.empty(m)
    for j in range(m):
        costs = np.sort(C[:, j])[: min(k, C.shape[0])]
        for r in range(costs.shape[0], 0, -1):
            level = (gamma * b[j] + costs[:r].sum()) / r
            if level > costs[r - 1]:
                beta[j] = level
                break
    return beta


def _plan_result(problem, rows, cols, values, *, alpha, beta, errors, n_iter, status, tol, method, extra=None):
    """Result with a scipy.sparse plan on the full problem's indices (``status`` as of :func:`_support_qp`)."""
    full_rows = rows if problem.rows is None else problem.rows[rows]
    full_cols = cols if problem.cols is None else problem.cols[cols]
    keep = values > 0
    plan = sparse.csc_array((values[keep], (full_rows[keep], full_cols[keep])), shape=problem.shape)
    plan.sum_duplicates()
    errors = np.asarray(errors, dtype=np.float64).reshape(-1, 2)
    status, message = marginal_status(status == 0, n_iter, *errors[-1], tol, norm=" (L1)", stopped=status == 2)
    result = Result(
        plan=plan,
        alpha=expand(alpha, problem.rows, problem.shape[0], 0.0),
        beta=expand(beta, problem.cols, problem.shape[1], 0.0),
        cost=float(plan.multiply(to_numpy(problem.M_full)).sum()),
        marginal_error=errors,
        n_iter=int(n_iter),
        status=status,
        message=message,
        method=method,
    )
    if extra:
        result.update(extra)
    return result


def _validate(a, b, M, gamma, tol, max_iter, callback, caller, **more):
    """The validated problem in units of its total mass and largest cost.

    Quadratic OT is homogeneous: ``T(s a, s b, c C; gamma) = s T(a, b, C; gamma s / c)`` with duals
    scaled by ``c``. The solvers' safeguards (line-search and CG floors) are absolute, so they solve the
    problem in units (powers of two) of its mass and of its largest cost or ``gamma * mass``, and
    :func:`_in_user_units` scales the result back.

    Returns
    -------
    tuple
        ``(problem, C, gamma, tol, units)``: the unit problem, its cost on the host, its ``gamma``
        and ``tol``, and ``units = (mass, cost scale)``.
    """
    check_params({"gamma": gamma, "tol": tol, "max_iter": max_iter, **more}, _CONSTRAINTS, caller=caller)
    check_callable(callback, "callback")
    problem, C = _host_problem(a, b, M)
    # the plan is the dual slack over gamma: the slack's scale is gamma times the mass
    check_cost_scale(problem, gamma, "gamma", per_mass=True)
    # units: powers of two nearest to the total mass and to the largest cost, or to the regulariser's
    # scale when that is larger (a cost of 1e-300 against gamma = 0.5 would otherwise become a unit cost
    # against gamma = 1e300); dividing by them is exact, and a problem near unit scale is left as it is
    mass = power_of_two(problem.mass)
    scale = power_of_two(max(float(np.abs(C).max()), gamma * problem.mass))
    unit = replace(problem, a=problem.a / mass, b=problem.b / mass, M=problem.M / scale,
                   M_full=problem.M_full / scale)
    # tol is relative to the total mass: in the unit problem, to problem.mass / mass
    return unit, C / scale, gamma * mass / scale, tol * problem.mass / mass, (mass, scale)


def _in_user_units(result, units):
    """Scale a result of the unit problem back (see :func:`_validate`); errors and cost with the mass."""
    mass, scale = units
    if (mass, scale) == (1.0, 1.0):
        return result
    result.plan = result.plan * mass
    result.alpha, result.beta = result.alpha * scale, result.beta * scale
    result.cost = result.cost * mass * scale
    result.marginal_error = result.marginal_error * mass
    if "dual_marginal_error" in result:
        result.dual_marginal_error = result.dual_marginal_error * mass
    return result


def quadratic_ot(a, b, M, gamma, *, tol=1e-9, max_iter=200, callback=None):
    r"""Quadratically regularised optimal transport, solved exactly by semismooth Newton.

    Solves :math:`\min_{T \in U(a, b)} \langle T, M\rangle + \frac{\gamma}{2}\|T\|_F^2`,
    whose plan is sparse (Blondel, Seguy & Rolet, 2018).

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses (None: uniform).
    b : array-like of shape (m,) or None
        Target masses, same total (None: uniform).
    M : array-like of shape (n, m)
        Cost matrix.
    gamma : float
        Regularisation (> 0).
    tol : float, default=1e-9
        Tolerance on both marginal errors (L1), relative to the total mass.
    max_iter : int, default=200
        Newton iterations allowed.
    callback : callable, optional
        ``callback(state)`` after each iteration, with ``state`` a
        :class:`~sparsekit.Result` holding ``n_iter`` and ``marginal_error``
        (the larger L1 marginal error; the potentials are not included).
        Return True (or raise ``StopIteration``) to stop: status 2, no warning.

    Returns
    -------
    Result
        ``plan`` (``scipy.sparse.csc_array``), ``alpha``, ``beta`` (dual
        potentials: ``T_ij = [alpha_i + beta_j - M_ij]_+ / gamma``), ``cost``
        (``<T, M>``), ``marginal_error`` (L1 ``(row, column)`` per
        iteration), ``n_iter``, ``converged``, ``status`` (0 converged, 1
        not converged, 2 stopped by the callback, 3 non-finite values: see
        :func:`~sparsekit.utils.end_run`), ``message``.

    Raises
    ------
    ValueError
        Invalid masses or cost (see :func:`sparsekit.ot.sinkhorn`), or a
        ``gamma`` so small that ``max|M| / (gamma * sum(a))`` exceeds about
        ``4.5e12`` (no digit of the plan would be left).
    TypeError
        Complex or non-numeric masses or cost.
    sparsekit.InvalidParameterError
        An option outside its range (NaN and infinity included).

    See Also
    --------
    sparse_ot : The same with at most ``k`` nonzeros per column.

    Notes
    -----
    **Stopping rule**: ``||T 1 - a||_1 <= tol * sum(a)`` and
    ``||T^T 1 - b||_1 <= tol * sum(a)``; Newton stops early when an
    iteration has not halved the error of 30 iterations before. The problem
    is solved in units of its total mass and largest cost (it is homogeneous:
    ``T(s a, s b, c M; gamma) = s T(a, b, M; gamma s / c)``), so any scale of
    either works alike.

    The dual :math:`\max_{\alpha,\beta} \langle\alpha, a\rangle + \langle\beta,
    b\rangle - \frac{1}{2\gamma}\sum_{ij}[\alpha_i + \beta_j - M_{ij}]_+^2` is
    concave and piecewise quadratic. Newton steps use its generalised
    Hessian (the active entries of the plan), shifted by
    ``1e-3 * gamma * ||grad||`` (the Hessian is singular along ``(1, -1)``),
    with Armijo backtracking; the start makes every column exact at
    ``alpha = 0``. Once the active set is identified the iteration is exact,
    so it ends in a few tens of steps (Lorenz, Manns & Meyer, 2021).

    References
    ----------
    .. [1] M. Blondel, V. Seguy, A. Rolet, "Smooth and sparse optimal
       transport", AISTATS 2018.
    .. [2] D. A. Lorenz, P. Manns, C. Meyer, "Quadratically regularized
       optimal transport", Appl. Math. Optim. 83, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.ot import quadratic_ot
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = quadratic_ot([0.5, 0.5], [0.5, 0.5], M, 0.1)
    >>> res.plan.toarray()
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    problem, C, gamma, tol, units = _validate(a, b, M, gamma, tol, max_iter, callback, "quadratic_ot")
    result = _quadratic_ot(problem, C, gamma, tol=tol, max_iter=max_iter, callback=callback,
                           method="quadratic_ot (semismooth Newton)")
    result = _in_user_units(result, units)
    return end_run(result, caller="quadratic_ot", status=result.status, message=result.message)


def _quadratic_ot(problem, C, gamma, *, tol, max_iter, callback, method):
    """:func:`quadratic_ot` on a validated problem (``C``: its cost on the host)."""
    n, m = C.shape
    rows = np.repeat(np.arange(n), m)
    cols = np.tile(np.arange(m), n)
    values, alpha, beta, errors, n_iter, status = _support_qp(
        C.ravel(), rows, cols, problem.a, problem.b, gamma, np.zeros(n),
        _column_projection_beta(C, problem.b, gamma, n), tol=tol, max_iter=max_iter,
        stop=_numbered(callback, 0),
    )
    return _plan_result(
        problem, rows, cols, values, alpha=alpha, beta=beta, errors=errors,
        n_iter=n_iter, status=status, tol=tol, method=method,
    )


def _numbered(callback, start):
    """``stop(error)`` that calls ``callback(state)``, ``n_iter`` counted on from ``start`` (None: no callback)."""
    if callback is None:
        return None
    count = [start]

    def stop(error):
        count[0] += 1
        return _ask(callback, count[0], error)

    return stop


def _ask(callback, n_iter, marginal_error):
    """Call ``callback(state)`` with the iteration's :class:`~sparsekit.Result`; True if it asks to stop."""
    try:
        return bool(callback(Result(n_iter=n_iter, marginal_error=marginal_error)))
    except StopIteration:
        return True


# --------------------------------------------------------------------------- k-sparse OT
class _KSparseObjective:
    """Negated (semi-)dual of k-sparse OT and its gradient, for scipy's L-BFGS-B."""

    def __init__(self, C, a, b, gamma, k, formulation):
        self.CT = np.ascontiguousarray(C.T)
        self.a, self.b, self.gamma, self.k = a, b, gamma, k
        self.formulation = formulation
        self.n, self.m = C.shape
        self.row_mass = np.empty(self.n)
        self.col_mass = np.empty(self.m)
        self._none = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
        self.last_error = np.inf

    def __call__(self, x):
        if self.formulation == "semi-dual":
            value, _ = kernels.topk_semidual(self.CT, x, self.b, self.gamma, self.k, self.row_mass, *self._none)
            gradient = self.a - self.row_mass
            self.last_error = _l1(gradient)
            return -(x @ self.a - value), -gradient
        alpha, beta = x[: self.n], x[self.n:]
        penalty, _ = kernels.topk_dual(
            self.CT, alpha, beta, self.gamma, self.k, self.row_mass, self.col_mass, *self._none
        )
        value = alpha @ self.a + beta @ self.b - penalty
        gradient = np.concatenate([self.a - self.row_mass, self.b - self.col_mass])
        self.last_error = max(_l1(gradient[: self.n]), _l1(gradient[self.n:]))
        return -value, -gradient

    def plan(self, x):
        """COO entries of the plan at ``x`` and the matching ``(alpha, beta)``."""
        size = self.m * self.k
        out = (np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size))
        if self.formulation == "semi-dual":
            _, nnz = kernels.topk_semidual(self.CT, x, self.b, self.gamma, self.k, self.row_mass, *out)
            alpha = x
            # beta_j from the projection threshold: T_ij = (alpha_i + beta_j - C_ij) / gamma on the support
            rows, cols, values = (o[:nnz] for o in out)
            beta = np.zeros(self.m)
            np.add.at(beta, cols, self.gamma * values - alpha[rows] + self.CT[cols, rows])
            counts = np.bincount(cols, minlength=self.m)
            beta = np.where(counts > 0, beta / np.maximum(counts, 1), 0.0)
            return rows, cols, values, alpha, beta
        alpha, beta = x[: self.n], x[self.n:]
        _, nnz = kernels.topk_dual(self.CT, alpha, beta, self.gamma, self.k, self.row_mass, self.col_mass, *out)
        return out[0][:nnz], out[1][:nnz], out[2][:nnz], alpha, beta


def _candidate_support(C, alpha, beta, gamma, b, k, tie_fraction):
    """Per column: the top-k rows of ``s = alpha + beta_j - C_j`` and the rows tied with the k-th within a tolerance."""
    slack = alpha[:, None] + beta[None, :] - C
    n = C.shape[0]
    kth = -np.partition(-slack, min(k, n) - 1, axis=0)[min(k, n) - 1]
    rows, cols = np.nonzero(slack >= (kth - tie_fraction * gamma * b)[None, :])
    return rows, cols


def _select_support(rows, cols, a, b, k, weights):
    """Choose at most ``k`` candidate edges per column that carry a feasible plan (a small MILP).

    Only the columns with more than ``k`` candidates get binary variables;
    the flow ``t`` on the candidate edges must meet both marginals, with
    ``t_e <= b_j z_e`` and ``sum_e z_e <= k`` per such column, and the
    chosen edges keep as much of ``weights`` (the plan of the convexified
    problem on the candidates) as possible, so that the quadratic OT
    re-solved on them stays close to it. Returns the mask of chosen
    candidates, or None when no k-sparse plan lives on the candidates.
    """
    n, m = a.shape[0], b.shape[0]
    n_edges = rows.shape[0]
    per_column = np.bincount(cols, minlength=m)
    crowded = np.flatnonzero(per_column[cols] > k)
    n_binary = crowded.shape[0]
    edge = np.arange(n_edges)
    # equality rows: row marginals, then column marginals
    equality = sparse.coo_array(
        (np.ones(2 * n_edges), (np.concatenate([rows, n + cols]), np.concatenate([edge, edge]))),
        shape=(n + m, n_edges + n_binary),
    )
    binary = np.arange(n_binary)
    linking = sparse.coo_array(
        (np.concatenate([np.ones(n_binary), -b[cols[crowded]]]),
         (np.concatenate([binary, binary]), np.concatenate([crowded, n_edges + binary]))),
        shape=(n_binary, n_edges + n_binary),
    )
    crowded_columns, column_of_binary = np.unique(cols[crowded], return_inverse=True)
    cardinality = sparse.coo_array(
        (np.ones(n_binary), (column_of_binary, n_edges + binary)),
        shape=(crowded_columns.shape[0], n_edges + n_binary),
    )
    constraints = [
        optimize.LinearConstraint(equality, np.concatenate([a, b]), np.concatenate([a, b])),
        optimize.LinearConstraint(linking, -np.inf, 0.0),
        optimize.LinearConstraint(cardinality, 0.0, k),
    ]
    solution = optimize.milp(
        np.concatenate([np.zeros(n_edges), -weights[crowded]]),
        constraints=constraints,
        integrality=np.concatenate([np.zeros(n_edges), np.ones(n_binary)]),
        bounds=optimize.Bounds(0.0, np.concatenate([np.full(n_edges, np.inf), np.ones(n_binary)])),
        options={"time_limit": _MILP_SECONDS},
    )
    if solution.x is None:  # infeasible, or no feasible point within the time limit
        return None
    chosen = np.ones(n_edges, dtype=bool)
    chosen[crowded] = solution.x[n_edges:] > 0.5
    return chosen


def _interior_support(rows, cols, a, b):
    """The edges that can all carry positive flow at once, in a plan meeting the marginals (an LP).

    Maximises ``sum_e min(t_e, eps)``: the edges that can be positive in
    some feasible plan are all positive in their average, so for a small
    ``eps`` the maximiser reaches ``eps`` on exactly those edges. On them the
    restricted quadratic OT has a strictly feasible point, so its dual
    optimum is attained and Newton converges.
    """
    n, m = a.shape[0], b.shape[0]
    n_edges = rows.shape[0]
    # in units of the smallest mass, so that eps stays well above the LP's feasibility tolerance
    unit = min(a.min(), b.min())
    a, b = a / unit, b / unit
    eps = 1e-3
    edge = np.arange(n_edges)
    equality = sparse.coo_array(
        (np.ones(2 * n_edges), (np.concatenate([rows, n + cols]), np.concatenate([edge, edge]))),
        shape=(n + m, 2 * n_edges),
    )
    below_flow = sparse.coo_array(
        (np.concatenate([np.ones(n_edges), -np.ones(n_edges)]), (np.concatenate([edge, edge]),
                                                                 np.concatenate([n_edges + edge, edge]))),
        shape=(n_edges, 2 * n_edges),
    )
    solution = optimize.linprog(
        np.concatenate([np.zeros(n_edges), -np.ones(n_edges)]),
        A_ub=below_flow, b_ub=np.zeros(n_edges), A_eq=equality, b_eq=np.concatenate([a, b]),
        bounds=list(zip(np.zeros(2 * n_edges), np.concatenate([np.full(n_edges, np.inf), np.full(n_edges, eps)]))),
        method="highs",
    )
    if solution.x is None:
        return None
    return solution.x[n_edges:] > 0.5 * eps


def _finish(C, problem, alpha, beta, gamma, k, tol, max_newton, stop=None):
    """Finishing step: exact quadratic OT on a k-sparse support chosen among the dual's candidates.

    The candidates of a column are its top-k rows of ``s = alpha + beta_j -
    C_j`` and the rows within ``tie_fraction * gamma * b_j`` of the k-th
    (near-ties, where the convexified problem may split the column). The
    quadratic OT restricted to them is solved first; if its plan has more
    than ``k`` nonzeros in some column (or it does not converge),
    :func:`_select_support` picks ``k`` candidates per column carrying a
    feasible plan, :func:`_interior_support` keeps those that can be
    positive together, and the quadratic OT on them is solved again.
    Candidates are widened (twice) if needed. Returns the support, its
    values and potentials, the error history and a status as of
    :func:`_support_qp` (``stop`` is passed on to it).
    """
    a, b = problem.a, problem.b
    history = []
    values = np.zeros(0)
    rows = cols = np.zeros(0, dtype=np.int64)

    def solve_on(rows, cols):
        """Quadratic OT restricted to ``(rows, cols)``, from the dual's potentials; its errors join ``history``."""
        values, alpha_s, beta_s, errors, _, status = _support_qp(
            C[rows, cols], rows, cols, a, b, gamma, alpha, beta, tol=tol, max_iter=max_newton, stop=stop
        )
        history.extend(errors)
        return values, alpha_s, beta_s, status

    for tie_fraction in (0.5, 4.0, 32.0):
        rows, cols = _candidate_support(C, alpha, beta, gamma, b, k, tie_fraction)
        values, alpha_s, beta_s, status = solve_on(rows, cols)
        if status == 2:
            return rows, cols, values, alpha_s, beta_s, history, 2
        if status == 0 and np.bincount(cols[values > 0], minlength=C.shape[1]).max(initial=0) <= k:
            return rows, cols, values, alpha_s, beta_s, history, 0
        chosen = _select_support(rows, cols, a, b, k, values)
        if chosen is None:
            continue
        rows, cols = rows[chosen], cols[chosen]
        positive = _interior_support(rows, cols, a, b)
        if positive is None:
            continue
        rows, cols = rows[positive], cols[positive]
        values, alpha_s, beta_s, status = solve_on(rows, cols)
        if status != 1:
            return rows, cols, values, alpha_s, beta_s, history, status
    return rows, cols, values, alpha, beta, history, 1


def sparse_ot(a, b, M, k, gamma, *, formulation="dual", tol=1e-9, max_iter=2000, callback=None):
    r"""Sparsity-constrained optimal transport: at most ``k`` nonzeros per column of the plan.

    Solves :math:`\min_{T \in U(a, b)} \sum_j \langle t_j, m_j\rangle +
    \frac{\gamma}{2}\|t_j\|^2` subject to :math:`\|t_j\|_0 \le k` for every
    column ``t_j`` (Liu, Puigcerver & Blondel, 2023), to tight marginals.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses (None: uniform).
    b : array-like of shape (m,) or None
        Target masses, same total (None: uniform).
    M : array-like of shape (n, m)
        Cost matrix.
    k : int
        Nonzeros allowed per column (``k >= n`` is :func:`quadratic_ot`).
    gamma : float
        Quadratic regularisation (> 0).
    formulation : {"dual", "semi-dual"}, default="dual"
        Objective of the first stage: the dual in ``(alpha, beta)`` with
        top-k conjugates, or the semi-dual in ``alpha`` with k-sparse simplex
        projections (exact columns).
    tol : float, default=1e-9
        Tolerance on both marginal errors (L1), relative to the total mass.
    max_iter : int, default=2000
        L-BFGS iterations of the first stage.
    callback : callable, optional
        ``callback(state)`` after every iteration of either stage, with
        ``state`` a :class:`~sparsekit.Result` holding ``n_iter`` and
        ``marginal_error`` (the larger L1 marginal error; in the first stage,
        of the plan read from the dual; the potentials are not included).
        Return True (or raise ``StopIteration``) to stop: status 2, no
        warning, with the first stage's k-sparse plan when the second stage
        was stopped.

    Returns
    -------
    Result
        ``plan`` (``scipy.sparse.csc_array``, at most ``k`` nonzeros per
        column), ``alpha``, ``beta``, ``cost`` (``<T, M>``),
        ``marginal_error`` (L1 ``(row, column)`` per finishing iteration),
        ``n_iter`` (first-stage iterations plus finishing iterations),
        ``n_lbfgs``, ``dual_marginal_error`` (the first stage's plan's
        errors), ``converged``, ``status`` (as for :func:`quadratic_ot`),
        ``message``.

    Raises
    ------
    ValueError
        Invalid masses or cost (see :func:`sparsekit.ot.sinkhorn`), or a
        ``gamma`` so small that ``max|M| / (gamma * sum(a))`` exceeds about
        ``4.5e12`` (no digit of the plan would be left).
    TypeError
        Complex or non-numeric masses or cost.
    sparsekit.InvalidParameterError
        An option outside its range (NaN and infinity included).

    See Also
    --------
    quadratic_ot : No cardinality constraint.

    Notes
    -----
    **Stopping rule**: ``||T 1 - a||_1 <= tol * sum(a)``,
    ``||T^T 1 - b||_1 <= tol * sum(a)`` and at most ``k`` nonzeros in every
    column. ``max_iter`` bounds both stages together: a first stage cut off
    by it leaves the support unchecked, so the run ends there, not converged.

    **Algorithm.** Stage 1 maximises the dual (or semi-dual) of the
    paper with L-BFGS: the conjugate of the k-sparse quadratic regulariser of
    a column is :math:`\frac{1}{2\gamma}\sum_{i\in\mathrm{top}_k(s)}[s_i]_+^2`,
    whose gradient is the plan column; the semi-dual's maximiser is the
    k-sparse simplex projection. When ``k`` binds, the optimum of this dual
    (the convexified problem) sits on ties at the k-th position and the plan
    read from it misses the marginals (POT's solver stops at 1e-3 to 1e-1).
    Stage 2 (our finishing step) solves the quadratic OT restricted to the
    candidate support (top-k plus the rows tied with the k-th) exactly, by
    semismooth Newton, and trims every column to its ``k`` largest entries,
    re-solving, until the plan is k-sparse with exact marginals. With
    ``k = 1`` the regulariser is the same constant for every feasible plan,
    so the problem is the OT linear program with 1-sparse columns; the same
    two stages apply. A k-sparse plan with the given marginals need not
    exist (e.g. ``k = 1`` and masses that do not pack): the result then says
    so (``converged=False``).

    References
    ----------
    .. [1] T. Liu, J. Puigcerver, M. Blondel, "Sparsity-constrained optimal
       transport", ICLR 2023.
    .. [2] A. Kyrillidis, S. Becker, V. Cevher, C. Koch, "Sparse projections
       onto the simplex", ICML 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.ot import cost_matrix, sparse_ot
    >>> rng = np.random.default_rng(0)
    >>> M = cost_matrix(rng.random((30, 2)), rng.random((30, 2)))
    >>> res = sparse_ot(None, None, M / M.max(), k=2, gamma=0.1)
    >>> res.converged, int(np.diff(res.plan.indptr).max()) <= 2
    (True, True)
    """
    check_params({"k": k}, {"k": [Interval(Integral, 1, None, closed="left")]}, caller="sparse_ot")
    problem, C, gamma, tol, units = _validate(a, b, M, gamma, tol, max_iter, callback, "sparse_ot",
                                              formulation=formulation)
    n, m = C.shape
    if k >= n:
        result = _quadratic_ot(problem, C, gamma, tol=tol, max_iter=min(max_iter, _MAX_NEWTON),
                               callback=callback,
                               method="sparse_ot (k >= n: quadratic_ot)")
        result = _in_user_units(result, units)
        return end_run(result, caller="sparse_ot", status=result.status, message=result.message)
    objective = _KSparseObjective(C, problem.a, problem.b, gamma, k, formulation)
    start = np.zeros(n) if formulation == "semi-dual" else np.concatenate(
        [np.zeros(n), _column_projection_beta(C, problem.b, gamma, k)]
    )
    stage1_errors = []
    stopped_by_callback = [False]
    stage1_done = [False]

    def stop_when_done(intermediate_result):
        # the marginal error is the gradient norm: stop at tol, or once it no longer improves
        stage1_errors.append(objective.last_error)
        if callback is not None and _ask(callback, len(stage1_errors), objective.last_error):
            stopped_by_callback[0] = True
            raise StopIteration
        window = stage1_errors[-_STALL_WINDOW:]
        if window[-1] <= tol or (len(stage1_errors) >= 2 * _STALL_WINDOW and min(window) > 0.9 * min(
            stage1_errors[: -_STALL_WINDOW]
        )):
            stage1_done[0] = True
            raise StopIteration

    # L-BFGS-B's products are on vectors of length n + m: threaded BLAS only slows them down
    with threadpool_limits(limits=1, user_api="blas"):
        stage1 = optimize.minimize(
            objective, start, jac=True, method="L-BFGS-B", callback=stop_when_done,
            options={"maxiter": max_iter, "maxfun": 2 * max_iter, "ftol": 1e-15, "gtol": 1e-12, "maxcor": 20},
        )
    rows, cols, values, alpha, beta = objective.plan(stage1.x)
    dual_errors = (
        _l1(problem.a - np.bincount(rows, weights=values, minlength=n)),
        _l1(problem.b - np.bincount(cols, weights=values, minlength=m)),
    )
    history = [dual_errors]
    status = 0 if max(dual_errors) <= tol else (2 if stopped_by_callback[0] else 1)
    impossible = k * m < n
    # The finishing stage picks its support from the first stage's dual: a first stage cut off by
    # max_iter (L-BFGS's status 1) gives none; the finishing stage's iterations count in the same budget.
    budget_left = min(_MAX_NEWTON, max_iter - stage1.nit)
    exhausted = (stage1.status == 1 and not stage1_done[0]) or budget_left < 1
    if status == 1 and not impossible and not exhausted:
        finished = _finish(C, problem, alpha, beta, gamma, k, tol, max_newton=budget_left,
                           stop=_numbered(callback, stage1.nit))
        if finished[-1] == 0:
            rows, cols, values, alpha, beta, history, status = finished
        else:
            # no k-sparse plan with exact marginals was found (or the callback stopped the search): return the
            # first stage's (k-sparse) plan
            history, status = finished[-2] + [dual_errors], finished[-1]
    result = _plan_result(
        problem, rows, cols, values, alpha=alpha, beta=beta, errors=history,
        n_iter=stage1.nit + len(history) - 1, status=status, tol=tol,
        method=f"sparse_ot ({formulation}, L-BFGS + restricted Newton)",
        extra={"n_lbfgs": int(stage1.nit), "dual_marginal_error": np.asarray(dual_errors)},
    )
    if status == 1:
        if impossible:
            reason = f"no plan with at most k={k} nonzeros per column can serve all {n} rows (k*m = {k * m})"
        elif exhausted:
            reason = (
                f"the iteration budget max_iter={max_iter} ran out before the first stage (L-BFGS) finished: "
                "raise max_iter; the first stage's k-sparse plan is returned"
            )
        else:
            reason = (
                "no k-sparse plan meeting the marginals was found near the dual solution "
                "(one may not exist); the first stage's k-sparse plan is returned"
            )
        result.message += f"; {reason}"
    result = _in_user_units(result, units)
    return end_run(result, caller="sparse_ot", status=result.status, message=result.message)
