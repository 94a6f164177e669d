"""Contract entries of loss-based OMP and sparse phase retrieval (sparsekit.learn.linear_model)."""


from ._call import Call
from .calls import _AS_SKLEARN, regression


def corrupted_regression():
    A, y = regression()
    y = y.copy()
    y[:2] += 5.0
    return A, y


CALLS = {
    "loss_omp": Call(regression, dict(loss="sqrt-lasso"), force=dict(loss="sqrt-lasso", alpha=0.0, max_iter=1),
                     solution="x", homogeneous=("A", "y")),
    "LossOMP": Call(corrupted_regression, dict(loss="lad", n_nonzero_coefs=3),
                    force=dict(loss="sqrt-lasso", alpha=0.0, max_iter=1), accepts=_AS_SKLEARN),
}
