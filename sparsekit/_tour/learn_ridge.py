"""Tour row of the sketched ridge ensemble: GCV-tuned penalty against scikit-learn's exact RidgeCV."""

import numpy as np

from sparsekit.datasets import decaying_spectrum_regression
from sparsekit.learn.linear_model import SketchedRidgeEnsemble

from ._case import TourRow, tour_case


@tour_case("learn.ridge", "Ridge GCV: sketched ridge ensemble vs sklearn RidgeCV(gcv_mode='svd')")
def ridge_gcv(ctx):
    """Test MSE of the GCV-chosen penalty, same alpha grid."""
    from sklearn.linear_model import RidgeCV

    n, p = (2000, 200) if ctx.quick else (10_000, 1000)
    X, y, X_test, y_test = decaying_spectrum_regression(n, p, random_state=0)
    alphas = np.logspace(-3, 3, 20)
    ensemble = SketchedRidgeEnsemble(alphas=alphas, sketch_sizes=(0.5,), random_state=0)
    model, seconds = ctx.timed(ensemble.fit, X, y)
    peer, peer_seconds = ctx.timed(RidgeCV(alphas=alphas, gcv_mode="svd").fit, X, y)
    return TourRow(
        problem=f"regression n={n}, p={p}", method=f"SketchedRidgeEnsemble (alpha={model.alpha_:.3g})",
        size="K=5, q=p/2", seconds=seconds, metric="test MSE",
        value=float(np.mean((model.predict(X_test) - y_test) ** 2)),
        peer=f"RidgeCV svd (alpha={peer.alpha_:.3g})", peer_seconds=peer_seconds,
        peer_value=float(np.mean((peer.predict(X_test) - y_test) ** 2)),
    )
