"""Tour rows for sparse PCA, supervised and masked dictionary learning, each against its scikit-learn peer."""

import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit.datasets import make_hidden_direction_classification, make_sparse_coding, make_spiked_covariance
from sparsekit.learn.decomposition import (
    MaskedDictionaryLearning,
    SparsePCA,
    SupervisedDictionaryLearning,
    dictionary_error,
    support_f1,
)
from sparsekit.learn.decomposition._masked_coding import over_parameterised_start

from ._case import TourRow, tour_case

# scikit-learn's SparsePCA penalty tuned once so that each component has about 20 nonzeros on the spiked data.
PEER_ALPHA = 4.0


@tour_case("learn.decomposition", "SparsePCA (truncated power) vs sklearn SparsePCA on planted sparse spikes")
def tour_sparse_pca(ctx):
    with threadpool_limits(1):
        return _sparse_pca_rows(ctx)


def _sparse_pca_rows(ctx):
    n, p = (600, 300) if ctx.quick else (2000, 1000)
    X, V, _ = make_spiked_covariance(n, p, 5, cardinality=20, random_state=0)
    model, seconds = ctx.timed(SparsePCA(5, cardinality=20).fit, X)
    peer, peer_seconds = None, None
    if ctx.has("sklearn"):
        from sklearn.decomposition import SparsePCA as SklearnSparsePCA

        peer, peer_seconds = ctx.timed(SklearnSparsePCA(5, alpha=PEER_ALPHA, max_iter=100, random_state=0).fit, X)
    with ctx.figure("learn_sparse_pca_loadings", nrows=1, ncols=2, figsize=(10, 3)) as (fig, axes):
        if fig is not None:
            for ax, loadings, title in [(axes[0], V, "planted spikes"), (axes[1], model.components_, "SparsePCA")]:
                shown = np.argsort(-np.abs(V).max(axis=0))[:120]
                ax.imshow(np.abs(loadings[:, np.sort(shown)]), aspect="auto", cmap="viridis")
                ax.set_title(f"|loadings| ({title})")
                ax.set_xlabel("feature (the 120 of largest planted loading)")
                ax.set_ylabel("component")
    return [TourRow(problem="spiked covariance, 5 spikes of 20", method="SparsePCA(tpower)", size=f"{n}x{p}",
                    seconds=seconds, metric="support F1",
                    value=support_f1(model.components_, V, match_rows="cosine"),
                    peer=f"sklearn SparsePCA(alpha={PEER_ALPHA:g})" if peer is not None else None,
                    peer_seconds=peer_seconds,
                    peer_value=support_f1(peer.components_, V, match_rows="cosine") if peer is not None else None)]


@tour_case("learn.decomposition", "SupervisedDictionaryLearning vs PCA(5) + LogisticRegression, hidden label direction")
def tour_supervised_dl(ctx):
    with threadpool_limits(1):
        return _supervised_rows(ctx)


def _supervised_rows(ctx):
    n, d = (1000, 40) if ctx.quick else (3000, 100)
    X, y, _ = make_hidden_direction_classification(n + n // 2, d, random_state=0)
    (Xtr, ytr), (Xte, yte) = (X[:n], y[:n]), (X[n:], y[n:])
    if not ctx.has("sklearn"):
        return []
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline

    peer, peer_seconds = ctx.timed(make_pipeline(PCA(5), LogisticRegression()).fit, Xtr, ytr)
    peer_auc = roc_auc_score(yte, peer.predict_proba(Xte)[:, 1])
    rows = []
    for solver in ("bcd", "lpgd"):
        model, seconds = ctx.timed(SupervisedDictionaryLearning(5, solver=solver, max_iter=100, random_state=0).fit,
                                   Xtr, ytr)
        rows.append(TourRow(problem="topics, label on a low-variance one", method=f"SupervisedDL(filter, {solver})",
                            size=f"{n}x{d}, r=5", seconds=seconds, metric="test AUC",
                            value=roc_auc_score(yte, model.predict_proba(Xte)[:, 1]),
                            peer="PCA(5) + LogisticRegression", peer_seconds=peer_seconds, peer_value=peer_auc))
    return rows


@tour_case("learn.decomposition", "Masked vs reconstruction objective, over-parameterised noisy dictionary learning")
def tour_masked_coding(ctx):
    with threadpool_limits(1):
        return _masked_rows(ctx)


def _masked_rows(ctx):
    n, d, p, learned, epochs = (600, 50, 100, 200, 15) if ctx.quick else (1000, 100, 200, 400, 20)
    Y, A, _ = make_sparse_coding(n, p, d, n_nonzero=5 if not ctx.quick else 3, dictionary="gaussian",
                                 noise_std=1 / np.sqrt(d), random_state=0)
    start = over_parameterised_start(Y, A, learned, random_state=0)
    k = 5 if not ctx.quick else 3
    results = {}
    for objective in ("reconstruction", "mask"):
        model, seconds = ctx.timed(MaskedDictionaryLearning(learned, n_nonzero_coefs=k, objective=objective,
                                                            max_epochs=epochs, tol=0.0, dict_init=start,
                                                            random_state=0).fit, Y)
        results[objective] = (dictionary_error(model.components_, A, method="nearest"), seconds)
    return [TourRow(problem=f"{p} true atoms, noise 1/sqrt(d)", method="MaskedDictionaryLearning(mask)",
                    size=f"{n}x{d}, {learned} atoms", seconds=results["mask"][1], metric="atom error",
                    value=results["mask"][0], peer="same, objective='reconstruction'",
                    peer_seconds=results["reconstruction"][1], peer_value=results["reconstruction"][0])]
