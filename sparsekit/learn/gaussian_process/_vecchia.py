"""Vecchia (sparse inverse-Cholesky) Gaussian-process computations: the factor, the likelihood, prediction."""

from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse
from sklearn.gaussian_process import kernels

from ..._core.params import Interval, check_params
from ..._core.progress import IterationMonitor
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_STOPPED, Result, end_run
from ..._core.validation import check_array, check_vector
from ._factor_kernels import RADIAL_CODES, kl_factor_columns
from ._fused_kernels import radial_conditionals
from ._kernel_blocks import affine_form, block_kernel, length_scale_of, weighted_gradient
from ._ordering import maximin_ordering, unit_scaled
from ._ordering_kernels import earlier_neighbors_kernel

__all__ = ["sparse_inverse_cholesky"]

#: ``rho`` of the radius rule: ``None`` or a real at least 1 (below 1 even the nearest earlier point is excluded).
RHO_CONSTRAINT = [Interval(Real, 1, None, closed="left"), None]

#: Largest number of block entries times features (or hyperparameters) held at once.
_CHUNK_ENTRIES = 1 << 22


def check_kernel(kernel, name="kernel"):
    """Raise TypeError unless ``kernel`` is a scikit-learn kernel object."""
    if not isinstance(kernel, kernels.Kernel):
        raise TypeError(
            f"{name} must be a sklearn.gaussian_process.kernels.Kernel (e.g. Matern() + WhiteKernel()); "
            f"got {type(kernel).__name__}."
        )
    return kernel


def check_training_data(X, y, kernel, *, caller):
    """``(X, y, kernel)`` of a Vecchia fit: float64 arrays of at least 2 rows and 1 column, a fresh kernel copy."""
    kernel = check_kernel(kernel).clone_with_theta(kernel.theta)
    X = np.asarray(check_array(X, "X", ndim=2, dtype="float"), dtype=np.float64)
    n = X.shape[0]
    y = np.asarray(check_vector(y, "y", size=n, dtype="float"), dtype=np.float64)
    if n < 2 or X.shape[1] == 0:
        raise ValueError(f"{caller}: X must have at least 2 rows and 1 column; got shape {X.shape}.")
    return X, y, kernel


def fit_hyperparameters(kernel, loss, *, jac, n, caller, metric, max_iter, verbose, callback, options=None):
    """Minimise ``loss(theta)`` (the negative log likelihood or evidence over ``n``) by L-BFGS-B in the kernel's bounds.

    Returns ``(kernel, history, n_iter, status, message)``: the kernel at the optimum, the maximised quantity per
    iteration (``-loss * n``, logged as ``metric``), and the run's status for :func:`end_run`. The user's
    ``callback(theta, value)`` can stop the run (status 2).
    """
    history, stopped = [], []
    with IterationMonitor(caller, total=max_iter, verbose=verbose, callback=callback) as monitor:

        def step(intermediate_result):
            history.append(-float(intermediate_result.fun) * n)
            if monitor.update(intermediate_result.x, history[-1], **{metric: history[-1]}):
                stopped.append(True)
                raise StopIteration

        with np.errstate(over="ignore", under="ignore"):
            opt = scipy.optimize.minimize(loss, kernel.theta, jac=jac, method="L-BFGS-B", bounds=kernel.bounds,
                                          callback=step, options={"maxiter": max_iter, **(options or {})})
        if stopped:
            status, message = STATUS_STOPPED, "stopped by the callback"
        elif not opt.success:
            status, message = STATUS_MAX_ITER, f"L-BFGS-B did not converge in {max_iter} iterations: {opt.message}"
        else:
            status, message = STATUS_CONVERGED, "L-BFGS-B converged"
        monitor.close(message)
    return kernel.clone_with_theta(opt.x), history, int(opt.nit), status, message


def _chunks(n, m, width):
    step = max(1, _CHUNK_ENTRIES // (m * m * max(width, 1)))
    return [slice(s, min(n, s + step)) for s in range(0, n, step)]


def Xb_of(X_train, neighbors, Q):
    """The points of the blocks ``(x_c1..x_ck, q)`` (padding slots hold ``X_train[0]``)."""
    k = neighbors.shape[1]
    Xb = np.empty((neighbors.shape[0], k + 1, X_train.shape[1]))
    Xb[:, :k] = X_train[np.where(neighbors >= 0, neighbors, 0)]
    Xb[:, k] = Q
    return Xb


def gather_blocks(X_train, neighbors, Q, alpha, kernel, y_train=None, *, nugget_last=True, cache=None):
    """Kernel blocks ``(x_c1..x_ck, q)`` for the rows ``Q`` conditioned on ``X_train[neighbors]``.

    Returns ``K`` (with ``alpha`` on the diagonal of the training entries, and of the last one when
    ``nugget_last``; an array ``alpha`` gives one value per training point, none on the last entry), the
    responses ``Y`` (0 in the last slot) and the valid mask; ``cache`` as for :func:`block_kernel`.
    """
    n_q, k = neighbors.shape
    m = k + 1
    valid = np.ones((n_q, m), dtype=bool)
    valid[:, :k] = neighbors >= 0
    safe = np.where(neighbors >= 0, neighbors, 0)
    Xb = Xb_of(X_train, neighbors, Q)
    K = block_kernel(kernel, Xb, valid, cache=cache)
    if np.ndim(alpha):  # one noise variance per training point (the Laplace pseudo-observations)
        diagonal = np.zeros((n_q, m))
        diagonal[:, :k] = np.where(valid[:, :k], alpha[safe], 0.0)
    else:
        diagonal = np.where(valid, alpha, 0.0)
    if not nugget_last:
        diagonal[:, k] = 0.0
    K[:, np.arange(m), np.arange(m)] += diagonal
    Y = np.zeros((n_q, m))
    if y_train is not None:
        Y[:, :k] = np.where(neighbors >= 0, y_train[safe], 0.0)
    return K, Y, valid


def _check_jitter(jitter, caller):
    if not np.all(np.isfinite(jitter)):
        raise ValueError(
            f"{caller}: a kernel block is not positive definite even with 1e-2 times its mean diagonal added; "
            "the kernel's hyperparameters are degenerate (e.g. zero amplitude)."
        )


def fused_form(kernel, alpha, n_features):
    """``(code, amplitude, noise, inv_scale)`` when :func:`radial_conditionals` can evaluate ``kernel`` with a
    scalar ``alpha`` (``c * Matern/RBF + WhiteKernel``), else None (the general block path)."""
    form = affine_form(kernel) if np.ndim(alpha) == 0 else None
    if form is None or form[1] is None:
        return None
    amplitude, radial, noise = form
    nu = float(radial.nu) if isinstance(radial, kernels.Matern) else np.inf
    inv_scale = np.broadcast_to(1.0 / np.asarray(radial.length_scale, dtype=np.float64), (n_features,))
    return RADIAL_CODES[nu], amplitude, noise, inv_scale


def vecchia_loglik(X, y, kernel, neighbors, alpha, *, eval_gradient=False):
    """Vecchia log-likelihood ``Σ_i log N(y_i | y_c(i))`` and its gradient in ``kernel.theta``.

    With ``u = L⁻ᵀe`` (the factor's column), ``z = uᵀy_b`` and ``a = K_cc⁻¹y_c`` (zero-padded), the term is
    ``log u_last - z²/2 - log(2π)/2`` and its derivative in ``θ_p`` is ``z aᵀ G_p u + (z² - 1) uᵀ G_p u / 2``
    (``K⁻¹ - pad(K_cc⁻¹) = uuᵀ`` and ``K⁻¹y = pad(a) + z u``).
    """
    n, k = neighbors.shape
    fused = None if eval_gradient else fused_form(kernel, alpha, X.shape[1])
    if fused is not None:
        code, amplitude, noise, inv_scale = fused
        Xs = X * inv_scale
        mean, var, jitter = radial_conditionals(Xs, y, Xs, neighbors, code, amplitude, noise, float(alpha),
                                                float(alpha))
        _check_jitter(jitter, "vecchia")
        total = -0.5 * float(np.sum(np.log(var) + (y - mean) ** 2 / var)) - 0.5 * n * np.log(2.0 * np.pi)
        return total, float(jitter.max())
    total, gradient, max_jitter = 0.0, np.zeros(kernel.theta.size), 0.0
    for part in _chunks(n, k + 1, X.shape[1]):
        cache = {} if eval_gradient else None
        K, Y, valid = gather_blocks(X, neighbors[part], X[part], alpha, kernel, y, cache=cache)
        Y[:, k] = y[part]
        u, a, jitter = kl_factor_columns(K, Y)
        _check_jitter(jitter, "vecchia")
        max_jitter = max(max_jitter, float(jitter.max()))
        z = np.einsum("nm,nm->n", u, Y)
        total += float(np.sum(np.log(u[:, k])) - 0.5 * np.sum(z * z))
        if eval_gradient:
            # d/dθ = Σ W ∘ dK/dθ with W = z (a uᵀ + u aᵀ) / 2 + (z² - 1) u uᵀ / 2 (zero on padding)
            za = z[:, None] * a
            W = 0.5 * (za[:, :, None] * u[:, None, :] + u[:, :, None] * za[:, None, :])
            W += 0.5 * (z * z - 1.0)[:, None, None] * (u[:, :, None] * u[:, None, :])
            gradient += weighted_gradient(kernel, Xb_of(X, neighbors[part], X[part]), valid, W, cache)
    total -= 0.5 * n * np.log(2.0 * np.pi)
    return (total, gradient, max_jitter) if eval_gradient else (total, max_jitter)


def order_and_neighbors(X, kernel, n_neighbors, rho=None):
    """Maximin order of the length-scaled ``X`` and the nearest earlier neighbours (in those scaled units).

    With ``rho``, point ``i`` conditions only on earlier points within ``rho * l_i`` of it, ``l_i`` its maximin
    distance (its distance to the points before it), at most ``n_neighbors`` of them, the nearest.
    """
    scale = length_scale_of(kernel, X.shape[1])
    scaled, _ = unit_scaled(X / scale if scale is not None else X)
    order, distances = maximin_ordering(scaled)
    n = X.shape[0]
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    radius2 = np.full(n, np.inf)
    if rho is not None:
        radius2[order] = (rho * distances) ** 2
        radius2[order[0]] = 0.0  # the first point has no earlier one
    neighbors, _ = earlier_neighbors_kernel(scaled, rank, scaled, rank, min(n_neighbors, max(n - 1, 1)), radius2)
    return order, neighbors


def conditional(X_train, y_train, kernel, Q, n_neighbors, alpha, *, weights=False):
    """Mean and variance of ``y(q)`` given the ``n_neighbors`` nearest training responses, for each row of ``Q``.

    ``alpha`` is a scalar or one noise variance per training point; the variance returned has no noise added
    for ``q`` beyond what ``kernel.diag`` holds.
    """
    scale = length_scale_of(kernel, X_train.shape[1])
    scale = np.ones(X_train.shape[1]) if scale is None else scale
    exponent = unit_scaled(np.concatenate((X_train / scale, Q / scale)))[1]
    scaled, q_scaled = np.ldexp(X_train / scale, exponent), np.ldexp(Q / scale, exponent)
    n = X_train.shape[0]
    k = min(n_neighbors, n)
    neighbors, _ = earlier_neighbors_kernel(
        scaled, np.zeros(n, np.int64), q_scaled, np.ones(Q.shape[0], np.int64), k, np.full(Q.shape[0], np.inf)
    )
    fused = None if weights else fused_form(kernel, alpha, X_train.shape[1])
    if fused is not None:
        code, amplitude, noise, inv_scale = fused
        mean, var, jitter = radial_conditionals(X_train * inv_scale, y_train, Q * inv_scale, neighbors, code,
                                                amplitude, noise, float(alpha), 0.0)
        _check_jitter(jitter, "predict")
        return mean, var, neighbors
    mean, var, b = np.empty(Q.shape[0]), np.empty(Q.shape[0]), np.empty((Q.shape[0], k))
    for part in _chunks(Q.shape[0], k + 1, X_train.shape[1]):
        K, Y, valid = gather_blocks(X_train, neighbors[part], Q[part], alpha, kernel, y_train, nugget_last=False)
        u, _, jitter = kl_factor_columns(K, Y)
        _check_jitter(jitter, "predict")
        last = u[:, k]
        b[part] = np.where(valid[:, :k], -u[:, :k] / last[:, None], 0.0)
        mean[part] = np.einsum("nm,nm->n", b[part], Y[:, :k])
        var[part] = 1.0 / (last * last)
    return (mean, var, neighbors, b) if weights else (mean, var, neighbors)


def factor_on(X, neighbors, kernel, alpha, caller):
    """The KL-optimal factor ``U`` (CSC, sorted indices) on the conditioning sets ``neighbors``, and its jitter."""
    n, k = neighbors.shape
    columns = np.empty((n, k + 1))
    max_jitter = 0.0
    for part in _chunks(n, k + 1, X.shape[1]):
        K, Y, _ = gather_blocks(X, neighbors[part], X[part], alpha, kernel)
        u, _, jitter = kl_factor_columns(K, Y)
        _check_jitter(jitter, caller)
        columns[part] = u
        max_jitter = max(max_jitter, float(jitter.max()))
    rows = np.concatenate((neighbors, np.arange(n)[:, None]), axis=1)
    keep = rows >= 0
    indptr = np.concatenate(([0], np.cumsum(keep.sum(axis=1))))
    U = scipy.sparse.csc_array((columns[keep], rows[keep], indptr), shape=(n, n))
    U.sort_indices()
    return U, max_jitter


def sparse_inverse_cholesky(X, kernel, *, n_neighbors=30, rho=None, alpha=1e-10):
    """KL-optimal sparse inverse-Cholesky factor ``U`` of a kernel matrix, ``U Uᵀ ≈ K(X, X)⁻¹``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The points.
    kernel : sklearn.gaussian_process.kernels.Kernel
        The covariance function, a scikit-learn kernel object (its current hyperparameters are used).
    n_neighbors : int, default=30
        Conditioning-set size: column ``i`` has ``min(rank, n_neighbors) + 1`` nonzeros (at most, with ``rho``).
    rho : float >= 1, optional
        The radius rule of Schäfer, Katzfuss and Owhadi: point ``i`` conditions on the earlier points within
        ``rho * l_i`` of it (``l_i`` its maximin distance, in length-scaled units), the ``n_neighbors`` nearest
        of them. ``None``: the ``n_neighbors`` nearest earlier points, whatever their distance.
    alpha : float, default=1e-10
        Added to the diagonal of ``K`` (as in scikit-learn's ``GaussianProcessRegressor``).

    Returns
    -------
    Result
        ``U`` (scipy.sparse CSC array, rows and columns in the order of ``X``: upper triangular once permuted by
        ``order``), ``order`` (the maximin ordering of the length-scaled points), ``neighbors``
        (``(n_samples, n_neighbors)``, ``-1``-padded), ``jitter`` (the largest diagonal jitter a block needed,
        0 unless duplicated inputs made one singular), ``n_iter`` (0: a direct method),
        ``converged``/``status``/``message``.

    Raises
    ------
    ValueError
        NaN or infinite ``X``, an empty ``X``, ``n_neighbors < 1``, ``rho < 1``, negative ``alpha``, a kernel
        whose blocks are not positive definite even with jitter.
    TypeError
        ``kernel`` not a scikit-learn kernel; complex or non-numeric ``X``.

    Notes
    -----
    The points are ordered maximin on ``X / length_scale`` (the length scales of the kernel's first RBF, Matern
    or RationalQuadratic part) and each conditions on its ``n_neighbors`` nearest earlier points ``c(i)``. The
    column minimising ``KL(N(0, K) ‖ N(0, (U Uᵀ)⁻¹))`` over this pattern is (Schäfer, Katzfuss and Owhadi [1]_)
    ``U[s_i, i] = K_ss⁻¹ e / sqrt(eᵀ K_ss⁻¹ e)`` with ``s_i = c(i) ∪ {i}`` and ``e`` the unit vector of ``i``:
    computed as ``L⁻ᵀe`` from the Cholesky factor ``L`` of the block with ``i`` last. ``U Uᵀ`` is then the
    precision of the Vecchia approximation ``Π_i p(x_i | x_c(i))``. A block that is not numerically positive
    definite (duplicated inputs without a noise term) is retried with ``1e-10, 1e-8, ..., 1e-2`` times its
    mean diagonal added (the jitter is reported).

    With ``rho`` the pattern is the paper's: ``c(i)`` is the set of earlier points within ``rho * l_i`` of
    ``x_i``, ``l_i`` the distance of ``x_i`` to the points ordered before it (in maximin order; the paper's
    reverse ordering read backwards), so that the sets stay small where the points are dense late in the
    ordering; for kernels that are Green's functions of elliptic operators (the Matérn family) [1]_ prove that
    the KL error decays exponentially in ``rho``. Our interpretation: the paper takes all such points; we keep
    at most the ``n_neighbors`` nearest of them, which bounds the cost of a column at ``O(n_neighbors³)``, and
    ``l_i`` is measured, as the ordering, in the kernel's length-scaled units.

    References
    ----------
    .. [1] F. Schäfer, M. Katzfuss and H. Owhadi, "Sparse Cholesky factorization by Kullback–Leibler
       minimization", SIAM J. Sci. Comput. 43(3), 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.gaussian_process.kernels import Matern
    >>> from sparsekit.learn.gaussian_process import sparse_inverse_cholesky
    >>> X = np.random.default_rng(0).random((200, 2))
    >>> res = sparse_inverse_cholesky(X, Matern(0.3, nu=1.5), n_neighbors=10)
    >>> res.U.shape, res.U.nnz
    ((200, 200), 2145)
    >>> K = Matern(0.3, nu=1.5)(X)
    >>> exact = np.linalg.slogdet(K)[1]
    >>> approx = -2 * np.log(res.U.diagonal()).sum()
    >>> bool(abs(approx - exact) < 0.05 * abs(exact))
    True
    >>> sparse_inverse_cholesky(X, Matern(0.3, nu=1.5), n_neighbors=10, rho=3.0).U.nnz  # the radius rule
    1425
    """
    check_params({"n_neighbors": n_neighbors, "rho": rho, "alpha": alpha},
                 {"n_neighbors": [Interval(Integral, 1, None, closed="left")], "rho": RHO_CONSTRAINT,
                  "alpha": [Interval(Real, 0, None, closed="left")]}, caller="sparse_inverse_cholesky")
    check_kernel(kernel)
    X = np.asarray(check_array(X, "X", ndim=2, dtype="float"), dtype=np.float64)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"sparse_inverse_cholesky: X must have at least one row and one column; got {X.shape}.")
    order, neighbors = order_and_neighbors(X, kernel, n_neighbors, rho)
    U, max_jitter = factor_on(X, neighbors, kernel, float(alpha), "sparse_inverse_cholesky")
    result = Result(U=U, order=order, neighbors=neighbors, jitter=max_jitter, n_iter=0)
    return end_run(result, caller="sparse_inverse_cholesky", status=STATUS_CONVERGED,
                   message="factor computed column by column", check=("jitter",))
