"""Benchmarks of sparse PCA (truncated power method, GPower), against scikit-learn's SparsePCA.

Data: ``make_spiked_covariance(2000, 1000, 5, cardinality=20)`` (five planted 20-sparse spikes of strengths 10,
8, 6, 4, 2). Peer: ``SparsePCA(n_components=5, alpha=4, method="lars", max_iter=100, random_state=0)``, with
``alpha`` tuned once so that each component has about 20 nonzeros (alpha=3 gives 21-25, alpha=4 gives 20), and
``MiniBatchSparsePCA(batch_size=256)`` as in the SPCA-robustness paper. Quality: support F1 (components matched
by |cosine|) and the adjusted variance of the components on the centred data. The sparse case is a
``10^5 x 10^4`` CSR matrix at 0.1% density, which scikit-learn cannot take (it densifies to 8 GB).
"""

import numpy as np
from common import CompareCase, PinnedThreads, quiet
from scipy import sparse
from sklearn.decomposition import MiniBatchSparsePCA
from sklearn.decomposition import SparsePCA as SklearnSparsePCA

from sparsekit.datasets import make_spiked_covariance
from sparsekit.learn.decomposition import SparsePCA
from sparsekit.learn.decomposition._sparse_pca import adjusted_variance
from sparsekit.learn.decomposition._sparse_pca_metrics import matched_support_f1
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
        return matched_support_f1(self.V, self._model(method).components_)

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
        return matched_support_f1(V, model.components_)

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


def compare_cases(quick=False):
    """sparsekit SparsePCA vs scikit-learn's SparsePCA and MiniBatchSparsePCA."""
    if quick:
        return [_spca_case("batch", 600, 300)]
    return [_spca_case("batch"), _spca_case("minibatch")]
