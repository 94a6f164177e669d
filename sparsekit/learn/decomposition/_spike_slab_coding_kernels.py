"""Numba kernel of the truncated E-step of spike-and-slab sparse coding, with its NumPy twin.

Model: ``s_h ~ Bernoulli(pi)``, ``z_h ~ N(mu_h, psi2_h)``, ``y ~ N(W (s * z), sigma2 I)``.
The states ``s`` considered for a data point are those of binary sparse
coding (:mod:`._truncated_em_kernels`: the zero state, every
singleton, every state with at most ``max_active`` ones among the
``n_candidates`` units of largest ``|W_h . y| / |W_h|``). Given ``s`` with
active set ``A`` the slab integrates out in closed form:
``M = W_A^T W_A / sigma2 + diag(1 / psi2_A)``, ``b = W_A^T y / sigma2 + mu_A / psi2_A``,
``log p(y, s) = const - mu_A^T diag(1 / psi2_A) mu_A / 2 - log det diag(psi2_A) / 2
- log det M / 2 + b^T M^-1 b / 2 + |A| log(pi / (1 - pi))``, and
``z_A | s, y ~ N(M^-1 b, M^-1)``. The kernel returns the sufficient
statistics of the M-step: ``sum y <s z>^T``, ``sum <(s z)(s z)^T>``,
``sum <s>``, ``sum <s z>`` (per unit), the log-evidence and the posterior
means ``<s z>``.
"""

import numpy as np

from ..._core.jit import kernel
from ._truncated_em_kernels import (
    normalise_log_joints,
    normalise_log_joints_twin,
    truncated_state_sets_twin,
    truncated_states,
)

__all__ = ["estep_gaussian", "estep_gaussian_twin"]


@kernel
def estep_gaussian(Y, W, sigma2, pi, mu, psi2, beta, n_candidates, masks, want_means):
    """Truncated E-step: ``(Y^T <sz>, sum <sz sz^T>, sum <s>, sum <sz>, sum log-evidence, <sz> or empty)``.

    ``W`` is (D, H), ``Y`` is (N, D), ``mu`` and ``psi2`` are (H,); ``masks``
    from :func:`._truncated_em_kernels.candidate_masks`.
    """
    N, D = Y.shape
    H = W.shape[1]
    WT = np.ascontiguousarray(W.T)
    WtW = WT @ W
    norms = np.empty(H)
    for h in range(H):
        norms[h] = np.sqrt(WtW[h, h]) + 1e-300
    prior = np.log(pi / (1.0 - pi))
    Hc = min(n_candidates, H)
    n_states = 1 + masks.shape[0] + H
    logp = np.empty(n_states)
    size = np.zeros(n_states, dtype=np.int64)
    act = np.zeros((n_states, H), dtype=np.int64)  # the active units of each state, first size[j] entries
    kappa = np.zeros((n_states, H))  # posterior slab means, first size[j] entries
    lam = np.zeros((n_states, H, H))  # posterior slab covariances, leading size[j] x size[j] block
    YS = np.zeros((D, H))
    SS = np.zeros((H, H))
    s_sum = np.zeros(H)
    sz_sum = np.zeros(H)
    evidence = 0.0
    means = np.zeros((N if want_means else 0, H))
    score = np.empty(H)
    Wty = np.empty(H)
    L = np.zeros((H, H))
    v = np.empty(H)
    log_norm = -0.5 * D * np.log(2.0 * np.pi * sigma2)
    for n in range(N):
        y = Y[n]
        for h in range(H):
            Wty[h] = np.dot(WT[h], y)
            score[h] = abs(Wty[h]) / norms[h]
        k = truncated_states(score, Hc, masks, act, size)
        yy = np.dot(y, y)
        for j in range(k):
            a = size[j]
            # M = W_A^T W_A / sigma2 + diag(1 / psi2_A) by Cholesky L, M^-1 b and M^-1
            logdet = 0.0
            quad_prior = 0.0
            for p in range(a):
                hp = act[j, p]
                for q in range(p + 1):
                    value = WtW[hp, act[j, q]] / sigma2
                    if p == q:
                        value += 1.0 / psi2[hp]
                    for r in range(q):
                        value -= L[p, r] * L[q, r]
                    if p == q:
                        L[p, p] = np.sqrt(value)
                    else:
                        L[p, q] = value / L[q, q]
                logdet += 2.0 * np.log(L[p, p]) + np.log(psi2[hp])
                quad_prior += mu[hp] ** 2 / psi2[hp]
                v[p] = Wty[hp] / sigma2 + mu[hp] / psi2[hp]
            # forward then backward substitution: kappa = M^-1 b; lam = M^-1 column by column
            for p in range(a):
                for r in range(p):
                    v[p] -= L[p, r] * v[r]
                v[p] /= L[p, p]
            quad = 0.0
            for p in range(a):
                quad += v[p] * v[p]
            for p in range(a - 1, -1, -1):
                value = v[p]
                for r in range(p + 1, a):
                    value -= L[r, p] * kappa[j, r]
                kappa[j, p] = value / L[p, p]
            for col in range(a):
                for p in range(a):
                    value = 1.0 if p == col else 0.0
                    for r in range(p):
                        value -= L[p, r] * v[r]
                    v[p] = value / L[p, p]
                for p in range(a - 1, -1, -1):
                    value = v[p]
                    for r in range(p + 1, a):
                        value -= L[r, p] * lam[j, r, col]
                    lam[j, p, col] = value / L[p, p]
            logp[j] = beta * (log_norm - yy / (2.0 * sigma2) - 0.5 * quad_prior - 0.5 * logdet + 0.5 * quad
                              + a * prior)
        log_evidence, z = normalise_log_joints(logp, k)
        evidence += log_evidence
        mean = np.zeros(H)
        for j in range(k):
            w = logp[j] / z
            if w == 0.0:
                continue
            a = size[j]
            for p in range(a):
                hp = act[j, p]
                mean[hp] += w * kappa[j, p]
                s_sum[hp] += w
                for q in range(a):
                    SS[hp, act[j, q]] += w * (lam[j, p, q] + kappa[j, p] * kappa[j, q])
        for h in range(H):
            sz_sum[h] += mean[h]
            for d in range(D):
                YS[d, h] += y[d] * mean[h]
        if want_means:
            means[n] = mean
    return YS, SS, s_sum, sz_sum, evidence, means


def estep_gaussian_twin(Y, W, sigma2, pi, mu, psi2, beta, n_candidates, masks, want_means):
    """NumPy twin of :func:`estep_gaussian` (the same states, dense linear algebra per state)."""
    N, D = Y.shape
    H = W.shape[1]
    Hc = min(n_candidates, H)
    norms = np.sqrt((W**2).sum(axis=0)) + 1e-300
    prior = np.log(pi / (1.0 - pi))
    YS, SS, s_sum, sz_sum, evidence = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H), np.zeros(H), 0.0
    means = np.zeros((N if want_means else 0, H))
    for n in range(N):
        y = Y[n]
        logp, moments = [], []
        for A in truncated_state_sets_twin(np.abs(W.T @ y) / norms, Hc, masks):
            M = W[:, A].T @ W[:, A] / sigma2 + np.diag(1.0 / psi2[A])
            b = W[:, A].T @ y / sigma2 + mu[A] / psi2[A]
            Minv = np.linalg.inv(M) if len(A) else np.zeros((0, 0))
            kappa = Minv @ b
            logdet = np.linalg.slogdet(M)[1] + np.log(psi2[A]).sum() if len(A) else 0.0
            logp.append(-0.5 * D * np.log(2 * np.pi * sigma2) - y @ y / (2 * sigma2) - 0.5 * np.sum(mu[A] ** 2 / psi2[A])
                        - 0.5 * logdet + 0.5 * b @ kappa + len(A) * prior)
            moments.append((A, kappa, Minv + np.outer(kappa, kappa)))
        logp = beta * np.array(logp)
        log_evidence, z = normalise_log_joints_twin(logp, len(logp))
        evidence += log_evidence
        q = logp / z
        mean = np.zeros(H)
        for w, (A, kappa, second) in zip(q, moments):
            mean[A] += w * kappa
            s_sum[A] += w
            SS[np.ix_(A, A)] += w * second
        sz_sum += mean
        YS += np.outer(y, mean)
        if want_means:
            means[n] = mean
    return YS, SS, s_sum, sz_sum, evidence, means
