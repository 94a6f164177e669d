"""Matrix decompositions for sparse and structured data: orthogonal and online dictionary learning."""

from ._dictionary_metrics import dictionary_error, support_f1
from ._online_dl import online_orthogonal_dictionary_learning
from ._online_dl_estimator import OnlineOrthogonalDictionaryLearning
from ._orthogonal_dl import orthogonal_dictionary_learning
from ._orthogonal_dl_estimator import OrthogonalDictionaryLearning

__all__ = [
    "OnlineOrthogonalDictionaryLearning",
    "OrthogonalDictionaryLearning",
    "dictionary_error",
    "online_orthogonal_dictionary_learning",
    "orthogonal_dictionary_learning",
    "support_f1",
]
