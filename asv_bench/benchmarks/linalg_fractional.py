"""asv benchmarks and the Dinkelbach comparison of fractional coordinate descent (area ``linalg-fractional``)."""

import numpy as np
from common import CompareCase, PinnedThreads, quiet

from sparsekit._tour.linalg_fractional import lbfgs_l4, recovery_problem, timed_run
from sparsekit._tour.linalg_fractional import time_to as seconds_to_reach  # asv would time a time_* name
from sparsekit.linalg import fractional_cd, fractional_l4_cd


class SparseRecoveryRatio(PinnedThreads):
    """FCD, PCD and Dinkelbach on the 1024 x 1024 Gaussian-plus-sparse problem (k = 100, lam = 0.1 / m)."""

    params = [["fcd", "pcd", "dinkelbach"]]
    param_names = ["method"]
    timeout = 300

    def setup(self, method):
        super().setup(method)
        self.G, self.y = recovery_problem(1024, 1024)
        self.options = dict(method=method, k=100, random_state=0, tol=1e-8, maxiter=300)
        quiet(fractional_cd, self.G[:20, :30], self.y[:20], k=3, maxiter=2, method=method)

    def time_solve(self, method):
        quiet(fractional_cd, self.G, self.y, **self.options)

    def peakmem_solve(self, method):
        quiet(fractional_cd, self.G, self.y, **self.options)

    def track_ratio(self, method):
        return quiet(fractional_cd, self.G, self.y, **self.options).ratio

    def track_iterations(self, method):
        return quiet(fractional_cd, self.G, self.y, **self.options).n_iter


class L4Ratio(PinnedThreads):
    """Cyclic CD on ``||x||^2 / ||A x||_4^2`` for a Gaussian 20000 x 32 ``A``."""

    timeout = 120

    def setup(self):
        super().setup()
        self.A = np.random.default_rng(1).standard_normal((20000, 32))
        fractional_l4_cd(self.A[:20, :4], random_state=0)

    def time_solve(self):
        fractional_l4_cd(self.A, random_state=0)

    def track_ratio(self):
        return fractional_l4_cd(self.A, random_state=0).ratio


def _recovery_case(method, size, cap):
    """``method`` vs Dinkelbach (10 and 100 accelerated inner steps; the better is the peer), same start."""
    G, y = recovery_problem(size, size)
    reference = {}

    def setup():
        quiet(fractional_cd, G[:20, :30], y[:20], k=3, maxiter=2, method=method)
        finals = [quiet(timed_run, G, y, name, max_time=cap)[0].ratio for name in ("fcd", "pcd")]
        runs = {inner: quiet(timed_run, G, y, "dinkelbach", max_time=cap, inner=inner) for inner in (10, 100)}
        reference["inner"] = min(runs, key=lambda inner: runs[inner][0].ratio)
        reference["target"] = min(finals + [r.ratio for r, _ in runs.values()]) * (1 + 1e-6)

    def ours():
        return quiet(timed_run, G, y, method, max_time=cap)

    def peer():
        return quiet(timed_run, G, y, "dinkelbach", max_time=cap, inner=reference["inner"])

    def seconds_to_target(out):
        return min(seconds_to_reach(*out, reference["target"]), cap)  # a run that never gets there counts as the cap

    return CompareCase(
        case=f"{method} vs dinkelbach, Gaussian+sparse {size}x{size}, k=100 ({cap:.0f} s cap)",
        sparsekit=ours, peer=peer, peer_name="Dinkelbach (own, accelerated proximal inner)",
        quality=lambda sk, pk: sk[0].ratio <= pk[0].ratio,
        metrics={"final ratio": (lambda out: out[0].ratio, lambda out: out[0].ratio),
                 "seconds to 1e-6 of best (cap if never)": (seconds_to_target, seconds_to_target)},
        setup=setup, repeat=3, peer_repeat=1)


def _l4_case(m, n):
    A = np.random.default_rng(1).standard_normal((m, n))
    x0 = np.random.default_rng(0).standard_normal(n)
    return CompareCase(
        case=f"l4 ratio, Gaussian A {m}x{n}, same start", sparsekit=lambda: fractional_l4_cd(A, x0),
        peer=lambda: lbfgs_l4(A, x0), peer_name="scipy L-BFGS-B (analytic gradient)",
        quality=lambda sk, pk: sk.ratio <= pk.fun * (1 + 1e-6),
        metrics={"ratio": (lambda out: out.ratio, lambda out: out.fun)},
        setup=lambda: fractional_l4_cd(A[:20, :4], random_state=0))


def compare_cases(quick=False):
    """FCD and PCD vs Dinkelbach (the issue's gate), cyclic l4 CD vs L-BFGS."""
    size, cap = (256, 10.0) if quick else (1024, 60.0)
    return [_recovery_case("fcd", size, cap), _recovery_case("pcd", size, cap),
            _l4_case(*((2000, 16) if quick else (20000, 32)))]
