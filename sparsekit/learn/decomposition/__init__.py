"""Matrix decompositions: low-rank completion of partly observed matrices, binary sparse coding."""

from ._altmin_completion import AltMinCompletion
from ._binary_sparse_coding import BinarySparseCoding, binary_sparse_coding

__all__ = [
    "AltMinCompletion",
    "BinarySparseCoding",
    "binary_sparse_coding",
]
