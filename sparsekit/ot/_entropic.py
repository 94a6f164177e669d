"""Machinery shared by the entropic solvers: Sinkhorn domains, the iteration loop, histories, results.

Notation: the plan of scaled potentials ``(F, G)`` is
``P_ij = exp(F_i + G_j - M_ij / reg)``; the user-facing potentials are
``f = reg * F`` and ``g = reg * G`` (cost units, OTT's convention; POT's
``log_u``/``log_v`` are ``F``/``G`` up to a constant).

A Sinkhorn iteration is a column update (fit the column marginal) followed by
a row update. The row marginal is measured before the row update, so the
state whose errors are recorded and returned is the one right after the
column update: its column marginal is exact up to rounding and its row error
is measured. Both errors of the returned plan are recomputed at the end.
"""

import math
import time
from numbers import Integral, Real

import numpy as np

from .._core.backend import numpy_dtype, to_numpy
from .._core.params import Interval, Options, check_params
from .._core.progress import IterationMonitor
from .._core.result import Result
from .._core.validation import check_callable
from . import _sinkhorn_kernels as kernels
from ._passes import passes_for
from ._plan import EntropicPlan
from ._problem import to_device

# Shifted sums outside this range (or not finite) are recomputed with an exact log-sum-exp.
_SAFE_RANGE = {"float64": (1e-280, 1e280), "float32": (1e-35, 1e35)}
# The loop stops when its own error is at most tol times this factor. float32 kernel products measure
# the error with up to ~1e-7 of rounding, which put exact errors of 1.0049e-6 behind loop errors below
# tol = 1e-6 (40 x 70 points, reg = 1e-3): half of tol leaves that margin. float64 errors are exact.
LOOP_TOL_FACTOR = {"float64": 1.0, "float32": 0.5}
# Dense plans above this many entries are returned lazily by plan_format="auto" (256 MiB of float64).
LAZY_PLAN_ENTRIES = 1 << 25
# Default tolerance on the marginal errors (relative to the total mass) per working precision. The
# float32 floor (L2 errors of the returned plan, kernel domain, unit mass) was measured at 5e-9 for
# uniform masses (n = 300 to 2000, reg = 3e-3 to 1e-1) and 3.4e-8 (0.3 eps of float32) for a mass
# concentrated on one point; 1e-6 (8 eps of float32) stays 30 times above the worst of them.
DEFAULT_TOL = {"float64": 1e-9, "float32": 1e-6}
# A run near its rounding floor whose best marginal error has not fallen by STALL_GAIN (relative) over
# STALL_WINDOW iterations is stopped: a tol below the floor would spin to max_iter. Sinkhorn's plateaus
# grow with spread / reg (435 iterations at spread / reg = 5284 for 1-D W1 clouds), so its window is the
# larger of STALL_WINDOW and STALL_PER_SPREAD * spread / reg.
STALL_WINDOW = 100
STALL_PER_SPREAD = 0.5
STALL_GAIN = 1e-3


def norm(x, xp):
    """Euclidean norm of a vector as a Python float."""
    return float(xp.linalg.vector_norm(x)) if xp is not np else float(np.linalg.norm(x))


def _safe(values):
    """Mask of sums inside the safe range of their dtype."""
    low, high = _SAFE_RANGE[numpy_dtype(values.dtype).name]
    return (values > low) & (values < high)


def _log_fit(sums, potentials, targets, log_targets, xp):
    """Marginal error of ``sums`` and the log-domain update; returns ``(error, updated, safe)``."""
    low, high = _SAFE_RANGE["float64"]
    if xp is np:
        out = np.empty_like(potentials)
        error, safe = kernels.log_update(sums, potentials, targets, log_targets, low, high, out)
        return error, out, safe
    ok = (sums > low) & (sums < high)
    updated = potentials + xp.where(ok, log_targets - xp.log(xp.where(ok, sums, 1.0)), 0.0)
    return norm(sums - targets, xp), updated, bool(xp.all(ok))


def _scaling_fit(products, scaling, targets, xp, safe_range):
    """Marginal error of ``scaling * products`` and the kernel-space update.

    Returns ``(error, updated, safe, smallest, largest)``.
    """
    low, high = safe_range
    if xp is np:
        out = np.empty_like(scaling)
        return (out, *kernels.scaling_update(products, scaling, targets, low, high, out))
    error = norm(_astype(scaling * products, np.float64, xp) - targets, xp)
    ok = (products > low) & (products < high)
    updated = _astype(targets, numpy_dtype(products.dtype), xp) / xp.where(ok, products, 1.0)
    return updated, error, bool(xp.all(ok)), float(xp.min(updated)), float(xp.max(updated))


class LogDomain:
    """Log-domain Sinkhorn: each half-iteration is one fused pass returning the marginal.

    The shifted sum ``sum_j exp(F_i + G_j - M_ij / reg)`` *is* the current row
    marginal, so the update ``F_i += log a_i - log r_i`` needs no separate
    max pass; rows whose sum leaves the safe range are redone with an exact
    log-sum-exp.
    """

    name = "log"
    # the log domain's sums are float64 whatever the cost's precision
    loop_tol_factor = LOOP_TOL_FACTOR["float64"]

    def __init__(self, passes, a, b, F, G):
        xp = passes.xp
        self.passes, self.xp = passes, xp
        self.a, self.b = a, b
        self.log_a, self.log_b = xp.log(a), xp.log(b)
        self.F, self.G = F, G

    def col_step(self):
        """Measure the column error of the current plan, then fit the columns; returns the error."""
        sums = self.passes.col_sums(self.F, self.G)
        error, G, safe = _log_fit(sums, self.G, self.b, self.log_b, self.xp)
        self.G = G if safe else self.log_b - self.passes.col_lse(self.F)
        return error

    def row_error(self):
        """Row error of the current plan (the pass also prepares :meth:`row_fit`)."""
        self._rows = self.passes.row_sums(self.F, self.G)
        error, self._F_next, self._rows_safe = _log_fit(self._rows, self.F, self.a, self.log_a, self.xp)
        return error

    def row_fit(self):
        """Fit the rows (after :meth:`row_error`)."""
        F = self._F_next
        if not self._rows_safe:
            if self.xp is np:
                bad = np.flatnonzero(~_safe(self._rows))
                F[bad] = self.log_a[bad] - self.passes.row_lse(self.G, bad)
            else:
                F = self.log_a - self.passes.row_lse(self.G)
        self.F = F

    def potentials(self):
        """Current scaled potentials ``(F, G)``."""
        return self.F, self.G

    def absorbed_kernel(self):
        """None: the log domain keeps no kernel (see :meth:`KernelDomain.absorbed_kernel`)."""
        return None


class KernelDomain:
    """Kernel-space Sinkhorn (two matrix-vector products per iteration) with absorption.

    Holds the stabilised Gibbs kernel ``K_ij = exp(F0_i + G0_j - M_ij / reg)``
    and scalings ``u, v`` with ``F = F0 + log u``, ``G = G0 + log v``. When a
    scaling leaves ``[1/limit, limit]`` it is absorbed into the kernel (one
    exponential pass), and when a product underflows to 0 or overflows, the
    update is redone in the log domain first; so the iteration never produces
    NaN or infinity, at any ``reg`` (Schmitzer, 2019). The vector work of a
    half-iteration (error, update, range checks) is one numba loop for NumPy.
    """

    name = "kernel"

    def __init__(self, passes, a, b, F, G, dtype):
        xp = passes.xp
        self.passes, self.xp, self.dtype = passes, xp, np.dtype(dtype)
        self.a, self.b = a, b
        self.limit = 1e100 if self.dtype == np.float64 else 1e15
        self.loop_tol_factor = LOOP_TOL_FACTOR[self.dtype.name]
        self.safe_range = _SAFE_RANGE[self.dtype.name]
        self._log = LogDomain(passes, a, b, F, G)
        self._absorb(F, G)

    def _absorb(self, F, G):
        xp = self.xp
        self.F0, self.G0 = F, G
        self.K = self.passes.fill(F, G, self.dtype)
        self.u = _astype(xp.ones_like(F), self.dtype, xp)
        self.v = _astype(xp.ones_like(G), self.dtype, xp)

    def _out_of_range(self, smallest, largest):
        return largest > self.limit or smallest < 1.0 / self.limit

    def col_step(self):
        """Measure the column error of the current plan, then fit the columns; returns the error."""
        products = self.K.T @ self.u
        v, error, safe, smallest, largest = _scaling_fit(products, self.v, self.b, self.xp, self.safe_range)
        if not safe:
            self._log.F, self._log.G = self.potentials()
            self._log.col_step()
            self._absorb(self._log.F, self._log.G)
        else:
            self.v = v
            if self._out_of_range(smallest, largest):
                self._absorb(*self.potentials())
        return error

    def row_error(self):
        """Row error of the current plan (the product ``K v`` is kept for :meth:`row_fit`)."""
        products = self.K @ self.v
        self._u_next, error, self._rows_safe, self._smallest, self._largest = _scaling_fit(
            products, self.u, self.a, self.xp, self.safe_range
        )
        return error

    def row_fit(self):
        """Fit the rows (after :meth:`row_error`)."""
        if not self._rows_safe:
            self._log.F, self._log.G = self.potentials()
            self._log.row_error()
            self._log.row_fit()
            self._absorb(self._log.F, self._log.G)
        else:
            self.u = self._u_next
            if self._out_of_range(self._smallest, self._largest):
                self._absorb(*self.potentials())

    def absorbed_kernel(self):
        """``(K, F0, G0)`` when ``K`` is a float64 NumPy array (a Newton stage can evaluate plans with it), else None."""
        if self.xp is not np or self.dtype != np.float64:
            return None
        return self.K, self.F0, self.G0

    def potentials(self):
        """Current scaled potentials ``(F, G)`` (float64)."""
        xp = self.xp
        return (
            self.F0 + xp.log(_astype(self.u, np.float64, xp)),
            self.G0 + xp.log(_astype(self.v, np.float64, xp)),
        )


def _astype(x, dtype, xp):
    if xp is np:
        return x.astype(dtype, copy=False)
    target = getattr(xp, np.dtype(dtype).name)
    return x if x.dtype == target else xp.astype(x, target)


class History:
    """Per-iteration record: both marginal errors, elapsed time and the stage."""

    def __init__(self):
        self.start = time.perf_counter()
        self.errors = []
        self.times = []

    def record(self, row_error, col_error):
        """Append one iteration's ``(row, column)`` errors."""
        self.errors.append((row_error, col_error))
        self.times.append(time.perf_counter() - self.start)

    def replace_last(self, row_error, col_error):
        """Overwrite the last record with the exact errors of the returned plan."""
        if self.errors:
            self.errors[-1] = (row_error, col_error)
        else:
            self.record(row_error, col_error)

    def arrays(self):
        """``(marginal_error, elapsed)`` as arrays; non-finite errors are clipped to the float maximum."""
        errors = np.asarray(self.errors, dtype=np.float64).reshape(-1, 2)
        errors = np.nan_to_num(errors, nan=np.finfo(np.float64).max, posinf=np.finfo(np.float64).max)
        return errors, np.asarray(self.times, dtype=np.float64)


class StallDetector:
    """Whether a marginal error has stopped falling near the rounding floor (the entropic solvers' stall rule).

    Called once per iteration with the error; True once the best error is
    at most ``floor`` and has not fallen by :data:`STALL_GAIN` (relative) over
    ``window`` calls. Far above the floor a flat error is one of Sinkhorn's
    plateaus (the potentials still move: 1-D clouds at ``spread / reg = 457``
    sat at 0.107 for 300 iterations, then converged), not a stall; a
    problem that cannot progress at all is refused before iterating
    (:func:`~sparsekit.ot._problem.check_cost_scale`).

    Parameters
    ----------
    floor : float
        Errors below which a run can be at its rounding floor
        (:func:`stall_floor`).
    window : int, default=STALL_WINDOW
        Iterations without progress that make a stall.
    gain : float, default=STALL_GAIN
        Relative decrease of the best error that counts as progress.
    """

    def __init__(self, floor, window=STALL_WINDOW, gain=STALL_GAIN):
        self.floor, self.window, self.gain = floor, window, gain
        self.best = math.inf
        self.since = 0

    def __call__(self, error):
        if error < (1.0 - self.gain) * self.best:
            self.best, self.since = error, 0
        else:
            self.since += 1
        return self.since >= self.window and self.best <= self.floor

    @staticmethod
    def message(n_iter, row_error, col_error, tol):
        """``message`` of a run stopped by this rule."""
        return (
            f"stopped after {n_iter} iterations without converging: the marginal errors made no progress "
            f"({row_error:.3g} (rows) and {col_error:.3g} (columns) > tol={tol:g}); the tolerance is below "
            "what this problem's precision allows"
        )


def stall_floor(dtype, mass):
    """Errors below ``sqrt(eps) * mass`` may sit at the rounding floor of ``dtype`` (see :class:`StallDetector`)."""
    return math.sqrt(float(np.finfo(dtype).eps)) * mass


def resolve_tol(tol, problem):
    """The tolerance the iterations compare the marginal errors with.

    ``tol`` (None: :data:`DEFAULT_TOL` of the working precision) is relative
    to the total mass, so that a problem and its rescaled copy stop alike.
    """
    if tol is None:
        tol = DEFAULT_TOL[problem.dtype.name]
    return float(tol) * problem.mass


def sinkhorn_loop(domain, *, tol, max_iter, history, monitor, stalled, switch=None):
    """Run Sinkhorn iterations on ``domain`` until the stopping rule, the budget, or ``switch``.

    Stops when the row error of the state after a column update is at most
    ``tol`` times the domain's ``loop_tol_factor`` (its column error is then
    at rounding level).

    Parameters
    ----------
    domain : LogDomain or KernelDomain
        The iteration state.
    tol : float
        Tolerance on the marginal errors.
    max_iter : int
        Iterations allowed in this call.
    history : History
        Receives one record per iteration.
    monitor : IterationMonitor
        Callback and verbosity.
    stalled : StallDetector
        The stall rule (see :func:`stall_detector`).
    switch : callable, optional
        ``switch(iteration, row_error) -> bool``; True stops with reason ``"switch"``.

    Returns
    -------
    str
        ``"converged"``, ``"maxiter"``, ``"callback"``, ``"switch"`` or
        ``"stalled"`` (see :class:`StallDetector`).
    """
    for iteration in range(max_iter):
        col_error = domain.col_step()
        row_error = domain.row_error()
        history.record(row_error, col_error)
        if row_error <= tol * domain.loop_tol_factor:
            return "converged"
        if stalled(max(row_error, col_error)):
            return "stalled"
        if report(monitor, len(history.errors), max(row_error, col_error)):
            return "callback"
        if switch is not None and switch(iteration, row_error):
            return "switch"
        domain.row_fit()
    return "maxiter"


def default_max_iter(problem, reg):
    """Default iteration budget: about four times what Sinkhorn needs (which scales as ``spread / reg``)."""
    smallest, largest = problem.cost_range
    spread = largest - smallest
    return int(min(10**6, max(1000, math.ceil(4.0 * spread / reg))))


def stall_detector(problem, reg, xp):
    """Sinkhorn's stall rule for ``problem``: its window grows with ``spread / reg``, as the plateaus do."""
    smallest, largest = problem.cost_range
    spread = largest - smallest
    window = int(max(STALL_WINDOW, math.ceil(STALL_PER_SPREAD * spread / reg)))
    return StallDetector(stall_floor(problem.dtype, problem.mass), window)


def initial_potentials(problem, x0, reg, column=None):
    """Scaled starting potentials ``(F, G)`` of the kept points, from ``x0 = (f, g)`` or zeros.

    Parameters
    ----------
    problem : OTProblem
        The validated problem.
    x0 : tuple of array or None
        Potentials ``(f, g)`` in cost units on the full problem.
    reg : float
        Regularisation.
    column : int, optional
        Which histogram of a batched problem (``x0`` then holds 2-D potentials).

    Returns
    -------
    tuple of array
        ``(F, G)`` float64 in the namespace of the cost.
    """
    n, m = problem.M.shape
    if x0 is None:
        return to_device(np.zeros(n), problem.M), to_device(np.zeros(m), problem.M)
    if not isinstance(x0, (tuple, list)) or len(x0) != 2:
        raise TypeError("x0 must be a pair (f, g) of potentials or None.")
    f, g = (np.asarray(to_numpy(v), dtype=np.float64) for v in x0)
    full_n, full_m = problem.shape
    expected = ((full_n,), (full_m,)) if column is None else ((full_n, problem.b.shape[1]), (full_m, problem.b.shape[1]))
    for name, value, shape in (("x0[0] (f)", f, expected[0]), ("x0[1] (g)", g, expected[1])):
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape}; got {value.shape}.")
        if not np.isfinite(value).all():
            raise ValueError(f"{name} must not contain NaN or infinity.")
    if column is not None:
        f, g = f[:, column], g[:, column]
    if problem.rows is not None:
        f = f[problem.rows]
    if problem.cols is not None:
        g = g[problem.cols]
    return to_device(f / reg, problem.M), to_device(g / reg, problem.M)


def choose_plan_format(plan_format, shape):
    """Resolve ``plan_format="auto"``: dense below :data:`LAZY_PLAN_ENTRIES` entries, lazy above."""
    if plan_format == "auto":
        return "lazy" if shape[0] * shape[1] > LAZY_PLAN_ENTRIES else "dense"
    return plan_format


def extend_potentials(problem, passes, F, G, reg):
    """Potentials ``(f, g)`` on all points, in cost units.

    Points of zero mass get the soft c-transform of the other potential
    (the value a Sinkhorn update gives a point of unit mass), so the result
    is finite; their plan rows and columns are zero.
    """
    xp = passes.xp
    f, g = F * reg, G * reg
    if problem.rows is not None:
        dropped = np.setdiff1d(np.arange(problem.shape[0]), problem.rows)
        sub = _sub_cost(problem, dropped, problem.cols, xp)
        values = -reg * passes_for(sub, reg).row_lse(G)
        f = _merge(f, problem.rows, values, dropped, problem.shape[0], xp)
    if problem.cols is not None:
        dropped = np.setdiff1d(np.arange(problem.shape[1]), problem.cols)
        sub = _sub_cost(problem, problem.rows, dropped, xp)
        values = -reg * passes_for(sub, reg).col_lse(F)
        g = _merge(g, problem.cols, values, dropped, problem.shape[1], xp)
    return f, g


def _sub_cost(problem, rows, cols, xp):
    M = problem.M_full
    if rows is not None:
        M = M[rows, :] if xp is np else xp.take(M, to_device(rows, M), axis=0)
    if cols is not None:
        M = M[:, cols] if xp is np else xp.take(M, to_device(cols, M), axis=1)
    return M if xp is not np else np.ascontiguousarray(M)


def _merge(kept_values, kept, other_values, other, size, xp):
    order = np.concatenate([kept, other])
    source = np.empty(size, dtype=np.int64)
    source[order] = np.arange(size)
    both = xp.concat([kept_values, other_values]) if xp is not np else np.concatenate([kept_values, other_values])
    return both[source] if xp is np else xp.take(both, to_device(source, both))


def entropic_result(problem, passes, reg, F, G, *, history, reason, tol, method, plan_format, extra=None,
                    kernel=None):
    """Assemble the :class:`~sparsekit.Result` of an entropic solver from its final potentials.

    One exact pass gives both marginals and the linear cost of the returned
    plan; they replace the last history record, and ``status`` and
    ``message`` are decided on them. ``converged`` is left to the public
    solver's :func:`~sparsekit.utils.end_run`.

    ``kernel``, an absorbed float64 kernel ``(K, F0, G0)`` that the solver
    hands over, becomes a dense plan in place (``exp(F - F0)_i K_ij
    exp(G - G0)_j``, one pass of products that also gives the marginals and
    the cost) instead of a new array filled with exponentials.
    """
    xp = passes.xp
    fmt = choose_plan_format(plan_format, problem.shape)
    in_place = kernel is not None and fmt == "dense" and problem.rows is None and problem.cols is None
    if in_place:
        K, F0, G0 = kernel
        rows, cols = np.empty(K.shape[0]), np.empty(K.shape[1])
        cost = float(kernels.scale_kernel_to_plan(K, np.exp(F - F0), np.exp(G - G0), passes.M, rows, cols))
    else:
        rows, cols, cost = passes.sums_and_cost(F, G)
    a = to_device(problem.a, rows)
    b = to_device(problem.b, cols)
    row_error, col_error = norm(rows - a, xp), norm(cols - b, xp)
    history.replace_last(row_error, col_error)
    errors, elapsed = history.arrays()
    converged = bool(max(row_error, col_error) <= tol)
    status, message = marginal_status(converged, len(errors), row_error, col_error, tol)
    if not converged and reason == "callback":
        status, message = 2, "stopped by the callback"
    elif not converged and reason == "stalled":
        message = StallDetector.message(len(errors), row_error, col_error, tol)
    elif not converged and reason == "converged":
        # The loop's errors met tol but the exact ones of the returned plan, recomputed above, do not:
        # float32 kernel products stall near 1e-7 relative; in float64, tol is below rounding.
        dtype = problem.dtype.name
        hint = (
            "float32 errors stall near 1e-7 relative: raise tol or use dtype='float64'"
            if dtype == "float32"
            else "tol is below the rounding level of the marginals: raise it"
        )
        message = (
            f"stopped after {len(errors)} iterations without converging: the {dtype} iterations met "
            f"tol={tol:g} but the returned plan's marginal errors are {row_error:.3g} (rows) and "
            f"{col_error:.3g} (columns); {hint}"
        )
    dtype = problem.dtype
    if in_place:
        plan = K
    else:
        plan = EntropicPlan(passes, F, G, problem.shape, problem.rows, problem.cols, dtype=dtype)
        if fmt == "dense":
            plan = plan.toarray()
    f, g = (_astype(v, dtype, xp) for v in extend_potentials(problem, passes, F, G, reg))
    result = Result(
        plan=plan,
        f=f,
        g=g,
        cost=cost,
        marginal_error=errors,
        elapsed=elapsed,
        n_iter=len(errors),
        status=status,
        message=message,
        method=method,
    )
    if extra:
        result.update(extra)
    return result


def marginal_status(converged, n_iter, row_error, col_error, tol, norm="", stopped=False):
    """``(status, message)`` of a solver that stops when both marginal errors are at most ``tol``.

    ``norm`` names the norm of the errors in the message (e.g. ``" (L1)"``);
    ``stopped``: the callback ended the run.
    """
    if converged:
        return 0, f"converged: both marginal errors{norm} <= tol={tol:g}"
    if stopped:
        return 2, (
            f"stopped by the callback after {n_iter} iterations: marginal errors{norm} {row_error:.3g} (rows) "
            f"and {col_error:.3g} (columns)"
        )
    return 1, (
        f"did not converge in {n_iter} iterations: marginal errors{norm} {row_error:.3g} (rows) and "
        f"{col_error:.3g} (columns) > tol={tol:g}"
    )


def make_monitor(name, max_iter, verbose, callback):
    """The :class:`IterationMonitor` of one solver run."""
    return IterationMonitor(name, total=max_iter, verbose=verbose, callback=callback)


def report(monitor, n_iter, marginal_error):
    """Record one iteration; True if the callback asked to stop.

    The callback receives one :class:`~sparsekit.Result` holding ``n_iter``
    and ``marginal_error``, built only when there is a callback (the loop
    calls this every iteration).
    """
    state = Result(n_iter=n_iter, marginal_error=marginal_error) if monitor.callback is not None else None
    return monitor.update(state, marginal_error=marginal_error)


_COMMON_CONSTRAINTS = {
    "reg": [Interval(Real, 0, None, closed="neither")],
    "tol": [Interval(Real, 0, None, closed="neither"), None],
    "max_iter": [Interval(Integral, 1, None, closed="left"), None],
    "plan_format": [Options({"auto", "dense", "lazy"})],
    "verbose": ["verbose"],
}


def validate_common(reg, tol, max_iter, plan_format, callback, verbose, *, caller):
    """Check the options every entropic solver shares (errors name the argument and ``caller``)."""
    check_params(
        {"reg": reg, "tol": tol, "max_iter": max_iter, "plan_format": plan_format, "verbose": verbose},
        _COMMON_CONSTRAINTS,
        caller=caller,
    )
    check_callable(callback, "callback")
