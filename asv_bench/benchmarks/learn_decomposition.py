"""Benchmarks of orthogonal and online dictionary learning (area ``learn-decomposition``).

Data: ``sparsekit.datasets.make_sparse_coding`` with a Haar-random orthogonal dictionary, n=50 atoms, m=20 000
samples, Bernoulli(0.3)-Gaussian codes, with and without N(0, 0.1^2) noise (the issue's problem). Quality is
``dictionary_error`` (1 - ||A D0^T||_4^4 / n). Peers: scikit-learn's ``FastICA(whiten="unit-variance",
fun="logcosh", tol=1e-6)`` for the batch method, ``MiniBatchDictionaryLearning(alpha=0.1, batch_size=100,
fit_algorithm="cd")`` beside it and, through ``partial_fit``, for the online method. Sparse PCA cases live in
``learn_sparse_pca.py``.
"""

from common import CompareCase, PinnedThreads, quiet

from sparsekit._tour.learn_dictionary import complete_problem, fastica, minibatch_dl, stream_until
from sparsekit.learn.decomposition import (
    OnlineOrthogonalDictionaryLearning,
    OrthogonalDictionaryLearning,
    dictionary_error,
)


class OrthogonalDLFit(PinnedThreads):
    """The ℓp power method (p=3, and p=4: MSP) on the issue's problem, with and without noise."""

    params = ([3, 4], [0.0, 0.1])
    param_names = ["p", "noise_std"]
    timeout = 300

    def setup(self, p, noise_std):
        super().setup(p, noise_std)
        self.X, self.D, _ = complete_problem(noise_std=noise_std)

    def _model(self, p):
        return quiet(OrthogonalDictionaryLearning(p=p, random_state=0).fit, self.X)

    def time_fit(self, p, noise_std):
        self._model(p)

    def peakmem_fit(self, p, noise_std):
        self._model(p)

    def track_dictionary_error(self, p, noise_std):
        return dictionary_error(self._model(p).components_, self.D)

    def track_iterations(self, p, noise_std):
        return self._model(p).n_iter_


class OnlineDLFit(PinnedThreads):
    """One pass of online Frank–Wolfe in batches of 100 (both variants)."""

    params = ["nonconvex", "convex"]
    param_names = ["variant"]
    timeout = 300

    def setup(self, variant):
        super().setup(variant)
        self.X, self.D, _ = complete_problem()

    def _model(self, variant):
        return quiet(OnlineOrthogonalDictionaryLearning(batch_size=100, variant=variant, random_state=0).fit, self.X)

    def time_fit(self, variant):
        self._model(variant)

    def peakmem_fit(self, variant):
        self._model(variant)

    def track_dictionary_error(self, variant):
        return dictionary_error(self._model(variant).components_, self.D)


def _error(D):
    def error(model):
        return dictionary_error(model.components_, D)

    return {"dictionary error": (error, error)}


def _batch_case(quick, noise_std):
    X, D, _ = complete_problem(quick, noise_std)
    return CompareCase(
        case=f"complete DL {X.shape[1]}x{X.shape[0]}, theta=0.3, sigma={noise_std}",
        sparsekit=lambda: quiet(OrthogonalDictionaryLearning(random_state=0).fit, X),
        peer=lambda: fastica(X),
        peer_name="sklearn FastICA(logcosh, tol=1e-6)",
        quality=lambda sk, ref: dictionary_error(sk.components_, D) <= dictionary_error(ref.components_, D),
        metrics={**_error(D), "iterations": (lambda m: m.n_iter_, lambda m: m.n_iter_)},
        repeat=5,
    )


def _minibatch_case(quick):
    X, D, _ = complete_problem(quick)
    return CompareCase(
        case=f"complete DL {X.shape[1]}x{X.shape[0]}, theta=0.3, vs dictionary learning",
        sparsekit=lambda: quiet(OrthogonalDictionaryLearning(random_state=0).fit, X),
        peer=lambda: quiet(minibatch_dl(X.shape[1]).set_params(max_iter=1).fit, X),
        peer_name="sklearn MiniBatchDictionaryLearning(max_iter=1)",
        quality=lambda sk, ref: dictionary_error(sk.components_, D) < dictionary_error(ref.components_, D),
        metrics=_error(D),
        peer_repeat=1,
    )


def _online_pass_case(quick):
    X, D, _ = complete_problem(quick)

    def peer():
        model = minibatch_dl(X.shape[1])
        for start in range(0, X.shape[0], 100):
            quiet(model.partial_fit, X[start:start + 100])
        return model

    return CompareCase(
        case=f"online DL one pass {X.shape[1]}x{X.shape[0]}, batches of 100",
        sparsekit=lambda: quiet(OnlineOrthogonalDictionaryLearning(batch_size=100, random_state=0).fit, X),
        peer=peer,
        peer_name="sklearn MiniBatchDictionaryLearning.partial_fit",
        quality=lambda sk, ref: dictionary_error(sk.components_, D) < 5e-3,
        metrics=_error(D),
        peer_repeat=1,
    )


def _time_to_target_case(quick, target=1e-2):
    """Seconds of ``partial_fit`` (error evaluations excluded) to reach ``target``; the peer gets one pass."""
    X, D, _ = complete_problem(quick)

    def run(model):
        reached, best, trace = stream_until(model, X, D, target)
        return {"reached": reached, "best": best, "seconds": trace[-1][0]}

    def seconds(out):
        return out["reached"] if out["reached"] is not None else float("inf")

    return CompareCase(
        case=f"online DL time to error {target:g} ({X.shape[1]}x{X.shape[0]}, batches of 100; inf: never in a pass)",
        sparsekit=lambda: run(OnlineOrthogonalDictionaryLearning(batch_size=100, random_state=0)),
        peer=lambda: run(minibatch_dl(X.shape[1])),
        peer_name="sklearn MiniBatchDictionaryLearning.partial_fit",
        quality=lambda sk, ref: sk["reached"] is not None and seconds(ref) >= 10 * sk["reached"],
        metrics={"seconds to target": (seconds, seconds), "best error": (lambda o: o["best"], lambda o: o["best"])},
        peer_repeat=1,
    )


def compare_cases(quick=False):
    """sparsekit vs FastICA and MiniBatchDictionaryLearning on complete dictionaries, batch and online."""
    cases = [_batch_case(quick, 0.0), _batch_case(quick, 0.1), _online_pass_case(quick),
             _time_to_target_case(quick)]
    if not quick:
        cases.insert(2, _minibatch_case(quick))
    return cases
