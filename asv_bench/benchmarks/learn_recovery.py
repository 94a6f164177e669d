"""Benchmarks of sparse recovery: loss-based OMP and sparse phase retrieval.

Peers: scikit-learn's ``OrthogonalMatchingPursuit`` told the true sparsity (the
noise-blind square-root OMP must match its error without knowing it), and
``QuantileRegressor`` (LAD-LASSO by HiGHS, at the notes' best ``alpha=3e-3``)
on measurements with 8 of 150 rows corrupted. Data: the notes' compressed
sensing problem (``sparsekit._tour.learn_recovery.compressed_sensing``).

Phase retrieval has no peer package: Newton hard thresholding is compared with
our SPARTA (``method="sparta"``) on the notes' grid (n=1000, s=10, m = 600,
1000, 2000, 20 noiseless trials each; success = distance up to sign < 1e-10).
"""

import numpy as np
from common import CompareCase, PinnedThreads, quiet

from sparsekit._tour.learn_recovery import (
    compressed_sensing,
    oracle_omp,
    phaseless,
    quantile_regressor,
    relative_error,
    sign_distance,
)
from sparsekit.learn.linear_model import loss_omp, sparse_phase_retrieval

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


class PhaseRetrieval(PinnedThreads):
    """Newton-HT and SPARTA at m=1000 (n=1000, s=10, noiseless)."""

    params = ["newton-ht", "sparta"]
    param_names = ["method"]

    def setup(self, method):
        super().setup(method)
        self.A, self.y, self.x = phaseless(0, 1000)

    def _run(self, method):
        return quiet(sparse_phase_retrieval, self.A, self.y, 10, method=method, maxiter=500)

    def time_solve(self, method):
        self._run(method)

    def peakmem_solve(self, method):
        self._run(method)

    def track_iterations(self, method):
        return self._run(method).n_iter


def _phase_case(m, trials=20, noise=0.0):
    problems = []  # built in setup, so that the cases do not all hold their matrices at once

    def build():
        problems[:] = [phaseless(seed, m, noise=noise) for seed in range(trials)]

    threshold = 1e-10 if noise == 0.0 else 3.0 * noise

    def run(method):
        return [sparse_phase_retrieval(A, y, 10, method=method, maxiter=500, rtol=1e-10 if noise == 0.0 else 1e-6)
                for A, y, _ in problems]

    def success(results):
        return float(np.mean([sign_distance(r.x, x) < threshold for r, (_, _, x) in zip(results, problems)]))

    def iterations(results):
        return float(np.median([r.n_iter for r in results]))

    return CompareCase(
        case=f"phase retrieval n=1000, s=10, m={m}, noise {noise:.0%}, {trials} trials",
        sparsekit=lambda: run("newton-ht"),
        peer=lambda: run("sparta"),
        peer_name="SPARTA (sparsekit, method='sparta')",
        # the gate: success rate at least SPARTA's (iterations and time are reported beside it)
        quality=lambda ours, peer: success(ours) >= success(peer),
        metrics={"success rate": (success, success), "median iterations": (iterations, iterations)},
        setup=build,
    )


def compare_cases(quick=False):
    """Noise-blind sqrt-lasso OMP vs oracle OMP (1% and 10% noise); LAD-OMP vs QuantileRegressor; phase
    retrieval by Newton-HT vs SPARTA on the notes' grid."""
    if quick:
        return [_sqrt_case(0.1), _lad_case(), _phase_case(600, trials=4)]
    return [_sqrt_case(0.01), _sqrt_case(0.1), _lad_case(), _lad_case(seed=3),
            *(_phase_case(m) for m in (600, 1000, 2000)), *(_phase_case(m, trials=10, noise=0.01) for m in (600, 1000, 2000))]
