"""Benchmarks of sparse PCA, supervised and masked dictionary learning, against their scikit-learn peers.

Data: ``make_spiked_covariance(2000, 1000, 5, cardinality=20)`` (five planted 20-sparse spikes of strengths 10,
8, 6, 4, 2). Peer: ``SparsePCA(n_components=5, alpha=4, method="lars", max_iter=100, random_state=0)``, with
``alpha`` tuned once so that each component has about 20 nonzeros (alpha=3 gives 21-25, alpha=4 gives 20), and
``MiniBatchSparsePCA(batch_size=256)`` as in the SPCA-robustness paper. Quality: support F1 (components matched
by |cosine|) and the adjusted variance of the components on the centred data. The sparse case is a
``10^5 x 10^4`` CSR matrix at 0.1% density, which scikit-learn cannot take (it densifies to 8 GB).

Supervised DL: ``d = 100``, ``n = 3000`` (+1500 test), ``r = 5``, labels from a low-variance topic; peers
``PCA(5) + LogisticRegression`` and ``NMF(5) + LogisticRegression``; figure: test AUC. Masked DL: the "Hiding Data
Helps" setup (``d = 100``, 200 true atoms, 5 per signal, noise ``1/sqrt(d)``, 1000 signals, the true atoms plus
signals as the start); the peer is the same learner with the reconstruction objective; figure: atom error.
"""

import numpy as np
from common import CompareCase, PinnedThreads, quiet
from scipy import sparse
from sklearn.decomposition import NMF, PCA, MiniBatchSparsePCA
from sklearn.decomposition import SparsePCA as SklearnSparsePCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline

from sparsekit.datasets import make_hidden_direction_classification, make_sparse_coding, make_spiked_covariance
from sparsekit.learn.decomposition import (
    MaskedDictionaryLearning,
    SparsePCA,
    SupervisedDictionaryLearning,
    dictionary_error,
    support_f1,
)
from sparsekit.learn.decomposition._masked_coding import over_parameterised_start
from sparsekit.learn.decomposition._sparse_pca import adjusted_variance
from sparsekit.learn.decomposition._sparse_pca_operators import CentredData

PEER_ALPHA = 4.0


def _spiked(n=2000, p=1000, seed=0):
    return make_spiked_covariance(n, p, 5, cardinality=20, random_state=seed)


def _sparse_data(seed=0):
    return sparse.random(100_000, 10_000, density=1e-3, format="csr", random_state=np.random.default_rng(seed))


def _adjusted(X, components):
    return float(adjusted_variance(CentredData(X), components / np.maximum(
        np.linalg.norm(components, axis=1, keepdims=True), 1e-300)).sum())


class SparsePCAFit(PinnedThreads):
    """The three methods on the planted-spike problem."""

    params = [["tpower", "gpower-l0", "gpower-l1"]]
    param_names = ["method"]
    timeout = 120

    def setup(self, method):
        super().setup(method)
        self.X, self.V, _ = _spiked()

    def _model(self, method):
        options = dict(cardinality=20) if method == "tpower" else dict(method=method, gamma=0.15)
        return quiet(SparsePCA(5, **options).fit, self.X)

    def time_fit(self, method):
        self._model(method)

    def peakmem_fit(self, method):
        self._model(method)

    def track_support_f1(self, method):
        return support_f1(self._model(method).components_, self.V, match_rows="cosine")

    def track_iterations(self, method):
        return self._model(method).n_iter_


class SparsePCASparseInput(PinnedThreads):
    """A 10^5 x 10^4 CSR matrix at 0.1% density, centred implicitly."""

    timeout = 300

    def setup(self):
        super().setup()
        self.X = _sparse_data()

    def time_fit(self):
        quiet(SparsePCA(5, method="gpower-l1", gamma=0.2).fit, self.X)

    def peakmem_fit(self):
        quiet(SparsePCA(5, method="gpower-l1", gamma=0.2).fit, self.X)


def _spca_case(peer_kind, n=2000, p=1000):
    X, V, _ = _spiked(n, p)

    def ours():
        return quiet(SparsePCA(5, cardinality=20).fit, X)

    if peer_kind == "batch":
        def peer():
            return quiet(SklearnSparsePCA(5, alpha=PEER_ALPHA, method="lars", max_iter=100, random_state=0).fit, X)
        name = f"sklearn SparsePCA(alpha={PEER_ALPHA:g})"
    else:
        def peer():
            return quiet(MiniBatchSparsePCA(5, alpha=PEER_ALPHA, batch_size=256, max_iter=50, random_state=0).fit, X)
        name = f"sklearn MiniBatchSparsePCA(alpha={PEER_ALPHA:g}, batch_size=256)"

    def f1(model):
        return support_f1(model.components_, V, match_rows="cosine")

    def adjusted(model):
        return _adjusted(X, model.components_)

    def quality(sk, ref):
        return f1(sk) >= f1(ref) and adjusted(sk) >= 0.995 * adjusted(ref)

    return CompareCase(
        case=f"spiked covariance {n}x{p}, 5 spikes of 20, tpower",
        sparsekit=ours,
        peer=peer,
        peer_name=name,
        quality=quality,
        metrics={"support F1": (f1, f1), "adjusted variance": (adjusted, adjusted),
                 "nonzeros": (lambda m: int(np.count_nonzero(m.components_)),
                              lambda m: int(np.count_nonzero(m.components_)))},
    )


def _supervised_problem(n=3000, d=100):
    X, y, _ = make_hidden_direction_classification(n + n // 2, d, random_state=0)
    return X[:n], y[:n], X[n:], y[n:]


class SupervisedDLFit(PinnedThreads):
    """Supervised DL (filter variant) with both solvers on the hidden-direction problem."""

    params = [["bcd", "lpgd"]]
    param_names = ["solver"]
    timeout = 300

    def setup(self, solver):
        super().setup(solver)
        self.Xtr, self.ytr, self.Xte, self.yte = _supervised_problem()

    def _model(self, solver):
        return quiet(SupervisedDictionaryLearning(5, solver=solver, random_state=0).fit, self.Xtr, self.ytr)

    def time_fit(self, solver):
        self._model(solver)

    def track_test_auc(self, solver):
        return roc_auc_score(self.yte, self._model(solver).predict_proba(self.Xte)[:, 1])

    def track_iterations(self, solver):
        return self._model(solver).n_iter_


def _supervised_case(peer_kind, tol=1e-3, n=3000, d=100):
    Xtr, ytr, Xte, yte = _supervised_problem(n, d)

    def ours():
        return quiet(SupervisedDictionaryLearning(5, tol=tol, random_state=0).fit, Xtr, ytr)

    reducer = PCA(5) if peer_kind == "pca" else NMF(5, max_iter=500, random_state=0)

    def peer():
        return quiet(make_pipeline(reducer, LogisticRegression()).fit, Xtr, ytr)

    def auc(model):
        return roc_auc_score(yte, model.predict_proba(Xte)[:, 1])

    return CompareCase(
        case=f"hidden-direction labels {n}x{d}, r=5, SupervisedDL(filter, bcd, tol={tol:g})",
        sparsekit=ours,
        peer=peer,
        peer_name=f"{type(reducer).__name__}(5) + LogisticRegression",
        quality=lambda sk, ref: auc(sk) >= auc(ref) + 0.03,
        metrics={"test AUC": (auc, auc)},
    )


def _masked_case(n_components=200, epochs=100):
    Y, A, _ = make_sparse_coding(1000, 200, 100, n_nonzero=5, dictionary="gaussian", noise_std=1 / np.sqrt(100),
                                 random_state=0)
    start = over_parameterised_start(Y, A, n_components, random_state=0)

    def run(objective):
        return quiet(MaskedDictionaryLearning(n_components, n_nonzero_coefs=5, objective=objective,
                                              max_epochs=epochs, tol=0.0, dict_init=start, random_state=0).fit, Y)

    def error(model):
        return dictionary_error(model.components_, A, method="nearest")

    return CompareCase(
        case=f"noisy sparse coding d=100, 200 true atoms, {n_components} learned, {epochs} epochs",
        sparsekit=lambda: run("mask"),
        peer=lambda: run("reconstruction"),
        peer_name="same learner, objective='reconstruction'",
        quality=lambda sk, ref: error(sk) < error(ref),
        metrics={"atom error": (error, error)},
        repeat=3,
    )


def _masked_vs_minibatch_case(n_components=200, epochs=100):
    """The notes' peer: MiniBatchDictionaryLearning(alpha=0.05, lars, OMP transform) from the same start."""
    from sklearn.decomposition import MiniBatchDictionaryLearning

    Y, A, _ = make_sparse_coding(1000, 200, 100, n_nonzero=5, dictionary="gaussian", noise_std=1 / np.sqrt(100),
                                 random_state=0)
    start = over_parameterised_start(Y, A, n_components, random_state=0)

    def error(components):
        return dictionary_error(components, A, method="nearest")

    return CompareCase(
        case=f"noisy sparse coding d=100, 200 true atoms, {n_components} learned, vs MiniBatchDictionaryLearning",
        sparsekit=lambda: quiet(MaskedDictionaryLearning(n_components, n_nonzero_coefs=5, max_epochs=epochs, tol=0.0,
                                                         dict_init=start, random_state=0).fit, Y),
        peer=lambda: quiet(MiniBatchDictionaryLearning(n_components, alpha=0.05, max_iter=epochs, batch_size=256,
                                                       dict_init=start, transform_algorithm="omp",
                                                       transform_n_nonzero_coefs=5, random_state=0).fit, Y),
        peer_name="sklearn MiniBatchDictionaryLearning(alpha=0.05)",
        quality=lambda sk, ref: error(sk.components_) < error(ref.components_),
        metrics={"atom error": (lambda m: error(m.components_), lambda m: error(m.components_))},
        peer_repeat=1,
    )


def compare_cases(quick=False):
    """SparsePCA vs scikit-learn's SparsePCA and MiniBatchSparsePCA; supervised DL vs PCA/NMF pipelines; masked DL."""
    if quick:
        return [_spca_case("batch", 600, 300), _supervised_case("pca", 1e-3, 1000, 40), _masked_case(200, 5)]
    return [_spca_case("batch"), _spca_case("minibatch"), _supervised_case("pca"), _supervised_case("nmf"),
            _supervised_case("pca", tol=1e-4), _masked_case(200), _masked_case(600), _masked_vs_minibatch_case()]
