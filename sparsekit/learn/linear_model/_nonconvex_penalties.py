"""SCAD and MCP regression by the accelerated gradient method of Yang, Asgharian & Bhatnagar, with strong rules.

The penalty is split as ``p(b) = alpha |b| + q(b)`` with ``q`` concave and smooth; the smooth part
``f = loss + sum q`` gets Ghadimi–Lan's accelerated gradient steps and the ``alpha |b|`` part soft-thresholding.
"""

from numbers import Integral, Real

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

from ..._core.params import Interval, Options, check_params
from ..._core.progress import IterationMonitor
from ..._core.result import Result, end_run
from ..._core.validation import check_array, check_callable, check_vector
from ._nonconvex_penalties_kernels import ag_steps, prox_step

__all__ = ["nonconvex_path", "nonconvex_regression", "penalty_value"]  # penalty_value: for tests and benchmarks

_CONSTRAINTS = {
    "penalty": [Options({"mcp", "scad"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "gamma": [None, Interval(Real, 1, None, closed="neither")],
    "method": [Options({"ag", "pg"})],
    "tol": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "working_set": ["boolean"],
    "verbose": ["verbose"],
}
DEFAULT_GAMMA = {"mcp": 3.0, "scad": 3.7}
#: A strong set larger than SCREEN_SIZE features is screened by rounds of SCREEN_STEPS iterations.
SCREEN_SIZE = 200
SCREEN_STEPS = 10


def penalty_value(b, alpha, gamma, penalty):
    """``sum_j p(b_j)`` for MCP (``gamma``) or SCAD (``a = gamma``).

    Parameters
    ----------
    b : ndarray
        Coefficients.
    alpha : float
        The penalty level ``lambda``.
    gamma : float
        MCP's ``gamma`` or SCAD's ``a`` (> 1; SCAD needs > 2).
    penalty : {"mcp", "scad"}
        Which penalty.

    Returns
    -------
    float
        The penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model._nonconvex_penalties import penalty_value
    >>> penalty_value(np.array([0.0, 0.5, 10.0]), 1.0, 3.0, "mcp")  # 0 + (0.5 - 0.25/6) + 3/2
    1.9583333333333333
    """
    a = np.abs(np.asarray(b, dtype=np.float64))
    if penalty == "mcp":
        inner = alpha * a - a**2 / (2 * gamma)
        return float(np.sum(np.where(a <= gamma * alpha, inner, gamma * alpha**2 / 2)))
    middle = (2 * gamma * alpha * a - a**2 - alpha**2) / (2 * (gamma - 1))
    return float(np.sum(np.where(a <= alpha, alpha * a,
                                 np.where(a <= gamma * alpha, middle, alpha**2 * (gamma + 1) / 2))))


def _float64(X):
    """``X`` in float64: a dense array, or CSC (column slices of the working sets stay cheap, never densified)."""
    if scipy.sparse.issparse(X):
        return scipy.sparse.csc_array(X, dtype=np.float64)
    return np.asarray(X, dtype=np.float64)


def _dense(G):
    """A Gram matrix (small: at most ``min(n, |W|)`` square) as a dense array."""
    return G.toarray() if scipy.sparse.issparse(G) else np.asarray(G)


def _lipschitz(X):
    """``lambda_max(X^T X) / n``: Lanczos on the Gram operator (float32 products) to ``1e-3`` (raised by ``1e-2`` relative, so that it
    bounds the exact value), or a dense eigensolve for small ``X``."""
    n, m = X.shape
    if m == 0:
        return 0.0
    if min(n, m) <= 200:
        G = _dense(X.T @ X if m <= n else X @ X.T)
        return float(scipy.linalg.eigvalsh(G, subset_by_index=[len(G) - 1, len(G) - 1])[0]) / n
    # Products in float32 (half the memory traffic); their rounding, ~1e-6 relative, is far below the margin.
    X32 = X.astype(np.float32)
    gram = scipy.sparse.linalg.LinearOperator(
        (m, m), matvec=lambda v: np.asarray(X32.T @ (X32 @ v.astype(np.float32)), dtype=np.float64), dtype=np.float64)
    top = scipy.sparse.linalg.eigsh(gram, k=1, which="LA", tol=1e-3, v0=np.ones(m), ncv=8,
                                  return_eigenvectors=False)
    return float(top[0]) * (1 + 1e-2) / n


def _solve(X, y, b, alpha, gamma, penalty, method, tol, max_iter, monitor, L_loss=None):
    """AG (or proximal gradient) on the columns of ``X`` from ``b``; returns ``(b, iterations, status)``.

    ``L_loss`` is ``lambda_max(X^T X) / n`` or an upper bound (that of a superset of the columns); computed
    when None."""
    n = X.shape[0]
    L_loss = _lipschitz(X) if L_loss is None else L_loss
    L = max(L_loss, 1.0 / (gamma - 1) if penalty == "scad" else 1.0 / gamma)
    step = 0.99 / L  # the paper's beta_k, constant
    ag, x = b.copy(), b.copy()
    md_old, dmd_old = None, np.inf
    alpha_k, since_restart = 1.0, 0
    scad, accelerate = int(penalty == "scad"), method == "ag"
    for k in range(1, max_iter + 1):
        md = ag.copy() if method == "pg" else (1 - alpha_k) * ag + alpha_k * x
        g_loss = -(X.T @ (y - X @ md)) / n
        # The elementwise rest (concave gradient, both proximal steps, the change of md) in one kernel pass.
        inf_change, dmd = prox_step(md, g_loss, ag, x, md if md_old is None else md_old, alpha, gamma, scad,
                                    step, step / alpha_k, accelerate)
        since_restart += 1
        if md_old is not None:
            if inf_change < tol:
                return ag, k, 0
            # Restart the momentum when the iterates' steps shrink (at least 3 iterations apart), as the paper's
            # code does: x joins ag and the weights start over.
            if method == "ag" and dmd < dmd_old and since_restart >= 3:
                alpha_k, x, since_restart = 1.0, ag.copy(), 0
                md_old, dmd_old = md, np.inf
                if monitor is not None and monitor.update(ag, step=dmd):
                    return ag, k, 2
                continue
            dmd_old = dmd
        md_old = md
        if method == "ag":
            alpha_k = 2.0 / (1.0 + np.sqrt(1.0 + 4.0 / alpha_k**2))
        if monitor is not None and monitor.update(ag, step=dmd_old):
            return ag, k, 2
    return ag, max_iter, 1


def _solve_gram(X, y, b, alpha, gamma, penalty, method, tol, max_iter, monitor):
    """:func:`_solve` through the kernel on the Gram matrix of the columns of ``X`` (for at most ``n`` columns):
    the same iterates, each ``O(|W| nnz(md))`` instead of ``O(n |W|)``."""
    n, m = X.shape
    G = np.ascontiguousarray(_dense(X.T @ X) / n)
    c = X.T @ y / n
    L_loss = float(scipy.linalg.eigvalsh(G, subset_by_index=[m - 1, m - 1])[0]) if m else 0.0
    L = max(L_loss, 1.0 / (gamma - 1) if penalty == "scad" else 1.0 / gamma)
    ag, x, md_old = b.copy(), b.copy(), np.zeros(m)
    state = np.array([1.0, np.inf, 0.0, 0.0])  # alpha_k, ||md_k - md_(k-1)||, since restart, md_old set
    # With a callback or a log the kernel advances one step at a time; otherwise it runs the whole loop.
    live = monitor is not None and (monitor.callback is not None or monitor.verbose)
    done = 0
    while done < max_iter:
        steps, converged = ag_steps(G, c, ag, x, md_old, state, alpha, gamma,
                                    int(penalty == "scad"), 0.99 / L, method == "ag", tol,
                                    1 if live else max_iter - done)
        done += steps
        if converged:
            return ag, done, 0
        if live and monitor.update(ag, step=float(state[1])):
            return ag, done, 2
    return ag, max_iter, 1


def _run(X, y, alpha, gamma, penalty, method, tol, max_iter, working_set, b, previous_alpha, monitor):
    """Strong rule, solve, KKT check, repeat: returns ``(b, iterations, status, KKT violations added)``."""
    n, p = X.shape
    r = y - X @ b
    score = np.abs(X.T @ r) / n
    if working_set:
        keep = (b != 0) | (score >= 2 * alpha - previous_alpha)  # sequential strong rule (Tibshirani et al.)
    else:
        keep = np.ones(p, dtype=bool)
    total, added = 0, 0
    L_screen = None  # the constant of the first screened set bounds those of its subsets
    while working_set and keep.sum() > SCREEN_SIZE and total < max_iter:
        # The strong rule keeps too much (alpha far below the previous level): rounds of a few AG steps make
        # the iterate sparse, and the set shrinks to its support and the features violating stationarity,
        # while that removes at least a tenth of it.
        W = np.flatnonzero(keep)
        X_W = X if len(W) == p else X[:, W]  # one copy of the columns per round, none for all of them
        L_screen = _lipschitz(X_W) if L_screen is None else L_screen
        b_W, iters, status = _solve(X_W, y, b[W], alpha, gamma, penalty, method, tol,
                                    min(SCREEN_STEPS, max_iter - total), monitor, L_screen)
        total += iters
        b = np.zeros(p)
        b[W] = b_W
        if status != 1:
            return b, total, status, added
        shrunk = (b != 0) | (np.abs(X.T @ (y - X @ b)) / n > alpha)
        if shrunk.sum() > 0.9 * keep.sum():
            keep = shrunk
            break
        keep = shrunk
    while total < max_iter:
        W = np.flatnonzero(keep)
        solve = _solve_gram if len(W) <= n else _solve
        b_W, iters, status = solve(X if len(W) == p else X[:, W], y, b[W], alpha, gamma, penalty, method, tol, max(max_iter - total, 1),
                                   monitor)
        total += iters
        b = np.zeros(p)
        b[W] = b_W
        if status != 0 or not working_set:
            return b, total, status, added
        # Stationarity of an excluded feature at 0 is |x_j^T r| / n <= alpha (q'(0) = 0).
        score = np.abs(X.T @ (y - X @ b)) / n
        violators = ~keep & (score > alpha * (1 + 1e-12))
        if not violators.any():
            return b, total, 0, added
        added += int(violators.sum())
        keep |= violators
    return b, total, 1, added


def _validate(X, y, penalty, alpha, gamma, method, tol, max_iter, working_set, verbose, callback, caller):
    check_params({"penalty": penalty, "alpha": alpha, "gamma": gamma, "method": method, "tol": tol,
                  "max_iter": max_iter, "working_set": working_set, "verbose": verbose}, _CONSTRAINTS, caller=caller)
    check_callable(callback, "callback")
    X = check_array(X, "X", ndim=2, accept_sparse=["csc", "csr", "coo"])
    y = check_vector(y, "y", size=X.shape[0])
    with np.errstate(over="ignore"):
        values = X.data if scipy.sparse.issparse(X) else X
        peak = max(float(values.max()), -float(values.min())) if values.size else 0.0
        if not np.isfinite(peak * peak * X.shape[0] * max(X.shape[1], 1)):
            raise ValueError("X is too large in magnitude: its Gram matrix X^T X overflows float64.")
    gamma = DEFAULT_GAMMA[penalty] if gamma is None else float(gamma)
    if penalty == "scad" and gamma <= 2:
        raise ValueError(f"gamma must be > 2 for SCAD (its 'a'); got {gamma}.")
    return X, y, gamma


def nonconvex_regression(X, y, *, penalty="mcp", alpha=1.0, gamma=None, method="ag", x0=None, tol=1e-8,
                         max_iter=5000, working_set=True, callback=None, verbose=0):
    """Least squares with an MCP or SCAD penalty by the accelerated gradient method for nonconvex penalties.

    Minimises ``(1 / 2n) ||y - X b||^2 + sum_j p(b_j)`` with ``p`` the MCP or SCAD penalty of level ``alpha``.

    Parameters
    ----------
    X : array-like or sparse array of shape (n_samples, n_features)
        Design matrix; sparse input stays sparse (CSC): only the Gram matrices of working sets of at most
        ``n_samples`` features are formed, dense.
    y : array-like of shape (n_samples,)
        Targets.
    penalty : {"mcp", "scad"}, default="mcp"
        The penalty.
    alpha : float >= 0, default=1.0
        The penalty level ``lambda``.
    gamma : float, optional
        MCP's ``gamma`` (default 3) or SCAD's ``a`` (default 3.7, must exceed 2).
    method : {"ag", "pg"}, default="ag"
        Accelerated gradient (the paper's method) or plain proximal gradient (the baseline).
    x0 : array-like of shape (n_features,), optional
        Starting point; by default the marginal regression coefficients ``x_j^T y / ||x_j||^2`` on the
        features the strong rule keeps, as the paper does.
    tol : float, default=1e-8
        Stop when ``||md_k - md_{k-1}||_inf < tol`` (the paper's rule; its simulations use ``1e-4``, which on
        correlated designs stops up to ``1e-5`` above the local minimum's objective, ``1e-6`` up to ``3e-11``:
        hence the tighter default, cheap on the working set's Gram matrix).
    max_iter : int, default=5000
        Maximum gradient evaluations, over all working sets.
    working_set : bool, default=True
        Solve on the features the sequential strong rule keeps, adding KKT violators until none is left.
    callback : callable, optional
        ``callback(bk)`` after every iteration; returning True stops the run (status 2).
    verbose : bool or int, default=0
        Log progress through the ``sparsekit`` logger.

    Returns
    -------
    Result
        ``x`` (coefficients), ``objective``, ``n_iter`` (gradient evaluations), ``n_active`` (nonzeros),
        ``kkt_added`` (features added by the KKT check), ``converged``, ``status``, ``message``.

    Raises
    ------
    ValueError
        For NaN or infinity, wrong shapes, ``gamma <= 2`` with SCAD.
    InvalidParameterError
        For an option out of its range.

    Notes
    -----
    **From the paper** (Yang, Asgharian & Bhatnagar, "Accelerated gradient methods for sparse statistical
    learning with nonconvex penalties", Statistics and Computing 2024; Ghadimi & Lan 2016): the split
    ``p = alpha |b| + q`` with ``q`` concave and smooth, the constant ``L = max(lambda_max(X^T X) / n, 1 / (a - 1))``
    (SCAD) or ``max(..., 1 / gamma)`` (MCP), steps ``beta_k = 0.99 / L``, ``alpha_1 = 1``, ``alpha_{k+1} = 2 /
    (1 + sqrt(1 + 4 / alpha_k^2))``, ``lambda_k = beta_k / alpha_k``; ``md = (1 - alpha_k) ag + alpha_k x``,
    ``x <- S(x - lambda_k g, lambda_k alpha)``, ``ag <- S(md - beta_k g, beta_k alpha)`` with ``g = grad f(md)``;
    the restart when ``||md_k - md_{k-1}||_2`` decreases, at least 3 iterations after the previous one; the
    stopping rule; the marginal-regression start; the sequential strong rule on paths.
    **Ours:** what a restart resets (``x <- ag``, ``alpha_k <- 1``: the paper's code is unclear), the strong
    rule for a single ``alpha`` (from ``alpha_max``), and the KKT check that adds excluded features with
    ``|x_j^T r| / n > alpha`` and solves again (the strong rule can drop a needed feature). Computes in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import nonconvex_regression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 50))
    >>> b = np.zeros(50); b[:3] = [2.0, -1.5, 1.0]
    >>> res = nonconvex_regression(X, X @ b + 0.1 * rng.standard_normal(100), penalty="mcp", alpha=0.1)
    >>> res.converged, np.flatnonzero(res.x).tolist(), bool(np.allclose(res.x[:3], b[:3], atol=0.05))
    (True, [0, 1, 2], True)
    """
    X, y, gamma = _validate(X, y, penalty, alpha, gamma, method, tol, max_iter, working_set, verbose, callback,
                            "nonconvex_regression")
    dtype = np.result_type(X.dtype, y.dtype)
    X, y = _float64(X), np.asarray(y, dtype=np.float64)
    n, p = X.shape
    Xty = X.T @ y
    alpha_max = float(np.abs(Xty).max()) / n if p else 0.0
    if x0 is None:
        norms = (np.asarray(X.multiply(X).sum(axis=0)).ravel() if scipy.sparse.issparse(X)
                 else np.einsum("ij,ij->j", X, X))
        keep = np.abs(Xty) / n >= (2 * alpha - alpha_max if working_set else -np.inf)
        b = np.where(keep & (norms > 0), Xty / np.where(norms > 0, norms, 1.0), 0.0)
    else:
        b = np.array(check_vector(x0, "x0", size=p), dtype=np.float64)
    with IterationMonitor("learn.nonconvex_regression", total=max_iter, verbose=verbose,
                          callback=callback) as monitor:
        b, n_iter, status, added = _run(X, y, alpha, gamma, penalty, method, tol, max_iter, working_set, b,
                                        alpha_max, monitor)
    objective = float(np.sum((y - X @ b) ** 2)) / (2 * n) + penalty_value(b, alpha, gamma, penalty)
    result = Result(x=b.astype(dtype, copy=False), objective=objective, n_iter=n_iter,
                    n_active=int(np.count_nonzero(b)), kkt_added=added)
    messages = {0: f"converged: ||md_k - md_(k-1)||_inf < {tol:g} after {n_iter} iterations",
                1: f"max_iter={max_iter} iterations reached", 2: f"stopped by the callback after {n_iter} iterations"}
    return end_run(result, caller="nonconvex_regression", status=status, message=messages[status])


def nonconvex_path(X, y, *, penalty="mcp", alphas=None, n_alphas=30, eps=1e-2, gamma=None, method="ag", tol=1e-8,
                   max_iter=5000, working_set=True, verbose=0):
    """MCP or SCAD solutions along decreasing ``alpha``, each warm-started from the previous one.

    Parameters
    ----------
    X : array-like or sparse array of shape (n_samples, n_features)
        Design matrix; sparse input stays sparse (CSC): only the Gram matrices of working sets of at most
        ``n_samples`` features are formed, dense.
    y : array-like of shape (n_samples,)
        Targets.
    penalty : {"mcp", "scad"}, default="mcp"
        The penalty.
    alphas : array-like, optional
        Penalty levels (sorted decreasing); by default ``n_alphas`` levels from ``alpha_max = ||X^T y||_inf / n``
        down to ``eps alpha_max``, log-spaced.
    n_alphas : int, default=30
        Number of levels when ``alphas`` is None.
    eps : float, default=1e-2
        Smallest level relative to ``alpha_max``.
    gamma : float, optional
        As in :func:`nonconvex_regression`.
    method : {"ag", "pg"}, default="ag"
        As in :func:`nonconvex_regression`.
    tol : float, default=1e-8
        As in :func:`nonconvex_regression`.
    max_iter : int, default=5000
        Maximum gradient evaluations per level.
    working_set : bool, default=True
        As in :func:`nonconvex_regression`.
    verbose : bool or int, default=0
        Log progress through the ``sparsekit`` logger.

    Returns
    -------
    Result
        ``alphas``, ``coefs`` (n_features, n_alphas), ``objectives``, ``n_iter`` (per level), ``converged``
        (all levels), ``status``, ``message``.

    Raises
    ------
    ValueError
        For bad input, as :func:`nonconvex_regression`.

    Notes
    -----
    The sequential strong rule (the paper's): at ``alpha_new``, feature ``j`` is left out when
    ``|x_j^T r(alpha_old)| / n < 2 alpha_new - alpha_old``; a KKT check then adds back any excluded feature
    with ``|x_j^T r| / n > alpha_new``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import nonconvex_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 50))
    >>> y = X[:, :3] @ np.array([2.0, -1.5, 1.0]) + 0.1 * rng.standard_normal(100)
    >>> path = nonconvex_path(X, y, penalty="scad", n_alphas=10)
    >>> path.coefs.shape, path.converged, int(np.sum(np.abs(path.coefs[:, 0]) > 1e-12))  # zero at alpha_max
    ((50, 10), True, 0)
    """
    check_params({"n_alphas": n_alphas, "eps": eps},
                 {"n_alphas": [Interval(Integral, 1, None, closed="left")],
                  "eps": [Interval(Real, 0, 1, closed="neither")]}, caller="nonconvex_path")
    X, y, gamma = _validate(X, y, penalty, 0.0, gamma, method, tol, max_iter, working_set, verbose, None,
                            "nonconvex_path")
    X, y = _float64(X), np.asarray(y, dtype=np.float64)
    n, p = X.shape
    alpha_max = float(np.abs(X.T @ y).max()) / n if p else 0.0
    if alphas is None:
        alphas = alpha_max * np.logspace(0, np.log10(eps), n_alphas)
    else:
        alphas = np.sort(check_vector(alphas, "alphas"))[::-1]
        if np.any(alphas < 0):
            raise ValueError("alphas must be nonnegative.")
    b, previous = np.zeros(p), alpha_max
    coefs, objectives, iterations, statuses = [], [], [], []
    for alpha in alphas:
        b, n_iter, status, _ = _run(X, y, float(alpha), gamma, penalty, method, tol, max_iter, working_set, b,
                                    previous, None)
        previous = float(alpha)
        coefs.append(b)
        objectives.append(float(np.sum((y - X @ b) ** 2)) / (2 * n) + penalty_value(b, alpha, gamma, penalty))
        iterations.append(n_iter)
        statuses.append(status)
    failed = [i for i, s in enumerate(statuses) if s != 0]
    result = Result(alphas=np.asarray(alphas), coefs=np.array(coefs).T.reshape(p, len(alphas)),
                    objectives=np.array(objectives), n_iter=np.array(iterations))
    status = 0 if not failed else 1
    message = (f"converged at all {len(alphas)} levels" if not failed
               else f"max_iter={max_iter} reached at {len(failed)} of {len(alphas)} levels")
    return end_run(result, caller="nonconvex_path", status=status, message=message)
