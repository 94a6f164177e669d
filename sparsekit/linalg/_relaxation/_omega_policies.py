"""Online policies choosing the SOR relaxation omega from iteration counts ("Learning to Relax").

Each policy is registered in :data:`OMEGA_POLICIES` and used through
:class:`~sparsekit.linalg.OmegaTuner`: ``choose(rng, context, A)`` returns an
omega, ``update(cost)`` feeds back the number of iterations it cost. The
algorithms and their constants follow the reference implementation of Khodak,
Chow, Balcan and Talwalkar (ICLR 2024); deviations are stated where made.
"""

import math
from numbers import Integral, Real

import numpy as np

from ..._core.params import Interval
from ..._core.registry import Registry
from ..._core.validation import check_vector
from ._omega_kernels import (
    box_constrained_least_squares,
    givens_append,
    min_norm_solution,
    tsallis_inf_probabilities,
)
from ._sor import young_omega

__all__ = ["OMEGA_POLICIES", "DEFAULT_OMEGAS"]

OMEGA_POLICIES = Registry("OmegaTuner(policy=...)")

#: The action grid of the reference code: 20 values from Gauss-Seidel to 1.95.
DEFAULT_OMEGAS = np.linspace(1.0, 1.95, 20)

_OMEGA_GRID = ["array-like", None]
_CONTEXT_RANGE = ["array-like", None]


def _check_omegas(omegas):
    omegas = DEFAULT_OMEGAS if omegas is None else check_vector(omegas, "omegas")
    if np.any(omegas <= 0) or np.any(omegas >= 2):
        raise ValueError(f"omegas must lie in the open interval (0, 2); got range [{omegas.min():g}, {omegas.max():g}].")
    return np.array(omegas, dtype=np.float64)


def _check_context_range(context_range):
    low, high = (float(v) for v in check_vector(context_range, "context_range", size=2))
    if not high > low:
        raise ValueError(f"context_range must be (low, high) with low < high; got ({low:g}, {high:g}).")
    return low, high


def _sample(rng, probabilities):
    """Index drawn from ``probabilities`` (one uniform draw, inverse CDF)."""
    index = int(np.searchsorted(np.cumsum(probabilities), rng.random() * probabilities.sum(), side="right"))
    return min(index, probabilities.shape[0] - 1)


class TsallisINF:
    """1/2-Tsallis-INF bandit over a grid of omegas (Zimmert and Seldin, 2021).

    Round t plays arm i with probability ``p_i = 4 / (eta_t (L_i / s - x))^2``
    (``eta_t = 2 / sqrt(t)``, ``x`` the Newton normaliser making them sum to
    one), where ``L_i`` is the importance-weighted cumulative loss
    ``sum (cost - 1) / p_i`` over the rounds arm i was played and ``s`` the
    mean cost so far minus one (costs are at least one iteration, so
    ``cost - 1`` starts the loss at zero; dividing by ``s`` puts losses on a
    unit scale without knowing the cost range in advance).
    """

    needs_context = False
    needs_matrix = False

    def __init__(self, omegas=None):
        self.omegas = _check_omegas(omegas)
        self.loss_estimates = np.zeros(self.omegas.shape[0])
        self.total_cost = 0.0
        self.n_rounds = 0
        self.probabilities = None
        self._arm = None

    def _scale(self):
        scale = self.total_cost / self.n_rounds - 1.0 if self.n_rounds else 1.0
        return scale if scale > 0 else 1.0

    def choose(self, rng, context=None, A=None):
        eta = 2.0 / math.sqrt(self.n_rounds + 1)
        self.probabilities = tsallis_inf_probabilities(self.loss_estimates / self._scale(), eta)
        self._arm = _sample(rng, self.probabilities)
        return float(self.omegas[self._arm])

    def update(self, cost):
        self.loss_estimates[self._arm] += (cost - 1.0) / self.probabilities[self._arm]
        self.total_cost += cost
        self.n_rounds += 1


class BinnedTsallisINF:
    """Contextual Tsallis-INF: the context range is cut into ``n_bins`` equal bins, one bandit each.

    A context outside ``context_range`` goes to the nearest bin (the
    reference code assigns every context to the nearest bin centre, which is
    the same thing).
    """

    needs_context = True
    needs_matrix = False

    def __init__(self, omegas=None, n_bins=5, context_range=None):
        if context_range is None:
            raise ValueError("policy 'tsallis-inf-cb' needs context_range=(low, high).")
        self.low, self.high = _check_context_range(context_range)
        self.bandits = [TsallisINF(omegas) for _ in range(n_bins)]
        self.omegas = self.bandits[0].omegas
        self._bin = None

    def choose(self, rng, context, A=None):
        position = (context - self.low) / (self.high - self.low) * len(self.bandits)
        self._bin = min(max(int(math.floor(position)), 0), len(self.bandits) - 1)
        return self.bandits[self._bin].choose(rng)

    def update(self, cost):
        self.bandits[self._bin].update(cost)


def chebyshev_features(u, n_features):
    """``T_0(u), ..., T_{n_features - 1}(u)`` by the three-term recurrence."""
    features = np.empty(n_features)
    features[0] = 1.0
    if n_features > 1:
        features[1] = u
    for k in range(2, n_features):
        features[k] = 2.0 * u * features[k - 1] - features[k - 2]
    return features


class ChebCB:
    """Contextual bandit regressing each omega's cost on Chebyshev features of the context.

    Each arm keeps a least-squares fit of its normalised cost
    ``(cost - 1) / s`` on ``T_0..T_{m-1}`` of the context mapped to [-1, 1]
    (a context outside ``context_range`` is taken as the nearest end);
    arms are played by inverse-gap weighting (Foster and Rakhlin's SquareCB):
    ``p_i = 1 / (d + eta (yhat_i - yhat*))`` for every arm but the predicted
    best, which takes the remaining mass.

    The normalisation, the coefficient bounds and the learning-rate schedule
    are those of the reference code: with ``K`` the largest cost so far,
    ``Lip = (max - min cost) / width`` a Lipschitz estimate and
    ``N = 2 + 4 width Lip / K (1 + log m)``, the scale is ``s = K N``; the
    minimum-norm least-squares fit is kept unless a coefficient exceeds its
    bound (``1 / N`` for ``T_0``, ``2 width Lip / s / j`` for ``T_j``: the
    Chebyshev coefficients of a Lipschitz function decay like ``1/j``), in
    which case the bounded least-squares problem is solved (by a small
    active-set method, warm-started from the previous fit); and
    ``eta = 2 t sqrt(d t / (R - res + 2 alpha^2 t))``, with ``R`` the squared
    error of the past predictions, ``res`` the residual of the last bounded
    fit and ``alpha`` the Chebyshev approximation error bound
    ``(pi + 2 / pi log(2 m + 1)) / (2 s (m + 1)) width Lip``. Each arm's
    rounds are kept as a triangular least-squares factor updated by Givens
    rotations, so an update costs O(m^2) instead of a refit of all past
    rounds, with the conditioning of the data rather than of its Gram matrix.
    """

    needs_context = True
    needs_matrix = False

    def __init__(self, omegas=None, n_features=6, context_range=None):
        if context_range is None:
            raise ValueError("policy 'chebcb' needs context_range=(low, high).")
        self.low, self.high = _check_context_range(context_range)
        self.omegas = _check_omegas(omegas)
        self.n_features = n_features
        d, m = self.omegas.shape[0], n_features
        self.theta = np.zeros((d, m))
        # Per arm, its rounds' least-squares problem as ||R theta - z|| (R'R = F'F, R'z = F'(cost - 1)),
        # kept by Givens rotations, and sum (cost - 1)^2.
        self.factor = np.zeros((d, m, m))
        self.rotated = np.zeros((d, m))
        self.square = np.zeros(d)
        self.plays = np.zeros(d, dtype=np.int64)
        # Running sums for the squared error of past predictions, sum (pred - cost / s)^2, whatever s.
        self.n_rounds = 0
        self.cost_range = (math.inf, -math.inf)
        self.sums = np.zeros(3)  # sum pred^2, sum pred * cost, sum cost^2
        self.eta = 0.0
        self.scale = 0.0
        self._arm = None
        self._features = None

    def choose(self, rng, context, A=None):
        width = self.high - self.low
        # A context outside context_range counts as the nearest end (Chebyshev polynomials grow without bound
        # outside [-1, 1]: a context of 1e300 would make every prediction infinite).
        mapped = min(max(2.0 * (context - self.low) / width - 1.0, -1.0), 1.0)
        self._features = chebyshev_features(mapped, self.n_features)
        predictions = self.theta @ self._features
        best = int(np.argmin(predictions))
        d = predictions.shape[0]
        probabilities = 1.0 / (d + self.eta * (predictions - predictions[best]))
        probabilities[best] = 0.0
        probabilities[best] = max(1.0 - probabilities.sum(), 0.0)
        self._arm = _sample(rng, probabilities)
        self._predicted = float(predictions[self._arm])
        return float(self.omegas[self._arm])

    def update(self, cost):
        arm, f = self._arm, self._features
        givens_append(self.factor[arm], self.rotated[arm], f, cost - 1.0)
        self.square[arm] += (cost - 1.0) ** 2
        self.plays[arm] += 1
        self.n_rounds += 1
        self.cost_range = (min(self.cost_range[0], cost), max(self.cost_range[1], cost))
        self.sums += (self._predicted**2, self._predicted * cost, cost**2)
        width, m, d = self.high - self.low, self.n_features, self.omegas.shape[0]
        smallest, largest = self.cost_range
        # Costs can all be 0 (systems solved by their initial guess): the scale must stay positive.
        largest = largest if largest > 0 else 1.0
        lipschitz = (largest - smallest) / width
        n_scale = 2.0 + 4.0 * width * lipschitz / largest * (1.0 + math.log(m))
        scale_changed = self.scale != largest * n_scale
        self.scale = largest * n_scale
        bounds = np.concatenate(([1.0 / n_scale], 2.0 * width * lipschitz / self.scale / np.arange(1, m)))
        residual = 0.0
        for i in range(d) if scale_changed else (arm,):
            if not self.plays[i]:
                continue
            theta = min_norm_solution(self.factor[i], self.rotated[i] / self.scale)
            if np.any(np.abs(theta) > bounds):
                theta, residual = self._bounded_fit(i, bounds)
            self.theta[i] = theta
        alpha = (math.pi + 2.0 / math.pi * math.log(2.0 * m + 1.0)) / (2.0 * self.scale * (m + 1)) * width * lipschitz
        t = self.n_rounds
        pred2, pred_cost, cost2 = self.sums
        errors = pred2 - 2.0 * pred_cost / self.scale + cost2 / self.scale**2
        # A non-positive denominator (fits better than the bound allows) means full exploitation.
        denominator = max(errors - residual + 2.0 * alpha**2 * t, 1e-300)
        self.eta = 2.0 * t * math.sqrt(d * t / denominator)

    def _bounded_fit(self, arm, bounds):
        """Least squares on arm ``arm``'s rounds with ``|theta_j| <= bounds_j``; returns ``(theta, residual)``.

        Warm-started from the arm's previous fit; ``residual`` is the sum of
        squares ``||F theta - y||^2`` (the part of ``y`` outside the range of
        ``F`` included).
        """
        factor, rotated = self.factor[arm], self.rotated[arm] / self.scale
        theta = box_constrained_least_squares(factor, rotated, bounds, self.theta[arm])
        outside = self.square[arm] / self.scale**2 - rotated @ rotated
        residual = np.sum((factor @ theta - rotated) ** 2) + outside
        return theta, max(float(residual), 0.0)


class FixedOmega:
    """Baseline: the same omega for every system."""

    needs_context = False
    needs_matrix = False

    def __init__(self, omega=1.0):
        self.omega = float(omega)

    def choose(self, rng, context=None, A=None):
        return self.omega

    def update(self, cost):
        pass


class InstanceOptimalOmega:
    """Baseline: Young's omega of each system's matrix (needs its Jacobi spectral radius)."""

    needs_context = False
    needs_matrix = True

    def choose(self, rng, context=None, A=None):
        return young_omega(A)

    def update(self, cost):
        pass


OMEGA_POLICIES.register("tsallis-inf", TsallisINF, constraints={"omegas": _OMEGA_GRID})
OMEGA_POLICIES.register(
    "tsallis-inf-cb",
    BinnedTsallisINF,
    constraints={"omegas": _OMEGA_GRID, "n_bins": [Interval(Integral, 1, None, closed="left")],
                 "context_range": _CONTEXT_RANGE},
)
OMEGA_POLICIES.register(
    "chebcb",
    ChebCB,
    constraints={"omegas": _OMEGA_GRID, "n_features": [Interval(Integral, 1, None, closed="left")],
                 "context_range": _CONTEXT_RANGE},
)
OMEGA_POLICIES.register("fixed", FixedOmega, constraints={"omega": [Interval(Real, 0, 2, closed="neither")]})
OMEGA_POLICIES.register("instance-optimal", InstanceOptimalOmega)
