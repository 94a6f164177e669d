"""Sequences of related sparse systems from parametrised PDEs (neural-operator training data).

Each generator returns a :class:`sklearn.utils.Bunch` with ``systems`` (a list
of ``(A_i, b_i)`` pairs ready for :func:`sparsekit.linalg.solve_sequence`),
``features`` (one row per system: the PDE parameters, the distance SKR sorts
by) and the parameters themselves. All matrices of one sequence share one
sparsity pattern (canonical CSR), so their values can be compared directly.
"""

import math
from decimal import Decimal
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.special import logsumexp
from sklearn.utils import Bunch

from .._core.params import Interval, Options
from .._core.random import check_random_state
from ._grids import laplacian_bytes, poisson2d
from ._validation import INDEX_MAX, LOG_SCALE_MAX, SCALE_MAX, SIZE, Numbers, generator_params

__all__ = ["darcy_sequence", "helmholtz_sequence", "poisson_sequence"]

_COMMON = {
    "n_systems": [SIZE],
    "n": [Interval(Integral, 2, INDEX_MAX, closed="both")],
    "random_state": ["random_state"],
}
# Finite and positive; which (alpha, tau) give a usable field depends on both and on n (_check_field).
_FIELD = {
    "alpha": [Interval(Real, 0, None, closed="neither")],
    "tau": [Interval(Real, 0, None, closed="neither")],
}
# sigma = tau**(alpha - 1) within 1e+-200 keeps size**2 * sqrt(2) * sigma finite for any grid the
# allocation bound lets through.
_LOG_SIGMA_MAX = math.log(1e200)


def _field_bytes(n_systems, n, **_):
    """About the memory of a sequence on an ``n x n`` grid: fields, their FFTs, matrices and features."""
    return 256 * n_systems * (n + 2) ** 2, {"n_systems": n_systems, "n": n}


def _check_field(size, alpha, tau, max_std):
    """Raise unless the field of ``(alpha, tau)`` on ``size x size`` has a deviation in ``[1e-100, max_std]``.

    The pointwise variance is the sum of the spectrum over the non-constant
    modes, ``sum sigma**2 (4 pi**2 |k|**2 + tau**2)**(-alpha)``; it is summed in
    log space, so that neither the check nor its message can overflow.
    """
    log_sigma = (alpha - 1.0) * math.log(tau)
    freq = np.fft.fftfreq(size, d=1.0 / size)
    log_k2 = np.log(4 * np.pi**2 * (freq[:, None] ** 2 + freq[None, :] ** 2).ravel()[1:])
    log_std = 0.5 * float(logsumexp(2 * log_sigma - alpha * np.logaddexp(log_k2, 2 * math.log(tau))))
    if abs(log_sigma) > _LOG_SIGMA_MAX or not -math.log(SCALE_MAX) <= log_std <= math.log(max_std):
        raise ValueError(
            f"alpha={alpha:g} and tau={tau:g} give a random field of standard deviation {_exp(log_std)} and "
            f"scale tau**(alpha - 1) = {_exp(log_sigma)} on this grid; the standard deviation must lie in "
            f"[1e-100, {max_std:.3g}] and the scale in [1e-200, 1e200]."
        )


def _exp(log_value):
    """``exp(log_value)`` for a message, however far beyond float64 it lies."""
    exponent = log_value / math.log(10)
    if not abs(exponent) < 1e6:  # also NaN, from alpha and tau so large that the log-sum loses all digits
        return f"10**{exponent:.3g}"
    return f"{Decimal(10) ** Decimal(exponent):.3g}"


def _gaussian_random_field(n_samples, size, alpha, tau, rng):
    """Samples of a periodic Gaussian random field on a ``size x size`` grid.

    The covariance is ``sigma**2 (-Laplacian + tau**2)**(-alpha)`` with
    ``sigma = tau**(alpha - 1)`` (the field of the Fourier neural operator
    papers, also used by SKR), built in Fourier space: each mode is a complex
    normal scaled by the square root of its eigenvalue, the mean mode is zero,
    and the real part of the inverse FFT is the sample. Callers check
    ``(alpha, tau)`` first with :func:`_check_field`.
    """
    sigma = tau ** (0.5 * (2 * alpha - 2))
    freq = np.fft.fftfreq(size, d=1.0 / size)
    kx, ky = np.meshgrid(freq, freq, indexing="ij")
    base = 4 * np.pi**2 * (kx**2 + ky**2) + tau**2
    base[0, 0] = 1.0  # the mean mode is zeroed below; this keeps 0 ** -alpha out when tau**2 underflows
    sqrt_eig = size**2 * np.sqrt(2.0) * sigma * base ** (-alpha / 2.0)
    sqrt_eig[0, 0] = 0.0
    noise = rng.standard_normal((n_samples, size, size)) + 1j * rng.standard_normal((n_samples, size, size))
    return np.fft.ifft2(sqrt_eig * noise / np.sqrt(2.0), axes=(-2, -1)).real


@generator_params(
    {
        **_COMMON,
        **_FIELD,
        "wavenumber": [
            Numbers(Interval(Real, -SCALE_MAX, SCALE_MAX, closed="both"), ndim=1, shape=(2,), ordered=True,
                    what="a pair (low, high)")
        ],
    },
    _field_bytes,
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
        Range of the uniform wavenumber ``k``, within ``[-1e100, 1e100]``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the fields and wavenumbers.

    Returns
    -------
    Bunch
        ``systems`` (list of ``(A_i, b_i)``), ``features`` (rows
        ``[w_i.ravel(), k_i]``), ``log_coefficients`` (``w_i``, shape
        ``(n_systems, n, n)``) and ``wavenumbers``.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If the field of ``(alpha, tau)`` has a standard deviation outside
        ``[1e-100, 6.06]`` (``exp`` of it would leave ``[1e-100, 1e100]``), or
        the sequence would take more than 32 GiB.

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
    low, high = _pair(wavenumber)
    _check_field(n + 2, alpha, tau, LOG_SCALE_MAX)
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


@generator_params(
    {
        **_COMMON,
        **_FIELD,
        "permeability": [Options({"threshold", "lognormal"})],
        "contrast": [
            Numbers(Interval(Real, 1 / SCALE_MAX, SCALE_MAX, closed="both"), ndim=1, shape=(2,), what="a pair")
        ],
    },
    _field_bytes,
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
        The two permeability values of ``"threshold"``, within ``[1e-100, 1e100]``.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the fields.

    Returns
    -------
    Bunch
        ``systems``, ``features`` (the flattened permeability, one row per
        system) and ``permeability`` (shape ``(n_systems, n + 2, n + 2)``).

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If the field of ``(alpha, tau)`` has a standard deviation outside
        ``[1e-100, 6.06]`` (``"lognormal"``) or ``[1e-100, 1e100]``
        (``"threshold"``), or the sequence would take more than 32 GiB.

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
    high, low = _pair(contrast)
    # Only the sign of a thresholded field matters; an exponentiated one must stay within 1e+-100.
    _check_field(n + 2, alpha, tau, SCALE_MAX if permeability == "threshold" else LOG_SCALE_MAX)
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


def _poisson_bytes(n_systems, n, n_modes, **_):
    """About the memory of the coefficients, the Chebyshev basis, the right-hand sides and the matrix."""
    n_bytes = 8 * (n_systems * (n_modes**2 + 4 * n_modes + 2 * n**2) + n * n_modes) + laplacian_bytes(n * n, 2)
    return n_bytes, {"n_systems": n_systems, "n": n, "n_modes": n_modes}


@generator_params({**_COMMON, "n_modes": [SIZE]}, _poisson_bytes)
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

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range.
    ValueError
        If the sequence would take more than 32 GiB.

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


def _pair(value):
    """The two entries of a validated pair as Python floats."""
    first, second = np.asarray(value, dtype=np.float64)
    return float(first), float(second)


def _canonical(A):
    """CSR with sorted indices and no explicit zeros, so equal patterns give equal index arrays."""
    A = sparse.csr_array(A)
    A.sum_duplicates()
    A.sort_indices()
    return A
