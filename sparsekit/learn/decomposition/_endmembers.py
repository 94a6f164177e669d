"""Endmember extraction under the pure-pixel assumption: SPA, VCA and N-FINDR."""

from numbers import Integral

import numpy as np

from ..._core.params import Interval, Options, validate_params
from ..._core.random import check_random_state
from ..._core.result import Result, end_run
from ..._core.scaling import times_power_of_two, unit_exponent
from ._fcls import check_pixels

__all__ = ["nfindr", "spa", "vca"]


def _prepare(Y, n_endmembers, caller, *, need_bands):
    """Pixels as a 2-D array, the same rescaled near unit scale (selection is scale-invariant), and checks."""
    Y2, _ = check_pixels(Y)
    n_pixels, n_bands = Y2.shape
    if n_endmembers > n_pixels:
        raise ValueError(f"n_endmembers={n_endmembers} exceeds the number of pixels of Y ({n_pixels}).")
    if n_endmembers > n_bands + (0 if need_bands else 1):
        raise ValueError(f"n_endmembers={n_endmembers} exceeds what the {n_bands} bands of Y can separate "
                         f"with {caller}.")
    exponent = unit_exponent(Y2, dtype=np.float64, margin=4)
    work = times_power_of_two(Y2, exponent, dtype=np.float64) if exponent else Y2.astype(np.float64, copy=False)
    return Y2, work


def _selected(Y2, indices, n_iter, caller, status=0, message="done", **extra):
    result = Result(endmembers=np.array(Y2[indices]), indices=np.asarray(indices, dtype=np.intp), n_iter=n_iter,
                    **extra)
    # an infinite estimated SNR (noiseless data) is an answer, not a failure: only the spectra must be finite
    return end_run(result, caller=caller, status=status, message=message, check=("endmembers",))


@validate_params({"n_endmembers": [Interval(Integral, 1, None, closed="left")]})
def spa(Y, n_endmembers):
    """Successive projection algorithm: the pixels spanning the data's simplex, one projection at a time.

    Parameters
    ----------
    Y : array-like of shape (n_pixels, n_bands) or (height, width, n_bands)
        The pixels, or an image cube.
    n_endmembers : int
        Number of endmembers to extract (at most ``n_bands`` and ``n_pixels``).

    Returns
    -------
    Result
        ``endmembers`` (n_endmembers, n_bands), rows of ``Y``; ``indices``
        (flat pixel indices); ``n_iter`` (``n_endmembers``); ``converged``.

    Raises
    ------
    ValueError
        For non-finite ``Y``, a wrong number of dimensions, or too many endmembers.

    Notes
    -----
    Gillis & Vavasis, "Fast and robust recursive algorithms for separable
    nonnegative matrix factorization", IEEE TPAMI 2014: pick the pixel of
    largest residual norm, project every pixel onto the orthogonal
    complement of the picks. The projection is never applied to the data:
    residual norms are ``||y||^2 - sum_k (y . q_k)^2`` with ``q_k`` the
    orthonormalised picks (one matrix-vector product per pick, no copy of
    ``Y``), the sum refreshed from scratch against cancellation.

    Examples
    --------
    >>> from sparsekit.datasets import make_hyperspectral
    >>> from sparsekit.learn.decomposition import spa
    >>> cube, E, A = make_hyperspectral(30, 30, 40, 3, noise_std=0.0, random_state=0)
    >>> result = spa(cube, 3)
    >>> sorted(A.reshape(-1, 3)[result.indices].argmax(axis=1).tolist())
    [0, 1, 2]
    """
    Y2, work = _prepare(Y, n_endmembers, "spa", need_bands=True)
    norms = np.einsum("ij,ij->i", work, work)
    projected = np.zeros_like(norms)
    basis = np.empty((n_endmembers, work.shape[1]))
    indices = []
    for k in range(n_endmembers):
        j = int(np.argmax(norms - projected))
        q = work[j] - basis[:k].T @ (basis[:k] @ work[j])
        size = np.linalg.norm(q)
        if not size > 0:
            raise ValueError(f"Y spans fewer than n_endmembers={n_endmembers} directions.")
        basis[k] = q / size
        projected += (work @ basis[k]) ** 2
        indices.append(j)
    return _selected(Y2, indices, n_endmembers, "spa")


@validate_params({"n_endmembers": [Interval(Integral, 1, None, closed="left")], "random_state": ["random_state"]})
def vca(Y, n_endmembers, *, random_state=None):
    """Vertex component analysis: pixels at the extremes of random directions in the signal subspace.

    Parameters
    ----------
    Y : array-like of shape (n_pixels, n_bands) or (height, width, n_bands)
        The pixels, or an image cube.
    n_endmembers : int
        Number of endmembers (at most ``n_bands`` and ``n_pixels``).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the random directions.

    Returns
    -------
    Result
        ``endmembers`` (n_endmembers, n_bands), rows of ``Y``; ``indices``;
        ``snr`` (the estimated signal-to-noise ratio, dB); ``n_iter``; ``converged``.

    Raises
    ------
    ValueError
        For non-finite ``Y``, a wrong number of dimensions, or too many endmembers.

    Notes
    -----
    Nascimento & Bioucas-Dias, "Vertex component analysis", IEEE TGRS 2005,
    as in their reference code: the SNR is estimated from the energy
    captured by the ``n_endmembers``-dimensional subspace; above
    ``15 + 10 log10(n_endmembers)`` dB the pixels are projected on that
    subspace and scaled projectively, below it on the ``n_endmembers - 1``
    principal directions with a constant last coordinate. Each endmember is
    then the pixel of largest ``|f^T x|`` for a random ``f`` orthogonal to the
    endmembers found so far. Projections are computed as ``U^T Y`` minus
    ``U^T mean``, never as a centred copy of ``Y``.

    Examples
    --------
    >>> from sparsekit.datasets import make_hyperspectral
    >>> from sparsekit.learn.decomposition import vca
    >>> cube, E, A = make_hyperspectral(30, 30, 40, 3, noise_std=0.0, random_state=0)
    >>> result = vca(cube, 3, random_state=0)
    >>> sorted(A.reshape(-1, 3)[result.indices].argmax(axis=1).tolist())
    [0, 1, 2]
    """
    Y2, work = _prepare(Y, n_endmembers, "vca", need_bands=True)
    rng = check_random_state(random_state)
    n_pixels, n_bands = work.shape
    p = n_endmembers
    mean = work.mean(axis=0)
    scatter = (work.T @ work) / n_pixels
    _, vectors = np.linalg.eigh(scatter)
    U = vectors[:, ::-1][:, :p]
    power_total = float(np.trace(scatter))
    power_signal = float(np.sum((work @ U) ** 2) / n_pixels)
    power_mean = float(mean @ mean)
    noise = (power_signal - p / n_bands * power_total) / (1 - p / n_bands) if p < n_bands else 0.0
    signal = power_total - power_signal
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = float(10 * np.log10((noise - p / n_bands * power_mean) / signal)) if signal > 0 else np.inf
    if not np.isfinite(snr) or snr > 15 + 10 * np.log10(p):
        X = work @ U
        scale = X @ X.mean(axis=0)
        scale[scale == 0] = np.finfo(float).tiny
        projected = X / scale[:, None]
    else:
        centred_scatter = scatter - np.outer(mean, mean)
        _, vectors = np.linalg.eigh(centred_scatter)
        Ud = vectors[:, ::-1][:, : p - 1]
        X = work @ Ud - mean @ Ud
        c = np.sqrt(np.max(np.einsum("ij,ij->i", X, X))) if p > 1 else 1.0
        projected = np.column_stack([X, np.full(n_pixels, c)])
    basis = np.zeros((p, p))
    basis[p - 1, 0] = 1.0
    indices = []
    for i in range(p):
        w = rng.standard_normal(p)
        f = w - basis @ (np.linalg.pinv(basis) @ w)
        size = np.linalg.norm(f)
        f = f / size if size > 0 else w / np.linalg.norm(w)
        j = int(np.argmax(np.abs(projected @ f)))
        basis[:, i] = projected[j]
        indices.append(j)
    return _selected(Y2, indices, p, "vca", snr=snr)


@validate_params({
    "n_endmembers": [Interval(Integral, 1, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left"), None],
    "init": [Options({"spa", "random"})],
    "random_state": ["random_state"],
})
def nfindr(Y, n_endmembers, *, max_iter=None, init="spa", random_state=None):
    """N-FINDR: the pixels whose simplex has the largest volume, by vertex swaps.

    Parameters
    ----------
    Y : array-like of shape (n_pixels, n_bands) or (height, width, n_bands)
        The pixels, or an image cube.
    n_endmembers : int
        Number of endmembers (at most ``n_bands + 1`` and ``n_pixels``).
    max_iter : int, optional
        Sweeps over the vertices; ``3 * n_endmembers`` when None (as in pysptools).
    init : {"spa", "random"}, default="spa"
        Start from :func:`spa`'s pixels, or from pixels drawn at random.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the random start.

    Returns
    -------
    Result
        ``endmembers``, ``indices``, ``volume`` (of the simplex in the
        reduced space, up to the constant ``1/(p-1)!``), ``n_iter`` (sweeps),
        ``converged`` (a full sweep changed no vertex).

    Raises
    ------
    ValueError
        For non-finite ``Y``, a wrong number of dimensions, or too many endmembers.

    Notes
    -----
    Winter, "N-FINDR: an algorithm for fast autonomous spectral end-member
    determination", SPIE 1999. Pixels are reduced to ``p - 1`` principal
    coordinates; the volume is ``|det [1; Z_S]|``. Replacing vertex ``j`` by
    pixel ``n`` multiplies the determinant by ``(M^{-1} [1; z_n])_j``
    (Cramer's rule), so each vertex is tried against every pixel in one
    matrix product instead of one determinant per pixel. A swap is taken only
    when it grows the volume by more than one part in 10^9 (no cycling).

    Examples
    --------
    >>> from sparsekit.datasets import make_hyperspectral
    >>> from sparsekit.learn.decomposition import nfindr
    >>> cube, E, A = make_hyperspectral(30, 30, 40, 3, noise_std=0.0, random_state=0)
    >>> result = nfindr(cube, 3)
    >>> sorted(A.reshape(-1, 3)[result.indices].argmax(axis=1).tolist()), bool(result.converged)
    ([0, 1, 2], True)
    """
    Y2, work = _prepare(Y, n_endmembers, "nfindr", need_bands=False)
    p = n_endmembers
    max_iter = 3 * p if max_iter is None else max_iter
    n_pixels = work.shape[0]
    mean = work.mean(axis=0)
    _, vectors = np.linalg.eigh((work.T @ work) / n_pixels - np.outer(mean, mean))
    V = vectors[:, ::-1][:, : p - 1]
    Z = np.column_stack([np.ones(n_pixels), work @ V - mean @ V])
    if init == "spa":
        indices = np.array(spa(Y2, p).indices)
    else:
        indices = check_random_state(random_state).choice(n_pixels, size=p, replace=False)
    M = Z[indices].T
    volume = abs(np.linalg.det(M))
    if p == 1 or not volume > 0:
        status = 0 if p == 1 else 4
        return _selected(Y2, indices, 0, "nfindr", status=status, volume=volume,
                         message="one endmember" if p == 1 else "the starting simplex is flat")
    for sweep in range(1, max_iter + 1):
        changed = False
        for j in range(p):
            ratio = np.abs(Z @ np.linalg.inv(M)[j])
            best = int(np.argmax(ratio))
            if ratio[best] > 1.0 + 1e-9:
                indices[j] = best
                M = Z[indices].T
                volume *= ratio[best]
                changed = True
        if not changed:
            return _selected(Y2, indices, sweep, "nfindr", volume=volume, message="a sweep changed no vertex")
    return _selected(Y2, indices, max_iter, "nfindr", status=1, volume=volume,
                     message=f"vertices still changing after max_iter={max_iter} sweeps")
