"""recall_at_k and ndcg_at_k against hand-computed values."""

import numpy as np
import pytest
from scipy import sparse

from sparsekit.learn.recommend import ndcg_at_k, recall_at_k


def test_hand_computed_values():
    held_out = sparse.csr_array(np.array([[0, 1, 1, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]]))
    recommended = np.array([[2, 4, 1], [3, 0, 1], [0, 1, 2]])
    # user 0: hits at ranks 1 and 3 of 2 relevant; user 1: a hit at rank 2 of 1; user 2 has none (dropped)
    assert recall_at_k(held_out, recommended, k=2) == pytest.approx((1 / 2 + 1 / 1) / 2)
    dcg0, idcg0 = 1 + 1 / np.log2(4), 1 + 1 / np.log2(3)
    assert ndcg_at_k(held_out, recommended, k=3) == pytest.approx((dcg0 / idcg0 + (1 / np.log2(3)) / 1) / 2)
    assert ndcg_at_k(held_out, np.array([[1, 2, 0], [0, 1, 2], [0, 1, 2]]), k=3) == pytest.approx(1.0)


def test_bad_input_is_named():
    held_out = np.eye(3)
    with pytest.raises(ValueError, match="recommended"):
        ndcg_at_k(held_out, np.array([[0, 5], [1, 2], [0, 1]]), k=2)
    with pytest.raises(ValueError, match="recommended"):
        recall_at_k(held_out, np.array([[0, 1]]), k=2)
    with pytest.raises(ValueError, match="held_out"):
        recall_at_k(np.zeros((3, 3)), np.zeros((3, 2), dtype=int), k=2)
