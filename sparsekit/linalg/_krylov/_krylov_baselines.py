"""SciPy's restarted GMRES and GCROT(m, k) as ``solve_sequence`` methods: the baselines of recycling."""

from numbers import Integral, Real

import numpy as np
from scipy.sparse.linalg import LinearOperator, aslinearoperator, gcrotmk, gmres

from ..._core.params import Interval, Options
from ..._core.result import STATUS_NON_FINITE, Result, end_run
from .._scaling import SystemScale
from .._sequence import SEQUENCE_METHODS, run_systems
from ._operators import preconditioners

__all__ = []

_MESSAGES = {
    0: "converged: the residual norm met the tolerance",
    1: "the tolerance was not met within maxiter",
    -1: "breakdown or illegal input reported by SciPy",
}

# SciPy's info = 0 is trusted only with a finite solution and residual.
_FINITE = ("x", "residual_norm")

_TOLERANCES = {
    "rtol": [Interval(Real, 0, None, closed="left")],
    "atol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "progress": ["boolean"],
}


class _CountingOperator(LinearOperator):
    """``A`` as a LinearOperator that counts its products (one per column of a block)."""

    def __init__(self, A):
        self._inner = aslinearoperator(A)
        self.count = 0
        super().__init__(dtype=self._inner.dtype, shape=self._inner.shape)

    def _matvec(self, x):
        self.count += 1
        return self._inner.matvec(x)

    def _matmat(self, X):
        self.count += X.shape[1]
        return self._inner.matmat(X)


def _result(solver, A, b, x, info, n_iter, n_matvec, scale, dtype, tol):
    """The per-system result of a SciPy solve (``info`` > 0: not converged, < 0: breakdown) of the system
    ``A x = b`` rescaled by ``scale``, in the caller's units and precision ``dtype``.

    The residual is accumulated in double precision: a single-precision
    ``info = 0`` whose residual misses ``tol`` there is not a success.
    """
    status = 0 if info == 0 else (1 if info > 0 else -1)
    wide = np.result_type(x.dtype, np.float64)
    residual = float(np.linalg.norm(b.astype(wide) - aslinearoperator(A).matvec(x.astype(wide))))
    message = _MESSAGES[status]
    if status == 0 and residual > tol:
        status, message = 1, f"{_MESSAGES[1]} (met in {x.dtype}, not by the residual accumulated in float64)"
    x = scale.solution(x).astype(dtype, copy=False)
    result = Result(x=x, n_iter=n_iter, n_matvec=n_matvec, residual_norm=scale.residual(residual))
    return end_run(result, caller=solver, status=status, message=message, check=_FINITE)


def _system_scale(A, b, M, dtype):
    """The powers of two scaling the system; with a preconditioner, whose size relative to A is unknown
    (a factory's ILU is a LinearOperator), only ``b`` is scaled."""
    scale = SystemScale.of_system(A, b, dtype)
    return scale if M is None else scale._replace(a=0)


@SEQUENCE_METHODS.register(
    "gmres",
    constraints={
        **_TOLERANCES,
        "restart": [Interval(Integral, 1, None, closed="left"), None],
        "maxiter": [Interval(Integral, 1, None, closed="left"), None],
    },
    per_item_options=("x0",),
)
def _gmres_sequence(
    systems, *, x0=None, rtol=1e-5, atol=0.0, restart=None, maxiter=None, M=None, callback=None, verbose=0,
    progress=False,
):  # fmt: skip
    """SciPy's restarted GMRES on each system, from scratch (the baseline without recycling).

    Options are those of :func:`scipy.sparse.linalg.gmres` (``maxiter``
    counts restart cycles), ``M`` as for ``"gcrodr"``, ``x0`` one initial
    guess per system, ``callback(result)`` after each system as for
    ``"gcrodr"``. ``n_iter`` counts inner iterations.
    """
    preconditioner = preconditioners(M)

    def solve_one(j, A, b, guess):
        inner = [0]

        def count(_residual):
            inner[0] += 1

        M_j = preconditioner(A, systems.original_index(j))
        # Far from 1, GMRES's norms overflow or its tolerance underflows: solved scaled by powers of two (exact).
        scale = _system_scale(A, b, M_j, np.result_type(A.dtype, b.dtype, np.float32))
        A, b = scale.matrix(A), scale.rhs(b)
        op = _CountingOperator(A)
        x, info = gmres(op, b, None if guess is None else scale.to_scaled_solution(guess), rtol=rtol,
                        atol=scale.atol(atol), restart=restart, maxiter=maxiter, M=M_j, callback=count,
                        callback_type="pr_norm")  # fmt: skip
        tol = max(rtol * np.linalg.norm(b), scale.atol(atol))
        return _result("gmres", A, b, x, info, inner[0], op.count, scale, x.dtype, tol)

    return run_systems(systems, solve_one, x0=x0, callback=callback, verbose=verbose, progress=progress)


@SEQUENCE_METHODS.register(
    "gcrotmk",
    constraints={
        **_TOLERANCES,
        "m": [Interval(Integral, 1, None, closed="left")],
        "k": [Interval(Integral, 1, None, closed="left"), None],
        "maxiter": [Interval(Integral, 1, None, closed="left")],
        "truncate": [Options({"oldest", "smallest"})],
    },
    per_item_options=("x0",),
)
def _gcrotmk_sequence(
    systems, *, x0=None, rtol=1e-5, atol=0.0, m=20, k=None, maxiter=1000, M=None, truncate="oldest",
    callback=None, verbose=0, progress=False,
):  # fmt: skip
    """SciPy's GCROT(m, k), its recycled ``(c, u)`` pairs carried from each system to the next.

    Options are those of :func:`scipy.sparse.linalg.gcrotmk` (``maxiter``
    counts outer iterations, which ``n_iter`` reports), ``M`` as for
    ``"gcrodr"``, ``x0`` one initial guess per system, ``callback(result)``
    after each system as for ``"gcrodr"``. The ``CU`` list is
    passed from system to system; ``c = A u`` is recomputed
    (``discard_C=True``) whenever the matrix or the preconditioner changes.
    The result also holds the final ``CU``. Single-precision systems are
    solved in double precision (SciPy's GCROT breaks down in single) and the
    solutions returned in the systems' precision.
    """
    preconditioner = preconditioners(M)
    state = {"CU": [], "A": None, "M": None}

    def solve_one(j, A, b, guess):
        outer = [0]

        def count(_x):
            outer[0] += 1

        M_j = preconditioner(A, systems.original_index(j))
        discard = A is not state["A"] or M_j is not state["M"]
        state["A"], state["M"] = A, M_j
        # SciPy's GCROT breaks down in single precision (NaN from its QR of the carried vectors): work in double.
        double = np.result_type(b.dtype, np.float64)
        # The scale of A depends on A alone: pairs carried for the same A stay c = 2^a A u.
        scale = _system_scale(A, b, M_j, double)
        dtype = np.result_type(A.dtype, b.dtype)
        A, b = scale.matrix(A), scale.rhs(b)
        op = _CountingOperator(A)
        start = None if guess is None else scale.to_scaled_solution(guess.astype(double))
        x, info = gcrotmk(op, b.astype(double), start, rtol=rtol, atol=scale.atol(atol), maxiter=maxiter, M=M_j,
                          callback=count, m=m, k=k, CU=state["CU"], discard_C=discard, truncate=truncate)  # fmt: skip
        tol = max(rtol * np.linalg.norm(b), scale.atol(atol))
        result = _result("gcrotmk", A, b, x.astype(dtype, copy=False), info, outer[0], op.count, scale, dtype, tol)
        if result.status == STATUS_NON_FINITE:
            state["CU"].clear()  # pairs carrying NaN would break every later system
        return result

    result = run_systems(systems, solve_one, x0=x0, callback=callback, verbose=verbose, progress=progress)
    result["CU"] = state["CU"]
    return result
