"""Matrix decompositions for sparse and structured data: orthogonal, online and supervised dictionary learning,
sparse PCA, hyperspectral unmixing (FCLS, endmember extraction, robust NMF) and matrix completion."""

from ._dictionary_metrics import dictionary_error, support_f1
from ._endmembers import nfindr, spa, vca
from ._fcls import fcls
from ._online_dl import online_orthogonal_dictionary_learning
from ._online_dl_estimator import OnlineOrthogonalDictionaryLearning
from ._orthogonal_dl import orthogonal_dictionary_learning
from ._orthogonal_dl_estimator import OrthogonalDictionaryLearning
from ._unmixing_correntropy import CorrentropyNMF, correntropy_nmf
from ._unmixing_metrics import abundance_rmse, match_endmembers, spectral_angle_distance
from ._unmixing_robust import RobustSparseNMF, robust_sparse_nmf
from ._unmixing_structured import StructuredSparseNMF, structured_sparse_nmf

__all__ = [
    "CorrentropyNMF",
    "OnlineOrthogonalDictionaryLearning",
    "OrthogonalDictionaryLearning",
    "RobustSparseNMF",
    "StructuredSparseNMF",
    "abundance_rmse",
    "correntropy_nmf",
    "dictionary_error",
    "fcls",
    "match_endmembers",
    "nfindr",
    "online_orthogonal_dictionary_learning",
    "orthogonal_dictionary_learning",
    "robust_sparse_nmf",
    "spa",
    "spectral_angle_distance",
    "structured_sparse_nmf",
    "support_f1",
    "vca",
]
