"""Benchmarks of locally private sparse regression (NLDP closed form, public-X variant, LDP-IHT).

No local-DP peer is installable here (diffprivlib is central DP and does not
import with scikit-learn 1.9), so the comparison is with the accuracy ceiling:
non-private ``LassoCV`` on the same users' raw data; ``quality`` asks the
private estimate to beat the trivial ``w = 0`` (error ``||w*|| = 1``). The
error-vs-``n`` and error-vs-``epsilon`` slopes are measured by
``sparsekit._tour.learn_ldp.ldp_error_curves`` (``python -m
sparsekit tour --area learn.ldp``). Data: ``x ~ N(0, I_5)``, ``w*`` 2-sparse with
entries ``+-1/sqrt(2)``, noise std 0.5.
"""

import numpy as np
from common import CompareCase, PinnedThreads
from sklearn.linear_model import LassoCV

from sparsekit._tour.learn_ldp import sparse_ldp_problem
from sparsekit.learn.linear_model import LDPSparseRegression

D, K = 5, 2


def _users(n, seed=0):
    coef, draw = sparse_ldp_problem(D, K, random_state=seed)
    X, y = draw(np.random.default_rng(seed + 1), n)
    return X, y, coef


def _public_X():
    """The public covariates of the ``public-X`` variant: 10^5 draws of ``N(0, I_D)``."""
    return np.random.default_rng(7).standard_normal((10**5, D))


def _model(variant, epsilon, public_X):
    if variant == "interactive":
        return LDPSparseRegression(epsilon=epsilon, protocol="interactive", k=K, random_state=0)
    return LDPSparseRegression(epsilon=epsilon, k=K, public_X=public_X if variant == "public-X" else None,
                               random_state=0)


class LDPFit(PinnedThreads):
    """Fit time and error of the three protocols."""

    params = (["nldp", "public-X", "interactive"], [10**5, 10**6])
    param_names = ["variant", "n"]
    timeout = 300

    def setup(self, variant, n):
        super().setup(variant, n)
        self.X, self.y, self.coef = _users(n)
        self.public_X = _public_X()

    def time_fit(self, variant, n):
        _model(variant, 4.0, self.public_X).fit(self.X, self.y)

    def peakmem_fit(self, variant, n):
        _model(variant, 4.0, self.public_X).fit(self.X, self.y)

    def track_error(self, variant, n):
        return float(np.linalg.norm(_model(variant, 4.0, self.public_X).fit(self.X, self.y).coef_ - self.coef))


def _case(variant, n, epsilon):
    X, y, coef = _users(n)
    public_X = _public_X()

    def error(model):
        return float(np.linalg.norm(model.coef_ - coef))

    return CompareCase(
        case=f"{variant}, d={D}, k={K}, n={n:.0e}, eps={epsilon:g}",
        sparsekit=lambda: _model(variant, epsilon, public_X).fit(X, y),
        peer=lambda: LassoCV(cv=3).fit(X, y),
        peer_name="sklearn LassoCV (non-private)",
        quality=lambda sk, ref: error(sk) < 1.0,
        metrics={"||w - w*||": (error, error)},
    )


def compare_cases(quick=False):
    """Private estimators vs the non-private LassoCV ceiling; quality: better than ``w = 0``."""
    n = 10**5 if quick else 10**6
    variants = ["public-X"] if quick else ["nldp", "public-X", "interactive"]
    return [_case(variant, n, 8.0 if variant == "interactive" else 4.0) for variant in variants]
