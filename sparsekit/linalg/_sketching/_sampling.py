"""Row-sampling scores: leverage scores, ℓp Lewis weights, root leverage; sampling sketches built on them."""

import math
from numbers import Integral, Real

import numpy as np
import scipy.linalg
from scipy import sparse

from ..._core.params import Interval, Options, check_params
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, Result, end_run
from ..._core.scaling import times_power_of_two, unit_exponent
from ._sketch_input import check_host_input, row_norms_squared
from ._sketch_methods import SKETCH_METHODS
from ._sketch_operators import MAX_COUNT, RowSamplingSketch, SparseSignSketch

__all__ = ["leverage_scores", "lewis_weights"]

# Rows of A multiplied at once when forming row norms of A @ W (bounds the dense workspace).
_ROW_BLOCK_ENTRIES = 1 << 22

_LEVERAGE_OPTIONS = Options({"exact", "approx"})


def _rank_tolerance(diagonal_or_singular, shape):
    """LAPACK-style numerical-rank cutoff: ``max(shape) * eps * largest``."""
    largest = float(np.max(np.abs(diagonal_or_singular))) if diagonal_or_singular.size else 0.0
    return max(shape) * np.finfo(np.float64).eps * largest


def _product_row_norms_squared(A, W):
    """``||(A @ W)[i]||²`` for every row, in row blocks so the workspace stays bounded."""
    m = A.shape[0]
    block = max(1, _ROW_BLOCK_ENTRIES // max(1, W.shape[1]))
    if sparse.issparse(A):
        A = A.tocsr()
    out = np.empty(m)
    for start in range(0, m, block):
        rows = A[start:start + block] @ W
        out[start:start + block] = np.einsum("ij,ij->i", rows, rows)
    return out


def _whitening_from_triangle(M):
    """A matrix ``W`` with ``range(A) = range(A W)`` and ``A W`` orthonormal, from a factor of ``M``.

    ``M`` is ``A`` itself or a sketch ``S A`` whose Gram matrix represents
    ``A.T A``. Uses the R of a QR factorization when it is numerically
    nonsingular and falls back to the SVD (dropping null directions)
    otherwise, so rank-deficient input is handled.
    """
    if M.shape[0] >= M.shape[1]:
        R = scipy.linalg.qr(M, mode="r", check_finite=False)[0][: M.shape[1]]
        diagonal = np.abs(np.diag(R))
        if diagonal.min() > _rank_tolerance(diagonal, M.shape):
            return scipy.linalg.solve_triangular(R, np.eye(M.shape[1]), check_finite=False)
    _, singular, Vt = scipy.linalg.svd(M, full_matrices=False, check_finite=False)
    keep = singular > _rank_tolerance(singular, M.shape)
    return Vt[keep].T / singular[keep]


def _exact_leverage(A):
    if not sparse.issparse(A):
        if A.shape[0] >= A.shape[1]:
            Q, R = np.linalg.qr(A)
            diagonal = np.abs(np.diag(R))
            if diagonal.min() > _rank_tolerance(diagonal, A.shape):
                return np.einsum("ij,ij->i", Q, Q)
        U, singular, _ = scipy.linalg.svd(A, full_matrices=False, check_finite=False)
        U = U[:, singular > _rank_tolerance(singular, A.shape)]
        return np.einsum("ij,ij->i", U, U)
    gram = (A.T @ A).toarray()
    eigenvalues, vectors = scipy.linalg.eigh(gram, check_finite=False)
    keep = eigenvalues > _rank_tolerance(eigenvalues, A.shape)
    return _product_row_norms_squared(A, vectors[:, keep] / np.sqrt(eigenvalues[keep]))


class _ApproximateLeverage:
    """Sketch + QR + Johnson–Lindenstrauss leverage scores with randomness drawn once.

    Calling it on row-rescalings ``diag(d) @ A`` of the same ``A`` reuses the
    same sketch and JL matrix, which makes the Lewis-weight iteration a
    deterministic map.
    """

    def __init__(self, m, n, *, sketch_size, jl_dim, rng):
        self.sketch = SparseSignSketch(sketch_size, m, nnz_per_col=min(8, sketch_size), random_state=rng)
        self.projection = None if jl_dim is None else rng.standard_normal((n, jl_dim)) / math.sqrt(jl_dim)

    def __call__(self, A):
        # A was validated by the caller; the Lewis iteration calls this on a rescaled A every step
        kind = A.format if sparse.issparse(A) else "dense"
        W = _whitening_from_triangle(self.sketch.apply_validated(A, kind, np, dense_output=True))
        rank = W.shape[1]
        if self.projection is not None:
            W = W @ self.projection[: W.shape[1]]
        scores = _product_row_norms_squared(A, W)
        # (R⁻ᵀ R⁻¹ overestimates (AᵀA)⁻¹ on average, like an inverse Wishart matrix); the exact
        # scores sum to the rank, so rescaling to that sum removes the bias.
        total = scores.sum()
        return scores * (rank / total) if total > 0 else scores


def _float64_rescaled(A):
    """``A`` in float64, times a power of two when its squares would underflow or overflow.

    Leverage scores and Lewis weights do not change when ``A`` is scaled, but
    the QR, SVD or Gram matrix behind them needs float64 (float32 rounding
    would hide a rank deficiency below the float64 rank cutoff) and entries
    whose squares stay in range (1e-300 rows would otherwise count as zero).
    """
    exponent = unit_exponent(A, margin=4)
    return times_power_of_two(A, exponent, dtype=np.float64) if exponent else A.astype(np.float64, copy=False)


def _leverage_function(A, method, sketch_size, jl_dim, rng):
    """A callable computing (exact or approximate) leverage scores of matrices shaped like ``A``."""
    m, n = A.shape
    if sketch_size is None:
        sketch_size = 4 * n
    if method == "exact" or sketch_size >= m:
        return _exact_leverage
    return _ApproximateLeverage(m, n, sketch_size=sketch_size, jl_dim=jl_dim, rng=rng)


_LEVERAGE_CONSTRAINTS = {
    "method": [_LEVERAGE_OPTIONS],
    "sketch_size": [None, Interval(Integral, 1, MAX_COUNT, closed="both")],
    "jl_dim": [None, Interval(Integral, 1, MAX_COUNT, closed="both")],
    "random_state": ["random_state"],
}


def leverage_scores(A, *, method="exact", sketch_size=None, jl_dim=64, random_state=None):
    """Statistical leverage scores ``τ_i = a_iᵀ (AᵀA)⁺ a_i`` of the rows of ``A``.

    Parameters
    ----------
    A : ndarray or sparse array (CSR or CSC), shape (m, n)
        The matrix. Sparse input is never densified.
    method : {"exact", "approx"}, default="exact"
        ``"exact"``: from a thin QR of dense ``A`` (SVD if it is rank
        deficient), or from the eigendecomposition of ``AᵀA`` for sparse ``A``.
        ``"approx"``: the sketch + QR + Johnson–Lindenstrauss method of
        Drineas et al. (see Notes), in ``O(nnz(A) jl_dim + sketch_size n²)``.
    sketch_size : int, optional
        Rows of the sparse sign sketch (``"approx"``); ``4 n`` by default. When
        it is at least ``m`` the exact scores are returned.
    jl_dim : int or None, default=64
        Columns of the Johnson–Lindenstrauss projection (``"approx"``). None
        skips it: the rows of ``A R⁻¹`` are measured exactly, in ``O(m n²)``.
    random_state : None, int, Generator, RandomState or SeedSequence
        Randomness of ``"approx"``.

    Returns
    -------
    ndarray of shape (m,)
        The leverage scores, float32 for float32 ``A`` (float64 otherwise);
        they lie in [0, 1] and sum to the rank of ``A``.

    Raises
    ------
    ValueError
        NaN, infinity, empty or non-2-D ``A``, or invalid options
        (:class:`InvalidParameterError`).
    TypeError
        Complex, object or string data, CuPy arrays.

    Notes
    -----
    The approximation follows Drineas, Magdon-Ismail, Mahoney and Woodruff:
    with a subspace embedding ``S`` the factor ``R`` of ``S A = Q R`` makes
    ``A R⁻¹`` nearly orthonormal, so ``||e_iᵀ A R⁻¹||²`` is within a constant
    factor of ``τ_i``; multiplying by a Gaussian ``Π`` (``n × jl_dim``,
    variance ``1/jl_dim``) preserves those row norms up to a factor
    ``1 ± O(sqrt(1/jl_dim))`` and makes the cost ``O(nnz(A) jl_dim)`` instead
    of ``O(m n²)``. A numerically singular ``R`` is replaced by the pseudo-
    inverse from the SVD of ``S A``, so rank-deficient ``A`` works. Since
    ``(R^T R)⁻¹`` overestimates ``(AᵀA)⁻¹`` on average (by ``k/(k-n-1)``
    for a Gaussian sketch), the scores are rescaled to sum to the rank, as
    the exact ones do.

    The exact scores of sparse ``A`` come from ``AᵀA``, which squares the
    condition number: directions with singular values below about
    ``sqrt(eps) ||A||`` are treated as null.

    Scores are computed in float64 whatever the input's precision, on ``A``
    multiplied by a power of two when its squares would underflow or
    overflow (they do not depend on the scale of ``A``).

    References
    ----------
    .. [1] P. Drineas, M. Magdon-Ismail, M. W. Mahoney and D. P. Woodruff,
       "Fast approximation of matrix coherence and statistical leverage",
       JMLR 13, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import leverage_scores
    >>> A = np.vstack([np.eye(2), np.ones((2, 2))])
    >>> leverage_scores(A).round(3)
    array([0.6, 0.6, 0.4, 0.4])
    >>> float(leverage_scores(A).sum())
    2.0
    """
    check_params(
        {"method": method, "sketch_size": sketch_size, "jl_dim": jl_dim, "random_state": random_state},
        _LEVERAGE_CONSTRAINTS,
        caller="leverage_scores",
    )
    A, _ = check_host_input(A, "A", caller="leverage_scores")
    dtype = A.dtype
    A = _float64_rescaled(A)
    compute = _leverage_function(A, method, sketch_size, jl_dim, check_random_state(random_state))
    return np.clip(compute(A), 0.0, 1.0).astype(dtype, copy=False)


def lewis_weights(
    A, p=1.0, *, leverage="exact", sketch_size=None, jl_dim=64, rtol=1e-8, maxiter=100, random_state=None
):
    """Compute the ℓp Lewis weights of the rows of ``A`` (Cohen–Peng fixed point).

    The Lewis weights are the unique ``w > 0`` with
    ``w_i = τ_i(W^{1/2 - 1/p} A)``, the leverage scores of ``A`` with row ``i``
    scaled by ``w_i^{1/2 - 1/p}``. Sampling rows with probabilities
    proportional to them gives ℓp subspace embeddings.

    Parameters
    ----------
    A : ndarray or sparse array (CSR or CSC), shape (m, n)
        The matrix.
    p : float, default=1.0
        The norm, ``0 < p < 4`` (the range where the iteration is a
        contraction); ``p = 2`` gives the leverage scores.
    leverage : {"exact", "approx"}, default="exact"
        How each iteration's leverage scores are computed (see
        :func:`leverage_scores`). With ``"approx"`` one sketch and one JL matrix
        are drawn and reused, so the iteration is a deterministic map.
    sketch_size, jl_dim : int, optional
        As in :func:`leverage_scores`.
    rtol : float, default=1e-8
        Stop when ``max_i |w_i^{new} - w_i| / w_i <= rtol``.
    maxiter : int, default=100
        Maximum number of iterations.
    random_state : None, int, Generator, RandomState or SeedSequence
        Randomness of ``leverage="approx"``.

    Returns
    -------
    Result
        ``weights`` (shape (m,), summing to the rank of ``A``; float32 for
        float32 ``A``, computed in float64 as in :func:`leverage_scores`), ``converged``,
        ``status`` (0 converged, 1 maxiter, 3 non-finite weights), ``message``, ``n_iter`` and
        ``change_history`` (the relative change of every iteration).

    Raises
    ------
    ValueError
        ``p`` outside (0, 4), ``rtol`` or ``maxiter`` not positive
        (:class:`InvalidParameterError`), NaN, infinity, empty or non-2-D ``A``.
    TypeError
        Complex, object or string data, CuPy arrays.

    Warns
    -----
    sparsekit.ConvergenceWarning
        When ``maxiter`` is reached first or the weights are not finite;
        issued at the caller's line.

    Notes
    -----
    Iteration (Cohen and Peng, 2015): starting from ``w = 1``,
    ``w_i ← (a_iᵀ (Aᵀ W^{1-2/p} A)⁻¹ a_i)^{p/2}``, computed as
    ``(τ_i(W^{1/2-1/p} A) w_i^{2/p-1})^{p/2}``. In the log domain it is a
    contraction with factor ``|1 - p/2|``, so for ``p = 1`` every iteration
    halves the error. Zero rows get weight 0.

    References
    ----------
    .. [1] M. B. Cohen and R. Peng, "ℓp row sampling by Lewis weights",
       STOC 2015.
    .. [2] D. P. Woodruff and T. Yasuda, "Sharper bounds for ℓp sensitivity
       sampling", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import lewis_weights
    >>> A = np.random.default_rng(0).standard_normal((200, 3))
    >>> res = lewis_weights(A, p=1)
    >>> res.converged, round(float(res.weights.sum()), 6)
    (True, 3.0)
    """
    check_params(
        {"p": p, "leverage": leverage, "sketch_size": sketch_size, "jl_dim": jl_dim, "rtol": rtol,
         "maxiter": maxiter, "random_state": random_state},
        {
            **_LEVERAGE_CONSTRAINTS,
            "p": [Interval(Real, 0, 4, closed="neither")],
            "leverage": [_LEVERAGE_OPTIONS],
            "rtol": [Interval(Real, 0, None, closed="neither")],
            "maxiter": [Interval(Integral, 1, None, closed="left")],
        },
        caller="lewis_weights",
    )
    A, _ = check_host_input(A, "A", caller="lewis_weights")
    result = _lewis_iteration(A, p, leverage=leverage, sketch_size=sketch_size, jl_dim=jl_dim, rtol=rtol,
                              maxiter=maxiter, rng=check_random_state(random_state))
    result.weights = result.weights.astype(A.dtype, copy=False)
    return end_run(result, caller="lewis_weights", status=result.status, message=result.message)


def _lewis_iteration(A, p, *, leverage, sketch_size, jl_dim, rtol, maxiter, rng):
    """The Cohen–Peng fixed point on validated host ``A``; see :func:`lewis_weights`.

    Returns a ``Result`` with ``weights``, ``n_iter``, ``change_history`` and
    the run's ``status`` and ``message``, not yet ended: :func:`lewis_weights`
    ends it (and warns), while the Lewis sampling sketch takes the weights of
    a run it deliberately keeps short.
    """
    A = _float64_rescaled(A)
    if sparse.issparse(A):
        A = A.tocsr()  # every iteration rescales the rows: convert once here, not in each product
    active = row_norms_squared(A) > 0
    weights = np.zeros(A.shape[0])
    if not active.any():
        # The zero matrix has rank 0: every weight is 0, which is the fixed point.
        return Result(weights=weights, n_iter=0, change_history=np.zeros(0), status=STATUS_CONVERGED,
                      message="converged: A is zero, all weights are 0")
    A_active = A[active]
    # The iteration only ever sees the nonzero rows, so the sketch is drawn for them.
    compute = _leverage_function(A_active, leverage, sketch_size, jl_dim, rng)
    w = np.ones(int(active.sum()))
    history, status = [], STATUS_MAX_ITER
    for iteration in range(1, maxiter + 1):
        scaled = _scale_rows(A_active, w ** (0.5 - 1.0 / p))
        tau = np.maximum(compute(scaled), np.finfo(np.float64).tiny)
        w_new = (tau * w ** (2.0 / p - 1.0)) ** (p / 2.0)
        change = float(np.max(np.abs(w_new - w) / w))
        history.append(change)
        w = w_new
        if change <= rtol:
            status = STATUS_CONVERGED
            break
    weights[active] = w
    message = (
        f"converged: relative change {history[-1]:.2e} <= rtol after {iteration} iterations"
        if status == STATUS_CONVERGED
        else f"maxiter={maxiter} reached with relative change {history[-1]:.2e} > rtol={rtol:g}"
    )
    return Result(weights=weights, n_iter=iteration, change_history=np.array(history), status=status,
                  message=message)


def _scale_rows(A, d):
    if sparse.issparse(A):
        return sparse.csr_array(sparse.diags_array(d) @ A)
    return A * d[:, None]


# --------------------------------------------------------------------------- sampling sketches
_SAMPLING_CONSTRAINTS = {
    "leverage": [_LEVERAGE_OPTIONS],
    "p": [Interval(Real, 0, None, closed="neither")],
}


def _nonzero_scores(scores, method):
    """``scores``, refused naming ``A`` (not the internal ``weights``) when every row of ``A`` is zero."""
    if not float(scores.max()) > 0:
        raise ValueError(f"A must have a nonzero row for sketch(method={method!r}); every row is zero.")
    return scores


@SKETCH_METHODS.register("leverage", constraints=_SAMPLING_CONSTRAINTS)
def _leverage_sampling(A, k, *, leverage="approx", random_state=None):
    """Row sampling with probabilities proportional to (approximate) leverage scores."""
    rng = check_random_state(random_state)
    scores = leverage_scores(A, method=leverage, random_state=rng)
    return RowSamplingSketch(k, A.shape[0], weights=_nonzero_scores(scores, "leverage"), random_state=rng)


@SKETCH_METHODS.register("root-leverage", constraints=_SAMPLING_CONSTRAINTS)
def _root_leverage_sampling(A, k, *, p=1.0, leverage="approx", random_state=None):
    """Row sampling for lp with probabilities proportional to leverage scores to the power p/2."""
    rng = check_random_state(random_state)
    scores = leverage_scores(A, method=leverage, random_state=rng)
    # relative to the largest score, the weights cannot all underflow to 0 however large p is
    relative = _nonzero_scores(scores, "root-leverage") / float(scores.max())
    return RowSamplingSketch(k, A.shape[0], weights=relative ** (p / 2.0), p=p, random_state=rng)


@SKETCH_METHODS.register(
    "lewis", constraints={**_SAMPLING_CONSTRAINTS, "p": [Interval(Real, 0, 4, closed="neither")]}
)
def _lewis_sampling(A, k, *, p=1.0, leverage="approx", random_state=None):
    """Row sampling for lp with probabilities proportional to lp Lewis weights."""
    rng = check_random_state(random_state)
    A, _ = check_host_input(A, "A", caller="sketch(method='lewis')")
    # A few fixed-point iterations already give constant-factor weights, which is all sampling needs: the
    # run is short on purpose, so its weights are taken as they are, with no ConvergenceWarning to hide.
    weights = _lewis_iteration(A, p, leverage=leverage, sketch_size=None, jl_dim=64, rtol=1e-3, maxiter=30,
                               rng=rng).weights
    return RowSamplingSketch(k, A.shape[0], weights=_nonzero_scores(weights, "lewis"), p=p, random_state=rng)
