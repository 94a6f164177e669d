"""Synthetic hyperspectral scenes under the linear mixing model (the test and benchmark data of unmixing)."""

from numbers import Integral, Real

import numpy as np

from .._core.params import Interval
from .._core.random import check_random_state
from ._validation import INDEX_MAX, SIZE, generator_params

__all__ = ["make_hyperspectral"]


def _hyperspectral_bytes(height, width, n_bands, n_endmembers, **_):
    """About the memory of the cube, its noise and the abundance fields."""
    n_pixels = height * width
    return 8 * (3 * n_pixels * n_bands + 4 * n_pixels * n_endmembers), {
        "height": height, "width": width, "n_bands": n_bands, "n_endmembers": n_endmembers}


def _smooth_spectra(n_endmembers, n_bands, rng):
    """Reflectance-like spectra in [0.05, 0.95]: a sloped baseline plus a few broad absorption/peak bumps."""
    grid = np.linspace(0.0, 1.0, n_bands)
    spectra = np.empty((n_endmembers, n_bands))
    for k in range(n_endmembers):
        curve = rng.uniform(0.2, 0.6) + rng.uniform(-0.3, 0.3) * grid
        for _ in range(4):
            centre, width, height = rng.uniform(0, 1), rng.uniform(0.04, 0.2), rng.uniform(-0.35, 0.35)
            curve = curve + height * np.exp(-0.5 * ((grid - centre) / width) ** 2)
        spectra[k] = curve
    low, high = spectra.min(), spectra.max()
    return 0.05 + 0.9 * (spectra - low) / (high - low) if high > low else np.full_like(spectra, 0.5)


def _smooth_field(height, width, n_fields, length, rng):
    """Gaussian random fields, smoothed in Fourier space with a correlation length of ``length`` pixels."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    kernel = np.exp(-2.0 * (np.pi * length) ** 2 * (fy**2 + fx**2))
    fields = np.empty((height, width, n_fields))
    for k in range(n_fields):
        field = np.fft.irfft2(np.fft.rfft2(rng.standard_normal((height, width))) * kernel, s=(height, width))
        spread = field.std()
        fields[..., k] = field / spread if spread > 0 else field
    return fields


@generator_params(
    {
        "height": [SIZE],
        "width": [SIZE],
        "n_bands": [SIZE],
        "n_endmembers": [SIZE],
        "noise_std": [Interval(Real, 0, 1e3, closed="both")],
        "snr": [Interval(Real, -1000, 1000, closed="both"), None],
        "n_outlier_bands": [Interval(Integral, 0, INDEX_MAX, closed="both")],
        "outlier_std": [Interval(Real, 0, 1e3, closed="both")],
        "pure_pixels": ["boolean"],
        "return_outlier_bands": ["boolean"],
        "random_state": ["random_state"],
    },
    _hyperspectral_bytes,
)
def make_hyperspectral(height, width, n_bands, n_endmembers, *, noise_std=0.01, snr=None, n_outlier_bands=0,
                       outlier_std=0.3, pure_pixels=True, return_outlier_bands=False, random_state=None):
    """A hyperspectral cube under the linear mixing model, with its endmembers and abundances.

    Each pixel's spectrum is ``y = a @ E + noise``: ``E`` holds smooth
    reflectance-like spectra (a sloped baseline plus broad bumps, within
    [0.05, 0.95]) and ``a`` is a non-negative, sum-to-one abundance vector.
    The abundance maps are spatially smooth (a softmax of Gaussian random
    fields with a correlation length of a tenth of the image), so that a
    grid Laplacian is a meaningful prior. ``n_outlier_bands`` bands, drawn at
    random, are corrupted with heavy noise of standard deviation
    ``outlier_std``, as water-absorption or detector-failure bands are in real
    scenes.

    No public cube is pip-installable; a real one (Jasper Ridge, Urban,
    Samson in the usual ``.mat`` format with keys ``Y`` of shape (bands,
    pixels), ``E`` and ``A``) loads with ``scipy.io.loadmat`` and
    ``Y.T.reshape(rows, cols, bands)`` (mind the column-major pixel order
    of files written by MATLAB: ``Y.T.reshape(cols, rows, bands).transpose(1, 0, 2)``).

    Parameters
    ----------
    height, width : int
        Image size in pixels.
    n_bands : int
        Number of spectral bands.
    n_endmembers : int
        Number of endmembers (materials).
    noise_std : float in [0, 1e3], default=0.01
        Standard deviation of the white Gaussian noise on every band.
    snr : float in [-1000, 1000], optional
        Signal-to-noise ratio in dB; when given it sets the noise standard
        deviation from the mean power of the clean cube, and ``noise_std`` is
        ignored.
    n_outlier_bands : int, default=0
        Number of corrupted bands (at most ``n_bands``).
    outlier_std : float in [0, 1e3], default=0.3
        Standard deviation of the extra noise on the corrupted bands.
    pure_pixels : bool, default=True
        Put one pure pixel of each endmember at a random position (the
        assumption of VCA, SPA and N-FINDR).
    return_outlier_bands : bool, default=False
        Also return the indices of the corrupted bands.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the spectra, maps and noise.

    Returns
    -------
    cube : ndarray of shape (height, width, n_bands)
        The observed scene, clipped at zero (reflectance is non-negative,
        and NMF requires it).
    endmembers : ndarray of shape (n_endmembers, n_bands)
        The true spectra.
    abundances : ndarray of shape (height, width, n_endmembers)
        The true abundances: non-negative, summing to one at each pixel.
    outlier_bands : ndarray of int of shape (n_outlier_bands,)
        The corrupted bands, sorted; only with ``return_outlier_bands=True``.

    Raises
    ------
    ValueError
        If ``n_outlier_bands`` exceeds ``n_bands``, or the call would allocate
        more than 32 GiB.

    Examples
    --------
    >>> from sparsekit.datasets import make_hyperspectral
    >>> cube, E, A, bad = make_hyperspectral(20, 30, 50, 3, n_outlier_bands=2, return_outlier_bands=True,
    ...                                      random_state=0)
    >>> cube.shape, E.shape, A.shape, bad.shape
    ((20, 30, 50), (3, 50), (20, 30, 3), (2,))
    >>> bool(abs(A.sum(axis=2) - 1).max() < 1e-12) and bool(A.min() >= 0)
    True
    """
    if n_outlier_bands > n_bands:
        raise ValueError(f"n_outlier_bands must be at most n_bands={n_bands}; got {n_outlier_bands}.")
    rng = check_random_state(random_state)
    endmembers = _smooth_spectra(n_endmembers, n_bands, rng)
    fields = _smooth_field(height, width, n_endmembers, max(height, width) / 10.0, rng)
    logits = 1.5 * fields
    logits -= logits.max(axis=2, keepdims=True)
    abundances = np.exp(logits)
    abundances /= abundances.sum(axis=2, keepdims=True)
    if pure_pixels:
        spots = rng.choice(height * width, size=min(n_endmembers, height * width), replace=False)
        flat = abundances.reshape(-1, n_endmembers)
        flat[spots] = 0.0
        flat[spots, np.arange(spots.size)] = 1.0
    clean = abundances.reshape(-1, n_endmembers) @ endmembers
    std = noise_std
    if snr is not None:
        std = float(np.sqrt(np.mean(clean**2) / 10.0 ** (snr / 10.0)))
        std = min(std, 1e3)
    cube = clean + std * rng.standard_normal(clean.shape)
    outlier_bands = np.sort(rng.choice(n_bands, size=n_outlier_bands, replace=False))
    if n_outlier_bands:
        cube[:, outlier_bands] += outlier_std * rng.standard_normal((clean.shape[0], n_outlier_bands))
    np.maximum(cube, 0.0, out=cube)  # reflectance is non-negative; so must be the input of NMF
    cube = cube.reshape(height, width, n_bands)
    return (cube, endmembers, abundances, outlier_bands) if return_outlier_bands else (cube, endmembers, abundances)
