"""Online orthogonal dictionary learning: stochastic Frank–Wolfe with gradient averaging (Xue & Lau).

``online_orthogonal_dictionary_learning`` streams minibatches of rows from a NumPy or CuPy array, or from a Dask
array one chunk at a time (never the whole array in memory); the estimator lives in ``_online_dl_estimator.py``.
"""

import math
from numbers import Integral, Real

import numpy as np

from ..._core.backend import get_namespace
from ..._core.params import Interval, Options, validate_params
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_STOPPED, Result, end_run
from ..._core.validation import check_array
from ...linalg import polar
from ._orthogonal_dl import callback_stops, check_components, check_init, lp_gradient, rescaled, scale_exponent

__all__ = ["online_orthogonal_dictionary_learning"]

_STATE = ("iterate", "averaged_gradient", "n_steps", "scale_exponent")


def is_chunked(X):
    """Whether ``X`` is a Dask array (read chunk by chunk, never whole), recognised without importing Dask."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks") and hasattr(X, "compute")


def check_stream(X, name="X"):
    """``X`` validated: a Dask array is checked for its rank and dtype only (its chunks are checked when read)."""
    if not is_chunked(X):
        return check_array(X, name, ndim=2)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array; got a Dask array of {X.ndim} dimension(s).")
    if np.dtype(X.dtype).kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got a Dask array of dtype {X.dtype}.")
    if any(math.isnan(c) for c in X.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() first.")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {X.shape}.")
    return X


def minibatches(X, batch_size, name="X"):
    """Consecutive blocks of ``batch_size`` rows (the last may be shorter), the same for any chunking of ``X``.

    A Dask array is computed one row-chunk at a time; the rows left over at the end of a chunk are carried to the
    next one, so that the batches, and hence the dictionary, do not depend on where the chunks end.
    """
    if not is_chunked(X):
        for start in range(0, X.shape[0], batch_size):
            yield X[start:start + batch_size]
        return
    carry, start = None, 0
    for rows in X.chunks[0]:
        block = check_array(np.asarray(X[start:start + rows].compute()), name, ndim=2)
        start += rows
        if carry is not None:
            block = np.concatenate([carry, block.astype(carry.dtype, copy=False)])
        full = block.shape[0] - block.shape[0] % batch_size
        for begin in range(0, full, batch_size):
            yield block[begin:begin + batch_size]
        carry = block[full:] if full < block.shape[0] else None
    if carry is not None:
        yield carry


def step_sizes(t, variant):
    """Averaging weight ``rho_t`` (clipped to 1) and Frank–Wolfe step ``gamma_t`` of step ``t`` (from 1)."""
    if variant == "nonconvex":
        return min(1.0, 4.0 / math.sqrt(t + 1)), 2.0 / (t + 2) ** 0.75
    return min(1.0, 4.0 / (t + 8) ** (2.0 / 3.0)), 2.0 / (t + 8)


def frank_wolfe_step(A, G, t, batch, p, variant, polar_method, xp):
    """One step on one minibatch: ``(A, G, relative Frank–Wolfe gap, minibatch objective)``."""
    W, total = lp_gradient(batch @ A.T, p, xp)
    rho, gamma = step_sizes(t, variant)
    G = (1.0 - rho) * G + (rho / batch.shape[0]) * (W.T @ batch)
    if not bool(xp.any(G)):  # all-zero data so far: every point is stationary
        return A, G, 0.0, 0.0
    S = polar(G, method=polar_method)
    linear = float(xp.vdot(G.ravel(), S.ravel()))
    gap = (linear - float(xp.vdot(G.ravel(), A.ravel()))) / linear
    A = (1.0 - gamma) * A + gamma * S
    if variant == "nonconvex":
        A = polar(A, method=polar_method)
    return A, G, gap, total / (p * batch.shape[0])


def _start(X, init, n_components, xp, rng, p):
    """The state ``(A, G, t, exponent)``: fresh, or continued from a previous run's Result."""
    n_features = X.shape[1]
    dtype = np.dtype(X.dtype) if np.dtype(X.dtype).kind == "f" else np.dtype(np.float64)
    if isinstance(init, Result):
        missing = [name for name in _STATE if name not in init]
        if missing:
            raise ValueError(f"init: a Result to continue from must hold {', '.join(_STATE)}; missing {missing}.")
        A = init["iterate"]
        if A.shape[1] != n_features:
            raise ValueError(f"X has {n_features} features but the run continued (init) has {A.shape[1]}.")
        return A.astype(dtype, copy=False), init["averaged_gradient"].astype(dtype, copy=False), \
            int(init["n_steps"]), int(init["scale_exponent"])
    n_components = check_components(n_components, n_features)
    A = check_init(init, n_components, n_features, dtype, xp, rng)
    return A, xp.zeros_like(A), 0, None


@validate_params({
    "n_components": [Interval(Integral, 1, None, closed="left"), None],
    "p": [Interval(Real, 2, None, closed="neither")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "variant": [Options({"nonconvex", "convex"})],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "init": [Options({"random"}), Result, "array-like"],
    "random_state": ["random_state"],
    "callback": ["callable", None],
    "polar_method": [Options({"svd", "newton-schulz"})],
})
def online_orthogonal_dictionary_learning(X, n_components=None, *, p=3, batch_size=100, variant="nonconvex",
                                          max_iter=1, tol=None, init="random", random_state=None, callback=None,
                                          polar_method="svd"):
    """Online orthogonal dictionary learning by stochastic Frank–Wolfe on minibatches (Xue & Lau).

    Maximises ``E[(1/p) ||A x||_p^p]`` over dictionaries ``A`` with orthonormal rows from a stream of samples,
    one minibatch at a time, in constant memory: the streaming counterpart of
    :func:`orthogonal_dictionary_learning`.

    Parameters
    ----------
    X : array-like or dask.array.Array of shape (n_samples, n_features)
        Samples, one per row, read in order (shuffle beforehand if they are not exchangeable). A Dask array is
        computed one row-chunk at a time and never held whole; NumPy and CuPy arrays are sliced. float32 is kept.
        Not modified.
    n_components : int, optional
        Number of atoms, at most ``n_features``; ``n_features`` by default. Ignored when continuing a run.
    p : float > 2, default=3
        The norm maximised (the paper uses 3).
    batch_size : int, default=100
        Rows per minibatch (the last one of a pass may be shorter).
    variant : {"nonconvex", "convex"}, default="nonconvex"
        ``"nonconvex"``: each step is projected back onto the orthogonal group (NoncvxSFW). ``"convex"``: the
        iterate stays in the spectral-norm unit ball, the convex hull of the orthogonal group (SFW); its polar
        factor is returned as ``components``.
    max_iter : int, default=1
        Passes over ``X`` (the paper does one).
    tol : float, optional
        Stop as soon as the relative Frank–Wolfe gap ``(<G, S> - <G, A>) / <G, S>`` falls to ``tol``; the run is
        then converged, and not converged if the passes end first. ``None`` (default): no early stop, and the run
        counts as converged after its ``max_iter`` passes (the paper's fixed budget).
    init : "random", array-like of shape (n_components, n_features) or Result, default="random"
        Start from a Haar-random orthonormal matrix, from the polar factor of an array, or continue the stream of
        a previous call's Result (its iterate, averaged gradient, step count and scaling): this is ``partial_fit``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the random start.
    callback : callable, optional
        ``callback(A)`` after each minibatch with the current iterate; returning True (or raising StopIteration)
        stops the run (status 2, no warning).
    polar_method : {"svd", "newton-schulz"}, default="svd"
        How :func:`sparsekit.linalg.polar` computes the oracle and the projection.

    Returns
    -------
    Result
        ``components``: the dictionary (orthonormal rows); ``iterate``: the Frank–Wolfe iterate (``components``
        itself for the non-convex variant); ``averaged_gradient``; ``n_steps``: minibatches processed in all, this
        run and those it continues; ``n_iter``: minibatches of this run; ``gap`` and ``objective``: the relative
        Frank–Wolfe gap and the minibatch objective ``(1/(p b)) ||X_b A^T||_p^p`` per minibatch (float64 NumPy);
        ``scale_exponent``: the power of two the samples are multiplied by (0 unless their scale is extreme);
        ``converged``, ``status``, ``message``.

    Raises
    ------
    ValueError
        If ``X`` is not a finite non-empty 2-D array (a Dask chunk holding NaN raises when it is read),
        ``n_components > n_features``, or ``init`` does not fit ``X``.
    TypeError
        If ``X`` is sparse or not numeric.

    See Also
    --------
    OnlineOrthogonalDictionaryLearning : The estimator (``partial_fit``, Dask ``fit``).
    orthogonal_dictionary_learning : The batch method, for data that fit in memory.

    Notes
    -----
    Step ``t`` on minibatch ``X_t`` (``b`` rows), from Y. Xue and V. Lau, "Online orthogonal dictionary learning
    based on Frank–Wolfe method", arXiv:2103.01484 (2021), and their code (``yokoxue/Online-ODL``, ``ODL.py``):

    1. ``g_t = (1/b) (sign(Z) |Z|^(p-1))^T X_t`` with ``Z = X_t A^T`` (the minibatch gradient);
    2. ``G_t = (1 - rho_t) G_{t-1} + rho_t g_t`` (gradient averaging);
    3. ``S_t = polar(G_t)``, the linear maximisation oracle over the spectral-norm ball;
    4. ``A <- (1 - gamma_t) A + gamma_t S_t``;
    5. non-convex variant only: ``A <- polar(A)``.

    Steps: non-convex ``rho_t = 4 / (t+1)^(1/2)``, ``gamma_t = 2 / (t+2)^(3/4)``; convex
    ``rho_t = 4 / (t+8)^(2/3)``, ``gamma_t = 2 / (t+8)``. Our change: ``rho_t`` is clipped to 1 (the reference
    code lets it exceed 1 for the first steps, which gives the averaged gradient negative weights); the gap and
    the optional tolerance on it are ours (the paper stops after one pass). The scale of the samples is fixed at
    the first minibatch (a power of two, exact) so that averaged gradients of all minibatches are comparable.

    Examples
    --------
    >>> from sparsekit.datasets import make_sparse_coding
    >>> from sparsekit.learn.decomposition import dictionary_error, online_orthogonal_dictionary_learning
    >>> X, D, codes = make_sparse_coding(20000, 10, random_state=0)
    >>> result = online_orthogonal_dictionary_learning(X, batch_size=100, random_state=0)
    >>> result.n_iter, dictionary_error(result.components, D) < 5e-3
    (200, True)
    """
    X = check_stream(X)
    xp = np if is_chunked(X) else get_namespace(X=X)
    rng = check_random_state(random_state)
    A, G, t, exponent = _start(X, init, n_components, xp, rng, p)
    gaps, objective = [], []
    if tol is None:
        status, message = STATUS_CONVERGED, f"completed {max_iter} pass(es) over the data"
    else:
        status, message = STATUS_MAX_ITER, f"the Frank–Wolfe gap stayed above tol={tol:.3g} for {max_iter} pass(es)"
    stop = False
    for _ in range(max_iter):
        for batch in minibatches(X, batch_size):
            if exponent is None:
                exponent = scale_exponent(batch, p, xp)
            t += 1
            A, G, gap, value = frank_wolfe_step(A, G, t, rescaled(batch, exponent).astype(A.dtype, copy=False),
                                                p, variant, polar_method, xp)
            gaps.append(gap)
            objective.append(value)
            if tol is not None and gap <= tol:
                status, message, stop = STATUS_CONVERGED, f"the Frank–Wolfe gap fell below tol={tol:.3g}", True
            elif callback is not None and callback_stops(callback, A):
                status, message, stop = STATUS_STOPPED, "stopped by the callback", True
            if stop:
                break
        if stop:
            break
    components = A if variant == "nonconvex" else polar(A, method=polar_method)
    result = Result(components=components, iterate=A, averaged_gradient=G, n_steps=t, n_iter=len(gaps),
                    gap=np.asarray(gaps), objective=np.asarray(objective), scale_exponent=int(exponent or 0))
    return end_run(result, caller="online_orthogonal_dictionary_learning", status=status, message=message)

