"""Binary sparse coding by truncated EM (ProSper's BSC-ET model class) and its scikit-learn estimator."""

import numpy as np

from ..._core.params import validate_params
from ._binary_sparse_coding_kernels import estep
from ._truncated_em import _CONSTRAINTS, _TruncatedEMCoder, em_setup, m_step, run_em

__all__ = ["BinarySparseCoding", "binary_sparse_coding"]


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
    Y, scale, masks, W, sigma2, pi = em_setup(Y, n_components, n_candidates, max_active, random_state)
    N, H = Y.shape[0], n_components
    sum_y2 = float(np.sum(Y**2))

    def step(beta):
        nonlocal W, sigma2, pi
        YS, SS, active, evidence, _ = estep(Y, W, sigma2, pi, beta, n_candidates, masks, False)
        W, sigma2, pi = m_step(YS, SS, active, sum_y2, N, H)
        return evidence / N

    def finish():
        return {"W": W * scale, "sigma": float(np.sqrt(sigma2)) * scale, "pi": pi}

    return run_em(step, finish, caller="binary_sparse_coding", max_iter=max_iter,
                  anneal_temperature=anneal_temperature, anneal_fraction=anneal_fraction, tol=tol)


class BinarySparseCoding(_TruncatedEMCoder):
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

    _solver = staticmethod(binary_sparse_coding)
    _extra_attributes = {}

    def __init__(self, n_components=10, *, n_candidates=8, max_active=5, max_iter=80, anneal_temperature=2.0,
                 anneal_fraction=0.6, tol=1e-4, random_state=None):
        super().__init__(n_components, n_candidates=n_candidates, max_active=max_active, max_iter=max_iter,
                         anneal_temperature=anneal_temperature, anneal_fraction=anneal_fraction, tol=tol,
                         random_state=random_state)

    def _posterior_means(self, X, W, masks):
        return estep(X, W, self.noise_std_**2, self.sparsity_, 1.0, self.n_candidates, masks, True)[4]
