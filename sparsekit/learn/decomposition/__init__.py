"""Matrix decompositions: low-rank completion of partly observed matrices."""

from ._altmin_completion import AltMinCompletion

__all__ = [
    "AltMinCompletion",
]
