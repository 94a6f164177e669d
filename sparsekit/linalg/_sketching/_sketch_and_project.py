"""Randomized iterative solvers of the sketch-and-project family (Gower and Richtárik).

Every method iterates ``x ← x − B⁻¹AᵀS (SᵀAB⁻¹AᵀS)⁺ Sᵀ(Ax − b)`` with a fresh
random sketch ``S`` each step:

* ``S = e_i`` (row ``i`` drawn with probability ``||a_i||²/||A||_F²``),
  ``B = I``: randomized Kaczmarz (Strohmer and Vershynin);
* ``S`` = a block of rows of a random partition, ``B = I``: randomized block
  Kaczmarz (Needell and Tropp);
* ``S = e_i`` (drawn with probability ``A_ii / tr(A)``), ``B = A`` for SPD
  ``A``: randomized Gauss–Seidel, i.e. randomized coordinate descent
  (Leventhal and Lewis).
"""

from numbers import Integral, Real

import numpy as np
import scipy.linalg
from scipy import sparse

from ..._core.params import Interval, check_params
from ..._core.progress import IterationMonitor
from ..._core.random import check_random_state
from ..._core.registry import Registry
from ..._core.result import Result, end_run
from ..._core.scaling import times_power_of_two, unit_exponent
from ..._core.validation import check_callable, check_nonzero_diagonal, check_square, check_vector
from ._sketch_and_project_kernels import gauss_seidel_csr, gauss_seidel_dense, kaczmarz_csr, kaczmarz_dense
from ._sketch_input import check_host_input, row_norms_squared

__all__ = ["SKETCH_AND_PROJECT_METHODS", "sketch_and_project"]

SKETCH_AND_PROJECT_METHODS = Registry("sketch_and_project")

#: Default ``rtol`` per precision of the answer, and the floor a float32 ``rtol`` is raised to: rounding x
#: to float32 alone moves the residual by about eps32 ||A|| ||x||.
DEFAULT_RTOL = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-4}
FLOAT32_RTOL_FLOOR = 10 * float(np.finfo(np.float32).eps)


def _run(name, A, b, x, step, sweep, *, rtol, atol, maxiter, check_every, callback, verbose):
    """Alternate ``step(count)`` (``count`` projections on ``x`` in place) with residual checks.

    ``sweep`` is the number of projections in one sweep (rows, blocks or
    unknowns): the default check interval, and a thousandth of the default
    ``maxiter``.
    """
    maxiter = 1000 * sweep if maxiter is None else maxiter
    check_every = check_every or sweep
    b_norm = float(np.linalg.norm(b))
    tolerance = max(rtol * b_norm, atol)
    scale = b_norm if b_norm > 0 else 1.0
    history = [float(np.linalg.norm(b - A @ x)) / scale]
    n_iter, status = 0, 1
    if history[-1] * scale <= tolerance:
        status = 0
    with IterationMonitor(f"linalg.{name}", total=maxiter, verbose=verbose, callback=callback) as monitor:
        while status == 1 and n_iter < maxiter:
            count = min(check_every, maxiter - n_iter)
            step(count)
            n_iter += count
            history.append(float(np.linalg.norm(b - A @ x)) / scale)
            stop = monitor.update(x, residual=history[-1])
            if history[-1] * scale <= tolerance:
                status = 0
            elif stop:
                status = 2
    reasons = {
        0: f"converged: ||b - A x|| <= max(rtol ||b||, atol) after {n_iter} projections",
        1: f"maxiter={maxiter} projections reached with relative residual {history[-1]:.2e}",
        2: f"stopped by the callback after {n_iter} projections",
    }
    # sketch_and_project ends the run (end_run) with this status and message
    return Result(x=x, n_iter=n_iter, residual_history=np.array(history), status=status, message=reasons[status])


def _row_action(name, A, b, x, probabilities, scaling, csr_kernel, dense_kernel, *, random_state,
                **run_options):
    """Single-row projections (Kaczmarz, Gauss–Seidel): rows drawn in NumPy, projected by a numba kernel."""
    rng = check_random_state(random_state)

    def step(count):
        order = rng.choice(probabilities.size, size=count, p=probabilities)
        if sparse.issparse(A):
            csr_kernel(A.indptr, A.indices, A.data, b, scaling, order, x)
        else:
            dense_kernel(A, b, scaling, order, x)

    return _run(name, A, b, x, step, probabilities.size, **run_options)


@SKETCH_AND_PROJECT_METHODS.register("kaczmarz")
def _kaczmarz(A, b, x, *, rtol, atol, maxiter, check_every, random_state, callback, verbose):
    """Randomized Kaczmarz: project onto one equation, drawn with probability ∝ its squared norm."""
    norms = row_norms_squared(A)
    inverse_norms = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return _row_action(
        "kaczmarz", A, b, x, norms / norms.sum(), inverse_norms, kaczmarz_csr, kaczmarz_dense,
        random_state=random_state, rtol=rtol, atol=atol, maxiter=maxiter, check_every=check_every,
        callback=callback, verbose=verbose,
    )


@SKETCH_AND_PROJECT_METHODS.register(
    "block-kaczmarz", constraints={"block_size": [None, Interval(Integral, 1, None, closed="left")]}
)
def _block_kaczmarz(A, b, x, *, block_size=None, rtol, atol, maxiter, check_every, random_state, callback,
                    verbose):
    """Randomized block Kaczmarz: project onto a block of equations of a random row partition."""
    m, n = A.shape
    rng = check_random_state(random_state)
    norms = row_norms_squared(A)
    if block_size is None:
        block_size = min(256, max(1, min(m, n) // 2))
    block_size = min(block_size, m)
    nonzero_rows = rng.permutation(np.flatnonzero(norms > 0))
    blocks = [nonzero_rows[i:i + block_size] for i in range(0, nonzero_rows.size, block_size)]
    weights = np.array([norms[rows].sum() for rows in blocks])
    probabilities = weights / weights.sum()
    # each block's rows A_τ, right-hand side and Gram pseudo-inverse (A_τ A_τᵀ)⁺, extracted once:
    # fancy-indexing A inside the loop would rebuild the block on every projection
    block_rows, block_rhs, gram_pinv = [], [], []
    for rows in blocks:
        # float64 blocks (copies in any case): a float32 Gram pseudo-inverse would stall the projections
        # of a float32 A with condition 1e3 at a residual near 1e-3 (measured)
        block = A[rows].astype(np.float64, copy=False)
        gram = block @ block.T
        gram = gram.toarray() if sparse.issparse(gram) else gram
        block_rows.append(block)
        block_rhs.append(b[rows])
        gram_pinv.append(scipy.linalg.pinvh(gram, check_finite=False))

    def step(count):
        for index in rng.choice(len(blocks), size=count, p=probabilities):
            block = block_rows[index]
            np.add(x, block.T @ (gram_pinv[index] @ (block_rhs[index] - block @ x)), out=x)

    return _run(
        "block-kaczmarz", A, b, x, step, len(blocks), rtol=rtol, atol=atol, maxiter=maxiter,
        check_every=check_every, callback=callback, verbose=verbose,
    )


@SKETCH_AND_PROJECT_METHODS.register("gauss-seidel", aliases=("coordinate-descent",))
def _gauss_seidel(A, b, x, *, rtol, atol, maxiter, check_every, random_state, callback, verbose):
    """Randomized Gauss-Seidel for SPD A: minimize along coordinate i, drawn with probability A_ii/tr(A)."""
    check_square(A, "A")
    diagonal = check_nonzero_diagonal(A, "A")
    if diagonal.min() < 0:
        raise ValueError(f"A must be symmetric positive definite for gauss-seidel; A has a diagonal entry "
                         f"{diagonal.min():g} < 0.")
    difference = abs(A - A.T)
    asymmetry = difference.max() if difference.size else 0.0
    if asymmetry > 1e-12 * abs(A).max():
        raise ValueError(f"A must be symmetric for gauss-seidel; max |A - A.T| = {asymmetry:.3g}.")
    return _row_action(
        "gauss-seidel", A, b, x, diagonal / diagonal.sum(), 1.0 / diagonal,
        gauss_seidel_csr, gauss_seidel_dense,
        random_state=random_state, rtol=rtol, atol=atol, maxiter=maxiter, check_every=check_every,
        callback=callback, verbose=verbose,
    )


def sketch_and_project(
    A,
    b,
    x0=None,
    *,
    method="kaczmarz",
    rtol=None,
    atol=0.0,
    maxiter=None,
    check_every=None,
    random_state=None,
    callback=None,
    verbose=0,
    **options,
):
    """Solve ``A x = b`` with a randomized sketch-and-project method.

    Parameters
    ----------
    A : ndarray or sparse array or matrix (any SciPy format), shape (m, n)
        The matrix (CSC and other sparse formats are converted to CSR once).
        Kaczmarz methods need a consistent system; ``"gauss-seidel"`` needs a
        symmetric positive definite ``A``.
    b : array-like of shape (m,)
        Right-hand side.
    x0 : array-like of shape (n,), optional
        Starting point (zeros by default). It is not modified.
    method : str, default="kaczmarz"
        A name registered in :data:`SKETCH_AND_PROJECT_METHODS`:
        ``"kaczmarz"``, ``"block-kaczmarz"`` (option ``block_size``, default
        ``min(m, n) // 2`` capped at 256) or ``"gauss-seidel"``.
    rtol, atol : float
        Stop when ``||b - A x|| <= max(rtol ||b||, atol)``, checked every
        ``check_every`` projections and once more on the returned ``x``.
        ``rtol`` defaults to 1e-6 when the answer is float64 and to 1e-4
        when it is float32 (``A`` and ``b`` both float32); a float32 ``rtol``
        below ``10 eps32`` (1.2e-6) is raised to it.
    maxiter : int, optional
        Maximum number of projections; by default 1000 sweeps (1000 times
        the number of rows, blocks or unknowns).
    check_every : int, optional
        Projections between residual checks; one sweep by default.
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of the random rows or coordinates.
    callback : callable, optional
        Called as ``callback(xk)`` at every check, with one positional
        argument: the current iterate ``xk`` (shape (n,)). Returning True (or
        raising ``StopIteration``) stops the run: status 2,
        ``converged=False`` and no warning, unless that check met the
        tolerance (status 0).
    verbose : bool or int, default=0
        Log progress through the ``sparsekit`` logger.
    **options
        Options of the method (``block_size``).

    Returns
    -------
    Result
        ``x`` (float32 when ``A`` and ``b`` are float32, float64
        otherwise), ``converged``, ``status`` (0 converged, 1 maxiter, 2 stopped
        by the callback, 3 non-finite result), ``message``, ``n_iter`` (projections) and
        ``residual_history`` (``||b - A x|| / ||b||`` at every check).

    Raises
    ------
    ValueError
        Shapes that do not match, empty input, NaN or infinity, a zero
        matrix, an unknown method, a matrix that is not SPD for
        ``"gauss-seidel"``, invalid options (:class:`InvalidParameterError`
        for NaN, infinite or negative ``rtol``, ``atol``, ``maxiter``, ...), or
        ``x0`` too large for the scale of ``A`` and ``b``.
    TypeError
        Complex, object or string data, CuPy arrays.

    Warns
    -----
    sparsekit.ConvergenceWarning
        If ``maxiter`` is reached first or the result is not finite; issued at
        the caller's line.

    Notes
    -----
    For a consistent system, randomized Kaczmarz converges linearly in
    expectation: ``E||x_k − x*||² <= (1 − σ_min(A)²/||A||_F²)^k ||x_0 − x*||²``;
    block Kaczmarz improves the factor when the blocks are well conditioned,
    and randomized Gauss–Seidel has the same rate in the ``A``-norm with
    ``λ_min(A)/tr(A)``. Single-row steps run in numba kernels over a row
    sequence drawn in NumPy, so a seed reproduces the run. For inconsistent
    least-squares problems use :func:`sketch_lstsq`.

    The iterate, and the blocks and Gram pseudo-inverses of block Kaczmarz,
    are float64 whatever the input's precision (single-row methods read a
    float32 ``A`` as it is); ``x`` is rounded to float32 at the end for float32 input;
    the run is reported converged only if the residual of that rounded
    ``x`` meets the tolerance. The methods are scale invariant: when squared
    row norms would underflow or overflow (entries beyond ``2**±256`` in
    float64, ``2**±32`` in float32) they run on ``A`` and ``b`` multiplied by
    powers of two, exactly, and ``x`` is scaled back.

    References
    ----------
    .. [1] R. M. Gower and P. Richtárik, "Randomized iterative methods for
       linear systems", SIAM J. Matrix Anal. Appl. 36(4), 2015.
    .. [2] T. Strohmer and R. Vershynin, "A randomized Kaczmarz algorithm
       with exponential convergence", J. Fourier Anal. Appl. 15, 2009.
    .. [3] D. Needell and J. A. Tropp, "Paved with good intentions: analysis
       of a randomized block Kaczmarz method", Linear Algebra Appl. 441, 2014.
    .. [4] D. Leventhal and A. S. Lewis, "Randomized methods for linear
       constraints: convergence rates and conditioning", Math. Oper. Res.
       35(3), 2010.
    .. [5] I. Hong, S. Na, M. W. Mahoney and M. Kolar, "Constrained
       optimization via exact augmented Lagrangian and randomized iterative
       sketching", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import sketch_and_project
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((300, 20))
    >>> x_true = rng.standard_normal(20)
    >>> res = sketch_and_project(A, A @ x_true, rtol=1e-8, random_state=0)
    >>> res.converged, bool(np.allclose(res.x, x_true, atol=1e-6))
    (True, True)
    """
    entry = SKETCH_AND_PROJECT_METHODS.get(method)
    check_params(
        {"rtol": rtol, "atol": atol, "maxiter": maxiter, "check_every": check_every,
         "random_state": random_state, "verbose": verbose},
        {
            "rtol": [None, Interval(Real, 0, None, closed="left")],
            "atol": [Interval(Real, 0, None, closed="left")],
            "maxiter": [None, Interval(Integral, 1, None, closed="left")],
            "check_every": [None, Interval(Integral, 1, None, closed="left")],
            "random_state": ["random_state"],
            "verbose": ["verbose"],
        },
        caller="sketch_and_project",
    )
    check_callable(callback, "callback")
    A, kind = check_host_input(A, "A", caller="sketch_and_project")
    if (A.count_nonzero() if kind != "dense" else np.count_nonzero(A)) == 0:
        # Every projection divides by a row (or block, or diagonal) of A: none exists to draw.
        raise ValueError("A must have a nonzero entry; got the zero matrix.")
    m, n = A.shape
    b = check_vector(b, "b", size=m)
    dtype = np.result_type(A.dtype, b.dtype)
    if rtol is None:
        rtol = DEFAULT_RTOL[dtype]
    elif dtype == np.float32:
        rtol = max(rtol, FLOAT32_RTOL_FLOOR)
    # A x = b is scale invariant: the projections run on A' = A 2**A_exponent and b' = b 2**b_exponent (exact;
    # exponents 0 unless squared row norms would underflow or overflow), whose solution is x' = x 2**-x_shift.
    A_exponent, b_exponent = unit_exponent(A, margin=4), unit_exponent(b, margin=4)
    x_shift = A_exponent - b_exponent
    if A_exponent:
        A = times_power_of_two(A, A_exponent, dtype=np.float64)
    if sparse.issparse(A) and A.format != "csr":
        A = A.tocsr()  # the projections read rows
    elif not sparse.issparse(A):
        A = np.ascontiguousarray(A)
    b = times_power_of_two(b, b_exponent, dtype=np.float64) if b_exponent else np.asarray(b, dtype=np.float64)
    with np.errstate(over="ignore"):
        atol_scaled = float(np.ldexp(atol, b_exponent))
        x = np.zeros(n) if x0 is None else np.ldexp(
            np.asarray(check_vector(x0, "x0", size=n), dtype=np.float64), -x_shift)
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 is too large for the scale of A and b: x0 * max|b| / max|A| overflows.")
    if callback is not None and x_shift:
        user_callback = callback

        def callback(xk):
            return user_callback(np.ldexp(xk, x_shift))

    result = SKETCH_AND_PROJECT_METHODS.dispatch(
        entry.name, A, b, x, rtol=rtol, atol=atol_scaled, maxiter=maxiter, check_every=check_every,
        random_state=random_state, callback=callback, verbose=verbose, **options,
    )
    # The answer in its working precision (status 3 if beyond float64's range); success is checked once
    # more on that very vector.
    with np.errstate(over="ignore", invalid="ignore"):  # an x beyond range: NaN residual, status 3
        result.x = np.ldexp(result.x, x_shift).astype(dtype, copy=False)
        residual = float(np.linalg.norm(b - A @ np.ldexp(np.asarray(result.x, dtype=np.float64), -x_shift)))
    tolerance = max(rtol * float(np.linalg.norm(b)), atol_scaled)
    if result.status == 0 and residual > tolerance:
        result.status = 1
        result.message = (
            f"the residual recomputed from the returned {dtype.name} x, "
            f"{np.ldexp(residual, -b_exponent):.2e}, exceeds max(rtol ||b||, atol) = "
            f"{np.ldexp(tolerance, -b_exponent):.2e}"
        )
    return end_run(result, caller=f"sketch_and_project ({entry.name})", status=result.status,
                   message=result.message)
