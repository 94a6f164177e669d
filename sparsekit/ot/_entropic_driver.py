"""The driver of the entropic solvers: domain choice, the Sinkhorn stage, and an optional Newton stage.

:func:`solve_entropic` serves ``sinkhorn`` (all methods) and
``sinkhorn_newton_sparse``: Sinkhorn iterations in the kernel or log domain,
and, when a Newton stage is given, an adaptive switch to it once the measured
plan density and the marginal error are small. The Newton stage is an
argument, so plain Sinkhorn never loads it.
"""

import math

import numpy as np

from ._entropic import (
    History,
    KernelDomain,
    LogDomain,
    default_max_iter,
    entropic_result,
    initial_potentials,
    make_monitor,
    norm,
    sinkhorn_loop,
    stall_detector,
)
from ._passes import passes_for
from ._problem import to_device

# Entries above this fraction of the mean entry count towards the measured plan density.
_DENSITY_LEVEL = 1e-2
# Kernel-space iterations keep an n x m kernel; above this many entries the log domain is used.
_KERNEL_MAX_ENTRIES = 1 << 27


def choose_domain(domain, problem):
    """Resolve ``domain="auto"``: kernel space unless the ``n x m`` kernel would be too large."""
    if domain != "auto":
        return domain
    n, m = problem.M.shape
    return "kernel" if n * m <= _KERNEL_MAX_ENTRIES else "log"


def make_domain(name, passes, a, b, F, G, dtype):
    """Build the Sinkhorn iteration state of the given domain."""
    if name == "kernel":
        return KernelDomain(passes, a, b, F, G, dtype)
    return LogDomain(passes, a, b, F, G)


def solve_entropic(
    problem,
    reg,
    *,
    tol,
    max_iter,
    x0,
    callback,
    plan_format,
    verbose,
    newton=None,
    domain="auto",
    switch_tol=0.5,
    max_density=0.15,
    density_check_every=10,
    method_name="sinkhorn",
    column=None,
):
    """Solve one entropic OT problem: Sinkhorn, then the ``newton`` stage once the plan is sparse.

    Parameters
    ----------
    problem : OTProblem
        The validated problem (one histogram).
    reg, tol, max_iter, x0, callback, plan_format, verbose
        As for :func:`sparsekit.ot.sinkhorn`.
    newton : callable, optional
        The Newton stage, called as ``newton(passes, a, b, F, G, *, tol,
        max_iter, history, monitor, kernel)`` (``kernel``: the Sinkhorn
        stage's ``absorbed_kernel()``, or None) and returning ``(F, G, reason, stats, kernel)``
        (e.g. :func:`~sparsekit.ot._newton.newton_stage`); None: Sinkhorn only.
        A kernel it returns after converging becomes the dense plan in place.
    domain, switch_tol, max_density, density_check_every
        As for :func:`sparsekit.ot.sinkhorn_newton_sparse` (the last three
        decide when to switch to ``newton``).
    method_name : str
        The public solver's name, for the monitor and ``method``.
    column : int, optional
        Which histogram of a batched problem ``x0`` belongs to.

    Returns
    -------
    Result
        As :func:`~sparsekit.ot._entropic.entropic_result`, plus
        ``n_sinkhorn``, ``n_newton``, ``plan_density`` and the Newton stage's
        ``hess_density`` and ``cg_iterations`` (empty without Newton steps);
        ``converged`` is left to the public solver's
        :func:`~sparsekit.utils.end_run`.
    """
    passes = passes_for(problem.M, reg)
    xp = passes.xp
    if max_iter is None:
        max_iter = default_max_iter(problem, reg)
    F, G = initial_potentials(problem, x0, reg, column)
    a = to_device(problem.a, problem.M)
    b = to_device(problem.b, problem.M)
    dtype = problem.dtype
    domain_name = choose_domain(domain, problem)
    state = make_domain(domain_name, passes, a, b, F, G, dtype)
    history = History()
    monitor = make_monitor(method_name, max_iter, verbose, callback)
    densities = []
    n, m = problem.M.shape
    a_norm = norm(a, xp)
    log_level = math.log(_DENSITY_LEVEL * problem.mass / (n * m))
    next_check = [0, density_check_every]

    def switch(iteration, row_error):
        if row_error > switch_tol * a_norm or iteration < next_check[0]:
            return False
        F_now, G_now = state.potentials()
        densities.append(passes.count_at_least(F_now, G_now, log_level) / (n * m))
        # a plan far denser than the threshold is measured ever more rarely (the density only falls slowly)
        next_check[1] = 2 * next_check[1] if densities[-1] > 2 * max_density else density_check_every
        next_check[0] = iteration + next_check[1]
        return densities[-1] <= max_density

    stats = {"hess_density": np.asarray([]), "cg_iterations": np.asarray([], dtype=np.int64)}
    kernel = None
    with monitor:
        reason = sinkhorn_loop(
            state, tol=tol, max_iter=max_iter, history=history, monitor=monitor,
            stalled=stall_detector(problem, reg, xp), switch=switch if newton is not None else None,
        )
        n_sinkhorn = len(history.errors)
        F, G = state.potentials()
        if reason == "switch":
            # the Newton stage evaluates points with the kernel when it has one (products instead of exponentials)
            kernel = state.absorbed_kernel()
            del state
            F, G, reason, stats, kernel = newton(
                passes, a, b, F, G, tol=tol, max_iter=max_iter - n_sinkhorn, history=history, monitor=monitor,
                kernel=kernel,
            )
            if reason != "converged":
                # a Newton iterate need not carry the right mass: end on an exact column update, as Sinkhorn does
                G = passes.xp.log(b) - passes.col_lse(F)
                kernel = None
    n_newton = len(history.errors) - n_sinkhorn
    method = f"{method_name} ({domain_name} domain" + (", newton)" if n_newton else ")")
    extra = {"n_sinkhorn": n_sinkhorn, "n_newton": n_newton, "plan_density": np.asarray(densities), **stats}
    return entropic_result(
        problem, passes, reg, F, G, history=history, reason=reason, tol=tol,
        method=method, plan_format=plan_format, extra=extra, kernel=kernel,
    )
