"""Plain NumPy twins of the GCRO-DR kernels (the oracles of ``test_gcrodr_kernels.py``)."""

import numpy as np


def givens_twin(a, b):
    """``(c, s, r)`` with ``[[c, s], [-conj(s), c]] @ [a, b] = [r, 0]``, ``c`` real and non-negative."""
    if b == 0:
        return 1.0, b * 0.0, a
    if a == 0:
        return 0.0, np.conj(b) / abs(b), b * 0.0 + abs(b)
    norm = np.hypot(abs(a), abs(b))
    phase = a / abs(a)
    return abs(a) / norm, phase * np.conj(b) / norm, phase * norm


def arnoldi_step_twin(C, n_c, V, j, w, H, B, R, cs, sn, g, reorth):
    """Block classical Gram-Schmidt (against C, then V) with one conditional repetition, then Givens."""
    w_norm = before = np.linalg.norm(w)
    coef_c = np.zeros(n_c, dtype=H.dtype)
    coef_v = np.zeros(j + 1, dtype=H.dtype)
    after = before
    for _ in range(2):
        step = C[:n_c].conj() @ w
        w -= step @ C[:n_c]
        coef_c += step
        step = V[: j + 1].conj() @ w
        w -= step @ V[: j + 1]
        coef_v += step
        after = np.linalg.norm(w)
        if not after < reorth * before:
            break
        before = after
    B[:n_c, j] = coef_c
    H[: j + 1, j] = coef_v
    R[: j + 1, j] = coef_v
    H[j + 1, j] = after
    if after > 0:
        V[j + 1] = w / after
    for i in range(j):
        upper, lower = R[i, j], R[i + 1, j]
        R[i, j] = cs[i] * upper + sn[i] * lower
        R[i + 1, j] = -np.conj(sn[i]) * upper + cs[i] * lower
    c, s, r = givens_twin(R[j, j], H[j + 1, j])
    cs[j], sn[j], R[j, j], R[j + 1, j] = c, s, r, 0.0
    g[j + 1] = -np.conj(s) * g[j]
    g[j] = c * g[j]
    return after, w_norm, abs(g[j + 1])


def arnoldi_cycle_csr_twin(
    indptr, indices, data, diag, pc_mode, C, n_c, V, s_max, H, B, R, cs, sn, g, reorth, target, eps, history
):
    """The cycle with SciPy's CSR product: ``op = A``, ``diag(d) A`` (mode 1) or ``A diag(d)`` (mode 2)."""
    from scipy import sparse

    n = V.shape[1]
    A = sparse.csr_array((data, indices, indptr), shape=(n, n))
    for j in range(s_max):
        if pc_mode == 2:
            w = A @ (diag * V[j])
        elif pc_mode == 1:
            w = diag * (A @ V[j])
        else:
            w = A @ V[j]
        w = w.astype(V.dtype)
        h_next, w_norm, estimate = arnoldi_step_twin(C, n_c, V, j, w, H, B, R, cs, sn, g, reorth)
        if not (np.isfinite(h_next) and np.isfinite(w_norm)):
            return j, 2
        history[j] = estimate
        if h_next <= eps * w_norm:
            return j + 1, 1
        if estimate <= target:
            return j + 1, 0
    return s_max, 0


def apply_operator_rows_twin(indptr, indices, data, diag, pc_mode, X, out):
    """Each row through the operator of ``arnoldi_cycle_csr_twin``."""
    from scipy import sparse

    n = X.shape[1]
    A = sparse.csr_array((data, indices, indptr), shape=(n, n))
    for i, row in enumerate(X):
        if pc_mode == 2:
            out[i] = A @ (diag * row)
        elif pc_mode == 1:
            out[i] = diag * (A @ row)
        else:
            out[i] = A @ row


def start_cycle_twin(C, n_c, r, V, c0):
    """One classical Gram-Schmidt pass of ``r`` against ``C[:n_c]``, then ``V[0] = r / norm(r)``."""
    step = C[:n_c].conj() @ r
    c0[:n_c] = step
    r -= step @ C[:n_c]
    beta = np.linalg.norm(r)
    if beta > 0:
        V[0] = r / beta
    return beta


def back_substitute_twin(R, g, s, y, eps):
    """``y[:s] = R[:s, :s]^{-1} g[:s]`` unless a diagonal entry is at most ``eps`` times the largest."""
    diag = np.abs(np.diagonal(R[:s, :s]))
    if s and not diag.min() > eps * diag.max():
        return False
    y[:s] = np.linalg.solve(np.triu(R[:s, :s]), g[:s])
    return True


def finish_cycle_twin(U, n_u, V, s, H, B, c0, y, beta, correction, residual):
    """``correction = (c0 - B y) U + y V[:s]``, ``residual = (beta e_1 - H y) V[:s+1]``."""
    y2 = y[:s]
    y1 = c0[:n_u] - B[:n_u, :s] @ y2
    z = -(H[: s + 1, :s] @ y2)
    z[0] += beta
    correction[:] = y1 @ U[:n_u] + y2 @ V[:s]
    residual[:] = z @ V[: s + 1]


def _rotations_matrix(cs, sn, s, dtype):
    """``Omega``, the product of the cycle's Givens rotations, as a dense ``(s+1, s+1)`` matrix."""
    omega = np.eye(s + 1, dtype=dtype)
    for j in range(s):
        rotation = np.eye(s + 1, dtype=dtype)
        rotation[j : j + 2, j : j + 2] = [[cs[j], sn[j]], [-np.conj(sn[j]), cs[j]]]
        omega = rotation @ omega
    return omega


def harmonic_pencil_twin(R, cs, sn, s, B, U, n_c, CU, VhU):
    """``R_G``, ``M = Q_G^H [C V_+]^H [U~ V]``, ``R_G^{-1} M``, the scaling and whether it was solved."""
    dtype = R.dtype
    scale = 1.0 / np.linalg.norm(U[:n_c], axis=1)
    dim = n_c + s
    RG = np.zeros((dim, dim), dtype=dtype)
    RG[:n_c, :n_c] = np.diag(scale)
    RG[:n_c, n_c:] = B[:n_c, :s]
    RG[n_c:, n_c:] = np.triu(R[:s, :s])
    lower = np.hstack([VhU[:, :n_c] * scale, np.eye(s + 1, s, dtype=dtype)])
    M = np.vstack([np.hstack([CU[:n_c, :n_c] * scale, np.zeros((n_c, s), dtype=dtype)]),
                   (_rotations_matrix(cs, sn, s, dtype) @ lower)[:s]])  # fmt: skip
    if np.any(np.diagonal(RG) == 0):
        return RG, M, M.copy(), scale, False
    X = np.linalg.solve(RG, M)
    return RG, M, X, scale, bool(np.all(np.isfinite(X)))


def select_harmonic_twin(inverse_magnitude, imaginary, k, smallest, real):
    """The ``k`` largest (``smallest``) or smallest positive ``inverse_magnitude``, pairs kept whole."""
    keep = inverse_magnitude > 0
    key = np.where(keep, -inverse_magnitude if smallest else inverse_magnitude, np.inf)
    marks = np.zeros(len(key), dtype=np.int32)
    chosen = 0
    for i in np.argsort(key, kind="stable"):
        if chosen >= k or key[i] == np.inf:
            break
        if marks[i]:
            continue
        if not real or imaginary[i] == 0:
            marks[i] = 1
            chosen += 1
            continue
        if chosen + 2 > k:
            break
        marks[[i, i + 1 if imaginary[i] > 0 else i - 1]] = 1
        chosen += 2
    return marks, chosen


def orthonormal_image_twin(RG, P, rank_tol):
    """``Q`` of the QR factorisation of ``triu(RG) P`` (positive real diagonal of ``R``), ``P R^{-1}``."""
    Q, F = np.linalg.qr(np.triu(RG) @ P)
    phase = np.diagonal(F) / np.abs(np.diagonal(F))
    Q, F = Q * phase, F * phase.conj()[:, None]
    diag = np.abs(np.diagonal(F))
    if not diag.min() > rank_tol * diag.max():
        return Q, P, False
    return Q, P @ np.linalg.inv(F), True


def deflation_coefficients_twin(Q, PT, M, cs, sn, s, n_c):
    """``[[Q_top], [Omega^H[:, :s] Q_bottom]]`` and ``Q^H M P T``."""
    omega = _rotations_matrix(cs, sn, s, Q.dtype)
    out = np.vstack([Q[:n_c], omega.conj().T[:, :s] @ Q[n_c:]])
    return out, Q.conj().T @ M @ PT
