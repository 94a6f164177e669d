"""The scikit-learn estimator of sparse linear regression under local differential privacy."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, Options, ParamsValidationMixin
from ..._core.random import check_random_state
from .._data import validate_data
from .._result_attributes import store_result
from ._ldp_solvers import (
    _LDP_CONSTRAINTS,
    _check_private_data,
    _nldp_result,
    _NonInteractiveServer,
    _public_covariance,
    _too_few_users,
    ldp_iht,
)

__all__ = ["LDPSparseRegression"]


class LDPSparseRegression(ParamsValidationMixin, RegressorMixin, BaseEstimator):
    """Sparse linear regression under local differential privacy (Zhu et al., ICLR 2024).

    Each row of ``X`` (with its ``y``) is one user's data, which leaves the
    user only as a noisy message; the fitted model depends on the data through
    those messages alone.

    Parameters
    ----------
    epsilon : float, default=1.0
        Per-user privacy budget (> 0).
    delta : float in (0, 1), default=1e-5
        Per-user ``delta`` of the Gaussian mechanism (ignored by Laplace).
    mechanism : {"gaussian", "laplace"}, default="gaussian"
        Noise each user adds.
    protocol : {"non-interactive", "interactive"}, default="non-interactive"
        One release per user and the closed-form estimator
        (:func:`ldp_sparse_regression`), or sequentially interactive LDP-IHT
        (:func:`ldp_iht`, needs ``k``).
    public_X : array-like of shape (n_public, n_features), optional
        Public unlabeled covariates (non-interactive protocol): the
        covariance comes from them and users spend the whole budget on ``x y``.
    k : int, optional
        Sparsity: top-``k`` thresholding (non-interactive) or the IHT
        sparsity (interactive, required).
    clip_X, clip_y : float, default=3.0, 4.0
        Per-user clipping levels (public constants, not derived from the data).
    threshold : "auto" or float, default="auto"
        Soft-threshold level of the non-interactive estimator.
    n_rounds : int, optional
        Rounds of the interactive protocol (``ceil(log n)`` when None).
    step_size : float, default=0.5
        IHT gradient step.
    radius : float, default=1.0
        Public bound on ``||w*||`` for the interactive protocol.
    simulate : {"auto", "per-user", "aggregate"}, default="auto"
        Per-user noise draws or their aggregate (same law).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the privacy noise.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The private estimate (float32 for float32 ``X``).
    intercept_ : float
        Always 0 (centre ``y`` and ``X`` with public means first if needed).
    privacy_spent_ : tuple of float
        Largest ``(epsilon, delta)`` any user spent (checked against the budget).
    accountant_ : LDPAccountant
        Every release, with its users, cost and noise level.
    n_users_ : int
        Users seen (rows of all ``fit``/``partial_fit`` calls).
    result_ : Result
        The solver's full result.
    n_iter_ : int
        Rounds (interactive) or 1.
    converged_ : bool
        Whether the protocol ran to completion.
    n_features_in_ : int
        Number of features.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has them.

    See Also
    --------
    ldp_sparse_regression, ldp_iht : The solvers.

    Notes
    -----
    ``partial_fit`` (non-interactive protocol) adds new users to the
    server's running sums and re-estimates: users stream in batches, as they
    would reach a real server, and each user is counted once.

    The server computes in float64 (its sums of many users' noisy messages
    need it); ``coef_`` has the dtype of the first ``X`` fitted, float32 for
    float32 data.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import LDPSparseRegression
    >>> rng = np.random.default_rng(0)
    >>> coef = np.array([0.6, -0.8, 0.0, 0.0, 0.0])
    >>> X = rng.standard_normal((200_000, 5)); y = X @ coef + 0.5 * rng.standard_normal(200_000)
    >>> model = LDPSparseRegression(epsilon=8.0, public_X=rng.standard_normal((10_000, 5)), random_state=0)
    >>> model.fit(X, y).privacy_spent_
    (8.0, 1e-05)
    >>> bool(np.linalg.norm(model.coef_ - coef) < 0.5)
    True
    """

    _parameter_constraints = {
        **_LDP_CONSTRAINTS,
        "protocol": [Options({"non-interactive", "interactive"})],
        "public_X": ["array-like", None],
        "k": [Interval(Integral, 1, None, closed="left"), None],
        "threshold": [Options({"auto"}), Interval(Real, 0, None, closed="left")],
        "n_rounds": [Interval(Integral, 1, None, closed="left"), None],
        "step_size": [Interval(Real, 0, None, closed="neither")],
        "radius": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, epsilon=1.0, *, delta=1e-5, mechanism="gaussian", protocol="non-interactive", public_X=None,
                 k=None, clip_X=3.0, clip_y=4.0, threshold="auto", n_rounds=None, step_size=0.5, radius=1.0,
                 simulate="auto", random_state=None):
        self.epsilon = epsilon
        self.delta = delta
        self.mechanism = mechanism
        self.protocol = protocol
        self.public_X = public_X
        self.k = k
        self.clip_X = clip_X
        self.clip_y = clip_y
        self.threshold = threshold
        self.n_rounds = n_rounds
        self.step_size = step_size
        self.radius = radius
        self.simulate = simulate
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # privacy costs accuracy: at the default epsilon=1 the noise on a few hundred users' messages
        # swamps the signal, so scikit-learn's check that R^2 > 0.5 on its 200-row data set cannot hold
        tags.regressor_tags.poor_score = True
        return tags

    def _set_result(self, result, dtype):
        self.coef_ = result.x.astype(dtype, copy=False)
        self.intercept_ = 0.0
        self.accountant_ = result.accountant
        return store_result(self, result, ("privacy_spent", "n_users", "n_iter", "converged"))

    def fit(self, X, y):
        """Run the protocol with one user per row of ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_users, n_features)
            Users' covariates.
        y : array-like of shape (n_users,)
            Users' responses.

        Returns
        -------
        LDPSparseRegression
            The fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32])
        dtype = X.dtype
        X, y = X.astype(np.float64, copy=False), y.astype(np.float64, copy=False)
        if hasattr(self, "server_"):
            del self.server_
        if self.protocol == "interactive":
            if self.k is None:
                raise ValueError("k must be given for protocol='interactive' (the sparsity LDP-IHT keeps).")
            result = ldp_iht(X, y, self.epsilon, k=self.k, delta=self.delta, mechanism=self.mechanism,
                             n_rounds=self.n_rounds, step_size=self.step_size, radius=self.radius,
                             clip_X=self.clip_X, clip_y=self.clip_y, simulate=self.simulate,
                             random_state=self.random_state)
            return self._set_result(result, dtype)
        return self._partial_fit(X, y, dtype)

    @available_if(lambda self: self.protocol == "non-interactive")
    def partial_fit(self, X, y):
        """Add the users of ``(X, y)`` to the non-interactive protocol and re-estimate.

        Parameters
        ----------
        X : array-like of shape (n_users, n_features)
            New users' covariates.
        y : array-like of shape (n_users,)
            New users' responses.

        Returns
        -------
        LDPSparseRegression
            The updated estimator.

        Notes
        -----
        Only for ``protocol="non-interactive"``: LDP-IHT assigns users to
        rounds up front.
        """
        self._validate_params()
        first = not hasattr(self, "server_")
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32], reset=first)
        dtype = X.dtype if first else self.coef_.dtype
        return self._partial_fit(X.astype(np.float64, copy=False), y.astype(np.float64, copy=False), dtype)

    def _partial_fit(self, X, y, dtype):
        if not hasattr(self, "server_"):
            public_X = self.public_X
            X, y, public_X = _check_private_data(X, y, public_X) if public_X is not None else (X, y, None)
            self.server_ = _NonInteractiveServer(
                X.shape[1], self.epsilon, self.delta, self.mechanism, self.clip_X, self.clip_y,
                None if public_X is None else _public_covariance(public_X, self.clip_X),
                check_random_state(self.random_state), self.simulate,
            )
        if self.server_.xx_mechanism is not None and self.server_.n_users + X.shape[0] < X.shape[1]:
            _too_few_users(self.server_.n_users + X.shape[0], X.shape[1])
        self.server_.receive(X, y)
        result = _nldp_result(self.server_, self.threshold, self.k, caller="LDPSparseRegression")
        return self._set_result(result, dtype)

    def predict(self, X):
        """Predict with the private linear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            ``X @ coef_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self.coef_
