"""Quadratically regularised OT (Blondel, Seguy & Rolet, 2018): the smooth dual and its support QP, shared by sparse OT."""

import math
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from scipy import sparse

from .._core.backend import to_numpy
from .._core.params import Interval, Options, check_params
from .._core.result import Result, end_run
from .._core.validation import check_callable
from ._entropic import marginal_status
from ._newton import newton_direction
from ._problem import check_cost_scale, check_ot_problem, expand, power_of_two

__all__ = ["quadratic_ot"]


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
