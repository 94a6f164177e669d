"""numba kernel of the accelerated gradient for MCP/SCAD on a working set's Gram matrix, and its NumPy twin.

On a working set ``W`` the smooth part's gradient is ``G md - c + q'(md)`` with ``G = X_W^T X_W / n`` and
``c = X_W^T y / n``; the kernel forms ``G md`` from the nonzeros of ``md`` only (``G`` is symmetric, so its
rows are read contiguously), ``O(|W| nnz(md))`` per iteration instead of the ``O(n |W|)`` of two products with
``X_W``. The iteration state lives in arrays the kernel updates in place, so that a caller with a callback can
advance it one step at a time and one without it runs the whole loop in one call:

- ``ag``, ``x``, ``md_old``: the paper's aggregated and proximal sequences and the previous search point;
- ``state = [alpha_k, dmd_old, since_restart, have_md_old]``.

Penalty codes: 0 MCP, 1 SCAD.
"""

import numpy as np

from ..._core.jit import kernel

__all__ = ["ag_steps", "ag_steps_twin", "prox_step", "prox_step_twin"]


def _concave_gradient(b, alpha, gamma, penalty):
    """``q'(b)``: the gradient of the concave part ``p(b) - alpha |b|``."""
    a, s = np.abs(b), np.sign(b)
    if penalty == "mcp":
        return np.where(a < gamma * alpha, -b / gamma, -alpha * s)
    return np.where(a <= alpha, 0.0, np.where(a < gamma * alpha, (alpha * s - b) / (gamma - 1), -alpha * s))


def _soft(v, t):
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


@kernel
def _q_prime(b, alpha, gamma, scad):
    """``q'(b)`` of one coefficient (the concave part ``p(b) - alpha |b|``)."""
    a = abs(b)
    s = 1.0 if b > 0.0 else (-1.0 if b < 0.0 else 0.0)
    if scad == 0:
        return -b / gamma if a < gamma * alpha else -alpha * s
    if a <= alpha:
        return 0.0
    if a < gamma * alpha:
        return (alpha * s - b) / (gamma - 1.0)
    return -alpha * s


@kernel
def _shrink(v, t):
    if v > t:
        return v - t
    if v < -t:
        return v + t
    return 0.0


@kernel
def ag_steps(G, c, ag, x, md_old, state, alpha, gamma, scad, step, accelerate, tol, n_steps):
    """Advance the accelerated (or, ``accelerate=False``, proximal) gradient by up to ``n_steps`` iterations.

    Returns ``(steps, converged)``: ``converged`` when ``||md_k - md_(k-1)||_inf < tol`` (then ``ag`` is the
    answer and the state is left as it was before that step's bookkeeping)."""
    m = ag.shape[0]
    md = np.empty(m)
    g = np.empty(m)
    for k in range(n_steps):
        a_k = state[0]
        for j in range(m):
            md[j] = (1.0 - a_k) * ag[j] + a_k * x[j] if accelerate else ag[j]
        for j in range(m):
            g[j] = -c[j]
        for j in range(m):
            v = md[j]
            if v != 0.0:
                row = G[j]
                for i in range(m):
                    g[i] += v * row[i]
        for j in range(m):
            g[j] += _q_prime(md[j], alpha, gamma, scad)
        if accelerate:
            lam = step / a_k
            for j in range(m):
                x[j] = _shrink(x[j] - lam * g[j], lam * alpha)
        for j in range(m):
            ag[j] = _shrink(md[j] - step * g[j], step * alpha)
        state[2] += 1.0
        if state[3] > 0.0:
            inf_norm = 0.0
            sq = 0.0
            for j in range(m):
                d = md[j] - md_old[j]
                inf_norm = max(inf_norm, abs(d))
                sq += d * d
            if inf_norm < tol:
                return k + 1, True
            dmd = np.sqrt(sq)
            if accelerate and dmd < state[1] and state[2] >= 3.0:
                # Restart: x joins ag and the weights start over.
                state[0] = 1.0
                state[1] = np.inf
                state[2] = 0.0
                for j in range(m):
                    x[j] = ag[j]
                    md_old[j] = md[j]
                continue
            state[1] = dmd
        for j in range(m):
            md_old[j] = md[j]
        state[3] = 1.0
        if accelerate:
            state[0] = 2.0 / (1.0 + np.sqrt(1.0 + 4.0 / (a_k * a_k)))
    return n_steps, False


def ag_steps_twin(G, c, ag, x, md_old, state, alpha, gamma, scad, step, accelerate, tol, n_steps):
    """NumPy twin of :func:`ag_steps`."""
    penalty = "scad" if scad else "mcp"
    for k in range(n_steps):
        a_k = state[0]
        md = (1.0 - a_k) * ag + a_k * x if accelerate else ag.copy()
        g = G @ md - c + _concave_gradient(md, alpha, gamma, penalty)
        if accelerate:
            lam = step / a_k
            x[:] = _soft(x - lam * g, lam * alpha)
        ag[:] = _soft(md - step * g, step * alpha)
        state[2] += 1.0
        if state[3] > 0.0:
            change = md - md_old
            if np.max(np.abs(change), initial=0.0) < tol:
                return k + 1, True
            dmd = float(np.linalg.norm(change))
            if accelerate and dmd < state[1] and state[2] >= 3.0:
                state[:3] = 1.0, np.inf, 0.0
                x[:] = ag
                md_old[:] = md
                continue
            state[1] = dmd
        md_old[:] = md
        state[3] = 1.0
        if accelerate:
            state[0] = 2.0 / (1.0 + np.sqrt(1.0 + 4.0 / a_k**2))
    return n_steps, False


@kernel
def prox_step(md, g_loss, ag, x, md_old, alpha, gamma, scad, step, lam, accelerate):
    """One iteration's elementwise part, given the loss gradient ``g_loss`` at ``md`` (from products with
    ``X``, any format): ``g = g_loss + q'(md)``, then ``x <- S(x - lam g, lam alpha)`` (if ``accelerate``) and
    ``ag <- S(md - step g, step alpha)`` in place. Returns ``(||md - md_old||_inf, ||md - md_old||_2)``."""
    inf_norm = 0.0
    sq = 0.0
    for j in range(md.shape[0]):
        g = g_loss[j] + _q_prime(md[j], alpha, gamma, scad)
        if accelerate:
            x[j] = _shrink(x[j] - lam * g, lam * alpha)
        ag[j] = _shrink(md[j] - step * g, step * alpha)
        d = md[j] - md_old[j]
        inf_norm = max(inf_norm, abs(d))
        sq += d * d
    return inf_norm, np.sqrt(sq)


def prox_step_twin(md, g_loss, ag, x, md_old, alpha, gamma, scad, step, lam, accelerate):
    """NumPy twin of :func:`prox_step`."""
    g = g_loss + _concave_gradient(md, alpha, gamma, "scad" if scad else "mcp")
    if accelerate:
        x[:] = _soft(x - lam * g, lam * alpha)
    ag[:] = _soft(md - step * g, step * alpha)
    change = md - md_old
    return float(np.max(np.abs(change), initial=0.0)), float(np.linalg.norm(change))
