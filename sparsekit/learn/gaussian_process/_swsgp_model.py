"""Sparse-within-sparse GP (SWSGP) model pieces: neighbourhoods, the factor's pattern, the ELBO and its gradient.

Each point ``x`` conditions on its ``H`` nearest inducing inputs ``Z[h(x)]`` (nearest in the kernel's
length-scaled metric of the start of the fit, ``h`` sorted increasingly). The variational posterior is
``q(u) = N(m, L Lᵀ)`` with ``L`` lower triangular and, as in the public reimplementation of Tran et al., the
covariance of a neighbourhood is taken from the sub-factor ``L[h, h]`` (lower triangular since ``h`` is sorted):
``q(u_h) = N(m_h, L_hh L_hhᵀ)``. Only the entries of ``L`` that appear in some training neighbourhood exist
(the *pattern*, a sorted array of keys ``a * M + b`` with ``a >= b``); the diagonal is stored as its logarithm.
"""

import numpy as np
from sklearn.gaussian_process import kernels

from ._kernel_blocks import block_kernel, length_scale_of, weighted_gradient
from ._ordering import unit_scaled
from ._ordering_kernels import earlier_neighbors_kernel

#: Largest number of points whose ``(H+1) x (H+1)`` blocks are held at once outside the training loop.
_CHUNK_ENTRIES = 1 << 21


def split_noise(kernel):
    """``(latent, white, white_first)``: the kernel ``latent + WhiteKernel`` split into its two terms.

    The top-level ``WhiteKernel`` term (either side of the sum) is the Gaussian likelihood's noise; ``white`` is
    None when there is none, and ``latent`` is then the whole kernel.
    """
    if isinstance(kernel, kernels.Sum):
        if isinstance(kernel.k2, kernels.WhiteKernel):
            return kernel.k1, kernel.k2, False
        if isinstance(kernel.k1, kernels.WhiteKernel):
            return kernel.k2, kernel.k1, True
    return kernel, None, False


def join_theta(latent_part, white_part, white_first):
    """``kernel.theta``-ordered concatenation of the latent kernel's and the noise's entries."""
    return np.concatenate((white_part, latent_part) if white_first else (latent_part, white_part))


def metric_scale(kernel, n_features):
    """Per-feature length scales of the neighbour metric (ones when the kernel has none)."""
    scale = length_scale_of(kernel, n_features)
    return np.ones(n_features) if scale is None else scale


def nearest_inducing(Z, Q, scale, n_neighbors):
    """``(len(Q), H)`` indices of the nearest rows of ``Z`` in the metric ``x / scale``, sorted increasingly."""
    exponent = unit_scaled(np.concatenate((Z / scale, Q / scale)))[1]
    Zs, Qs = np.ldexp(Z / scale, exponent), np.ldexp(Q / scale, exponent)
    neighbors, _ = earlier_neighbors_kernel(np.ascontiguousarray(Zs), np.zeros(Z.shape[0], np.int64),
                                            np.ascontiguousarray(Qs), np.ones(Q.shape[0], np.int64), n_neighbors,
                                            np.full(Q.shape[0], np.inf))
    return np.sort(neighbors, axis=1)


def lower_pairs(n_neighbors):
    """Row and column positions of the lower triangle (diagonal included) of an ``H x H`` block."""
    return np.tril_indices(n_neighbors)


def pattern_of(neighbors, n_inducing):
    """Sorted keys ``a * M + b`` (``a >= b``) of the factor's entries: every diagonal, and every pair of a row."""
    rows, cols = lower_pairs(neighbors.shape[1])
    keys = neighbors[:, rows].astype(np.int64) * n_inducing + neighbors[:, cols]
    diagonal = np.arange(n_inducing, dtype=np.int64) * (n_inducing + 1)
    return np.unique(np.concatenate((keys.ravel(), diagonal)))


def pattern_index(pattern, neighbors, n_inducing):
    """Position in ``pattern`` of each lower entry of each neighbourhood block (``-1`` where absent)."""
    rows, cols = lower_pairs(neighbors.shape[1])
    keys = neighbors[:, rows].astype(np.int64) * n_inducing + neighbors[:, cols]
    where = np.minimum(np.searchsorted(pattern, keys), pattern.size - 1)
    return np.where(pattern[where] == keys, where, -1).astype(np.int64)


def factor_values(raw, is_diagonal):
    """Entries of ``L`` from the stored parameters (the diagonal stored as its logarithm)."""
    return np.where(is_diagonal, np.exp(np.where(is_diagonal, raw, 0.0)), raw)


def gather_factor(values, index, n_neighbors, *, log_diagonal=False):
    """The sub-factors ``L_hh``, shape ``(B, H, H)``, lower triangular (zero where the pattern has no entry).

    With ``log_diagonal``, ``values`` are the stored parameters (diagonal as its logarithm).
    """
    rows, cols = lower_pairs(n_neighbors)
    L = np.zeros((index.shape[0], n_neighbors, n_neighbors))
    L[:, rows, cols] = np.where(index >= 0, values[np.maximum(index, 0)], 0.0)
    if log_diagonal:
        diagonal = np.arange(n_neighbors)
        L[:, diagonal, diagonal] = np.exp(L[:, diagonal, diagonal])
    return L


def local_blocks(latent, Z, neighbors, Q, jitter, *, cache=None):
    """Kernel blocks of ``(Z[h], q)``: ``Xb``, ``K_hh`` (plus ``jitter``), ``k_hq``, ``k(q, q)`` and ``K_hh⁻¹``.

    Raises ValueError when a block is not positive definite (degenerate hyperparameters).
    """
    n_q, H = neighbors.shape
    Xb = np.empty((n_q, H + 1, Z.shape[1]))
    Xb[:, :H] = Z[neighbors]
    Xb[:, H] = Q
    valid = np.ones((n_q, H + 1), dtype=bool)
    K = block_kernel(latent, Xb, valid, cache=cache)
    K_hh = K[:, :H, :H] + jitter * np.eye(H)
    try:
        chol = np.linalg.cholesky(K_hh)
    except np.linalg.LinAlgError:
        raise ValueError("swsgp: a kernel block of the inducing inputs is not positive definite; the kernel's "
                         "hyperparameters are degenerate (e.g. zero amplitude or zero length scale).") from None
    K_inv = np.linalg.inv(K_hh)
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    return Xb, valid, K_hh, K[:, :H, H], K[:, H, H], K_inv, logdet


def batch_groups(state, batch):
    """The distinct inducing values and factor entries a minibatch touches, with the inverse maps (reusable)."""
    index = state.index[batch]
    present = index >= 0
    m_where, m_inverse = np.unique(state.neighbors[batch], return_inverse=True)
    raw_where, raw_inverse = np.unique(index[present], return_inverse=True)
    return m_where, m_inverse.ravel(), present, raw_where, raw_inverse.ravel()


def elbo_batch(state, batch, *, eval_gradient=False, groups=None):
    """Minibatch estimate of the ELBO ``(n/B) Σ E_q log N(y_i | f_i, σ²) - (w/B) Σ KL(q(u_h(i)) ‖ p(u_h(i)))``.

    ``state`` holds the data and the current parameters (see :class:`~._swsgp.SWSGPState`; ``w`` is its
    ``kl_weight``); returns the value and, with ``eval_gradient``, the gradients in ``m`` and in the stored
    factor parameters (sparse: ``(positions, values)`` of the entries the batch touches) and in
    ``kernel.theta`` (free entries, scikit-learn's order). ``groups`` is :func:`batch_groups` of this batch
    (computed when not given).
    """
    n, H = state.y.size, state.neighbors.shape[1]
    B = batch.size
    nb, index = state.neighbors[batch], state.index[batch]
    cache = {} if eval_gradient else None
    Xb, valid, K_hh, k_hq, k_qq, K_inv, logdet = local_blocks(state.latent, state.Z, nb, state.X[batch],
                                                              state.jitter, cache=cache)
    L = gather_factor(state.raw, index, H, log_diagonal=True)
    m_h = state.m[nb]
    A = np.einsum("bij,bj->bi", K_inv, k_hq)
    mu = np.einsum("bi,bi->b", A, m_h)
    LtA = np.einsum("bji,bj->bi", L, A)
    SA = np.einsum("bij,bj->bi", L, LtA)
    v = k_qq - np.einsum("bi,bi->b", k_hq, A) + np.einsum("bi,bi->b", A, SA)
    sigma2 = state.sigma2
    r = state.y[batch] - mu
    expected = -0.5 * np.log(2.0 * np.pi * sigma2) - (r * r + v) / (2.0 * sigma2)
    a_m = np.einsum("bij,bj->bi", K_inv, m_h)
    diag_L = np.diagonal(L, axis1=1, axis2=2)
    P = K_inv @ L
    kl = 0.5 * (np.einsum("bij,bij->b", P, L) + np.einsum("bi,bi->b", m_h, a_m) - H + logdet
                - 2.0 * np.log(diag_L).sum(axis=1))
    w_e, w_k = n / B, state.kl_weight / B
    value = float(w_e * expected.sum() - w_k * kl.sum())
    if not eval_gradient:
        return value
    g_mu = w_e * r / sigma2
    g_v = -w_e / (2.0 * sigma2)
    # mean: μ = Aᵀm_h; KL: ½ m_hᵀK⁻¹m_h
    m_where, m_inverse, present, raw_where, raw_inverse = batch_groups(state, batch) if groups is None else groups
    grad_m = m_where, np.bincount(m_inverse, weights=(g_mu[:, None] * A - w_k * a_m).ravel(), minlength=m_where.size)
    # factor: v ∋ AᵀL Lᵀ A gives 2 g_v A Aᵀ L; KL gives (K⁻¹ - S⁻¹) L = K⁻¹L - L⁻ᵀ (lower part: diag 1/L_ii)
    grad_L = 2.0 * g_v * (A[:, :, None] * LtA[:, None, :])
    grad_L -= w_k * P
    grad_L[:, np.arange(H), np.arange(H)] += w_k / diag_L
    rows, cols = lower_pairs(H)
    lower = grad_L[:, rows, cols]
    lower = np.where(rows == cols, lower * L[:, rows, cols], lower)  # the diagonal is stored as a logarithm
    grad_raw = raw_where, np.bincount(raw_inverse, weights=lower[present], minlength=raw_where.size)
    # kernel: the weights W of dF = Σ W ∘ dK over the blocks (Z_h, x_q)
    c = np.einsum("bij,bj->bi", K_inv, SA)
    outer = A[:, :, None] * a_m[:, None, :]
    W = np.empty((B, H + 1, H + 1))
    W[:, :H, :H] = (-0.5 * g_mu)[:, None, None] * (outer + np.swapaxes(outer, 1, 2))
    Ac = A[:, :, None] * c[:, None, :]
    W[:, :H, :H] += g_v * (A[:, :, None] * A[:, None, :] - Ac - np.swapaxes(Ac, 1, 2))
    W[:, :H, :H] -= 0.5 * w_k * (K_inv - P @ np.swapaxes(P, 1, 2) - a_m[:, :, None] * a_m[:, None, :])
    edge = 0.5 * (g_mu[:, None] * a_m + 2.0 * g_v * (c - A))
    W[:, :H, H] = edge
    W[:, H, :H] = edge
    W[:, H, H] = g_v
    grad_latent = weighted_gradient(state.latent, Xb, valid, W, cache)
    grad_white = np.empty(0)
    if state.white is not None and not state.white.hyperparameter_noise_level.fixed:
        d_sigma2 = w_e * np.sum(-0.5 / sigma2 + (r * r + v) / (2.0 * sigma2 * sigma2))
        grad_white = np.array([float(state.white.noise_level) * d_sigma2])
    grad_theta = join_theta(grad_latent, grad_white, state.white_first)
    return value, grad_m, grad_raw, grad_theta


def predictive(latent, Z, m, values, pattern, scale, jitter, Q, n_neighbors):
    """Latent mean, variance and the rows ``g = A_hᵀ L_hh`` (with their columns ``h``) at the rows of ``Q``.

    ``g gᵀ`` plus the conditional variance is the latent variance, and ``g_i · g_j`` (over shared columns) the
    covariance of two points: the draws ``u_h = m_h + L_hh ε_h`` with one ``ε ~ N(0, I_M)``.
    """
    M = Z.shape[0]
    neighbors = nearest_inducing(Z, Q, scale, n_neighbors)
    n_q = Q.shape[0]
    mean, var = np.empty(n_q), np.empty(n_q)
    g = np.empty((n_q, n_neighbors))
    conditional_var = np.empty(n_q)
    step = max(1, _CHUNK_ENTRIES // ((n_neighbors + 1) ** 2))
    for s in range(0, n_q, step):
        part = slice(s, min(n_q, s + step))
        nb = neighbors[part]
        _, _, _, k_hq, k_qq, K_inv, _ = local_blocks(latent, Z, nb, Q[part], jitter)
        L = gather_factor(values, pattern_index(pattern, nb, M), n_neighbors)
        A = np.einsum("bij,bj->bi", K_inv, k_hq)
        mean[part] = np.einsum("bi,bi->b", A, m[nb])
        g[part] = np.einsum("bi,bij->bj", A, L)
        conditional_var[part] = np.clip(k_qq - np.einsum("bi,bi->b", k_hq, A), 0.0, None)
        var[part] = conditional_var[part] + np.einsum("bi,bi->b", g[part], g[part])
    return mean, var, g, neighbors, conditional_var
