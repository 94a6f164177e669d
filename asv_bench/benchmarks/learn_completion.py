"""Benchmarks of matrix completion: AltMin (exact / CG / sketch row solves) vs a soft-impute baseline.

fancyimpute raises under scikit-learn >= 1.8, so the peer is our own
``soft_impute`` (``sparsekit/_tour/learn_completion.py``), fancyimpute's
``SoftImpute(max_rank=10)`` algorithm. Data: the issue's synthetic problem,
2000 x 1500, rank 10, 5% observed, noise 0.1 (held-out relative RMSE on
unobserved entries); and MovieLens-100k (90/10 split, seed 0, from the
installed recbole wheel), whose peer figure is ``surprise.SVD()``'s 0.933 from
the notes (surprise does not build here).
"""

import importlib.util

import numpy as np
from common import CompareCase, PinnedThreads, quiet

from sparsekit._tour.learn_completion import movielens_split, relative_rmse, soft_impute, synthetic_problem
from sparsekit.learn.decomposition import AltMinCompletion


def _fit(M, **options):
    return quiet(AltMinCompletion(**options).fit, M)


class AltMinSynthetic(PinnedThreads):
    """AltMinCompletion on the issue's synthetic problem, the three row solvers."""

    params = ["exact", "cg", "sketch"]
    param_names = ["solver"]
    timeout = 300

    def setup(self, solver):
        super().setup(solver)
        self.M, rows, cols, self.truth = synthetic_problem()
        self.pairs = np.column_stack([rows, cols])
        _fit(self.M, rank=10, solver=solver, max_iter=1, random_state=0)  # compile

    def time_fit(self, solver):
        _fit(self.M, rank=10, solver=solver, random_state=0)

    def peakmem_fit(self, solver):
        _fit(self.M, rank=10, solver=solver, random_state=0)

    def track_relative_rmse(self, solver):
        return relative_rmse(_fit(self.M, rank=10, solver=solver, random_state=0).predict(self.pairs), self.truth)

    def track_iterations(self, solver):
        return _fit(self.M, rank=10, solver=solver, random_state=0).n_iter_


class AltMinMovieLens(PinnedThreads):
    """Biased AltMin (rank 10, ridge 10) on MovieLens-100k."""

    timeout = 120

    def setup(self):
        super().setup()
        if importlib.util.find_spec("recbole") is None:
            raise NotImplementedError("recbole (which ships MovieLens-100k) is not installed")
        self.M, self.pairs, self.test = movielens_split()

    def time_fit(self):
        _fit(self.M, rank=10, ridge=10.0, bias=True, random_state=0)

    def track_test_rmse(self):
        model = _fit(self.M, rank=10, ridge=10.0, bias=True, random_state=0)
        return float(np.sqrt(np.mean((np.clip(model.predict(self.pairs), 1, 5) - self.test) ** 2)))


def _synthetic_case(n, m, observed, solver="exact"):
    M, rows, cols, truth = synthetic_problem(n, m, observed=observed)
    pairs = np.column_stack([rows, cols])

    def ours():
        return _fit(M, rank=10, solver=solver, random_state=0)

    def peer():
        return soft_impute(M, 10)

    def ours_error(model):
        return relative_rmse(model.predict(pairs), truth)

    def peer_error(out):
        return relative_rmse(out[0][rows, cols], truth)

    return CompareCase(
        case=f"{n}x{m}, rank 10, {observed:.0%} observed, noise 0.1, AltMin {solver}",
        sparsekit=ours,
        peer=peer,
        peer_name="soft-impute(max_rank=10), own baseline",
        quality=lambda model, out: ours_error(model) <= peer_error(out),
        metrics={"held-out relRMSE": (ours_error, peer_error),
                 "iterations": (lambda model: model.n_iter_, lambda out: out[1])},
        setup=lambda: _fit(M, rank=10, solver=solver, max_iter=1, random_state=0),
        peer_repeat=3,
    )


def _movielens_case():
    M, pairs, test = movielens_split()

    def ours():
        return _fit(M, rank=10, ridge=10.0, bias=True, random_state=0)

    def rmse(model):
        return float(np.sqrt(np.mean((np.clip(model.predict(pairs), 1, 5) - test) ** 2)))

    return CompareCase(
        case="MovieLens-100k 90/10 seed 0, AltMin rank 10, ridge 10, biases",
        sparsekit=ours,
        peer=None,
        peer_name="surprise.SVD() 0.933 (notes; surprise does not build)",
        quality=lambda model, _: rmse(model) <= 0.933,
        metrics={"test RMSE": (rmse, None), "iterations": (lambda model: model.n_iter_, None)},
    )


def compare_cases(quick=False):
    """AltMin vs soft-impute on the issue's synthetic problem; MovieLens-100k against the notes' surprise figure."""
    if quick:
        return [_synthetic_case(600, 450, 0.1)]
    cases = [_synthetic_case(2000, 1500, 0.05, solver) for solver in ("exact", "cg", "sketch")]
    if importlib.util.find_spec("recbole") is not None:
        cases.append(_movielens_case())
    return cases
