"""Matrix decompositions for sparse and structured data: orthogonal and online dictionary learning."""

from ._dictionary_metrics import dictionary_error, support_f1
from ._orthogonal_dl import orthogonal_dictionary_learning
from ._orthogonal_dl_estimator import OrthogonalDictionaryLearning

__all__ = [
    "OrthogonalDictionaryLearning",
    "dictionary_error",
    "orthogonal_dictionary_learning",
    "support_f1",
]
