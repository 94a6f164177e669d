"""Contract entries of the scale-out names (Dask): batches of OT problems.

``solve_sequence``'s ``n_chunks`` and ``client`` options are tested in ``tests/linalg/test_sequence_dask.py``.
"""

from ._call import Call
from .calls import ot_problem


def ot_batch():
    a, b, M = ot_problem()
    return ([(a, b, M), (None, None, M[:, :5].copy())],)


CALLS = {
    "solve_batch": Call(ot_batch, dict(reg=0.5, max_iter=200), force=dict(max_iter=1), solution="plan",
                        accepts={"M": ("posinf",)}),
}
