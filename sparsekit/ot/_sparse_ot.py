"""Sparsity-constrained OT (Liu, Puigcerver & Blondel, ICLR 2023): at most k nonzeros per column."""

from numbers import Integral

import numpy as np
from scipy import optimize, sparse

from .._core.params import Interval, check_params
from .._core.result import end_run
from .._core.threads import small_blocks
from . import _sparse_ot_kernels as kernels
from ._quadratic_ot import (
    _ask,
    _column_projection_beta,
    _in_user_units,
    _l1,
    _numbered,
    _plan_result,
    _quadratic_ot,
    _support_qp,
    _validate,
)

__all__ = ["sparse_ot"]


# Time limit of one support-selection MILP (it is small unless no k-sparse plan exists).
_MILP_SECONDS = 2.0


# Newton iterations of a quadratic OT solved inside sparse_ot (quadratic_ot's default budget).
_MAX_NEWTON = 200


# First-stage iterations over which the marginal error must improve by 10% to continue.
_STALL_WINDOW = 100


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

    # L-BFGS-B's products are on vectors of length n + m: a small-block path, where threaded BLAS only slows
    stage1 = small_blocks(optimize.minimize)(
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
