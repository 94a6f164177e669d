"""The KKT system ``[[H, G^T], [G, 0]] z = b`` by MINRES with a randomized Nyström block preconditioner.

The preconditioner is block diagonal, ``diag(P, G P^{-1} G^T)`` (Murphy, Golub & Wathen, 2000), where ``P`` is the
randomized Nyström preconditioner of the Jacobi-scaled ``H`` (Frangella, Tropp & Udell, 2023): ``l`` products of
``H`` with a Gaussian sketch give ``H ~ U diag(lam) U^T`` on its top eigenspace, and the rest of ``H`` is taken as
the scaled identity. The Schur block ``G P^{-1} G^T`` is the sparse (or small dense) ``G D^{-1} G^T`` plus a rank
``l`` correction, factorised once per Newton system and applied through the Woodbury identity.
"""

import numpy as np
import scipy.linalg
from scipy import sparse
from scipy.sparse import linalg as sparse_linalg

_EPS = np.finfo(np.float64).eps
_STALLS = 5  # MINRES restarts in a row without a new least residual before it gives up


class KKTSystem:
    """``[[H, G^T], [G, 0]]`` as an operator with its Nyström block preconditioner (``sketch_size`` products)."""

    def __init__(self, H, G, sketch_size, rng, cache=None):
        self.H, self.G, self.d = H, G, H.shape[0]
        self._abs = None  # products with |H|, |G|, |G|^T, made on the first rounding_floor
        self.scale = jacobi_scale(H)
        self.U, self.coef = self._nystrom(min(sketch_size, self.d), rng)
        self._factor_schur({} if cache is None else cache)

    def _nystrom(self, rank, rng):
        """``U`` and ``coef - 1``: ``P^{-1} = I + U diag(coef - 1) U^T`` on the scaled ``H``."""
        s = self.scale[:, None]
        omega = np.linalg.qr(rng.standard_normal((self.d, rank)))[0]
        Y = s * np.asarray(self.H @ (s * omega))
        shift = _EPS * float(np.linalg.norm(Y))
        Y += shift * omega
        theta, V = np.linalg.eigh(0.5 * (omega.T @ Y + Y.T @ omega))
        keep = theta > 10 * _EPS * max(float(theta.max(initial=0.0)), 1e-300) * rank
        if not keep.any():
            return np.zeros((self.d, 0)), np.zeros(0)
        U, sigma, _ = np.linalg.svd(Y @ (V[:, keep] / np.sqrt(theta[keep])), full_matrices=False)
        lam = np.maximum(sigma**2 - shift, 0.0)
        mu = max(float(lam[-1]), 1e-8 * max(float(lam[0]), 1.0))
        return U, (lam[-1] + mu) / (lam + mu) - 1.0

    def _factor_schur(self, cache):
        """Factorise ``G D^{-1} G^T`` (or take it from ``cache``, kept across Newton steps while ``G`` and ``D``
        do not change: linear constraints) and the Woodbury capacitance of the rank-``l`` correction."""
        Gs = scaled_jacobian(self.G, self.scale)
        self._solve0 = schur_solver(self.G, Gs, self.scale, cache)
        active = np.abs(self.coef) > 1e-12
        self.W = np.asarray(Gs @ self.U[:, active])
        self.MW = self._solve0(self.W) if self.W.size else self.W
        if self.W.size:
            capacitance = np.diag(1.0 / self.coef[active]) + self.W.T @ self.MW
            self._capacitance = scipy.linalg.lu_factor(capacitance, check_finite=False)

    def rounding_floor(self, z, b):
        """``eps (|| |H| |dx| || + || |G|^T |dl| || + || |G| |dx| || + ||b||)``, a bound on ``eps || |K| |z| + |b| ||``:
        the residual ``b - K z`` below which the arithmetic certifies nothing.

        The constraint rows of a discretised PDE make it large: on the 256 x 256 Poisson control problem
        (``|G_ij|`` up to ``4 / h^2``, ``|u|`` up to 40) it is about ``1e-4 ||b||`` for the Newton system, above the
        ``eta = ||r||`` the adaptive rule asks for. A dense block enters by its Frobenius norm (``|| |M| |v| || <=
        ||M||_F ||v||``, no copy of it); the Hessian's part is left out when ``H`` is an operator.
        """
        if self._abs is None:
            self._abs = (None if isinstance(self.H, sparse_linalg.LinearOperator) else _abs_product(self.H),
                         _abs_product(self.G), _abs_product(self.G.T))
        absH, absG, absGT = self._abs
        dx, dl = np.abs(z[:self.d]), np.abs(z[self.d:])
        parts = absG(dx) + absGT(dl) + (0.0 if absH is None else absH(dx)) + float(np.linalg.norm(b))
        return _EPS * parts

    def matvec(self, z):
        dx, dl = z[:self.d], z[self.d:]
        return np.concatenate([self.H @ dx + self.G.T @ dl, self.G @ dx])

    def precondition(self, r):
        """``diag(P, G P^{-1} G^T)^{-1} r``."""
        v = self.scale * r[:self.d]
        top = self.scale * (v + self.U @ (self.coef * (self.U.T @ v)))
        bottom = self._solve0(r[self.d:])
        if self.W.size:
            bottom = bottom - self.MW @ scipy.linalg.lu_solve(self._capacitance, self.W.T @ bottom,
                                                               check_finite=False)
        return np.concatenate([top, bottom])


def _abs_product(M):
    """``v -> || |M| v ||`` for ``v >= 0``: exact for a sparse ``M`` (``|M|`` has its nonzeros), the bound
    ``||M||_F ||v||`` for a dense one."""
    if sparse.issparse(M):
        absolute = abs(sparse.csr_array(M))
        return lambda v: float(np.linalg.norm(absolute @ v))
    frobenius = float(np.linalg.norm(M))
    return lambda v: frobenius * float(np.linalg.norm(v))


def jacobi_scale(H):
    """``D^{-1/2}``, ``D = |diag H|`` floored at ``1e-8 max|H_ii|``; ones for an operator (products only)."""
    if isinstance(H, sparse_linalg.LinearOperator):
        return np.ones(H.shape[0])
    diagonal = np.abs(H.diagonal() if sparse.issparse(H) else np.diag(H))
    floor = 1e-8 * max(float(diagonal.max(initial=0.0)), 1e-300)
    return 1.0 / np.sqrt(np.maximum(diagonal, floor))


def scaled_jacobian(G, scale):
    """``G D^{-1/2}``, sparse (CSR) if ``G`` is."""
    if sparse.issparse(G):
        return sparse.csr_array(G) @ sparse.diags_array(scale)
    return G * scale[None, :]


def schur_solver(G, Gs, scale, cache):
    """A solve with ``G D^{-1} G^T`` (``Gs = G D^{-1/2}``), factorised once and kept in ``cache`` while ``G`` and
    ``D`` do not change (linear constraints: one factorisation per run, shared with the starting multipliers).

    The matrix is symmetric positive (semi)definite, plus a ridge ``1e-12`` times its mean diagonal: a dense
    Cholesky, or SuperLU with the minimum degree ordering of ``A + A^T`` and no pivoting (its symmetric mode).
    On the 256 x 256 Poisson control problem (``m = 65 536``, 13 nonzeros a row) the factors have 11.8 M
    nonzeros and take 2.8 s, against 13.9 M and 3.3-3.6 s with partial pivoting; at 192 x 192 the column
    ordering COLAMD gives 10.6 M against 6.4 M for this one, and no ordering 28 M.
    """
    if _same(cache.get("G"), G) and np.array_equal(cache["scale"], scale):
        return cache["solve"]
    M0 = Gs @ Gs.T
    m = M0.shape[0]
    ridge = 1e-12 * max(float(M0.diagonal().sum()) / m, 1e-300)
    if sparse.issparse(M0):
        solve = sparse_linalg.splu(sparse.csc_array(M0 + ridge * sparse.eye_array(m)), permc_spec="MMD_AT_PLUS_A",
                                   diag_pivot_thresh=0.0, options=dict(SymmetricMode=True)).solve
    else:
        factor = scipy.linalg.cho_factor(M0 + ridge * np.eye(m), check_finite=False)
        solve = lambda y: scipy.linalg.cho_solve(factor, y, check_finite=False)  # noqa: E731
    cache.update(G=G.copy(), scale=scale.copy(), solve=solve)
    return solve


def _same(A, B):
    if A is None or A.shape != B.shape or sparse.issparse(A) != sparse.issparse(B):
        return False
    return (A != B).nnz == 0 if sparse.issparse(A) else np.array_equal(A, B)


def minres(system, b, x, rtol, maxiter):
    """Preconditioned MINRES (Paige & Saunders) from ``x`` until ``||b - K x|| <= rtol ||b||``; ``(x, iters)``.

    The recurrence tracks the residual in the preconditioner's norm; the Euclidean residual is checked when that
    estimate passes, and the iteration restarts from the current ``x`` if it does not. It also stops when the
    residual is below the rounding floor ``eps || |K| |x| + |b| ||`` of evaluating it (no ``rtol`` under that
    can be certified: restarting there went on to ``maxiter``, 10 (d + m) products, on the 256 x 256 Poisson
    control problem), or after ``_STALLS`` checks in a row that do not lower the best residual seen.
    """
    target = rtol * float(np.linalg.norm(b))
    x = x.copy()
    iterations, best, stalls = 0, np.inf, 0
    while iterations < maxiter:
        v = b - system.matvec(x)
        norm = float(np.linalg.norm(v))
        if norm <= target or norm <= system.rounding_floor(x, b):
            break
        stalls = 0 if norm < best else stalls + 1
        best = min(best, norm)
        if stalls >= _STALLS:
            break
        z = system.precondition(v)
        gamma = np.sqrt(max(float(z @ v), 0.0))
        if gamma == 0.0:
            break
        beta, reduction = gamma, target / float(np.linalg.norm(v))
        v_old, w, w_old = np.zeros_like(v), np.zeros_like(v), np.zeros_like(v)
        gamma_old, eta, c, c_old, s, s_old = 1.0, gamma, 1.0, 1.0, 0.0, 0.0
        while iterations < maxiter:
            z = z / gamma
            Kz = system.matvec(z)
            iterations += 1
            delta = float(Kz @ z)
            v_new = Kz - (delta / gamma) * v - (gamma / gamma_old) * v_old
            z_new = system.precondition(v_new)
            gamma_new = np.sqrt(max(float(z_new @ v_new), 0.0))
            alpha0 = c * delta - c_old * s * gamma
            alpha1 = np.hypot(alpha0, gamma_new)
            alpha2 = s * delta + c_old * c * gamma
            alpha3 = s_old * gamma
            if alpha1 == 0.0:
                break
            c_old, s_old, c, s = c, s, alpha0 / alpha1, gamma_new / alpha1
            w_old, w = w, (z - alpha3 * w_old - alpha2 * w) / alpha1
            x += (c * eta) * w
            eta = -s * eta
            v_old, v, z, gamma_old, gamma = v, v_new, z_new, gamma, gamma_new
            # |eta| is the residual in the preconditioner's norm: stop when it has fallen by the factor the
            # Euclidean residual needs, then check that one
            if abs(eta) <= reduction * beta or gamma == 0.0:
                break
    return x, iterations

