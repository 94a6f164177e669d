"""numba kernels of GCRO-DR: projected Arnoldi steps with a running Givens QR, and the small
dense steps around them.

Basis vectors are stored as rows (``C[i]``, ``V[i]`` contiguous), so every pass
over the basis streams through memory once. :func:`arnoldi_step` is one step
for any operator (the caller applies it); :func:`arnoldi_cycle_csr` runs a
whole cycle for a CSR matrix with no or a diagonal preconditioner, without
returning to Python between steps. :func:`start_cycle` and :func:`finish_cycle`
open and close every cycle (the split of the residual along ``C_k``, the
correction and the new residual), :func:`harmonic_pencil`,
:func:`select_harmonic`, :func:`orthonormal_image` and
:func:`deflation_coefficients` do the small dense work of the deflation step,
reusing the Givens rotations the cycle already computed. Their plain NumPy twins, the
test oracles, are in ``tests/linalg/_krylov_reference.py``.
"""

import numpy as np

from ..._core.jit import SAFE_FASTMATH, kernel

__all__ = [
    "CYCLE_OK",
    "CYCLE_BREAKDOWN",
    "CYCLE_NONFINITE",
    "PC_NONE",
    "PC_LEFT",
    "PC_RIGHT",
    "apply_operator_rows",
    "arnoldi_cycle_csr",
    "arnoldi_step",
    "back_substitute",
    "finish_cycle",
    "deflation_coefficients",
    "harmonic_pencil",
    "orthonormal_image",
    "select_harmonic",
    "start_cycle",
]

# How arnoldi_cycle_csr applies its diagonal preconditioner d.
PC_NONE, PC_LEFT, PC_RIGHT = 0, 1, 2
# Return codes of arnoldi_cycle_csr (and of the Python cycle in _gcrodr.py).
CYCLE_OK, CYCLE_BREAKDOWN, CYCLE_NONFINITE = 0, 1, 2


@kernel(fastmath=SAFE_FASTMATH)
def _project_out(rows, count, w, coef):
    """One classical Gram-Schmidt pass against ``rows[:count]``; return the new norm of ``w``.

    All dot products are taken before ``w`` changes (classical, not modified,
    Gram-Schmidt) and added to ``coef``. Rows are processed four at a time,
    so that each sweep reads ``w`` once per four rows.
    """
    n = w.shape[0]
    zero = 0.0 * w[0]
    step = np.zeros(count, dtype=coef.dtype)
    blocked = count - count % 4
    for i in range(0, blocked, 4):
        a0 = a1 = a2 = a3 = zero
        for t in range(n):
            wt = w[t]
            a0 += np.conj(rows[i, t]) * wt
            a1 += np.conj(rows[i + 1, t]) * wt
            a2 += np.conj(rows[i + 2, t]) * wt
            a3 += np.conj(rows[i + 3, t]) * wt
        step[i], step[i + 1], step[i + 2], step[i + 3] = a0, a1, a2, a3
    for i in range(blocked, count):
        a0 = zero
        for t in range(n):
            a0 += np.conj(rows[i, t]) * w[t]
        step[i] = a0
    for i in range(0, blocked, 4):
        c0, c1, c2, c3 = step[i], step[i + 1], step[i + 2], step[i + 3]
        for t in range(n):
            w[t] -= c0 * rows[i, t] + c1 * rows[i + 1, t] + c2 * rows[i + 2, t] + c3 * rows[i + 3, t]
    for i in range(blocked, count):
        c0 = step[i]
        for t in range(n):
            w[t] -= c0 * rows[i, t]
    for i in range(count):
        coef[i] += step[i]
    return _norm(w)


@kernel(fastmath=SAFE_FASTMATH)
def _norm(w):
    total = 0.0
    for t in range(w.shape[0]):
        total += (w[t].real * w[t].real) + (w[t].imag * w[t].imag)
    return np.sqrt(total)


@kernel
def _givens(a, b):
    """``(c, s, r)`` with ``[[c, s], [-conj(s), c]] @ [a, b] = [r, 0]`` and real ``c >= 0``."""
    abs_a = abs(a)
    abs_b = abs(b)
    if abs_b == 0.0:
        return 1.0, b * 0.0, a
    if abs_a == 0.0:
        return 0.0, np.conj(b) / abs_b, b * 0.0 + abs_b
    norm = np.hypot(abs_a, abs_b)
    phase = a / abs_a
    return abs_a / norm, phase * np.conj(b) / norm, phase * norm


@kernel(fastmath=SAFE_FASTMATH)
def arnoldi_step(C, n_c, V, j, w, H, B, R, cs, sn, g, reorth):
    """Orthogonalise ``w = op(V[j])`` against ``C[:n_c]`` and ``V[:j+1]``; extend the rotated Hessenberg.

    Classical Gram-Schmidt over the recycled and the Arnoldi vectors
    together, repeated once when a pass kept less than ``reorth`` of the norm
    (the "twice is enough" test of Daniel, Gragg, Kaufman and Stewart). The
    coefficients go to ``B[:, j]`` (on ``C``) and ``H[:j+1, j]`` (on ``V``);
    ``H[j+1, j]`` is the remaining norm and, when positive,
    ``V[j+1] = w / H[j+1, j]``. Column ``j`` of ``H`` is copied to ``R`` and
    rotated by the earlier Givens rotations and a new one, which also updates
    the rotated right-hand side ``g``: ``abs(g[j+1])`` is then the norm of the
    projected least-squares residual after ``j + 1`` steps.

    Parameters
    ----------
    C : ndarray of shape (k, n)
        Recycled vectors ``C_k`` as rows (the first ``n_c`` are used).
    n_c : int
        Number of recycled vectors.
    V : ndarray of shape (s + 1, n)
        Arnoldi vectors as rows; row ``j + 1`` is written.
    j : int
        Step index (``w`` is the operator applied to ``V[j]``).
    w : ndarray of shape (n,)
        The new vector; overwritten.
    H, R : ndarray of shape (s + 1, s)
        Hessenberg matrix and its Givens-rotated copy; column ``j`` is written.
    B : ndarray of shape (k, s)
        ``C^H op(V)``; column ``j`` is written.
    cs, sn : ndarray of shape (s,)
        Givens cosines (real) and sines; entry ``j`` is written.
    g : ndarray of shape (s + 1,)
        Rotated right-hand side; entries ``j`` and ``j + 1`` are updated.
    reorth : float
        Threshold of the second Gram-Schmidt pass.

    Returns
    -------
    h_next : float
        ``H[j + 1, j]``.
    w_norm : float
        The norm of ``w`` before orthogonalisation (for the breakdown test).
    residual : float
        ``abs(g[j + 1])``.
    """
    w_norm = _norm(w)
    before = w_norm
    coef_c = np.zeros(n_c, dtype=H.dtype)
    coef_v = np.zeros(j + 1, dtype=H.dtype)
    after = before
    for _ in range(2):
        _project_out(C, n_c, w, coef_c)
        after = _project_out(V, j + 1, w, coef_v)
        if not after < reorth * before:
            break
        before = after
    for i in range(n_c):
        B[i, j] = coef_c[i]
    for i in range(j + 1):
        H[i, j] = coef_v[i]
        R[i, j] = coef_v[i]
    H[j + 1, j] = after
    if after > 0.0:
        scale = 1.0 / after
        for t in range(w.shape[0]):
            V[j + 1, t] = w[t] * scale
    for i in range(j):
        upper = R[i, j]
        lower = R[i + 1, j]
        R[i, j] = cs[i] * upper + sn[i] * lower
        R[i + 1, j] = -np.conj(sn[i]) * upper + cs[i] * lower
    c, s, r = _givens(R[j, j], H[j + 1, j])
    cs[j] = c
    sn[j] = s
    R[j, j] = r
    R[j + 1, j] = 0.0
    g[j + 1] = -np.conj(s) * g[j]
    g[j] = c * g[j]
    return after, w_norm, abs(g[j + 1])


@kernel
def _csr_matvec(indptr, indices, data, x, out):
    # Unsigned indices spare numba's negative-index wraparound on every gather (2x faster).
    for i in range(out.shape[0]):
        acc = 0.0 * x[0]
        for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            acc += data[p] * x[np.uint64(indices[p])]
        out[i] = acc


@kernel
def _apply_operator(indptr, indices, data, diag, pc_mode, v, out, scaled):
    """``out = op(v)`` for ``op = A``, ``A diag(d)`` or ``diag(d) A``; ``scaled`` is work space."""
    if pc_mode == PC_RIGHT:
        for t in range(v.shape[0]):
            scaled[t] = diag[t] * v[t]
        _csr_matvec(indptr, indices, data, scaled, out)
    else:
        _csr_matvec(indptr, indices, data, v, out)
        if pc_mode == PC_LEFT:
            for t in range(v.shape[0]):
                out[t] = diag[t] * out[t]


@kernel
def apply_operator_rows(indptr, indices, data, diag, pc_mode, X, out):
    """``out[i] = op(X[i])`` for each row: the block product of a recycled basis, without transposes."""
    scaled = np.empty(X.shape[1], dtype=out.dtype)
    for i in range(X.shape[0]):
        _apply_operator(indptr, indices, data, diag, pc_mode, X[i], out[i], scaled)


@kernel
def arnoldi_cycle_csr(
    indptr, indices, data, diag, pc_mode, C, n_c, V, s_max, H, B, R, cs, sn, g, reorth, target, eps, history
):
    """Up to ``s_max`` :func:`arnoldi_step` calls with ``op = A``, ``A diag(d)`` or ``diag(d) A``.

    ``A`` is given by its CSR arrays. The cycle stops after ``s_max`` steps,
    when the residual estimate is at most ``target``, at a breakdown
    (``H[j+1, j] <= eps * norm(op(V[j]))``) or at a non-finite value.

    Parameters
    ----------
    indptr, indices, data : ndarray
        CSR arrays of ``A``.
    diag : ndarray of shape (n,)
        Diagonal preconditioner ``d`` (ignored for ``pc_mode = PC_NONE``).
    pc_mode : int
        ``PC_NONE``, ``PC_LEFT`` (``op = diag(d) A``) or ``PC_RIGHT``
        (``op = A diag(d)``).
    C, n_c, V, H, B, R, cs, sn, g, reorth
        As for :func:`arnoldi_step`; ``V[0]`` holds the start vector.
    s_max : int
        Largest number of steps.
    target : float
        Residual norm at which to stop.
    eps : float
        Relative breakdown threshold.
    history : ndarray of shape (s_max,)
        Receives the residual estimate after each step.

    Returns
    -------
    steps : int
        Steps completed (with finite values).
    code : int
        ``CYCLE_OK`` (0), ``CYCLE_BREAKDOWN`` (1) or ``CYCLE_NONFINITE`` (2).
    """
    n = V.shape[1]
    w = np.empty(n, dtype=V.dtype)
    scaled = np.empty(n, dtype=V.dtype)
    for j in range(s_max):
        _apply_operator(indptr, indices, data, diag, pc_mode, V[j], w, scaled)
        h_next, w_norm, estimate = arnoldi_step(C, n_c, V, j, w, H, B, R, cs, sn, g, reorth)
        if not (np.isfinite(h_next) and np.isfinite(w_norm)):
            return j, CYCLE_NONFINITE
        history[j] = estimate
        if h_next <= eps * w_norm:
            return j + 1, CYCLE_BREAKDOWN
        if estimate <= target:
            return j + 1, CYCLE_OK
    return s_max, CYCLE_OK


@kernel(fastmath=SAFE_FASTMATH)
def start_cycle(C, n_c, r, V, c0):
    """Split ``r`` along ``C[:n_c]``: ``c0 = C^H r``, ``r -= C c0``; ``V[0] = r / norm(r)``; return the norm.

    ``r`` is overwritten. The residual is orthogonal to ``C`` only up to the
    rounding of earlier updates, which grows relative to its shrinking norm;
    the explicit split keeps the Arnoldi vectors orthogonal to ``C``. ``V[0]``
    is left alone when the norm is zero.
    """
    for i in range(n_c):
        c0[i] = 0.0
    beta = _project_out(C, n_c, r, c0)
    if beta > 0.0:
        scale = 1.0 / beta
        for t in range(r.shape[0]):
            V[0, t] = r[t] * scale
    return beta


@kernel
def back_substitute(R, g, s, y, eps):
    """Solve the rotated least-squares problem ``R[:s, :s] y = g[:s]``; False if ``R`` looks singular.

    ``R`` is the Givens-rotated Hessenberg matrix (upper triangular in its
    first ``s`` rows and columns). A diagonal entry at most ``eps`` times the
    largest one makes the triangular solve unreliable; the caller then solves
    the least-squares problem by other means.
    """
    largest = 0.0
    for j in range(s):
        largest = max(largest, abs(R[j, j]))
    for j in range(s):
        if not abs(R[j, j]) > eps * largest:
            return False
    for i in range(s - 1, -1, -1):
        acc = g[i]
        for j in range(i + 1, s):
            acc -= R[i, j] * y[j]
        y[i] = acc / R[i, i]
    return True


@kernel(fastmath=SAFE_FASTMATH)
def finish_cycle(U, n_u, V, s, H, B, c0, y, beta, correction, residual):
    """The cycle's correction ``U y1 + V[:s] y2`` and new residual ``V[:s+1] (beta e_1 - H y2)``.

    ``y[:s]`` is ``y2``, the solution of the projected least-squares problem,
    and ``y1 = c0 - B y2`` is the coefficient on the recycled vectors (``c0``
    the split of the start residual along ``C``). Both results are written to
    ``correction`` and ``residual``, shape ``(n,)``.
    """
    n = V.shape[1]
    y1 = np.empty(n_u, dtype=y.dtype)
    for i in range(n_u):
        acc = c0[i]
        for j in range(s):
            acc -= B[i, j] * y[j]
        y1[i] = acc
    z = np.zeros(s + 1, dtype=y.dtype)
    z[0] = beta
    for j in range(s):
        for i in range(j + 2):
            z[i] -= H[i, j] * y[j]
    for t in range(n):
        correction[t] = 0.0
        residual[t] = 0.0
    for i in range(n_u):
        a = y1[i]
        for t in range(n):
            correction[t] += a * U[i, t]
    for i in range(s):
        a = y[i]
        for t in range(n):
            correction[t] += a * V[i, t]
    for i in range(s + 1):
        a = z[i]
        for t in range(n):
            residual[t] += a * V[i, t]


@kernel
def _rotate_rows(cs, sn, s, Y):
    """``Y <- Omega Y`` with ``Omega`` the product of the cycle's ``s`` Givens rotations (rows ``j, j+1``)."""
    for j in range(s):
        c = cs[j]
        sj = sn[j]
        for col in range(Y.shape[1]):
            upper = Y[j, col]
            lower = Y[j + 1, col]
            Y[j, col] = c * upper + sj * lower
            Y[j + 1, col] = -np.conj(sj) * upper + c * lower


@kernel
def harmonic_pencil(R, cs, sn, s, B, U, n_c, CU, VhU):
    """The harmonic Ritz problem of the last cycle in QR form, and its standard form.

    With ``U~ = U D``, ``D = diag(1 / norm(U[i]))``, the cycle satisfies
    ``op [U~ V] = [C V_+] G``, ``G = [[D, B], [0, H]]``. The Givens rotations
    ``Omega`` of the cycle (``Omega H = [R_H; 0]``) give ``G = Q_G R_G`` with
    ``Q_G = blockdiag(I, Omega^H[:, :s])`` and ``R_G = [[D, B], [0, R_H]]``,
    upper triangular. The harmonic Ritz problem
    ``G^H G z = theta G^H [C V_+]^H [U~ V] z`` is then ``R_G z = theta M z``
    with ``M = Q_G^H [C V_+]^H [U~ V] = [[C^H U~, 0], [Omega[:s] V_+^H U~,
    Omega[:s, :s]]]``: no normal equations are formed. Its standard form is
    ``R_G^{-1} M z = z / theta``, obtained by back substitution.

    Parameters
    ----------
    R : ndarray
        The rotated Hessenberg matrix; ``R[:s, :s]`` is ``R_H``.
    cs, sn : ndarray
        The cycle's Givens rotations.
    s : int
        Steps of the cycle.
    B : ndarray
        ``C^H op(V)``; ``B[:n_c, :s]`` is used.
    U : ndarray of shape (n_c, n)
        The recycled vectors as rows.
    n_c : int
        Number of recycled vectors.
    CU : ndarray of shape (n_c, n_c)
        ``C^H U``.
    VhU : ndarray of shape (s + 1, n_c)
        ``V_+^H U``.

    Returns
    -------
    RG, M, X : ndarray of shape (n_c + s, n_c + s)
        ``R_G``, ``M`` and ``R_G^{-1} M``.
    scale : ndarray of shape (n_c,)
        The diagonal of ``D``.
    solved : bool
        False when ``R_G`` has a zero on its diagonal or ``X`` is not finite.
    """
    dim = n_c + s
    scale = np.empty(n_c)
    for i in range(n_c):
        scale[i] = 1.0 / _norm(U[i])
    RG = np.zeros((dim, dim), dtype=R.dtype)
    M = np.zeros((dim, dim), dtype=R.dtype)
    for i in range(n_c):
        RG[i, i] = scale[i]
        for j in range(s):
            RG[i, n_c + j] = B[i, j]
        for j in range(n_c):
            M[i, j] = CU[i, j] * scale[j]
    for i in range(s):
        for j in range(i, s):
            RG[n_c + i, n_c + j] = R[i, j]
    Y = np.zeros((s + 1, dim), dtype=R.dtype)
    for i in range(s + 1):
        for j in range(n_c):
            Y[i, j] = VhU[i, j] * scale[j]
    for i in range(s):
        Y[i, n_c + i] = 1.0
    _rotate_rows(cs, sn, s, Y)
    for i in range(s):
        for j in range(dim):
            M[n_c + i, j] = Y[i, j]
    X = M.copy()
    for i in range(dim):
        if RG[i, i] == 0.0:
            return RG, M, X, scale, False
    # Back substitution by rows: X[i] = (M[i] - sum_{j>i} RG[i, j] X[j]) / RG[i, i].
    for i in range(dim - 1, -1, -1):
        for j in range(i + 1, dim):
            a = RG[i, j]
            for col in range(dim):
                X[i, col] -= a * X[j, col]
        inv = 1.0 / RG[i, i]
        for col in range(dim):
            X[i, col] *= inv
    for i in range(dim):
        for col in range(dim):
            if not np.isfinite(X[i, col]):
                return RG, M, X, scale, False
    return RG, M, X, scale, True


@kernel
def select_harmonic(inverse_magnitude, imaginary, k, smallest, real):
    """Mark the ``k`` harmonic Ritz values to keep; return the marks (int32) and their count.

    ``inverse_magnitude`` is ``1 / |theta|`` (infinite for ``theta = 0``;
    zero, for an infinite ``theta``, is never kept). ``smallest`` keeps the
    smallest ``|theta|``, otherwise the largest. For real problems a
    conjugate pair (adjacent entries, the one with positive ``imaginary``
    first, as LAPACK returns them) is kept whole or not at all: a pair that
    would make ``k + 1`` ends the selection.
    """
    count = inverse_magnitude.shape[0]
    key = np.empty(count)
    for i in range(count):
        value = inverse_magnitude[i]
        if value > 0.0:  # NaN and zero fail
            key[i] = -value if smallest else value
        else:
            key[i] = np.inf
    marks = np.zeros(count, dtype=np.int32)
    chosen = 0
    for i in np.argsort(key, kind="mergesort"):
        if chosen >= k or key[i] == np.inf:
            break
        if marks[i]:
            continue
        if not real or imaginary[i] == 0.0:
            marks[i] = 1
            chosen += 1
            continue
        if chosen + 2 > k:
            break
        partner = i + 1 if imaginary[i] > 0.0 else i - 1
        marks[i] = 1
        marks[partner] = 1
        chosen += 2
    return marks, chosen


@kernel
def orthonormal_image(RG, P, rank_tol):
    """``Q``, ``P T`` with ``R_G P T = Q`` orthonormal, by Gram-Schmidt twice; False if ill-conditioned.

    ``R_G P = Q F`` (``F`` upper triangular) and ``T = F^{-1}``. When the
    smallest diagonal entry of ``F`` is at most ``rank_tol`` times the
    largest, the columns of ``R_G P`` are nearly dependent, ``T`` would
    amplify rounding, and False is returned (the caller then drops the
    redundant directions). The columns are handled as rows of transposes,
    so that every loop runs over contiguous memory.
    """
    dim, p = P.shape
    Qt = np.ascontiguousarray((RG @ P).T)
    F = np.zeros((p, p), dtype=P.dtype)
    for col in range(p):
        for _ in range(2):
            for prev in range(col):
                dot = 0.0 * P[0, 0]
                for i in range(dim):
                    dot += np.conj(Qt[prev, i]) * Qt[col, i]
                F[prev, col] += dot
                for i in range(dim):
                    Qt[col, i] -= dot * Qt[prev, i]
        norm = _norm(Qt[col])
        F[col, col] = norm
        if norm > 0.0:
            inv = 1.0 / norm
            for i in range(dim):
                Qt[col, i] *= inv
    largest = 0.0
    for col in range(p):
        largest = max(largest, abs(F[col, col]))
    for col in range(p):
        if not abs(F[col, col]) > rank_tol * largest:
            return np.ascontiguousarray(Qt.T), P, False
    # T = F^{-1} by columns of the identity, T upper triangular.
    T = np.zeros((p, p), dtype=P.dtype)
    for col in range(p):
        T[col, col] = 1.0 / F[col, col]
        for i in range(col - 1, -1, -1):
            acc = 0.0 * P[0, 0]
            for j in range(i + 1, col + 1):
                acc += F[i, j] * T[j, col]
            T[i, col] = -acc / F[i, i]
    return np.ascontiguousarray(Qt.T), P @ T, True


@kernel
def deflation_coefficients(Q, PT, M, cs, sn, s, n_c):
    """Coefficients of the new ``C`` on ``[C V_+]``, and the new ``C^H U``.

    The new ``C`` is ``[C V_+] Q_G Q``: ``Q_G Q`` keeps the first ``n_c``
    rows of ``Q`` and multiplies the others by ``Omega^H[:, :s]`` (the
    rotations undone in reverse order, see :func:`harmonic_pencil`); it has
    ``n_c + s + 1`` rows. The new ``C^H U`` is ``Q^H M P T``.
    """
    dim, p = Q.shape
    out = np.zeros((n_c + s + 1, p), dtype=Q.dtype)
    for i in range(dim):
        for col in range(p):
            out[i, col] = Q[i, col]
    for j in range(s - 1, -1, -1):
        c = cs[j]
        sj = sn[j]
        for col in range(p):
            upper = out[n_c + j, col]
            lower = out[n_c + j + 1, col]
            out[n_c + j, col] = c * upper - sj * lower
            out[n_c + j + 1, col] = np.conj(sj) * upper + c * lower
    CU = np.ascontiguousarray(Q.conj().T) @ (M @ PT)
    return out, CU
