"""Solvers of sparse linear regression under local differential privacy (Zhu, Ding, Aggarwal, Xu & Wang, ICLR 2024).

Every user holds one sample ``(x_i, y_i)`` and only ever sends the server a
privatised message; the server never sees raw data. Two protocols:

- non-interactive (NLDP): each user clips ``x`` and ``y`` and releases
  ``x x^T`` and ``x y`` once, with Gaussian or Laplace noise; the server
  averages, conditions the covariance and returns a soft-thresholded
  closed-form estimate ``S_lambda(Sigma^-1 rho)``. With public unlabeled
  covariates only ``x y`` is released, with the whole budget.
- sequentially interactive (LDP-IHT): users are split into rounds; in each
  round a fresh group releases noisy gradients at the current iterate, and
  the server takes a gradient step, keeps the ``k`` largest entries and
  projects onto a ball.

Users are simulated exactly, one noise draw per user, for small problems;
for large ones the server draws the *sum* of the users' noise directly from
its exact law (Gaussian: ``N(0, n s^2)``; Laplace: ``b (Gamma(n) - Gamma(n))``),
which gives the same distribution of everything the server computes.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import linalg

from ..._core.params import Interval, Options, validate_params
from ..._core.progress import IterationMonitor
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_STOPPED, Result, end_run
from ..._core.validation import check_array
from ._ldp_mechanisms import EPSILON_MAX, LDPAccountant, _draws_per_user, _Mechanism, _mechanism_delta

__all__ = ["ldp_iht", "ldp_sparse_regression"]

_CHUNK_ROWS = 65536


# --------------------------------------------------------------------------- non-interactive protocol
def _clip(values, level):
    return np.clip(values, -level, level)


def _hard_threshold(w, k):
    out = np.zeros_like(w)
    top = np.argsort(-np.abs(w), kind="stable")[:k]
    out[top] = w[top]
    return out



class _NonInteractiveServer:
    """What the NLDP server accumulates: sums of the users' noisy releases, and the ledger."""

    def __init__(self, n_features, epsilon, delta, mechanism, clip_X, clip_y, public_covariance, rng, simulate):
        d = n_features
        self.n_features = d
        self.upper = np.triu_indices(d)
        self.public_covariance = public_covariance
        self.rng = rng
        self.simulate = simulate
        self.n_users = 0
        self.sum_xx = np.zeros(len(self.upper[0]))
        self.sum_xy = np.zeros(d)
        delta = _mechanism_delta(mechanism, delta)
        self.accountant = LDPAccountant(epsilon, delta)
        share = 1.0 if public_covariance is not None else 0.5
        self.release_cost = (share * epsilon, share * delta)
        # sup over two users of ||release(x) - release(x')|| with |x_j| <= clip_X, |y| <= clip_y
        self.xy_mechanism = _Mechanism(mechanism, 2.0 * math.sqrt(d) * clip_X * clip_y, 2.0 * d * clip_X * clip_y,
                                       *self.release_cost, depends_on="clip_X and clip_y")
        self.xx_mechanism = None
        if public_covariance is None:
            entries = d * (d + 1) / 2.0
            square = clip_X * clip_X  # a product overflows to inf where clip_X**2 would raise
            self.xx_mechanism = _Mechanism(mechanism, 2.0 * square * math.sqrt(entries), 2.0 * square * entries,
                                           *self.release_cost, depends_on="clip_X")
        self.clip_X, self.clip_y = clip_X, clip_y

    def per_user(self, n_new):
        entries = self.n_features + (0 if self.xx_mechanism is None else len(self.upper[0]))
        return _draws_per_user(self.simulate, n_new, entries)

    def receive(self, X, y):
        """The users of ``(X, y)`` clip, privatise and send; the server adds up the messages."""
        n_new = X.shape[0]
        per_user = self.per_user(n_new)
        users = (self.n_users, self.n_users + n_new)
        releases = [("x y", self.xy_mechanism)] + ([] if self.xx_mechanism is None else [("x x^T", self.xx_mechanism)])
        for what, mechanism in releases:  # the ledger refuses first, before anything is released
            self.accountant.spend(what, users, *self.release_cost, mechanism=mechanism.kind, noise_std=mechanism.std)
        for start in range(0, n_new, _CHUNK_ROWS):
            Xc = _clip(X[start:start + _CHUNK_ROWS], self.clip_X)
            yc = _clip(y[start:start + _CHUNK_ROWS], self.clip_y)
            self.sum_xy += Xc.T @ yc
            if self.xx_mechanism is not None:
                self.sum_xx += (Xc.T @ Xc)[self.upper]
        self.sum_xy += self.xy_mechanism.noise_sum(self.rng, n_new, self.n_features, per_user)
        if self.xx_mechanism is not None:
            self.sum_xx += self.xx_mechanism.noise_sum(self.rng, n_new, self.sum_xx.size, per_user)
        self.n_users += n_new

    def covariance(self):
        """Noisy mean of ``x x^T`` (symmetric), and the operator norm expected of its noise."""
        if self.xx_mechanism is None:
            return self.public_covariance, 0.0
        d = self.n_features
        upper = np.zeros((d, d))
        upper[self.upper] = self.sum_xx / self.n_users
        sigma = upper + upper.T - np.diag(np.diag(upper))
        # a symmetric d x d matrix of iid entries with std s has spectral norm about 2 s sqrt(d)
        noise_norm = 2.0 * self.xx_mechanism.std * math.sqrt(d / self.n_users)
        return sigma, noise_norm

    def estimate(self, threshold, k):
        """Conditioned closed-form estimate ``S_lambda(Sigma^-1 rho)`` (or its top ``k`` entries)."""
        sigma, noise_norm = self.covariance()
        rho = self.sum_xy / self.n_users
        values, vectors = linalg.eigh(sigma)
        floor = max(noise_norm, 1e-12 * max(float(values.max()), 1e-300))
        values = np.maximum(values, floor)
        inverse = (vectors / values) @ vectors.T
        raw = inverse @ rho
        conditioned = (vectors * values) @ vectors.T
        if k is not None:
            return _hard_threshold(raw, k), raw, conditioned, 0.0
        if threshold == "auto":
            spread = self.xy_mechanism.std * self.xy_mechanism.std
            if self.xx_mechanism is not None:
                spread += self.xx_mechanism.std * self.xx_mechanism.std * float(raw @ raw)
            per_coordinate = np.sqrt(spread / self.n_users * np.einsum("ij,ij->j", inverse, inverse))
            level = math.sqrt(2.0 * math.log(self.n_features)) * per_coordinate
        else:
            level = np.full(raw.size, float(threshold))
        coef = np.sign(raw) * np.maximum(np.abs(raw) - level, 0.0)
        return coef, raw, conditioned, level


_LDP_CONSTRAINTS = {
    "epsilon": [Interval(Real, 0, EPSILON_MAX, closed="right")],
    "delta": [Interval(Real, 0, 1, closed="neither")],
    "mechanism": [Options({"gaussian", "laplace"})],
    "clip_X": [Interval(Real, 0, None, closed="neither")],
    "clip_y": [Interval(Real, 0, None, closed="neither")],
    "simulate": [Options({"auto", "per-user", "aggregate"})],
    "random_state": ["random_state"],
}


def _check_private_data(X, y, public_X):
    X = check_array(X, "X", ndim=2, dtype=np.float64)
    y = check_array(y, "y", ndim=1, dtype=np.float64)
    if y.size != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}); got {y.size}.")
    if public_X is not None:
        public_X = check_array(public_X, "public_X", ndim=2, dtype=np.float64)
        if public_X.shape[1] != X.shape[1]:
            raise ValueError(f"public_X must have {X.shape[1]} columns like X; got {public_X.shape[1]}.")
        if public_X.shape[0] < X.shape[1]:
            raise ValueError(
                f"public_X must have at least n_features={X.shape[1]} rows to estimate the covariance; "
                f"got {public_X.shape[0]}."
            )
    elif X.shape[0] < X.shape[1]:
        _too_few_users(X.shape[0], X.shape[1])
    return X, y, public_X


def _too_few_users(n_users, n_features):
    raise ValueError(
        "X must have at least as many users (rows) as features for the private covariance estimate "
        f"(or pass public_X); got n_samples={n_users} < n_features={n_features}."
    )


def _public_covariance(public_X, clip_X):
    clipped = _clip(public_X, clip_X)
    covariance = clipped.T @ clipped / clipped.shape[0]
    # the estimate inverts this matrix with its eigenvalues floored at a fraction of the largest: a zero
    # matrix has no scale to floor at (its inverse would be NaN)
    if not covariance.any():
        raise ValueError("public_X must not be all zeros (nor so small that its covariance underflows): it gives "
                         "no covariance to estimate the coefficients with.")
    return covariance


@validate_params(
    {
        **_LDP_CONSTRAINTS,
        "public_X": ["array-like", None],
        "k": [Interval(Integral, 1, None, closed="left"), None],
        "threshold": [Options({"auto"}), Interval(Real, 0, None, closed="left")],
    }
)
def ldp_sparse_regression(X, y, epsilon, *, delta=1e-5, mechanism="gaussian", public_X=None, k=None, clip_X=3.0,
                          clip_y=4.0, threshold="auto", simulate="auto", random_state=None):
    """Non-interactive locally private sparse regression: the closed-form NLDP estimator.

    Parameters
    ----------
    X : array-like of shape (n_users, n_features)
        One row per user (never seen by the server: only the users' noisy
        messages are).
    y : array-like of shape (n_users,)
        Responses.
    epsilon : float
        Per-user privacy budget (> 0).
    delta : float in (0, 1), default=1e-5
        Per-user ``delta`` for the Gaussian mechanism (ignored by Laplace,
        which is pure ``epsilon``-LDP).
    mechanism : {"gaussian", "laplace"}, default="gaussian"
        Noise added by each user: Gaussian calibrated by
        :func:`gaussian_mechanism_scale` (``l2`` sensitivity), or Laplace with
        scale ``l1 sensitivity / epsilon``.
    public_X : array-like of shape (n_public, n_features), optional
        Public unlabeled covariates: the server estimates the covariance from
        them and users release only ``x y``, with the whole budget.
    k : int, optional
        Keep the ``k`` largest entries of the closed-form estimate instead of
        soft-thresholding it.
    clip_X, clip_y : float, default=3.0, 4.0
        Each user shrinks every ``x_j`` into ``[-clip_X, clip_X]`` and ``y``
        into ``[-clip_y, clip_y]`` (sub-Gaussian data need ``O(sqrt(log n))``).
        They must not be derived from the private data; the defaults suit
        standardised features and responses.
    threshold : "auto" or float, default="auto"
        Soft-threshold level ``lambda``. ``"auto"``: the universal threshold
        ``sqrt(2 log d)`` times the standard deviation of each coordinate of
        ``Sigma^-1 rho`` due to the privacy noise (computed from released
        quantities only, so it costs no privacy), the level at which the
        theory needs ``lambda >= ||Sigma^-1 rho - w*||_inf``.
    simulate : {"auto", "per-user", "aggregate"}, default="auto"
        Draw each user's noise (exact simulation), or draw the sum of all
        users' noise from its exact law (same distribution, for large
        ``n``); ``"auto"`` simulates users while that takes at most
        ``PER_USER_DRAW_LIMIT`` draws.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the privacy noise.

    Returns
    -------
    Result
        ``x`` (estimate), ``unthresholded`` (``Sigma^-1 rho``),
        ``covariance`` (the server's conditioned covariance), ``rho``,
        ``threshold`` (per coordinate), ``noise_std`` (per release kind),
        ``privacy_spent`` (largest per-user ``(epsilon, delta)``),
        ``accountant`` (:class:`LDPAccountant`), ``n_users``, and
        ``converged=True``, ``status=0``, ``message``, ``n_iter=1``
        (one closed-form step).

    Raises
    ------
    ValueError
        If ``epsilon <= 0`` or ``delta`` is outside (0, 1), data contain NaN
        or infinity, there are fewer users (or public rows) than features,
        ``public_X`` is all zeros, or the privacy noise overflows float64
        (clip levels too large for ``epsilon``).

    Notes
    -----
    Algorithm (Zhu et al. 2024, Algorithm 1, as we read it):

    1. User ``i`` clips ``x_i`` coordinate-wise to ``clip_X`` and ``y_i`` to
       ``clip_y`` and releases ``upper(x x^T) + N_1`` and ``x y + n_2``, each
       with half the budget. Sensitivities: ``2 clip_X^2 sqrt(d(d+1)/2)``
       and ``2 sqrt(d) clip_X clip_y`` (``l2``); ``2 clip_X^2 d(d+1)/2`` and
       ``2 d clip_X clip_y`` (``l1``).
    2. The server averages to ``Sigma`` and ``rho`` and conditions ``Sigma``
       by raising its eigenvalues to at least the expected operator norm of
       the averaged noise, ``2 s sqrt(d / n)``.
    3. Estimate ``S_lambda(Sigma^-1 rho)`` with entrywise soft-thresholding
       (the minimiser of ``||w||_1`` subject to ``||w - Sigma^-1 rho||_inf <=
       lambda``), or top-``k`` hard thresholding.

    The paper's rate is ``O~(d sqrt(k) / (sqrt(n) epsilon))``, improved by
    ``sqrt(d)`` with public covariates; it needs ``n`` large relative to
    ``d`` (the noise on ``x x^T`` grows like ``d``). The constants (clip
    levels, eigenvalue floor, ``lambda``) are our choices where the paper
    states only orders of magnitude.

    References
    ----------
    .. [1] L. Zhu, M. Ding, V. Aggarwal, J. Xu and D. Wang, "Improved analysis
       of sparse linear regression in local differential privacy model",
       ICLR 2024 (arXiv:2310.07367).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import ldp_sparse_regression
    >>> rng = np.random.default_rng(0)
    >>> coef = np.array([0.6, -0.8, 0.0, 0.0, 0.0])
    >>> X = rng.standard_normal((200_000, 5)); y = X @ coef + 0.5 * rng.standard_normal(200_000)
    >>> res = ldp_sparse_regression(X, y, epsilon=8.0, k=2, random_state=0)
    >>> res.privacy_spent
    (8.0, 1e-05)
    >>> bool(np.linalg.norm(res.x - coef) < 0.5)
    True
    """
    X, y, public_X = _check_private_data(X, y, public_X)
    server = _NonInteractiveServer(
        X.shape[1], epsilon, delta, mechanism, clip_X, clip_y,
        None if public_X is None else _public_covariance(public_X, clip_X), check_random_state(random_state),
        simulate,
    )
    server.receive(X, y)
    return _nldp_result(server, threshold, k, caller="ldp_sparse_regression")


def _nldp_result(server, threshold, k, *, caller):
    """The server's closed-form estimate from the messages so far, as a Result ended by ``end_run``."""
    coef, raw, covariance, level = server.estimate(threshold, k)
    result = Result(
        x=coef,
        unthresholded=raw,
        covariance=covariance,
        rho=server.sum_xy / server.n_users,
        threshold=level,
        noise_std={"x y": server.xy_mechanism.std,
                   **({} if server.xx_mechanism is None else {"x x^T": server.xx_mechanism.std})},
        privacy_spent=server.accountant.spent_per_user(),
        accountant=server.accountant,
        n_users=server.n_users,
        n_iter=1,
    )
    return end_run(result, caller=caller, status=STATUS_CONVERGED,
                   message="closed-form estimate from one round of private messages")


# --------------------------------------------------------------------------- interactive protocol
@validate_params(
    {
        **_LDP_CONSTRAINTS,
        "k": [Interval(Integral, 1, None, closed="left")],
        "n_rounds": [Interval(Integral, 1, None, closed="left"), None],
        "step_size": [Interval(Real, 0, None, closed="neither")],
        "radius": [Interval(Real, 0, None, closed="neither")],
        "callback": ["callable", None],
    }
)
def ldp_iht(X, y, epsilon, *, k, delta=1e-5, mechanism="gaussian", n_rounds=None, step_size=0.5, radius=1.0,
            clip_X=3.0, clip_y=4.0, simulate="auto", random_state=None, callback=None):
    """Sequentially interactive locally private sparse regression: LDP iterative hard thresholding.

    Parameters
    ----------
    X : array-like of shape (n_users, n_features)
        One row per user.
    y : array-like of shape (n_users,)
        Responses.
    epsilon : float
        Per-user budget (> 0); each user releases once.
    k : int
        Sparsity kept by the hard-thresholding step.
    delta : float in (0, 1), default=1e-5
        Per-user ``delta`` (Gaussian mechanism only).
    mechanism : {"gaussian", "laplace"}, default="gaussian"
        Noise added to each gradient.
    n_rounds : int, optional
        Number of rounds ``T`` (disjoint user groups); ``ceil(log(n_users))``
        when None.
    step_size : float, default=0.5
        Gradient step ``eta``.
    radius : float, default=1.0
        Public bound on ``||w*||_2``: iterates are projected onto this ball
        (for standardised, uncorrelated features and standardised ``y``,
        ``||w*|| <= 1``).
    clip_X, clip_y : float, default=3.0, 4.0
        Clipping levels, as in :func:`ldp_sparse_regression`.
    simulate : {"auto", "per-user", "aggregate"}, default="auto"
        Per-user or aggregated noise draws (same law).
    random_state : None, int or numpy.random.Generator, default=None
        Seed.
    callback : callable, optional
        ``callback(xk)`` after each round, with ``xk`` a copy of the current
        iterate ``w``; returning True (or raising StopIteration) stops the
        run (status 2, no warning).

    Returns
    -------
    Result
        ``x``, ``iterates`` (one per round), ``n_iter`` (rounds run),
        ``noise_std``, ``privacy_spent``, ``accountant``, ``n_users``,
        ``converged`` (True when all rounds ran), ``status``, ``message``.

    Raises
    ------
    ValueError
        If ``epsilon <= 0``, data contain NaN, there are fewer users than
        rounds, or the privacy noise overflows float64 (clip levels or
        ``radius`` too large for ``epsilon``).

    Notes
    -----
    Round ``t`` uses a fresh group of ``n / T`` users. Each clips its data
    and releases ``g_i = x_i (x_i^T w_{t-1} - y_i)`` plus noise; because
    ``w_{t-1}`` is ``k``-sparse with ``||w|| <= radius``, ``|x^T w| <=
    sqrt(k) clip_X radius``, so ``||g||_2 <= sqrt(d) clip_X (sqrt(k) clip_X
    radius + clip_y)`` (and ``||g||_1 <= d`` times the same bracket) bounds
    the sensitivity. The server sets ``w_t = P_radius(H_k(w_{t-1} - eta
    mean(g)))``. Each user releases once, so the per-user cost is
    ``(epsilon, delta)`` (parallel composition over disjoint groups). This is
    the LDP-IHT of Wang & Xu (2021) whose analysis Zhu et al. (2024)
    rectify, with rate ``O~(k sqrt(d) / (sqrt(n) epsilon))``.

    Stopping rule: all ``n_rounds`` rounds, or the callback.

    References
    ----------
    .. [1] D. Wang and J. Xu, "On sparse linear regression in the local
       differential privacy model", IEEE Trans. Inf. Theory 67(2), 2021.
    .. [2] L. Zhu, M. Ding, V. Aggarwal, J. Xu and D. Wang, ICLR 2024 (arXiv:2310.07367).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.linear_model import ldp_iht
    >>> rng = np.random.default_rng(0)
    >>> coef = np.array([0.6, -0.8, 0.0, 0.0, 0.0])
    >>> X = rng.standard_normal((500_000, 5)); y = X @ coef + 0.5 * rng.standard_normal(500_000)
    >>> res = ldp_iht(X, y, epsilon=4.0, k=2, random_state=0)
    >>> res.privacy_spent, sorted(np.flatnonzero(res.x).tolist())
    ((4.0, 1e-05), [0, 1])
    """
    X, y, _ = _check_private_data(X, y, None)
    n_users, d = X.shape
    k = min(k, d)
    rounds = n_rounds if n_rounds is not None else max(1, math.ceil(math.log(n_users)))
    if rounds > n_users:
        raise ValueError(f"n_rounds={rounds} is more than the number of users ({n_users}).")
    rng = check_random_state(random_state)
    residual_bound = math.sqrt(k) * clip_X * radius + clip_y
    delta = _mechanism_delta(mechanism, delta)
    noise = _Mechanism(mechanism, 2.0 * math.sqrt(d) * clip_X * residual_bound, 2.0 * d * clip_X * residual_bound,
                       epsilon, delta, depends_on="clip_X, clip_y and radius")
    accountant = LDPAccountant(epsilon, delta)
    per_user = _draws_per_user(simulate, n_users, d)
    bounds = np.linspace(0, n_users, rounds + 1).astype(np.int64)
    w = np.zeros(d)
    iterates = []
    stopped = False
    with IterationMonitor("ldp_iht", total=rounds, callback=callback) as monitor:
        for t in range(rounds):
            start, stop = int(bounds[t]), int(bounds[t + 1])
            accountant.spend(f"gradient, round {t}", (start, stop), noise.epsilon, noise.delta,
                             mechanism=mechanism, noise_std=noise.std)
            Xc = _clip(X[start:stop], clip_X)
            yc = _clip(y[start:stop], clip_y)
            gradient_sum = Xc.T @ (Xc @ w - yc) + noise.noise_sum(rng, stop - start, d, per_user)
            w = _hard_threshold(w - step_size * gradient_sum / (stop - start), k)
            norm = float(np.linalg.norm(w))
            if norm > radius:
                w *= radius / norm
            iterates.append(w.copy())
            stopped = monitor.update(*(() if callback is None else (w.copy(),)))
            if stopped:
                break
    result = Result(
        x=w,
        iterates=iterates,
        noise_std={"gradient": noise.std},
        privacy_spent=accountant.spent_per_user(),
        accountant=accountant,
        n_users=n_users,
        n_iter=len(iterates),
    )
    if stopped:
        return end_run(result, caller="ldp_iht", status=STATUS_STOPPED, message="stopped by the callback")
    return end_run(result, caller="ldp_iht", status=STATUS_CONVERGED, message=f"ran all {rounds} rounds")

