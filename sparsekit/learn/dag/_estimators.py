"""scikit-learn estimators of linear SEM DAGs: thin wrappers of the solver functions.

:class:`CoLiDE` wraps :func:`colide`, :class:`DAGMALinear` :func:`dagma_linear`
and :class:`TopoSwap` :func:`topo_swap`.
"""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Options, ParamsValidationMixin
from .._data import validate_data
from .._result_attributes import store_result
from ._colide import _PATH_CONSTRAINTS, colide, dagma_linear
from ._graph import check_adjacency, topological_order
from ._linear_sem import profiled_score, residual_variances
from ._topo import TOPO_CONSTRAINTS, topo_swap

__all__ = ["CoLiDE", "DAGMALinear", "TopoSwap"]

_ESTIMATOR_PATH_CONSTRAINTS = {
    key: value for key, value in _PATH_CONSTRAINTS.items() if key not in ("progress", "callback")
}


class _LinearSEMMixin:
    """``predict`` and ``score`` of a fitted linear SEM (its weights ``_sem_weights`` and ``mean_``).

    The SEM is ``adjacency_`` for the continuous learners; TopoSwap's is its
    unthresholded regressions ``weights_``, the model its search scores.
    ``score`` uses the estimator's ``_score_variant`` and ``_score_alpha``
    (its ``alpha`` unless a subclass sets another).
    """

    @property
    def _sem_weights(self):
        return self.adjacency_

    @property
    def _score_alpha(self):
        return self.alpha

    def _check_X(self, X, *, reset):
        return validate_data(self, X, reset=reset, ensure_min_samples=2 if reset else 1,
                             dtype=[np.float64, np.float32])

    def predict(self, X):
        """Fitted values of the SEM: each node predicted from its parents.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with the training columns.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            ``mean_ + (X - mean_) @ W`` with the fitted SEM weights ``W``
            (``adjacency_``; ``weights_`` for :class:`TopoSwap`): column ``j``
            is the regression of node ``j`` on its parents (a node without
            parents is predicted by its training mean).
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        return self.mean_ + (X - self.mean_) @ self._sem_weights

    def score(self, X, y=None):
        """Negative score of the fitted DAG on ``X`` (higher is better).

        The residuals are taken around the training means, and the noise scale
        (for CoLiDE) is re-estimated in closed form on ``X``; see
        :func:`sem_score`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with the training columns.
        y : None
            Ignored.

        Returns
        -------
        float
            Minus the estimator's score of its SEM weights on ``X``
            (``-score_`` on the training data).
        """
        check_is_fitted(self)
        centred = self._check_X(X, reset=False) - self.mean_
        cov = centred.T @ centred / centred.shape[0]
        weights = self._sem_weights
        return -profiled_score(residual_variances(cov, weights), weights, self._score_variant, self._score_alpha)

    def _store(self, result, dtype):
        """Keep the run's figures; the arrays in the dtype of ``X`` (the solvers compute in float64)."""
        store_result(self, result, ("adjacency", "mean", "n_iter", "converged", "score"))
        self.adjacency_ = self.adjacency_.astype(dtype, copy=False)
        self.mean_ = self.mean_.astype(dtype, copy=False)

    def _fit_solver(self, solver, X):
        """The body of ``fit`` for a solver taking exactly the estimator's parameters; returns its Result."""
        self._validate_params()
        X = self._check_X(X, reset=True)
        result = solver(X, **self.get_params())
        self._store(result, X.dtype)
        return result


class CoLiDE(_LinearSEMMixin, ParamsValidationMixin, BaseEstimator):
    """Concomitant linear DAG estimation (CoLiDE-EV and CoLiDE-NV).

    Learns the weighted DAG of a linear structural equation model
    ``X = X W + E`` together with the noise scale: one scale for all nodes
    (``variant="ev"``) or one per node (``variant="nv"``, heteroscedastic
    noise). Estimating the scale decouples ``alpha`` from the noise level.
    A thin wrapper of :func:`colide`, where the algorithm is described.

    Parameters
    ----------
    variant : {"ev", "nv"}, default="ev"
        Equal-variance or non-equal-variance noise model.
    alpha : float, default=0.05
        Weight of the l1 penalty.
    w_threshold : float, default=0.3
        Edges with ``|w| < w_threshold`` are dropped.
    s_schedule : tuple of float, default=(1.0, 0.9, 0.8, 0.7)
        Log-det parameter of each path-following stage.
    mu_init : float, default=1.0
        Weight of the score in the first stage.
    mu_factor : float, default=0.1
        Decay of that weight between stages.
    warm_iter : int, default=20000
        Maximum Adam iterations of each stage but the last.
    max_iter : int, default=70000
        Maximum Adam iterations of the last stage.
    lr : float, default=3e-4
        Adam learning rate.
    beta_1 : float, default=0.99
        Adam's first-moment decay.
    beta_2 : float, default=0.999
        Adam's second-moment decay.
    tol : float, default=1e-6
        Relative objective change between checkpoints that ends a stage.
    checkpoint : int, default=1000
        Iterations between objective evaluations.
    verbose : bool or int, default=0
        Log progress.

    Attributes
    ----------
    adjacency_ : ndarray of shape (n_features, n_features)
        Weighted adjacency matrix of the learned DAG, ``adjacency_[i, j]`` the
        weight of ``i -> j``; thresholded and guaranteed acyclic.
    noise_scale_ : float or ndarray of shape (n_features,)
        Estimated noise standard deviation: a float for EV, one per node for NV.
    score_ : float
        CoLiDE score of ``adjacency_`` on the training data (see :func:`sem_score`).
    mean_ : ndarray of shape (n_features,)
        Column means of the training data.
    n_iter_ : int
        Adam iterations over all stages.
    converged_ : bool
        Whether the last stage met ``tol``.
    result_ : Result
        The solver's full result (stages, histories, status, message).
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` has string column names.

    See Also
    --------
    colide : The solver function.
    DAGMALinear : The least-squares baseline.
    TopoSwap : Refines the learned DAG by swaps in its topological order.

    Notes
    -----
    The data are centred; a single column gives the empty graph; constant
    columns become isolated nodes with noise scale 0. Computation is in
    float64 whatever the input dtype (the log-det barrier and the Adam steps
    need it); ``adjacency_`` and ``mean_`` are cast back to the dtype of
    ``X`` (float32 in, float32 out), ``result_`` keeps float64.

    References
    ----------
    .. [1] S. S. Saboksayr, G. Mateos, M. Tepper. "CoLiDE: Concomitant linear
       DAG estimation". ICLR 2024.

    Examples
    --------
    >>> from sparsekit.datasets import make_linear_sem
    >>> from sparsekit.learn.dag import CoLiDE, metrics
    >>> X, W = make_linear_sem(1000, 8, 8, noise_scale=[1, 2, 1, 2, 1, 2, 1, 2], random_state=3)
    >>> model = CoLiDE(variant="nv").fit(X)
    >>> metrics.structural_hamming_distance(W, model.adjacency_)
    0
    >>> model.noise_scale_.round(1)
    array([1., 2., 1., 2., 1., 2., 1., 2.])
    """

    _parameter_constraints = {"variant": [Options({"ev", "nv"})], **_ESTIMATOR_PATH_CONSTRAINTS}

    def __init__(self, variant="ev", alpha=0.05, w_threshold=0.3, s_schedule=(1.0, 0.9, 0.8, 0.7),
                 mu_init=1.0, mu_factor=0.1, warm_iter=20000, max_iter=70000, lr=3e-4, beta_1=0.99,
                 beta_2=0.999, tol=1e-6, checkpoint=1000, verbose=0):
        self.variant = variant
        self.alpha = alpha
        self.w_threshold = w_threshold
        self.s_schedule = s_schedule
        self.mu_init = mu_init
        self.mu_factor = mu_factor
        self.warm_iter = warm_iter
        self.max_iter = max_iter
        self.lr = lr
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.tol = tol
        self.checkpoint = checkpoint
        self.verbose = verbose

    @property
    def _score_variant(self):
        return self.variant

    def fit(self, X, y=None):
        """Learn the DAG and the noise scale from ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, one column per node; at least two rows. Not modified.
        y : None
            Ignored.

        Returns
        -------
        CoLiDE
            The fitted estimator (``self``).
        """
        self.noise_scale_ = self._fit_solver(colide, X).noise_scale
        return self


class DAGMALinear(_LinearSEMMixin, ParamsValidationMixin, BaseEstimator):
    """DAGMA with the least-squares score: our baseline of linear DAG learning.

    The path following of :class:`CoLiDE` without the concomitant noise
    scale, with DAGMA's defaults. A thin wrapper of :func:`dagma_linear`.

    Parameters
    ----------
    alpha : float, default=0.03
        Weight of the l1 penalty (DAGMA's ``lambda1``).
    w_threshold : float, default=0.3
        Edges with ``|w| < w_threshold`` are dropped.
    s_schedule : tuple of float, default=(1.0, 0.9, 0.8, 0.7, 0.6)
        Log-det parameter of each path-following stage.
    mu_init : float, default=1.0
        Weight of the score in the first stage.
    mu_factor : float, default=0.1
        Decay of that weight between stages.
    warm_iter : int, default=30000
        Maximum Adam iterations of each stage but the last.
    max_iter : int, default=60000
        Maximum Adam iterations of the last stage.
    lr : float, default=3e-4
        Adam learning rate.
    beta_1 : float, default=0.99
        Adam's first-moment decay.
    beta_2 : float, default=0.999
        Adam's second-moment decay.
    tol : float, default=1e-6
        Relative objective change between checkpoints that ends a stage.
    checkpoint : int, default=1000
        Iterations between objective evaluations.
    verbose : bool or int, default=0
        Log progress.

    Attributes
    ----------
    adjacency_ : ndarray of shape (n_features, n_features)
        Weighted adjacency matrix of the learned DAG; thresholded and acyclic.
    score_ : float
        ``||X - X adjacency_||_F^2 / (2n) + alpha ||adjacency_||_1`` on the
        training data.
    mean_ : ndarray of shape (n_features,)
        Column means of the training data.
    n_iter_ : int
        Adam iterations over all stages.
    converged_ : bool
        Whether the last stage met ``tol``.
    result_ : Result
        The solver's full result (stages, histories, status, message).
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` has string column names.

    See Also
    --------
    dagma_linear : The solver function.
    CoLiDE : The concomitant-scale version.

    Notes
    -----
    Computation is in float64; ``adjacency_`` and ``mean_`` are cast back to
    the dtype of ``X`` (float32 in, float32 out).

    References
    ----------
    .. [1] K. Bello, B. Aragam, P. Ravikumar. "DAGMA: Learning DAGs via
       M-matrices and a log-determinant acyclicity characterization".
       NeurIPS 2022.

    Examples
    --------
    >>> from sparsekit.datasets import make_linear_sem
    >>> from sparsekit.learn.dag import DAGMALinear, metrics
    >>> X, W = make_linear_sem(1000, 8, 8, random_state=0)
    >>> model = DAGMALinear().fit(X)
    >>> metrics.structural_hamming_distance(W, model.adjacency_)
    0
    """

    _parameter_constraints = dict(_ESTIMATOR_PATH_CONSTRAINTS)
    _score_variant = "ls"

    def __init__(self, alpha=0.03, w_threshold=0.3, s_schedule=(1.0, 0.9, 0.8, 0.7, 0.6), mu_init=1.0,
                 mu_factor=0.1, warm_iter=30000, max_iter=60000, lr=3e-4, beta_1=0.99, beta_2=0.999, tol=1e-6,
                 checkpoint=1000, verbose=0):
        self.alpha = alpha
        self.w_threshold = w_threshold
        self.s_schedule = s_schedule
        self.mu_init = mu_init
        self.mu_factor = mu_factor
        self.warm_iter = warm_iter
        self.max_iter = max_iter
        self.lr = lr
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.tol = tol
        self.checkpoint = checkpoint
        self.verbose = verbose

    def fit(self, X, y=None):
        """Learn the DAG from ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, one column per node; at least two rows. Not modified.
        y : None
            Ignored.

        Returns
        -------
        DAGMALinear
            The fitted estimator (``self``).
        """
        self._fit_solver(dagma_linear, X)
        return self


class TopoSwap(_LinearSEMMixin, ParamsValidationMixin, BaseEstimator):
    """Topological-swap search (TOPO) for the least-squares DAG, stand-alone or as a refinement.

    ``fit`` searches from ``order`` (random by default); ``refine`` searches
    from the topological order of any learner's DAG, e.g. ``CoLiDE().fit(X)
    .adjacency_``, and never returns a worse least-squares score than that
    DAG's. The fitted SEM (used by ``predict`` and ``score``) is the
    unthresholded regressions ``weights_``, the model whose score the search
    lowers; ``adjacency_`` keeps its weights of at least ``w_threshold`` as
    the learned graph. A thin wrapper of :func:`topo_swap`, where the
    algorithm is described.

    Parameters
    ----------
    order : array-like of shape (n_features,), default=None
        Initial topological order; a random permutation when None.
    w_threshold : float, default=0.3
        Regression weights with ``|w| < w_threshold`` are dropped from
        ``adjacency_``.
    size_small : int, default=None
        Candidate swaps scored first in each round (the authors' default
        when None).
    size_large : int, default=None
        Candidates scored when none of the small set improves.
    max_large_searches : int, default=None
        How many times a successful large-set search may be used.
    max_iter : int, default=1000
        Maximum number of rounds.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the random initial order.
    verbose : bool or int, default=0
        Log progress.

    Attributes
    ----------
    adjacency_ : ndarray of shape (n_features, n_features)
        Thresholded least-squares weights of ``order_``: a DAG.
    weights_ : ndarray of shape (n_features, n_features)
        Unthresholded least-squares weights of ``order_``.
    order_ : ndarray of shape (n_features,)
        The final topological order.
    score_ : float
        The searched objective: least-squares score of ``weights_``.
    score_history_ : ndarray
        That score after each round (non-increasing).
    mean_ : ndarray of shape (n_features,)
        Column means of the training data.
    n_iter_ : int
        Rounds of swaps.
    converged_ : bool
        Whether the search stopped because no candidate improved.
    result_ : Result
        The solver's full result (stages, histories, status, message).
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` has string column names.

    See Also
    --------
    topo_swap : The solver function.
    CoLiDE : A continuous learner whose output ``refine`` improves.

    Notes
    -----
    The search runs in float64; ``adjacency_``, ``weights_`` and ``mean_`` are
    cast back to the dtype of ``X`` (float32 in, float32 out).

    References
    ----------
    .. [1] C. Deng, K. Bello, B. Aragam, P. Ravikumar. "Optimizing NOTEARS
       objectives via topological swaps". ICML 2023.

    Examples
    --------
    >>> from sparsekit.datasets import make_linear_sem
    >>> from sparsekit.learn.dag import CoLiDE, TopoSwap, metrics
    >>> X, W = make_linear_sem(1000, 10, 20, random_state=0)
    >>> learned = CoLiDE().fit(X)
    >>> refined = TopoSwap().refine(X, learned.adjacency_)
    >>> bool(refined.score_history_[-1] <= refined.score_history_[0])
    True
    >>> metrics.structural_hamming_distance(W, refined.adjacency_)
    0
    """

    _parameter_constraints = {"order": ["array-like", None], **TOPO_CONSTRAINTS}
    _score_variant = "ls"
    _score_alpha = 0.0

    @property
    def _sem_weights(self):
        return self.weights_

    def __init__(self, order=None, w_threshold=0.3, size_small=None, size_large=None, max_large_searches=None,
                 max_iter=1000, random_state=None, verbose=0):
        self.order = order
        self.w_threshold = w_threshold
        self.size_small = size_small
        self.size_large = size_large
        self.max_large_searches = max_large_searches
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose

    def _search(self, X, order):
        params = self.get_params()
        params["order"] = order
        result = topo_swap(X, **params)
        self._store(result, X.dtype)
        self.weights_ = result.weights.astype(X.dtype, copy=False)
        self.order_ = result.order
        self.score_history_ = result.score_history
        return self

    def fit(self, X, y=None):
        """Search for the least-squares DAG of ``X`` from ``order`` (or a random order).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, one column per node; at least two rows. Not modified.
        y : None
            Ignored.

        Returns
        -------
        TopoSwap
            The fitted estimator (``self``).
        """
        self._validate_params()
        X = self._check_X(X, reset=True)
        return self._search(X, self.order)

    def refine(self, X, adjacency):
        """Improve a learned DAG: search from the topological order of ``adjacency``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data the DAG was learned from. Not modified.
        adjacency : array-like of shape (n_features, n_features)
            A DAG's (weighted or binary) adjacency matrix, e.g. another
            estimator's ``adjacency_``.

        Returns
        -------
        TopoSwap
            The fitted estimator (``self``); ``score_history_[0]`` is the least-squares
            score of the regressions in the DAG's order, which is at most
            that of ``adjacency``'s own weights.

        Raises
        ------
        ValueError
            If ``adjacency`` is not square with one row per column of ``X``,
            or has a directed cycle.
        """
        self._validate_params()
        X = self._check_X(X, reset=True)
        adjacency = check_adjacency(adjacency, "adjacency", n_nodes=X.shape[1])
        return self._search(X, topological_order(adjacency))
