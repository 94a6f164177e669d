"""Matrix completion by alternating minimisation with per-row solves (JNS13; Gu, Song, Yin and Zhang)."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import svds

from ..._core.params import Interval, Options, validate_params
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_STOPPED, Result, end_run
from ..._core.threads import small_blocks
from ..._core.validation import check_array
from ._altmin_kernels import CG, EXACT, SKETCH, observed_rmse, solve_rows

__all__ = ["altmin_complete"]

_METHODS = {"exact": EXACT, "cg": CG, "sketch": SKETCH}


def check_observed(M, name, rank=None, *, need_every_line=True):
    """Validate a sparse matrix of observed entries: CSR of float values, finite, every row and column observed."""
    if not sparse.issparse(M):
        raise TypeError(f"{name} must be a scipy.sparse array or matrix whose stored entries are the observed ones; "
                        f"got {type(M).__name__}.")
    M = check_array(M, name, ndim=2, accept_sparse="csr")
    M = sparse.csr_array(M)
    M.sum_duplicates()
    if M.nnz == 0:
        raise ValueError(f"{name} has no observed (stored) entry.")
    if rank is not None and rank >= min(M.shape):
        raise ValueError(f"rank={rank} must be smaller than min(n_rows, n_columns) = {min(M.shape)} of {name}.")
    if need_every_line:
        for axis, what in ((1, "row"), (0, "column")):
            empty = np.flatnonzero(np.diff(M.indptr) == 0) if axis == 1 else np.setdiff1d(
                np.arange(M.shape[1]), M.indices)
            if len(empty):
                raise ValueError(f"{name}: {what} {empty[0]} has no observed entry ({len(empty)} {what}s are empty); "
                                 f"with ridge=0 its factor is undefined: pass ridge > 0 or drop it.")
    return M


def _initial_factor(M, rank, offset, clip_init, rng):
    """Top-``rank`` left singular vectors of ``P_Omega(M - offset) / p``, clipped and re-orthonormalised."""
    n, m = M.shape
    centred = sparse.csr_array((M.data - offset, M.indices, M.indptr), shape=M.shape)
    v0 = rng.uniform(-1.0, 1.0, size=min(n, m)).astype(M.dtype)
    U = svds(centred * (n * m / M.nnz), k=rank, v0=v0, random_state=rng)[0].astype(M.dtype)
    if clip_init is not None:
        U[np.linalg.norm(U, axis=1) > clip_init * np.sqrt(rank / n)] = 0.0
    return np.ascontiguousarray(np.linalg.qr(U)[0])


def _orthonormalise(X, Y):
    """Rewrite ``X Y^T`` as ``Q (Y R^T)^T`` with ``X = Q R``: same product, orthonormal left factor."""
    Q, R = np.linalg.qr(X)
    return np.ascontiguousarray(Q), np.ascontiguousarray(Y @ R.T)


@validate_params({
    "M_observed": ["sparse matrix"],
    "rank": [Interval(Integral, 1, None, closed="left")],
    "ridge": [Interval(Real, 0, None, closed="left")],
    "bias": ["boolean"],
    "solver": [Options({"exact", "cg", "sketch"})],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "cg_steps": [Interval(Integral, 1, None, closed="left")],
    "sketch_size": [Interval(Integral, 1, None, closed="left"), None],
    "clip_init": [Interval(Real, 0, None, closed="neither"), None],
    "random_state": ["random_state"],
    "callback": ["callable", None],
})
@small_blocks
def altmin_complete(M_observed, rank, *, ridge=0.0, bias=False, solver="exact", max_iter=50, tol=1e-4, cg_steps=3,
                    sketch_size=None, clip_init=4.0, random_state=None, callback=None):
    """Complete a low-rank matrix from its observed entries by alternating minimisation.

    Fits ``M_ij ~ offset + b_i + c_j + U_i . V_j`` on the observed entries
    ``(i, j)`` by minimising

        sum_{observed} (M_ij - offset - b_i - c_j - U_i . V_j)^2
        + ridge * (||U||_F^2 + ||V||_F^2) + ridge_b * (||b||^2 + ||c||^2),

    alternately over the rows ``(U, b)`` and the columns ``(V, c)``; each half
    is one small ridge regression per row (or column). Memory is O(nnz k):
    the dense matrix is never formed.

    Parameters
    ----------
    M_observed : scipy.sparse array or matrix of shape (n_rows, n_columns)
        The observed entries: every *stored* entry is an observation (an
        explicitly stored zero is an observed zero), every absent one is
        missing. float32 data is computed in float32; integers in float64.
    rank : int
        Rank ``k`` of the completion, ``1 <= rank < min(n_rows, n_columns)``.
    ridge : float, default=0.0
        Ridge weight on the factors, in the units of ``M_observed`` squared
        (as in biased matrix factorisation); the biases get the same weight
        (``ridge_b = ridge``). With ``ridge=0`` every row and column must
        have an observation, and the left factor is re-orthonormalised after
        each sweep (JNS13's QR step, which leaves the product unchanged).
    bias : bool, default=False
        Fit a global offset (the mean of the observations, fixed) and row and
        column biases, as real ratings need; without it the offset is 0.
    solver : {"exact", "cg", "sketch"}, default="exact"
        Row solves: ``"exact"`` forms each row's Gram with one BLAS-3 product
        and Cholesky-solves it (O(nnz k^2) per sweep, the fastest for
        ``k`` up to a few dozen); ``"cg"`` takes ``cg_steps`` warm-started CG
        steps without a Gram (O(nnz k) per step); ``"sketch"`` does the
        same with the sketched QR preconditioner of Gu et al. (for large
        ``k`` or badly conditioned rows).
    max_iter : int, default=50
        Maximum sweeps (a sweep updates the columns, then the rows).
    tol : float, default=1e-4
        Stop when the observed-entry RMSE changes by less than ``tol`` times
        itself over one sweep, or falls below 100 machine epsilons of the
        largest observed magnitude (an exact fit).
    cg_steps : int, default=3
        (Preconditioned) CG steps per row and sweep for ``"cg"`` and ``"sketch"``.
    sketch_size : int, optional
        CountSketch rows per row regression for ``"sketch"``; ``4 (k + bias)``
        when None (capped by the row's observations).
    clip_init : float or None, default=4.0
        Initialisation clipping: rows of the initial (orthonormal) left factor
        whose norm exceeds ``clip_init * sqrt(rank / n_rows)`` are zeroed
        before the QR; None keeps them all.
    random_state : None, int or numpy Generator, default=None
        Seeds the start vector of the initial SVD and the sketches.
    callback : callable, optional
        ``callback(result)`` after each sweep, with a :class:`sparsekit.Result`
        holding ``n_iter``, the current ``U``, ``V``, ``row_bias``,
        ``col_bias``, ``offset`` and ``rmse`` (the observed-entry RMSE so far); returning True (or raising StopIteration) stops the run
        (status 2, no warning).

    Returns
    -------
    Result
        ``U`` (n_rows, k), ``V`` (n_columns, k), ``row_bias`` (n_rows,),
        ``col_bias`` (n_columns,) and ``offset`` (zeros and 0 without
        ``bias``), ``rmse`` (the observed-entry RMSE after each sweep),
        ``n_iter``, ``converged``, ``status`` (0 converged, 1 ``max_iter``
        reached, 2 stopped by the callback, 3 non-finite), ``message``. A
        missing entry ``(i, j)`` is predicted by
        ``offset + row_bias[i] + col_bias[j] + U[i] @ V[j]``.

    Raises
    ------
    TypeError
        If ``M_observed`` is not sparse (or its values are not real numbers).
    ValueError
        If ``M_observed`` holds NaN or infinity or no entry, if
        ``rank >= min(M_observed.shape)``, or if a row or column has no
        observation while ``ridge=0``.

    See Also
    --------
    sparsekit.learn.decomposition.AltMinCompletion : The scikit-learn imputer on top.

    Notes
    -----
    Algorithm: AltMinComplete of Jain, Netrapalli and Sanghavi (STOC 2013),
    with the approximate row solves that Gu, Song, Yin and Zhang ("Low rank
    matrix completion via robust alternating minimization in nearly linear
    time", ICLR 2024) prove harmless. Initialisation: the top-``k`` left
    singular vectors of ``P_Omega(M - offset) / p`` (``p`` the observed
    fraction), with the rows of large norm clipped and a QR, as in JNS13.
    The paper's incoherence threshold ``2 mu sqrt(k / n)`` needs the unknown
    ``mu``; ``clip_init`` stands for ``2 mu`` (our interpretation). The
    papers' splitting of the observations into fresh samples per sweep is a
    device of the proof and is not done. Ridge, biases and the fixed global
    offset are the usual biased-factorisation model (Koren, Bell and
    Volinsky 2009), not in the papers; so is the RMSE stopping rule (the
    papers run a fixed ``T = O(log 1/eps)`` sweeps). Each sweep updates the
    columns first (given the initial ``U``), then the rows.

    The data are divided by their largest magnitude before the run (and the
    factor ridge by the same number, so the problem is the same): results
    stay finite for data near the overflow or underflow thresholds.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from sparsekit.linalg import altmin_complete
    >>> rng = np.random.default_rng(0)
    >>> M = rng.standard_normal((60, 3)) @ rng.standard_normal((3, 40))
    >>> mask = rng.random(M.shape) < 0.5
    >>> res = altmin_complete(sparse.csr_array(M * mask), 3, random_state=0)
    >>> res.converged
    True
    >>> err = np.linalg.norm(res.U @ res.V.T - M) / np.linalg.norm(M)
    >>> bool(err < 1e-3)
    True
    """
    M = check_observed(M_observed, "M_observed", rank, need_every_line=ridge == 0)
    rng = check_random_state(random_state)
    dtype = M.dtype
    scale = float(np.max(np.abs(M.data)))
    if scale == 0.0:
        scale = 1.0
    M = sparse.csr_array((M.data / dtype.type(scale), M.indices, M.indptr), shape=M.shape)
    Mc = M.tocsc()
    n, m = M.shape
    ridge_factor, ridge_bias = dtype.type(ridge / scale), dtype.type(ridge)
    method = _METHODS[solver]
    size = int(sketch_size) if sketch_size is not None else 4 * (rank + int(bias))
    offset = dtype.type(M.data.mean()) if bias else dtype.type(0.0)
    row_bias, col_bias = np.zeros(n, dtype=dtype), np.zeros(m, dtype=dtype)
    U = _initial_factor(M, rank, offset, clip_init, rng)
    V = np.zeros((m, rank), dtype=dtype)
    if method == SKETCH:
        row_sketch = (rng.random(M.nnz).astype(dtype), rng.choice(np.array([-1.0, 1.0], dtype=dtype), M.nnz))
        col_sketch = (rng.random(M.nnz).astype(dtype), rng.choice(np.array([-1.0, 1.0], dtype=dtype), M.nnz))
    else:
        row_sketch = col_sketch = (np.zeros(1, dtype=dtype), np.zeros(1, dtype=dtype))
    root = dtype.type(np.sqrt(scale))
    rmse, floor = [], 100 * float(np.finfo(dtype).eps)  # an exact fit: the RMSE only jitters at rounding level
    status, message = STATUS_MAX_ITER, f"max_iter={max_iter} sweeps reached before the RMSE settled to tol={tol:g}"
    for it in range(1, max_iter + 1):
        solve_rows(Mc.indptr, Mc.indices, Mc.data, U, row_bias, offset, ridge_factor, ridge_bias, bias, V, col_bias,
                   method, cg_steps, *col_sketch, size)
        solve_rows(M.indptr, M.indices, M.data, V, col_bias, offset, ridge_factor, ridge_bias, bias, U, row_bias,
                   method, cg_steps, *row_sketch, size)
        if ridge == 0:
            U, V = _orthonormalise(U, V)
        rmse.append(float(observed_rmse(M.indptr, M.indices, M.data, U, V, row_bias, col_bias, offset)))
        if not np.isfinite(rmse[-1]):
            message = "the factors became non-finite"
            break
        settled = rmse[-1] <= floor or (it > 1 and abs(rmse[-2] - rmse[-1]) <= tol * rmse[-2])
        if settled:
            status, message = STATUS_CONVERGED, f"the observed-entry RMSE changed by less than tol={tol:g}"
        if callback is not None and status != STATUS_CONVERGED:
            try:
                stop = callback(Result(n_iter=it, U=U * root, V=V * root, row_bias=row_bias * dtype.type(scale),
                                       col_bias=col_bias * dtype.type(scale), offset=float(offset) * scale,
                                       rmse=np.array(rmse) * scale))
            except StopIteration:
                stop = True
            if stop:
                status, message = STATUS_STOPPED, "stopped by the callback"
        if status != STATUS_MAX_ITER:
            break
    result = Result(U=U * root, V=V * root, row_bias=row_bias * dtype.type(scale),
                    col_bias=col_bias * dtype.type(scale), offset=float(offset) * scale,
                    rmse=np.array(rmse) * scale, n_iter=it)
    return end_run(result, caller="altmin_complete", status=status, message=message)


def fold_in(M, V, col_bias, offset, ridge, bias):
    """Row factors and biases of new rows given the fitted columns: one exact row half-step (no iteration).

    Parameters
    ----------
    M : scipy.sparse.csr_array of shape (n_new, n_columns)
        The new rows' observed entries (validated by the caller).
    V, col_bias, offset, ridge, bias
        The fitted column factor and bias, the global offset, the ridge and whether biases are fitted.

    Returns
    -------
    U : ndarray of shape (n_new, k)
    row_bias : ndarray of shape (n_new,)
    """
    dtype = V.dtype
    U, row_bias = np.zeros((M.shape[0], V.shape[1]), dtype=dtype), np.zeros(M.shape[0], dtype=dtype)
    empty = np.zeros(1, dtype=dtype)
    solve_rows(M.indptr, M.indices, M.data.astype(dtype, copy=False), V, col_bias, dtype.type(offset),
               dtype.type(ridge), dtype.type(ridge), bias, U, row_bias, EXACT, 1, empty, empty, 1)
    return U, row_bias
