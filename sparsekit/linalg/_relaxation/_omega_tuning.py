"""Learning the SOR relaxation omega across a sequence of linear systems ("Learning to Relax")."""

import functools
import time
from numbers import Integral, Real

import numpy as np

from ..._core.params import Interval, Options, check_params, validate_params
from ..._core.progress import IterationMonitor
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, Result, end_run
from ..._core.validation import check_vector
from .._sequence import SEQUENCE_METHODS
from ._omega_policies import OMEGA_POLICIES, _check_omegas
from ._sor import (
    CONVERGED,
    DEFAULT_MAXITER,
    SOLVER_CONSTRAINTS,
    _start,
    _tolerance,
    as_sor_operator,
    run_solver,
    scaled_system,
)

__all__ = ["OmegaTuner", "sor_sequence", "evaluate_omegas"]

SOLVERS = ("sor", "ssor-cg")


class OmegaTuner:
    """Choose the relaxation omega of each system in a sequence, learning from iteration counts only.

    Call :meth:`suggest` before solving a system and :meth:`observe` with the
    number of iterations the solve took; the policy never sees the matrix
    (except the instance-optimal baseline) nor the solution.

    Parameters
    ----------
    policy : {"tsallis-inf", "tsallis-inf-cb", "chebcb", "fixed", "instance-optimal"}, default="tsallis-inf"
        ``"tsallis-inf"``: the Tsallis-INF bandit over ``omegas``.
        ``"tsallis-inf-cb"``: one Tsallis-INF per bin of a scalar context.
        ``"chebcb"``: regression of each omega's cost on Chebyshev features of
        the context, played by inverse-gap weighting.
        ``"fixed"``: always ``omega`` (baseline). ``"instance-optimal"``:
        Young's formula on each matrix (baseline; needs ``A`` in
        :meth:`suggest` and costs an eigenvalue computation per system
        unless ``A`` is a :class:`LaplacianStencil`).
    omegas : array-like, optional
        Action grid of the learning policies, in (0, 2); by default
        ``numpy.linspace(1, 1.95, 20)``.
    omega : float, optional
        The ``"fixed"`` policy's omega (default 1.0).
    n_bins : int, optional
        Number of context bins of ``"tsallis-inf-cb"`` (default 5).
    n_features : int, optional
        Number of Chebyshev features ``T_0..T_{m-1}`` of ``"chebcb"``
        (default 6).
    context_range : (float, float), optional
        Range of the context; required by the contextual policies (contexts
        outside it are clipped to it).
    random_state : None, int or numpy.random.Generator, optional
        Source of the policies' random draws.

    Attributes
    ----------
    omega_history : ndarray
        The omegas suggested so far.
    cost_history : ndarray
        The costs observed so far.

    Raises
    ------
    ValueError
        For an unknown policy, or a contextual policy without ``context_range``.
    TypeError
        For an option the chosen policy does not take (e.g. ``n_bins`` with
        ``"chebcb"``).

    See Also
    --------
    sor_sequence : Runs the whole loop over a sequence of systems.

    Notes
    -----
    Tsallis-INF (Zimmert and Seldin, 2021) plays omega ``i`` with probability
    ``p_i = 4 / (eta_t (L_i / s - x))^2``, ``eta_t = 2 / sqrt(t)``, where
    ``L_i`` sums the importance-weighted losses ``(cost - 1) / p_i`` of the
    rounds it was played, ``s`` is the mean cost minus one and ``x`` is found
    by Newton's method so that the ``p_i`` sum to one. Khodak et al. prove
    its total cost approaches that of the best fixed omega; the contextual
    policies approach the best context-to-omega map. Constants and schedules
    follow the authors' reference code (see the policy classes in
    ``sparsekit/linalg/_omega_policies.py``); the Newton normaliser starts at
    ``min L - 2 / eta`` (where the probabilities sum to at least one) instead
    of -1, which makes it converge monotonically from any losses.

    References
    ----------
    .. [1] M. Khodak, E. Chow, M.-F. Balcan, A. Talwalkar, "Learning to Relax: Setting
       Solver Parameters Across a Sequence of Linear System Instances", ICLR 2024.
    .. [2] J. Zimmert, Y. Seldin, "Tsallis-INF: An Optimal Algorithm for Stochastic and
       Adversarial Bandits", JMLR 22, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import LaplacianStencil, OmegaTuner, sor
    >>> tuner = OmegaTuner("tsallis-inf", random_state=0)
    >>> rng = np.random.default_rng(0)
    >>> for t in range(50):
    ...     A = LaplacianStencil((10, 10), shift=rng.uniform(0.0, 0.4))
    ...     omega = tuner.suggest()
    ...     tuner.observe(sor(A, rng.standard_normal(100), omega=omega).n_iter)
    >>> tuner.omega_history.shape, bool(tuner.cost_history.min() >= 1)
    ((50,), True)
    """

    def __init__(self, policy="tsallis-inf", *, omegas=None, omega=None, n_bins=None, n_features=None,
                 context_range=None, random_state=None):
        values = {"omegas": omegas, "omega": omega, "n_bins": n_bins, "n_features": n_features,
                  "context_range": context_range}
        check_params({"policy": policy}, {"policy": [str]}, caller="OmegaTuner")
        self.policy = policy
        self._policy = OMEGA_POLICIES.dispatch(policy, **{k: v for k, v in values.items() if v is not None})
        self._rng = check_random_state(random_state)
        self._omegas, self._costs = [], []
        self._pending = False

    @property
    def omega_history(self):
        """The omegas suggested so far."""
        return np.array(self._omegas)

    @property
    def cost_history(self):
        """The costs observed so far."""
        return np.array(self._costs)

    def suggest(self, context=None, A=None):
        """Return the omega to use for the next system.

        Parameters
        ----------
        context : float, optional
            The system's scalar context (required by the contextual policies).
        A : matrix or LaplacianStencil, optional
            The system's matrix (required by ``"instance-optimal"`` only).

        Returns
        -------
        float
            The relaxation parameter, in (0, 2).

        Raises
        ------
        RuntimeError
            If the previous suggestion's cost was not observed yet.
        ValueError
            If a required ``context`` or ``A`` is missing, or ``context`` is
            not a finite real number.
        """
        if self._pending:
            raise RuntimeError("call observe(cost) for the previous suggestion before the next suggest().")
        if getattr(self._policy, "needs_context", False):
            if context is None:
                raise ValueError(f"policy {self.policy!r} needs a context for every system.")
            check_params({"context": context}, {"context": [Interval(Real, None, None, closed="neither")]},
                         caller="OmegaTuner.suggest")
            context = float(context)  # the Interval above refuses NaN and infinity
        if getattr(self._policy, "needs_matrix", False) and A is None:
            raise ValueError(f"policy {self.policy!r} needs the matrix A of every system.")
        omega = float(self._policy.choose(self._rng, context, A))
        self._omegas.append(omega)
        self._pending = True
        return omega

    def observe(self, cost):
        """Feed back the cost (iterations) of the last suggestion.

        Parameters
        ----------
        cost : float
            Non-negative, finite: the number of iterations the solve took (a
            failed solve should report its iteration cap).

        Raises
        ------
        RuntimeError
            If there is no suggestion waiting for its cost.
        ValueError
            If ``cost`` is negative or not finite.
        """
        if not self._pending:
            raise RuntimeError("observe(cost) must follow suggest().")
        # The Interval refuses NaN and infinity too (its unbounded side is open).
        check_params({"cost": cost}, {"cost": [Interval(Real, 0, None, closed="left")]}, caller="OmegaTuner.observe")
        self._policy.update(float(cost))
        self._costs.append(float(cost))
        self._pending = False


_SEQUENCE_CONSTRAINTS = {
    **{k: v for k, v in SOLVER_CONSTRAINTS.items() if k != "omega"},
    "policy": [Options(OMEGA_POLICIES.names())],
    "omegas": ["array-like", None],
    "omega": [Interval(Real, 0, 2, closed="neither"), None],
    "n_bins": [Interval(Integral, 1, None, closed="left"), None],
    "n_features": [Interval(Integral, 1, None, closed="left"), None],
    "context": ["array-like", None],
    "context_range": ["array-like", None],
    "solver": [Options(SOLVERS)],
    "x0": ["array-like", None],
    "warm_start": ["boolean"],
    "keep_solutions": ["boolean"],
    "random_state": ["random_state"],
}


def _initial_guess(x0, t):
    """The initial guess of system ``t``: ``x0`` itself, or its ``t``-th entry when it holds one per system."""
    per_system = (isinstance(x0, np.ndarray) and x0.ndim == 2) or (
        isinstance(x0, (list, tuple)) and len(x0) > 0 and np.ndim(x0[0]) == 1
    )
    if not per_system:
        return x0
    if t >= len(x0):
        raise ValueError(f"x0 holds {len(x0)} initial guesses but systems has more.")
    return x0[t]


def _prepared_systems(systems, x0, warm_start):
    """Validate the systems one by one: yield ``(t, A, op, b, x_start)`` and receive each solution.

    The solution sent back is forwarded to a generator ``systems`` (so it can
    build the next system from it) and, with ``warm_start``, starts the next
    solve.
    """
    if callable(systems) or isinstance(systems, (str, bytes)) or not hasattr(systems, "__iter__"):
        raise TypeError("systems must be an iterable of (A, b) pairs or a generator of them.")
    iterator = iter(systems)
    send = getattr(iterator, "send", None)
    solution = None
    t = 0
    while True:
        try:
            pair = next(iterator) if send is None or t == 0 else send(solution)
        except StopIteration:
            break
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"systems[{t}] must be a pair (A, b); got {type(pair).__name__}.")
        op = as_sor_operator(pair[0], f"systems[{t}][0] (A)")
        warm = warm_start and solution is not None
        b, x = _start(op, pair[1], solution if warm else _initial_guess(x0, t), name_b=f"systems[{t}][1] (b)",
                      x0_validated=warm and solution.shape == (op.n,))
        solution = yield t, pair[0], op, b, x
        t += 1
    if t == 0:
        raise ValueError("systems must contain at least one (A, b) pair.")


def _solve(op, b, x, omega, solver, sweep, rtol, atol, maxiter):
    """``(x, n_iter, status)`` of one solve, from the initial iterate ``x`` (overwritten, or replaced when
    the system is solved rescaled)."""
    options = {"sweep": sweep} if solver == "sor" else {}
    scale, op, b, x = scaled_system(op, b, x)
    tol = _tolerance(b, rtol, scale.atol(atol))
    n_iter, status, _ = run_solver(solver.replace("-", "_"), op, b, x, omega, tol, maxiter, **options)
    return scale.solution(x), n_iter, status


@validate_params(_SEQUENCE_CONSTRAINTS)
def sor_sequence(systems, *, policy="tsallis-inf", omegas=None, omega=None, n_bins=None, n_features=None,
                 context=None, context_range=None, solver="sor", sweep="forward", x0=None, warm_start=False,
                 rtol=1e-8, atol=0.0, maxiter=None, keep_solutions=True, random_state=None, callback=None,
                 verbose=0):
    """Solve a sequence of systems by SOR (or SSOR-CG), choosing each omega online from iteration counts.

    Parameters
    ----------
    systems : iterable of (A, b), or a generator of them
        The systems in the order they are solved; ``A`` as in :func:`sor`
        (use :class:`LaplacianStencil` for the matrix-free kernel). A
        generator receives each solution through ``send`` before yielding the
        next system, so time-stepping problems whose right-hand side depends
        on the previous solution can be written as one.
    policy : {"tsallis-inf", "tsallis-inf-cb", "chebcb", "fixed", "instance-optimal"}, default="tsallis-inf"
        How omega is chosen; see :class:`OmegaTuner`.
    omegas : array-like, optional
        Action grid (default ``numpy.linspace(1, 1.95, 20)``).
    omega : float, optional
        Omega of ``policy="fixed"`` (default 1.0).
    n_bins, n_features : int, optional
        Options of ``"tsallis-inf-cb"`` (default 5) and ``"chebcb"`` (default 6).
    context : array-like of shape (n_systems,), optional
        Scalar context of each system (e.g. the diagonal shift or a time
        coefficient), required by the contextual policies.
    context_range : (float, float), optional
        Range of the context for the contextual policies; by default the
        smallest and largest ``context``.
    solver : {"sor", "ssor-cg"}, default="sor"
        :func:`sor` or :func:`ssor_cg`; its iteration count is the feedback.
    sweep : {"forward", "backward", "symmetric"}, default="forward"
        SOR sweep (``solver="sor"`` only).
    x0 : array-like of shape (n,), or a sequence of them, optional
        Initial guess: one vector for every system, or one per system (a 2-D
        array or a list of vectors, as :func:`solve_sequence` passes it);
        zeros by default.
    warm_start : bool, default=False
        Start each system from the previous solution (the first from ``x0``).
    rtol, atol : float, default=1e-8, 0.0
        Stopping rule of every solve: ``||b - A x|| <= max(rtol ||b||, atol)``.
        float32 systems raise ``rtol`` to at least 1.19e-6, as :func:`sor`.
    maxiter : int, optional
        Iteration cap per system (default 10 000); a system that fails to
        converge costs ``maxiter``.
    keep_solutions : bool, default=True
        Keep every solution in ``x`` (set False for long sequences of large
        systems; ``x_last`` is always kept).
    random_state : None, int or numpy.random.Generator, optional
        Seeds the policy's draws: the same seed gives the same omegas.
    callback : callable, optional
        ``callback(system)`` after each system, with one positional argument:
        a Result holding ``t`` (the system's position in ``systems``), ``x``,
        ``omega``, ``n_iter`` and ``converged``. Returning True (or raising
        ``StopIteration``) stops the sequence: status 2, no warning.
    verbose : int, default=0
        Log progress through the ``sparsekit.linalg.sor_sequence`` logger.

    Returns
    -------
    Result
        ``x`` (list of solutions, or None if ``keep_solutions=False``),
        ``x_last``, ``omega`` (per system), ``n_iter`` (per system),
        ``total_iterations``, ``system_converged``, ``converged`` (all),
        ``status`` (0 all converged, 1 some did not, 2 stopped by the
        callback), ``message``, ``policy``, ``solver``, ``context`` and
        ``wall_time`` (seconds).

    Raises
    ------
    ValueError
        For invalid systems (as :func:`sor`), a ``context`` shorter than the
        sequence, or a contextual policy without ``context``.
    TypeError
        For an option the policy does not take.

    Warns
    -----
    ConvergenceWarning
        Once for the sequence, at the caller's line, if some systems did not
        converge within ``maxiter`` (not when the callback stopped it).

    See Also
    --------
    OmegaTuner : The online policy, for loops you write yourself.
    evaluate_omegas : Iterations of every omega on every system (best fixed omega in hindsight).
    sparsekit.linalg.solve_sequence : The same as ``method="sor-bandit"``.

    Notes
    -----
    The loop is the one of Khodak et al. (ICLR 2024): for each system the
    policy proposes omega, the system is solved, and only the number of
    iterations is fed back. A solve is one compiled call (no Python per
    iteration), so on small systems the policy's bookkeeping is a visible
    share of the time.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import LaplacianStencil, sor_sequence
    >>> rng = np.random.default_rng(0)
    >>> shifts = -0.15 + 0.6 * rng.beta(2.0, 6.0, size=300)
    >>> systems = [(LaplacianStencil((10, 10), shift=c), rng.standard_normal(100)) for c in shifts]
    >>> bandit = sor_sequence(systems, policy="tsallis-inf", random_state=0)
    >>> gauss_seidel = sor_sequence(systems, policy="fixed", omega=1.0)
    >>> bandit.converged, bool(bandit.total_iterations < 0.6 * gauss_seidel.total_iterations)
    (True, True)
    """
    if context is not None:
        context = np.array(check_vector(context, "context"), dtype=np.float64)
        if context_range is None and policy in ("tsallis-inf-cb", "chebcb"):
            low, high = float(context.min()), float(context.max())
            context_range = (low, high) if high > low else (low - 0.5, high + 0.5)
    tuner = OmegaTuner(policy, omegas=omegas, omega=omega, n_bins=n_bins, n_features=n_features,
                       context_range=context_range, random_state=random_state)
    maxiter = DEFAULT_MAXITER if maxiter is None else maxiter
    solutions, omegas_used, iterations, converged = [], [], [], []
    x_last = None
    status_all = CONVERGED
    start = time.perf_counter()
    stream = _prepared_systems(systems, x0, warm_start)
    with IterationMonitor("linalg.sor_sequence", verbose=verbose, callback=callback) as monitor:
        while True:
            try:
                t, A, op, b, x = stream.send(x_last)
            except StopIteration:
                break
            if context is not None and t >= context.shape[0]:
                raise ValueError(f"context has {context.shape[0]} entries but systems has more.")
            omega_t = tuner.suggest(None if context is None else context[t], A)
            x, n_iter, status = _solve(op, b, x, omega_t, solver, sweep, rtol, atol, maxiter)
            tuner.observe(n_iter if status == CONVERGED else maxiter)
            omegas_used.append(omega_t)
            iterations.append(n_iter)
            converged.append(status == CONVERGED)
            x_last = x
            if keep_solutions:
                solutions.append(x)
            system = Result(t=t, x=x, omega=omega_t, n_iter=n_iter, converged=status == CONVERGED)
            if monitor.update(system, n_iter=n_iter, omega=omega_t):
                status_all = 2
                break
    if context is not None and status_all != 2 and len(iterations) != context.shape[0]:
        raise ValueError(f"context has {context.shape[0]} entries but systems has {len(iterations)}.")
    iterations = np.array(iterations, dtype=np.int64)
    converged = np.array(converged, dtype=bool)
    n_failed = int((~converged).sum())
    if status_all != 2 and n_failed:
        status_all = 1
    message = (
        f"policy {policy}: {converged.sum()} of {len(iterations)} systems converged, "
        f"{int(iterations.sum())} {solver} iterations in total"
    )
    result = Result(
        x=solutions if keep_solutions else None,
        x_last=x_last,
        omega=np.array(omegas_used),
        n_iter=iterations,
        total_iterations=int(iterations.sum()),
        system_converged=converged,
        policy=policy,
        solver=solver,
        context=context,
        wall_time=time.perf_counter() - start,
    )
    # Each system's status already turns a NaN iterate into "diverged"; x_last guards the sequence's end.
    return end_run(result, caller="sor_sequence", status=status_all, message=message, check=("x_last",))


@validate_params({name: _SEQUENCE_CONSTRAINTS[name] for name in (
    "omegas", "solver", "sweep", "x0", "warm_start", "rtol", "atol", "maxiter")})
def evaluate_omegas(systems, omegas=None, *, solver="sor", sweep="forward", x0=None, warm_start=False,
                    rtol=1e-8, atol=0.0, maxiter=None):
    """Iteration counts of every omega on every system: the best fixed omega in hindsight.

    Parameters
    ----------
    systems : iterable of (A, b), or a generator of them
        As in :func:`sor_sequence`; a generator is sent the solution of the
        cheapest omega.
    omegas : array-like, optional
        The omegas to try (default ``numpy.linspace(1, 1.95, 20)``).
    solver : {"sor", "ssor-cg"}, default="sor"
        As in :func:`sor_sequence`.
    sweep : {"forward", "backward", "symmetric"}, default="forward"
        As in :func:`sor_sequence`.
    x0 : array-like of shape (n,), or a sequence of them, optional
        As in :func:`sor_sequence`.
    warm_start : bool, default=False
        Start every omega of a system from the previous system's cheapest
        solution.
    rtol, atol : float, default=1e-8, 0.0
        Stopping rule of every solve, as in :func:`sor_sequence`.
    maxiter : int, optional
        Iteration cap per solve (default 10 000); a failed solve costs it.

    Returns
    -------
    Result
        ``costs`` (n_systems x n_omegas iteration counts; ``maxiter`` where
        a solve failed), ``omegas``, ``totals`` (per omega),
        ``best_omega`` and ``best_total`` (the best fixed omega in
        hindsight), ``oracle_total`` (the cheapest omega of the grid for each
        system separately), ``wall_time``, ``n_iter`` (``best_total``) and
        ``converged``/``status``/``message``: status 0 when the best omega
        solved every system, 1 (with a :class:`~sparsekit.ConvergenceWarning`)
        when it hit ``maxiter`` on some, its total then being a lower bound.

    Raises
    ------
    ValueError
        For invalid systems or options (as :func:`sor_sequence`).

    See Also
    --------
    sor_sequence : The online counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import LaplacianStencil, evaluate_omegas
    >>> rng = np.random.default_rng(0)
    >>> systems = [(LaplacianStencil((10, 10), shift=c), rng.standard_normal(100)) for c in (0.0, 0.2)]
    >>> table = evaluate_omegas(systems, omegas=[1.0, 1.5, 1.6])
    >>> table.costs.shape, float(table.best_omega)
    ((2, 3), 1.6)
    """
    grid = _check_omegas(omegas)
    maxiter = DEFAULT_MAXITER if maxiter is None else maxiter
    rows, converged_rows = [], []
    best_x = None
    start = time.perf_counter()
    stream = _prepared_systems(systems, x0, warm_start)
    while True:
        try:
            t, A, op, b, x_start = stream.send(best_x)
        except StopIteration:
            break
        costs, solved, best_x = [], [], None
        for omega in grid:
            x, n_iter, status = _solve(op, b, x_start.copy(), float(omega), solver, sweep, rtol, atol, maxiter)
            costs.append(n_iter if status == CONVERGED else maxiter)
            solved.append(status == CONVERGED)
            if best_x is None or costs[-1] < min(costs[:-1]):
                best_x = x
        rows.append(costs)
        converged_rows.append(solved)
    costs = np.array(rows, dtype=np.int64)
    converged = np.array(converged_rows, dtype=bool).reshape(costs.shape)
    totals = costs.sum(axis=0)
    best = int(np.argmin(totals))
    result = Result(
        costs=costs,
        omegas=grid,
        totals=totals,
        best_omega=float(grid[best]),
        best_total=int(totals[best]),
        oracle_total=int(costs.min(axis=1).sum()),
        n_iter=int(totals[best]),
        wall_time=time.perf_counter() - start,
    )
    # The table answers "which fixed omega is best": it is trustworthy when that omega solved every system.
    failed = np.flatnonzero(~converged[:, best])
    if failed.size:
        status = STATUS_MAX_ITER
        message = (f"the best omega={float(grid[best]):g} reached maxiter={maxiter} on {failed.size} of "
                   f"{costs.shape[0]} systems, so its total is a lower bound")
    else:
        status, message = STATUS_CONVERGED, f"omega={float(grid[best]):g} solved every system to the tolerance"
    return end_run(result, caller="evaluate_omegas", status=status, message=message, check=("costs", "totals"))


@functools.wraps(sor_sequence)
def _sor_bandit_method(systems, *, callback=None, **options):
    """``sor_sequence`` as a ``solve_sequence`` method: each system's Result also gets ``index``, the caller's
    index of the system, like every method's."""
    if callback is not None:
        user_callback = callback

        def callback(system):
            system["index"] = systems.original_index(system.t)
            return user_callback(system)

    return sor_sequence(systems, callback=callback, **options)


SEQUENCE_METHODS.register(
    "sor-bandit",
    _sor_bandit_method,
    constraints=_SEQUENCE_CONSTRAINTS,
    per_item_options=("context", "x0"),
    per_item_results=("omega", "context"),
)
