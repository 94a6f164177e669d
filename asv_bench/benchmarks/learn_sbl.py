"""Benchmarks of sparse Bayesian learning: EM, MacKay and GGAMP-SBL, and KroSBL.

The peer is scikit-learn's ``ARDRegression(fit_intercept=False)``, which spends
each iteration in an eigendecomposition-based pseudo-inverse; it is timed once
per size (``peer_repeat=1``: minutes at ``1000 x 2000``). Data: ``A`` with iid
``N(0, 1/n)`` entries (or ill-conditioned / column-correlated), ``k = 5%`` of
``n`` Gaussian nonzeros, SNR 20 dB (``sparsekit.datasets.make_sparse_regression``).
KroSBL is compared with unstructured SBL on the full Kronecker matrix (no
other peer handles ``10^4`` columns).
"""

import numpy as np
from common import CompareCase, PinnedThreads, quiet
from sklearn.linear_model import ARDRegression

from sparsekit._tour.learn_sbl import nmse_db
from sparsekit.datasets import make_kronecker_regression, make_sparse_regression
from sparsekit.learn.linear_model import KroneckerSBL, SparseBayesianRegression

KRONECKER_SHAPES = [(10, 22)] * 3
KRONECKER_SUPPORT = [3, 3, 3]


def _problem(n, d, design="gaussian", seed=0):
    return make_sparse_regression(n, d, max(1, n // 20), design=design, snr_db=20.0, random_state=seed)


def _kronecker_problem(seed=0):
    factors, y, coef, _ = make_kronecker_regression(KRONECKER_SHAPES, KRONECKER_SUPPORT, snr_db=20.0,
                                                    random_state=seed)
    full = np.ones((1, 1))
    for A in factors:
        full = np.kron(full, A)
    return factors, full, y, coef


def _fit(estimator, X, y):
    return quiet(estimator.fit, X, y)


def _nmse_metrics(coef):
    """NMSE of a fitted model's ``coef_`` against ``coef``, linear and in dB, for both sides of a case."""

    def linear(model):
        return 10 ** (nmse_db(model.coef_, coef) / 10)

    def decibels(model):
        return nmse_db(model.coef_, coef)

    return {"NMSE (linear)": (linear, linear), "NMSE [dB]": (decibels, decibels)}


class SBLFit(PinnedThreads):
    """The three solvers of SparseBayesianRegression on iid and ill-conditioned designs."""

    params = (["em", "mackay", "gamp"], ["gaussian", "ill-conditioned"])
    param_names = ["solver", "design"]
    timeout = 300

    def setup(self, solver, design):
        super().setup(solver, design)
        self.X, self.y, self.coef, _ = _problem(500, 1000, design)

    def _model(self, solver):
        return _fit(SparseBayesianRegression(solver=solver, fit_intercept=False), self.X, self.y)

    def time_fit(self, solver, design):
        self._model(solver)

    def peakmem_fit(self, solver, design):
        self._model(solver)

    def track_nmse_db(self, solver, design):
        return nmse_db(self._model(solver).coef_, self.coef)

    def track_iterations(self, solver, design):
        return self._model(solver).n_iter_


class KroneckerFit(PinnedThreads):
    """KroSBL (SVD and AM M-steps) on a 3-factor problem with 10648 columns."""

    params = ["svd", "am"]
    param_names = ["solver"]
    timeout = 300

    def setup(self, solver):
        super().setup(solver)
        self.factors, _, self.y, self.coef = _kronecker_problem()

    def time_fit(self, solver):
        _fit(KroneckerSBL(solver=solver), self.factors, self.y)

    def peakmem_fit(self, solver):
        _fit(KroneckerSBL(solver=solver), self.factors, self.y)

    def track_nmse_db(self, solver):
        return nmse_db(_fit(KroneckerSBL(solver=solver), self.factors, self.y).coef_, self.coef)


def _sbl_case(n, d, design, solver, margin_db=0.5):
    """``quality``: NMSE within ``margin_db`` of ARD's (0.5 dB is the bar on iid designs; on the hard
    designs, where the bar is that GGAMP-SBL does not diverge, a 3 dB margin flags a failed fit)."""
    X, y, coef, _ = _problem(n, d, design)

    def ours():
        return _fit(SparseBayesianRegression(solver=solver, fit_intercept=False), X, y)

    def peer():
        return _fit(ARDRegression(fit_intercept=False), X, y)

    def within_margin(sk, ref):
        return bool(np.isfinite(sk.coef_).all()) and nmse_db(sk.coef_, coef) <= nmse_db(ref.coef_, coef) + margin_db

    return CompareCase(
        case=f"{design} A {n}x{d}, k={n // 20}, 20 dB, SBL {solver}",
        sparsekit=ours,
        peer=peer,
        peer_name="sklearn ARDRegression",
        quality=within_margin,
        metrics={
            **_nmse_metrics(coef),
            "iterations": (lambda m: m.n_iter_, lambda m: m.n_iter_),
            "features kept": (lambda m: np.count_nonzero(m.coef_), lambda m: np.count_nonzero(m.coef_)),
        },
        peer_repeat=1,
    )


def _kronecker_case():
    factors, full, y, coef = _kronecker_problem()

    def structured():
        return _fit(KroneckerSBL(), factors, y)

    def unstructured():
        return _fit(SparseBayesianRegression(fit_intercept=False), full, y)

    return CompareCase(
        case=f"Kronecker {KRONECKER_SHAPES} ({full.shape[0]}x{full.shape[1]}), k={np.prod(KRONECKER_SUPPORT)}, 20 dB",
        sparsekit=structured,
        peer=unstructured,
        peer_name="sparsekit SBL (EM) on the full matrix",
        quality=lambda sk, ref: nmse_db(sk.coef_, coef) < nmse_db(ref.coef_, coef),
        metrics=_nmse_metrics(coef),
    )


def compare_cases(quick=False):
    """sparsekit SBL vs ARDRegression (iid and hard designs), and KroSBL vs unstructured SBL."""
    if quick:
        return [_sbl_case(200, 400, "gaussian", "em"),
                _sbl_case(200, 400, "ill-conditioned", "gamp", margin_db=3.0)]
    return [
        *(_sbl_case(n, d, "gaussian", solver) for n, d in [(500, 1000), (1000, 2000)]
          for solver in ("em", "mackay", "gamp")),
        _sbl_case(500, 1000, "ill-conditioned", "gamp", margin_db=3.0),
        _sbl_case(500, 1000, "correlated", "gamp", margin_db=3.0),
        _kronecker_case(),
    ]
