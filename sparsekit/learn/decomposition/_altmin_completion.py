"""``AltMinCompletion``: a scikit-learn imputer by low-rank alternating minimisation."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin
from ...linalg import altmin_complete
from ...linalg._completion._altmin import fold_in
from .._data import validate_data
from .._result_attributes import store_result

__all__ = ["AltMinCompletion"]


def _observed(X, name):
    """The observed entries of ``X`` as CSR: a sparse ``X``'s stored entries, a dense ``X``'s non-NaN ones."""
    if sparse.issparse(X):
        if not np.isfinite(X.data).all():
            raise ValueError(f"{name}: a sparse {name} marks missing entries by absence; its stored entries must be "
                             "finite (found NaN or infinity).")
        M = sparse.csr_array(X)
        M.sum_duplicates()
        return M
    rows, cols = np.nonzero(~np.isnan(X))
    return sparse.csr_array((X[rows, cols], (rows, cols)), shape=X.shape)


class AltMinCompletion(OneToOneFeatureMixin, ParamsValidationMixin, TransformerMixin, BaseEstimator):
    """Low-rank matrix completion imputer by alternating minimisation (ratings, mostly-missing tables).

    Fits ``X_ij ~ offset + b_i + c_j + U_i . V_j`` on the observed entries
    with :func:`sparsekit.linalg.altmin_complete`; ``transform`` fills the
    missing entries of any rows from the fitted columns, ``predict`` scores
    (row, column) pairs of the fitted matrix. A fast, low-memory replacement
    for fancyimpute's ``SoftImpute``/``IterativeSVD`` and for
    :class:`sklearn.impute.IterativeImputer` on wide tables.

    Parameters
    ----------
    rank : int, default=10
        Rank of the completion, below ``min(n_samples, n_features)``.
    ridge : float, default=0.0
        Ridge weight on the factors and biases (in the data's units squared);
        10 suits 1-5 star ratings.
    bias : bool, default=False
        Fit a global offset and row and column biases (for ratings).
    solver : {"exact", "cg", "sketch"}, default="exact"
        Row solves of :func:`~sparsekit.linalg.altmin_complete`.
    max_iter : int, default=50
        Maximum sweeps.
    tol : float, default=1e-4
        Relative change of the observed-entry RMSE that stops the sweeps.
    cg_steps : int, default=3
        CG steps per row for the inexact solvers.
    sketch_size : int, optional
        Sketch rows for ``solver="sketch"``.
    clip_init : float or None, default=4.0
        Clipping of the initial factor (see ``altmin_complete``).
    random_state : None, int or numpy Generator, default=None
        Seeds the initial SVD and the sketches.

    Attributes
    ----------
    components_ : ndarray of shape (rank, n_features)
        Column factors ``V^T``.
    row_factors_ : ndarray of shape (n_samples, rank)
        Factors ``U`` of the training rows (used by ``predict``).
    row_bias_ : ndarray of shape (n_samples,)
        Biases of the training rows (zeros without ``bias``).
    col_bias_ : ndarray of shape (n_features,)
        Column biases (zeros without ``bias``).
    offset_ : float
        Global offset (0 without ``bias``).
    rmse_ : ndarray
        Observed-entry RMSE after each sweep.
    n_iter_ : int
        Sweeps run.
    converged_ : bool
        Whether the stopping rule was met.
    result_ : Result
        The solver's full result.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` has them.

    See Also
    --------
    sparsekit.linalg.altmin_complete : The solver.
    sklearn.impute.IterativeImputer : The peer in scikit-learn.

    Notes
    -----
    Missing entries are NaN in a dense ``X`` and absent entries of a sparse
    ``X`` (whose stored entries, explicit zeros included, are observations);
    the sparse form never builds the dense matrix in ``fit``. ``transform``
    returns a dense array: the observed entries unchanged, the missing ones
    predicted. A row given to ``transform`` gets its factor (and bias) from
    one ridge regression on its observed entries against the fitted columns
    ("folding in"), so ``fit_transform`` equals ``fit().transform`` and rows
    unseen in ``fit`` are imputed the same way; a row with no observation
    gets ``offset_ + col_bias_``. All arrays keep the precision of ``X``
    (float32 or float64).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import AltMinCompletion
    >>> rng = np.random.default_rng(0)
    >>> full = rng.standard_normal((80, 2)) @ rng.standard_normal((2, 30))
    >>> X = np.where(rng.random(full.shape) < 0.5, full, np.nan)
    >>> model = AltMinCompletion(rank=2, random_state=0).fit(X)
    >>> bool(np.abs(model.transform(X) - full).max() < 1e-4)
    True
    >>> model.predict([[0, 1], [5, 7]]).round(4).tolist() == full[[0, 5], [1, 7]].round(4).tolist()
    True
    """

    _parameter_constraints = {
        "rank": [Interval(Integral, 1, None, closed="left")],
        "ridge": [Interval(Real, 0, None, closed="left")],
        "bias": ["boolean"],
        "solver": [Options({"exact", "cg", "sketch"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "cg_steps": [Interval(Integral, 1, None, closed="left")],
        "sketch_size": [Interval(Integral, 1, None, closed="left"), None],
        "clip_init": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, rank=10, *, ridge=0.0, bias=False, solver="exact", max_iter=50, tol=1e-4, cg_steps=3,
                 sketch_size=None, clip_init=4.0, random_state=None):
        self.rank = rank
        self.ridge = ridge
        self.bias = bias
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.cg_steps = cg_steps
        self.sketch_size = sketch_size
        self.clip_init = clip_init
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def fit(self, X, y=None):
        """Fit the low-rank model to the observed entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse array
            Dense with NaN for the missing entries, or sparse with the
            observed entries stored.
        y : None
            Ignored.

        Returns
        -------
        AltMinCompletion
            The fitted estimator.

        Raises
        ------
        ValueError
            If ``rank >= min(n_samples, n_features)``, if ``X`` has no
            observed entry, or if a row or column has none while ``ridge=0``.
        """
        self._validate_params()
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                          ensure_all_finite="allow-nan")
        n, p = X.shape
        if self.rank >= min(n, p):
            raise ValueError(f"rank={self.rank} must be smaller than min(n_samples, n_features); X has "
                             f"n_samples={n}, n_features={p}.")
        M = _observed(X, "X")
        if M.nnz == 0:
            raise ValueError("X has no observed entry: every value is missing.")
        result = altmin_complete(M, self.rank, ridge=self.ridge, bias=self.bias, solver=self.solver,
                                 max_iter=self.max_iter, tol=self.tol, cg_steps=self.cg_steps,
                                 sketch_size=self.sketch_size, clip_init=self.clip_init,
                                 random_state=self.random_state)
        self.components_ = np.ascontiguousarray(result.V.T)
        self.row_factors_ = result.U
        self.row_bias_, self.col_bias_ = result.row_bias, result.col_bias
        self.offset_ = result.offset
        return store_result(self, result, ("rmse", "n_iter", "converged"))

    def transform(self, X):
        """Impute the missing entries of ``X`` (rows folded in against the fitted columns).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse array
            Rows to complete: NaN (dense) or absent (sparse) entries are missing.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            ``X`` with its missing entries predicted.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32],
                          ensure_all_finite="allow-nan")
        M = _observed(X, "X")
        V = np.ascontiguousarray(self.components_.T).astype(X.dtype, copy=False)
        U, row_bias = fold_in(M, V, self.col_bias_.astype(X.dtype, copy=False), self.offset_, self.ridge, self.bias)
        out = U @ V.T
        out += (self.offset_ + row_bias[:, None] + self.col_bias_[None, :]).astype(X.dtype, copy=False)
        observed = M.tocoo()
        out[observed.row, observed.col] = observed.data
        return out

    def predict(self, X):
        """Predict entries of the fitted matrix at (row, column) pairs.

        Parameters
        ----------
        X : array-like of int of shape (n_pairs, 2)
            Row indices (into the rows seen in ``fit``) in the first column,
            column indices in the second.

        Returns
        -------
        ndarray of shape (n_pairs,)
            ``offset_ + row_bias_[i] + col_bias_[j] + row_factors_[i] @ components_[:, j]``.

        Raises
        ------
        ValueError
            If ``X`` is not an (n_pairs, 2) array of integers within the fitted shape.
        """
        check_is_fitted(self)
        pairs = np.asarray(X)
        if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.dtype.kind not in "iu":
            raise ValueError(f"X must be an (n_pairs, 2) array of integer (row, column) indices; got shape "
                             f"{pairs.shape} and dtype {pairs.dtype}.")
        rows, cols = pairs[:, 0], pairs[:, 1]
        n, p = self.row_factors_.shape[0], self.components_.shape[1]
        if len(pairs) and (rows.min() < 0 or rows.max() >= n or cols.min() < 0 or cols.max() >= p):
            raise ValueError(f"X: pairs must index the fitted {n} x {p} matrix.")
        scores = np.einsum("ij,ji->i", self.row_factors_[rows], self.components_[:, cols])
        return scores + self.offset_ + self.row_bias_[rows] + self.col_bias_[cols]
