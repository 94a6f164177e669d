"""Ensembles of feature-sketched ridge regressions tuned by generalized cross-validation."""

from numbers import Integral, Real

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.exceptions import InvalidParameterError
from ..._core.params import Interval, Options, ParamsValidationMixin, check_params
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, Result, end_run
from ..._core.scaling import times_power_of_two, unit_exponent
from ..._core.validation import check_array, check_vector
from ...linalg import SKETCH_METHODS
from ...linalg._sketching._sketch_input import check_host_input
from .._data import validate_data

__all__ = ["SketchedRidgeEnsemble", "sketched_ridge_gcv"]

FEATURE_SKETCHES = ("countsketch", "sparse-sign", "gaussian", "srdct", "srht", "uniform")

_SOLVER_CONSTRAINTS = {
    "alphas": ["array-like", None],
    "sketch_sizes": ["array-like", Options({"auto"})],
    "n_sketches": [Interval(Integral, 1, None, closed="left")],
    "sketch": [Options(set(FEATURE_SKETCHES))],
    "fit_intercept": ["boolean"],
    "random_state": ["random_state"],
}


#: The "auto" grid: these fractions of n_features (at least AUTO_MIN_SIZE, the sparse-sign sketch's column
#: count), plus n_features itself (plain ridge) up to AUTO_FULL_SIZE_LIMIT features.
AUTO_FRACTIONS = (0.25, 0.5)
AUTO_MIN_SIZE = 8
AUTO_FULL_SIZE_LIMIT = 2000
#: The default alpha grid, in units of the mean eigenvalue of the centred Gram matrix.
AUTO_ALPHA_SPAN = np.logspace(-6, 2, 25)


def _resolve_sketch_sizes(sketch_sizes, p):
    """Turn fractions of ``p`` (floats in (0, 1]) and counts (ints >= 1) into distinct sketch sizes."""
    if isinstance(sketch_sizes, str):  # "auto"
        sketch_sizes = [max(AUTO_MIN_SIZE, round(f * p)) for f in AUTO_FRACTIONS]
        sketch_sizes += [p] if p <= AUTO_FULL_SIZE_LIMIT else []
    sizes = []
    for value in np.atleast_1d(np.asarray(sketch_sizes, dtype=object)).ravel():
        if isinstance(value, (Integral, np.integer)) and not isinstance(value, bool) and 1 <= value:
            size = int(value)
        elif isinstance(value, (Real, np.floating)) and 0 < value <= 1:
            size = max(1, int(round(float(value) * p)))
        else:
            shown = f"{value:g}" if isinstance(value, (Real, np.floating)) else repr(value)
            raise InvalidParameterError(
                f"sketch_sizes must hold fractions of n_features in (0, 1] or sizes >= 1; got {shown}."
            )
        sizes.append(min(size, p))
    if not sizes:
        raise InvalidParameterError("sketch_sizes must not be empty.")
    return sorted(set(sizes))


def sketched_ridge_gcv(
    X,
    y,
    *,
    alphas=None,
    sketch_sizes="auto",
    n_sketches=5,
    sketch="countsketch",
    fit_intercept=True,
    random_state=None,
):
    """Fit ensembles of feature-sketched ridge regressions and pick (alpha, sketch size) by GCV.

    For each sketch size ``q`` and each of ``K = n_sketches`` independent
    sketches ``S_k`` (``p x q``), ridge regression is solved on the sketched
    features ``X S_k``; the ensemble averages the ``K`` coefficient vectors
    ``S_k β_k``. Generalized cross-validation over the grid picks the
    penalty and the sketch size.

    Parameters
    ----------
    X : {ndarray, sparse array or matrix (any SciPy format)} of shape (n_samples, n_features)
        Training data. Sparse input is never densified.
    y : array-like of shape (n_samples,)
        Target.
    alphas : array-like of float, optional
        Positive penalties, in scikit-learn's convention
        ``||y - X w||² + alpha ||w||²`` (so the same grid as
        :class:`sklearn.linear_model.RidgeCV`). By default 25 values
        log-spaced over ``[1e-6, 1e2]`` times the mean eigenvalue of the
        centred Gram matrix ``||X_c||_F² / n_features``: a grid that
        follows the data's scale.
    sketch_sizes : array-like or "auto", default="auto"
        Sketch sizes to try: floats in (0, 1] are fractions of
        ``n_features``, integers are sizes (capped at ``n_features``). A
        size equal to ``n_features`` fits plain ridge (the identity sketch),
        so that GCV can fall back to it where sketching costs accuracy.
        ``"auto"``: fractions 0.25 and 0.5 (at least 8), plus the full size
        when ``n_features <= 2000`` (beyond, its ``O(p³)`` eigendecomposition
        is what the sketches are there to avoid).
    n_sketches : int, default=5
        Ensemble size ``K``.
    sketch : str, default="countsketch"
        The feature sketch: ``"countsketch"``, ``"sparse-sign"``,
        ``"gaussian"``, ``"srdct"``, ``"srht"`` or ``"uniform"`` (feature
        subsampling).
    fit_intercept : bool, default=True
        Center ``X`` (implicitly, after sketching) and ``y``.
    random_state : None, int, Generator, RandomState or SeedSequence
        Randomness of the sketches.

    Returns
    -------
    Result
        ``coef`` (n_features,; float32 for float32 ``X``), ``intercept``, ``alpha``, ``sketch_size``
        (the chosen pair), ``gcv`` (array (len(sizes), len(alphas)) of mean
        squared errors),
        ``alphas``, ``sketch_sizes`` (the resolved grids), ``df``
        (the ensemble's degrees of freedom on the grid), ``n_iter`` (the
        ridge fits solved: one per member and sketch size) and
        ``converged``/``status``/``message`` (a direct method: status 0
        unless the coefficients or penalties are not finite).

    Raises
    ------
    ValueError
        Non-positive or non-finite alphas (or alphas beyond float64's range
        relative to ``max|X|²``), ``X`` and ``y`` so far apart in scale that
        the coefficients cannot be represented, invalid sketch sizes, NaN in the data,
        empty or wrong-dimensional ``X``, mismatched shapes; invalid
        ``n_sketches``, ``sketch`` ... (:class:`InvalidParameterError`).
    TypeError
        Complex, object or string ``X`` or ``y``; CuPy arrays.

    Notes
    -----
    With the thin eigendecomposition ``(X S_k)ᵀ(X S_k) = V diag(s²) Vᵀ`` of
    the ``q x q`` Gram matrix, the member fit is
    ``β_k = V diag(1/(s² + alpha)) Vᵀ (X S_k)ᵀ y`` and its degrees of freedom
    ``Σ_i s_i²/(s_i² + alpha)``, so the whole alpha grid costs one
    ``O(n q²)`` Gram product per member plus ``O(n q)`` per alpha. Sketches,
    Gram matrices and eigendecompositions are float64 whatever the precision
    of ``X`` (the eigendecomposition of an ill-conditioned Gram matrix needs
    it); ``coef`` is rounded to float32 for float32 ``X``. When squares of
    the entries of ``X`` or ``y`` would underflow or overflow, the fit runs
    on them times powers of two (exact) and the results are scaled back. The
    ensemble's GCV is (Patil and LeJeune, 2024)

    ``GCV(alpha, q) = (1/n)||y − X β̄||² / (1 − df/n)²``, with
    ``df = (1/K) Σ_k tr(L_k)`` the average of the members' smoother traces
    (plus one for a fitted intercept). Patil and LeJeune write the penalty as
    ``n λ``; here ``alpha = n λ`` to match scikit-learn. GCV is consistent
    for the ensemble's prediction risk for asymptotically free sketches
    (CountSketch, SRDCT, Gaussian, subsampling), which is what makes tuning
    the sketch size as well as alpha sound. At ``q = p`` no sketch is drawn:
    the one member is plain ridge (every sketch family would only rotate,
    or for CountSketch merge, the features), so the grid always contains
    the unsketched fit when the full size is in ``sketch_sizes``. A sparse
    truth is where this matters: a CountSketch ensemble at ``q = p/2`` with
    ``K = 5`` members merges the few informative features with others and
    scores R² ≈ 0.6 where ridge scores 0.99.

    References
    ----------
    .. [1] P. Patil and D. LeJeune, "Asymptotically free sketched ridge
       ensembles: Risks, cross-validation, and tuning", ICLR 2024
       (arXiv:2310.04357).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import sketched_ridge_gcv
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 40))
    >>> y = X @ rng.standard_normal(40) + 0.5 * rng.standard_normal(500)
    >>> res = sketched_ridge_gcv(X, y, alphas=np.logspace(-2, 3, 11), sketch_sizes=(0.5, 1.0), random_state=0)
    >>> res.gcv.shape, res.coef.shape
    ((2, 11), (40,))
    """
    check_params(
        {"alphas": alphas, "sketch_sizes": sketch_sizes, "n_sketches": n_sketches, "sketch": sketch,
         "fit_intercept": fit_intercept, "random_state": random_state},
        _SOLVER_CONSTRAINTS,
        caller="sketched_ridge_gcv",
    )
    X, kind = check_host_input(X, "X", caller="sketched_ridge_gcv")
    dtype = X.dtype
    n, p = X.shape
    y = np.asarray(check_vector(y, "y", size=n), dtype=np.float64)
    if alphas is not None:
        try:
            alphas = np.asarray(check_array(alphas, "alphas", ndim=1), dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise InvalidParameterError(str(exc)) from exc
        if alphas.min() <= 0:
            raise InvalidParameterError(f"alphas must be positive; got min {alphas.min():g}.")
    # Ridge is scale equivariant: with X' = X 2**X_exponent and y' = y 2**y_exponent (exact; exponents 0
    # unless squares would underflow or overflow), the fit on the penalties alpha 4**X_exponent has
    # coefficients coef 2**(y_exponent - X_exponent) and GCV values gcv 4**y_exponent.
    X_exponent, y_exponent = unit_exponent(X, margin=4), unit_exponent(y, margin=4)
    if -2 * y_exponent >= np.finfo(np.float64).maxexp:  # 4**-y_exponent, the unit of the GCV values, overflows
        raise ValueError(
            "y is too large in magnitude: GCV's mean squared errors, in y's units squared, would overflow "
            "float64; rescale y."
        )
    if X_exponent:
        X = times_power_of_two(X, X_exponent, dtype=np.float64)
    y = np.ldexp(y, y_exponent)
    if alphas is not None:
        with np.errstate(over="ignore", under="ignore"):
            alphas = np.ldexp(alphas, 2 * X_exponent)
        if not (np.all(np.isfinite(alphas)) and alphas.min() > 0):
            raise ValueError("alphas are beyond float64's range once measured against max|X|^2.")
    sizes = _resolve_sketch_sizes(sketch_sizes, p)
    rng = check_random_state(random_state)

    if fit_intercept:
        x_mean = np.asarray(X.mean(axis=0)).ravel()
        y_mean = float(y.mean())
    else:
        x_mean, y_mean = np.zeros(p), 0.0
    if alphas is None:
        squares = X.multiply(X).sum() if kind in ("csr", "csc") else np.einsum("ij,ij->", X, X)
        mean_eigenvalue = max(float(squares) - n * float(x_mean @ x_mean), 0.0) / p
        if not mean_eigenvalue > 0:
            raise ValueError("X has no variance: every column is constant, so there is no alpha grid to build.")
        alphas = mean_eigenvalue * AUTO_ALPHA_SPAN
        with np.errstate(over="ignore", under="ignore"):
            in_user_units = np.ldexp(alphas, -2 * X_exponent)
        if not (np.isfinite(in_user_units).all() and in_user_units.min() > 0):
            raise ValueError(
                "X is too far from unit scale for the default alpha grid: penalties in X's units squared would "
                "leave float64's range; rescale X or pass alphas."
            )
    y_centered = y - y_mean
    # X.T is CSC for CSR X and F-ordered for C-ordered X: both are sketched in one pass.
    X_t = X.T
    t_kind = {"csr": "csc", "csc": "csr"}.get(kind, "dense")

    gcv = np.empty((len(sizes), alphas.size))
    df_grid = np.empty_like(gcv)
    members = []
    for row, q in enumerate(sizes):
        fitted = np.zeros((n, alphas.size))
        df = np.zeros(alphas.size)
        size_members = []
        for _ in range(1 if q == p else n_sketches):
            if q == p:  # the identity sketch: plain ridge on the centred X, never densified
                T = None
                gram = np.asarray((X_t @ X).todense() if kind in ("csr", "csc") else X_t @ X, dtype=np.float64)
                gram -= n * np.outer(x_mean, x_mean)
                right = np.asarray(X_t @ y_centered, dtype=np.float64).ravel()

                def predict(coefficients):
                    return np.asarray(X @ coefficients) - x_mean @ coefficients
            else:
                T = SKETCH_METHODS.dispatch(sketch, X_t, q, random_state=rng)
                features = np.asarray(T.apply_validated(X_t, t_kind, np, dense_output=True), dtype=np.float64).T
                if fit_intercept:
                    features = features - T.apply(x_mean)
                gram, right, predict = features.T @ features, features.T @ y_centered, features.__matmul__
            eigenvalues, V = scipy.linalg.eigh(gram, check_finite=False)
            eigenvalues = np.clip(eigenvalues, 0.0, None)
            # coefficients of all alphas at once: V diag(1/(s² + alpha)) Vᵀ Fᵀ y
            coefficients = V @ ((V.T @ right)[:, None] / (eigenvalues[:, None] + alphas[None, :]))
            fitted += predict(coefficients)
            df += np.sum(eigenvalues[:, None] / (eigenvalues[:, None] + alphas[None, :]), axis=0)
            size_members.append((T, coefficients))
        fitted /= len(size_members)
        df /= len(size_members)
        df_grid[row] = df + (1.0 if fit_intercept else 0.0)
        residual = np.mean((y_centered[:, None] - fitted) ** 2, axis=0)
        denominator = (1.0 - df_grid[row] / n) ** 2
        safe = residual / np.maximum(denominator, np.finfo(np.float64).tiny)
        gcv[row] = np.where(df_grid[row] < n, safe, np.inf)
        members.append(size_members)

    best_size, best_alpha = np.unravel_index(np.argmin(np.where(np.isfinite(gcv), gcv, np.inf)), gcv.shape)
    coef = np.zeros(p)
    for T, coefficients in members[best_size]:
        coef += coefficients[:, best_alpha] if T is None else T.apply_transpose(coefficients[:, best_alpha])
    coef /= len(members[best_size])
    intercept = y_mean - float(x_mean @ coef)
    with np.errstate(over="ignore"):  # back to the user's units
        coef = np.ldexp(coef, X_exponent - y_exponent).astype(dtype, copy=False)
        intercept = float(np.ldexp(intercept, -y_exponent))
    if not (np.all(np.isfinite(coef)) and np.isfinite(intercept)):
        raise ValueError(
            "X and y differ in scale beyond float64's range: coefficients of the order of max|y| / max|X| "
            "cannot be represented."
        )
    with np.errstate(under="ignore"):
        result = Result(
            coef=coef,
            intercept=intercept,
            alpha=float(np.ldexp(alphas[best_alpha], -2 * X_exponent)),
            sketch_size=int(sizes[best_size]),
            gcv=np.ldexp(gcv, -2 * y_exponent),
            alphas=np.ldexp(alphas, -2 * X_exponent),
            sketch_sizes=np.array(sizes),
            df=df_grid,
            n_iter=sum(len(size_members) for size_members in members),
        )
    # A direct method: it ends converged unless some figure of its answer is not finite.
    return end_run(result, caller="sketched_ridge_gcv", status=STATUS_CONVERGED,
                   message=f"GCV minimum at alpha={result.alpha:g}, sketch size {result.sketch_size}")


class SketchedRidgeEnsemble(ParamsValidationMixin, RegressorMixin, BaseEstimator):
    """Ridge regression by an ensemble of feature sketches, with alpha (and sketch size) chosen by GCV.

    ``K = n_sketches`` ridge regressions are fitted on randomly sketched
    features ``X S_k`` and their coefficients averaged; generalized
    cross-validation of the ensemble (Patil and LeJeune) selects ``alpha``
    and the sketch size over the grids. Each member works with ``q``
    sketched features instead of ``n_features``, so the whole grid costs
    ``O(K n q²)``, against the ``O(n p²)`` SVD of
    :class:`sklearn.linear_model.RidgeCV`. The numerical work is
    :func:`sketched_ridge_gcv`.

    Read more in the :ref:`User Guide <linalg_sketch>`.

    Parameters
    ----------
    alphas : array-like of float, optional
        Positive penalties (scikit-learn's convention, as in ``RidgeCV``);
        by default a grid scaled to the data (see :func:`sketched_ridge_gcv`).
    sketch_sizes : array-like or "auto", default="auto"
        Sketch sizes to try: fractions of ``n_features`` in (0, 1] or sizes;
        the full size is plain ridge. ``"auto"``: 0.25 and 0.5, plus the full
        size up to 2000 features.
    n_sketches : int, default=5
        Ensemble size.
    sketch : str, default="countsketch"
        ``"countsketch"``, ``"sparse-sign"``, ``"gaussian"``, ``"srdct"``,
        ``"srht"`` or ``"uniform"``.
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    random_state : None, int, Generator, RandomState or SeedSequence
        Randomness of the sketches.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Ensemble coefficients.
    intercept_ : float
        Intercept (0.0 without ``fit_intercept``).
    alpha_ : float
        Penalty chosen by GCV.
    sketch_size_ : int
        Sketch size chosen by GCV.
    gcv_ : ndarray of shape (n_sketch_sizes, n_alphas)
        GCV estimate of the prediction risk on the grid.
    sketch_sizes_ : ndarray of int
        The sketch sizes tried.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Names of the features seen in ``fit``, when they are strings.

    See Also
    --------
    sketched_ridge_gcv : The function doing the work.
    sklearn.linear_model.RidgeCV : Exact ridge with efficient leave-one-out.

    Notes
    -----
    See :func:`sketched_ridge_gcv` for the formulas.

    References
    ----------
    .. [1] P. Patil and D. LeJeune, "Asymptotically free sketched ridge
       ensembles: Risks, cross-validation, and tuning", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import SketchedRidgeEnsemble
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((400, 30))
    >>> y = X @ rng.standard_normal(30) + 0.1 * rng.standard_normal(400)
    >>> model = SketchedRidgeEnsemble(alphas=np.logspace(-3, 2, 6), sketch_sizes=(0.5, 1.0),
    ...                               sketch="srdct", random_state=0).fit(X, y)
    >>> model.gcv_.shape, model.sketch_size_, model.score(X, y) > 0.99
    ((2, 6), 30, True)
    """

    _parameter_constraints = dict(_SOLVER_CONSTRAINTS)

    def __init__(
        self,
        alphas=None,
        *,
        sketch_sizes="auto",
        n_sketches=5,
        sketch="countsketch",
        fit_intercept=True,
        random_state=None,
    ):
        self.alphas = alphas
        self.sketch_sizes = sketch_sizes
        self.n_sketches = n_sketches
        self.sketch = sketch
        self.fit_intercept = fit_intercept
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the ensembles on the grid and keep the one GCV prefers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target values.

        Returns
        -------
        SketchedRidgeEnsemble
            The fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32),
                             y_numeric=True)
        result = sketched_ridge_gcv(
            X, y, alphas=self.alphas, sketch_sizes=self.sketch_sizes, n_sketches=self.n_sketches,
            sketch=self.sketch, fit_intercept=self.fit_intercept, random_state=self.random_state,
        )
        self.coef_ = result.coef
        self.intercept_ = result.intercept
        self.alpha_ = result.alpha
        self.sketch_size_ = result.sketch_size
        self.gcv_ = result.gcv
        self.sketch_sizes_ = result.sketch_sizes
        return self

    def predict(self, X):
        """Predict with the ensemble's averaged coefficients.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predictions.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
