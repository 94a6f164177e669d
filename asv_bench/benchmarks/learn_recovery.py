"""Benchmarks of greedy sparse recovery: loss-based OMP.

Peers: scikit-learn's ``OrthogonalMatchingPursuit`` told the true sparsity (the
noise-blind square-root OMP must match its error without knowing it), and
``QuantileRegressor`` (LAD-LASSO by HiGHS, at the notes' best ``alpha=3e-3``)
on measurements with 8 of 150 rows corrupted. Data: the notes' compressed
sensing problem (``sparsekit._tour.learn_recovery.compressed_sensing``).
"""

import numpy as np
from common import CompareCase, PinnedThreads, quiet

from sparsekit._tour.learn_recovery import compressed_sensing, oracle_omp, quantile_regressor, relative_error
from sparsekit.learn.linear_model import loss_omp

S = 15


class LossOMPFit(PinnedThreads):
    """loss_omp with each loss on its problem: clean (squared, sqrt-lasso) or corrupted (lad)."""

    params = ["squared", "sqrt-lasso", "lad"]
    param_names = ["loss"]

    def setup(self, loss):
        super().setup(loss)
        self.A, self.y, self.x = compressed_sensing(0, noise=0.1, outliers=8 if loss == "lad" else 0)
        self.options = dict(loss=loss, n_nonzero_coefs=None if loss == "sqrt-lasso" else S)

    def _run(self):
        return quiet(loss_omp, self.A, self.y, **self.options)

    def time_fit(self, loss):
        self._run()

    def peakmem_fit(self, loss):
        self._run()

    def track_relative_error(self, loss):
        return relative_error(self._run().x, self.x)


def _sqrt_case(noise, seed=0):
    A, y, x = compressed_sensing(seed, noise=noise)
    return CompareCase(
        case=f"CS 150x500, s={S}, noise {noise:.0%}: noise-blind sqrt-lasso OMP",
        sparsekit=lambda: loss_omp(A, y, loss="sqrt-lasso").x,
        peer=lambda: oracle_omp(A, y, S),
        peer_name="sklearn OMP(n_nonzero_coefs=s)",
        quality=lambda ours, peer: relative_error(ours, x) <= 1.1 * relative_error(peer, x),
        metrics={"relative error": (lambda z: relative_error(z, x), lambda z: relative_error(z, x))},
        repeat=5,
    )


def _lad_case(seed=0):
    A, y, x = compressed_sensing(seed, outliers=8)
    return CompareCase(
        case=f"CS 150x500, s={S}, 1% noise, 8/150 rows corrupted: LAD-OMP (k=s)",
        sparsekit=lambda: loss_omp(A, y, loss="lad", n_nonzero_coefs=S).x,
        peer=lambda: quantile_regressor(A, y),
        peer_name="sklearn QuantileRegressor(alpha=3e-3, highs)",
        quality=lambda ours, peer: relative_error(ours, x) <= min(0.01, relative_error(peer, x)),
        metrics={"relative error": (lambda z: relative_error(z, x), lambda z: relative_error(z, x)),
                 "nonzeros": (lambda z: int(np.count_nonzero(z)), lambda z: int(np.count_nonzero(np.abs(z) > 1e-8)))},
        setup=lambda: loss_omp(A, y, loss="lad", n_nonzero_coefs=2),
        repeat=5,
    )


def compare_cases(quick=False):
    """Noise-blind sqrt-lasso OMP vs oracle OMP (1% and 10% noise); LAD-OMP vs QuantileRegressor."""
    if quick:
        return [_sqrt_case(0.1), _lad_case()]
    return [_sqrt_case(0.01), _sqrt_case(0.1), _lad_case(), _lad_case(seed=3)]
