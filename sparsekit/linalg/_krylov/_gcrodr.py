"""GCRO-DR: restarted GMRES with deflated restarting and a subspace recycled across systems."""

from numbers import Integral, Real

import numpy as np
import scipy.linalg

from ..._core.params import Interval, Options, validate_params
from ..._core.progress import IterationMonitor
from ..._core.result import STATUS_CONVERGED, STATUS_STOPPED, Result, end_run
from ..._core.scaling import times_power_of_two
from ..._core.threads import small_blocks
from ..._core.validation import check_callable, check_vector
from .._scaling import attainable_rtol
from ._gcrodr_kernels import (
    CYCLE_BREAKDOWN,
    CYCLE_NONFINITE,
    CYCLE_OK,
    PC_NONE,
    arnoldi_cycle_csr,
    arnoldi_step,
    back_substitute,
    deflation_coefficients,
    finish_cycle,
    harmonic_pencil,
    orthonormal_image,
    start_cycle,
)
from ._operators import (
    _apply,
    _check_operator,
    _check_preconditioner,
    _Operator,
    _origin,
    _same_origin,
    scaled_operators,
)
from ._recycle import (
    RecycleSpace,
    _harmonic_ritz_basis,
    _most_important,
    _orthonormalize_rows,
    _recycling_record,
    _svqb,
    _use_space,
)

__all__ = ["RecycleSpace", "gcrodr"]

# A second Gram-Schmidt pass is made when a pass cancels more than 90% of the norm: the loss of
# orthogonality of one classical pass grows with that cancellation. The usual 1/sqrt(2) threshold
# doubled the cost of almost every step on the Helmholtz benchmark, where with 0.1 the second pass
# was never needed and C_k stayed orthonormal to 1e-14.
_REORTH = 0.1


# --------------------------------------------------------------------------- solver
# Largest magnitude given to the single-precision Schur decomposition (float32 overflows at 3.4e38).
_SINGLE_PRECISION_RANGE = 1e30


class _GCRODR:
    """Work arrays and the three steps of GCRO-DR for one system.

    ``W`` holds ``[C_k; V]`` as rows (``C_k`` first, then the Arnoldi
    vectors), so that ``[C_k V]`` of the refresh is one contiguous block;
    ``U`` holds ``U_k`` as rows and ``CU = C_k^H U_k`` is kept up to date from
    small matrices. The arrays of a cycle are allocated once per solve.
    """

    def __init__(self, op, n, m, k, target, dtype):
        self.op = op
        self.m = m
        self.k = k
        self.target = target
        self.dtype = dtype
        self.real = not np.issubdtype(dtype, np.complexfloating)
        self.eps = float(np.finfo(dtype).eps)
        self.rank_tol = 100 * self.eps * (m + 1)
        self.W = np.zeros((m + 1, n), dtype=dtype)
        # U_k lives in one of two buffers; a refresh writes the new U_k into the other, and uses the
        # freed one for the new C_k before it is copied into W: m + 2k + 1 vectors at the peak.
        self.U_buffers = (np.zeros((k, n), dtype=dtype), np.zeros((k, n), dtype=dtype))
        self.U = self.U_buffers[0][:0]
        self.CU = np.zeros((0, 0), dtype=dtype)
        # One cycle runs at most m steps (m - k_eff, with k_eff = 0 on a first cycle).
        self.H = np.zeros((m + 1, m), dtype=dtype)
        self.R = np.zeros((m + 1, m), dtype=dtype)
        self.B = np.zeros((max(k, 1), m), dtype=dtype)
        self.cs = np.zeros(m)
        self.sn = np.zeros(m, dtype=dtype)
        self.g = np.zeros(m + 1, dtype=dtype)
        self.y = np.zeros(m, dtype=dtype)
        self.c0 = np.zeros(max(k, 1), dtype=dtype)
        self.estimates = np.zeros(m)
        self.steps = 0
        # The Schur vectors of the deflation only have to span the wanted space approximately: U and C
        # are formed from them in working precision, so op U = C holds whatever they are. For the
        # largest eigenvalues of R_G^{-1} M (target "smallest"), which single precision resolves to
        # about 1e-7 relative, the Schur decomposition is taken in single precision: a third faster,
        # and the products were unchanged on the Helmholtz and Darcy sequences.
        single = np.complex64 if np.iscomplexobj(self.W) else np.float32
        self.schur_dtype = single if target == "smallest" else dtype
        self.lapack_schur = scipy.linalg.get_lapack_funcs(("gees", "trsen"), (np.zeros(1, self.schur_dtype),))
        self.lapack_working = scipy.linalg.get_lapack_funcs(("gees", "trsen"), (self.W,))
        (self.gemm,) = scipy.linalg.get_blas_funcs(("gemm",), (self.W,))

    @property
    def k_eff(self):
        """Dimension of the current recycle space."""
        return self.U.shape[0]

    @property
    def C(self):
        """``C_k`` as rows (a view of ``W``)."""
        return self.W[: self.k_eff]

    def _set_space(self, U, C, CU=None):
        """Make ``(U, C)`` (rows) the recycle space; ``U`` is copied into a buffer unless it is one's view."""
        p = U.shape[0]
        if not any(np.shares_memory(U, buffer) for buffer in self.U_buffers):
            self.U_buffers[0][:p] = U
            U = self.U_buffers[0][:p]
        self.U = U
        self.W[:p] = C
        self.CU = C.conj() @ U.T if CU is None else CU

    # ---- recycle space carried in from a previous system
    def adopt(self, space, same_operator):
        """Make ``space`` a recycle space of this operator.

        With the same operator objects as when ``space`` was made, one product
        checks that ``op(U) = C`` still holds and ``C`` is kept; otherwise
        ``op(U)`` is computed (one block product) and orthonormalised. An
        ``op(U)`` with NaN or infinity is not adopted: the first cycle meets
        the same operator and reports it (status -2).
        """
        U, C = _most_important(space, self.k, self.target)
        U = np.asarray(U, dtype=self.dtype)
        if same_operator and C is not None:
            C = np.asarray(C, dtype=self.dtype)
            z = np.random.default_rng(0).standard_normal(U.shape[0]).astype(self.dtype)
            mismatch = np.linalg.norm(self.op(z @ U) - z @ C)
            if mismatch <= np.sqrt(self.eps) * np.linalg.norm(z):
                self._set_space(np.array(U), C)
                return
        image = self.op.apply_rows(U)
        if not np.isfinite(image).all():
            return
        T, C = _orthonormalize_rows(image, self.rank_tol)
        self._set_space(T.T @ U, C)

    def project(self, x, rhat):
        """Remove ``range(C)`` from the residual: ``x += U C^H rhat``, ``rhat -= C C^H rhat``."""
        if not self.k_eff:
            return x, rhat
        c = self.C.conj() @ rhat
        return x + self.op.to_solution(c @ self.U), rhat - c @ self.C

    # ---- one restart cycle
    def cycle(self, x, rhat, s_max, target_residual, history):
        """Run up to ``s_max`` projected Arnoldi steps from ``rhat``; update ``x`` and ``rhat``.

        ``rhat`` is overwritten. Returns ``(x, rhat, steps, code)`` with
        ``code`` one of ``CYCLE_OK``, ``CYCLE_BREAKDOWN`` (the Krylov space
        became invariant) and ``CYCLE_NONFINITE``.
        """
        k_eff, C, U = self.k_eff, self.C, self.U
        V = self.W[k_eff : k_eff + s_max + 1]
        H, B, R, cs, sn, g, c0 = self.H, self.B, self.R, self.cs, self.sn, self.g, self.c0
        beta = start_cycle(C, k_eff, rhat, V, c0)
        if beta == 0.0:  # the residual lay in range(C): U c0 removes it, and no Krylov space is left
            return x + self.op.to_solution(c0[:k_eff] @ U), rhat, 0, CYCLE_BREAKDOWN
        g[0] = beta
        if self.op.csr is not None:
            indptr, indices, data, diag, mode = self.op.csr
            steps, code = arnoldi_cycle_csr(
                indptr, indices, data, diag, mode, C, k_eff, V, s_max,
                H, B, R, cs, sn, g, _REORTH, target_residual, self.eps, self.estimates,
            )  # fmt: skip
            applied = steps + (code == CYCLE_NONFINITE)
            self.op.n_matvec += applied
            self.op.n_precond += applied * (mode != PC_NONE)
            history.extend(self.estimates[:steps].tolist())
        else:
            steps, code = self._python_cycle(C, V, s_max, target_residual, history)
        self.steps = steps if code != CYCLE_NONFINITE else 0
        if not self.steps:
            return x, rhat, steps, code
        s, y = steps, self.y
        if not back_substitute(R, g, s, y, self.eps):
            # A (numerically) singular rotated triangle: the least-squares solution of the Hessenberg system.
            rhs = np.zeros(s + 1, dtype=self.dtype)
            rhs[0] = beta
            y[:s] = np.linalg.lstsq(H[: s + 1, :s], rhs, rcond=None)[0]
        correction = np.empty_like(rhat)
        finish_cycle(U, k_eff, V, s, H, B, c0, y, beta, correction, rhat)
        return x + self.op.to_solution(correction), rhat, s, code

    def _python_cycle(self, C, V, s_max, target_residual, history):
        """The loop of ``arnoldi_cycle_csr`` for any operator, calling back into Python for each product."""
        H, B, R, cs, sn, g = self.H, self.B, self.R, self.cs, self.sn, self.g
        for j in range(s_max):
            w = self.op(V[j])
            h_next, w_norm, estimate = arnoldi_step(C, C.shape[0], V, j, w, H, B, R, cs, sn, g, _REORTH)
            if not (np.isfinite(h_next) and np.isfinite(w_norm)):
                return j, CYCLE_NONFINITE
            history.append(estimate)
            if h_next <= self.eps * w_norm:
                return j + 1, CYCLE_BREAKDOWN
            if estimate <= target_residual:
                return j + 1, CYCLE_OK
        return s_max, CYCLE_OK

    # ---- deflation: new recycle space from the last cycle
    def refresh(self):
        """Replace ``(U, C)`` by ``k`` harmonic Ritz vectors of the space the last cycle spanned.

        With ``U~ = U D`` (unit columns), ``op [U~ V] = [C V_+] G = [C V_+] Q_G
        R_G`` (:func:`~._gcrodr_kernels.harmonic_pencil`). For the chosen
        directions ``P``, ``R_G P T = Q`` orthonormal, and the new
        ``U = [U~ V] P T`` and ``C = [C V_+] Q_G Q`` satisfy ``op U = C``
        with orthonormal ``C``; ``C^H U = Q^H M P T``.
        """
        s, k_eff = self.steps, self.k_eff
        dim = k_eff + s
        U = self.U
        WV = self.W[: dim + 1]  # [C, V_+] as rows
        V = WV[k_eff:]
        VhU = (V if self.real else V.conj()) @ U.T
        RG, M, RG_inv_M, scale, solved = harmonic_pencil(self.R, self.cs, self.sn, s, self.B, U, k_eff, self.CU, VhU)
        if dim <= self.k:
            P = np.eye(dim, dtype=self.dtype)
        else:
            standard, lapack = (RG_inv_M, self.lapack_working) if solved else (None, None)
            # In single precision unless its range would be exceeded (R_G nearly singular).
            if solved and self.schur_dtype != self.dtype and np.abs(RG_inv_M).max() < _SINGLE_PRECISION_RANGE:
                standard, lapack = RG_inv_M.astype(self.schur_dtype), self.lapack_schur
            P = _harmonic_ritz_basis(RG, M, self.k, self.target, self.real, standard, lapack)
            if not P.shape[1]:  # no finite harmonic Ritz value: keep nothing rather than noise
                self._set_space(U[:0], self.C[:0])
                return
        # Nearly parallel directions make R_G P ill-conditioned, and U = V P T would then carry that
        # conditioning into A U = C: beyond 1e6, SVQB drops the redundant directions.
        Q, PT, well_conditioned = orthonormal_image(RG, P, np.sqrt(self.rank_tol))
        if not well_conditioned:
            RP = RG @ P
            T = _svqb(RP.conj().T @ RP, self.rank_tol)
            Q, PT = RP @ T, P @ T
        if not PT.shape[1]:  # every direction dropped (e.g. R_G P underflowed): keep nothing
            self._set_space(U[:0], self.C[:0])
            return
        C_coefficients, CU = deflation_coefficients(Q, PT, M, self.cs, self.sn, s, k_eff)
        # In the Fortran view of the row buffers: U_new^T = U^T (D P T)_top + V^T (P T)_bottom into the
        # free buffer, then C_new^T = [C V_+]^T (Q_G Q) into the buffer U leaves.
        p = PT.shape[1]
        free, old = self.U_buffers if np.shares_memory(U, self.U_buffers[1]) else self.U_buffers[::-1]
        U_new = self._gemm_rows(free[:p], V[:s], PT[k_eff:])
        if k_eff:
            self._gemm_rows(U_new, U, PT[:k_eff] * scale[:, None], accumulate=True)
        self._set_space(U_new, self._gemm_rows(old[:p], WV, C_coefficients), CU)

    def _gemm_rows(self, out, X, coefficients, accumulate=False):
        """``out = coefficients^T X`` (``+=`` with ``accumulate``) for row blocks, by BLAS in place.

        The row blocks are Fortran-ordered transposes, so BLAS writes ``out``
        directly; should it ever return a copy instead, the copy is moved in.
        """
        result = self.gemm(1.0, X.T, coefficients, beta=float(accumulate), c=out.T, overwrite_c=1)
        if not np.shares_memory(result, out):
            out[...] = result.T
        return out


_MESSAGES = {
    0: "converged: the residual norm met the tolerance",
    1: "maximum number of iterations reached",
    2: "stopped by the callback",
    -1: "breakdown: the Krylov space became invariant before the residual met the tolerance "
    "(A, or A with M, is singular, or the tolerance is below rounding level)",
    -2: "breakdown: A @ v or M @ v produced NaN or infinity",
}


_CONSTRAINTS = {
    # An infinite tolerance is met at once (SciPy's rule).
    "rtol": [Interval(Real, 0, np.inf, closed="both")],
    "atol": [Interval(Real, 0, np.inf, closed="both")],
    "maxiter": [Interval(Integral, 0, None, closed="left"), None],
    "m": [Interval(Integral, 1, None, closed="left")],
    "k": [Interval(Integral, 0, None, closed="left")],
    "pc_side": [Options({"left", "right"})],
    "target": [Options({"smallest", "largest"})],
    "verbose": ["verbose"],
    "progress": ["boolean"],
}


@validate_params(_CONSTRAINTS)
@small_blocks
def gcrodr(
    A,
    b,
    x0=None,
    *,
    rtol=1e-5,
    atol=0.0,
    maxiter=None,
    M=None,
    callback=None,
    m=40,
    k=20,
    recycle=None,
    pc_side="right",
    target="smallest",
    verbose=0,
    progress=False,
):
    """Solve ``A x = b`` by GCRO-DR, recycling a subspace from previous solves.

    GCRO-DR(m, k) is restarted GMRES whose restarts keep ``k`` harmonic Ritz
    vectors (deflated restarting, like GMRES-DR), and whose kept subspace can
    be passed to the next solve of a related system (Krylov subspace
    recycling). On a sequence of similar systems it needs far fewer
    matrix-vector products than GMRES(m) solving each one from scratch.

    Parameters
    ----------
    A : ndarray, sparse array or LinearOperator of shape (n, n)
        The matrix, real or complex.
    b : array-like of shape (n,)
        Right-hand side.
    x0 : array-like of shape (n,) or "Mb", optional
        Initial guess (zero by default); ``"Mb"`` starts from ``M @ b``
        (``b`` without ``M``), as SciPy's solvers. With ``b = 0`` the answer
        ``x = 0`` is returned at once, whatever ``x0``.
    rtol, atol : float, default=(1e-5, 0.0)
        Stop when ``norm(b - A @ x) <= max(rtol * norm(b), atol)``; an
        infinite tolerance is met at once.
        In single precision, ``rtol`` is raised to at least ``10 * eps``
        (float32: 1.19e-6; float64: 2.2e-15) and success is confirmed on the
        residual accumulated in double precision.
    maxiter : int, optional
        Maximum number of Arnoldi iterations over all cycles (the products
        with ``A`` that build Krylov vectors); default ``10 * n``.
    M : ndarray, sparse array or LinearOperator, optional
        Preconditioner approximating the inverse of ``A`` (SciPy's
        convention), applied on the side ``pc_side`` says.
    callback : callable, optional
        Called as ``callback(xk)`` after each restart cycle with the current
        iterate (one positional argument, SciPy's rule); returning ``True``
        or raising ``StopIteration`` stops the solver: status 2, no warning,
        unless that cycle met the tolerance (status 0).
    m : int, default=40
        Largest dimension of the search space per cycle: ``k`` recycled
        vectors plus ``m - k`` Arnoldi vectors (the first cycle of a solve
        without a recycle space is GMRES(m)).
    k : int, default=20
        Dimension of the recycled subspace; ``0 <= k < m``. ``k = 0`` is
        restarted GMRES(m).
    recycle : RecycleSpace, optional
        The ``recycle`` field of an earlier result, possibly for another
        matrix of the same order.
    pc_side : {"right", "left"}, default="right"
        Right preconditioning iterates with ``A M`` and minimises the true
        residual; left preconditioning iterates with ``M A`` and minimises
        ``M (b - A x)``.
    target : {"smallest", "largest"}, default="smallest"
        Which harmonic Ritz values (by magnitude) the recycled vectors belong
        to; small ones are what slow restarted GMRES down.
    verbose : bool or int, default=0
        Log progress through the ``sparsekit`` logger, once per cycle.
    progress : bool, default=False
        Show a progress bar (tqdm) counting restart cycles.

    Returns
    -------
    Result
        With fields

        - ``x`` : the solution, in the working dtype;
        - ``converged``, ``status`` (0 converged, 1 maximum iterations,
          2 stopped by the callback, -1 invariant Krylov space with a nonzero
          residual, e.g. a singular ``A`` or ``M``, -2 NaN or infinity from
          ``A`` or ``M``, 3 NaN or infinity in ``x``; never 0 for a
          non-finite ``x``) and ``message``;
        - ``n_iter`` : Arnoldi iterations; ``n_matvec`` : all products with
          ``A`` (iterations, the recycled space's refresh, residuals);
          ``n_precond`` : products with ``M``; ``n_cycles`` : restart cycles;
        - ``residuals`` : residual norm after each iteration (the first entry
          before any; left preconditioning: of ``M (b - A x)``), as estimated
          by the least-squares problem;
        - ``residual_norm`` : ``norm(b - A @ x)`` computed at exit;
        - ``recycle`` : the :class:`RecycleSpace` to pass to the next solve
          (None when ``k = 0``).

    Raises
    ------
    ValueError
        Shapes that do not match, NaN or infinity in ``A``, ``b``, ``x0`` or
        ``M``, ``k >= m``, a recycle space of another order, or a singular
        preconditioner (a zero on the diagonal of a diagonal ``M``, or
        ``M @ v`` zero or not finite).
    TypeError
        ``A`` or ``M`` of an unsupported type, a non-callable ``callback``.

    Warns
    -----
    ConvergenceWarning
        When the tolerance is not met (status other than 0 and 2), once, at
        the caller's line.

    See Also
    --------
    solve_sequence : Sort a sequence of systems and solve it with recycling.
    scipy.sparse.linalg.gcrotmk : GCROT(m, k), which keeps outer correction
        vectors instead of harmonic Ritz vectors.

    Notes
    -----
    A matrix (dense or sparse) or right-hand side whose entries are far
    from 1 (beyond ``2^±341`` in float64, ``2^±42`` in float32) is solved
    scaled by powers of two, which is exact: GCRO-DR is scale-invariant, and
    ``x``, the residuals and the recycle space are returned in the caller's
    units. A LinearOperator's scale is not known; only ``b`` is rescaled.

    The algorithm is that of Parks et al. [1]_ with the recycle space kept
    between systems as in SKR [2]_. It keeps ``U_k`` and ``C_k = op(U_k)``
    with ``C_k^H C_k = I`` (``op`` is ``A``, ``A M`` or ``M A``).

    1. With a recycle space, ``x += U_k C_k^H r`` and ``r -= C_k C_k^H r``
       (the initial guess is improved by the projection on ``range(C_k)``).
       If ``op`` changed since ``C_k`` was computed, ``op(U_k)`` is first
       re-orthonormalised (``k`` products): ``op(U_k) T = C_k``,
       ``U_k <- U_k T``. Whether ``op`` changed is decided by one product,
       ``op(U_k z)`` against ``C_k z`` for a fixed ``z``. A space with more
       than ``k`` vectors gives up its least wanted harmonic Ritz directions
       first (see :class:`RecycleSpace`).
    2. Each cycle runs ``m - k`` Arnoldi steps with ``(I - C_k C_k^H) op``:
       ``(I - C C^H) op V = V_+ H``, ``B = C^H op V``. With
       ``U~ = U_k D`` (unit columns), ``op [U~ V] = [C V_+] G``,
       ``G = [[D, B], [0, H]]``, and the minimal-residual correction is
       ``y_2 = argmin ||beta e_1 - H y_2||`` (Givens rotations, whose running
       residual is the stopping test) and ``y_1 = C^H r - B y_2``.
    3. The new recycle space holds the ``k`` harmonic Ritz vectors of
       ``op`` on ``range([U~ V])``: ``G^H G z = theta G^H [C V_+]^H [U~ V] z``
       (smallest ``|theta|``). The Givens rotations ``Omega`` of the cycle
       already factor ``G = Q_G R_G`` (``R_G`` triangular), so the problem
       is ``R_G z = theta M z`` with ``M = Q_G^H [C V_+]^H [U~ V]``, without
       normal equations, and is solved as the standard eigenproblem of
       ``R_G^{-1} M`` (eigenvalues ``1 / theta``, the wanted ones the largest
       and the most accurate). Instead of eigenvectors, the Schur vectors
       ``P`` of the chosen eigenvalues (a reordered real Schur form) span the
       space: orthonormal, cheaper, and the same span. With ``R_G P T``
       orthonormal, ``C_k = [C V_+] Q_G R_G P T`` and ``U_k = [U~ V] P T``.
       The first cycle without a recycle space is GMRES(m), and this is then
       Morgan's harmonic Ritz extraction (GMRES-DR).

    Recycling protects itself: a space passed from solve to solve records
    the products of the latest solve made without a recycled space (the
    reference). A solve that started from the recycled space and needed at
    least as many products (its ``k`` products to recompute ``C_k`` for a
    changed operator included) did not pay, and the solves after it start
    without the space (it is still refreshed within each solve and passed
    on) until one needs more than 1.5 times the reference: a harder system
    is where recycling can pay again, and the next solve tries it. Measured
    at ``m = 40, k = 20``, rtol ``1e-8`` (``n = 1600``, 10 systems), in
    products per system recycled / fresh: a shifted Helmholtz operator with
    random right-hand sides 228.7 / 216 before, 219.1 after; AMG-
    preconditioned anisotropic diffusion over the angle 40.9 / 23.3 before,
    25.3 after (SciPy's gcrotmk 28.0); a wavenumber sweep, where recycling
    pays, 189.7 before and 168.2 after against 224 fresh. SKR's benchmark
    and the other sequences were unchanged.

    The residual is updated by the short recurrence of the least-squares
    problem; when its norm meets the tolerance, ``b - A x`` is computed and
    decides (one product). With left preconditioning the true residual is
    computed after every cycle and the inner tolerance is scaled by the
    ratio of the preconditioned to the true residual norm.

    Choices measured on SKR's Helmholtz benchmark (50 sorted systems,
    ``n = 2500``, rtol ``1e-8``, 157 products per system with the defaults;
    see the user guide):

    - The space is refreshed after every cycle: refreshing every second or
      third cycle, or only at the end of each solve (the first system still
      deflating at every cycle), took 198, 183 and 305 products per system.
      The deflated restarts within a solve are where most of the gain over
      GMRES(m) comes from.
    - It is not refreshed after the cycle that meets the tolerance (once it
      holds ``k`` vectors): that cycle is cut short, and the products were
      unchanged (within one per system at ``n = 2500`` and ``10^4``) while
      one deflation per system is saved.
    - ``m = 40, k = 20`` (SKR's setting) stores ``m + k + 1 = 61`` vectors,
      as many as SciPy's ``gcrotmk(m=20, k=20)``; ``m + 2k + 1`` at the peak
      of a refresh. Larger ``m`` and ``k`` need fewer products (147 for
      ``(60, 24)``, 140 for ``(80, 40)``) at more memory and more work per
      iteration.

    A cycle costs, besides its ``m - k`` products, classical Gram-Schmidt
    against ``C_k`` and ``V`` (repeated once when a pass cancels more than
    90% of the norm) in a numba kernel, and the refresh three products of a
    ``k``-row block with the ``(m + 1)``-row basis (BLAS) and an
    ``m x m`` Schur decomposition (LAPACK); the small dense steps around
    them are compiled. Real problems stay in real arithmetic: a complex pair
    of harmonic Ritz values is kept whole, as a 2 x 2 block of the real Schur
    form.

    References
    ----------
    .. [1] M. L. Parks, E. de Sturler, G. Mackey, D. D. Johnson, S. Maiti,
       "Recycling Krylov subspaces for sequences of linear systems",
       SIAM J. Sci. Comput. 28(5):1651-1674, 2006.
    .. [2] H. Wang, Z. Hao, J. Wang, Z. Geng, Z. Wang, B. Li, F. Wu,
       "Accelerating Data Generation for Neural Operators via Krylov
       Subspace Recycling", ICLR 2024, arXiv:2401.09516.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.datasets import poisson2d
    >>> from sparsekit.linalg import gcrodr
    >>> A = poisson2d(30)
    >>> rng = np.random.default_rng(0)
    >>> first = gcrodr(A, rng.standard_normal(900), rtol=1e-8, m=30, k=10)
    >>> second = gcrodr(A, rng.standard_normal(900), rtol=1e-8, m=30, k=10, recycle=first.recycle)
    >>> bool(first.converged and second.converged), bool(second.n_matvec < first.n_matvec)
    (True, True)
    """
    return _solve(A, b, x0, rtol=rtol, atol=atol, maxiter=maxiter, M=M, callback=callback, m=m, k=k,
                  recycle=recycle, pc_side=pc_side, target=target, verbose=verbose, progress=progress)  # fmt: skip


def _solve(A, b, x0, *, rtol, atol, maxiter, M, callback, m, k, recycle, pc_side, target, verbose, progress):
    """:func:`gcrodr` after its options were validated (``solve_sequence`` validates them once)."""
    A_given, M_given, recycle_given = A, M, recycle
    A, n = _check_operator(A, "A")
    b = check_vector(b, "b", size=n, dtype="float-or-complex")
    M = _check_preconditioner(M, n)
    if isinstance(x0, str) and x0 == "Mb":
        x0 = b if M is None else np.asarray(_apply(M, b))  # SciPy's "start from M b"
    elif x0 is not None:
        x0 = check_vector(x0, "x0", size=n, dtype="float-or-complex")
    check_callable(callback, "callback")
    _check_dimensions(m, k)
    if recycle is not None:
        if not isinstance(recycle, RecycleSpace):
            raise TypeError(
                f"recycle must be a RecycleSpace (the 'recycle' field of a result); got {type(recycle).__name__}."
            )
        if recycle.n != n:
            raise ValueError(f"recycle belongs to systems of order {recycle.n}, not {n}.")
    dtype = _working_dtype(A, b, x0, M, recycle)
    if not np.any(b):
        # x = 0 solves b = 0 exactly, whatever x0 (GCRO-DR from x0 would meet a singular least-squares problem).
        result = Result(x=np.zeros(n, dtype=dtype), n_iter=0, n_matvec=0, n_precond=0, n_cycles=0,
                        residuals=np.zeros(1), residual_norm=0.0, recycle=recycle if k else None)
        return end_run(result, caller="gcrodr", status=STATUS_CONVERGED, message="converged: b = 0, x = 0")
    m = min(m, n)
    k = min(k, m - 1)
    maxiter = 10 * n if maxiter is None else maxiter
    left = M is not None and pc_side == "left"
    # Far from 1, the Givens rotations overflow and the Gram matrices of the deflation underflow.
    scale, A_scaled, M, u_exponent = scaled_operators(A, b, M, dtype)
    op = _Operator(A_scaled, M, pc_side, dtype)
    solver = _GCRODR(op, n, m, k, target, dtype)

    b = np.asarray(scale.rhs(b), dtype=dtype)
    x = np.zeros(n, dtype=dtype) if x0 is None else np.array(scale.to_scaled_solution(x0), dtype=dtype)
    tol = max(attainable_rtol(rtol, dtype) * np.linalg.norm(b), scale.atol(atol))
    # What the iteration aims at: below tol when a single-precision residual met tol but its float64 one did not.
    target = tol
    wide = np.result_type(dtype, np.float64)

    def meets_tolerance(r_norm):
        """``r_norm <= tol``, confirmed in single precision by the residual accumulated in float64."""
        if r_norm > tol:
            return False
        if wide == dtype:
            return True
        return np.linalg.norm(b.astype(wide) - np.asarray(_apply(op.A, x.astype(wide)), dtype=wide)) <= tol
    callback = scale.callback(callback)
    r, rhat = op.residual(x, b)
    r_norm = np.linalg.norm(r)
    used = bool(k and recycle is not None and r_norm > tol and _use_space(recycle))
    if used:
        if u_exponent:
            recycle = RecycleSpace._from_rows(times_power_of_two(recycle._U_rows, -u_exponent), recycle._C_rows,
                                              recycle._origin, recycle._record)
        solver.adopt(recycle, _same_origin(recycle._origin, A_given, M_given, pc_side))
        x, rhat = solver.project(x, rhat)
    history = [float(np.linalg.norm(rhat))]
    n_iter = n_cycles = 0
    status = None
    residual_fresh = True
    # One update per restart cycle, whose number is not known in advance: no total.
    with IterationMonitor("linalg.gcrodr", verbose=verbose, progress=progress, callback=callback) as monitor:
        while status is None:
            beta = np.linalg.norm(rhat)
            if not np.isfinite(beta):
                status = -2
                break
            # Without left preconditioning rhat is the true residual up to rounding: confirm it when small.
            if (r_norm if left else beta) <= target:
                if not residual_fresh:
                    r, rhat = op.residual(x, b)
                    r_norm, beta = np.linalg.norm(r), np.linalg.norm(rhat)
                    residual_fresh = True
                if meets_tolerance(r_norm):
                    status = 0
                    break
                if r_norm <= target:
                    target *= 0.5
            if n_iter >= maxiter:
                status = 1
                break
            inner_tol = target * beta / max(r_norm, np.finfo(float).tiny) if left else target
            s_max = min(m - solver.k_eff, maxiter - n_iter)
            x, rhat, steps, code = solver.cycle(x, rhat, s_max, inner_tol, history)
            n_iter += steps
            n_cycles += 1
            residual_fresh = False
            if code == CYCLE_NONFINITE:
                status = -2
                break
            # The cycle that meets the tolerance ends the solve: it is cut short, and a refresh from it
            # changed the space handed to the next system too little to pay for itself (measured on the
            # Helmholtz sequences). A space not yet full is always refreshed.
            if k and steps and not (history[-1] <= inner_tol and solver.k_eff == k):
                solver.refresh()
            if left or code == CYCLE_BREAKDOWN:
                r, rhat = op.residual(x, b)
                r_norm = np.linalg.norm(r)
                residual_fresh = True
            if code == CYCLE_BREAKDOWN and not meets_tolerance(r_norm):
                status = -1
                break
            if monitor.update(x, residual=history[-1]):
                status = 2
                break
        if not residual_fresh:
            r, _ = op.residual(x, b)
            r_norm = np.linalg.norm(r)
        if status == STATUS_STOPPED and meets_tolerance(r_norm):
            status = STATUS_CONVERGED  # the callback stopped a solve whose last cycle met the tolerance
        message = _MESSAGES[status]
        if status not in (STATUS_CONVERGED, STATUS_STOPPED):
            message += f" (residual {scale.residual(float(r_norm)):.3g}, tolerance {scale.residual(float(tol)):.3g})"
        monitor.close(message)
    recycle_out = recycle_given if k else None
    if k and solver.k_eff:
        U_rows = times_power_of_two(solver.U, u_exponent) if u_exponent else solver.U
        record = _recycling_record(recycle_given if k else None, used, op.n_matvec)
        recycle_out = RecycleSpace._from_rows(U_rows, solver.C, _origin(A_given, M_given, pc_side), record)
    result = Result(
        x=scale.solution(x),
        n_iter=n_iter,
        n_matvec=op.n_matvec,
        n_precond=op.n_precond,
        n_cycles=n_cycles,
        residuals=scale.residual(np.asarray(history, dtype=float)),
        residual_norm=scale.residual(float(r_norm)),
        recycle=recycle_out,
    )
    # A breakdown (-1, -2) already says what failed; the guard is for the solutions it would accept.
    check = () if status < 0 else ("x", "residual_norm")
    return end_run(result, caller="gcrodr", status=status, message=message, check=check)


def _check_dimensions(m, k):
    if k >= m:
        raise ValueError(f"k must be smaller than m (k recycled vectors plus m - k Arnoldi vectors); got k={k}, m={m}.")


def _working_dtype(A, b, x0, M, recycle):
    """The common float or complex type of all inputs (at least float32)."""
    types = [A.dtype, b.dtype]
    types += [v.dtype for v in (x0, M, recycle) if v is not None]
    return np.result_type(np.float32, *types)
