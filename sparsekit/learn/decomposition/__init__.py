"""Matrix decompositions for sparse and structured data: orthogonal, online, supervised and masked dictionary
learning, sparse PCA, hyperspectral unmixing (FCLS, endmember extraction, robust NMF), matrix completion by
alternating minimisation, binary and spike-and-slab sparse coding."""

from ._altmin_completion import AltMinCompletion
from ._binary_sparse_coding import BinarySparseCoding, binary_sparse_coding
from ._dictionary_metrics import dictionary_error, support_f1
from ._endmembers import nfindr, spa, vca
from ._fcls import fcls
from ._masked_coding import masked_dictionary_learning
from ._masked_coding_estimator import MaskedDictionaryLearning
from ._online_dl import online_orthogonal_dictionary_learning
from ._online_dl_estimator import OnlineOrthogonalDictionaryLearning
from ._orthogonal_dl import orthogonal_dictionary_learning
from ._orthogonal_dl_estimator import OrthogonalDictionaryLearning
from ._sparse_pca import sparse_pca
from ._sparse_pca_estimator import SparsePCA
from ._spike_slab_coding import SpikeSlabCoding, spike_slab_coding
from ._supervised_dl import supervised_dictionary_learning
from ._supervised_dl_estimator import SupervisedDictionaryLearning
from ._unmixing_correntropy import CorrentropyNMF, correntropy_nmf
from ._unmixing_metrics import abundance_rmse, match_endmembers, spectral_angle_distance
from ._unmixing_robust import RobustSparseNMF, robust_sparse_nmf
from ._unmixing_structured import StructuredSparseNMF, structured_sparse_nmf

__all__ = [
    "AltMinCompletion",
    "BinarySparseCoding",
    "CorrentropyNMF",
    "MaskedDictionaryLearning",
    "OnlineOrthogonalDictionaryLearning",
    "OrthogonalDictionaryLearning",
    "RobustSparseNMF",
    "SparsePCA",
    "SpikeSlabCoding",
    "StructuredSparseNMF",
    "SupervisedDictionaryLearning",
    "abundance_rmse",
    "binary_sparse_coding",
    "correntropy_nmf",
    "dictionary_error",
    "fcls",
    "masked_dictionary_learning",
    "match_endmembers",
    "nfindr",
    "online_orthogonal_dictionary_learning",
    "orthogonal_dictionary_learning",
    "robust_sparse_nmf",
    "spa",
    "sparse_pca",
    "spike_slab_coding",
    "spectral_angle_distance",
    "structured_sparse_nmf",
    "supervised_dictionary_learning",
    "support_f1",
    "vca",
]
