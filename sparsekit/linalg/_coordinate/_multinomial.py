"""Greedy block coordinate descent on the multinomial logistic loss with ℓ1, group-ℓ1 and ridge penalties."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse

from ..._core.params import Interval, Options, check_params
from ..._core.progress import IterationMonitor
from ..._core.random import check_random_state
from ..._core.result import Result, end_run
from ..._core.validation import check_array, check_callable
from ._multinomial_kernels import multinomial_cd

__all__ = ["greedy_bcd_multinomial"]

RULES = {"gs": 0, "gsl": 1, "gsq": 2, "cyclic": -1, "random": -1}
PENALTIES = {"l1": 0, "group": 1}
_CONSTRAINTS = {
    "alpha": [Interval(Real, 0, None, closed="left")],
    "l2": [Interval(Real, 0, None, closed="left")],
    "penalty": [Options(set(PENALTIES))],
    "rule": [Options(set(RULES))],
    "block_size": [Interval(Integral, 1, None, closed="left")],
    "blocks": [Options({"variable", "fixed"})],
    "tol": [Interval(Real, 0, None, closed="neither")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def _state(A, Y, W, l2):
    """Margins, probabilities and gradient computed afresh (the kernel's updates accumulate rounding)."""
    Z = np.ascontiguousarray(A @ W)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    P = E / E.sum(axis=1, keepdims=True)
    G = np.ascontiguousarray(A.T @ (P - Y)) / A.shape[0] + l2 * W
    return Z, P, G


def multinomial_objective(A, labels, W, alpha, l2, penalty):
    """``(1/n) sum_i [logsumexp(z_i) - z_{i, y_i}] + l2/2 ||W||^2 + alpha R(W)`` with ``Z = A W``."""
    Z = np.asarray(A @ W)
    zmax = Z.max(axis=1)
    lse = zmax + np.log(np.exp(Z - zmax[:, None]).sum(axis=1))
    loss = float(np.mean(lse - Z[np.arange(Z.shape[0]), labels]))
    reg = float(np.abs(W).sum()) if penalty == "l1" else float(np.linalg.norm(W, axis=1).sum())
    return loss + 0.5 * l2 * float(np.sum(W * W)) + alpha * reg


def _largest_violation(G, W, alpha, penalty):
    """Largest Euclidean norm over rows of the minimum-norm subgradient of ``F`` (see ``row_violation``)."""
    if G.shape[0] == 0:
        return 0.0
    if penalty == 0:
        S = np.where(W > 0, G + alpha, np.where(W < 0, G - alpha, np.maximum(np.abs(G) - alpha, 0.0)))
        return float(np.linalg.norm(S, axis=1).max())
    norm_w = np.linalg.norm(W, axis=1, keepdims=True)
    moving = np.linalg.norm(G + alpha * W / np.where(norm_w > 0, norm_w, 1.0), axis=1)
    still = np.maximum(np.linalg.norm(G, axis=1) - alpha, 0.0)
    return float(np.where(norm_w[:, 0] > 0, moving, still).max())


def _partition(L_feature, block_size):
    """Fixed blocks: features sorted by their constant, cut into contiguous blocks (the paper's "Sort")."""
    p = len(L_feature)
    idx = np.argsort(L_feature, kind="mergesort").astype(np.int64)
    ptr = np.unique(np.r_[np.arange(0, p, block_size), p]).astype(np.int64)
    return ptr, idx


def greedy_bcd_multinomial(A, y, *, alpha=0.0, l2=0.0, penalty="l1", rule="gsq", block_size=1, blocks="fixed",
                           x0=None, tol=1e-8, max_epochs=1000, random_state=None, callback=None, verbose=0):
    r"""Greedy block coordinate descent for multinomial (softmax) logistic regression.

    Minimises over ``W`` (``n_features x n_classes``)

    ``F(W) = (1/n) sum_i [log sum_k exp(z_ik) - z_{i y_i}] + l2/2 ||W||_F^2 + alpha R(W)``,  ``Z = A W``,

    with ``R(W) = sum_jk |W_jk|`` (``penalty="l1"``) or ``sum_j ||W_j||_2`` (``penalty="group"``: a feature
    is used by all classes or by none). A block is a set of features, each with its row of ``n_classes``
    coefficients, chosen by the greedy rules of Nutini, Laradji & Schmidt.

    Parameters
    ----------
    A : array-like or sparse array of shape (n_samples, n_features)
        Design matrix (no intercept column is added); sparse input stays sparse.
    y : array-like of shape (n_samples,)
        Class labels, at least two distinct ones.
    alpha : float >= 0, default=0.0
        Weight of the ℓ1 or group-ℓ1 penalty.
    l2 : float >= 0, default=0.0
        Ridge weight (``l2/2 ||W||_F^2``). scikit-learn's ``LogisticRegression(C=C, fit_intercept=False)``
        solves this problem with ``l2 = 1 / (C n)`` (ridge) or ``alpha = 1 / (C n)`` (``l1_ratio=1``).
    penalty : {"l1", "group"}, default="l1"
        Elementwise ℓ1 or group ℓ1 (ℓ2,1 over the rows of ``W``).
    rule : {"gsq", "gsl", "gs", "cyclic", "random"}, default="gsq"
        Block selection: Gauss-Southwell-quadratic (largest decrease guaranteed by the ``Lb`` step),
        Gauss-Southwell-Lipschitz (``||s_B||^2 / L_B``), Gauss-Southwell (``||s_B||``, ``s`` the minimum-norm
        subgradient), or the non-greedy baselines (the fixed blocks in order, or in a random order per epoch).
    block_size : int, default=1
        Features per block (1: a block is one feature's row of ``n_classes`` coefficients).
    blocks : {"fixed", "variable"}, default="fixed"
        ``"fixed"``: features sorted by ``L_j`` and cut into blocks of ``block_size``. ``"variable"`` (greedy
        rules only): the ``block_size`` features of best score form the block at each step.
    x0 : array-like of shape (n_features, n_classes), optional
        Starting coefficients (zeros by default).
    tol : float, default=1e-8
        Stop when the largest row violation is at most ``tol`` times its value at ``x0``, see Notes.
    max_epochs : int, default=1000
        Budget in epochs (``n_features`` feature updates each).
    random_state : None, int, Generator, RandomState or SeedSequence
        Seeds ``rule="random"``.
    callback : callable, optional
        ``callback(Wk)`` after every epoch; returning True stops the run (status 2).
    verbose : bool or int, default=0
        Log progress through the ``sparsekit`` logger.

    Returns
    -------
    Result
        ``x`` (``W``, shape ``(n_features, n_classes)``, columns in the order of ``classes``), ``classes``,
        ``objective``, ``violation`` (the largest row violation), ``n_iter`` (kernel runs of at most one epoch
        each), ``n_updates`` (feature updates), ``n_epochs`` (``n_updates / n_features``), histories
        ``objective_history``, ``violation_history`` and ``updates_history`` (from ``x0``, one entry per kernel
        run), ``converged``, ``status``, ``message``.

    Raises
    ------
    ValueError
        For NaN or infinity, wrong shapes, fewer than two classes, ``blocks="variable"`` with a non-greedy
        rule.
    InvalidParameterError
        For an option out of its range.

    Notes
    -----
    **Algorithm.** Block ``B`` has gradient ``G_B = A_B^T (P - Y) / n + l2 W_B`` and the Hessian bound
    ``L_B = lambda_max(A_B^T A_B) / (2 n) + l2`` (the softmax Hessian ``diag(p) - p p^T`` has norm at most
    ``1/2``). The chosen block takes one proximal step, ``W_B <- prox_{alpha R / L_B}(W_B - G_B / L_B)``
    (the paper's ``Lb`` update; soft thresholding, or shrinking each row towards zero for the group
    penalty). A numba kernel keeps ``Z = A W``, ``P`` and the full gradient exact after each step, in
    ``O(nnz(A_B) K)`` for the margins and ``O(sum_{i in rows(A_B)} nnz(a_i) K)`` for the gradient, and
    rescans the scores, ``O(p K)``. After every epoch the state is recomputed from scratch, so no rounding
    accumulates.

    **Stopping rule.** The row violation of feature ``j`` is the norm of the minimum-norm subgradient of
    ``F`` in ``W_j``; the run stops when the largest is ``<= tol`` times its value at ``x0``. The problem
    without any penalty has no minimiser when the classes are separable, and ``W + c 1^T`` leaves the loss
    unchanged: give ``l2 > 0`` or ``alpha > 0``.

    **From the paper** (Nutini, Laradji & Schmidt, "Let's make block coordinate descent converge faster",
    JMLR 2022, its softmax experiments): blocks of features with their ``K`` coefficients, the ``1/2``
    bound of the softmax Hessian for ``L_B``, the GS, GSL and GSQ rules over fixed ("Sort") and variable
    blocks, proximal ``Lb`` steps. **Ours:** the group penalty, GSQ with proximal steps scored by the
    decrease of the proximal bound, and the stopping rule. Computations are in float64; ``x`` is returned
    in the precision of ``A``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import greedy_bcd_multinomial
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((90, 20))
    >>> y = np.argmax(A[:, :3] + 0.3 * rng.standard_normal((90, 3)), axis=1)
    >>> res = greedy_bcd_multinomial(A, y, alpha=0.02, penalty="group", tol=1e-8)
    >>> res.converged, res.x.shape, sorted(np.flatnonzero(np.linalg.norm(res.x, axis=1))[:3].tolist())
    (True, (20, 3), [0, 1, 2])
    """
    check_params({"alpha": alpha, "l2": l2, "penalty": penalty, "rule": rule, "block_size": block_size,
                  "blocks": blocks, "tol": tol, "max_epochs": max_epochs, "random_state": random_state,
                  "verbose": verbose}, _CONSTRAINTS, caller="greedy_bcd_multinomial")
    check_callable(callback, "callback")
    if blocks == "variable" and rule in ("cyclic", "random"):
        raise ValueError(f"blocks='variable' needs a greedy rule; got rule={rule!r}.")
    A = check_array(A, "A", ndim=2, accept_sparse=["csc", "csr", "coo"])
    n, p = A.shape
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must be a 1-D array of {n} labels; got shape {y.shape}.")
    if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
        raise ValueError("y holds NaN or infinity.")
    if y.dtype.kind not in "biufUSO":
        raise ValueError(f"y must hold class labels; got dtype {y.dtype}.")
    classes, labels = np.unique(y, return_inverse=True)
    K = len(classes)
    if K < 2:
        raise ValueError(f"y must hold at least two classes; got {K}.")
    dtype = A.dtype if A.dtype in (np.float32, np.float64) else np.float64
    A = sparse.csc_array(A, dtype=np.float64)
    A.sort_indices()
    At = sparse.csr_array(A)
    At.sort_indices()
    if x0 is None:
        W = np.zeros((p, K))
    else:
        W = np.array(check_array(x0, "x0", ndim=2), dtype=np.float64, order="C")
        if W.shape != (p, K):
            raise ValueError(f"x0 must have shape ({p}, {K}); got {W.shape}.")
    rng = check_random_state(random_state)
    Y = np.zeros((n, K))
    Y[np.arange(n), labels] = 1.0
    col_sq = np.asarray(A.multiply(A).sum(axis=0)).ravel()
    L_feature = col_sq / (2.0 * n) + l2
    code, pen = RULES[rule], PENALTIES[penalty]
    tau = min(block_size, p) if blocks == "variable" else 0
    ptr, idx = _partition(L_feature, block_size)
    block_L = np.array([np.linalg.eigvalsh((A[:, idx[a:c]].T @ A[:, idx[a:c]]).toarray())[-1] / (2.0 * n) + l2
                        for a, c in zip(ptr[:-1], ptr[1:])]) if block_size > 1 else L_feature[idx]
    block_L = np.where(block_L > 0, block_L, 1.0)  # a block of empty columns only sees l2 = 0: it never moves
    n_blocks = len(ptr) - 1
    Z, P, G = _state(A, Y, W, l2)
    L_safe = np.where(L_feature > 0, L_feature, 1.0)

    v0 = _largest_violation(G, W, alpha, pen)
    stop = tol * v0
    histories = {"objective": [multinomial_objective(A, labels, W, alpha, l2, penalty)], "violation": [v0],
                 "updates": [0]}
    n_updates, n_iter, status, vmax = 0, 0, 1, v0
    with IterationMonitor("linalg.greedy_bcd_multinomial", total=max_epochs, verbose=verbose,
                          callback=callback) as monitor:
        if vmax <= stop:
            status = 0
        while status == 1 and n_iter < max_epochs:
            order = (np.arange(n_blocks, dtype=np.int64) if rule == "cyclic"
                     else rng.permutation(n_blocks).astype(np.int64))
            steps, _ = multinomial_cd(A.indptr, A.indices, A.data, At.indptr, At.indices, At.data, labels, Z, P,
                                      G, W, L_safe, alpha, l2, pen, code, ptr, idx, block_L, tau, order,
                                      max(p, 1), stop)
            n_updates += steps
            n_iter += 1
            Z, P, G = _state(A, Y, W, l2)
            vmax = _largest_violation(G, W, alpha, pen)
            histories["objective"].append(multinomial_objective(A, labels, W, alpha, l2, penalty))
            histories["violation"].append(vmax)
            histories["updates"].append(n_updates)
            if vmax <= stop:
                status = 0
            elif monitor.update(W.astype(dtype), objective=histories["objective"][-1], violation=vmax):
                status = 2
    result = Result(x=W.astype(dtype, copy=False), classes=classes, objective=histories["objective"][-1],
                    violation=vmax, n_iter=n_iter, n_updates=n_updates, n_epochs=n_updates / max(p, 1),
                    objective_history=np.array(histories["objective"]),
                    violation_history=np.array(histories["violation"]),
                    updates_history=np.array(histories["updates"]))
    messages = {0: f"converged: largest row violation {vmax:.2e} <= {stop:.2e} after {n_updates} feature updates",
                1: f"max_epochs={max_epochs} reached with largest row violation {vmax:.2e} > {stop:.2e}",
                2: f"stopped by the callback after {n_updates} feature updates"}
    return end_run(result, caller="greedy_bcd_multinomial", status=status, message=messages[status])
