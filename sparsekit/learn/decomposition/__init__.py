"""Matrix decompositions: hyperspectral unmixing (FCLS, endmember extraction, robust NMF)."""

from ._endmembers import nfindr, spa, vca
from ._fcls import fcls
from ._unmixing_correntropy import CorrentropyNMF, correntropy_nmf
from ._unmixing_metrics import abundance_rmse, match_endmembers, spectral_angle_distance
from ._unmixing_robust import RobustSparseNMF, robust_sparse_nmf
from ._unmixing_structured import StructuredSparseNMF, structured_sparse_nmf

__all__ = [
    "CorrentropyNMF",
    "RobustSparseNMF",
    "StructuredSparseNMF",
    "abundance_rmse",
    "correntropy_nmf",
    "fcls",
    "match_endmembers",
    "nfindr",
    "robust_sparse_nmf",
    "spa",
    "spectral_angle_distance",
    "structured_sparse_nmf",
    "vca",
]
