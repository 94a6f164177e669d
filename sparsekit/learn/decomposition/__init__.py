"""Matrix decompositions: sparse PCA, supervised and masked dictionary learning."""

from ._masked_coding import masked_dictionary_learning
from ._masked_coding_estimator import MaskedDictionaryLearning
from ._sparse_pca import sparse_pca
from ._sparse_pca_estimator import SparsePCA
from ._supervised_dl import supervised_dictionary_learning
from ._supervised_dl_estimator import SupervisedDictionaryLearning

__all__ = [
    "MaskedDictionaryLearning",
    "SparsePCA",
    "SupervisedDictionaryLearning",
    "masked_dictionary_learning",
    "sparse_pca",
    "supervised_dictionary_learning",
]
