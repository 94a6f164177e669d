"""Recommenders for implicit feedback: EASE and ranking metrics."""

from ._ease import EASE, ease_weights
from ._metrics import ndcg_at_k, recall_at_k

__all__ = [
    "EASE",
    "ease_weights",
    "ndcg_at_k",
    "recall_at_k",
]
