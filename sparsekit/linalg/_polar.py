"""The orthogonal polar factor: one primitive for the methods that project onto orthogonal matrices.

Dictionary learning by ℓp maximisation, online orthogonal dictionary learning (the Frank–Wolfe oracle) and block
GPower all need, at every step, the orthogonal matrix closest to a given one. That is the unitary factor ``U`` of the
polar decomposition ``G = U P``, computed here by a thin SVD or by the Newton–Schulz iteration, in the namespace
(NumPy or CuPy) and the precision of ``G``.
"""

import math
from numbers import Integral, Real

from .._core.backend import get_namespace
from .._core.params import Interval, Options, validate_params
from .._core.validation import check_array

__all__ = ["polar"]

_NEWTON_SCHULZ_STALL = 0.5  # a quadratically converging step at least halves the residual; less means the floor
_NEWTON_SCHULZ_CRAWL = 0.999  # a (near-)zero singular value grows by 1.5x per step: the SVD is cheaper than waiting


def _power_of_two_below(peak):
    """``2**e`` with ``peak / 2**e`` in [1/2, 1): dividing by it is exact and brings the data to unit scale."""
    return math.ldexp(1.0, math.frexp(peak)[1])


def _svd_factor(xp, G):
    W, s, Vh = xp.linalg.svd(G, full_matrices=False)
    return W @ Vh, (W, s, Vh)


def _newton_schulz_factor(xp, G, maxiter, tol):
    """Newton–Schulz on the tall orientation of ``G``; ``None`` when it does not reach ``tol`` in ``maxiter`` steps.

    ``X <- X (3 I - X^H X) / 2`` maps every singular value ``s`` in (0, sqrt(3)) to ``s (3 - s^2) / 2``, which
    converges to 1 quadratically near it; scaling by the Frobenius norm puts all of them in (0, 1]. A residual
    that barely moves means a (near-)zero singular value, which needs many linear steps: the caller's SVD is cheaper.
    """
    wide = G.shape[0] < G.shape[1]
    X = G.conj().T if wide else G
    X = X / xp.linalg.norm(X)
    eye = xp.eye(X.shape[1], dtype=X.dtype)
    floor = math.sqrt(float(xp.finfo(X.dtype).eps))
    previous = math.inf
    for _ in range(maxiter):
        gram = X.conj().T @ X
        residual = float(xp.linalg.norm(gram - eye))
        if not math.isfinite(residual):
            return None
        if residual <= tol or (residual <= floor and residual > _NEWTON_SCHULZ_STALL * previous):
            return X.conj().T if wide else X
        if residual > _NEWTON_SCHULZ_CRAWL * previous:
            return None
        previous = residual
        X = 1.5 * X - 0.5 * (X @ gram)
    return None


@validate_params({
    "method": [Options({"svd", "newton-schulz"})],
    "return_hermitian": ["boolean"],
    "maxiter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0.0, None, closed="neither"), None],
})
def polar(G, *, method="svd", return_hermitian=False, maxiter=100, tol=None):
    """Orthogonal (unitary) factor of the polar decomposition ``G = U P``.

    ``U`` has the shape of ``G`` and is the matrix with orthonormal columns (rows, if ``G`` is wide) nearest to
    ``G`` in every unitarily invariant norm; ``P = (G^H G)^{1/2}`` is Hermitian positive semidefinite. It is the
    projection step of orthogonal dictionary learning and of block GPower.

    Parameters
    ----------
    G : (m, n) array_like
        Real or complex, NumPy or CuPy; finite. Not modified.
    method : {"svd", "newton-schulz"}, default="svd"
        ``"svd"``: ``U = W V^H`` from the thin SVD ``G = W diag(s) V^H`` (exact, any rank).
        ``"newton-schulz"``: matrix products only (the fast choice on a GPU and for well-conditioned ``G``);
        when it does not reach ``tol`` within ``maxiter`` steps, or its residual stops shrinking (a rank-deficient
        or very ill-conditioned ``G``), the SVD answers instead, so the result is always the polar factor.
    return_hermitian : bool, default=False
        Whether to return ``P`` as well (``U^H G``, made exactly Hermitian), as :func:`scipy.linalg.polar` does.
    maxiter : int, default=100
        Newton–Schulz steps before the SVD takes over.
    tol : float, optional
        Newton–Schulz stops when ``||U^H U - I||_F <= tol`` (for a tall ``G``) or when the residual has reached its
        rounding floor (``<= sqrt(eps)`` and no longer halving per step). Default: ``8 sqrt(k) eps`` for the
        smaller dimension ``k`` and the precision of ``G``.

    Returns
    -------
    U : (m, n) array
        The orthogonal factor, in the namespace and dtype of ``G`` (float32 stays float32; integers become
        float64).
    P : (n, n) array
        Only with ``return_hermitian=True``.

    Raises
    ------
    ValueError
        If ``G`` is not a finite, non-empty 2-D array, or an option is out of range.
    TypeError
        If ``G`` is sparse (the polar factor of a sparse matrix is dense: pass ``G.toarray()``) or not numeric.

    See Also
    --------
    scipy.linalg.polar : The same decomposition by SVD, NumPy only, with a ``side`` option.

    Notes
    -----
    Both methods first divide ``G`` by a power of two near its largest entry (exact in binary floating point;
    ``U`` does not depend on the scale of ``G``), so data near the edges of the floating-point range works.
    Newton–Schulz converges for singular values in (0, sqrt(3)); after the Frobenius scaling the number of steps is
    about ``log_{1.5}(||G||_F / s_min)`` plus a few quadratic ones. For a rank-deficient ``G`` the polar factor
    is not unique; the SVD's is returned. Reference: N. J. Higham, *Functions of Matrices*, SIAM 2008, ch. 8.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import polar
    >>> G = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 3.0]])
    >>> U, P = polar(G, return_hermitian=True)
    >>> bool(np.allclose(U.T @ U, np.eye(2))), bool(np.allclose(U @ P, G))
    (True, True)
    >>> bool(np.allclose(polar(G, method="newton-schulz"), U))
    True
    """
    xp = get_namespace(G=G)
    G = check_array(G, "G", ndim=2, dtype="float-or-complex")
    peak = float(xp.max(xp.abs(G)))
    if peak == 0.0:
        raise ValueError("G is all zeros: its polar factor is not defined.")
    scaled = G / _power_of_two_below(peak)
    U = None
    if method == "newton-schulz":
        if tol is None:
            tol = 8.0 * math.sqrt(min(G.shape)) * float(xp.finfo(G.dtype).eps)
        U = _newton_schulz_factor(xp, scaled, maxiter, tol)
    if U is None:
        U, _ = _svd_factor(xp, scaled)
    if not return_hermitian:
        return U
    P = U.conj().T @ G
    return U, (P + P.conj().T) / 2
