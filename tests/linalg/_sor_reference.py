"""Plain NumPy twins of the SOR kernels (textbook formulas, dense matrices): the tests' oracles."""

import numpy as np
from scipy import sparse


def dense_from_csr(indptr, indices, data, n):
    return sparse.csr_array((data, indices.astype(np.int64), indptr.astype(np.int64)), shape=(n, n)).toarray()


def dense_from_grid(grid, coefs):
    """The Laplacian-plus-shift matrix of a ``(nz, ny, nx)`` grid, assembled point by point."""
    nz, ny, nx = (int(g) for g in grid)
    n = nz * ny * nx
    A = np.zeros((n, n))
    index = np.arange(n).reshape(nz, ny, nx)
    for z, y, x in np.ndindex(nz, ny, nx):
        i = index[z, y, x]
        A[i, i] = coefs[0]
        for dz, dy, dx in ((1, 0, 0), (0, 1, 0), (0, 0, 1), (-1, 0, 0), (0, -1, 0), (0, 0, -1)):
            if 0 <= z + dz < nz and 0 <= y + dy < ny and 0 <= x + dx < nx:
                A[i, index[z + dz, y + dy, x + dx]] = coefs[1]
    return A


def dense_operator(indptr, indices, data, grid, coefs, n):
    return dense_from_grid(grid, coefs) if grid.shape[0] == 3 else dense_from_csr(indptr, indices, data, n)


def sweep_dense(A, b, x_old, x_new, omega, forward, fused):
    """Textbook SOR sweep ``x_i <- (1 - w) x_i + w (b_i - sum_{j != i} a_ij x_j) / a_ii``."""
    n = b.shape[0]
    res2 = float(np.sum(np.abs(b - A @ x_old) ** 2)) if fused else 0.0
    x = np.array(x_old, dtype=np.result_type(A, b, x_old, np.float64))
    for i in range(n) if forward else range(n - 1, -1, -1):
        sigma = A[i] @ x - A[i, i] * x[i]
        x[i] = (1.0 - omega) * x[i] + omega * (b[i] - sigma) / A[i, i]
    x_new[:] = x
    return res2


def csr_sor_sweep_twin(indptr, indices, data, b, x_old, x_new, omega, forward, fused):
    return sweep_dense(dense_from_csr(indptr, indices, data, b.shape[0]), b, x_old, x_new, omega, forward, fused)


def stencil_sor_sweep_twin(grid, coefs, b, x_old, x_new, omega, forward, fused):
    return sweep_dense(dense_from_grid(grid, coefs), b, x_old, x_new, omega, forward, fused)


def matvec_twin(indptr, indices, data, grid, coefs, x, out):
    out[:] = dense_operator(indptr, indices, data, grid, coefs, x.shape[0]) @ x


def sor_iterate_twin(indptr, indices, data, grid, coefs, b, x, work, omega, sweep, tol2, n_sweeps, residuals,
                     k0, track):
    """Same contract as the kernel: residuals[k] = ||b - A x_k||, stop on tol2, divergence or n_sweeps;
    without ``track``, just ``n_sweeps`` iterations."""
    A = dense_operator(indptr, indices, data, grid, coefs, b.shape[0])
    k = k0
    for _ in range(n_sweeps):
        if not track:
            sweep_dense(A, b, x, x, omega, sweep != 1, False)
            if sweep == 2:
                sweep_dense(A, b, x, x, omega, False, False)
            k += 1
            continue
        residual2 = float(np.sum(np.abs(b - A @ x) ** 2))
        residuals[k] = np.sqrt(residual2)
        if not np.isfinite(residual2):
            return k, -1
        if residual2 <= tol2:
            return k, 0
        nxt = np.empty_like(x)
        sweep_dense(A, b, x, nxt, omega, sweep != 1, False)
        if sweep == 2:
            sweep_dense(A, b, nxt, nxt, omega, False, False)
        x[:] = nxt
        k += 1
    return k, 1


def ssor_matrix(A, omega):
    """``M = (D / w + L) (D (2 - w) / w)^{-1} (D / w + U)``."""
    D = np.diag(np.diag(A))
    lower, upper = np.tril(A, -1), np.triu(A, 1)
    return (D / omega + lower) @ np.linalg.inv(D * (2.0 - omega) / omega) @ (D / omega + upper)


def ssor_apply_twin(indptr, indices, data, grid, coefs, r, z, omega):
    A = dense_operator(indptr, indices, data, grid, coefs, r.shape[0])
    z[:] = np.linalg.solve(ssor_matrix(A, omega), r)


def ssor_cg_iterate_twin(indptr, indices, data, grid, coefs, b, x, r, z, p, q, state, omega, tol2, n_steps,
                         residuals, k0):
    """Textbook preconditioned CG with the dense SSOR matrix (from k0 == 0; final-residual check as the kernel)."""
    A = dense_operator(indptr, indices, data, grid, coefs, b.shape[0])
    Minv = np.linalg.inv(ssor_matrix(A, omega))
    r[:] = b - A @ x
    residuals[0] = np.linalg.norm(r)
    if residuals[0] ** 2 <= tol2:
        return 0, 0
    z[:] = Minv @ r
    p[:] = z
    rz = np.vdot(r, z).real
    k = 0
    for _ in range(n_steps):
        q[:] = A @ p
        alpha = rz / np.vdot(p, q).real
        x += alpha * p
        r -= alpha * q
        k += 1
        if np.vdot(r, r).real <= tol2:
            q[:] = A @ x
            r[:] = b - q
        residuals[k] = np.linalg.norm(r)
        if np.vdot(r, r).real <= tol2:
            state[0] = rz
            return k, 0
        z[:] = Minv @ r
        rz_new = np.vdot(r, z).real
        p[:] = z + rz_new / rz * p
        rz = rz_new
    state[0] = rz
    return k, 1


def tsallis_inf_probabilities_twin(losses, eta):
    """Normaliser by bisection on ``sum 4 / (eta (L - x))^2 = 1`` over ``x < min L``."""
    low, high = losses.min() - 2.0 * np.sqrt(losses.size) / eta - 1.0, losses.min() - 1e-300
    for _ in range(200):
        mid = 0.5 * (low + high)
        total = np.sum(4.0 / (eta * (losses - mid)) ** 2)
        low, high = (mid, high) if total < 1.0 else (low, mid)
    p = 4.0 / (eta * (losses - 0.5 * (low + high))) ** 2
    return p / p.sum()


def dot_twin(u, v):
    return np.vdot(u, v)


def norm2_twin(u):
    return float(np.vdot(u, u).real)


def residual_norm2_twin(indptr, indices, data, grid, coefs, b, x, work):
    work[:] = dense_operator(indptr, indices, data, grid, coefs, b.shape[0]) @ x
    return float(np.sum(np.abs(b - work) ** 2))


def givens_append_twin(factor, rotated, features, value):
    """Same rotations, row by row in NumPy."""
    row, extra = np.array(features, dtype=np.float64), float(value)
    for k in range(row.shape[0]):
        if row[k] == 0.0:
            continue
        radius = np.hypot(factor[k, k], row[k])
        c, s = factor[k, k] / radius, row[k] / radius
        factor[k, k:], row[k:] = c * factor[k, k:] + s * row[k:], -s * factor[k, k:] + c * row[k:]
        rotated[k], extra = c * rotated[k] + s * extra, -s * rotated[k] + c * extra


def min_norm_solution_twin(factor, rotated):
    return np.linalg.pinv(factor, rcond=1e-13) @ rotated


def box_constrained_least_squares_twin(factor, rotated, bounds, start, max_iter=50):
    """The same primal active-set iteration, written with NumPy masks and pinv."""
    theta = np.clip(start, -bounds, bounds)
    held = (bounds <= 0) | (np.abs(theta) >= bounds)
    scale = (np.abs(factor).max() + 1e-300) * (np.abs(factor).max() * max(bounds.max(), 1.0)
                                               + np.abs(rotated).max())
    for _ in range(max_iter):
        free = ~held
        target = theta.copy()
        if free.any():
            rhs = rotated - factor[:, ~free] @ theta[~free]
            target[free] = min_norm_solution_twin(factor[:, free], rhs)
        step = target - theta
        if np.abs(step).max() > 1e-14 * (1.0 + np.abs(theta).max()):
            outside = np.abs(target) > bounds
            if not outside.any():
                theta = target
                continue
            room = np.where(step > 0, bounds - theta, -bounds - theta)
            fractions = np.where(outside, room / np.where(step != 0, step, 1.0), np.inf)
            blocking = int(np.argmin(fractions))
            theta = np.clip(theta + max(fractions[blocking], 0.0) * step, -bounds, bounds)
            theta[blocking] = np.sign(step[blocking]) * bounds[blocking]
            held[blocking] = True
            continue
        gradient = factor.T @ (factor @ theta - rotated)
        inward = np.where(held & (bounds > 0), np.where(theta > 0, gradient, -gradient), 0.0)
        release = int(np.argmax(inward))
        if inward[release] <= 1e-12 * scale:
            break
        held[release] = False
    return theta
