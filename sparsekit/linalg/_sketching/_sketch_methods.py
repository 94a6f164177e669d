"""The ``SKETCH_METHODS`` registry: one factory of a :class:`SketchOperator` per sketch method.

The front door :func:`~sparsekit.linalg.sketch`, its Dask path and
:func:`~sparsekit.linalg.sketch_lstsq` all build their operators through it;
the score-based sampling methods (``"leverage"``, ``"root-leverage"``,
``"lewis"``) register themselves from :mod:`._sampling`.
"""

from numbers import Integral, Real

from ..._core.params import Interval
from ..._core.registry import Registry
from ._sketch_operators import CountSketch, GaussianSketch, RowSamplingSketch, SparseSignSketch
from ._trig_sketches import SRDCTSketch, SRHTSketch

__all__ = ["SCANNING_METHODS", "SKETCH_METHODS"]

SKETCH_METHODS = Registry("sketch")

#: Methods that build their operator from A's shape alone and check dense A for NaN on its sketch
#: (``SketchOperator.scans_dense_input``): the front door skips its own scan of dense input for them.
SCANNING_METHODS = frozenset({"countsketch", "sparse-sign"})

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
_ALL_BACKENDS = ("numpy", "cupy", "dask")
_GENERIC_BACKENDS = _ALL_BACKENDS + ("array-api",)


@SKETCH_METHODS.register("gaussian", backends=_GENERIC_BACKENDS)
def _gaussian(A, k, *, random_state=None):
    """Gaussian sketch, i.i.d. N(0, 1/k) entries."""
    return GaussianSketch(k, A.shape[0], random_state=random_state)


@SKETCH_METHODS.register("countsketch", backends=_ALL_BACKENDS, aliases=("clarkson-woodruff",))
def _countsketch(A, k, *, random_state=None):
    """CountSketch: one random +-1 per column."""
    return CountSketch(k, A.shape[0], random_state=random_state)


@SKETCH_METHODS.register(
    "sparse-sign",
    backends=_ALL_BACKENDS,
    aliases=("osnap", "sjlt"),
    constraints={"nnz_per_col": [_POSITIVE_INT]},
)
def _sparse_sign(A, k, *, nnz_per_col=8, random_state=None):
    """Sparse sign (OSNAP) sketch with nnz_per_col entries +-1/sqrt(s) per column."""
    return SparseSignSketch(k, A.shape[0], nnz_per_col=nnz_per_col, random_state=random_state)


@SKETCH_METHODS.register("srht", backends=_GENERIC_BACKENDS)
def _srht(A, k, *, random_state=None):
    """Subsampled randomized Hadamard transform."""
    return SRHTSketch(k, A.shape[0], random_state=random_state)


@SKETCH_METHODS.register("srdct", backends=_ALL_BACKENDS)
def _srdct(A, k, *, random_state=None):
    """Subsampled randomized discrete cosine transform."""
    return SRDCTSketch(k, A.shape[0], random_state=random_state)


@SKETCH_METHODS.register("uniform", backends=_GENERIC_BACKENDS, constraints={"replace": ["boolean"]})
def _uniform(A, k, *, replace=True, random_state=None):
    """Uniform row sampling, rows rescaled by sqrt(m/k)."""
    return RowSamplingSketch(k, A.shape[0], replace=replace, random_state=random_state)


@SKETCH_METHODS.register(
    "weighted",
    backends=_GENERIC_BACKENDS,
    constraints={"weights": ["array-like"], "p": [Interval(Real, 0, None, closed="neither")]},
)
def _weighted(A, k, *, weights=None, p=2.0, random_state=None):
    """Row sampling with replacement, probabilities proportional to given weights."""
    if weights is None:
        raise ValueError("sketch(method='weighted') needs weights=, one non-negative weight per row of A.")
    return RowSamplingSketch(k, A.shape[0], weights=weights, p=p, random_state=random_state)
