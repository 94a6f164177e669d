"""Benchmarks of MCP/SCAD regression by accelerated gradient (``nonconvex_regression``).

Data: the calibrated setting of the notes, Toeplitz design with correlation 0.9, ``n = 500``, ``p = 2000``,
20 coefficients in ``[1, 2]``, unit noise, ``alpha = sqrt(2 log p / n)``; MCP ``gamma = 3``, SCAD ``a = 3.7``.
Peer: skglm's ``GeneralizedLinearEstimator(Quadratic(), MCPenalty | SCAD, AndersonCD(tol=1e-8))``; the quality
check is that ours reaches an objective no higher than skglm's.
"""

import numpy as np
from common import CompareCase, PinnedThreads, quiet

from sparsekit._tour.learn_nonconvex import correlated_regression, objective, skglm_fit
from sparsekit.learn.linear_model import nonconvex_regression

GAMMA = {"mcp": 3.0, "scad": 3.7}


class NonconvexFit(PinnedThreads):
    """AG and proximal gradient on MCP and SCAD at correlation 0.9."""

    params = (["mcp", "scad"], ["ag", "pg"])
    param_names = ["penalty", "method"]
    timeout = 300

    def setup(self, penalty, method):
        super().setup(penalty, method)
        self.X, self.y, self.coef, self.alpha = correlated_regression()

    def _run(self, penalty, method):
        return quiet(nonconvex_regression, self.X, self.y, penalty=penalty, alpha=self.alpha, gamma=GAMMA[penalty],
                     method=method, max_iter=20000)

    def time_fit(self, penalty, method):
        self._run(penalty, method)

    def peakmem_fit(self, penalty, method):
        self._run(penalty, method)

    def track_iterations(self, penalty, method):
        return self._run(penalty, method).n_iter

    def track_relative_error(self, penalty, method):
        return float(np.linalg.norm(self._run(penalty, method).x - self.coef) / np.linalg.norm(self.coef))


def _case(penalty, seed, n=500, p=2000):
    X, y, coef, alpha = correlated_regression(n, p, 20 if p >= 2000 else 10, seed=seed)
    gamma = GAMMA[penalty]

    def ours():
        return quiet(nonconvex_regression, X, y, penalty=penalty, alpha=alpha, gamma=gamma).x

    try:
        import skglm  # noqa: F401
    except ImportError:
        peer = None
    else:
        def peer():
            return quiet(skglm_fit, X, y, alpha, gamma, penalty)

    def obj(b):
        return objective(X, y, b, alpha, gamma, penalty)

    def relerr(b):
        return float(np.linalg.norm(b - coef) / np.linalg.norm(coef))

    return CompareCase(
        case=f"{penalty.upper()} Toeplitz 0.9 {n}x{p}, seed {seed}",
        sparsekit=ours, peer=peer, peer_name="skglm AndersonCD",
        quality=lambda sk, ref: obj(sk) <= obj(ref) + 1e-9,
        metrics={"objective": (obj, obj), "relative error": (relerr, relerr)},
        setup=lambda: (ours(), peer() if peer is not None else None),
    )


def compare_cases(quick=False):
    """MCP and SCAD against skglm at correlation 0.9, six seeds (one in ``--quick``, smaller)."""
    if quick:
        return [_case("mcp", 0, 200, 500)]
    return [_case(penalty, seed) for penalty in ("mcp", "scad") for seed in range(6)]
