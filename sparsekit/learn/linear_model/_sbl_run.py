"""The pieces of one sparse Bayesian learning run that every SBL solver shares.

Input checks, the column-normalised design with its shrinking active set,
start values, the noise floor, the EM noise step, pruning, the per-iteration
record (history, progress, callback) and the end of the run (the exact
posterior in the caller's units, ended through :func:`~sparsekit.utils.end_run`).

All SBL solvers work on the column-normalised matrix (SBL is equivariant to
column scaling, so this changes nothing but makes the pruning threshold and the
GAMP damping scale-free) and report results in the caller's units.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse

from ..._core.params import Interval, Options
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_STOPPED, Result, end_run
from ..._core.validation import check_array
from ._sbl_posterior import _posterior, _wants_full, dense_gram, scale_columns

#: Constraints of the options every SBL solver takes.
SBL_CONSTRAINTS = {
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "prune_threshold": [Interval(Real, 0, 1, closed="left")],
    "noise_variance": [Interval(Real, 0, None, closed="neither"), None],
    "covariance": [Options({"auto", "full", "diag"})],
    "callback": ["callable", None],
    "verbose": ["verbose"],
    "progress": ["boolean"],
}


def _check_design_and_targets(A, Y, name_A="A", name_Y="y"):
    """Validate a design matrix and one or several target columns.

    Parameters
    ----------
    A : array-like or sparse array of shape (n_samples, n_features)
        Design matrix (finite, real); sparse input of any format becomes CSC.
    Y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    name_A, name_Y : str
        Argument names used in error messages.

    Returns
    -------
    A : ndarray or CSC array of float64
    Y : ndarray of float64, shape (n_samples, n_targets)
    single_target : bool
        Whether ``Y`` was one-dimensional.
    """
    A = check_array(A, name_A, ndim=2, accept_sparse=("csc",), dtype=np.float64)
    Y = check_array(Y, name_Y, ndim=(1, 2), dtype=np.float64)
    if Y.shape[0] != A.shape[0]:
        raise ValueError(f"{name_Y} must have {A.shape[0]} rows, one per row of {name_A}; got {Y.shape[0]}.")
    single_target = Y.ndim == 1
    return A, (Y[:, None] if single_target else Y), single_target


def target_unit(Y, name):
    """The power of two that brings ``max|Y|`` into [0.5, 1): SBL's unit for targets (exact to divide by).

    Raises
    ------
    ValueError
        If a variance in the caller's units (``max|Y|**2``, the scale of the
        noise variance and the prior variances) would overflow float64.
    """
    peak = float(np.max(np.abs(Y))) if Y.size else 0.0
    exponent = int(np.frexp(peak)[1])
    if 2 * exponent > np.finfo(np.float64).maxexp:
        raise ValueError(
            f"{name} is too large in magnitude (max |{name}| = {peak:g}): the noise and prior variances of SBL, "
            f"in {name}'s units squared, would overflow float64; rescale {name}."
        )
    return math.ldexp(1.0, exponent)


def column_norms(A):
    """Euclidean norms of the columns of ``A``, without overflow or underflow for entries near 1e+-150.

    Each column is divided by its largest magnitude before it is squared.
    ``A`` may be sparse (CSC), and then stays so.
    """
    if sparse.issparse(A):
        peak = abs(A).max(axis=0).toarray().ravel()
        unit = scale_columns(A, 1.0 / np.where(peak > 0, peak, 1.0))
        return peak * np.sqrt(np.asarray(unit.multiply(unit).sum(axis=0)).ravel())
    peak = np.max(np.abs(A), axis=0)
    unit = A / np.where(peak > 0, peak, 1.0)
    return peak * np.sqrt(np.einsum("ij,ij->j", unit, unit))


class _Normalised:
    """The SBL problem in normalised units: unit-norm columns of ``A`` (on an active set that only shrinks),
    targets ``Y / target_scale`` with largest magnitude in [0.5, 1).

    SBL is equivariant to both scalings (coefficients scale with ``y`` and
    inversely with their column, ``gamma`` and the noise variance with
    ``y**2``), so solving here and scaling back gives the same answer; it also
    keeps the hyperparameters of data at 1e150 or 1e-150 representable (their
    squares would overflow or underflow in the caller's units). The target
    scale is a power of two, so scaling ``y`` and a known noise variance there
    and back is exact.
    """

    def __init__(self, A, Y):
        self.scale = column_norms(A)
        self.active = np.flatnonzero(self.scale > 0)
        self.matrix = scale_columns(A[:, self.active], 1.0 / self.scale[self.active])
        self.target_scale = target_unit(Y, "y")
        self.targets = Y / self.target_scale

    def keep(self, mask):
        """Drop the active features where ``mask`` is False."""
        self.active = self.active[mask]
        self.matrix = self.matrix[:, mask]
        return self.matrix

    def noise_in_units(self, noise_variance):
        """A noise variance given in the caller's units, in normalised units (None stays None)."""
        return None if noise_variance is None else (float(noise_variance) / self.target_scale) / self.target_scale

    def coefficients(self, mean, n_features):
        """Posterior means of the active features, in the caller's units, scattered over all features."""
        coef = np.zeros((n_features, mean.shape[1]))
        coef[self.active] = mean * (self.target_scale / self.scale[self.active, None])
        return coef


def _initial_hyperparameters(Y, n_features):
    """Start with 90% of the target energy explained by the prior, 10% by the noise.

    With unit-norm columns ``E||y||^2 = sum(gamma) + n * noise_variance``.
    """
    energy = float(np.sum(Y**2)) / Y.shape[1]
    gamma0 = 0.9 * energy / max(n_features, 1)
    noise0 = 0.1 * energy / Y.shape[0]
    return gamma0, noise0


def _noise_floor(Y):
    """Smallest noise variance allowed: keeps the posterior well defined for noiseless data."""
    return 1e-12 * float(np.sum(Y**2)) / Y.size + np.finfo(np.float64).tiny


def _status(converged, stopped_by_callback, n_iter, max_iter, *, criterion="relative coefficient change"):
    """``(status, message)`` of an SBL solver's run, for :func:`~sparsekit.utils.end_run`.

    A callback that asks to stop at the iteration that met ``tol`` leaves the run converged.
    """
    if converged:
        return STATUS_CONVERGED, f"converged: {criterion} below tol after {n_iter} iterations"
    if stopped_by_callback:
        return STATUS_STOPPED, "stopped by the callback"
    return STATUS_MAX_ITER, f"did not converge in max_iter={max_iter} iterations"


def _em_noise_update(residual_energy, noise, n_well_determined, n_samples, floor):
    """EM M-step of the noise variance, ``(||y - A mu||^2 + noise sum_i g_i) / n``, floored."""
    return max((residual_energy + noise * n_well_determined) / n_samples, floor)


def _finish(name, normalised, n_features, Y, gamma, noise_variance, *, mean=None, gram=None, covariance,
            single_target, status, message, n_iter, history, extra=None):
    """Exact posterior on the final active set, back in the caller's units, as a Result ended by ``end_run``.

    ``Y``, ``gamma``, ``noise_variance`` and ``mean`` are in ``normalised``'s units.

    ``mean`` (GGAMP-SBL's estimate) is kept when given; otherwise the mean of
    the final E-step at the final hyperparameters is returned, as ARD does.
    ``name`` is the public solver the user called, for the warning.
    """
    active = normalised.active
    scale = normalised.scale[active]
    variance_unit = normalised.target_scale**2
    want_full = _wants_full(covariance, active.size)
    sigma = np.zeros((active.size, active.size)) if want_full else np.zeros(active.size)
    coef = np.zeros((n_features, Y.shape[1]))
    if active.size:
        A = normalised.matrix
        if gram is None and active.size <= A.shape[0]:
            gram = dense_gram(A)
        exact_mean, variance, _, full = _posterior(A, Y, gamma, noise_variance, gram=gram,
                                                  full_covariance=want_full)
        mean = exact_mean if mean is None else mean
        sigma = (full / np.outer(scale, scale) if want_full else variance / scale**2) * variance_unit
        coef = normalised.coefficients(mean, n_features)
    gamma_full = np.zeros(n_features)
    gamma_full[active] = gamma / scale**2 * variance_unit
    result = Result(
        x=coef[:, 0] if single_target else coef,
        gamma=gamma_full,
        noise_variance=float(noise_variance) * variance_unit,
        active=active,
        sigma=sigma,
        n_iter=n_iter,
        **history,
    )
    result.update(extra or {})
    return end_run(result, caller=name, status=status, message=message)


def _relative_change(new, old):
    norm = math.sqrt(float(np.sum(new**2)))
    if norm == 0.0:
        return 0.0 if not np.any(old) else math.inf
    return math.sqrt(float(np.sum((new - old) ** 2))) / norm


def _prune_mask(gamma, noise_variance, prune_threshold):
    """Mask of the features to keep: ``gamma_i > prune_threshold * max(max(gamma), noise_variance)``.

    In column-normalised units ``gamma_i`` is the variance feature ``i`` adds
    to the data along its own direction: it is dropped once that is a
    negligible fraction of the strongest feature's, or of the noise (so that
    pure-noise data ends with every feature pruned instead of all prior
    variances shrinking together for ever).
    """
    level = prune_threshold * max(float(gamma.max()) if gamma.size else 0.0, noise_variance)
    return gamma > level


def _record_iteration(monitor, history, change, noise, normalised, mean, single_target, n_features):
    """History, progress and callback after one iteration; return whether the callback asked to stop.

    The callback gets the current coefficients in the caller's units when
    ``n_features`` is given (only then are they assembled).
    """
    history.append(change, noise * normalised.target_scale**2, mean.shape[0])
    args = ()
    if n_features is not None:
        current = normalised.coefficients(mean, n_features)
        args = (current[:, 0] if single_target else current,)
    return monitor.update(*args, relative_change=change, n_active=mean.shape[0])


class _History:
    """Per-iteration figures a user would plot; stored in the Result."""

    def __init__(self):
        self.record = {"relative_change": [], "noise_variance_history": [], "n_active_history": []}

    def append(self, change, noise, n_active):
        self.record["relative_change"].append(change)
        self.record["noise_variance_history"].append(float(noise))
        self.record["n_active_history"].append(int(n_active))

