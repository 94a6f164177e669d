"""numba kernels of SOR, SSOR and SSOR-preconditioned CG, for CSR matrices and Laplacian stencils.

Every kernel takes the operator as the same five arrays, so that one solve loop
serves both storage kinds (see ``_sor.SOROperator``):

``indptr, indices, data``
    CSR arrays, index arrays viewed as unsigned (empty for a stencil).
``grid``
    ``(nz, ny, nx)`` of a Laplacian stencil, x fastest (empty for CSR).
``coefs``
    ``(diagonal value, neighbour value)`` of the stencil (empty for CSR).

Sweep formulation (shared by both kinds, so that they give bitwise-identical
iterates; CSR rows are kept canonical, see ``csr_sor_sweep``): row ``i`` of a forward sweep is

    x_new[i] = x_old[i] + w_i (b_i - s_i) - (w_i a_{i,i-1}) x_new[i-1],   w_i = omega / a_ii,

where ``s_i`` sums ``a_ij x_j`` over every stored entry but ``j = i - 1``, with
``x_new[j]`` for ``j < i - 1`` and ``x_old[j]`` otherwise (the diagonal term
uses ``x_old[i]``). Keeping the just-computed neighbour out of ``s_i`` leaves a
single multiply-subtract on the loop-carried dependency chain, instead of the
whole row sum: this is what makes the sweep bandwidth-bound rather than
latency-bound. A backward sweep mirrors it with ``i + 1``.

A *fused* sweep writes ``x_new`` from a distinct ``x_old`` and accumulates
``||b - A x_old||^2`` in the same pass, so a solve gets the residual of the
previous iterate without a second pass over the matrix. A non-fused sweep is
in place (``x_old is x_new``) and computes no residual; it serves the SSOR
preconditioner and the second half of a symmetric sweep.

CSR kernels take real or complex data alike (the sweep has no conjugate, as
pyamg's; residual norms are ``sum |r_i|^2`` and :func:`dot` conjugates its first
argument, so SSOR-CG runs on Hermitian positive definite matrices); stencils are real.
"""

import math

import numpy as np

from ..._core.jit import kernel

__all__ = [
    "csr_sor_sweep",
    "stencil_sor_sweep",
    "sor_sweep",
    "matvec",
    "dot",
    "norm2",
    "residual_norm2",
    "sor_iterate",
    "ssor_apply",
    "ssor_cg_iterate",
]

# Status codes shared with ``_sor.py``.
RUNNING = 1
CONVERGED = 0
DIVERGED = -1
BREAKDOWN = -2


@kernel
def _abs2(z):
    """``|z|^2`` of a real or complex number, in its real type (no square root, no overflow guard)."""
    return z.real * z.real + z.imag * z.imag


@kernel
def _csr_sweep(indptr, indices, data, b, x_old, x_new, omega, forward, fused):
    n = b.shape[0]
    res2 = 0.0
    for t in range(n):
        i = t if forward else n - 1 - t
        k = indptr[i]
        end = indptr[i + 1]
        # Rows are canonical (sorted, no duplicates, diagonal stored): one pass splits a row at its diagonal with
        # a single index comparison per entry. ``left``/``right`` hold the entries before/after the diagonal, but
        # ``prev``; in place, ``left`` is the whole row sum in storage order (centre included).
        left = 0.0
        left_new = 0.0  # fused forward: the entries left of the diagonal with new values
        while k < end and (indices[k] + 1 < i if forward else indices[k] < i):
            j = indices[k]
            a = data[k]
            left += a * x_old[j]
            if fused and forward:
                left_new += a * x_new[j]
            k += 1
        a_prev = 0.0
        if forward and k < end and indices[k] + 1 == i:
            a_prev = data[k]
            k += 1
        diag = data[k]
        xc = x_old[i]
        k += 1
        if not forward and k < end and indices[k] == i + 1:
            a_prev = data[k]
            k += 1
        right = 0.0 if fused else left + diag * xc
        right_new = 0.0  # fused backward: the entries right of the diagonal with new values
        while k < end:
            j = indices[k]
            a = data[k]
            right += a * x_old[j]
            if fused and not forward:
                right_new += a * x_new[j]
            k += 1
        acc = right
        if fused:
            # near: entries the sweep has passed (new values for the update, old ones for the residual)
            near_new, near_old, far = (left_new, left, right) if forward else (right_new, right, left)
            prev = i - 1 if forward else i + 1
            dx = diag * xc
            r = b[i] - (((near_old + (a_prev * x_old[prev] if a_prev != 0.0 else 0.0)) + dx) + far)
            res2 += _abs2(r)
            acc = (near_new + dx) + far
        w = omega * (1.0 / diag)
        xi = xc + w * (b[i] - acc)
        if a_prev != 0.0:
            xi = xi - (w * a_prev) * x_new[i - 1 if forward else i + 1]
        x_new[i] = xi
    return res2


@kernel
def csr_sor_sweep(indptr, indices, data, b, x_old, x_new, omega, forward, fused):
    """One SOR sweep on a CSR matrix.

    ``fused=True``: ``x_old -> x_new`` (distinct arrays), returning
    ``||b - A x_old||^2``. ``fused=False``: in place (``x_old is x_new``),
    returning 0. The matrix must be in canonical format (sorted indices, no
    duplicates) with its diagonal stored. ``indptr`` and ``indices`` are unsigned views, so that numba
    emits no negative-index wrap-around test per nonzero. The four
    direction/mode combinations are compiled as separate loops.
    """
    if forward:
        if fused:
            return _csr_sweep(indptr, indices, data, b, x_old, x_new, omega, True, True)
        return _csr_sweep(indptr, indices, data, b, x_old, x_new, omega, True, False)
    if fused:
        return _csr_sweep(indptr, indices, data, b, x_old, x_new, omega, False, True)
    return _csr_sweep(indptr, indices, data, b, x_old, x_new, omega, False, False)


@kernel
def _grid_lines(grid):
    """``(nz, ny, nx, sy, sz)``, 0 and 1 as unsigned ints, so that index arithmetic needs no wrap-around tests."""
    nz, ny, nx = np.uint64(grid[0]), np.uint64(grid[1]), np.uint64(grid[2])
    return nz, ny, nx, nx, nx * ny, np.uint64(0), np.uint64(1)


@kernel
def _neighbour_lines(z, y, nz, ny, sy, sz, lo, off):
    """Starts and coefficients of the lines at -z, -y, +y, +z of the line starting at ``lo``.

    A missing line (grid boundary) points at the current one with coefficient 0.
    """
    zero, one = np.uint64(0), np.uint64(1)
    zm, ym, yp, zp = lo, lo, lo, lo
    czm, cym, cyp, czp = 0.0, 0.0, 0.0, 0.0
    if z > zero:
        zm, czm = lo - sz, off
    if y > zero:
        ym, cym = lo - sy, off
    if y < ny - one:
        yp, cyp = lo + sy, off
    if z < nz - one:
        zp, czp = lo + sz, off
    return zm, ym, yp, zp, czm, cym, cyp, czp


@kernel
def _stencil_sweep(grid, coefs, b, x_old, x_new, omega, forward, fused):
    nz, ny, nx, sy, sz, zero, one = _grid_lines(grid)
    diag, off = coefs[0], coefs[1]
    w = omega * (1.0 / diag)
    wp = w * off
    res2 = 0.0
    for tz in range(nz):
        z = tz if forward else nz - one - tz
        for ty in range(ny):
            y = ty if forward else ny - one - ty
            lo = z * sz + y * sy
            zm, ym, yp, zp, czm, cym, cyp, czp = _neighbour_lines(z, y, nz, ny, sy, sz, lo, off)
            last = 0.0
            for tx in range(nx):
                x = tx if forward else nx - one - tx
                i = lo + x
                has_l = x > zero
                has_r = x < nx - one
                xc = x_old[i]
                xl = x_old[i - one] if has_l else xc
                xr = x_old[i + one] if has_r else xc
                cl = off if has_l else 0.0
                cr = off if has_r else 0.0
                prev_coef = (wp if has_l else 0.0) if forward else (wp if has_r else 0.0)
                if not fused:  # in place, as the CSR kernel: one sum in column order, centre included
                    if forward:
                        acc = (czm * x_new[zm + x] + cym * x_new[ym + x] + diag * xc + cr * xr
                               + cyp * x_old[yp + x] + czp * x_old[zp + x])
                    else:
                        acc = (czm * x_old[zm + x] + cym * x_old[ym + x] + cl * xl + diag * xc
                               + cyp * x_new[yp + x] + czp * x_new[zp + x])
                else:
                    # Fused, grouped as the CSR kernel: (passed side, previous point, centre, side
                    # ahead). New values are read only from lines that exist: elsewhere x_new is
                    # not written yet.
                    if forward:
                        far = cr * xr + cyp * x_old[yp + x] + czp * x_old[zp + x]
                        near_new = (czm * (x_new[zm + x] if czm != 0.0 else 0.0)
                                    + cym * (x_new[ym + x] if cym != 0.0 else 0.0))
                        near_old = czm * x_old[zm + x] + cym * x_old[ym + x]
                        prev_old = cl * xl
                    else:
                        far = czm * x_old[zm + x] + cym * x_old[ym + x] + cl * xl
                        near_new = (cyp * (x_new[yp + x] if cyp != 0.0 else 0.0)
                                    + czp * (x_new[zp + x] if czp != 0.0 else 0.0))
                        near_old = cyp * x_old[yp + x] + czp * x_old[zp + x]
                        prev_old = cr * xr
                    dx = diag * xc
                    r = b[i] - (((near_old + prev_old) + dx) + far)
                    res2 += _abs2(r)
                    acc = (near_new + dx) + far
                xi = xc + w * (b[i] - acc) - prev_coef * last
                x_new[i] = xi
                last = xi
    return res2


@kernel
def stencil_sor_sweep(grid, coefs, b, x_old, x_new, omega, forward, fused):
    """One SOR sweep on a Laplacian stencil (``fused`` as in :func:`csr_sor_sweep`).

    Works one grid line (fixed z, y) at a time with unsigned offsets (no
    wrap-around tests, and no array views whose reference counting would
    dominate on small grids); a missing neighbour line is replaced by the
    current line with coefficient 0, which adds exact zeros and keeps the
    values of the CSR row sums.
    """
    if forward:
        if fused:
            return _stencil_sweep(grid, coefs, b, x_old, x_new, omega, True, True)
        return _stencil_sweep(grid, coefs, b, x_old, x_new, omega, True, False)
    if fused:
        return _stencil_sweep(grid, coefs, b, x_old, x_new, omega, False, True)
    return _stencil_sweep(grid, coefs, b, x_old, x_new, omega, False, False)


@kernel
def sor_sweep(indptr, indices, data, grid, coefs, b, x_old, x_new, omega, forward, fused):
    """One SOR sweep on either operator kind; returns ``||b - A x_old||^2`` when ``fused``, else 0."""
    if grid.shape[0] == 3:
        return stencil_sor_sweep(grid, coefs, b, x_old, x_new, omega, forward, fused)
    return csr_sor_sweep(indptr, indices, data, b, x_old, x_new, omega, forward, fused)


@kernel
def matvec(indptr, indices, data, grid, coefs, x, out):
    """``out = A @ x`` on either operator kind (row sums in column order)."""
    if grid.shape[0] != 3:
        for i in range(out.shape[0]):
            acc = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                acc += data[k] * x[indices[k]]
            out[i] = acc
        return
    nz, ny, nx, sy, sz, zero, one = _grid_lines(grid)
    diag, off = coefs[0], coefs[1]
    for z in range(nz):
        for y in range(ny):
            lo = z * sz + y * sy
            zm, ym, yp, zp, czm, cym, cyp, czp = _neighbour_lines(z, y, nz, ny, sy, sz, lo, off)
            for xx in range(nx):
                i = lo + xx
                has_l = xx > zero
                has_r = xx < nx - one
                xl = x[i - one] if has_l else x[i]
                xr = x[i + one] if has_r else x[i]
                out[i] = (czm * x[zm + xx] + cym * x[ym + xx] + (off if has_l else 0.0) * xl + diag * x[i]
                          + (off if has_r else 0.0) * xr + cyp * x[yp + xx] + czp * x[zp + xx])


@kernel
def _residual_status(res2, tol2):
    """CONVERGED if ``res2 <= tol2``, DIVERGED if it is not finite, else RUNNING."""
    if not math.isfinite(res2):
        return DIVERGED
    return CONVERGED if res2 <= tol2 else RUNNING


@kernel
def sor_iterate(indptr, indices, data, grid, coefs, b, x, work, omega, sweep, tol2, n_sweeps, residuals, k0,
                track):
    """Run up to ``n_sweeps`` SOR iterations from the iterate in ``x`` (its iteration number is ``k0``).

    ``sweep`` is 0 (forward), 1 (backward) or 2 (symmetric). With ``track``,
    the iteration that computes ``x_{k+1}`` also yields ``||r_k||``, stored in
    ``residuals[k]``; the loop stops as soon as ``||r_k||^2 <= tol2`` (``x``
    then holds ``x_k``), when a residual is not finite, or after ``n_sweeps``
    iterations (``x`` then holds the newest iterate, whose residual is not
    known yet). Without ``track`` it runs exactly ``n_sweeps`` in-place
    iterations and records nothing (a smoother: no stopping test to feed).

    Returns ``(k, status)``: the iteration number of the iterate in ``x`` and
    0 (converged), 1 (still running) or -1 (diverged).
    """
    # One call site of the sweep (the compiled sweep is large; each call site is inlined).
    cur = x
    nxt = work if track else x
    in_work = False
    k = k0
    status = RUNNING
    for _ in range(n_sweeps):
        res2 = 0.0
        for half in range(2 if sweep == 2 else 1):
            first = half == 0
            forward = sweep != 1 if first else False
            fused = track and first
            out = sor_sweep(indptr, indices, data, grid, coefs, b, cur if first else nxt, nxt, omega, forward, fused)
            if fused:
                res2 = out
                residuals[k] = math.sqrt(res2)
                status = _residual_status(res2, tol2)
                if status != RUNNING:
                    break
        if status != RUNNING:
            break
        if track:
            cur, nxt = nxt, cur
            in_work = not in_work
        k += 1
    if in_work:
        x[:] = cur
    return k, status


@kernel
def ssor_apply(indptr, indices, data, grid, coefs, r, z, omega):
    """``z = M^{-1} r`` for the SSOR preconditioner: one symmetric sweep from ``z = 0``."""
    z[:] = 0.0
    for forward in (True, False):
        sor_sweep(indptr, indices, data, grid, coefs, r, z, z, omega, forward, False)


@kernel
def dot(u, v):
    """``u^H v`` (compiled: BLAS threads have no say in the many small products of a sequence)."""
    total = 0.0
    for i in range(u.shape[0]):
        total += u[i].conjugate() * v[i]
    return total


@kernel
def norm2(u):
    """``||u||^2``, real for complex ``u`` too."""
    total = 0.0
    for i in range(u.shape[0]):
        total += _abs2(u[i])
    return total


@kernel
def residual_norm2(indptr, indices, data, grid, coefs, b, x, work):
    """``||b - A x||^2``, with ``work`` receiving ``A x``."""
    matvec(indptr, indices, data, grid, coefs, x, work)
    total = 0.0
    for i in range(b.shape[0]):
        total += _abs2(b[i] - work[i])
    return total


@kernel
def ssor_cg_iterate(indptr, indices, data, grid, coefs, b, x, r, z, p, q, state, omega, tol2, n_steps,
                    residuals, k0):
    """Run up to ``n_steps`` iterations of SSOR-preconditioned CG.

    ``r``, ``z``, ``p`` and ``state = [r.z]`` carry the iteration between
    calls; at ``k0 == 0`` they are initialised from ``x``. ``residuals[k]`` is
    the residual norm of ``x_k`` (by the recurrence; when that meets ``tol2``
    the true residual replaces it, and the recurrence continues from the true
    one if it does not, so a converged iterate always meets the stopping rule).

    Returns ``(k, status)`` with status 0 (converged), 1 (running),
    -1 (diverged) or -2 (breakdown: ``p.Ap <= 0`` or ``r.z <= 0``).
    """
    k = k0
    status = RUNNING
    if k0 == 0:
        matvec(indptr, indices, data, grid, coefs, x, q)
        for i in range(b.shape[0]):
            r[i] = b[i] - q[i]
        res2 = norm2(r)
        residuals[0] = math.sqrt(res2)
        status = _residual_status(res2, tol2)
        if status != RUNNING:
            return 0, status
        ssor_apply(indptr, indices, data, grid, coefs, r, z, omega)
        p[:] = z
        state[0] = dot(r, z).real
    for _ in range(n_steps):
        rz = state[0]
        if not rz > 0.0:
            status = BREAKDOWN
            break
        matvec(indptr, indices, data, grid, coefs, p, q)
        # Real for a Hermitian A (and M): the imaginary parts are rounding errors.
        pq = dot(p, q).real
        if not pq > 0.0:
            status = BREAKDOWN
            break
        alpha = rz / pq
        for i in range(x.shape[0]):
            x[i] += alpha * p[i]
            r[i] -= alpha * q[i]
        k += 1
        res2 = norm2(r)
        if res2 <= tol2:
            matvec(indptr, indices, data, grid, coefs, x, q)
            for i in range(b.shape[0]):
                r[i] = b[i] - q[i]
            res2 = norm2(r)
        residuals[k] = math.sqrt(res2)
        status = _residual_status(res2, tol2)
        if status != RUNNING:
            break
        ssor_apply(indptr, indices, data, grid, coefs, r, z, omega)
        rz_new = dot(r, z).real
        beta = rz_new / rz
        for i in range(p.shape[0]):
            p[i] = z[i] + beta * p[i]
        state[0] = rz_new
    return k, status
