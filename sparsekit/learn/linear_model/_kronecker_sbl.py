"""Kronecker-structured sparse Bayesian learning (KroSBL, He & Joseph 2024).

Model: ``y = (A_1 kron ... kron A_m) x + noise`` with a Kronecker-supported
``x`` and the prior ``x ~ N(0, diag(gamma_1 kron ... kron gamma_m))``. The full
``prod(rows) x prod(columns)`` matrix is never formed: the E-step works with
per-factor eigendecompositions and the M-step fits the Kronecker-structured
hyperparameter by alternating minimisation (AM) or a sequence of rank-1 SVDs.

Vectors are the C-order (last index fastest) flattening of tensors of shape
``(columns_1, ..., columns_m)``, the convention of :func:`numpy.kron`.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin, validate_params
from ..._core.progress import IterationMonitor
from ..._core.result import Result, end_run
from ..._core.validation import check_array
from .._data import validate_data
from .._result_attributes import store_result
from ._kronecker_algebra import (
    _check_factor_shapes,
    _mode_apply,
    _outer,
    kronecker_matvec,
    nearest_kronecker_factors,
)
from ._sbl_posterior import _POSTERIOR_ATTRIBUTES, _predictive_std, _wants_full
from ._sbl_run import (
    _em_noise_update,
    _History,
    _initial_hyperparameters,
    _noise_floor,
    _status,
    column_norms,
    target_unit,
)

__all__ = ["KroneckerSBL", "kronecker_sbl", "kronecker_matvec", "nearest_kronecker_factors"]

_DEFAULT_PRUNE = {"am": 1e-2, "svd": 1e-3}


class _KroneckerPosterior:
    """Posterior of ``x`` for fixed ``gamma_1 kron ... kron gamma_m`` and noise, via per-factor eigh.

    ``H Gamma H^T = kron_i(A_i Gamma_i A_i^T) = U P U^T`` with ``U = kron U_i``
    orthogonal and ``P = kron P_i``, so ``C = noise I + H Gamma H^T`` has the
    inverse ``U diag(1 / (noise + P)) U^T``. With ``G_i = Gamma_i A_i^T U_i``:
    ``mu = (kron G_i) D (kron U_i^T) y`` and
    ``diag(Sigma) = gamma - (kron G_i o G_i) D``, all by mode products.
    """

    def __init__(self, factors, gammas, noise, Y):
        self.factors = factors
        self.gammas = gammas
        self.bases, eigenvalues, self.G = [], [], []
        for A, g in zip(factors, gammas):
            values, U = linalg.eigh((A * g) @ A.T)
            self.bases.append(U)
            eigenvalues.append(np.maximum(values, 0.0))
            self.G.append((g[:, None] * A.T) @ U)
        self.signal_eigenvalues = _outer(eigenvalues)
        self.inverse_eigenvalues = 1.0 / (noise + self.signal_eigenvalues)
        rotated = _mode_apply(Y, [U.T for U in self.bases])
        self.mean = _mode_apply(self.inverse_eigenvalues * rotated, self.G)
        prior = _outer(gammas)
        self.variance = prior - _mode_apply(self.inverse_eigenvalues, [G**2 for G in self.G])
        np.maximum(self.variance, 0.0, out=self.variance)
        self.prior = prior
        self.n_well_determined = float(np.sum(self.signal_eigenvalues * self.inverse_eigenvalues))

    def residual_energy(self, Y):
        return float(np.sum((Y - _mode_apply(self.mean, self.factors)) ** 2))

    def covariance(self):
        """Full posterior covariance ``Gamma - G D G^T`` of all the (active) coefficients."""
        G = np.ones((1, 1))
        for Gi in self.G:
            G = np.kron(G, Gi)
        out = -(G * self.inverse_eigenvalues.ravel()) @ G.T
        out[np.diag_indices_from(out)] += self.prior.ravel()
        return out


def _am_update(second_moment, gammas, *, max_iter, tol):
    """Alternating minimisation of ``sum_j [L_j / gamma_j + log gamma_j]`` over ``gamma = kron gamma_i``.

    Each factor has a closed form given the others:
    ``gamma_i[a] = mean over the other indices of L / kron_{j != i} gamma_j``.
    After each sweep all but the last factor are scaled to unit norm (the scale
    moves into the last), which fixes the product's scale ambiguity.
    """
    gammas = [g.copy() for g in gammas]
    m = len(gammas)
    previous = _outer(gammas)
    for _ in range(max_iter):
        for i in range(m):
            others = _outer([g if j != i else np.ones(g.size) for j, g in enumerate(gammas)])
            ratio = second_moment / others
            gammas[i] = np.moveaxis(ratio, i, 0).reshape(gammas[i].size, -1).mean(axis=1)
        for i in range(m - 1):
            norm = float(np.linalg.norm(gammas[i]))
            if norm > 0:
                gammas[i] = gammas[i] / norm
                gammas[-1] = gammas[-1] * norm
        current = _outer(gammas)
        change = float(np.linalg.norm(current - previous)) / max(float(np.linalg.norm(previous)), np.finfo(float).tiny)
        previous = current
        if change <= tol:
            break
    return gammas


def _svd_update(second_moment):
    """Rank-1 approximations in sequence: ``gamma_1 = |u_1|``, then the same on ``s_1 v_1`` reshaped."""
    shape = second_moment.shape
    gammas, rest = [], second_moment
    for i, size in enumerate(shape[:-1]):
        matrix = rest.reshape(size, -1)
        U, s, Vt = np.linalg.svd(matrix, full_matrices=False)
        gammas.append(np.abs(U[:, 0]))
        rest = (s[0] * Vt[0]).reshape(shape[i + 1:])
    gammas.append(np.abs(rest.reshape(-1)))
    return gammas


def _factor_prune_masks(gammas, noise, prune_threshold):
    """Keep entry ``a`` of factor ``i`` while the largest coefficient variance it enters,
    ``gamma_i[a] * prod_{j != i} max(gamma_j)``, exceeds ``prune_threshold`` times the
    largest one or the noise variance (per-factor version of ``_prune_mask``)."""
    tops = [float(g.max()) if g.size else 0.0 for g in gammas]
    largest = math.prod(tops)
    masks = []
    for i, g in enumerate(gammas):
        others = math.prod(t for j, t in enumerate(tops) if j != i)
        if others == 0.0:
            masks.append(np.zeros(g.size, dtype=bool))
        else:
            masks.append(g * others > prune_threshold * max(largest, noise))
    return masks


_KRONECKER_CONSTRAINTS = {
    "update": [Options({"am", "svd"})],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "prune_threshold": [Interval(Real, 0, 1, closed="left"), None],
    "noise_variance": [Interval(Real, 0, None, closed="neither"), None],
    "am_max_iter": [Interval(Integral, 1, None, closed="left")],
    "am_tol": [Interval(Real, 0, None, closed="left")],
    "covariance": [Options({"auto", "full", "diag"})],
    "callback": ["callable", None],
    "verbose": ["verbose"],
    "progress": ["boolean"],
}


@validate_params(_KRONECKER_CONSTRAINTS)
def kronecker_sbl(factors, y, *, update="svd", max_iter=500, tol=1e-4, prune_threshold=None, noise_variance=None,
                  am_max_iter=100, am_tol=1e-5, covariance="auto", callback=None, verbose=0, progress=False):
    """KroSBL: sparse Bayesian learning with a Kronecker-structured dictionary and support.

    Parameters
    ----------
    factors : sequence of array-like
        The factors ``A_i`` of shape ``(rows_i, columns_i)``; the full matrix is
        never formed.
    y : array-like of shape (prod(rows),)
        Measurements (C-order flattening of a ``(rows_1, ..., rows_m)`` tensor).
    update : {"svd", "am"}, default="svd"
        M-step for the Kronecker-structured hyperparameter: a sequence of
        rank-1 SVDs (approximate, the paper's more accurate and faster
        variant) or alternating minimisation (converges to a stationary
        point of the SBL cost).
    max_iter : int, default=500
        Maximum number of EM iterations.
    tol : float, default=1e-4
        Stop when ``||gamma_k - gamma_{k-1}|| <= tol ||gamma_{k-1}||`` for the
        full Kronecker hyperparameter.
    prune_threshold : float in [0, 1), optional
        Entry ``a`` of factor ``i`` is removed (with column ``a`` of ``A_i``)
        once the largest coefficient variance it enters, ``gamma_i[a] *
        prod_{j != i} max(gamma_j)``, is at most ``prune_threshold`` times the
        largest one or the noise variance; defaults to 1e-2 for AM and 1e-3
        for SVD, the relative levels of the authors' code.
    noise_variance : float, optional
        Known noise variance; estimated by EM when None.
    am_max_iter : int, default=100
        Maximum alternating sweeps per M-step (AM only).
    am_tol : float, default=1e-5
        Relative change of ``kron gamma_i`` that ends the AM sweeps.
    covariance : {"auto", "full", "diag"}, default="auto"
        Full posterior covariance of the active coefficients (up to 2000 of
        them for ``"auto"``) or its diagonal.
    callback : callable, optional
        ``callback(xk)`` after each iteration, with ``xk`` the current
        coefficients in the caller's units; returning True (or raising
        StopIteration) stops the run (status 2, no warning).
    verbose : bool or int, default=0
        Log progress.
    progress : bool, default=False
        Show a tqdm progress bar.

    Returns
    -------
    Result
        ``x`` (shape ``(prod(columns),)``), ``gamma`` (the full Kronecker
        hyperparameter, zeros where pruned), ``factor_gammas`` (the
        ``gamma_i``), ``active`` (indices of the kept coefficients),
        ``factor_active`` (kept columns of each factor), ``sigma``,
        ``noise_variance``, ``converged``, ``status``, ``message``,
        ``n_iter``, and the histories ``relative_change``,
        ``noise_variance_history`` and ``n_active_history``.

    Raises
    ------
    ValueError
        If a factor or ``y`` contains NaN or infinity, or ``len(y)`` is not the
        product of the factors' row counts.

    Notes
    -----
    E-step (the authors' eigen-trick): eigendecompose each small
    ``A_i Gamma_i A_i^T = U_i P_i U_i^T``; then ``U = kron U_i`` diagonalises
    ``noise I + H Gamma H^T`` and the posterior mean and variances follow from
    mode products with ``U_i`` and ``G_i = Gamma_i A_i^T U_i`` — cost
    ``sum_i rows_i^3`` plus a few passes over the coefficient tensor instead of
    ``prod(rows)^3``. M-step with ``L = mu^2 + diag(Sigma)``: minimise
    ``sum_j [L_j / gamma_j + log gamma_j]`` over ``gamma = kron gamma_i`` (AM or
    SVD, see ``update``); noise by EM, ``(||y - H mu||^2 + noise sum_k P_k /
    (noise + P_k)) / n``. Columns of each factor are normalised internally
    (which normalises the Kronecker columns), so the pruning threshold is
    scale-free.

    Stopping rule: relative change of the Kronecker hyperparameter at most
    ``tol``, or ``max_iter`` iterations (then a
    :class:`~sparsekit.ConvergenceWarning`).

    References
    ----------
    .. [1] Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured
       sparse vector recovery with application to IRS-MIMO channel
       estimation", IEEE Trans. Signal Process., 2024 (arXiv:2307.14719).

    Examples
    --------
    >>> from sparsekit.datasets import make_kronecker_regression
    >>> from sparsekit.learn.linear_model import kronecker_sbl
    >>> factors, y, coef, _ = make_kronecker_regression([(8, 16), (8, 16)], [2, 2], snr_db=30, random_state=0)
    >>> res = kronecker_sbl(factors, y)
    >>> bool(res.converged), bool(((res.x - coef) ** 2).sum() < 0.01 * (coef ** 2).sum())
    (True, True)
    """
    name = "kronecker_sbl"
    if isinstance(factors, np.ndarray) or not hasattr(factors, "__len__") or len(factors) == 0:
        raise ValueError("factors must be a non-empty sequence of 2-D arrays (A_1, ..., A_m).")
    factors = [check_array(A, f"factors[{i}]", ndim=2, dtype=np.float64) for i, A in enumerate(factors)]
    rows = [A.shape[0] for A in factors]
    columns = [A.shape[1] for A in factors]
    y = check_array(y, "y", ndim=1, dtype=np.float64)
    if y.size != math.prod(rows):
        raise ValueError(
            f"y must have prod(rows) = {math.prod(rows)} entries for factors with rows {rows}; got {y.size}."
        )
    prune = _DEFAULT_PRUNE[update] if prune_threshold is None else prune_threshold
    # solved in normalised units, as the other SBL solvers (see _Normalised): unit-norm columns and y
    # divided by a power of two, so that data at 1e+-150 keep representable hyperparameters
    unit = target_unit(y, "y")
    y = y / unit
    if noise_variance is not None:
        noise_variance = float(noise_variance) / unit / unit
    Y = y.reshape(rows)
    scales = [column_norms(A) for A in factors]
    active = [np.flatnonzero(s > 0) for s in scales]
    normalised = [A[:, a] / s[a] for A, s, a in zip(factors, scales, active)]
    n_total = math.prod(a.size for a in active)
    gamma0, noise0 = _initial_hyperparameters(y[:, None], n_total)
    learn_noise = noise_variance is None
    floor = _noise_floor(y)
    noise = max(noise0 if learn_noise else float(noise_variance), floor)
    # the prior's scale lives in the last factor (as _am_update keeps it)
    gammas = [np.ones(a.size) for a in active]
    gammas[-1] = gammas[-1] * gamma0
    history = _History()
    converged = stopped = False
    n_iter = 0
    if gamma0 == 0.0 or n_total == 0:
        active = [a[:0] for a in active]
        normalised = [A[:, :0] for A in normalised]
        gammas = [g[:0] for g in gammas]
        converged = True
    with IterationMonitor(name, total=max_iter, verbose=verbose, progress=progress, callback=callback) as monitor:
        while not converged and n_iter < max_iter:
            n_iter += 1
            state = _KroneckerPosterior(normalised, gammas, noise, Y)
            second_moment = state.mean**2 + state.variance
            if learn_noise:
                noise = _em_noise_update(state.residual_energy(Y), noise, state.n_well_determined, y.size, floor)
            if update == "am":
                new = _am_update(second_moment, gammas, max_iter=am_max_iter, tol=am_tol)
            else:
                new = _svd_update(second_moment)
            change = float(np.linalg.norm(_outer(new) - state.prior)) / float(np.linalg.norm(state.prior))
            keeps = _factor_prune_masks(new, noise, prune)
            args = () if callback is None else (unit * _scatter(state.mean, active, scales, columns),)
            active = [a[k] for a, k in zip(active, keeps)]
            normalised = [A[:, k] for A, k in zip(normalised, keeps)]
            gammas = [g[k] for g, k in zip(new, keeps)]
            n_active = math.prod(a.size for a in active)
            history.append(change, noise * unit * unit, n_active)
            stopped = monitor.update(*args, relative_change=change, n_active=n_active)
            if change <= tol or n_active == 0:
                converged = True
            elif stopped:
                break
        status, message = _status(converged, stopped, n_iter, max_iter, criterion="relative change of gamma")
        monitor.close(message)
    result = _kronecker_result(normalised, gammas, noise, Y, scales, active, columns, covariance, unit,
                               Result(n_iter=n_iter, **history.record))
    return end_run(result, caller=name, status=status, message=message)


def _unscale(active, scales):
    return _outer([s[a] for s, a in zip(scales, active)])


def _scatter(values, active, scales, columns):
    """Coefficients of the active sub-tensor, in the caller's units, as a full-length vector."""
    full = np.zeros(columns)
    if values.size:
        full[np.ix_(*active)] = values / _unscale(active, scales)
    return full.ravel()


def _kronecker_result(normalised, gammas, noise, Y, scales, active, columns, covariance, unit, result):
    """Final E-step at the final hyperparameters, in the caller's units (``y`` was divided by ``unit``)."""
    variance_unit = unit * unit
    n_active = math.prod(a.size for a in active)
    want_full = _wants_full(covariance, n_active)
    sigma = np.zeros((n_active, n_active)) if want_full else np.zeros(n_active)
    mean = np.zeros([a.size for a in active])
    if n_active:
        state = _KroneckerPosterior(normalised, gammas, noise, Y)
        mean = state.mean
        unscale = _unscale(active, scales).ravel()
        sigma = state.covariance() / np.outer(unscale, unscale) if want_full else state.variance.ravel() / unscale**2
        sigma *= variance_unit
    factor_gammas = []
    for g, a, s in zip(gammas, active, scales):
        full = np.zeros(s.size)
        full[a] = g / s[a] ** 2
        factor_gammas.append(full)
    factor_gammas[-1] *= variance_unit  # the prior's scale lives in the last factor
    flat_active = np.ravel_multi_index(np.meshgrid(*active, indexing="ij"), columns).ravel() if n_active else (
        np.zeros(0, dtype=np.intp))
    result.update(
        x=unit * _scatter(mean, active, scales, columns),
        gamma=_outer(factor_gammas).ravel(),
        factor_gammas=factor_gammas,
        active=flat_active,
        factor_active=active,
        sigma=sigma,
        noise_variance=float(noise) * variance_unit,
    )
    return result


def _is_factor_list(X):
    """Whether ``X`` is a sequence of 2-D factors rather than one matrix given as nested lists."""
    return isinstance(X, (list, tuple)) and len(X) > 0 and all(np.ndim(A) == 2 for A in X)


def _kron_columns(factors, factor_active):
    """The columns ``factor_active`` (one index set per factor) of ``A_1 kron ... kron A_m``."""
    out = np.ones((1, 1))
    for A, a in zip(factors, factor_active):
        out = np.kron(out, A[:, a])
    return out


class KroneckerSBL(ParamsValidationMixin, RegressorMixin, BaseEstimator):
    """Sparse Bayesian learning for Kronecker-structured designs (KroSBL).

    Fits ``y = (A_1 kron ... kron A_m) coef + noise`` with a Kronecker-supported
    ``coef`` by :func:`kronecker_sbl`, never forming the full matrix.

    Parameters
    ----------
    factor_shapes : sequence of (int, int), optional
        ``(rows_i, columns_i)`` of the factors. When ``fit`` gets a full matrix
        ``X`` it is split into factors of these shapes
        (:func:`nearest_kronecker_factors`; ``X`` must be an exact Kronecker
        product). When None, a full ``X`` is a single factor (plain SBL with
        the eigendecomposition E-step), and a list of factors gives the shapes.
    solver : {"svd", "am"}, default="svd"
        M-step: sequential rank-1 SVDs or alternating minimisation.
    max_iter : int, default=500
        Maximum EM iterations.
    tol : float, default=1e-4
        Relative change of the Kronecker hyperparameter that stops the fit.
    prune_threshold : float in [0, 1), optional
        Per-factor pruning level relative to the factor's largest entry;
        1e-2 (AM) or 1e-3 (SVD) when None.
    noise_variance : float, optional
        Known noise variance; estimated when None.
    covariance : {"auto", "full", "diag"}, default="auto"
        Keep the full posterior covariance of the active coefficients (up to
        2000 of them for ``"auto"``) or its diagonal.
    verbose : bool or int, default=0
        Log progress.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Posterior mean, ``n_features = prod(columns_i)``.
    gamma_ : ndarray of shape (n_features,)
        Kronecker prior variances ``gamma_1 kron ... kron gamma_m``.
    factor_gammas_ : list of ndarray
        The per-factor ``gamma_i`` (zeros where pruned).
    active_ : ndarray of int
        Indices of the coefficients kept.
    sigma_ : ndarray
        Posterior covariance of the active coefficients, or its diagonal.
    noise_variance_ : float
        Estimated (or given) noise variance.
    factor_shapes_ : list of (int, int)
        Shapes of the factors used.
    n_iter_ : int
        Iterations run.
    converged_ : bool
        Whether the stopping rule was met.
    result_ : Result
        The solver's full result.
    n_features_in_ : int
        Number of columns of the (full) design.
    feature_names_in_ : ndarray of str
        Feature names, when a full ``X`` with names was given.

    See Also
    --------
    kronecker_sbl : The solver.
    SparseBayesianRegression : Unstructured designs.

    Notes
    -----
    There is no intercept: centring the columns of a Kronecker product breaks
    its structure. Centre ``y`` (and the factors) beforehand if needed.

    The solver computes in float64 (its eigendecompositions need it); for
    float32 data (every factor float32) ``coef_``, ``gamma_``, ``sigma_`` and
    ``factor_gammas_`` are cast back to float32, and ``result_`` keeps float64.

    Examples
    --------
    >>> from sparsekit.datasets import make_kronecker_regression
    >>> from sparsekit.learn.linear_model import KroneckerSBL
    >>> factors, y, coef, _ = make_kronecker_regression([(6, 12), (6, 12), (6, 12)], [2, 2, 2], random_state=0)
    >>> model = KroneckerSBL().fit(factors, y)
    >>> model.coef_.shape, sorted(model.active_.tolist()) == sorted(coef.nonzero()[0].tolist())
    ((1728,), True)
    """

    _parameter_constraints = {
        "factor_shapes": ["array-like", None],
        "solver": [Options({"svd", "am"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "prune_threshold": [Interval(Real, 0, 1, closed="left"), None],
        "noise_variance": [Interval(Real, 0, None, closed="neither"), None],
        "covariance": [Options({"auto", "full", "diag"})],
        "verbose": ["verbose"],
    }

    def __init__(self, factor_shapes=None, *, solver="svd", max_iter=500, tol=1e-4, prune_threshold=None,
                 noise_variance=None, covariance="auto", verbose=0):
        self.factor_shapes = factor_shapes
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.prune_threshold = prune_threshold
        self.noise_variance = noise_variance
        self.covariance = covariance
        self.verbose = verbose

    def _factors_of(self, X, y):
        if _is_factor_list(X):
            factors = [check_array(A, f"X[{i}]", ndim=2, dtype="float") for i, A in enumerate(X)]
            shapes = [A.shape for A in factors]
            if self.factor_shapes is not None and _check_factor_shapes(self.factor_shapes) != shapes:
                raise ValueError(
                    f"factor_shapes {_check_factor_shapes(self.factor_shapes)} do not match the shapes {shapes} "
                    "of the factors given as X."
                )
            rows = math.prod(s[0] for s in shapes)
            y = check_array(y, "y", ndim=1, dtype=np.float64)
            if y.size != rows:
                raise ValueError(f"y must have prod(rows) = {rows} entries for factors of shapes {shapes}; got {y.size}.")
            self.n_features_in_ = math.prod(s[1] for s in shapes)
            return factors, y
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32])
        if self.factor_shapes is None:
            return [X], y
        return nearest_kronecker_factors(X, self.factor_shapes), y

    def fit(self, X, y):
        """Fit the Kronecker-structured hyperparameters and the posterior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or list of array-like
            The full design matrix, or its factors ``[A_1, ..., A_m]``.
        y : array-like of shape (n_samples,)
            Measurements, ``n_samples = prod(rows_i)``.

        Returns
        -------
        KroneckerSBL
            The fitted estimator.
        """
        self._validate_params()
        factors, y = self._factors_of(X, y)
        dtype = np.result_type(*factors)
        result = kronecker_sbl(factors, y, update=self.solver, max_iter=self.max_iter, tol=self.tol,
                               prune_threshold=self.prune_threshold, noise_variance=self.noise_variance,
                               covariance=self.covariance, verbose=self.verbose)
        self.coef_ = result.x.astype(dtype, copy=False)
        self.factor_shapes_ = [A.shape for A in factors]
        store_result(self, result, _POSTERIOR_ATTRIBUTES, dtype=dtype)
        self.factor_gammas_ = [g.astype(dtype, copy=False) for g in result.factor_gammas]
        return self

    def predict(self, X, return_std=False):
        """Predict with the posterior mean, and optionally the predictive standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or list of array-like
            A full design matrix, or factors ``[B_1, ..., B_m]`` whose columns
            match the fitted factors' (the prediction is then
            ``(B_1 kron ... kron B_m) coef_``, without forming the product).
        return_std : bool, default=False
            Also return predictive standard deviations.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            Predictive means.
        y_std : ndarray of shape (n_samples,)
            Predictive standard deviations; only with ``return_std``.
        """
        check_is_fitted(self)
        if _is_factor_list(X):
            factors = [check_array(B, f"X[{i}]", ndim=2, dtype="float") for i, B in enumerate(X)]
            columns = [B.shape[1] for B in factors]
            fitted = [s[1] for s in self.factor_shapes_]
            if columns != fitted:
                raise ValueError(f"the factors given as X have {columns} columns; the model was fitted with {fitted}.")
            y_mean = kronecker_matvec(factors, self.coef_)
            X_active = _kron_columns(factors, self.result_.factor_active) if return_std else None
        else:
            X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
            y_mean = X @ self.coef_
            X_active = X[:, self.active_] if return_std else None
        if not return_std:
            return y_mean
        return y_mean, _predictive_std(X_active, self.sigma_, self.noise_variance_)
