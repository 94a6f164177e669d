"""Sequences of related sparse systems from parametrised PDEs (neural-operator training data).

Each generator returns a :class:`sklearn.utils.Bunch` with ``systems`` (a list
of ``(A_i, b_i)`` pairs ready for :func:`sparsekit.linalg.solve_sequence`),
``features`` (one row per system: the PDE parameters, the distance SKR sorts
by) and the parameters themselves. All matrices of one sequence share one
sparsity pattern (canonical CSR), so their values can be compared directly.
"""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.utils import Bunch

from .._core.random import check_random_state
from .._core.validation import Interval, Options, check_vector, validate_params
from ._grids import poisson2d

__all__ = ["darcy_sequence", "helmholtz_sequence", "poisson_sequence"]

_COMMON = {
    "n_systems": [Interval(Integral, 1, None, closed="left")],
    "n": [Interval(Integral, 2, None, closed="left")],
    "random_state": ["random_state"],
}
_FIELD = {
    "alpha": [Interval(Real, 0, None, closed="neither")],
    "tau": [Interval(Real, 0, None, closed="neither")],
}


def _gaussian_random_field(n_samples, size, alpha, tau, rng):
    """Samples of a periodic Gaussian random field on a ``size x size`` grid.

    The covariance is ``sigma**2 (-Laplacian + tau**2)**(-alpha)`` with
    ``sigma = tau**(alpha - 1)`` (the field of the Fourier neural operator
    papers, also used by SKR), built in Fourier space: each mode is a complex
    normal scaled by the square root of its eigenvalue, the mean mode is zero,
    and the real part of the inverse FFT is the sample.
    """
    sigma = tau ** (0.5 * (2 * alpha - 2))
    freq = np.fft.fftfreq(size, d=1.0 / size)
    kx, ky = np.meshgrid(freq, freq, indexing="ij")
    sqrt_eig = size**2 * np.sqrt(2.0) * sigma * (4 * np.pi**2 * (kx**2 + ky**2) + tau**2) ** (-alpha / 2.0)
    sqrt_eig[0, 0] = 0.0
    noise = rng.standard_normal((n_samples, size, size)) + 1j * rng.standard_normal((n_samples, size, size))
    return np.fft.ifft2(sqrt_eig * noise / np.sqrt(2.0), axes=(-2, -1)).real


@validate_params(
    {
        **_COMMON,
        **_FIELD,
        "wavenumber": ["array-like"],
    }
)
def helmholtz_sequence(n_systems, n=50, *, alpha=2.5, tau=7.0, wavenumber=(0.0, 1.0), random_state=None):
    """Helmholtz-type systems with a random coefficient field and a random wavenumber.

    The SKR benchmark (Wang et al., 2024): on an ``n x n`` interior grid with
    spacing ``h = 1 / (n + 1)`` and zero Dirichlet boundary values, system
    ``i`` is ``A_i = L diag(a_i) - (h k_i)**2 I`` and ``b = h**2 * 1``, where
    ``L = poisson2d(n)`` is the 5-point Laplacian, ``a_i = exp(w_i)`` with
    ``w_i`` a Gaussian random field, and ``k_i`` is uniform on ``wavenumber``.
    ``A_i`` is non-symmetric (row ``p`` holds ``4 a_p`` on the diagonal and
    ``-a_q`` for each neighbour ``q``), its conditioning grows like ``n**2``
    times the spread of ``a``, and restarted GMRES stagnates on it.

    Parameters
    ----------
    n_systems : int
        Number of systems.
    n : int, default=50
        Interior grid points per side; each system has ``n**2`` unknowns.
    alpha, tau : float, default=(2.5, 7.0)
        Smoothness and inverse length scale of the random field.
    wavenumber : (float, float), default=(0.0, 1.0)
        Range of the uniform wavenumber ``k``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the fields and wavenumbers.

    Returns
    -------
    Bunch
        ``systems`` (list of ``(A_i, b_i)``), ``features`` (rows
        ``[w_i.ravel(), k_i]``), ``log_coefficients`` (``w_i``, shape
        ``(n_systems, n, n)``) and ``wavenumbers``.

    See Also
    --------
    sparsekit.linalg.solve_sequence : Sorts and solves such a sequence with recycling.

    Notes
    -----
    This is the operator SKR's generator intends: row ``p`` holds ``4 a_p``
    on the diagonal and ``-a_q`` for each neighbour ``q``, so that
    ``A = L diag(a)``. The published code (``build_helmholtz`` in
    NO-DataGen-SKR) slices the coefficients of its lower outer diagonal two
    entries too early: every coupling to the row above carries the
    coefficient of the point two places to the left (a boundary value in
    the first two columns). That matrix is no discretisation of the PDE, and
    restarted GMRES(40) stagnates on it (we measured more than 13,000
    products per system at ``n = 2500``, 4 of 20 systems unsolved after 1000
    restarts, against about 450 on this operator), which
    probably accounts for much of the 30-fold iteration ratio SKR reports on
    Helmholtz. The code also takes ``h = 1 / (s - 1)`` for ``s`` interior
    points, which only changes the small wavenumber term.

    References
    ----------
    .. [1] H. Wang, Z. Hao, J. Wang, Z. Geng, Z. Wang, B. Li, F. Wu,
       "Accelerating Data Generation for Neural Operators via Krylov
       Subspace Recycling", ICLR 2024, arXiv:2401.09516.

    Examples
    --------
    >>> from sparsekit.datasets import helmholtz_sequence
    >>> data = helmholtz_sequence(3, n=10, random_state=0)
    >>> len(data.systems), data.systems[0][0].shape, data.features.shape
    (3, (100, 100), (3, 101))
    """
    low, high = _check_range(wavenumber, "wavenumber")
    rng = check_random_state(random_state)
    # The field lives on the grid with its boundary, as in SKR, and is used at interior points.
    log_coefficients = _gaussian_random_field(n_systems, n + 2, alpha, tau, rng)[:, 1:-1, 1:-1]
    wavenumbers = rng.uniform(low, high, size=n_systems)
    h = 1.0 / (n + 1)
    laplacian = poisson2d(n)
    b = np.full(n * n, h**2)
    identity = sparse.eye_array(n * n, format="csr")
    systems = []
    for w, k in zip(log_coefficients, wavenumbers):
        A = _canonical(laplacian @ sparse.diags_array(np.exp(w.ravel())) - (h * k) ** 2 * identity)
        systems.append((A, b))
    features = np.column_stack([log_coefficients.reshape(n_systems, -1), wavenumbers])
    return Bunch(systems=systems, features=features, log_coefficients=log_coefficients, wavenumbers=wavenumbers)


@validate_params(
    {
        **_COMMON,
        **_FIELD,
        "permeability": [Options({"threshold", "lognormal"})],
        "contrast": ["array-like"],
    }
)
def darcy_sequence(
    n_systems, n=50, *, alpha=2.0, tau=3.0, permeability="threshold", contrast=(12.0, 3.0), random_state=None
):
    """Darcy flow ``-div(a grad u) = 1`` with a random permeability field ``a``.

    The Fourier-neural-operator benchmark: on the unit square with zero
    Dirichlet values, ``a`` is a Gaussian random field ``w`` pushed through
    ``contrast[0]`` where ``w >= 0`` and ``contrast[1]`` elsewhere
    (``permeability="threshold"``), or ``exp(w)`` (``"lognormal"``). The
    5-point finite-volume discretisation on the ``(n + 2) x (n + 2)`` node grid
    uses the harmonic mean of ``a`` across each cell face, so every ``A_i`` is
    symmetric positive definite with ``h**2`` scaling (``b = h**2 * 1``).

    Parameters
    ----------
    n_systems : int
        Number of systems.
    n : int, default=50
        Interior grid points per side; each system has ``n**2`` unknowns.
    alpha, tau : float, default=(2.0, 3.0)
        Smoothness and inverse length scale of the random field.
    permeability : {"threshold", "lognormal"}, default="threshold"
        How the field becomes the permeability.
    contrast : (float, float), default=(12.0, 3.0)
        The two permeability values of ``"threshold"``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the fields.

    Returns
    -------
    Bunch
        ``systems``, ``features`` (the flattened permeability, one row per
        system) and ``permeability`` (shape ``(n_systems, n + 2, n + 2)``).

    See Also
    --------
    sparsekit.linalg.solve_sequence : Sorts and solves such a sequence with recycling.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.datasets import darcy_sequence
    >>> A, b = darcy_sequence(1, n=8, random_state=0).systems[0]
    >>> bool(abs(A - A.T).max() == 0), bool(np.all(np.linalg.eigvalsh(A.toarray()) > 0))
    (True, True)
    """
    high, low = _check_range(contrast, "contrast", positive=True, ordered=False)
    rng = check_random_state(random_state)
    fields = _gaussian_random_field(n_systems, n + 2, alpha, tau, rng)
    coefficient = np.where(fields >= 0, high, low) if permeability == "threshold" else np.exp(fields)
    h = 1.0 / (n + 1)
    b = np.full(n * n, h**2)
    systems = [(_darcy_matrix(a), b) for a in coefficient]
    return Bunch(systems=systems, features=coefficient.reshape(n_systems, -1), permeability=coefficient)


def _darcy_matrix(a):
    """Finite-volume matrix of ``-div(a grad u)`` at the interior nodes of the node grid ``a``."""
    n = a.shape[0] - 2
    index = np.arange(n * n).reshape(n, n)
    centre = a[1:-1, 1:-1]
    diagonal = np.zeros((n, n))
    rows, cols, vals = [], [], []
    for shift in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        neighbour = a[1 + shift[0] : n + 1 + shift[0], 1 + shift[1] : n + 1 + shift[1]]
        face = 2.0 * centre * neighbour / (centre + neighbour)
        diagonal += face
        inside = np.zeros((n, n), dtype=bool)
        inside[max(0, -shift[0]) : n - max(0, shift[0]), max(0, -shift[1]) : n - max(0, shift[1])] = True
        rows.append(index[inside])
        cols.append(index[inside] + shift[0] * n + shift[1])
        vals.append(-face[inside])
    rows.append(index.ravel())
    cols.append(index.ravel())
    vals.append(diagonal.ravel())
    A = sparse.coo_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, n * n))
    return _canonical(A)


@validate_params({**_COMMON, "n_modes": [Interval(Integral, 1, None, closed="left")]})
def poisson_sequence(n_systems, n=50, *, n_modes=5, random_state=None):
    """Poisson problems ``-Laplacian u = f`` with random sources and boundary values.

    As in SKR's Poisson set, the source ``f`` and the Dirichlet values on each
    side of the unit square are truncated Chebyshev series with ``n_modes``
    standard-normal coefficients per direction (``f(x, y) = sum c_pq T_p(x')
    T_q(y')`` on ``x' = 2x - 1``). The matrix is the same object,
    :func:`~sparsekit.datasets.poisson2d` ``(n)``, for every system; only the
    right-hand side ``b = h**2 f + boundary terms`` changes.

    Parameters
    ----------
    n_systems : int
        Number of systems.
    n : int, default=50
        Interior grid points per side; each system has ``n**2`` unknowns.
    n_modes : int, default=5
        Chebyshev coefficients per direction.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the coefficients.

    Returns
    -------
    Bunch
        ``systems`` and ``features`` (all Chebyshev coefficients of source
        and boundary, one row per system).

    See Also
    --------
    sparsekit.linalg.solve_sequence : Sorts and solves such a sequence with recycling.

    Examples
    --------
    >>> from sparsekit.datasets import poisson_sequence
    >>> data = poisson_sequence(4, n=10, random_state=0)
    >>> data.systems[0][0] is data.systems[3][0], data.features.shape
    (True, (4, 45))
    """
    rng = check_random_state(random_state)
    h = 1.0 / (n + 1)
    nodes = np.linspace(-1.0, 1.0, n + 2)[1:-1]
    basis = np.polynomial.chebyshev.chebvander(nodes, n_modes - 1)  # (n, n_modes)
    source_coef = rng.standard_normal((n_systems, n_modes, n_modes))
    side_coef = rng.standard_normal((n_systems, 4, n_modes))
    A = poisson2d(n)
    systems = []
    for c, sides in zip(source_coef, side_coef):
        rhs = h**2 * (basis @ c @ basis.T)
        south, north, west, east = (basis @ side for side in sides)
        rhs[0, :] += south
        rhs[-1, :] += north
        rhs[:, 0] += west
        rhs[:, -1] += east
        systems.append((A, rhs.ravel()))
    features = np.hstack([source_coef.reshape(n_systems, -1), side_coef.reshape(n_systems, -1)])
    return Bunch(systems=systems, features=features)


def _check_range(value, name, *, positive=False, ordered=True):
    pair = check_vector(value, name, size=2)
    if ordered and pair[0] > pair[1]:
        raise ValueError(f"{name} must be (low, high) with low <= high; got {value!r}.")
    if positive and np.any(pair <= 0):
        raise ValueError(f"{name} must hold positive values; got {value!r}.")
    return float(pair[0]), float(pair[1])


def _canonical(A):
    """CSR with sorted indices and no explicit zeros, so equal patterns give equal index arrays."""
    A = sparse.csr_array(A)
    A.sum_duplicates()
    A.sort_indices()
    return A
