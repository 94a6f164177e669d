"""The sequences of linear systems of "Learning to Relax" (Khodak et al., ICLR 2024).

Shifted grid Laplacians with random right-hand sides, and a Crank-Nicolson
heat equation with a time-varying diffusion coefficient. Both follow the
authors' reference scripts (``learning.m``/``contextual.m`` and ``h2d.m``).
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve
from sklearn.utils import Bunch

from .._core.params import Interval, Options, check_params
from .._core.random import check_random_state
from .._core.validation import check_array, check_vector
from ._grids import laplacian_bytes, poisson2d
from ._validation import INDEX_MAX, SIZE, check_allocation, checked_params, generator_params

__all__ = ["shifted_laplacian_sequence", "HeatEquation2D"]

# c = -0.15 + 0.6 * Beta(a, b): "high" spreads the shifts over [-0.15, 0.45] (mass near -0.15, where
# the matrix is nearly singular); "low" concentrates them around 0.
_SHIFT_BETA = {"high": (0.5, 1.5), "low": (2.0, 6.0)}


def _truncated_normal(rng, n):
    """Standard normal vector conditioned on ``||g|| <= sqrt(n)`` (rejection sampling)."""
    while True:
        sample = rng.standard_normal(n)
        if sample @ sample <= n:
            return sample


def _sequence_bytes(n_systems, grid_size, matrix_free, **_):
    """About the memory of the right-hand sides and (unless matrix-free) the CSR copies, one per system."""
    per_unknown = 8 if matrix_free else 80
    n_bytes = n_systems * grid_size**2 * per_unknown + laplacian_bytes(grid_size**2, 2)
    return n_bytes, {"n_systems": n_systems, "grid_size": grid_size}


@generator_params(
    {
        "n_systems": [SIZE],
        "grid_size": [SIZE],
        "variance": [Options(_SHIFT_BETA)],
        "matrix_free": ["boolean"],
        "random_state": ["random_state"],
    },
    _sequence_bytes,
)
def shifted_laplacian_sequence(n_systems=5000, *, grid_size=10, variance="high", matrix_free=False,
                               random_state=None):
    """Generate systems ``(L + c_t I) x = b_t`` with random shifts: the SOR benchmark of "Learning to Relax".

    ``L`` is the 5-point Laplacian on a ``grid_size x grid_size`` interior
    grid (``delsq(numgrid('S', grid_size + 2))`` in MATLAB),
    ``c_t = -0.15 + 0.6 * Beta(0.5, 1.5)`` (``variance="high"``) or
    ``Beta(2, 6)`` (``"low"``), and ``b_t`` a standard normal vector
    conditioned on ``||b_t|| <= sqrt(n)``. For ``grid_size=10`` every matrix is
    positive definite (``L``'s smallest eigenvalue is about 0.162).

    Parameters
    ----------
    n_systems : int, default=5000
        Length of the sequence.
    grid_size : int, default=10
        Interior points per side (``n = grid_size ** 2`` unknowns).
    variance : {"high", "low"}, default="high"
        Which shift distribution.
    matrix_free : bool, default=False
        Return :class:`sparsekit.linalg.LaplacianStencil` matrices instead of CSR.
    random_state : None, int or numpy.random.Generator, optional
        Seed; draws the shift then the right-hand side of each system in turn.

    Returns
    -------
    Bunch
        ``systems`` (list of ``(A, b)``), ``shifts`` (``c_t``, shape
        ``(n_systems,)``, the natural context of each system) and
        ``features`` (the shifts as a column, for
        :func:`sparsekit.linalg.solve_sequence`).

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If the sequence would take more than 32 GiB.

    Examples
    --------
    >>> from sparsekit.datasets import shifted_laplacian_sequence
    >>> data = shifted_laplacian_sequence(3, random_state=0)
    >>> len(data.systems), data.systems[0][0].shape, bool(-0.15 <= data.shifts.min() and data.shifts.max() <= 0.45)
    (3, (100, 100), True)
    """
    rng = check_random_state(random_state)
    a, b = _SHIFT_BETA[variance]
    n = grid_size * grid_size
    if matrix_free:
        from ..linalg import LaplacianStencil
    else:
        laplacian = poisson2d(grid_size)
        on_diagonal = laplacian.indices == np.repeat(np.arange(n), np.diff(laplacian.indptr))

    systems, shifts = [], np.empty(n_systems)
    for t in range(n_systems):
        shift = -0.15 + 0.6 * rng.beta(a, b)
        shifts[t] = shift
        rhs = _truncated_normal(rng, n)
        if matrix_free:
            matrix = LaplacianStencil((grid_size, grid_size), shift=shift)
        else:  # poisson2d(grid_size, shift=shift), without re-assembling it
            matrix = laplacian.copy()
            matrix.data[on_diagonal] += shift
        systems.append((matrix, rhs))
    return Bunch(systems=systems, shifts=shifts, features=shifts[:, None])


def _bump(axis, center, radius):
    """``exp(1 - 1 / (1 - |p - center|^2 / radius^2))`` inside the disc, 0 outside, on the grid ``axis x axis``.

    Only the grid points in the disc's bounding box are evaluated (the
    forcing is recomputed at every time step).
    """
    n = axis.shape[0]
    out = np.zeros((n, n))
    rows = np.flatnonzero(np.abs(axis - center[0]) < radius)
    cols = np.flatnonzero(np.abs(axis - center[1]) < radius)
    if rows.size and cols.size:
        ratio = ((axis[rows, None] - center[0]) ** 2 + (axis[None, cols] - center[1]) ** 2) / radius**2
        inside = ratio < 1.0
        box = np.zeros(ratio.shape)
        box[inside] = np.exp(1.0 - 1.0 / (1.0 - ratio[inside]))
        out[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = box
    return out.ravel()


# kappa(t) and the forcing are periodic in t (periods 1 and 1/8): up to t = 1e6 their phase 16 pi t is
# exact to about 1e-8, beyond it the float64 time loses the position within the period.
_STOP_TIME_MAX = 1e6

_HEAT_CONSTRAINTS = {
    "nx": [Interval(Integral, 2, INDEX_MAX, closed="both")],
    "n_steps": [SIZE],
    "stop_time": [Interval(Real, 0, _STOP_TIME_MAX, closed="right")],
    "matrix_free": ["boolean"],
}


class HeatEquation2D:
    """Crank-Nicolson steps of ``u_t = kappa(t) Laplace(u) + f(t, x)`` on the unit square, u = 0 on the boundary.

    The heat-equation experiment of "Learning to Relax" (``h2d.m``): diffusion
    ``kappa(t) = max(0.1 sin(2 pi t), -10 sin(2 pi t))``, a forcing bump of
    height 32 and radius 1/8 circling the centre (``32 bump(x, c(t), 1/8)``,
    ``c(t) = (1/2 + cos(16 pi t) / 4, 1/2 + sin(16 pi t) / 4)``) and an initial
    bump of radius 1/4 in the middle; ``nx - 1`` interior points per side
    (``n = (nx - 1) ** 2``), step ``dt = stop_time / n_steps``. Step ``k``
    solves ``(I + a_k P) u_{k+1} = (I - a_k P) u_k + dt f(t_k + dt/2)`` with
    ``P`` the unscaled 5-point Laplacian and ``a_k = kappa(t_k + dt/2) dt / (2 dx^2)``:
    symmetric positive definite, the better conditioned the smaller ``kappa``.

    Parameters
    ----------
    nx : int, default=200
        Grid intervals per side (the paper uses 25, 50, 100, 200, 400).
    n_steps : int, default=5000
        Number of time steps (systems).
    stop_time : float, default=5.0
        End time, in ``(0, 1e6]`` (beyond, float64 times no longer resolve
        the period of ``kappa`` and of the forcing).
    matrix_free : bool, default=False
        Yield :class:`sparsekit.linalg.LaplacianStencil` matrices instead of CSR.

    Attributes
    ----------
    n : int
        Unknowns per system.
    dt : float
        Time step.
    contexts : ndarray of shape (n_steps,)
        ``kappa(t_k)`` at the start of each step: the context of the
        reference experiment.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If the Laplacian and the contexts would take more than 32 GiB.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.datasets import HeatEquation2D
    >>> from sparsekit.linalg import ssor_cg
    >>> heat = HeatEquation2D(nx=20, n_steps=3)
    >>> steps = heat.systems()
    >>> A, b = next(steps)
    >>> for _ in range(2):
    ...     A, b = steps.send(ssor_cg(A, b, omega=1.5).x)
    >>> A.shape, heat.contexts.shape
    ((361, 361), (3,))
    """

    def __init__(self, nx=200, *, n_steps=5000, stop_time=5.0, matrix_free=False):
        params = checked_params(
            {"nx": nx, "n_steps": n_steps, "stop_time": stop_time, "matrix_free": matrix_free},
            _HEAT_CONSTRAINTS,
            caller=type(self).__name__,
        )
        unknowns = (params["nx"] - 1) ** 2
        check_allocation(
            type(self).__name__,
            8 * params["n_steps"] + (0 if matrix_free else laplacian_bytes(unknowns, 2)) + 80 * unknowns,
            {"nx": params["nx"], "n_steps": params["n_steps"]},
        )
        self.nx = params["nx"]
        self.n_steps = params["n_steps"]
        self.stop_time = params["stop_time"]
        self.matrix_free = bool(matrix_free)
        self.dt = self.stop_time / self.n_steps
        self.n = (self.nx - 1) ** 2
        self._dx = 1.0 / self.nx
        self._axis = np.arange(1, self.nx) * self._dx  # first coordinate slow, second fast (row-major)
        self._laplacian = None if self.matrix_free else poisson2d(self.nx - 1)
        self._identity = None if self.matrix_free else sparse.eye_array(self.n, format="csr")
        self.contexts = self.diffusion(np.arange(self.n_steps) * self.dt)

    @staticmethod
    def diffusion(t):
        """``kappa(t) = max(0.1 sin(2 pi t), -10 sin(2 pi t))`` (non-negative).

        Parameters
        ----------
        t : float or ndarray
            Time(s).

        Returns
        -------
        float or ndarray
            The diffusion coefficient.

        Raises
        ------
        ValueError
            If ``t`` holds NaN or infinity.
        """
        wave = np.sin(2.0 * math.pi * check_array(t, "t", dtype=np.float64, allow_empty=True))
        return np.maximum(0.1 * wave, -10.0 * wave)

    def initial(self):
        """Initial temperature, a bump of radius 1/4 in the middle.

        Returns
        -------
        ndarray of shape (n,)
            ``u_0``.
        """
        return _bump(self._axis, np.array([0.5, 0.5]), 0.25)

    def forcing(self, t):
        """Heat source at time ``t``: a bump of height 32 and radius 1/8 circling the centre.

        Parameters
        ----------
        t : float
            Time.

        Returns
        -------
        ndarray of shape (n,)
            ``f(t, x)`` at the grid points.

        Raises
        ------
        InvalidParameterError
            If ``t`` is not a finite real number.
        """
        check_params({"t": t}, {"t": [Interval(Real, None, None, closed="neither")]}, caller="forcing")
        angle = 16.0 * math.pi * t
        center = np.array([0.5 + math.cos(angle) / 4.0, 0.5 + math.sin(angle) / 4.0])
        return 32.0 * _bump(self._axis, center, 0.125)

    def system(self, step, u):
        """The system ``(A, b)`` advancing ``u`` (the solution at step ``step``) by one step.

        Parameters
        ----------
        step : int
            Step index, ``0 <= step < n_steps``.
        u : ndarray of shape (n,)
            Current temperature.

        Returns
        -------
        A : scipy.sparse.csr_array or LaplacianStencil
            ``I + a P``.
        b : ndarray
            ``(I - a P) u + dt f(t + dt / 2)``.

        Raises
        ------
        InvalidParameterError
            If ``step`` is not an int in ``[0, n_steps)``.
        ValueError
            If ``u`` is not a finite vector of length ``n``.
        """
        check_params({"step": step}, {"step": [Interval(Integral, 0, self.n_steps - 1, closed="both")]},
                     caller="system")
        u = check_vector(u, "u", size=self.n, dtype=np.float64)
        half = (step + 0.5) * self.dt
        a = float(self.diffusion(half)) * self.dt / (2.0 * self._dx**2)
        if self.matrix_free:
            from ..linalg import LaplacianStencil

            A = LaplacianStencil((self.nx - 1, self.nx - 1), diffusion=a, shift=1.0)
        else:
            A = a * self._laplacian + self._identity
        b = 2.0 * u - A @ u + self.dt * self.forcing(half)
        return A, b

    def systems(self):
        """Generator of the ``n_steps`` systems; send it each solution to get the next system.

        If ``None`` is sent instead (e.g. ``list(heat.systems())``), the
        generator advances with a sparse direct solve of its own, so the
        trajectory stays that of the exact solutions.

        Yields
        ------
        (A, b)
            The system of each step, see :meth:`system`.
        """
        u = self.initial()
        for step in range(self.n_steps):
            A, b = self.system(step, u)
            solution = yield A, b
            if solution is None:
                matrix = A.tocsr() if self.matrix_free else A
                solution = spsolve(sparse.csc_array(matrix), b)
            u = np.asarray(solution, dtype=np.float64)
