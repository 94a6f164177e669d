"""SparseWithinSparseGaussianProcessRegressor: SWSGP (Tran et al., ICML 2021) with scikit-learn kernels."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.gaussian_process.kernels import Kernel
from sklearn.utils.validation import check_is_fitted

from ..._core.params import ParamsValidationMixin
from ..._core.random import check_random_state
from .._data import validate_data
from .._result_attributes import store_result
from ._shared import in_target_scale, predict_dask, start_predict, validate_fit_data
from ._swsgp import FIT_CONSTRAINTS, swsgp_fit, swsgp_latent
from ._swsgp_model import split_noise

__all__ = ["SparseWithinSparseGaussianProcessRegressor"]

#: Largest number of query points of ``predict(return_cov=True)`` and ``sample_y`` (a dense covariance).
MAX_JOINT_QUERIES = 5000


class SparseWithinSparseGaussianProcessRegressor(ParamsValidationMixin, RegressorMixin, BaseEstimator):
    """Sparse-within-sparse Gaussian-process regression (SWSGP): each point sees its ``H`` nearest inducing inputs.

    The model of Tran et al. (ICML 2021) with scikit-learn's kernel objects: ``M`` inducing inputs, a Gaussian
    variational posterior over all ``M`` inducing values, and every training or test point conditioned on its
    ``n_neighbors`` nearest inducing inputs only, so a minibatch step costs ``O(batch_size · H³)`` whatever
    ``M``. The ELBO is maximised by minibatch Adam in the variational parameters and, unless
    ``optimizer=None``, in ``kernel.theta`` (the ``WhiteKernel`` noise included).

    Parameters
    ----------
    kernel : Kernel, default=None
        The covariance function; ``None`` is scikit-learn's default ``ConstantKernel(1.0, "fixed") *
        RBF(1.0, "fixed")``. A top-level ``WhiteKernel`` term is the likelihood's noise.
    n_inducing : int, default=1000
        Number of inducing inputs (clamped to the number of distinct training inputs).
    n_neighbors : int, default=15
        Inducing inputs each point conditions on (clamped to ``n_inducing``).
    batch_size : int, default=256
        Minibatch size.
    inducing_init : {"random", "kmeans"}, default="random"
        A random subset of the training inputs, or k-means centres.
    kl_weight : {"neighbourhood", "inducing"}, default="neighbourhood"
        Weight of the local KL terms: 1 as in the paper's reimplementation, or ``M / H`` (see
        :func:`~sparsekit.learn.gaussian_process.swsgp_fit`).
    optimizer : "adam" or None, default="adam"
        ``None`` keeps the kernel's hyperparameters as given.
    learning_rate : float, default=0.01
        Adam's step size.
    max_iter : int, default=200
        Largest number of epochs.
    tol : float, default=1e-3
        Relative ELBO plateau over 3-epoch windows (see :func:`~sparsekit.learn.gaussian_process.swsgp_fit`).
    alpha : float, default=1e-10
        Added to the likelihood's noise variance.
    normalize_y : bool, default=False
        Standardise the targets before fitting.
    random_state : None, int or Generator, default=None
        Inducing inputs, minibatches and the default randomness of :meth:`sample_y`.
    verbose : int, default=0
        Progress of the fit through the library's logging.

    Attributes
    ----------
    kernel_ : Kernel
        The kernel with the fitted hyperparameters.
    Z_ : ndarray of shape (n_inducing, n_features)
        Inducing inputs.
    m_ : ndarray of shape (n_inducing,)
        Variational mean of the inducing values (of the normalised targets when ``normalize_y``).
    neighbors_ : ndarray of shape (n_samples, H)
        Training neighbourhoods (indices into ``Z_``).
    elbo_history_ : ndarray
        Mean minibatch ELBO of each epoch.
    n_iter_ : int
        Epochs run.
    converged_ : bool
        Whether the ELBO reached its plateau within ``max_iter`` epochs.
    result_ : Result
        The full result of :func:`~sparsekit.learn.gaussian_process.swsgp_fit`.
    n_features_in_ : int
        Number of features.

    Raises
    ------
    ValueError
        From ``fit``: NaN/inf data, fewer than 2 samples, invalid parameters.
    TypeError
        From ``fit``: a ``kernel`` that is not a scikit-learn kernel.

    Notes
    -----
    See :func:`~sparsekit.learn.gaussian_process.swsgp_fit` for the ELBO, our reading of the paper's KL term,
    and the optimisation. Prediction at ``x*`` conditions on its ``H`` nearest inducing inputs ``h``:
    mean ``A*ᵀm_h``, latent variance ``k** - k*hᵀA* + ‖A*ᵀL_hh‖²`` with ``A* = K_hh⁻¹k_h*``, plus the
    ``WhiteKernel`` noise for ``return_std`` (as scikit-learn's does). ``return_cov`` and ``sample_y`` use the
    joint draws ``u_h = m_h + L_hh ε_h`` with one shared ``ε``, so the covariance of two points is
    ``(A*ᵢᵀL_hᵢhᵢ)·(A*ⱼᵀL_hⱼhⱼ)`` over their common inducing inputs (positive semi-definite, and with the same
    diagonal as ``return_std``). Duplicated training inputs are allowed: inducing inputs are drawn among the
    distinct rows, and every block gets ``1e-6`` times the kernel's mean variance on its diagonal. Variances are
    clipped at 0: a prediction is never NaN for finite inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.gaussian_process.kernels import Matern, WhiteKernel
    >>> from sparsekit.learn.gaussian_process import SparseWithinSparseGaussianProcessRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((400, 2))
    >>> y = np.sin(6 * X[:, 0]) + X[:, 1] + 0.1 * rng.standard_normal(400)
    >>> gp = SparseWithinSparseGaussianProcessRegressor(Matern(0.5, nu=1.5) + WhiteKernel(0.01), n_inducing=200,
    ...                                                 n_neighbors=10, random_state=0).fit(X, y)
    >>> mean, std = gp.predict(X[:3], return_std=True)
    >>> bool(np.all(np.abs(mean - y[:3]) < 3 * std))
    True
    """

    _parameter_constraints = {
        **FIT_CONSTRAINTS,
        "kernel": [Kernel, None],
        "random_state": ["random_state"],
    }

    def __init__(self, kernel=None, *, n_inducing=1000, n_neighbors=15, batch_size=256, inducing_init="random",
                 kl_weight="neighbourhood", optimizer="adam", learning_rate=0.01, max_iter=200, tol=1e-3,
                 alpha=1e-10, normalize_y=False, random_state=None, verbose=0):
        self.kernel = kernel
        self.n_inducing = n_inducing
        self.n_neighbors = n_neighbors
        self.batch_size = batch_size
        self.inducing_init = inducing_init
        self.kl_weight = kl_weight
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.alpha = alpha
        self.normalize_y = normalize_y
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Fit the SWSGP (inducing inputs, neighbourhoods, variational posterior, hyperparameters).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,)
            Training targets.

        Returns
        -------
        SparseWithinSparseGaussianProcessRegressor
            The fitted estimator.
        """
        X, y, kernel = validate_fit_data(self, X, y, y_numeric=True)
        result = swsgp_fit(X, y, kernel, n_inducing=self.n_inducing, n_neighbors=self.n_neighbors,
                           batch_size=self.batch_size, inducing_init=self.inducing_init, kl_weight=self.kl_weight,
                           optimizer=self.optimizer, learning_rate=self.learning_rate, max_iter=self.max_iter,
                           tol=self.tol, alpha=self.alpha, normalize_y=self.normalize_y,
                           random_state=self.random_state, verbose=self.verbose)
        self._y_train_mean, self._y_train_std = result.y_mean, result.y_std
        return store_result(self, result, ("kernel", "Z", "m", "neighbors", "elbo_history", "n_iter", "converged"))

    def _noise(self):
        white = split_noise(self.kernel_)[1]
        return 0.0 if white is None else float(white.noise_level)

    def predict(self, X, return_std=False, return_cov=False):
        """Predictive mean (and standard deviation or covariance) at ``X``.

        Parameters
        ----------
        X : array-like or dask array of shape (n_queries, n_features)
            Query points. A dask array gives lazy dask arrays, computed chunk by chunk of rows (each chunk needs
            only the fitted model: memory ``O(chunk * n_neighbors²)``).
        return_std : bool, default=False
            Also return the predictive standard deviation (the ``WhiteKernel`` noise included).
        return_cov : bool, default=False
            Also return the joint predictive covariance (at most one of ``return_std``, ``return_cov``).

        Returns
        -------
        y_mean : ndarray of shape (n_queries,)
            Predictive mean.
        y_std : ndarray of shape (n_queries,)
            Predictive standard deviation, only with ``return_std``.
        y_cov : ndarray of shape (n_queries, n_queries)
            Joint predictive covariance, only with ``return_cov``.

        Raises
        ------
        RuntimeError
            Both ``return_std`` and ``return_cov``.
        ValueError
            NaN in ``X``, wrong number of features; ``return_cov`` for more than ``MAX_JOINT_QUERIES`` points.
        """
        if start_predict(self, X, return_std, return_cov):
            return predict_dask(self.predict, X, return_std, return_cov)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        mean, var, g, neighbors, conditional_var = swsgp_latent(self.result_, X, self.n_neighbors)
        noise = self._noise()
        if return_cov:
            if X.shape[0] > MAX_JOINT_QUERIES:
                raise ValueError(f"X: return_cov is limited to {MAX_JOINT_QUERIES} query points; got {X.shape[0]}.")
            G = self._rows(g, neighbors)
            return in_target_scale(self, mean, cov=G @ G.T + np.diag(conditional_var + noise))
        return in_target_scale(self, mean, var=var + noise if return_std else None)

    def _rows(self, g, neighbors):
        """The dense ``(n_queries, n_inducing)`` matrix with ``g`` in the columns ``neighbors``."""
        G = np.zeros((g.shape[0], self.Z_.shape[0]))
        np.put_along_axis(G, neighbors, g, axis=1)
        return G

    def sample_y(self, X, n_samples=1, random_state=None):
        """Draw functions from the predictive distribution at ``X`` (the joint draws of the class Notes).

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Query points.
        n_samples : int, default=1
            Number of functions drawn.
        random_state : None, int or Generator, optional
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        ndarray of shape (n_queries, n_samples)
            The draws, one per column.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
        rng = check_random_state(self.random_state if random_state is None else random_state)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        mean, _, g, neighbors, conditional_var = swsgp_latent(self.result_, X, self.n_neighbors)
        eps = rng.standard_normal((self.Z_.shape[0], n_samples))
        shared = np.einsum("qh,qhs->qs", g, eps[neighbors])
        own = np.sqrt(conditional_var + self._noise())[:, None] * rng.standard_normal((X.shape[0], n_samples))
        return in_target_scale(self, mean[:, None] + shared + own)

