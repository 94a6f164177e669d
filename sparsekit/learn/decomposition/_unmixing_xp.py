"""The array-namespace (CuPy, any array-API library) path of the unmixing NMFs' block updates.

NumPy input keeps the compiled CPU path: the active-set kernel of :mod:`._fcls_kernels` and SciPy sparse
Laplacians. Any other namespace (CuPy on a GPU) runs :func:`batched_active_set`, the same primal
active-set method with every row's problem advanced at once by whole-array operations, and
:class:`GridLaplacian`, the image-grid Laplacian as a stencil. Nothing here imports CuPy.

:func:`batched_active_set` embeds each row's equality-constrained system on its free set in a fixed
``(p [+ 1])`` square system (identity rows for the bound variables) and eliminates it with the
kernel's partial pivoting, pivot floor and back substitution in the kernel's order, so that it takes
the kernel's decisions and reproduces its iterates to rounding (tests: to 1e-12, the same active-set
change counts).

The helpers ``unit_exponent_of``, ``times_two_to`` and ``host`` are namespace versions of
``sparsekit._core.scaling.unit_exponent`` / ``times_power_of_two`` and of ``to_numpy``'s use here;
they belong in ``sparsekit._core`` (scaling, backend) when the lead moves them.
"""

import math

import numpy as np

from ..._core.backend import get_namespace, is_numpy_namespace, to_numpy
from ..._core.scaling import times_power_of_two, unit_exponent

__all__ = [
    "GridLaplacian",
    "batched_active_set",
    "column_dots",
    "column_square_norms",
    "is_host",
    "namespace",
    "row_dots",
    "times_two_to",
    "unit_exponent_of",
]


def namespace(**arrays):
    """NumPy for NumPy input, else the array-API namespace of the arrays (``array_api_compat``'s for CuPy).

    The compat wrapper gives CuPy the standard's names (``concat``, ``astype``, ``bool``, ...) that
    the code below uses; it returns plain CuPy arrays.
    """
    xp = get_namespace(**arrays)
    if is_host(xp):
        return np
    import array_api_compat

    return array_api_compat.array_namespace(*arrays.values())


def is_host(xp):
    """Whether ``xp`` is NumPy: the compiled kernels and SciPy sparse apply."""
    return xp is np or is_numpy_namespace(xp)


def column_dots(a, b, xp):
    """``sum_k a[k, l] b[k, l]`` for every column ``l`` (float64)."""
    if is_host(xp):
        return np.einsum("kl,kl->l", a, b)
    return xp.sum(a * b, axis=0)


def row_dots(a, b, xp):
    """``sum_k a[n, k] b[n, k]`` for every row ``n``."""
    if is_host(xp):
        return np.einsum("ij,ij->i", a, b)
    return xp.sum(a * b, axis=1)


def column_square_norms(Y, xp):
    """``||Y[:, l]||^2`` for every column, accumulated in float64."""
    if is_host(xp):
        return np.einsum("ij,ij->j", Y, Y, dtype=np.float64)
    Y = xp.astype(Y, xp.float64)
    return xp.sum(Y * Y, axis=0)


def unit_exponent_of(Y, xp, *, margin=4):
    """:func:`~sparsekit._core.scaling.unit_exponent` for an array of any namespace (float64 range)."""
    if is_host(xp):
        return unit_exponent(Y, dtype=np.float64, margin=margin)
    if Y.size == 0:
        return 0
    peak = max(float(xp.max(Y)), -float(xp.min(Y)))
    if peak == 0 or not math.isfinite(peak):
        return 0
    exponent = math.frexp(peak)[1]
    return -exponent if abs(exponent) > np.finfo(np.float64).maxexp // margin else 0


def times_two_to(X, exponent, xp):
    """``X * 2**exponent`` (exact: a power of two; the data's range was checked by :func:`unit_exponent_of`)."""
    if not exponent:
        return X
    if is_host(xp):
        return times_power_of_two(X, exponent)
    return X * math.ldexp(1.0, exponent)


def host(Y):
    """A NumPy copy of ``Y`` (the array itself when it already is one)."""
    return to_numpy(Y)


class GridLaplacian:
    """The weighted 4-neighbour Laplacian ``D - W`` of a ``height x width`` pixel grid, applied as a stencil.

    Parameters
    ----------
    horizontal : array of shape (height, width - 1)
        Weight of the edge between pixel ``(i, j)`` and ``(i, j + 1)``.
    vertical : array of shape (height - 1, width)
        Weight of the edge between pixel ``(i, j)`` and ``(i + 1, j)``.
    xp : module
        Namespace of the weights (and of the arrays it is applied to).
    """

    def __init__(self, horizontal, vertical, xp):
        self.xp = xp
        self.shape = (vertical.shape[0] + 1, horizontal.shape[1] + 1)
        self.horizontal = horizontal[:, :, None]
        self.vertical = vertical[:, :, None]
        self._degree = self._neighbour_sum(xp.ones((*self.shape, 1), dtype=xp.float64))[:, :, 0]

    @classmethod
    def from_edges(cls, weights, height, width, xp):
        """From the edge weights in the order of ``_unmixing_loop.grid_edges`` (rows first, then columns)."""
        split = height * (width - 1)
        return cls(xp.reshape(weights[:split], (height, width - 1)), xp.reshape(weights[split:], (height - 1, width)),
                   xp)

    def _neighbour_sum(self, V):
        """``W V`` for ``V`` of shape (height, width, k)."""
        xp = self.xp
        height, width = self.shape
        k = V.shape[2]
        column = xp.zeros((height, 1, k), dtype=V.dtype)
        row = xp.zeros((1, width, k), dtype=V.dtype)
        right = xp.concat([self.horizontal * V[:, 1:, :], column], axis=1)
        left = xp.concat([column, self.horizontal * V[:, :-1, :]], axis=1)
        down = xp.concat([self.vertical * V[1:, :, :], row], axis=0)
        up = xp.concat([row, self.vertical * V[:-1, :, :]], axis=0)
        return right + left + down + up

    def __matmul__(self, V):
        xp = self.xp
        height, width = self.shape
        vector = V.ndim == 1
        grid = xp.reshape(V, (height, width, 1 if vector else V.shape[1]))
        out = self._degree[:, :, None] * grid - self._neighbour_sum(grid)
        return xp.reshape(out, (-1,) if vector else (height * width, V.shape[1]))

    def diagonal(self):
        """The degrees ``D``, one per pixel (row-major)."""
        return self.xp.reshape(self._degree, (-1,))

    def curvature(self):
        """The largest absolute row sum of ``D - W``: twice the largest degree."""
        return 2.0 * float(self.xp.max(self._degree))


def _bordered_solve(G, B, free, sum_to_one, xp):
    """Every row's equality-constrained solution ``z`` on its free set, and the multiplier of the sum row.

    The row's system ``[[G_FF, 1], [1^T, 0]]`` sits in a fixed-size matrix with unit rows for the bound
    variables; elimination visits the free rows in the compiled kernel's order, so that every pivot,
    swap and floor matches it.
    """
    n, p = B.shape
    size = p + 1 if sum_to_one else p
    dtype = xp.float64
    pair = free[:, :, None] & free[:, None, :]
    G3 = G[None, :, :]
    K = xp.where(pair, G3, xp.zeros((), dtype=dtype))
    peak = xp.max(xp.where(pair, xp.abs(G3), xp.zeros((), dtype=dtype)), axis=(1, 2))
    floor = xp.where(peak > 0, 1e-14 * peak, xp.full((), 1e-300, dtype=dtype))
    eye = xp.eye(p, dtype=xp.bool)[None, :, :]
    K = xp.where(eye & ~free[:, :, None], xp.ones((), dtype=dtype), K)
    rhs = xp.where(free, B, xp.zeros((), dtype=dtype))
    if sum_to_one:
        border = xp.astype(free, dtype)
        K = xp.concat([xp.concat([K, border[:, :, None]], axis=2),
                       xp.concat([border, xp.zeros((n, 1), dtype=dtype)], axis=1)[:, None, :]], axis=1)
        rhs = xp.concat([rhs, xp.ones((n, 1), dtype=dtype)], axis=1)
    position = xp.arange(size)
    for k in range(size):
        best = k + xp.argmax(xp.abs(K[:, k:, k]), axis=1)
        pivot_row = xp.take_along_axis(K, xp.broadcast_to(best[:, None, None], (n, 1, size)), axis=1)
        pivot_rhs = xp.take_along_axis(rhs, best[:, None], axis=1)
        at_k = (position == k)[None, :]
        at_best = position[None, :] == best[:, None]
        K = xp.where(at_k[:, :, None], pivot_row, xp.where(at_best[:, :, None], K[:, k:k + 1, :], K))
        rhs = xp.where(at_k, pivot_rhs, xp.where(at_best, rhs[:, k:k + 1], rhs))
        pivot = K[:, k, k]
        pivot = xp.where(xp.abs(pivot) < floor, xp.where(pivot >= 0, floor, -floor), pivot)
        K = xp.where((at_k[:, :, None] & at_k[:, None, :]), pivot[:, None, None], K)
        if k + 1 < size:
            f = K[:, k + 1:, k] / pivot[:, None]
            K = xp.concat([K[:, :k + 1, :], K[:, k + 1:, :] - f[:, :, None] * K[:, k:k + 1, :]], axis=1)
            rhs = xp.concat([rhs[:, :k + 1], rhs[:, k + 1:] - f * rhs[:, k:k + 1]], axis=1)
    solution = [None] * size
    for k in range(size - 1, -1, -1):
        s = rhs[:, k]
        for j in range(k + 1, size):
            s = s - K[:, k, j] * solution[j]
        solution[k] = s / K[:, k, k]
    z = xp.stack(solution[:p], axis=1)
    nu = -solution[p] if sum_to_one else xp.zeros(n, dtype=dtype)
    return z, nu


def batched_active_set(G, B, X, sum_to_one, max_iter, tol, xp):
    """The primal active-set method of ``_fcls_kernels.active_set_qp`` for all rows at once, in namespace ``xp``.

    Same parameters and results as the kernel (``X`` a feasible warm start where it is one), except
    that ``X`` is not modified: returns the solutions (float64) and the active-set changes per row
    (``max_iter + 1`` for a row stopped before its optimality test held).
    """
    dtype = xp.float64
    G = xp.astype(G, dtype)
    B = xp.astype(B, dtype)
    X = xp.astype(X, dtype, copy=True)
    n, p = B.shape
    inf = xp.full((), xp.inf, dtype=dtype)
    zero = xp.zeros((), dtype=dtype)
    diagonal = xp.stack([G[i, i] for i in range(p)])
    threshold = tol * float(xp.max(diagonal))
    total = X[:, 0]
    for i in range(1, p):
        total = total + X[:, i]
    feasible_start = xp.all(X >= 0, axis=1)
    if sum_to_one:
        feasible_start = feasible_start & (xp.abs(total - 1.0) <= 1e-12)
    vertex = xp.zeros((n, p), dtype=dtype)
    if sum_to_one:
        best = xp.argmin(0.5 * diagonal[None, :] - B, axis=1)
        vertex = xp.astype(xp.arange(p)[None, :] == best[:, None], dtype)
    X = xp.where(feasible_start[:, None], X, vertex)
    free = X > 0
    running = xp.ones(n, dtype=xp.bool)
    done = xp.zeros(n, dtype=xp.bool)
    changes = xp.zeros(n, dtype=xp.int64)
    columns = xp.arange(p)[None, :]
    for _ in range(max_iter + 1):
        if not bool(xp.any(running)):
            break
        z, nu = _bordered_solve(G, B, free, sum_to_one, xp)
        negative = free & (z < 0)
        feasible = ~xp.any(negative, axis=1)
        # a feasible step: take z, then free the bound with the most negative multiplier (or stop)
        gradient = -B
        for j in range(p):
            gradient = gradient + G[None, :, j] * z[:, j:j + 1]
        multipliers = xp.where(free, inf, gradient - nu[:, None])
        worst = xp.argmin(multipliers, axis=1)
        optimal = xp.min(multipliers, axis=1) >= -threshold
        # an infeasible step: move towards z up to the first bound it crosses, and bind that variable
        steps = xp.where(negative, X / xp.where(negative, X - z, xp.ones((), dtype=dtype)), inf)
        first = xp.argmin(steps, axis=1)
        alpha = xp.min(steps, axis=1)
        blocked = alpha < 1.0
        alpha = xp.where(blocked, alpha, xp.ones((), dtype=dtype))
        moved = xp.where(free, X + alpha[:, None] * (z - X), X)
        bind = blocked[:, None] & (columns == first[:, None])
        moved = xp.where(bind, zero, moved)
        still = free & ~bind
        drop = still & (moved <= 0)
        moved = xp.where(drop, zero, moved)
        still = still & ~drop
        release = columns == worst[:, None]
        step_free = xp.where(feasible[:, None], free | (release & ~optimal[:, None]), still)
        step_X = xp.where(feasible[:, None], z, moved)
        X = xp.where(running[:, None], step_X, X)
        free = xp.where(running[:, None], step_free, free)
        finished = running & feasible & optimal
        done = done | finished
        changes = changes + xp.astype(running & ~finished, xp.int64)
        running = running & ~finished
    changes = xp.where(done, changes, xp.full((), max_iter + 1, dtype=xp.int64))
    return X, changes
