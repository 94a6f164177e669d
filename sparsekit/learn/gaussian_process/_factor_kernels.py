"""numba kernel of the KL-optimal sparse inverse-Cholesky columns, one small dense block per column.

Block ``b`` is the kernel matrix of ``(x_c1, ..., x_ck, x_i)``: the conditioning points, then the point itself,
last. With its Cholesky factor ``L`` the KL-optimal column (Schäfer, Katzfuss and Owhadi, 2021) is
``K⁻¹e / sqrt(eᵀK⁻¹e) = L⁻ᵀe`` for ``e`` the last unit vector: one factorisation and one back substitution.
The same factor gives ``a = K_cc⁻¹ y_c``, the weights of the conditional mean and of the likelihood gradient.
A block whose factorisation breaks down (duplicated inputs without noise) is retried with ``JITTERS`` times its
mean diagonal added to the diagonal; the jitter used is returned.
"""

import numpy as np

from ..._core.jit import kernel

#: Diagonal jitters tried, relative to the block's mean diagonal, when a factorisation breaks down.
JITTERS = (0.0, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)


@kernel
def _cholesky_in_place(A):
    m = A.shape[0]
    for j in range(m):
        s = A[j, j]
        for t in range(j):
            s -= A[j, t] * A[j, t]
        if not s > 0.0 or not np.isfinite(s):
            return False
        A[j, j] = np.sqrt(s)
        for i in range(j + 1, m):
            s = A[i, j]
            for t in range(j):
                s -= A[i, t] * A[j, t]
            A[i, j] = s / A[j, j]
    return True


@kernel
def kl_factor_columns(K, Y):
    """Return ``(u, a, jitter)``: ``u[b] = L⁻ᵀe``, ``a[b] = K_cc⁻¹ y_c`` (0 in the last slot), jitter added.

    ``jitter[b]`` is NaN where even the largest jitter of ``JITTERS`` fails (``u``, ``a`` then NaN).
    """
    n_blocks, m, _ = K.shape
    u = np.empty((n_blocks, m))
    a = np.zeros((n_blocks, m))
    jitter = np.zeros(n_blocks)
    A = np.empty((m, m))
    scale = np.empty(len(JITTERS))
    for t in range(len(JITTERS)):
        scale[t] = JITTERS[t]
    for b in range(n_blocks):
        mean_diagonal = 0.0
        for j in range(m):
            mean_diagonal += K[b, j, j] / m
        ok = False
        for t in range(scale.shape[0]):
            A[:, :] = K[b]
            added = scale[t] * mean_diagonal
            for j in range(m):
                A[j, j] += added
            if _cholesky_in_place(A):
                ok = True
                jitter[b] = added
                break
        if not ok:
            jitter[b] = np.nan
            u[b, :] = np.nan
            a[b, :] = np.nan
            continue
        # u = L^-T e_m by back substitution
        u[b, m - 1] = 1.0 / A[m - 1, m - 1]
        for i in range(m - 2, -1, -1):
            s = 0.0
            for j in range(i + 1, m):
                s += A[j, i] * u[b, j]
            u[b, i] = -s / A[i, i]
        # a = Lc^-T Lc^-1 y_c with Lc the leading (m-1) x (m-1) factor
        w = np.empty(m - 1)
        for i in range(m - 1):
            s = Y[b, i]
            for j in range(i):
                s -= A[i, j] * w[j]
            w[i] = s / A[i, i]
        for i in range(m - 2, -1, -1):
            s = w[i]
            for j in range(i + 1, m - 1):
                s -= A[j, i] * a[b, j]
            a[b, i] = s / A[i, i]
    return u, a, jitter


def kl_factor_columns_twin(K, Y):
    """NumPy twin of :func:`kl_factor_columns`."""
    n_blocks, m, _ = K.shape
    u = np.full((n_blocks, m), np.nan)
    a = np.full((n_blocks, m), np.nan)
    jitter = np.full(n_blocks, np.nan)
    e = np.zeros(m)
    e[-1] = 1.0
    for b in range(n_blocks):
        mean_diagonal = np.trace(K[b]) / m
        for t in JITTERS:
            A = K[b] + t * mean_diagonal * np.eye(m)
            try:
                L = np.linalg.cholesky(A)
            except np.linalg.LinAlgError:
                continue
            jitter[b] = t * mean_diagonal
            u[b] = np.linalg.solve(L.T, e)
            a[b, :-1] = np.linalg.solve(A[:-1, :-1], Y[b, :-1])
            a[b, -1] = 0.0
            break
    return u, a, jitter


#: Codes of the radial profiles of :func:`radial_blocks`: Matern nu = 0.5, 1.5, 2.5 and the RBF (nu = inf).
RADIAL_CODES = {0.5: 0, 1.5: 1, 2.5: 2, np.inf: 3}


@kernel
def _profile(r2, code):
    """``(k, h)`` of a radial profile at squared scaled distance ``r2``; ``dk/dlog(l_t) = h * (scaled d_t)²``."""
    if r2 == np.inf:  # points too far apart for r² to be represented: uncorrelated
        return 0.0, 0.0
    if code == 3:
        k = np.exp(-0.5 * r2)
        return k, k
    if code == 0:
        r = np.sqrt(r2)
        k = np.exp(-r)
        return k, (k / r if r > 0.0 else 0.0)
    if code == 1:
        r = np.sqrt(3.0 * r2)
        e = np.exp(-r)
        return (1.0 + r) * e, 3.0 * e
    r = np.sqrt(5.0 * r2)
    e = np.exp(-r)
    return (1.0 + r + r * r / 3.0) * e, (5.0 / 3.0) * (1.0 + r) * e


@kernel
def radial_blocks(Xb, inv_scale, code, with_gradient):
    """``(K, h, r2)`` of a radial kernel on a stack of blocks: ``r2`` the squared scaled distances.

    Without ``with_gradient``, ``h`` and ``r2`` are empty ``(0, m, m)`` arrays.
    """
    n_blocks, m, d = Xb.shape
    K = np.empty((n_blocks, m, m))
    extra = n_blocks if with_gradient else 0
    h = np.empty((extra, m, m))
    r2 = np.zeros((extra, m, m))
    k0, h0 = _profile(0.0, code)
    for b in range(n_blocks):
        for i in range(m):
            K[b, i, i] = k0
            if with_gradient:
                h[b, i, i] = h0
            for j in range(i):
                s = 0.0
                for t in range(d):
                    diff = (Xb[b, i, t] - Xb[b, j, t]) * inv_scale[t]
                    s += diff * diff
                kv, hv = _profile(s, code)
                K[b, i, j] = kv
                K[b, j, i] = kv
                if with_gradient:
                    r2[b, i, j] = s
                    r2[b, j, i] = s
                    h[b, i, j] = hv
                    h[b, j, i] = hv
    return K, h, r2


def radial_blocks_twin(Xb, inv_scale, code, with_gradient):
    """NumPy twin of :func:`radial_blocks`."""
    if not with_gradient:
        K = radial_blocks_twin(Xb, inv_scale, code, True)[0]
        return K, np.empty((0,) + K.shape[1:]), np.zeros((0,) + K.shape[1:])
    r2 = (((Xb[:, :, None, :] - Xb[:, None, :, :]) * inv_scale) ** 2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if code == 3:
            K = np.exp(-0.5 * r2)
            return K, K.copy(), r2
        if code == 0:
            r = np.sqrt(r2)
            K = np.exp(-r)
            return K, np.where(r > 0, K / np.where(r > 0, r, 1.0), 0.0), r2
        c = 3.0 if code == 1 else 5.0
        r = np.sqrt(c * r2)
        e = np.exp(-r)
        if code == 1:
            return (1.0 + r) * e, 3.0 * e, r2
        return (1.0 + r + r * r / 3.0) * e, (5.0 / 3.0) * (1.0 + r) * e, r2


@kernel
def scaled_sqdist(Xb, inv_scale):
    """``r2[b, i, j] = ||(Xb[b, i] - Xb[b, j]) * inv_scale||²`` for a stack of blocks (symmetric, zero diagonal)."""
    n_blocks, m, d = Xb.shape
    r2 = np.zeros((n_blocks, m, m))
    for b in range(n_blocks):
        for i in range(m):
            for j in range(i):
                s = 0.0
                for t in range(d):
                    diff = (Xb[b, i, t] - Xb[b, j, t]) * inv_scale[t]
                    s += diff * diff
                r2[b, i, j] = s
                r2[b, j, i] = s
    return r2


def scaled_sqdist_twin(Xb, inv_scale):
    """NumPy twin of :func:`scaled_sqdist`."""
    diff = (Xb[:, :, None, :] - Xb[:, None, :, :]) * inv_scale
    return (diff**2).sum(axis=-1)


@kernel
def radial_weighted_gradient(Xb, inv_scale, code, W, anisotropic):
    """``Σ_b Σ_ij W[b,i,j] dK[b,i,j]/dlog(l_t)`` of a radial kernel, without forming the gradient tensor.

    ``dK/dlog(l_t) = h(r²) (scaled d_t)²``; with ``anisotropic`` False the one length scale gets the sum over t.
    """
    n_blocks, m, d = Xb.shape
    out = np.zeros(d if anisotropic else 1)
    sq = np.empty(d)
    for b in range(n_blocks):
        for i in range(m):
            for j in range(i):
                weight = W[b, i, j] + W[b, j, i]
                if weight == 0.0:
                    continue
                s = 0.0
                for t in range(d):
                    diff = (Xb[b, i, t] - Xb[b, j, t]) * inv_scale[t]
                    sq[t] = diff * diff
                    s += sq[t]
                _, hv = _profile(s, code)
                if hv == 0.0:  # also where r² overflowed: no correlation to differentiate
                    continue
                if anisotropic:
                    for t in range(d):
                        out[t] += weight * hv * sq[t]
                else:
                    out[0] += weight * hv * s
    return out


def radial_weighted_gradient_twin(Xb, inv_scale, code, W, anisotropic):
    """NumPy twin of :func:`radial_weighted_gradient`."""
    _, h, _ = radial_blocks_twin(Xb, inv_scale, code, True)
    sq = ((Xb[:, :, None, :] - Xb[:, None, :, :]) * inv_scale) ** 2
    per_dim = np.einsum("bij,bij,bijt->t", W, h, sq)
    return per_dim if anisotropic else np.array([per_dim.sum()])


@kernel
def affine_radial_blocks(Xb, valid, inv_scale, code, amplitude, noise):
    """``amplitude * radial + noise * I`` on a stack of blocks in one pass; padding (``~valid``) gets the identity."""
    n_blocks, m, d = Xb.shape
    K = np.empty((n_blocks, m, m))
    k0, _ = _profile(0.0, code)
    for b in range(n_blocks):
        for i in range(m):
            K[b, i, i] = amplitude * k0 + noise if valid[b, i] else 1.0
            for j in range(i):
                value = 0.0
                if valid[b, i] and valid[b, j]:
                    s = 0.0
                    for t in range(d):
                        diff = (Xb[b, i, t] - Xb[b, j, t]) * inv_scale[t]
                        s += diff * diff
                    value = amplitude * _profile(s, code)[0]
                K[b, i, j] = value
                K[b, j, i] = value
    return K


def affine_radial_blocks_twin(Xb, valid, inv_scale, code, amplitude, noise):
    """NumPy twin of :func:`affine_radial_blocks`."""
    K = amplitude * radial_blocks_twin(Xb, inv_scale, code, False)[0] + noise * np.eye(Xb.shape[1])
    both = valid[:, :, None] & valid[:, None, :]
    return np.where(both, K, 0.0) + np.eye(Xb.shape[1]) * ~valid[:, :, None]
