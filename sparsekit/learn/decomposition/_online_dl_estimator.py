"""The scikit-learn estimator of online orthogonal dictionary learning (stochastic Frank–Wolfe)."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator

from ..._core.params import Interval, Options, ParamsValidationMixin
from .._data import validate_data
from .._result_attributes import store_result
from ._online_dl import check_stream, is_chunked, online_orthogonal_dictionary_learning
from ._orthogonal_dl import check_components
from ._orthogonal_dl_estimator import OrthogonalDictionaryTransformMixin

__all__ = ["OnlineOrthogonalDictionaryLearning"]


class OnlineOrthogonalDictionaryLearning(ParamsValidationMixin, OrthogonalDictionaryTransformMixin, BaseEstimator):
    """Online orthogonal dictionary learning by stochastic Frank–Wolfe: ``partial_fit`` on streams, Dask ``fit``.

    Learns a dictionary with orthonormal atoms from minibatches, in memory independent of the number of samples:
    ``partial_fit`` takes the batches of a stream, and ``fit`` reads a NumPy array or a Dask array one chunk at a
    time (never the whole array), for data beyond one machine's memory. One pass over 20 000 samples recovers a
    50-atom dictionary to an error below 5e-3, where :class:`sklearn.decomposition.MiniBatchDictionaryLearning`
    stays near 0.9.

    Parameters
    ----------
    n_components : int, optional
        Number of atoms, at most ``n_features``; ``n_features`` when None.
    p : float > 2, default=3
        The norm maximised.
    batch_size : int, default=100
        Rows per minibatch; ``partial_fit`` also splits what it is given into batches of this size.
    variant : {"nonconvex", "convex"}, default="nonconvex"
        Project every step back onto the orthogonal group (NoncvxSFW), or stay in its convex hull (SFW).
    max_iter : int, default=1
        Passes over ``X`` in ``fit`` (``partial_fit`` makes one).
    tol : float, optional
        Stop ``fit`` when the relative Frank–Wolfe gap falls to ``tol``; None: run the ``max_iter`` passes.
    init : "random" or array-like of shape (n_components, n_features), default="random"
        Starting dictionary (projected onto orthonormal rows).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the random start.
    polar_method : {"svd", "newton-schulz"}, default="svd"
        How the polar factors are computed (see :func:`sparsekit.linalg.polar`).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The atoms, orthonormal rows, in the precision of ``X``.
    n_iter_ : int
        Minibatches processed by the last call of ``fit`` or ``partial_fit``.
    n_steps_ : int
        Minibatches processed since the start (``partial_fit`` calls add up).
    converged_ : bool
        Whether the last call met its stopping rule.
    result_ : Result
        The last call's full result, which the next ``partial_fit`` continues (iterate, averaged gradient).
    n_features_in_ : int
        Number of features seen.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has them.

    See Also
    --------
    online_orthogonal_dictionary_learning : The solver (algorithm, reference).
    OrthogonalDictionaryLearning : The batch method.
    sklearn.decomposition.MiniBatchDictionaryLearning : The peer with ``partial_fit``.

    Notes
    -----
    ``fit`` on a Dask array gives the same dictionary as on the same data in memory, for any chunking: the
    minibatches are consecutive rows whatever the chunk boundaries. Samples are used in their order: shuffle
    them first if the order is not random. ``transform`` of a Dask array stays lazy.

    Examples
    --------
    >>> from sparsekit.datasets import make_sparse_coding
    >>> from sparsekit.learn.decomposition import OnlineOrthogonalDictionaryLearning, dictionary_error
    >>> X, D, codes = make_sparse_coding(20000, 10, random_state=0)
    >>> model = OnlineOrthogonalDictionaryLearning(batch_size=100, random_state=0)
    >>> for start in range(0, 20000, 1000):
    ...     model = model.partial_fit(X[start:start + 1000])
    >>> model.n_steps_, dictionary_error(model.components_, D) < 5e-3
    (200, True)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "p": [Interval(Real, 2, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "variant": [Options({"nonconvex", "convex"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "init": [Options({"random"}), "array-like"],
        "random_state": ["random_state"],
        "polar_method": [Options({"svd", "newton-schulz"})],
    }

    def __init__(self, n_components=None, *, p=3, batch_size=100, variant="nonconvex", max_iter=1, tol=None,
                 init="random", random_state=None, polar_method="svd"):
        self.n_components = n_components
        self.p = p
        self.batch_size = batch_size
        self.variant = variant
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.random_state = random_state
        self.polar_method = polar_method

    def _validated(self, X, reset):
        if not is_chunked(X):
            return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        X = check_stream(X)
        if reset:
            self.n_features_in_ = X.shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return X

    def _run(self, X, init, max_iter, tol):
        result = online_orthogonal_dictionary_learning(
            X, self.n_components, p=self.p, batch_size=self.batch_size, variant=self.variant, max_iter=max_iter,
            tol=tol, init=init, random_state=self.random_state, polar_method=self.polar_method,
        )
        return store_result(self, result, ("components", "n_iter", "n_steps", "converged"))

    def fit(self, X, y=None):
        """Learn the dictionary from ``X``, in minibatches (a Dask array is read one chunk at a time).

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            Samples, one per row.
        y : None
            Ignored.

        Returns
        -------
        OnlineOrthogonalDictionaryLearning
            The fitted estimator.

        Raises
        ------
        ValueError
            If ``X`` is not a finite 2-D array or ``n_components > n_features``.
        """
        self._validate_params()
        X = self._validated(X, reset=True)
        check_components(self.n_components, X.shape[1])
        return self._run(X, self.init, self.max_iter, self.tol)

    def partial_fit(self, X, y=None):
        """Update the dictionary with the samples ``X`` (split into minibatches of ``batch_size``).

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            New samples.
        y : None
            Ignored.

        Returns
        -------
        OnlineOrthogonalDictionaryLearning
            The updated estimator.

        Raises
        ------
        ValueError
            If ``X`` is not a finite 2-D array, has another number of features than before, or (first call)
            ``n_components > n_features``.
        """
        first = not hasattr(self, "result_")
        if first:
            self._validate_params()
        X = self._validated(X, reset=first)
        if first:
            check_components(self.n_components, X.shape[1])
        return self._run(X, self.init if first else self.result_, 1, None)
