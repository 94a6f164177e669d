"""Numba kernel of the truncated E-step of binary sparse coding, with its NumPy twin.

For every data point ``y``, the states considered are the zero state, every
singleton, and every state with at most ``max_active`` ones among the
``n_candidates`` hidden units of largest selection score
``W_h . y / |W_h|`` (expectation truncation, Lücke & Eggert 2010). Each state
``s`` has log-joint ``-|y - W s|^2 / (2 sigma^2) + |s| log(pi / (1 - pi))``;
the truncated posterior is the softmax of ``beta`` times it over the states.
The kernel returns the sufficient statistics of the M-step.
"""

import numpy as np

from ..._core.jit import kernel
from ._truncated_em_kernels import (
    candidate_masks,
    normalise_log_joints,
    normalise_log_joints_twin,
    truncated_state_sets_twin,
    truncated_states,
)

__all__ = ["candidate_masks", "estep", "estep_twin"]


@kernel
def estep(Y, W, sigma2, pi, beta, n_candidates, masks, want_means):
    """Truncated E-step: ``(Y^T <s>, sum <s s^T>, sum <|s|>, sum log-evidence, <s> or empty)``.

    ``W`` is (D, H), ``Y`` is (N, D); ``masks`` from :func:`candidate_masks`.
    """
    N, D = Y.shape
    H = W.shape[1]
    norms = np.empty(H)
    for h in range(H):
        norms[h] = np.sqrt(np.sum(W[:, h] ** 2)) + 1e-300
    prior = np.log(pi / (1.0 - pi))
    n_states = 1 + masks.shape[0] + H
    logp = np.empty(n_states)
    states = np.zeros((n_states, H), dtype=np.bool_)
    size = np.zeros(n_states, dtype=np.int64)
    act = np.zeros((n_states, H), dtype=np.int64)
    YS = np.zeros((D, H))
    SS = np.zeros((H, H))
    total_active = 0.0
    evidence = 0.0
    means = np.zeros((N if want_means else 0, H))
    Ws = np.empty(D)
    score = np.empty(H)
    Hc = min(n_candidates, H)
    for n in range(N):
        y = Y[n]
        for h in range(H):
            score[h] = np.dot(W[:, h], y) / norms[h]
        k = truncated_states(score, Hc, masks, act, size)
        states[:, :] = False
        for j in range(k):
            for p in range(size[j]):
                states[j, act[j, p]] = True
        for j in range(k):
            Ws[:] = 0.0
            active = 0
            for h in range(H):
                if states[j, h]:
                    Ws += W[:, h]
                    active += 1
            r = 0.0
            for d in range(D):
                r += (y[d] - Ws[d]) ** 2
            logp[j] = beta * (-r / (2.0 * sigma2) + active * prior)
        log_evidence, z = normalise_log_joints(logp, k)
        evidence += log_evidence
        mean = np.zeros(H)
        for j in range(k):
            q = logp[j] / z
            if q == 0.0:
                continue
            for a in range(H):
                if states[j, a]:
                    mean[a] += q
                    total_active += q
                    for b in range(H):
                        if states[j, b]:
                            SS[a, b] += q
        for a in range(H):
            for d in range(D):
                YS[d, a] += y[d] * mean[a]
        if want_means:
            means[n] = mean
    return YS, SS, total_active, evidence, means


def estep_twin(Y, W, sigma2, pi, beta, n_candidates, masks, want_means):
    """NumPy twin of :func:`estep` (the same states, enumerated per data point)."""
    N, D = Y.shape
    H = W.shape[1]
    Hc = min(n_candidates, H)
    norms = np.sqrt((W**2).sum(axis=0)) + 1e-300
    prior = np.log(pi / (1.0 - pi))
    YS, SS, total_active, evidence = np.zeros((D, H)), np.zeros((H, H)), 0.0, 0.0
    means = np.zeros((N if want_means else 0, H))
    for n in range(N):
        y = Y[n]
        sets = truncated_state_sets_twin((W.T @ y) / norms, Hc, masks)
        S = np.zeros((len(sets), H))
        for j, A in enumerate(sets):
            S[j, A] = 1.0
        logp = beta * (-((y[None, :] - S @ W.T) ** 2).sum(axis=1) / (2 * sigma2) + S.sum(axis=1) * prior)
        log_evidence, z = normalise_log_joints_twin(logp, len(logp))
        evidence += log_evidence
        q = logp / z
        mean = q @ S
        SS += (S * q[:, None]).T @ S
        total_active += mean.sum()
        YS += np.outer(y, mean)
        if want_means:
            means[n] = mean
    return YS, SS, total_active, evidence, means
