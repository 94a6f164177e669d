"""Binary sparse coding by truncated EM (ProSper's BSC-ET model class) and its scikit-learn estimator."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..._core.params import Interval, ParamsValidationMixin, validate_params
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, Result, end_run
from ..._core.validation import check_array
from .._data import validate_data
from .._result_attributes import store_result
from ._binary_sparse_coding_kernels import candidate_masks, estep

__all__ = ["BinarySparseCoding", "binary_sparse_coding"]

_CONSTRAINTS = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "n_candidates": [Interval(Integral, 1, 20, closed="both")],
    "max_active": [Interval(Integral, 1, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "anneal_temperature": [Interval(Real, 1, None, closed="left")],
    "anneal_fraction": [Interval(Real, 0, 1, closed="both")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "random_state": ["random_state"],
}


@validate_params({"Y": ["array-like"], **_CONSTRAINTS})
def binary_sparse_coding(Y, n_components, *, n_candidates=8, max_active=5, max_iter=80, anneal_temperature=2.0,
                         anneal_fraction=0.6, tol=1e-4, random_state=None):
    """Learn a binary sparse code ``y = W s + noise``, ``s`` in {0,1}^H, by truncated EM.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_features)
        Data.
    n_components : int
        Number ``H`` of binary latents (dictionary atoms).
    n_candidates : int, default=8
        ``H'``: hidden units per data point (largest ``W_h . y / |W_h|``)
        whose combinations are considered.
    max_active : int, default=5
        ``gamma``: at most this many active units among the candidates.
    max_iter : int, default=80
        EM steps.
    anneal_temperature : float, default=2.0
        Initial temperature ``T`` (posteriors use ``beta = 1 / T``), lowered
        linearly to 1 over the first ``anneal_fraction`` of the steps.
    anneal_fraction : float in [0, 1], default=0.6
        Fraction of the steps spent annealing.
    tol : float, default=1e-4
        After annealing, stop when the truncated log-likelihood per data
        point changes by less than ``tol`` times its magnitude.
    random_state : None, int or numpy Generator, default=None
        Seeds the initial dictionary.

    Returns
    -------
    Result
        ``W`` (n_features, n_components), ``sigma`` (noise std), ``pi``
        (prior activation probability), ``loglik`` (truncated log-likelihood
        per data point at each E-step, tempered by ``beta`` while annealing), ``n_iter``, ``converged``,
        ``status`` (0 converged, 1 ``max_iter`` reached, 3 non-finite),
        ``message``.

    Raises
    ------
    ValueError
        For NaN/inf or empty ``Y``, or ``max_active > n_candidates``.

    Notes
    -----
    Model (Haft et al. 2004; Henniges et al. 2010): ``p(s_h = 1) = pi``,
    ``y | s ~ N(W s, sigma^2 I)``. E-step: expectation truncation (Lücke &
    Eggert, JMLR 2010) as in ProSper's ``bsc_et.py``: the zero state, every
    singleton and every state with at most ``max_active`` ones among the
    ``n_candidates`` best-scored units. M-step (standard EM on the truncated
    posteriors, derived here): ``W = (sum y <s>^T)(sum <s s^T>)^-1``,
    ``sigma^2 = (sum |y|^2 - 2 tr(W^T sum y <s>^T) + tr(W^T W sum <s s^T>))
    / (N D)``, ``pi = sum <|s|> / (N H)``. Our simplifications of ProSper:
    no truncation correction of ``pi`` and no dropping of the worst-explained
    points (``Ncut``); annealing multiplies the whole log-joint by ``beta``,
    without ProSper's noise on ``W``. Its schedule is ours: ProSper's bars
    example anneals from ``T = 5`` over 80% of 150 steps, which without the
    ``W`` noise left one bar unlearnt on every seed we tried; no annealing
    left one bar unlearnt on 2 of 3 seeds; ``T = 2`` over 60% of 80 steps
    recovered all bars (see the tests).
    Initial ``W``: data mean plus noise of a quarter of the data's standard
    deviation; ``sigma``: the data's standard deviation; ``pi = 1 / H``.

    Examples
    --------
    >>> from sparsekit.datasets import make_bars
    >>> from sparsekit.learn.decomposition import binary_sparse_coding
    >>> Y, bars = make_bars(300, random_state=0)
    >>> res = binary_sparse_coding(Y, 10, max_iter=60, random_state=0)
    >>> res.W.shape, bool(abs(res.sigma - 2.0) < 0.4)
    ((25, 10), True)
    """
    Y = check_array(Y, "Y", ndim=2).astype(np.float64, copy=False)
    if max_active > n_candidates:
        raise ValueError(f"max_active={max_active} must not exceed n_candidates={n_candidates}.")
    rng = check_random_state(random_state)
    # the model is scale-equivariant (W and sigma scale with Y): run on Y / max|Y| so that no square overflows
    scale = float(np.abs(Y).max()) or 1.0
    Y = Y / scale
    N, D = Y.shape
    H = n_components
    masks = candidate_masks(min(n_candidates, H), max_active)
    W = Y.mean(axis=0)[:, None] + rng.standard_normal((D, H)) * Y.std() / 4
    sigma2, pi = max(float(Y.var()), np.finfo(float).tiny), 1.0 / max(H, 2)
    sum_y2 = float(np.sum(Y**2))
    anneal_steps = int(anneal_fraction * max_iter)
    loglik, status = [], STATUS_MAX_ITER
    message = f"max_iter={max_iter} EM steps reached before the log-likelihood settled to tol={tol:g}"
    for it in range(1, max_iter + 1):
        temperature = 1.0 + (anneal_temperature - 1.0) * max(0.0, 1.0 - (it - 1) / max(anneal_steps, 1))
        YS, SS, active, evidence, _ = estep(Y, W, sigma2, pi, 1.0 / temperature, n_candidates, masks, False)
        W = np.linalg.lstsq(SS, YS.T, rcond=None)[0].T
        sigma2 = max((sum_y2 - 2 * np.sum(W * YS) + np.sum((W.T @ W) * SS)) / (N * D), np.finfo(float).tiny)
        pi = float(np.clip(active / (N * H), 1e-6, 1 - 1e-6))
        loglik.append(evidence / N)
        if not np.isfinite(loglik[-1]):
            message = "the log-likelihood became non-finite"
            break
        if temperature == 1.0 and it > anneal_steps + 1 and abs(loglik[-1] - loglik[-2]) <= tol * abs(loglik[-2]):
            status, message = STATUS_CONVERGED, f"the log-likelihood changed by less than tol={tol:g}"
            break
    result = Result(W=W * scale, sigma=float(np.sqrt(sigma2)) * scale, pi=pi, loglik=np.array(loglik), n_iter=it)
    return end_run(result, caller="binary_sparse_coding", status=status, message=message)


class BinarySparseCoding(ClassNamePrefixFeaturesOutMixin, ParamsValidationMixin, TransformerMixin, BaseEstimator):
    """Binary sparse coding (ProSper's BSC): a dictionary whose atoms combine with 0/1 weights, learnt by truncated EM.

    Parameters
    ----------
    n_components : int, default=10
        Number of binary latents.
    n_candidates : int, default=8
        Hidden units per data point whose combinations are considered.
    max_active : int, default=5
        At most this many active units among the candidates.
    max_iter : int, default=80
        EM steps.
    anneal_temperature : float, default=2.0
        Initial temperature, lowered linearly to 1.
    anneal_fraction : float in [0, 1], default=0.6
        Fraction of the steps spent annealing.
    tol : float, default=1e-4
        Relative change of the log-likelihood that stops the run after annealing.
    random_state : None, int or numpy Generator, default=None
        Seeds the initial dictionary.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The atoms ``W^T``.
    noise_std_ : float
        Learnt noise standard deviation ``sigma``.
    sparsity_ : float
        Learnt prior activation probability ``pi``.
    loglik_ : ndarray
        Truncated log-likelihood per data point after each step.
    n_iter_ : int
        EM steps run.
    converged_ : bool
        Whether the stopping rule was met.
    result_ : Result
        The solver's result.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    binary_sparse_coding : The solver.
    sklearn.decomposition.DictionaryLearning : Real-valued codes with an l1 penalty.

    Notes
    -----
    ``transform`` returns the truncated posterior means ``<s>`` (in [0, 1])
    under the learnt parameters, at temperature 1.

    Examples
    --------
    >>> from sparsekit.datasets import make_bars
    >>> from sparsekit.learn.decomposition import BinarySparseCoding
    >>> Y, bars = make_bars(300, random_state=0)
    >>> model = BinarySparseCoding(10, max_iter=60, random_state=0).fit(Y)
    >>> model.transform(Y[:2]).shape
    (2, 10)
    """

    _parameter_constraints = dict(_CONSTRAINTS)

    def __init__(self, n_components=10, *, n_candidates=8, max_active=5, max_iter=80, anneal_temperature=2.0,
                 anneal_fraction=0.6, tol=1e-4, random_state=None):
        self.n_components = n_components
        self.n_candidates = n_candidates
        self.max_active = max_active
        self.max_iter = max_iter
        self.anneal_temperature = anneal_temperature
        self.anneal_fraction = anneal_fraction
        self.tol = tol
        self.random_state = random_state

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def fit(self, X, y=None):
        """Learn the atoms, the noise level and the sparsity.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        y : None
            Ignored.

        Returns
        -------
        BinarySparseCoding
            The fitted estimator.
        """
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        result = binary_sparse_coding(X, self.n_components, n_candidates=self.n_candidates,
                                      max_active=self.max_active, max_iter=self.max_iter,
                                      anneal_temperature=self.anneal_temperature,
                                      anneal_fraction=self.anneal_fraction, tol=self.tol,
                                      random_state=self.random_state)
        self.components_ = result.W.T.astype(X.dtype)
        self.noise_std_, self.sparsity_ = result.sigma, result.pi
        return store_result(self, result, ("loglik", "n_iter", "converged"))

    def transform(self, X):
        """Posterior means of the binary latents.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            ``<s>`` under the truncated posterior.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        W = np.ascontiguousarray(self.components_.T, dtype=np.float64)
        masks = candidate_masks(min(self.n_candidates, self.n_components), self.max_active)
        means = estep(X.astype(np.float64), W, self.noise_std_**2, self.sparsity_, 1.0, self.n_candidates, masks,
                      True)[4]
        return means.astype(X.dtype, copy=False)
