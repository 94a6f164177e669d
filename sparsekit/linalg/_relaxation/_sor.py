"""Successive over-relaxation: SOR / SSOR solves, the SSOR preconditioner, SSOR-preconditioned CG."""

import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator

from ..._core.params import Interval, Options, validate_params
from ..._core.progress import IterationMonitor
from ..._core.result import Result, end_run
from ..._core.scaling import times_power_of_two
from ..._core.validation import check_array, check_nonzero_diagonal, check_square, check_vector
from .._scaling import SystemScale, attainable_rtol
from . import _sor_kernels as kernels
from ._stencil import LaplacianStencil

__all__ = ["sor", "ssor_cg", "ssor_preconditioner", "young_omega"]

DEFAULT_MAXITER = 10_000
SWEEPS = {"forward": 0, "backward": 1, "symmetric": 2}
# Status codes of every solver here (the kernels' plus the two decided in Python).
CONVERGED, MAXITER, STOPPED_BY_CALLBACK = 0, 1, 2
DIVERGED, BREAKDOWN = kernels.DIVERGED, kernels.BREAKDOWN

_OMEGA = Interval(Real, 0, 2, closed="neither")
# An infinite tolerance is met at once (SciPy's rule).
_TOLERANCE = Interval(Real, 0, math.inf, closed="both")
SOLVER_CONSTRAINTS = {
    "omega": [_OMEGA],
    "rtol": [_TOLERANCE],
    "atol": [_TOLERANCE],
    "maxiter": [Interval(Integral, 0, None, closed="left"), None],
    "sweep": [Options(SWEEPS)],
    "callback": ["callable", None],
    "verbose": ["verbose"],
}

_NO_GRID = np.empty(0, dtype=np.int64)
_NO_COEFS = np.empty(0, dtype=np.float64)


class SOROperator(NamedTuple):
    """A validated matrix in the form the kernels take (see ``_sor_kernels``)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    grid: np.ndarray
    coefs: np.ndarray
    n: int
    dtype: np.dtype
    source: object

    @property
    def arrays(self):
        """The five kernel arrays."""
        return self.indptr, self.indices, self.data, self.grid, self.coefs


def as_sor_operator(A, name="A", dtype="float"):
    """Validate ``A`` once: CSR (converted from any sparse or dense input) or a :class:`LaplacianStencil`.

    ``dtype`` is :func:`check_array`'s policy: the kernels take complex
    matrices (``"float-or-complex"``), the omega learners, whose spectral
    analyses assume real matrices, do not (``"float"``: complex is a
    ``TypeError``). Raises ``ValueError`` for a non-square matrix, NaN/inf
    entries or a zero on the diagonal; ``TypeError`` for a LinearOperator
    that has no entries.
    """
    if isinstance(A, LaplacianStencil):
        return SOROperator(*A._kernel_operator(), A.shape[0], A.dtype, A)
    if isinstance(A, LinearOperator):
        raise TypeError(
            f"{name} must be a matrix (dense or scipy.sparse) or a LaplacianStencil; SOR needs the entries "
            f"of {name}, which a {type(A).__name__} does not expose."
        )
    if sparse.issparse(A):
        check_square(A, name)
        A = check_array(A, name, ndim=2, accept_sparse="csr", dtype=dtype)
    else:
        A = check_array(A, name, ndim=2, dtype=dtype)
        check_square(A, name)
        A = sparse.csr_array(A)
    check_nonzero_diagonal(A, name)
    if not A.has_canonical_format:  # the sweep splits each row at its diagonal in one pass over sorted indices
        A = A.copy()
        A.sum_duplicates()
    return SOROperator(
        _unsigned(A.indptr),
        _unsigned(A.indices),
        np.ascontiguousarray(A.data),
        _NO_GRID,
        _NO_COEFS,
        A.shape[0],
        A.dtype,
        A,
    )


def _unsigned(index):
    """Zero-copy unsigned view of a CSR index array (indices are never negative)."""
    index = np.ascontiguousarray(index)
    return index.view(np.uint32 if index.dtype.itemsize == 4 else np.uint64)


_KERNEL_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)


def _working_dtype(op, b):
    dtype = np.result_type(op.dtype, b.dtype)
    return dtype if dtype in _KERNEL_DTYPES else np.dtype(np.float64)


def _start(op, b, x0, name_b="b", x0_validated=False, dtype="float"):
    """Validated right-hand side and a fresh initial iterate (``dtype`` as in :func:`as_sor_operator`).

    ``b`` is always copied (O(n), next to a solve's O(nnz) per iteration): the
    kernels then never see a read-only right-hand side, which would cost a
    compilation of their own. ``x0_validated`` skips the checks of an
    ``x0`` that is a previous solution of the right length.
    """
    b = check_vector(b, name_b, size=op.n, dtype=dtype)
    dtype = _working_dtype(op, b)
    b = np.array(b, dtype=dtype, copy=True, order="C")
    if x0 is None:
        x = np.zeros(op.n, dtype=dtype)
    else:
        x = np.array(x0 if x0_validated else check_vector(x0, "x0", size=op.n, dtype=dtype), dtype=dtype, copy=True)
    return b, x


def scaled_system(op, b, x):
    """``(scale, op, b, x)``: the system rescaled by powers of two when its magnitudes are out of range.

    Far from 1, the squared residual norms of the kernels under- or overflow
    (``b`` scaled by 1e-200 "converged" at ``x = 0``); the scaled system has
    the same iterates (see ``_scaling``). ``x`` is a new array when rescaled;
    ``scale.solution`` maps it back.
    """
    scale = SystemScale.of(op.coefs if op.grid.shape[0] == 3 else op.data, b, b.dtype)  # the kind's entries
    if scale:
        op = op._replace(data=times_power_of_two(op.data, scale.a), coefs=times_power_of_two(op.coefs, scale.a))
        b, x = scale.rhs(b), scale.to_scaled_solution(x)
    return scale, op, b, x


def _tolerance(b, rtol, atol):
    """``max(rtol ||b||, atol)``, or None for ``rtol = atol = 0``: no stopping test, run ``maxiter`` iterations.

    ``rtol`` is raised to what ``b``'s precision can reach (:func:`attainable_rtol`).
    """
    if rtol == 0 and atol == 0:
        return None
    b_norm = math.sqrt(kernels.norm2(b))
    return max(attainable_rtol(rtol, b.dtype) * b_norm if b_norm else 0.0, atol)


def run_sor(op, b, x, omega, tol, maxiter, monitor=None, sweep="forward"):
    """SOR iterations on a validated system; ``x`` (the initial iterate) is overwritten by the result.

    Without a tolerance (``tol=None``) nothing can stop the loop before
    ``maxiter``, so the sweeps run in place without computing the
    intermediate residuals, which are left NaN.

    Returns ``(n_iter, status, residuals)``.
    """
    track = tol is not None
    residuals = np.empty(maxiter + 1) if track else np.full(maxiter + 1, np.nan)
    work = np.empty_like(x)
    tol = 0.0 if tol is None else tol
    args = (*op.arrays, b, x, work, omega, SWEEPS[sweep], tol * tol)
    if monitor is None:
        k, status = kernels.sor_iterate(*args, maxiter, residuals, 0, track)
    else:
        k, status = 0, kernels.RUNNING
        while k < maxiter:
            k, status = kernels.sor_iterate(*args, 1, residuals, k, track)
            if status != kernels.RUNNING:
                break
            if monitor.update(x, residual=residuals[k - 1]):
                status = STOPPED_BY_CALLBACK
                break
    if status in (kernels.RUNNING, STOPPED_BY_CALLBACK):
        # The newest iterate's residual is not known yet: one product gives it.
        residuals[k] = math.sqrt(kernels.residual_norm2(*op.arrays, b, x, work))
        if not math.isfinite(residuals[k]):
            status = DIVERGED
        elif residuals[k] <= tol:
            status = CONVERGED
        elif status == kernels.RUNNING:
            status = MAXITER
    return k, status, residuals[: k + 1]


def run_ssor_cg(op, b, x, omega, tol, maxiter, monitor=None):
    """SSOR-preconditioned CG on a validated system; ``x`` is overwritten. Returns ``(n_iter, status, residuals)``."""
    residuals = np.empty(maxiter + 1)
    r, z, p, q = (np.empty_like(x) for _ in range(4))
    state = np.zeros(1)
    tol2 = 0.0 if tol is None else tol * tol
    if monitor is None:
        k, status = kernels.ssor_cg_iterate(*op.arrays, b, x, r, z, p, q, state, omega, tol2, maxiter, residuals, 0)
    else:
        k, status = kernels.ssor_cg_iterate(*op.arrays, b, x, r, z, p, q, state, omega, tol2, 0, residuals, 0)
        while status == kernels.RUNNING and k < maxiter:
            k, status = kernels.ssor_cg_iterate(*op.arrays, b, x, r, z, p, q, state, omega, tol2, 1, residuals, k)
            if status in (kernels.RUNNING, CONVERGED) and monitor.update(x, residual=residuals[k]):
                status = STOPPED_BY_CALLBACK if status == kernels.RUNNING else status
    if status == kernels.RUNNING:
        status = MAXITER
    return k, status, residuals[: k + 1]


RUNNERS = {"sor": run_sor, "ssor_cg": run_ssor_cg}


def run_solver(solver, op, b, x, omega, tol, maxiter, monitor=None, **options):
    """``RUNNERS[solver]``, whose success in float32 is confirmed on the residual accumulated in float64.

    The kernels' float32 residual holds ``A x`` rounded to float32, off by
    about ``eps ||A|| ||x||``: a float32 run could report a tolerance its
    iterate misses (1.0e-4 against rtol=1e-4 on a random SPD system). Until
    the float64 residual meets ``tol``, the run goes on from its iterate with
    the kernels' tolerance halved, within ``maxiter`` iterations in all.
    Returns ``(n_iter, status, residuals)``.
    """
    if tol is not None and not np.any(b):
        # x = 0 solves b = 0 exactly, whatever x0 (sweeps asked for by rtol = atol = 0 still run).
        x[:] = 0
        return 0, CONVERGED, np.zeros(1)
    run = RUNNERS[solver]
    n_iter, status, residuals = run(op, b, x, omega, tol, maxiter, monitor, **options)
    if tol is None or b.dtype not in (np.float32, np.complex64):
        return n_iter, status, residuals
    double = np.complex128 if b.dtype == np.complex64 else np.float64
    history, inner_tol = [residuals], tol
    while status == CONVERGED:
        true_residual = math.sqrt(kernels.residual_norm2(*op.arrays, b.astype(double), x.astype(double),
                                                         np.empty(op.n, dtype=double)))
        history[-1] = np.append(history[-1][:-1], true_residual)
        if true_residual <= tol:
            break
        if monitor is not None and monitor.stopped_by_callback:
            status = STOPPED_BY_CALLBACK  # the callback's stop is not overridden to go on
            break
        if n_iter >= maxiter:
            status = MAXITER
            break
        inner_tol *= 0.5
        more, status, residuals = run(op, b, x, omega, inner_tol, maxiter - n_iter, monitor, **options)
        n_iter += more
        history.append(residuals[1:])
    return n_iter, status, np.concatenate(history)


def _solve_system(solver, A, b, x0, omega, rtol, atol, maxiter, callback, verbose, **options):
    """Validate one system, run ``RUNNERS[solver]`` on it (one kernel call, or one per iteration with a
    callback or ``verbose``) and wrap the outcome in a Result."""
    op = as_sor_operator(A, dtype="float-or-complex")
    scale, op, b, x = scaled_system(op, *_start(op, b, x0, dtype="float-or-complex"))
    callback = scale.callback(callback)
    maxiter = DEFAULT_MAXITER if maxiter is None else maxiter
    tol = _tolerance(b, rtol, scale.atol(atol))
    if callback is None and not verbose:
        n_iter, status, residuals = run_solver(solver, op, b, x, float(omega), tol, maxiter, **options)
    else:
        with IterationMonitor(f"linalg.{solver}", total=maxiter, verbose=verbose, callback=callback) as monitor:
            n_iter, status, residuals = run_solver(solver, op, b, x, float(omega), tol, maxiter, monitor, **options)
    x, residuals = scale.solution(x), scale.residual(residuals)
    return make_result(solver, x, n_iter, status, residuals, tol, omega=float(omega), **options)


_MESSAGES = {
    CONVERGED: "converged: ||b - A x|| <= max(rtol * ||b||, atol)",
    MAXITER: "maximum number of iterations reached before the tolerance",
    STOPPED_BY_CALLBACK: "stopped by the callback",
    DIVERGED: "diverged: the residual is no longer finite (is omega suitable for this matrix?)",
    BREAKDOWN: "breakdown: p.Ap <= 0 or r.M^-1 r <= 0 (A or the SSOR preconditioner is not positive definite)",
}


def make_result(solver, x, n_iter, status, residuals, tolerance, **fields):
    """The solver's :class:`~sparsekit.Result`, ended through :func:`~sparsekit._core.result.end_run`.

    Without a tolerance (``rtol = atol = 0``) the caller asked for exactly
    ``maxiter`` iterations (e.g. SOR as a smoother): running them meets that
    stopping rule (status 0), which is not worth a warning.
    """
    message = f"{_MESSAGES[status]} after {n_iter} iterations"
    if status == MAXITER and tolerance is None:
        status, message = CONVERGED, f"ran the {n_iter} iterations asked for (rtol = atol = 0: no stopping test)"
    result = Result(x=x, n_iter=int(n_iter), residuals=residuals, **fields)
    # Diverged and breakdown runs already say what failed, and without a tolerance the residual history is
    # NaN by design: the finiteness guard is on the iterate.
    check = () if status in (DIVERGED, BREAKDOWN) else ("x",)
    return end_run(result, caller=solver, status=status, message=message, check=check)


@validate_params(SOLVER_CONSTRAINTS)
def sor(A, b, x0=None, *, omega=1.0, rtol=1e-8, atol=0.0, maxiter=None, sweep="forward", callback=None,
        verbose=0):
    """Solve ``A x = b`` by successive over-relaxation (SOR, or SSOR with ``sweep="symmetric"``).

    One forward iteration is ``x <- x + (D / omega + L)^{-1} (b - A x)`` with
    ``D`` the diagonal and ``L`` the strictly lower triangle of ``A``; Gauss-Seidel
    is ``omega = 1``.

    Parameters
    ----------
    A : sparse array or matrix, ndarray or LaplacianStencil
        Square matrix with a nonzero diagonal, real or complex (e.g.
        Hermitian positive definite). Sparse input in another format
        is converted to CSR once; a :class:`LaplacianStencil` runs the
        matrix-free kernel (same iterates as its CSR form).
    b : array-like of shape (n,)
        Right-hand side.
    x0 : array-like of shape (n,), optional
        Initial guess (zeros by default). Not modified.
    omega : float, default=1.0
        Relaxation parameter, in the open interval (0, 2).
    rtol, atol : float, default=1e-8, 0.0
        Stopping rule: ``||b - A x_k|| <= max(rtol * ||b||, atol)`` (2-norm).
        ``rtol = atol = 0`` asks for exactly ``maxiter`` sweeps (SOR as a
        smoother): they then run in place, about a third faster, without the
        per-iteration residual. An infinite tolerance is met at once; with
        ``b = 0`` (and a stopping test), ``x = 0`` is returned at once.
        In float32 (complex64), ``rtol`` is raised to at least ``10 * eps`` =
        1.19e-6 (what its residual can resolve; float64: 2.2e-15), and success
        is confirmed on the residual accumulated in float64 (complex128).
    maxiter : int, optional
        Maximum number of iterations (default 10 000, the cap of the
        reference code).
    sweep : {"forward", "backward", "symmetric"}, default="forward"
        Row order; ``"symmetric"`` (SSOR) is a forward then a backward sweep
        per iteration.
    callback : callable, optional
        ``callback(xk)`` after each iteration, with the current iterate (one
        positional argument, SciPy's rule); returning True (or raising
        ``StopIteration``) stops the solver: status 2, no warning, unless that
        iterate meets the tolerance (status 0). Giving a callback (or
        ``verbose``) runs one kernel call per iteration instead of one per
        solve.
    verbose : int, default=0
        Log progress through the ``sparsekit.linalg.sor`` logger.

    Returns
    -------
    Result
        ``x``; ``converged``; ``status`` (0 converged, or the ``maxiter``
        sweeps asked for with ``rtol = atol = 0`` done, 1 maxiter reached,
        2 stopped by the callback, -1 diverged: the residual became infinite
        or NaN, 3 NaN or infinity in ``x``); ``message``; ``n_iter`` (iterations done: ``x`` is
        ``x_{n_iter}``); ``residuals`` (``||b - A x_k||`` for
        ``k = 0..n_iter``; with ``rtol = atol = 0`` only the last one is
        computed, the others are NaN); ``omega`` and ``sweep``.

    Raises
    ------
    ValueError
        If ``A`` is not square, has a zero on its diagonal or NaN/inf entries;
        if ``b`` or ``x0`` have the wrong length or NaN/inf; if ``omega`` is
        outside (0, 2) or another option is out of range.
    TypeError
        If ``A`` is a LinearOperator other than a :class:`LaplacianStencil`.

    Warns
    -----
    ConvergenceWarning
        Once, at the caller's line, when the tolerance is not met within
        ``maxiter`` iterations, or the iteration diverges. Not for reaching
        ``maxiter`` with ``rtol = atol = 0``, which asks for exactly
        ``maxiter`` sweeps, nor for a stop by the callback.

    See Also
    --------
    ssor_cg : Conjugate gradients preconditioned by SSOR.
    sor_sequence : SOR over a sequence of systems, with ``omega`` learned online.
    young_omega : The asymptotically optimal ``omega`` of a consistently ordered matrix.

    Notes
    -----
    A system whose entries or right-hand side are far from 1 (beyond
    ``2^±341`` in float64, ``2^±42`` in float32, where squared norms under-
    or overflow) is solved scaled by powers of two, which is exact: the
    iterates, the residuals and the callback's ``xk`` are those of the
    caller's system.

    Each iteration is one pass over the matrix that both updates the iterate
    and accumulates the residual of the previous one, so checking the
    stopping rule costs no extra matrix-vector product; the iterate after the
    one that meets the rule is computed and discarded. Rows are updated in
    place of a Gauss-Seidel row sum minus the just-updated neighbour's term,
    which keeps the loop-carried dependency to one multiply-subtract.

    For a consistently ordered matrix (e.g. a grid Laplacian in natural
    order) whose Jacobi matrix has spectral radius ``beta < 1``, SOR converges
    for every ``omega`` in (0, 2) and fastest, asymptotically, at Young's
    ``omega* = 2 / (1 + sqrt(1 - beta**2))`` [1]_. The iteration count as a
    function of ``omega`` is what :func:`sor_sequence` learns across systems
    [2]_.

    References
    ----------
    .. [1] D. M. Young, *Iterative Solution of Large Linear Systems*, Academic Press, 1971.
    .. [2] M. Khodak, E. Chow, M.-F. Balcan, A. Talwalkar, "Learning to Relax: Setting
       Solver Parameters Across a Sequence of Linear System Instances", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.datasets import poisson2d
    >>> from sparsekit.linalg import sor
    >>> A = poisson2d(10)
    >>> b = np.ones(100)
    >>> gauss_seidel = sor(A, b, rtol=1e-8)
    >>> tuned = sor(A, b, omega=1.56, rtol=1e-8)
    >>> gauss_seidel.converged, tuned.converged, tuned.n_iter < gauss_seidel.n_iter / 5
    (True, True, True)
    >>> bool(np.linalg.norm(b - A @ tuned.x) <= 1e-8 * np.linalg.norm(b))
    True
    """
    return _solve_system("sor", A, b, x0, omega, rtol, atol, maxiter, callback, verbose, sweep=sweep)


@validate_params({name: SOLVER_CONSTRAINTS[name] for name in SOLVER_CONSTRAINTS if name != "sweep"})
def ssor_cg(A, b, x0=None, *, omega=1.0, rtol=1e-8, atol=0.0, maxiter=None, callback=None, verbose=0):
    """Solve a symmetric positive definite ``A x = b`` by CG preconditioned with SSOR(``omega``).

    Parameters
    ----------
    A : sparse array or matrix, ndarray or LaplacianStencil
        Symmetric (or complex Hermitian) positive definite matrix (symmetry
        is not checked; a breakdown is reported if positivity fails during
        the iteration).
    b : array-like of shape (n,)
        Right-hand side.
    x0 : array-like of shape (n,), optional
        Initial guess (zeros by default), e.g. the previous time step's
        solution. Not modified.
    omega : float, default=1.0
        SSOR relaxation parameter, in (0, 2).
    rtol, atol : float, default=1e-8, 0.0
        Stopping rule: ``||b - A x_k|| <= max(rtol * ||b||, atol)``, checked on
        the CG recurrence residual and confirmed on the true residual.
        In float32 (complex64), ``rtol`` is raised to at least ``10 * eps`` =
        1.19e-6 (what its residual can resolve; float64: 2.2e-15), and success
        is confirmed on the residual accumulated in float64 (complex128).
    maxiter : int, optional
        Maximum number of CG iterations (default 10 000, as the reference code).
    callback : callable, optional
        ``callback(xk)`` after each iteration, with the current iterate (one
        positional argument, SciPy's rule); returning True (or raising
        ``StopIteration``) stops the solver: status 2, no warning, unless that
        iterate meets the tolerance (status 0).
    verbose : int, default=0
        Log progress through the ``sparsekit.linalg.ssor_cg`` logger.

    Returns
    -------
    Result
        ``x``, ``converged``, ``status`` (0 converged, 1 maxiter, 2 stopped
        by the callback, -1 diverged, -2 breakdown, 3 NaN or infinity in
        ``x``), ``message``, ``n_iter``
        (CG iterations), ``residuals`` (residual norms, ``k = 0..n_iter``) and
        ``omega``.

    Raises
    ------
    ValueError
        For the bad inputs listed in :func:`sor`.

    Warns
    -----
    ConvergenceWarning
        Once, at the caller's line, when the tolerance is not met or the
        iteration breaks down (not for a stop by the callback).

    See Also
    --------
    ssor_preconditioner : The same preconditioner as a LinearOperator for SciPy's solvers.

    Notes
    -----
    Applying the preconditioner is one forward and one backward in-place SOR
    sweep from zero, so ``M = omega / (2 - omega) (D / omega + L) D^{-1} (D / omega + U)``
    up to the factor ``omega (2 - omega)``, which CG does not see. The whole
    solve is one compiled call (no Python per iteration) unless a callback is
    given. This is the solver of the heat-equation experiment of Khodak et al.
    (ICLR 2024), whose iteration count :func:`sor_sequence` can learn to
    minimise over ``omega`` (``solver="ssor-cg"``).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.datasets import poisson2d
    >>> from sparsekit.linalg import ssor_cg
    >>> A = poisson2d(30)
    >>> b = np.ones(900)
    >>> plain, ssor = ssor_cg(A, b, omega=1.0), ssor_cg(A, b, omega=1.7)
    >>> plain.converged and ssor.converged, ssor.n_iter < plain.n_iter
    (True, True)
    """
    return _solve_system("ssor_cg", A, b, x0, omega, rtol, atol, maxiter, callback, verbose)


class _SSORPreconditioner(LinearOperator):
    """``x -> M^{-1} x`` for SSOR(omega): one symmetric SOR sweep from zero."""

    def __init__(self, op, omega):
        dtype = op.dtype if op.dtype in _KERNEL_DTYPES else np.dtype(np.float64)
        super().__init__(dtype=dtype, shape=(op.n, op.n))
        self._op = op
        self.omega = omega

    def _matvec(self, x):
        r = np.ascontiguousarray(np.ravel(x), dtype=np.result_type(self.dtype, x.dtype))
        z = np.empty_like(r)
        kernels.ssor_apply(*self._op.arrays, r, z, self.omega)
        return z


@validate_params({"omega": [_OMEGA]})
def ssor_preconditioner(A, omega=1.0):
    """The SSOR preconditioner ``M^{-1}`` of ``A`` as a LinearOperator (e.g. ``M=`` of SciPy's ``cg``).

    Parameters
    ----------
    A : sparse array or matrix, ndarray or LaplacianStencil
        Square matrix with a nonzero diagonal, real or complex (validated and
        converted to CSR once, here).
    omega : float, default=1.0
        Relaxation parameter, in (0, 2). ``omega = 1`` is symmetric Gauss-Seidel.

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        ``r -> M^{-1} r`` with ``M = (D / omega + L) (D (2 - omega) / omega)^{-1} (D / omega + U)``,
        computed as one forward and one backward SOR sweep from zero (no
        matrix is formed). Symmetric positive definite when ``A`` is.

    Raises
    ------
    ValueError
        If ``A`` is not square or has a zero diagonal entry, or ``omega`` is
        outside (0, 2).

    See Also
    --------
    ssor_cg : CG with this preconditioner, compiled end to end.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse.linalg import cg
    >>> from sparsekit.datasets import poisson2d
    >>> from sparsekit.linalg import ssor_preconditioner
    >>> A = poisson2d(30)
    >>> b = np.ones(900)
    >>> counts = {}
    >>> for name, M in [("none", None), ("ssor", ssor_preconditioner(A, omega=1.7))]:
    ...     counts[name] = 0
    ...     def count(xk, name=name):
    ...         counts[name] += 1
    ...     x, info = cg(A, b, M=M, rtol=1e-8, callback=count)
    >>> counts["ssor"] < counts["none"] / 2
    True
    """
    return _SSORPreconditioner(as_sor_operator(A, dtype="float-or-complex"), float(omega))


def jacobi_spectral_radius(A):
    """Spectral radius of the Jacobi iteration matrix ``I - D^{-1} A`` (analytic for a stencil)."""
    if isinstance(A, LaplacianStencil):
        adjacency = sum(2.0 * math.cos(math.pi / (s + 1)) for s in A.grid_shape)
        return abs(A.neighbour_value) * adjacency / abs(A.diagonal_value)
    op = as_sor_operator(A)
    matrix = sparse.csr_array(op.source, dtype=np.float64)
    diagonal = matrix.diagonal()
    if op.n <= 500:
        jacobi = np.eye(op.n) - matrix.toarray() / diagonal[:, None]
        return float(np.max(np.abs(np.linalg.eigvals(jacobi))))
    from scipy.sparse.linalg import eigs, eigsh

    if (abs(matrix - matrix.T) > 0).nnz == 0 and np.all(diagonal > 0):
        # D^{-1/2} (D - A) D^{-1/2} is symmetric and similar to the Jacobi matrix.
        scale = sparse.diags_array(1.0 / np.sqrt(diagonal))
        symmetric = scale @ (sparse.diags_array(diagonal) - matrix) @ scale
        return float(np.max(np.abs(eigsh(symmetric, k=1, which="LM", return_eigenvectors=False))))
    jacobi = sparse.eye_array(op.n) - sparse.diags_array(1.0 / diagonal) @ matrix
    return float(np.max(np.abs(eigs(jacobi, k=1, which="LM", return_eigenvectors=False))))


def young_omega(A):
    """Return Young's optimal SOR relaxation ``omega* = 1 + (beta / (1 + sqrt(1 - beta^2)))^2``.

    Parameters
    ----------
    A : sparse array or matrix, ndarray or LaplacianStencil
        Square matrix with a nonzero diagonal, assumed consistently ordered
        (e.g. a grid Laplacian in natural order) with real Jacobi eigenvalues.

    Returns
    -------
    float
        ``omega*`` in [1, 2), where ``beta`` is the spectral radius of the
        Jacobi matrix ``I - D^{-1} A``: analytic for a
        :class:`LaplacianStencil`, dense eigenvalues up to n = 500, ARPACK
        above.

    Raises
    ------
    ValueError
        If ``beta >= 1`` (Jacobi does not converge and the formula does not
        apply), or for the bad inputs of :func:`sor`.

    Notes
    -----
    This is the instance-optimal baseline of Khodak et al. (ICLR 2024): the
    asymptotic optimum for each matrix, computed from its spectrum, which an
    online learner does not get to see.

    Examples
    --------
    >>> from sparsekit.datasets import poisson2d
    >>> from sparsekit.linalg import LaplacianStencil, young_omega
    >>> round(young_omega(poisson2d(10)), 4), round(young_omega(LaplacianStencil((10, 10))), 4)
    (1.5604, 1.5604)
    """
    beta = jacobi_spectral_radius(A)
    if not beta < 1:
        raise ValueError(
            f"Young's formula needs the Jacobi spectral radius of A below 1; got {beta:.6g}."
        )
    return 1.0 + (beta / (1.0 + math.sqrt(1.0 - beta * beta))) ** 2
