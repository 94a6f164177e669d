"""Numba helpers shared by the truncated E-steps of binary and spike-and-slab sparse coding.

The states considered for a data point are the zero state, every singleton,
and every state with at most ``max_active`` ones among the ``n_candidates``
units of largest selection score (expectation truncation, Lücke & Eggert
2010); the truncated posterior is the softmax of the states' tempered
log-joints.
"""

import numpy as np

from ..._core.jit import kernel

__all__ = ["candidate_masks", "truncated_states", "normalise_log_joints", "truncated_state_sets_twin",
           "normalise_log_joints_twin"]


def candidate_masks(n_candidates, max_active):
    """Bit masks over the candidates with 1 to ``max_active`` ones (the zero state is added separately)."""
    masks = [m for m in range(1, 1 << n_candidates) if bin(m).count("1") <= max_active]
    return np.array(masks, dtype=np.int64)


@kernel
def truncated_states(score, Hc, masks, act, size):
    """Fill the truncated state set of one data point; return its number of states ``k``.

    The candidates are the ``Hc`` units of largest ``score`` (stable order).
    State ``j`` has ``size[j]`` active units, listed in ``act[j, :size[j]]``:
    state 0 is the zero state, then the states of ``masks`` over the
    candidates, then the singletons of the other units.
    """
    H = score.shape[0]
    cand = np.argsort(-score, kind="mergesort")[:Hc]
    k = 1
    size[0] = 0
    for m in range(masks.shape[0]):
        if masks[m] >= (1 << Hc):
            continue
        a = 0
        for c in range(Hc):
            if (masks[m] >> c) & 1:
                act[k, a] = cand[c]
                a += 1
        size[k] = a
        k += 1
    for h in range(H):
        is_cand = False
        for c in range(Hc):
            if cand[c] == h:
                is_cand = True
        if not is_cand:
            act[k, 0] = h
            size[k] = 1
            k += 1
    return k


@kernel
def normalise_log_joints(logp, k):
    """Replace ``logp[:k]`` by ``exp(logp - max)``; return the log-evidence ``max + log z`` and ``z`` (their sum)."""
    top = logp[:k].max()
    z = 0.0
    for j in range(k):
        logp[j] = np.exp(logp[j] - top)
        z += logp[j]
    return top + np.log(z), z


def truncated_state_sets_twin(score, Hc, masks):
    """NumPy twin of :func:`truncated_states`: the active units of each state, as a list of index arrays."""
    cand = np.argsort(-score, kind="mergesort")[:Hc]
    sets = [np.zeros(0, dtype=np.int64)]
    sets += [cand[[c for c in range(Hc) if (m >> c) & 1]] for m in masks[masks < (1 << Hc)]]
    return sets + [np.array([h]) for h in np.setdiff1d(np.arange(score.shape[0]), cand)]


def normalise_log_joints_twin(logp, k):
    """NumPy twin of :func:`normalise_log_joints`."""
    top = logp[:k].max()
    logp[:k] = np.exp(logp[:k] - top)
    z = logp[:k].sum()
    return top + np.log(z), z
