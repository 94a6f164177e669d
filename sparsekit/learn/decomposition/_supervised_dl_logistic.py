"""Multinomial logistic pieces shared by the supervised dictionary learning solvers.

Logits ``eta = Phi Theta`` (one column per class, all penalised, so the softmax's shift invariance is fixed by the
ridge), probabilities ``P = softmax(eta)``, the mean cross-entropy and its gradient ``(P - Y) / n``, and a damped
Newton solve for ``Theta`` on a small design ``Phi`` (a few columns: the codes or filter responses, an intercept
and the covariates).
"""

import numpy as np

__all__ = ["cross_entropy", "fit_logistic", "softmax"]


_FEW_CLASSES = 16  # up to this many classes, the row reductions run column by column (an axis-1 reduction over
# a handful of entries per row costs several times more than a few whole-column passes)


def _log_normaliser(eta):
    """Row-wise ``log sum exp``, shape (n,): ``logaddexp`` folded over the columns (stable, no overflow)."""
    if eta.shape[1] > _FEW_CLASSES:
        top = eta.max(axis=1)
        return top + np.log(np.exp(eta - top[:, None]).sum(axis=1))
    total = eta[:, 0]
    for k in range(1, eta.shape[1]):
        total = np.logaddexp(total, eta[:, k])
    return total


def log_softmax(eta):
    """Row-wise log-softmax (shifted by the row maximum, so no overflow)."""
    return eta - _log_normaliser(eta)[:, None]


def softmax(eta):
    """Row-wise softmax, stable for any finite logits."""
    return np.exp(log_softmax(eta))


def cross_entropy(eta, Y):
    """Mean cross-entropy of logits ``eta`` (n, K) against one-hot ``Y`` (n, K)."""
    if eta.shape[1] > _FEW_CLASSES:
        picked = np.sum(Y * eta, axis=1)
    else:
        picked = Y[:, 0] * eta[:, 0]
        for k in range(1, eta.shape[1]):
            picked += Y[:, k] * eta[:, k]
    return float(np.sum(_log_normaliser(eta) - picked) / eta.shape[0])


def _penalised(Phi, Y, Theta, nu):
    eta = Phi @ Theta
    return cross_entropy(eta, Y) + nu * float(np.sum(Theta**2)), eta


def fit_logistic(Phi, Y, Theta, nu, steps=5):
    """Damped Newton steps on ``mean CE(Phi Theta, Y) + nu ||Theta||^2`` from ``Theta``; returns the new ``Theta``.

    The Hessian of the multinomial loss is ``sum_i (diag(p_i) - p_i p_i^T) kron phi_i phi_i^T / n``, of size
    ``qK x qK`` for ``q`` columns of ``Phi`` and ``K`` classes (a few dozen here). A step that does not decrease
    the objective is halved (at most 20 times).
    """
    n, q = Phi.shape
    K = Y.shape[1]
    value, eta = _penalised(Phi, Y, Theta, nu)
    for _ in range(steps):
        P = softmax(eta)
        grad = (Phi.T @ (P - Y)) / n + 2 * nu * Theta
        hessian = np.empty((K, q, K, q))
        for k in range(K):
            for m in range(k, K):
                weight = P[:, k] * ((k == m) - P[:, m]) / n
                hessian[k, :, m, :] = Phi.T @ (weight[:, None] * Phi)
                hessian[m, :, k, :] = hessian[k, :, m, :].T
        hessian = hessian.reshape(K * q, K * q) + 2 * nu * np.eye(K * q)
        step = np.linalg.solve(hessian, grad.T.ravel()).reshape(K, q).T
        scale = 1.0
        for _ in range(20):
            candidate = Theta - scale * step
            new_value, new_eta = _penalised(Phi, Y, candidate, nu)
            if new_value <= value:
                break
            scale /= 2
        else:
            return Theta
        Theta, value, eta = candidate, new_value, new_eta
    return Theta
