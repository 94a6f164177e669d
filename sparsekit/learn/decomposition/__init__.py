"""Matrix decompositions: sparse PCA, supervised and masked dictionary learning."""

from ._sparse_pca import sparse_pca
from ._sparse_pca_estimator import SparsePCA
from ._supervised_dl import supervised_dictionary_learning
from ._supervised_dl_estimator import SupervisedDictionaryLearning

__all__ = [
    "SparsePCA",
    "SupervisedDictionaryLearning",
    "sparse_pca",
    "supervised_dictionary_learning",
]
