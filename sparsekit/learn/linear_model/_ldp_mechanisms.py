"""Privacy mechanisms of local differential privacy, and the ledger of what each user released.

The analytic Gaussian mechanism (Balle & Wang 2018) and the Laplace
mechanism, each able to draw one user's noise or the exact law of the sum of
many users' noise (Gaussian: ``N(0, n s^2)``; Laplace: ``b (Gamma(n) -
Gamma(n))``), which gives the same distribution of everything a server
computes; and :class:`LDPAccountant`, the per-user budget under composition.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import optimize, special

from ..._core.params import Interval, check_params, format_value, validate_params

__all__ = ["LDPAccountant", "PER_USER_DRAW_LIMIT", "gaussian_mechanism_scale"]

#: ``simulate="auto"`` draws per-user noise while ``n_users * noise entries per user`` stays below this.
PER_USER_DRAW_LIMIT = 20_000_000


def _gaussian_privacy_loss(sigma, sensitivity, epsilon):
    """``delta`` achieved by ``N(0, sigma^2)`` noise on an ``l2``-sensitivity query (Balle & Wang 2018, Thm 8)."""
    a = sensitivity / (2.0 * sigma)
    b = epsilon * sigma / sensitivity
    return special.ndtr(a - b) - math.exp(min(epsilon + special.log_ndtr(-a - b), 700.0))


#: Largest ``epsilon`` accepted: beyond it the privacy loss ``exp(epsilon) Phi(.)`` of the Gaussian mechanism
#: cannot be evaluated in float64 (it is a difference of terms of size ``epsilon``), and such a budget gives
#: no privacy anyway.
EPSILON_MAX = 1e12


def _unit_scale(epsilon, delta):
    """``sigma`` of the analytic Gaussian mechanism for sensitivity 1, found in ``log(sigma)``.

    The bracket is widened a factor ``e`` at a time until the privacy loss, which decreases in
    ``sigma``, changes sign; solving in the logarithm keeps brentq's tolerance relative over the
    hundreds of orders of magnitude ``sigma`` spans (about ``1 / epsilon`` for tiny ``epsilon``,
    ``1 / sqrt(epsilon)`` for large).
    """
    def excess(t):
        return _gaussian_privacy_loss(math.exp(t), 1.0, epsilon) - delta

    high = math.log((1.0 + math.sqrt(2.0 * math.log(1.25 / delta))) / min(epsilon, 1.0))
    while excess(high) > 0:
        high += 1.0
    low = high - 1.0
    while excess(low) < 0:
        low -= 1.0
    return math.exp(optimize.brentq(excess, low, high, xtol=1e-14, rtol=4 * np.finfo(float).eps))


@validate_params(
    {
        "sensitivity": [Interval(Real, 0, None, closed="neither")],
        "epsilon": [Interval(Real, 0, EPSILON_MAX, closed="right")],
        "delta": [Interval(Real, 0, 1, closed="neither")],
    }
)
def gaussian_mechanism_scale(sensitivity, epsilon, delta):
    """Smallest Gaussian noise standard deviation giving ``(epsilon, delta)``-DP: the analytic Gaussian mechanism.

    Parameters
    ----------
    sensitivity : float
        ``l2`` sensitivity of the released vector.
    epsilon : float in (0, 1e12]
        Privacy parameter (any positive value up to ``EPSILON_MAX``; the
        classical ``sqrt(2 log(1.25/delta)) / epsilon`` calibration only
        holds for ``epsilon <= 1`` and is never smaller).
    delta : float in (0, 1)
        Privacy parameter.

    Returns
    -------
    float
        The standard deviation ``sigma``.

    Raises
    ------
    InvalidParameterError
        If a parameter is out of range (``epsilon <= 0`` included).
    ValueError
        If ``sigma`` overflows float64 (``sensitivity`` too large for so
        small an ``epsilon``).

    Notes
    -----
    Solves ``Phi(D/(2s) - e s/D) - exp(e) Phi(-D/(2s) - e s/D) = delta`` for
    ``s`` (Balle & Wang, "Improving the Gaussian mechanism for differential
    privacy", ICML 2018, Theorem 8); the left side decreases in ``s``. It
    depends on ``s / D`` only, so it is solved for ``D = 1`` (in ``log s``)
    and scaled: ``sensitivity`` and ``epsilon`` of any magnitude work.

    Examples
    --------
    >>> from sparsekit.learn.linear_model import gaussian_mechanism_scale
    >>> round(gaussian_mechanism_scale(1.0, 1.0, 1e-5), 3)
    3.73
    """
    sigma = float(sensitivity) * _unit_scale(float(epsilon), float(delta))
    if not math.isfinite(sigma):
        raise ValueError(
            f"the noise scale for sensitivity={float(sensitivity):g} and epsilon={float(epsilon):g} overflows "
            "float64; lower sensitivity (e.g. the clip levels) or raise epsilon."
        )
    return sigma


class _Mechanism:
    """One kind of release: its noise scale and how to draw a sum of users' noise.

    ``depends_on`` names the parameters the sensitivities come from, for the
    error raised when they overflow.
    """

    def __init__(self, kind, l2_sensitivity, l1_sensitivity, epsilon, delta, *, depends_on):
        self.kind = kind
        self.epsilon, self.delta = epsilon, delta
        sensitivity = l2_sensitivity if kind == "gaussian" else l1_sensitivity
        if not math.isfinite(sensitivity):
            raise ValueError(f"the sensitivity of a release overflows float64: lower {depends_on}.")
        if kind == "gaussian":
            self.scale = l2_sensitivity * _unit_scale(epsilon, delta)
            self.std = self.scale
        else:
            self.scale = l1_sensitivity / epsilon
            self.std = math.sqrt(2.0) * self.scale
        # the estimators use the noise variance: it must be finite too
        if not math.isfinite(self.std * self.std):
            raise ValueError(f"the noise variance of a release overflows float64 at epsilon={float(epsilon):g}: "
                             f"lower {depends_on} or raise epsilon.")

    def noise_sum(self, rng, n_users, size, per_user):
        """Sum over ``n_users`` users of iid noise vectors of length ``size``."""
        if n_users == 0:
            return np.zeros(size)
        if per_user:
            total = np.zeros(size)
            batch = max(1, PER_USER_DRAW_LIMIT // 20 // max(size, 1))
            for start in range(0, n_users, batch):
                rows = min(batch, n_users - start)
                if self.kind == "gaussian":
                    total += self.scale * rng.standard_normal((rows, size)).sum(axis=0)
                else:
                    total += rng.laplace(0.0, self.scale, size=(rows, size)).sum(axis=0)
            return total
        if self.kind == "gaussian":
            return self.scale * math.sqrt(n_users) * rng.standard_normal(size)
        return self.scale * (rng.standard_gamma(n_users, size) - rng.standard_gamma(n_users, size))


class LDPAccountant:
    """Ledger of what each user has released, under basic composition.

    Users are numbered ``0 .. n_users - 1``; each release covers a contiguous
    range of users (all of them, or one round's group) and costs each of them
    ``(epsilon, delta)``. Budgets add up per user (sequential composition);
    disjoint groups do not add up (parallel composition).

    Parameters
    ----------
    epsilon : float
        Per-user budget (positive, finite).
    delta : float in [0, 1)
        Per-user budget (0 for pure LDP).

    Attributes
    ----------
    releases : list of dict
        One entry per release: ``what``, ``users`` (start, stop), ``epsilon``,
        ``delta``, ``mechanism`` and ``noise_std``.

    Examples
    --------
    >>> from sparsekit.learn.linear_model import LDPAccountant
    >>> ledger = LDPAccountant(1.0, 1e-5)
    >>> ledger.spend("x x^T", (0, 100), 0.5, 5e-6)
    >>> ledger.spend("x y", (0, 100), 0.5, 5e-6)
    >>> ledger.spent_per_user()
    (1.0, 1e-05)
    """

    _budget_constraints = {"epsilon": [Interval(Real, 0, None, closed="neither")],
                           "delta": [Interval(Real, 0, 1, closed="left")]}
    _spend_constraints = {"epsilon": [Interval(Real, 0, None, closed="left")],
                          "delta": [Interval(Real, 0, 1, closed="both")]}

    def __init__(self, epsilon, delta):
        check_params({"epsilon": epsilon, "delta": delta}, self._budget_constraints, caller="LDPAccountant")
        self.epsilon = float(epsilon)
        self.delta = float(delta)
        self.releases = []

    def spend(self, what, users, epsilon, delta, *, mechanism=None, noise_std=None):
        """Record a release by the users ``range(*users)``; refuse it if anyone would exceed the budget.

        Parameters
        ----------
        what : str
            What was released.
        users : (int, int)
            ``(start, stop)`` of the users releasing.
        epsilon, delta : float
            Cost of the release to each of them: ``epsilon >= 0`` finite,
            ``delta`` in [0, 1].
        mechanism : str, optional
            ``"gaussian"`` or ``"laplace"``.
        noise_std : float, optional
            Standard deviation of each noise entry.

        Raises
        ------
        InvalidParameterError
            If ``epsilon`` or ``delta`` is negative, NaN or infinite (a
            negative spend would give budget back).
        ValueError
            If ``users`` is not a pair of ints ``0 <= start <= stop``, or a
            user's total would exceed the budget.
        """
        check_params({"epsilon": epsilon, "delta": delta}, self._spend_constraints, caller="LDPAccountant.spend")
        start, stop = _check_users(users)
        used_eps, used_delta = self._spent_on(start, stop)
        slack = 1e-9 * max(self.epsilon, 1.0)
        if used_eps + epsilon > self.epsilon + slack or used_delta + delta > self.delta * (1 + 1e-9) + 1e-300:
            raise ValueError(
                f"release {what!r} would exceed the per-user budget (epsilon={self.epsilon:g}, delta={self.delta:g}) "
                f"of users {start}..{stop - 1}: already spent ({used_eps:g}, {used_delta:g})."
            )
        self.releases.append({"what": what, "users": (start, stop), "epsilon": float(epsilon), "delta": float(delta),
                              "mechanism": mechanism, "noise_std": noise_std})

    def _spent_on(self, start, stop):
        """Largest spend of any user in ``[start, stop)``: sweep over the release boundaries."""
        points = sorted({start, stop} | {p for r in self.releases for p in r["users"] if start <= p < stop})
        worst_eps = worst_delta = 0.0
        for left in points[:-1] if len(points) > 1 else points:
            covering = [r for r in self.releases if r["users"][0] <= left < r["users"][1]]
            worst_eps = max(worst_eps, sum(r["epsilon"] for r in covering))
            worst_delta = max(worst_delta, sum(r["delta"] for r in covering))
        return worst_eps, worst_delta

    def spent_per_user(self):
        """``(epsilon, delta)`` spent by the user who spent the most.

        Returns
        -------
        tuple of float
            The largest per-user totals.
        """
        if not self.releases:
            return 0.0, 0.0
        stop = max(r["users"][1] for r in self.releases)
        eps, delta = self._spent_on(0, stop)
        return round(eps, 12), delta



def _check_users(users):
    try:
        start, stop = users
        valid = all(isinstance(u, Integral) and not isinstance(u, bool) for u in (start, stop)) and 0 <= start <= stop
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(f"users must be a pair of ints (start, stop) with 0 <= start <= stop; got {format_value(users)}.")
    return int(start), int(stop)


def _draws_per_user(simulate, n_users, entries_per_user):
    """Whether to draw each user's noise; ``"auto"`` does while that takes at most ``PER_USER_DRAW_LIMIT`` draws."""
    if simulate == "auto":
        return n_users * entries_per_user <= PER_USER_DRAW_LIMIT
    return simulate == "per-user"


def _mechanism_delta(mechanism, delta):
    """The ``delta`` a release costs: the Gaussian mechanism's, 0 for Laplace (pure epsilon-LDP)."""
    return delta if mechanism == "gaussian" else 0.0

