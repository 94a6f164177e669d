"""Sketch-and-precondition least squares (Blendenpik / LSRN style) with LSQR or LSMR."""

import math
from numbers import Integral, Real

import numpy as np
import scipy.linalg

from ..._core.params import Interval, Options, check_params
from ..._core.progress import IterationMonitor
from ..._core.random import check_random_state
from ..._core.result import Result, end_run
from ..._core.scaling import times_power_of_two, unit_exponent
from ..._core.validation import check_callable, check_vector
from ._lstsq_sizing import check_shape_for_lstsq, default_oversampling, default_sketch_size
from ._sketch_dask import prepare_dask_lstsq
from ._sketch_input import check_host_input, is_dask_array
from ._sketch_lstsq_kernels import csr_fused_normal
from ._sketch_methods import SKETCH_METHODS

__all__ = ["sketch_lstsq"]

# Rows per block of the fused dense product: a block of A stays in cache
# between its two uses (A_b @ w, then t_b @ A_b).
_FUSED_BLOCK_ENTRIES = 1 << 18

#: Default ``rtol`` per precision of the answer, and the floor a float32 ``rtol`` is raised to. Rounding x
#: to float32 alone leaves a backward error of 5e-6 to 1e-5 on 4000 x 40 problems with a moderate residual
#: (measured), hence 1e-4: a float32 run then meets its default whatever the conditioning.
DEFAULT_RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-4}
FLOAT32_RTOL_FLOOR = 10 * float(np.finfo(np.float32).eps)
#: With ``rtol = 0`` a run still ends, at exact termination of the bidiagonalization; its success is then
#: checked against this many machine epsilons of the working precision.
_EXACT_FLOOR = 16


class _HostOperator:
    """Shared part of the in-memory operators: vectors are NumPy arrays scaled in place."""

    @staticmethod
    def scale(t, factor):
        """Return ``factor * t``, reusing ``t``'s memory."""
        t *= factor
        return t

    @staticmethod
    def copy(t):
        """A copy of an m-vector."""
        return t.copy()


class DenseRowsOperator(_HostOperator):
    """``A`` as a dense NumPy array; the fused product walks it in cache-sized row blocks."""

    def __init__(self, A):
        self.A = A
        self.shape = A.shape
        self.frobenius_squared = float(np.einsum("ij,ij->", A, A))
        self._block = max(16, _FUSED_BLOCK_ENTRIES // max(1, A.shape[1]))

    def fused(self, w, u, coef, *, transpose_u=False):
        """Return ``t = A w - coef u``, ``A.T t`` and ``||t||²`` (one pass over ``A``).

        With ``transpose_u=True`` also return ``A.T u``, from the same pass.
        """
        m, n = self.shape
        t = np.empty(m, dtype=np.result_type(self.A.dtype, w.dtype))
        z = np.zeros(n, dtype=t.dtype)
        z_u = np.zeros(n, dtype=t.dtype) if transpose_u else None
        for start in range(0, m, self._block):
            rows = self.A[start:start + self._block]
            u_block = u[start:start + self._block]
            block = rows @ w
            block -= coef * u_block
            t[start:start + self._block] = block
            z += block @ rows
            if transpose_u:
                z_u += u_block @ rows
        return (t, z, float(t @ t)) + ((z_u,) if transpose_u else ())


class _SparseHostOperator(_HostOperator):
    """Shared part of the SciPy sparse operators: ``||A||_F²`` from the stored values."""

    def __init__(self, A):
        self.A = A
        self.shape = A.shape
        self.frobenius_squared = float(np.dot(A.data, A.data))


class CSROperator(_SparseHostOperator):
    """``A`` as a CSR matrix; the fused product is one numba pass over its nonzeros."""

    def fused(self, w, u, coef, *, transpose_u=False):
        """Return ``t = A w - coef u``, ``A.T t``, ``||t||²`` (and ``A.T u``) in one pass over ``A``."""
        dtype = np.result_type(self.A.dtype, w.dtype)
        t = np.empty(self.shape[0], dtype=dtype)
        z = np.zeros(self.shape[1], dtype=dtype)
        z_u = np.zeros(self.shape[1] if transpose_u else 0, dtype=dtype)
        squared = csr_fused_normal(self.A.indptr, self.A.indices, self.A.data, w.astype(dtype, copy=False),
                                   u.astype(dtype, copy=False), dtype.type(coef), t, z, z_u)
        return (t, z, float(squared)) + ((z_u,) if transpose_u else ())


class CSCOperator(_SparseHostOperator):
    """``A`` as a CSC matrix: ``A w`` and ``A.T t`` are two passes (CSC has no row access)."""

    def fused(self, w, u, coef, *, transpose_u=False):
        """Return ``t = A w - coef u``, ``A.T t``, ``||t||²`` (and ``A.T u``)."""
        t = self.A @ w
        t -= coef * u
        return (t, self.A.T @ t, float(t @ t)) + ((self.A.T @ u,) if transpose_u else ())


class Preconditioner:
    """Right preconditioner from the factor of a sketch: ``x = P y``.

    ``P = R⁻¹`` from the QR factorisation of the sketch ``M`` when ``R`` is
    numerically nonsingular; otherwise ``P = V_r Σ_r⁻¹`` from its SVD
    restricted to the numerical rank ``r`` (LSRN), so that rank-deficient
    problems converge to the minimum-norm solution.
    """

    def __init__(self, M, rhs):
        n = M.shape[1]
        stacked = np.empty((M.shape[0], n + 1), order="F")  # LAPACK's layout: no copy inside qr
        stacked[:, :n] = M
        stacked[:, n] = rhs
        factor = scipy.linalg.qr(stacked, mode="r", overwrite_a=True, check_finite=False)[0]
        R = factor[:n, :n]
        diagonal = np.abs(np.diag(R))
        tolerance = max(M.shape) * np.finfo(np.float64).eps * diagonal.max(initial=0.0)
        if R.shape[0] == n and diagonal.min() > tolerance:
            self.R = R
            self.rank = n
            self.sketched_solution = self.apply(factor[:n, n])
            return
        self.R = None
        U, singular, Vt = scipy.linalg.svd(M, full_matrices=False, check_finite=False)
        keep = singular > max(M.shape) * np.finfo(np.float64).eps * singular.max(initial=0.0)
        self.V, self.singular = Vt[keep].T, singular[keep]
        self.rank = int(keep.sum())
        self.sketched_solution = self.apply(U[:, keep].T @ rhs)

    @property
    def inverse_frobenius(self):
        """``||P⁻¹||_F``, an upper bound of its 2-norm."""
        if self.R is not None:
            return float(np.linalg.norm(self.R))
        return float(np.linalg.norm(self.singular))

    def apply(self, y):
        """``P y`` (to the solution space)."""
        if self.R is not None:
            return scipy.linalg.solve_triangular(self.R, y, check_finite=False)
        return self.V @ (y / self.singular)

    def apply_transpose(self, z):
        """``P.T z``."""
        if self.R is not None:
            return scipy.linalg.solve_triangular(self.R, z, trans="T", check_finite=False)
        return (self.V.T @ z) / self.singular

    def inverse_transpose(self, v):
        """``P⁻ᵀ v`` on the row space: turns ``(A P).T r`` back into ``A.T r``."""
        if self.R is not None:
            return self.R.T @ v
        return self.V @ (self.singular * v)


def make_operator(A, kind):
    """The least-squares operator for validated ``A`` of the given kind."""
    if kind == "csr":
        return CSROperator(A)
    if kind == "csc":
        return CSCOperator(A)
    return DenseRowsOperator(A)


def _bidiagonalization_solve(op, precond, x0, initial, norm_b, alpha, solver, rtol, atol, maxiter, monitor,
                             x_shift):
    """LSQR or LSMR on ``[A; sqrt(alpha) I] P`` started from ``x0``; see :func:`sketch_lstsq`.

    ``initial`` is ``op.fused(x0, b, 1)``, i.e. ``(A x0 - b, A.T (A x0 - b),
    ||A x0 - b||²)``. The problem may be a rescaled one: the callback sees
    ``x * 2**x_shift``, the iterate of the user's problem. Returns the correction
    ``x - x0`` in preconditioned coordinates plus the iteration's bookkeeping.
    """
    n = op.shape[1]
    sqrt_alpha = math.sqrt(alpha)
    norm_A = math.sqrt(op.frobenius_squared + n * alpha)

    # r0 = [b - A x0; -sqrt(alpha) x0];  u1 = r0 / beta1;  alpha1 v1 = P.T [A; sqrt(alpha) I].T u1
    t, z, t_squared = initial
    u_bottom = -sqrt_alpha * x0
    beta = math.sqrt(t_squared + float(u_bottom @ u_bottom))
    history = {"backward": [], "residual": []}
    y = np.zeros(precond.rank)
    state = {"status": 0, "reason": "x0 solves the problem exactly", "n_iter": 0}
    if beta == 0.0:
        return y, history, state
    u_top = op.scale(t, -1.0 / beta)
    u_bottom /= beta
    v = precond.apply_transpose((-z - alpha * x0) / beta)
    alpha_k = float(np.linalg.norm(v))
    if alpha_k == 0.0:
        state["reason"] = "x0 satisfies the normal equations exactly"
        return y, history, state
    v /= alpha_k

    inverse_bound = precond.inverse_frobenius

    def record(normal_scale, residual_norm, along_v=True):
        # (A P)ᵀ r = normal_scale * v exactly for LSQR (and at the start); for LSMR only its norm
        # |ζ̄| is known, so ||P⁻ᵀ|| bounds ||Aᵀ r|| from above.
        if along_v:
            normal = abs(normal_scale) * float(np.linalg.norm(precond.inverse_transpose(v)))
        else:
            normal = abs(normal_scale) * inverse_bound
        backward = normal / (norm_A * residual_norm) if norm_A * residual_norm > 0 else 0.0
        history["backward"].append(backward)
        history["residual"].append(residual_norm)
        return normal, backward

    normal, backward = record(alpha_k * beta, beta)
    # LSQR scalars (also give LSMR a lower bound on its residual norm)
    rhobar, phibar = alpha_k, beta
    direction = v.copy()
    # LSMR scalars
    alphabar, zetabar, rho_old, rhobar_old, cbar, sbar = alpha_k, alpha_k * beta, 1.0, 1.0, 1.0, 0.0
    h, hbar = v.copy(), np.zeros(precond.rank)

    state.update(status=1, reason="maxiter reached")
    for iteration in range(1, maxiter + 1):
        w = precond.apply(v)
        t, z, t_squared = op.fused(w, u_top, alpha_k)
        bottom = sqrt_alpha * w - alpha_k * u_bottom
        beta = math.sqrt(t_squared + float(bottom @ bottom))
        if beta > 0.0:
            u_top = op.scale(t, 1.0 / beta)
            u_bottom = bottom / beta
            v_next = precond.apply_transpose((z + sqrt_alpha * bottom) / beta) - beta * v
        else:
            v_next = np.zeros_like(v)
        alpha_next = float(np.linalg.norm(v_next))
        if alpha_next > 0.0:
            v_next /= alpha_next

        rho = math.hypot(rhobar, beta)
        c, s = rhobar / rho, beta / rho
        theta = s * alpha_next
        rhobar = -c * alpha_next
        phi = c * phibar
        phibar = s * phibar
        if solver == "lsqr":
            y += (phi / rho) * direction
            direction = v_next - (theta / rho) * direction
            normal_scale = phibar * alpha_next * c
        else:
            rho_m = math.hypot(alphabar, beta)
            c_m, s_m = alphabar / rho_m, beta / rho_m
            theta_m = s_m * alpha_next
            alphabar = c_m * alpha_next
            thetabar = sbar * rho_m
            rhobar_new = math.hypot(cbar * rho_m, theta_m)
            cbar, sbar = cbar * rho_m / rhobar_new, theta_m / rhobar_new
            zeta = cbar * zetabar
            zetabar = -sbar * zetabar
            hbar = h - (thetabar * rho_m / (rho_old * rhobar_old)) * hbar
            y += (zeta / (rho_m * rhobar_new)) * hbar
            h = v_next - (theta_m / rho_m) * h
            rho_old, rhobar_old = rho_m, rhobar_new
            normal_scale = zetabar

        v = v_next
        alpha_k = alpha_next
        normal, backward = record(normal_scale, phibar, along_v=solver == "lsqr")
        state["n_iter"] = iteration
        x = x0 + precond.apply(y)
        with np.errstate(over="ignore"):  # the callback sees x beyond float64's range as inf
            stop = monitor.update(np.ldexp(x, x_shift) if x_shift else x, backward=backward)
        # a callback's stop yields to a tolerance met at the same iteration: that run converged
        if backward <= rtol:
            state.update(status=0, reason=f"backward error estimate {backward:.2e} <= rtol")
        elif normal <= atol:
            state.update(status=0, reason=f"||A.T r|| estimate {normal:.2e} <= atol")
        elif phibar <= rtol * (norm_A * float(np.linalg.norm(x)) + norm_b):
            state.update(status=0, reason="the system is compatible: ||r|| <= rtol (||A|| ||x|| + ||b||)")
        elif beta == 0.0 or alpha_next == 0.0:
            state.update(status=0, reason="exact solution reached (bidiagonalization terminated)")
        elif stop:
            state.update(status=2, reason="stopped by the callback")
        if state["status"] != 1:
            break
    return y, history, state


_LSTSQ_CONSTRAINTS = {
    "sketch": [str],
    "oversampling": [None, Interval(Real, 1, None, closed="neither")],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "solver": [Options({"lsqr", "lsmr"})],
    "rtol": [None, Interval(Real, 0, None, closed="left")],
    "atol": [Interval(Real, 0, None, closed="left")],
    "maxiter": [None, Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "sketch_options": [None, dict],
}


def sketch_lstsq(
    A,
    b,
    x0=None,
    *,
    sketch="sparse-sign",
    oversampling=None,
    alpha=0.0,
    solver="lsqr",
    rtol=None,
    atol=0.0,
    maxiter=None,
    random_state=None,
    callback=None,
    verbose=0,
    sketch_options=None,
):
    """Solve ``min ||A x - b||² + alpha ||x||²`` by sketch-and-precondition.

    A sketch ``S A`` with ``d = oversampling * n`` rows is factored as
    ``Q R``; ``A R⁻¹`` is then well conditioned whatever the conditioning of
    ``A``, and LSQR (or LSMR) on it converges in a few tens of iterations,
    started from the sketch-and-solve solution ``R⁻¹ Qᵀ S b``.

    Parameters
    ----------
    A : ndarray, sparse array or matrix (any SciPy format) or dask array, shape (m, n)
        The matrix, ``m >= n`` unless ``alpha > 0``. Sparse formats other
        than CSR and CSC are converted once to CSR. A dask array must be
        chunked by rows (see :func:`sketch`); it is persisted on the cluster
        for the iterations.
    b : array-like or dask array, shape (m,)
        Right-hand side.
    x0 : array-like of shape (n,), optional
        Starting point. By default the sketch-and-solve solution, kept only
        when its residual is smaller than that of ``x = 0``.
    sketch : str, default="sparse-sign"
        A method of :data:`SKETCH_METHODS` used to build the preconditioner.
    oversampling : float, optional
        Sketch rows per column (> 1). By default it balances the ``O(d n²)``
        QR of the sketch against the iterations, each ``O(nnz(A))`` with a
        convergence factor of about ``sqrt(n/d)``: the ratio ``r = d/n``
        solves ``r ln²r = nnz(A) / (n² (n/750 + 2.7))``, kept in [4, 40]
        (about 7.5 for a dense 50 000 x 500 matrix, 29 for 200 000 x 200,
        4 for a sparse one with 10 nonzeros per row and n = 1000).
    alpha : float, default=0.0
        Ridge penalty (>= 0). The sketch then factors ``[S A; sqrt(alpha) I]``.
    solver : {"lsqr", "lsmr"}, default="lsqr"
        Krylov method on the preconditioned problem.
    rtol : float, optional
        Default 1e-10 when the answer is float64, 1e-4 when it is float32
        (``A`` and ``b`` both float32); a float32 ``rtol`` below
        ``10 eps32`` (1.2e-6) is raised to it. Stop when the estimated
        normwise backward error
        ``||Aᵀr - alpha x|| / (||[A; sqrt(alpha) I]||_F ||[r; sqrt(alpha) x]||)``
        is at most ``rtol`` (``r = b - A x``), or, for compatible systems,
        when ``||r|| <= rtol (||A||_F ||x|| + ||b||)``. Success is then
        checked on the returned ``x`` itself (see Notes).
    atol : float, default=0.0
        Also stop when the estimated ``||Aᵀr - alpha x||`` is at most ``atol``.
    maxiter : int, optional
        Maximum iterations; ``max(100, 2 n)`` by default.
    random_state : None, int, Generator, RandomState or SeedSequence
        Randomness of the sketch.
    callback : callable, optional
        Called as ``callback(xk)`` after every iteration, with one positional
        argument: the current iterate ``xk`` (shape (n,)). Returning True (or
        raising ``StopIteration``) stops the run: status 2, ``converged=False``
        and no warning, unless that iteration met the tolerance (status 0).
    verbose : bool or int, default=0
        Log progress through the ``sparsekit`` logger.
    sketch_options : dict, optional
        Options of the sketch method; for ``"sparse-sign"``,
        ``nnz_per_col`` defaults to 4 here.

    Returns
    -------
    Result
        ``x`` (float32 when ``A`` and ``b`` are float32, float64
        otherwise); ``converged``; ``status`` (0 converged, 1 maxiter, 2 stopped by
        the callback, 3 non-finite result); ``message``; ``n_iter``; ``backward_error`` (computed
        exactly from the final ``x``); ``backward_error_history`` and
        ``residual_history`` (the iteration's estimates, starting at ``x0``);
        ``residual_norm`` (``||b - A x||``); ``sketch_size``; ``rank`` (of the
        preconditioner); ``warm_start`` (whether the sketch-and-solve start
        was used).

    Raises
    ------
    ValueError
        Shapes that do not match, ``m < n`` with ``alpha = 0``, empty input,
        NaN or infinity, invalid options (:class:`InvalidParameterError`
        for NaN, infinite or negative ``rtol``, ``atol``, ``alpha``, ...),
        or ``alpha`` (``x0``) too large for the scale of ``A`` (and ``b``).
    TypeError
        Complex, object or string data, CuPy arrays.

    Warns
    -----
    sparsekit.ConvergenceWarning
        If ``maxiter`` is reached first or the result is not finite; issued at
        the caller's line.

    Notes
    -----
    The preconditioned problem is solved by Golub–Kahan bidiagonalization of
    ``[A; sqrt(alpha) I] R⁻¹`` (Paige and Saunders' LSQR, or Fong and
    Saunders' LSMR) on the correction from ``x0``. One iteration reads ``A``
    once: for dense and CSR input the products ``A w`` and ``Aᵀ t`` are fused
    in a single sweep over row blocks. The backward-error estimate is cheap
    and exact up to rounding for LSQR: ``Aᵀ r_k`` is a known multiple of the
    next Lanczos vector ``v_{k+1}``, so ``||Aᵀ r_k|| = |φ̄ α c| ||Rᵀ v_{k+1}||``.
    For LSMR, ``|ζ̄| ||Rᵀ v_{k+1}||`` is divided by the LSQR residual norm of
    the same Krylov space, a lower bound of LSMR's, so the estimate errs on
    the safe side. When ``R`` is numerically singular the preconditioner is
    taken from the SVD of the sketch instead (LSRN), giving the minimum-norm
    solution. The initial guess, the sketch-and-solve solution, comes for free
    from the QR factorisation of ``[S A, S b]``.

    The factorisation of the sketch and the iteration's vectors are float64
    whatever the input's precision (the preconditioner of an ill-conditioned
    ``A`` needs it); float32 ``A`` is read as it is, and ``x`` is rounded to
    float32 at the end. The run is reported converged only if the backward
    error (or the residual test) recomputed from that rounded ``x``, in the
    final pass over ``A``, meets ``rtol`` (or ``atol``); otherwise it ends
    with status 1 (status 3 if ``x`` is beyond float64's range, as for ``A``
    of order 1e-300 and ``b`` of order 1e300). Least squares is scale
    invariant: when squares of the entries of ``A`` or ``b`` would underflow
    or overflow (entries beyond ``2**±256`` in float64, ``2**±32`` in
    float32) the problem is solved for ``A`` and ``b`` multiplied by powers
    of two, exactly, and scaled back.

    References
    ----------
    .. [1] H. Avron, P. Maymounkov and S. Toledo, "Blendenpik: Supercharging
       LAPACK's least-squares solver", SIAM J. Sci. Comput. 32(3), 2010.
    .. [2] X. Meng, M. A. Saunders and M. W. Mahoney, "LSRN: A parallel
       iterative solver for strongly over- or underdetermined systems",
       SIAM J. Sci. Comput. 36(2), 2014.
    .. [3] C. C. Paige and M. A. Saunders, "LSQR: An algorithm for sparse
       linear equations and sparse least squares", ACM TOMS 8(1), 1982.
    .. [4] D. C.-L. Fong and M. A. Saunders, "LSMR: An iterative algorithm
       for sparse least-squares problems", SIAM J. Sci. Comput. 33(5), 2011.
    .. [5] R. Murray et al., "Randomized numerical linear algebra: A
       perspective on the field with an eye to software", arXiv:2302.11474.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import sketch_lstsq
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((5000, 50)) * np.logspace(0, -6, 50)
    >>> b = rng.standard_normal(5000)
    >>> res = sketch_lstsq(A, b, random_state=0)
    >>> res.converged, res.backward_error < 1e-10
    (True, True)
    >>> bool(np.allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-6))
    True
    """
    check_params(
        {"sketch": sketch, "oversampling": oversampling, "alpha": alpha, "solver": solver, "rtol": rtol,
         "atol": atol, "maxiter": maxiter, "random_state": random_state, "verbose": verbose,
         "sketch_options": sketch_options},
        _LSTSQ_CONSTRAINTS,
        caller="sketch_lstsq",
    )
    check_callable(callback, "callback")
    sketch_options = dict(sketch_options or {})
    if SKETCH_METHODS.get(sketch).name == "sparse-sign":
        # with d >= 4n rows, 4 nonzeros per column condition A R⁻¹ as well as 8 (measured) at half the cost
        sketch_options.setdefault("nnz_per_col", 4)
    prepare = prepare_dask_lstsq if is_dask_array(A) else _prepare_in_memory
    op, b, norm_b, SA, Sb, (A_exponent, b_exponent), dtype = prepare(
        A, b, sketch=sketch, oversampling=oversampling, alpha=alpha,
        random_state=check_random_state(random_state), sketch_options=sketch_options,
    )
    if rtol is None:
        rtol = DEFAULT_RTOL[dtype]
    elif dtype == np.float32:
        rtol = max(rtol, FLOAT32_RTOL_FLOOR)
    # The problem solved is the rescaled one, A' = A 2**A_exponent, b' = b 2**b_exponent (exact): its
    # solution is x' = x 2**-x_shift, its penalty alpha 2**(2 A_exponent), and A'ᵀr' = Aᵀr
    # 2**(A_exponent + b_exponent). np.ldexp scales exactly even where 2**e alone is not representable.
    x_shift = A_exponent - b_exponent
    with np.errstate(over="ignore"):
        scaled_alpha = float(np.ldexp(alpha, 2 * A_exponent))
        atol = float(np.ldexp(atol, A_exponent + b_exponent))
    if not math.isfinite(scaled_alpha):
        raise ValueError(f"alpha={float(alpha):g} is too large for A: alpha / max|A|^2 overflows.")
    alpha = scaled_alpha
    n = op.shape[1]
    M, rhs = SA, Sb
    if alpha > 0:
        M = np.vstack([SA, math.sqrt(alpha) * np.eye(n)])
        rhs = np.concatenate([Sb, np.zeros(n)])
    precond = Preconditioner(np.asarray(M, dtype=np.float64), np.asarray(rhs, dtype=np.float64))

    warm_start = x0 is None
    if warm_start:
        # One pass gives the residual of the sketch-and-solve start and, should
        # x = 0 be the better start, the A.T b it needs.
        x0 = precond.sketched_solution
        *initial, transpose_b = op.fused(x0, b, 1.0, transpose_u=True)
        if initial[2] + alpha * float(x0 @ x0) >= norm_b**2:
            warm_start = False
            x0 = np.zeros(n)
            initial = (op.scale(op.copy(b), -1.0), -transpose_b, norm_b**2)
    else:
        with np.errstate(over="ignore"):
            x0 = np.ldexp(np.asarray(check_vector(x0, "x0", size=n), dtype=np.float64), -x_shift)
        if not np.all(np.isfinite(x0)):
            raise ValueError("x0 is too large for the scale of A and b: x0 * max|b| / max|A| overflows.")
        initial = op.fused(x0, b, 1.0)

    maxiter = max(100, 2 * n) if maxiter is None else maxiter
    monitor = IterationMonitor("linalg.sketch_lstsq", total=maxiter, verbose=verbose, callback=callback)
    with monitor:
        y, history, state = _bidiagonalization_solve(
            op, precond, x0, initial, norm_b, alpha, solver, rtol, atol, maxiter, monitor, x_shift
        )
    # The answer in the working precision; every figure reported, and the success itself, is recomputed
    # from that very vector (the final pass over A), never taken from the iteration's estimates.
    with np.errstate(over="ignore"):
        x_out = np.ldexp(x0 + precond.apply(y), x_shift).astype(dtype, copy=False)
    status, reason = state["status"], state["reason"]
    if np.all(np.isfinite(x_out)):
        backward, residual_norm, verified = _recomputed_figures(
            op, b, np.ldexp(np.asarray(x_out, dtype=np.float64), -x_shift), alpha, norm_b, rtol, atol, dtype
        )
        if status == 0 and not verified:
            status, reason = 1, (
                f"the iteration's estimate met the tolerance, but the backward error recomputed from x is "
                f"{backward:.2e} > rtol={rtol:g}"
            )
    else:
        # x ~ max|b| / max|A| beyond float64's range (A of order 1e-300, b of 1e300): end_run gives status 3
        backward = residual_norm = math.nan
        status, reason = 1, "the solution is beyond float64's range"
    outcome = "converged" if status == 0 else "not converged"
    result = Result(
        x=x_out,
        n_iter=state["n_iter"],
        backward_error=backward,
        backward_error_history=np.array(history["backward"]),
        residual_history=np.ldexp(history["residual"], -b_exponent),
        residual_norm=float(np.ldexp(residual_norm, -b_exponent)),
        sketch_size=SA.shape[0],
        rank=precond.rank,
        warm_start=warm_start,
    )
    return end_run(result, caller="sketch_lstsq", status=status,
                   message=f"{outcome}: {reason} after {state['n_iter']} iterations")


def _recomputed_figures(op, b, x, alpha, norm_b, rtol, atol, dtype):
    """Backward error, ``||b - A x||`` and whether a stopping test holds, recomputed exactly from ``x``.

    ``x`` is the returned answer (rounded to ``dtype``) in the units of the
    rescaled problem. With ``rtol = 0`` a run still ends at exact termination of
    the bidiagonalization, so the backward-error test allows ``_EXACT_FLOOR``
    machine epsilons of ``dtype``.
    """
    n = op.shape[1]
    t, z, t_squared = op.fused(x, b, 1.0)
    normal = float(np.linalg.norm(z + alpha * x))
    norm_A = math.sqrt(op.frobenius_squared + n * alpha)
    residual = math.sqrt(t_squared + alpha * float(x @ x))
    backward = normal / (norm_A * residual) if norm_A * residual > 0 else 0.0
    verified = (
        backward <= max(rtol, _EXACT_FLOOR * float(np.finfo(dtype).eps))
        or normal <= atol
        or residual <= rtol * (norm_A * float(np.linalg.norm(x)) + norm_b)
    )
    return backward, math.sqrt(t_squared), verified


def _prepare_in_memory(A, b, *, sketch, oversampling, alpha, random_state, sketch_options):
    """Validate NumPy / SciPy input, sketch ``A`` and ``b`` with one operator; see :func:`sketch_lstsq`.

    Returns the operator, ``b``, ``||b||``, ``S A``, ``S b``, the exponents
    ``(A_exponent, b_exponent)`` of the powers of two by which ``A`` and ``b``
    were multiplied (0 unless their squares would underflow or overflow) and
    the dtype of the answer.
    """
    A, kind = check_host_input(A, "A", caller="sketch_lstsq")
    m, n = A.shape
    check_shape_for_lstsq(m, n, alpha)
    b = check_vector(b, "b", size=m)
    dtype = np.result_type(A.dtype, b.dtype)
    A_exponent, b_exponent = unit_exponent(A, margin=4), unit_exponent(b, margin=4)
    if A_exponent:
        A = times_power_of_two(A, A_exponent, dtype=np.float64)
    b = times_power_of_two(b, b_exponent, dtype=np.float64) if b_exponent else np.asarray(b, dtype=np.float64)
    nnz = A.nnz if kind != "dense" else m * n
    d = default_sketch_size(m, n, default_oversampling(m, n, nnz) if oversampling is None else oversampling)
    S = SKETCH_METHODS.dispatch(sketch, A, d, backend="numpy", random_state=random_state, **sketch_options)
    SA = S.apply_validated(A, kind, np, dense_output=True)
    return (make_operator(A, kind), b, float(np.linalg.norm(b)), SA, S.apply_validated(b, "dense", np),
            (A_exponent, b_exponent), dtype)
