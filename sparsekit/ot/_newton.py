"""The Newton stage of Sinkhorn-Newton-Sparse: Newton ascent on the entropic dual with a sparsified Hessian.

:func:`newton_stage` is the stage the entropic driver
(:func:`~sparsekit.ot._entropic_driver.solve_entropic`) runs after Sinkhorn
when asked; :func:`newton_direction` solves the shifted Newton system of a
sparse plan by its Schur complement, for this stage and for ``sparse_ot``.
"""

import math

import numpy as np
from scipy import sparse
from scipy.sparse import linalg as sparse_linalg

from .._core.backend import to_numpy
from . import _newton_kernels
from ._entropic import StallDetector, report, stall_floor
from ._passes import take_candidates
from ._problem import to_device

# Potentials may move this far (in nats) from those a kernel was absorbed at before it is refilled: the same range
# as the kernel-domain Sinkhorn's scalings (1e100), so the plan's entries lost to the kernel's underflow stay
# below exp(-708 + 2 * 230), far under any tolerance.
_ABSORB_NATS = 230.0


class AbsorbedKernel:
    """The plan as ``u_i K_ij v_j`` around absorbed potentials: a Newton evaluation costs products, not exponentials.

    ``K_ij = exp(F0_i + G0_j - M_ij / reg)`` (float64, NumPy) is the kernel the kernel-domain Sinkhorn stage
    leaves (its ``absorbed_kernel()``), refilled here in place; at ``(F, G)`` the scalings are ``u = exp(F - F0)``, ``v = exp(G - G0)``. When a potential moves more
    than ``_ABSORB_NATS`` away, the kernel is refilled in place at the new point (one exponential pass, what
    every evaluation costs without it).
    """

    def __init__(self, passes, K, F0, G0):
        self.passes, self.K, self.F0, self.G0 = passes, K, F0, G0

    def sums_and_candidates(self, F, G, low, buffers):
        """As :meth:`NumbaPasses.sums_and_candidates`."""
        dF, dG = F - self.F0, G - self.G0
        if max(float(np.abs(dF).max()), float(np.abs(dG).max())) > _ABSORB_NATS:
            self.K = self.passes.fill(F, G, np.float64, out=self.K)
            self.F0, self.G0 = F, G
            dF, dG = np.zeros_like(F), np.zeros_like(G)
        rows, cols = np.empty(self.K.shape[0]), np.empty(self.K.shape[1])
        total, found = _newton_kernels.kernel_sums_and_candidates(
            self.K, np.exp(dF), np.exp(dG), math.exp(low), rows, cols, *buffers
        )
        return rows, cols, float(total), *take_candidates(buffers, found)


class _Evaluation:
    """The plan at one point: both marginals, total mass, and its entries with ``log P > low`` (one dense pass).

    The marginals are kept on the host, where the Newton system is solved: one copy per evaluation. The
    candidates (plan values) are views of ``buffers``, which the evaluation holds until it is dropped.
    """

    def __init__(self, source, F, G, low, buffers):
        self.F, self.G, self.low, self.buffers = F, G, low, buffers
        rows, cols, self.total, self.candidates, self.overflow = source.sums_and_candidates(F, G, low, buffers)
        self.rows, self.cols = np.asarray(to_numpy(rows)), np.asarray(to_numpy(cols))


# Inexact Newton: CG stops at the relative residual FORCING * (||grad|| / ||a||) ** FORCING_POWER (at most 0.1),
# or at TOL_MARGIN * tol / error when that is larger: a step need not be solved beyond what reaching tol asks.
_FORCING = 0.3
_FORCING_POWER = 0.5
_TOL_MARGIN = 0.1


def _sparsify(evaluation, shape, drop_tol, max_kept, kept_buffers):
    """Keep the largest plan entries: the fewest whose dropped mass is at most ``drop_tol`` (at most ``max_kept``).

    Returns
    -------
    P_kept : scipy.sparse.csr_array
        The kept entries (one global threshold); its indices and data are
        views of ``kept_buffers`` (two arrays at least as long as the
        candidates, reused by every iteration; the indices' integer type is
        also the row pointers').
    threshold : float
        ``log`` of the smallest kept entry.
    enough : bool
        Whether the candidates sufficed to meet ``drop_tol``.
    """
    cand_rows, cand_cols, values = evaluation.candidates
    if values.size == 0:
        return sparse.csr_array(shape), evaluation.low, False
    indices, data = kept_buffers
    indptr = np.empty(shape[0] + 1, dtype=indices.dtype)
    _, floor, enough = _newton_kernels.keep_largest(
        cand_rows, cand_cols, values, evaluation.total, drop_tol, max_kept, indptr, indices, data,
    )
    nnz = indptr[-1]
    # the arrays are set directly: the constructor would copy views of the (larger) buffers
    P_kept = sparse.csr_array(shape)
    P_kept.indptr, P_kept.indices, P_kept.data = indptr, indices[:nnz], data[:nnz]
    return P_kept, math.log(floor) if floor > 0 else evaluation.low, bool(enough)


def newton_direction(P_kept, rows, cols, grad_rows, grad_cols, mu, linear_solver, rtol):
    """Solve the shifted, sparsified Newton system by its Schur complement on the smaller side.

    ``[[diag(r) + mu, Pt], [Pt.T, diag(c) + mu]] [dF; dG] = [grad_rows; grad_cols]``;
    the diagonal blocks are the exact marginals, so the matrix is diagonally
    dominant, and the shift ``mu > 0`` removes the null vector ``(1, -1)``.
    """
    transpose = P_kept.shape[0] < P_kept.shape[1]
    if transpose:
        P_kept = P_kept.T.tocsr()
        rows, cols, grad_rows, grad_cols = cols, rows, grad_cols, grad_rows
    row_diag = rows + mu
    col_diag = cols + mu
    if linear_solver == "direct":
        rhs = grad_cols - P_kept.T @ (grad_rows / row_diag)
        S = sparse.diags_array(col_diag) - P_kept.T @ sparse.diags_array(1.0 / row_diag) @ P_kept
        d_cols = sparse_linalg.splu(
            sparse.csc_array(S), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        ).solve(rhs)
        iterations = 0
        d_rows = (grad_rows - P_kept @ d_cols) / row_diag
    else:
        d_rows, d_cols = np.empty_like(row_diag), np.empty_like(col_diag)
        iterations, _ = _newton_kernels.schur_cg(
            P_kept.indptr, P_kept.indices, P_kept.data, row_diag, col_diag, grad_rows, grad_cols, rtol,
            max(50, 4 * col_diag.shape[0]), d_rows, d_cols,
        )
    if transpose:
        d_rows, d_cols = d_cols, d_rows
    return d_rows, d_cols, int(iterations)


def newton_stage(
    passes, a, b, F, G, *, tol, max_iter, history, monitor, kernel=None, hess_tol=0.1, max_hess_density=0.25,
    linear_solver="cg", shift=1e-4,
):
    """Newton iterations on the dual (Lyapunov) potential with a sparsified Hessian.

    The potential is ``phi(F, G) = <F, a> + <G, b> - sum_ij P_ij`` (concave);
    its gradient is the marginal residual and ``-Hess = [[diag(P1), P],
    [P.T, diag(P.T 1)]]``. Each iteration keeps the exact diagonal and the
    largest entries of ``P`` (one global threshold, the fewest entries whose
    dropped mass is at most ``hess_tol * ||grad||``, at most
    ``max_hess_density * n * m``), solves the shifted system, and backtracks
    on ``phi`` (Armijo); where rounding hides the change of ``phi``, a
    decrease of the gradient norm is accepted instead.

    The candidates for the kept entries are collected during the pass that
    evaluates a point (entries above a level ``low`` that follows the
    threshold), so an iteration costs one dense pass per line-search trial.

    ``kernel``, ``(K, F0, G0)`` from the Sinkhorn stage (or None), makes
    evaluations products with that kernel (:class:`AbsorbedKernel`) instead
    of exponentials of the cost; the other options are those of
    :func:`~sparsekit.ot.sinkhorn_newton_sparse`, with its defaults.

    Returns
    -------
    tuple
        ``(F, G, reason, stats, kernel)`` with reason ``"converged"``, ``"maxiter"``,
        ``"callback"`` or ``"stalled"`` (:class:`~sparsekit.ot._entropic.StallDetector`);
        ``stats`` holds ``hess_density`` (kept fraction)
        and ``cg_iterations``, one entry per Newton iteration; ``kernel`` is
        the absorbed kernel ``(K, F0, G0)`` as it ends (refilled or not), or None.
    """
    n, m = passes.shape
    hess_density, cg_iters = [], []
    source = passes if kernel is None else AbsorbedKernel(passes, *kernel)

    def finish(reason):
        stats = {"hess_density": np.asarray(hess_density), "cg_iterations": np.asarray(cg_iters, dtype=np.int64)}
        kernel_now = None if kernel is None else (source.K, source.F0, source.G0)
        return current.F, current.G, reason, stats, kernel_now

    a_host, b_host = np.asarray(to_numpy(a)), np.asarray(to_numpy(b))
    a_norm = max(float(np.linalg.norm(a_host)), 1e-300)
    max_kept = max(n + m, int(max_hess_density * n * m))
    capacity = min(n * m, 2 * max_kept)
    # two sets of candidate buffers, the current point's and the trials' (untouched pages cost nothing), and the
    # kept entries' columns and values
    buffer_sets = [(np.empty(capacity, np.int32), np.empty(capacity, np.int32), np.empty(capacity)) for _ in "ab"]
    kept_buffers = (np.empty(capacity, np.int32 if capacity < 2**31 else np.int64), np.empty(capacity))

    def spare():
        return buffer_sets[1] if current.buffers is buffer_sets[0] else buffer_sets[0]

    # Entries below mass / (n m) * 1e-3 weigh at most 1e-3 of the mass together: a safe first level.
    mass = float(a_host.sum())
    low = math.log(1e-3 * mass / (n * m))
    margin = 3.0
    current = _Evaluation(source, F, G, low, buffer_sets[0])
    grad_rows, grad_cols, errors = _gradient(current, a_host, b_host)
    # the switch state closes the Sinkhorn stage; now both of its errors are measured
    history.replace_last(*errors)
    if max(errors) <= tol:
        return finish("converged")
    mu_factor = shift
    # Newton's sums are float64 whatever the cost's precision
    stalled = StallDetector(stall_floor(np.float64, mass))
    for _ in range(max_iter):
        while current.overflow:
            low += margin
            current = _Evaluation(source, current.F, current.G, low, spare())
        grad_norm = math.hypot(*errors)
        P_kept, threshold, enough = _sparsify(current, (n, m), hess_tol * grad_norm, max_kept, kept_buffers)
        hess_density.append(P_kept.nnz / (n * m))
        margin = margin if enough else 2.0 * margin
        low = threshold - margin
        d_rows, d_cols, iterations = newton_direction(
            P_kept, current.rows, current.cols, grad_rows, grad_cols, mu_factor * grad_norm, linear_solver,
            min(0.1, max(_FORCING * (grad_norm / a_norm) ** _FORCING_POWER, _TOL_MARGIN * tol / max(errors))),
        )
        cg_iters.append(iterations)
        accepted = _line_search(source, current, d_rows, d_cols, a_host, b_host, grad_rows, grad_cols, grad_norm,
                                low, spare())
        if accepted is None:
            # no acceptable step along this direction: regularise more and retry from the same point
            mu_factor *= 10.0
        else:
            mu_factor = max(shift, mu_factor / 10.0)
            current = accepted
            grad_rows, grad_cols, errors = _gradient(current, a_host, b_host)
        history.record(*errors)
        if max(errors) <= tol:
            return finish("converged")
        if report(monitor, len(history.errors), max(errors)):
            return finish("callback")
        if stalled(max(errors)):
            return finish("stalled")
    return finish("maxiter")


def _gradient(evaluation, a, b):
    """Gradient of the dual potential (the marginal residuals) and the two errors (L2)."""
    grad_rows = a - evaluation.rows
    grad_cols = b - evaluation.cols
    return grad_rows, grad_cols, (float(np.linalg.norm(grad_rows)), float(np.linalg.norm(grad_cols)))


def _line_search(source, current, d_rows, d_cols, a, b, grad_rows, grad_cols, grad_norm, low, buffers,
                 c1=1e-4, min_step=1e-6):
    """Backtracking (Armijo) line search on ``phi``; returns the accepted evaluation or None."""
    slope = float(d_rows @ grad_rows + d_cols @ grad_cols)
    if not slope > 0:
        return None
    linear = float(d_rows @ a + d_cols @ b)
    dF = to_device(d_rows, current.F)
    dG = to_device(d_cols, current.G)
    step = 1.0
    while step >= min_step:
        trial = _Evaluation(source, current.F + step * dF, current.G + step * dG, low, buffers)
        gain = step * linear - (trial.total - current.total)
        if gain >= c1 * step * slope:
            return trial
        # below rounding of phi, judge the step by the gradient norm instead
        if abs(gain) <= 1e-12 * max(1.0, abs(current.total)):
            if math.hypot(np.linalg.norm(a - trial.rows), np.linalg.norm(b - trial.cols)) < grad_norm:
                return trial
        step *= 0.5
    return None
