"""``sinkhorn``: entropic OT by Sinkhorn iterations (kernel space or log domain), or SNS when it pays."""

import numpy as np

from .._core.backend import to_numpy
from .._core.params import Options, check_params
from .._core.result import Result, end_run
from ._entropic import (
    LOOP_TOL_FACTOR,
    History,
    _safe,
    default_max_iter,
    entropic_result,
    make_monitor,
    report,
    resolve_tol,
    stall_detector,
    validate_common,
)
from ._entropic_driver import solve_entropic
from ._newton import newton_stage
from ._passes import passes_for
from ._problem import check_cost_scale, check_ot_problem, single_histogram, to_device


def sinkhorn(
    a,
    b,
    M,
    reg,
    *,
    method="auto",
    tol=None,
    max_iter=None,
    x0=None,
    callback=None,
    dtype=None,
    plan_format="auto",
    verbose=0,
):
    r"""Entropic optimal transport by Sinkhorn's matrix scaling, never NaN, never slow.

    Solves :math:`\min_P \langle P, M\rangle + \mathrm{reg}\sum_{ij} P_{ij}(\log P_{ij} - 1)`
    subject to :math:`P\mathbf 1 = a` and :math:`P^\top\mathbf 1 = b`.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses (non-negative; None or ``[]``: uniform).
    b : array-like of shape (m,) or (m, k), or None
        Target masses with the same total as ``a``; a 2-D ``b`` holds ``k``
        histograms solved against the same ``a`` and ``M`` (as in POT).
    M : array-like of shape (n, m)
        Cost matrix. NumPy arrays use the numba/BLAS code; CuPy (or any
        array-API) arrays stay on their device.
    reg : float
        Entropic regularisation (> 0), in the units of ``M``.
    method : {"auto", "kernel", "log"}, default="auto"
        ``"kernel"``: scaling vectors and the Gibbs kernel (two
        matrix-vector products per iteration, at the memory-bandwidth floor),
        stabilised by absorption; ``"log"``: log-domain potentials, one fused
        pass per half-iteration and no ``n x m`` array; ``"auto"``:
        Sinkhorn-Newton-Sparse (:func:`sinkhorn_newton_sparse` with its
        defaults), which is plain kernel-space Sinkhorn when the plan is
        dense (``reg`` large against the cost, e.g. ``reg >= 1e-2`` for a
        cost of maximum 1) and switches to sparse Newton steps when it is not.
    tol : float, optional
        Tolerance on both marginal errors (L2), relative to the total mass
        (absolute for masses summing to 1). Default: 1e-9 in float64, 1e-6 in
        float32 (about 8 eps of float32: the rounding floor of float32
        marginals is near 1e-7).
    max_iter : int, optional
        Iteration budget; default ``max(1000, 4 * (max M - min M) / reg)``
        capped at 10**6 (Sinkhorn needs about ``1.6 * spread / reg``).
    x0 : tuple of arrays, optional
        Starting potentials ``(f, g)`` in cost units (2-D for a 2-D ``b``).
    callback : callable, optional
        ``callback(state)`` after each iteration, with ``state`` a
        :class:`~sparsekit.Result` holding ``n_iter`` and ``marginal_error``
        (the larger of the two marginal errors; with a 2-D ``b``, the largest
        over the histograms still iterating). The potentials are not
        included: forming them costs a pass per iteration in kernel space.
        Return True (or raise ``StopIteration``) to stop: status 2, no warning.
    dtype : {None, "float32", "float64"}, optional
        Precision of the cost and of the kernel: float32 halves the memory
        traffic of kernel-space iterations; the plan and the potentials are
        returned in float32 and the default ``tol`` is float32's (their
        marginal errors stall near 1e-7 relative).
    plan_format : {"auto", "dense", "lazy"}, default="auto"
        Dense array, or :class:`~sparsekit.ot.EntropicPlan` (potentials and a
        reference to ``M``; evaluated on demand). ``"auto"``: lazy above
        ``2**25`` entries. With a 2-D ``b``, ``plan`` is a list, one per histogram.
    verbose : int, default=0
        Log progress (1: about ten lines, 2: every iteration).

    Returns
    -------
    Result
        ``plan``; ``f``, ``g`` (potentials in cost units:
        ``P_ij = exp((f_i + g_j - M_ij) / reg)``; points of zero mass get a
        finite value and zero plan rows/columns); ``cost`` (``<P, M>``, POT's
        ``sinkhorn2``); ``marginal_error`` (one ``(row, column)`` L2 pair per
        iteration; the last pair is exact for the returned plan);
        ``elapsed`` (seconds); ``n_iter``; ``converged``; ``status`` (0
        converged, 1 not converged: budget exhausted, or iterations that met
        ``tol`` with a plan whose exact errors do not (float32, or a ``tol``
        below rounding), 2 stopped by the callback, 3 non-finite values
        (never expected; see :func:`~sparsekit.utils.end_run`));
        ``message``; ``method`` (what ran). With a 2-D ``b``: ``f``, ``g``
        have a column per histogram, ``cost`` and ``n_iter`` are arrays,
        ``marginal_error``/``elapsed`` lists, ``problem_converged`` per histogram.

    Raises
    ------
    ValueError
        NaN or infinity in ``M``; an empty ``M``, ``a`` or ``b`` (only None
        means uniform) or a scalar mass; negative or NaN masses, or a total
        mass outside ``[1e-100, 1e100]``; ``a`` and ``b`` with different
        totals (beyond ``1e-6`` relative, which is rescaled away); ``M``
        whose shape is not ``(len(a), len(b))``; ``reg`` so small that
        ``max|M| / reg`` exceeds about ``4.5e12`` (no digit of the plan would
        be left), raised before any iteration.
    TypeError
        Complex or non-numeric masses or cost.
    sparsekit.InvalidParameterError
        An option outside its range.

    See Also
    --------
    sinkhorn_newton_sparse : The Newton-accelerated solver behind ``method="auto"``.
    solve : One front door to all OT solvers.

    Notes
    -----
    **Stopping rule.** ``max(||P 1 - a||_2, ||P^T 1 - b||_2) <= tol * sum(a)``
    for the returned plan (float32 kernel iterations stop at ``tol / 2`` of
    their own, rounded, errors so that the exact ones meet ``tol``). A run
    whose best error is below ``sqrt(eps) * sum(a)`` and has not fallen by
    0.1% over ``max(100, spread / (2 reg))`` iterations (``spread = max M -
    min M``) is at its rounding floor: it stops early with status 1, "no
    progress", instead of spinning to ``max_iter``. Each iteration updates the column scaling (the column
    marginal becomes exact) and measures the row marginal, which is the pass
    the row update needs anyway, so the check costs nothing and is made
    every iteration; the returned plan is the state after a column update,
    whose two errors are recomputed exactly at the end. POT checks only
    ``||P^T 1 - b||_2`` (after its row update), every 10 iterations, at the
    cost of an extra product; OTT-JAX checks the L1 error of one marginal
    every ``inner_iterations=10``. Same tolerance, so sparsekit's rule is the
    stricter one.

    **Domains.** Sinkhorn alternates ``g_j <- reg log b_j - reg LSE_i((f_i -
    M_ij)/reg)`` and the same for ``f`` (Cuturi, 2013). In the log domain a
    half-iteration is one numba pass evaluating
    ``sum_j exp(F_i + G_j - M_ij/reg)`` with the previous potential as the
    shift: this sum is the current marginal (so no max pass is needed, and
    no entry can overflow); rows or columns whose sum under- or overflows
    are recomputed with an exact log-sum-exp. The exponential is a
    vectorised polynomial (relative error below 3e-14). The kernel space keeps
    ``K = exp((F0_i + G0_j - M_ij)/reg)`` with absorbed potentials and
    re-absorbs whenever a scaling exceeds ``1e100`` (float64) or a product
    underflows, so it never returns NaN, unlike POT's ``sinkhorn`` at small
    ``reg`` with unnormalised costs, and it keeps the mass, unlike POT's
    ``sinkhorn_stabilized`` at ``n = 1000, reg <= 1e-3``.

    **Zero masses.** Points of zero mass are removed before solving.

    References
    ----------
    .. [1] M. Cuturi, "Sinkhorn distances: lightspeed computation of optimal
       transport", NeurIPS 2013.
    .. [2] B. Schmitzer, "Stabilized sparse scaling algorithms for entropy
       regularized transport problems", SIAM J. Sci. Comput. 41(3), 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.ot import sinkhorn
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = sinkhorn([0.5, 0.5], [0.5, 0.5], M, 1.0)
    >>> np.round(res.plan, 8)
    array([[0.36552929, 0.13447071],
           [0.13447071, 0.36552929]])
    >>> res.converged, bool(res.marginal_error[-1].max() <= 1e-9)
    (True, True)

    Several target histograms at once:

    >>> B = np.array([[0.5, 0.2], [0.5, 0.8]])
    >>> np.round(sinkhorn([0.5, 0.5], B, M, 1.0, method="kernel").cost, 6)
    array([0.268941, 0.364074])
    """
    validate_common(reg, tol, max_iter, plan_format, callback, verbose, caller="sinkhorn")
    check_params({"method": method}, {"method": [Options({"auto", "kernel", "log"})]}, caller="sinkhorn")
    problem = check_ot_problem(a, b, M, dtype=dtype, allow_batch=True)
    check_cost_scale(problem, reg, "reg")
    options = dict(
        tol=resolve_tol(tol, problem), max_iter=max_iter, callback=callback, plan_format=plan_format, verbose=verbose
    )
    if problem.batched:
        result = _sinkhorn_batched(problem, reg, method, x0=x0, **options)
    else:
        result = _sinkhorn_single(problem, reg, method, x0=x0, **options)
    return end_run(result, caller="sinkhorn", status=result.status, message=result.message)


def _sinkhorn_single(problem, reg, method, *, column=None, **options):
    if method == "auto":
        return solve_entropic(problem, reg, newton=newton_stage, column=column, method_name="sinkhorn", **options)
    return solve_entropic(problem, reg, domain=method, column=column, method_name="sinkhorn", **options)


def _sinkhorn_batched(problem, reg, method, *, x0, **options):
    """Several histograms: jointly in kernel space (matrix-matrix products), else one after the other."""
    k = problem.b.shape[1]
    results = [None] * k
    if method == "kernel" and x0 is None:
        results = _joint_kernel_sinkhorn(problem, reg, **options)
    for column in range(k):
        if results[column] is None:
            results[column] = _sinkhorn_single(
                single_histogram(problem, column), reg, method, x0=x0, column=column, **options
            )
    return _stack_results(results, problem)


def _joint_kernel_sinkhorn(problem, reg, *, tol, max_iter, callback, plan_format, verbose):
    """Kernel-space Sinkhorn on all histograms at once (POT's batched ``sinkhorn``).

    Returns a list with a Result per histogram, or None for the histograms
    that met an under/overflow (those are solved again one at a time, with
    absorption).
    """
    passes = passes_for(problem.M, reg)
    xp = passes.xp
    if max_iter is None:
        max_iter = default_max_iter(problem, reg)
    n, m = problem.M.shape
    k = problem.b.shape[1]
    dtype = problem.dtype
    zeros_n, zeros_m = to_device(np.zeros(n), problem.M), to_device(np.zeros(m), problem.M)
    K = passes.fill(zeros_n, zeros_m, dtype)
    A = to_device(np.repeat(problem.a[:, None], k, axis=1).astype(dtype), problem.M)
    B = to_device(problem.b.astype(dtype), problem.M)
    U = to_device(np.ones((n, k), dtype=dtype), problem.M)
    V = to_device(np.ones((m, k), dtype=dtype), problem.M)
    histories = [History() for _ in range(k)]
    healthy = np.ones(k, dtype=bool)
    reason = "maxiter"
    stalled = stall_detector(problem, reg, xp)
    with make_monitor("sinkhorn", max_iter, verbose, callback) as monitor:
        for _ in range(max_iter):
            KtU = K.T @ U
            col_errors = _column_norms(V * KtU - B, xp)
            healthy &= _columns_positive(KtU, B, xp)
            V = xp.where(B > 0, B / xp.where(KtU > 0, KtU, 1), 0)
            KV = K @ V
            row_errors = _column_norms(U * KV - A, xp)
            healthy &= _columns_positive(KV, A, xp) & np.isfinite(row_errors) & np.isfinite(col_errors)
            for h, row_error, col_error in zip(histories, row_errors, col_errors):
                h.record(float(row_error), float(col_error))
            if np.all(row_errors[healthy] <= tol * LOOP_TOL_FACTOR[dtype.name]) or not healthy.any():
                reason = "converged"
                break
            worst = float(np.max(row_errors[healthy]))
            if report(monitor, len(histories[0].errors), worst):
                reason = "callback"
                break
            if stalled(worst):
                reason = "stalled"
                break
            U = A / xp.where(KV > 0, KV, 1)
    with np.errstate(divide="ignore"):
        log_U, log_V = np.log(np.asarray(to_numpy(U), dtype=np.float64)), np.log(np.asarray(to_numpy(V), dtype=np.float64))
    results = []
    for column in range(k):
        if not healthy[column]:
            results.append(None)
            continue
        sub = single_histogram(problem, column)
        keep = slice(None) if sub.cols is problem.cols else _kept_positions(problem, sub)
        F = to_device(log_U[:, column], problem.M)
        G = to_device(log_V[keep, column], problem.M)
        results.append(
            entropic_result(
                sub, passes_for(sub.M, reg), reg, F, G, history=histories[column], reason=reason, tol=tol,
                method="sinkhorn (kernel domain, batched)", plan_format=plan_format,
            )
        )
    return results


def _kept_positions(problem, sub):
    """Positions, within the batched problem's kept columns, of one histogram's kept columns."""
    full = np.arange(problem.shape[1]) if problem.cols is None else problem.cols
    return np.searchsorted(full, sub.cols)


def _column_norms(X, xp):
    return np.asarray(to_numpy(xp.linalg.vector_norm(X, axis=0) if xp is not np else np.linalg.norm(X, axis=0)))


def _columns_positive(products, masses, xp):
    """Per histogram: every product that divides a positive mass is positive and finite."""
    ok = xp.all(_safe(products) | (masses == 0), axis=0)
    return np.asarray(to_numpy(ok), dtype=bool)


def _stack_results(results, problem):
    """One Result for a batched problem, stacking the per-histogram ones (the caller ends it with ``end_run``)."""
    first = results[0]
    xp_stack = np.stack if problem.xp is np else problem.xp.stack
    # a finite cost <P, M> (M is finite) means a finite plan: a histogram counts as converged only then
    converged = np.array([r.status == 0 and np.isfinite(float(r.cost)) for r in results])
    statuses = [r.status for r in results]
    message = (
        f"all {len(results)} histograms converged"
        if converged.all()
        else f"{int((~converged).sum())} of {len(results)} histograms did not converge"
    )
    return Result(
        plan=[r.plan for r in results],
        f=xp_stack([r.f for r in results], axis=1),
        g=xp_stack([r.g for r in results], axis=1),
        cost=np.array([r.cost for r in results]),
        marginal_error=[r.marginal_error for r in results],
        elapsed=[r.elapsed for r in results],
        n_iter=np.array([r.n_iter for r in results]),
        problem_converged=converged,
        # a status-0 histogram with a non-finite cost leaves status 0 here: end_run finds that cost
        status=max((s for s in statuses if s != 0), default=0),
        message=message if converged.all() else f"{message}: " + "; ".join(
            f"[{k}] {r.message}" for k, r in enumerate(results) if not converged[k]
        ),
        method=first.method,
    )
