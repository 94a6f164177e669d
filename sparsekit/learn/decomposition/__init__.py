"""Matrix decompositions: hyperspectral unmixing (FCLS, endmember extraction, robust NMF)."""

from ._endmembers import nfindr, spa, vca
from ._fcls import fcls
from ._unmixing_metrics import abundance_rmse, match_endmembers, spectral_angle_distance

__all__ = [
    "abundance_rmse",
    "fcls",
    "match_endmembers",
    "nfindr",
    "spa",
    "spectral_angle_distance",
    "vca",
]
