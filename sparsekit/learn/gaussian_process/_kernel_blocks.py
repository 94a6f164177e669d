"""scikit-learn kernels evaluated on many small blocks at once, with their gradients in ``kernel.theta``.

A Vecchia factor needs ``n`` kernel matrices of size ``(k+1) x (k+1)``; calling a scikit-learn kernel ``n``
times costs tens of microseconds of Python per block. The kernels users build from ``ConstantKernel``,
``WhiteKernel``, ``RBF``, ``Matern`` (nu in 0.5, 1.5, 2.5, inf) and ``RationalQuadratic`` with ``+`` and ``*``
are evaluated here on a stack of blocks in a few vectorised NumPy operations, with the gradient with respect to
``kernel.theta`` (log hyperparameters, fixed ones left out, in scikit-learn's order). Any other kernel falls back
to one scikit-learn call per block, which gives the same numbers, slower.

``WhiteKernel`` is index-based as in scikit-learn (``k(X)`` adds the noise on the diagonal only; duplicated
inputs stay distinct points), which is what makes the last entry of a prediction block ``kernel.diag(x*)``.
"""

import numpy as np
from sklearn.gaussian_process import kernels

from ._factor_kernels import (
    RADIAL_CODES,
    affine_radial_blocks,
    radial_blocks,
    radial_weighted_gradient,
    scaled_sqdist,
)

_MATERN_NU = (0.5, 1.5, 2.5, np.inf)


def is_vectorised(kernel):
    """Whether :func:`block_kernel` evaluates ``kernel`` without one scikit-learn call per block."""
    if isinstance(kernel, (kernels.Sum, kernels.Product)):
        return is_vectorised(kernel.k1) and is_vectorised(kernel.k2)
    if isinstance(kernel, kernels.Matern):
        return float(kernel.nu) in _MATERN_NU
    return type(kernel) in (kernels.ConstantKernel, kernels.WhiteKernel, kernels.RBF, kernels.RationalQuadratic)


def affine_form(kernel):
    """``(c, radial, w)`` with ``kernel(X) = c * radial(X) + w * I`` (``radial`` None for noise alone), or None.

    Covers ``Matern``/``RBF``, times ``ConstantKernel``, plus ``WhiteKernel``: the common GP kernels, evaluated by
    :func:`affine_radial_blocks` in one pass.
    """
    if isinstance(kernel, kernels.WhiteKernel):
        return 0.0, None, float(kernel.noise_level)
    if type(kernel) is kernels.RBF or (isinstance(kernel, kernels.Matern) and float(kernel.nu) in _MATERN_NU):
        return 1.0, kernel, 0.0
    if isinstance(kernel, kernels.Product):
        for constant, other in ((kernel.k1, kernel.k2), (kernel.k2, kernel.k1)):
            if isinstance(constant, kernels.ConstantKernel):
                form = affine_form(other)
                if form is not None:
                    c = float(constant.constant_value)
                    return c * form[0], form[1], c * form[2]
        return None
    if isinstance(kernel, kernels.Sum):
        first, second = affine_form(kernel.k1), affine_form(kernel.k2)
        if first is None or second is None or (first[1] is not None and second[1] is not None):
            return None
        radial = first if first[1] is not None else second
        return radial[0], radial[1], first[2] + second[2]
    return None


def length_scale_of(kernel, n_features):
    """The length scales (one per feature) of the first RBF/Matern/RationalQuadratic part of ``kernel``, or ones."""
    if isinstance(kernel, (kernels.Sum, kernels.Product)):
        first = length_scale_of(kernel.k1, n_features)
        return first if first is not None else length_scale_of(kernel.k2, n_features)
    if isinstance(kernel, (kernels.RBF, kernels.Matern, kernels.RationalQuadratic)):
        return np.broadcast_to(np.asarray(kernel.length_scale, dtype=np.float64), (n_features,)).copy()
    return None


def _radial(kernel, Xb, eval_gradient):
    """RBF / Matern: ``K`` and ``dK/dlog(length_scale)``."""
    scale = np.asarray(kernel.length_scale, dtype=np.float64)
    nu = float(kernel.nu) if isinstance(kernel, kernels.Matern) else np.inf  # Matern subclasses RBF
    inv_scale = np.broadcast_to(1.0 / scale, (Xb.shape[2],)).copy()
    with_gradient = bool(eval_gradient and not kernel.hyperparameter_length_scale.fixed)
    K, h, r2 = radial_blocks(Xb, inv_scale, RADIAL_CODES[nu], with_gradient)
    if not with_gradient:
        return K, np.empty(K.shape + (0,))
    if scale.ndim and scale.size > 1:
        scaled2 = ((Xb[:, :, None, :] - Xb[:, None, :, :]) / scale) ** 2
        return K, h[..., None] * scaled2
    return K, (h * r2)[..., None]


def _rational_quadratic(kernel, Xb, eval_gradient):
    scale, alpha = float(kernel.length_scale), float(kernel.alpha)
    dists = scaled_sqdist(Xb, np.ones(Xb.shape[2]))
    far = ~np.isfinite(dists)  # squared distances beyond float64: uncorrelated, zero gradient
    dists[far] = 0.0
    base = 1.0 + dists / (2.0 * alpha * scale**2)
    K = np.where(far, 0.0, base**-alpha)
    if not eval_gradient:
        return K, None
    parts = []
    if not kernel.hyperparameter_alpha.fixed:
        parts.append(K * (-alpha * np.log(base) + dists / (2.0 * scale**2 * base)))
    if not kernel.hyperparameter_length_scale.fixed:
        parts.append(dists * K / (scale**2 * base))
    return K, np.stack(parts, axis=-1) if parts else np.empty(K.shape + (0,))


def _evaluate(kernel, Xb, eye, eval_gradient, cache=None):
    """``K`` (possibly a scalar or an ``(m, m)`` array, broadcast against the blocks) and ``G``.

    Without ``eval_gradient``, the value of every sub-kernel is kept in ``cache`` (keyed by ``id``) for
    :func:`weighted_gradient`.
    """
    shape = (Xb.shape[0],) + eye.shape
    if isinstance(kernel, (kernels.Sum, kernels.Product)):
        K1, G1 = _evaluate(kernel.k1, Xb, eye, eval_gradient, cache)
        K2, G2 = _evaluate(kernel.k2, Xb, eye, eval_gradient, cache)
        if isinstance(kernel, kernels.Sum):
            K, G = K1 + K2, (np.concatenate((G1, G2), axis=-1) if eval_gradient else None)
        else:
            K = K1 * K2
            G = None
            if eval_gradient:
                K1, K2 = np.broadcast_to(K1, shape), np.broadcast_to(K2, shape)
                G = np.concatenate((G1 * K2[..., None], K1[..., None] * G2), axis=-1)
    elif isinstance(kernel, kernels.ConstantKernel):
        K = np.float64(kernel.constant_value)
        fixed = kernel.hyperparameter_constant_value.fixed
        G = None if not eval_gradient else np.full(shape + (1 - fixed,), K)
    elif isinstance(kernel, kernels.WhiteKernel):
        K = float(kernel.noise_level) * eye
        fixed = kernel.hyperparameter_noise_level.fixed
        G = None if not eval_gradient else np.broadcast_to(K[..., None], shape + (1,))[..., : 1 - fixed]
    elif isinstance(kernel, kernels.RationalQuadratic):
        K, G = _rational_quadratic(kernel, Xb, eval_gradient)
    else:
        K, G = _radial(kernel, Xb, eval_gradient)
    if cache is not None:
        cache[id(kernel)] = K
    return K, (G if eval_gradient else None)


def block_kernel(kernel, Xb, valid, *, eval_gradient=False, cache=None):
    """The kernel matrices of a stack of blocks.

    Parameters
    ----------
    kernel : sklearn.gaussian_process.kernels.Kernel
    Xb : ndarray of shape (n_blocks, m, n_features)
        The points of each block.
    valid : ndarray of bool, shape (n_blocks, m)
        Padding positions (False) get the identity's rows and columns and a zero gradient.
    eval_gradient : bool
        Also return the gradient with respect to ``kernel.theta``.
    cache : dict, optional
        Filled with the values of the sub-kernels (for :func:`weighted_gradient` on the same blocks).

    Returns
    -------
    K : ndarray of shape (n_blocks, m, m)
    G : ndarray of shape (n_blocks, m, m, n_theta), only with ``eval_gradient``
    """
    n_blocks, m, _ = Xb.shape
    form = affine_form(kernel) if not eval_gradient and cache is None else None
    if form is not None and form[1] is not None:
        amplitude, radial, noise = form
        nu = float(radial.nu) if isinstance(radial, kernels.Matern) else np.inf
        inv_scale = np.broadcast_to(1.0 / np.asarray(radial.length_scale, dtype=np.float64), (Xb.shape[2],)).copy()
        return affine_radial_blocks(Xb, valid, inv_scale, RADIAL_CODES[nu], amplitude, noise)
    if is_vectorised(kernel):
        K, G = _evaluate(kernel, Xb, np.eye(m), eval_gradient, cache)
        K = np.broadcast_to(K, (n_blocks, m, m)).copy() if K.shape != (n_blocks, m, m) else K
    else:
        K = np.zeros((n_blocks, m, m))
        G = np.zeros((n_blocks, m, m, kernel.theta.size)) if eval_gradient else None
        for b in range(n_blocks):
            where = np.flatnonzero(valid[b])
            inner = np.ix_(where, where)
            if eval_gradient:
                K[b][inner], G[b][inner] = kernel(Xb[b, where], eval_gradient=True)
            else:
                K[b][inner] = kernel(Xb[b, where])
    pad = ~valid
    if pad.any():
        both = valid[:, :, None] & valid[:, None, :]
        K *= both
        K[:, np.arange(m), np.arange(m)] += pad
        if eval_gradient:
            G *= both[..., None]
    return (K, G) if eval_gradient else K


def _weighted_gradient(kernel, Xb, eye, W, cache):
    """``Σ W ∘ dK/dθ`` for each entry of ``kernel.theta`` (vectorised kernels)."""
    if isinstance(kernel, kernels.Sum):
        return np.concatenate((_weighted_gradient(kernel.k1, Xb, eye, W, cache),
                               _weighted_gradient(kernel.k2, Xb, eye, W, cache)))
    if isinstance(kernel, kernels.Product):
        K1, K2 = cache[id(kernel.k1)], cache[id(kernel.k2)]
        return np.concatenate((_weighted_gradient(kernel.k1, Xb, eye, W * K2, cache),
                               _weighted_gradient(kernel.k2, Xb, eye, W * K1, cache)))
    if isinstance(kernel, kernels.ConstantKernel):
        fixed = kernel.hyperparameter_constant_value.fixed
        return np.empty(0) if fixed else np.array([float(kernel.constant_value) * W.sum()])
    if isinstance(kernel, kernels.WhiteKernel):
        fixed = kernel.hyperparameter_noise_level.fixed
        return np.empty(0) if fixed else np.array([float(kernel.noise_level) * np.einsum("bii->", W)])
    if isinstance(kernel, kernels.RationalQuadratic):
        _, G = _rational_quadratic(kernel, Xb, True)
        return np.einsum("bij,bijp->p", W, G)
    if kernel.hyperparameter_length_scale.fixed:
        return np.empty(0)
    scale = np.asarray(kernel.length_scale, dtype=np.float64)
    nu = float(kernel.nu) if isinstance(kernel, kernels.Matern) else np.inf
    inv_scale = np.broadcast_to(1.0 / scale, (Xb.shape[2],)).copy()
    return radial_weighted_gradient(Xb, inv_scale, RADIAL_CODES[nu], W, bool(scale.ndim and scale.size > 1))


def weighted_gradient(kernel, Xb, valid, W, cache):
    """``g_p = Σ_b Σ_ij W[b,i,j] dK_b[i,j]/dθ_p``: the gradient contracted with weights ``W``, zero on padding.

    ``W`` must vanish on padding positions; ``cache`` is the one :func:`block_kernel` filled on these blocks.
    For the vectorised kernels the gradient tensor is never formed.
    """
    m = Xb.shape[1]
    if is_vectorised(kernel):
        return _weighted_gradient(kernel, Xb, np.eye(m), W, cache)
    _, G = block_kernel(kernel, Xb, valid, eval_gradient=True)
    return np.einsum("bij,bijp->p", W, G)
