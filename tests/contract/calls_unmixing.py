"""Contract entries of hyperspectral unmixing (learn.decomposition) and its scene generator (datasets)."""

import functools

from ._call import Call


@functools.cache
def _scene():
    from sparsekit.datasets import make_hyperspectral

    cube, E, A = make_hyperspectral(6, 5, 12, 3, n_outlier_bands=1, random_state=0)
    return cube.reshape(-1, 12), E, A.reshape(-1, 3)


def pixels():
    return (_scene()[0].copy(),)


def pixels_endmembers():
    Y, E, _ = _scene()
    return Y.copy(), E.copy()


def endmember_pair():
    _, E, _ = _scene()
    return E.copy(), E[::-1] + 0.01


def abundance_pair():
    _, _, A = _scene()
    return A.copy(), A[:, ::-1] * 0.9 + 0.1 / 3


# A 3-D Y (or abundance array) is documented as an image cube: stacking two pixel matrices gives a valid cube.
_CUBE = {"Y": ("wrong_ndim",)}
# Pixels and endmembers are rows of independent counts: one row fewer in Y or E is another valid problem, and
# spectra of two sets of different sizes are matched as far as they go (documented).
_ROWS = {"Y": ("wrong_ndim", "mismatched"), "E": ("mismatched",)}
# Estimators: a cube as above, and object or numeric-string arrays converted as scikit-learn's own estimators do.
_ESTIMATOR = {"X": ("wrong_ndim", "object", "str")}
_SPECTRA = {"endmembers_true": ("mismatched",), "endmembers_pred": ("mismatched",)}

CALLS = {
    "make_hyperspectral": Call(lambda: (4, 5, 12, 3), dict(n_outlier_bands=1, random_state=0)),
    "fcls": Call(pixels_endmembers, force=dict(max_iter=1), solution="abundances", accepts=_ROWS),
    "spa": Call(lambda: (*pixels(), 3), solution="endmembers", accepts=_CUBE),
    "vca": Call(lambda: (*pixels(), 3), dict(random_state=0), solution="endmembers", accepts=_CUBE),
    "nfindr": Call(lambda: (*pixels(), 3), dict(init="random", random_state=0), solution="endmembers",
                   force=dict(max_iter=1), accepts=_CUBE),
    "robust_sparse_nmf": Call(lambda: (*pixels(), 3), dict(alpha=0.1, max_iter=30), force=dict(max_iter=1, tol=0.0),
                              solution="endmembers", accepts=_CUBE),
    "RobustSparseNMF": Call(pixels, dict(n_components=3, max_iter=30), force=dict(max_iter=1, tol=0.0),
                            accepts=_ESTIMATOR),
    "correntropy_nmf": Call(lambda: (*pixels(), 3), dict(alpha=0.1, max_iter=30), force=dict(max_iter=1, tol=0.0),
                            solution="endmembers", accepts=_CUBE),
    "CorrentropyNMF": Call(pixels, dict(n_components=3, max_iter=30), force=dict(max_iter=1, tol=0.0),
                           accepts=_ESTIMATOR),
    "structured_sparse_nmf": Call(lambda: (*pixels(), 3), dict(alpha=0.1, sum_to_one=False, max_iter=30),
                                  force=dict(max_iter=1, tol=0.0), solution="endmembers", accepts=_CUBE),
    "StructuredSparseNMF": Call(pixels, dict(n_components=3, max_iter=200), force=dict(max_iter=1, tol=0.0),
                                accepts=_ESTIMATOR),
    "spectral_angle_distance": Call(endmember_pair, accepts=_SPECTRA),
    "match_endmembers": Call(endmember_pair, accepts=_SPECTRA),
    "abundance_rmse": Call(abundance_pair, accepts={"abundances_true": ("wrong_ndim",),
                                                   "abundances_pred": ("wrong_ndim",)}),
}
