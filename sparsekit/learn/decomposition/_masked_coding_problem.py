"""The recovery experiment of "Hiding Data Helps": noisy sparse signals and the over-parameterised start.

Private helpers for the tests, tour and benchmarks of masked dictionary learning (the family's public
``make_sparse_coding`` and ``dictionary_error`` are meant to replace them).
"""

import numpy as np

from ..._core.random import check_random_state

__all__ = ["atom_recovery_error", "make_noisy_sparse_signals", "over_parameterised_start"]


def make_noisy_sparse_signals(n_samples=1000, n_features=100, n_atoms=200, n_nonzero=5, noise=None,
                              random_state=None):
    """``Y = Z A + E``: ``A`` (n_atoms, d) Gaussian unit atoms, ``Z`` with ``n_nonzero`` standard normal entries per
    row, ``E`` iid ``N(0, noise^2)`` (default ``noise = 1 / sqrt(d)``, the paper's setting). Returns ``Y, A``."""
    rng = check_random_state(random_state)
    A = rng.standard_normal((n_atoms, n_features))
    A /= np.linalg.norm(A, axis=1, keepdims=True)
    Z = np.zeros((n_samples, n_atoms))
    support = np.argsort(rng.random((n_samples, n_atoms)), axis=1)[:, :n_nonzero]
    np.put_along_axis(Z, support, rng.standard_normal((n_samples, n_nonzero)), axis=1)
    noise = 1.0 / np.sqrt(n_features) if noise is None else noise
    return Z @ A + noise * rng.standard_normal((n_samples, n_features)), A


def over_parameterised_start(Y, A, n_components, random_state=None):
    """The paper's "A_init": the true atoms first, then normalised signals up to ``n_components`` atoms."""
    rng = check_random_state(random_state)
    extra = Y[rng.choice(Y.shape[0], size=n_components - A.shape[0], replace=False)]
    return np.vstack([A, extra / np.linalg.norm(extra, axis=1, keepdims=True)])


def atom_recovery_error(A, B):
    """Mean over the true atoms of ``1 - max |cos|`` to the learned atoms (the paper's metric)."""
    A = A / np.linalg.norm(A, axis=1, keepdims=True)
    B = B / np.linalg.norm(B, axis=1, keepdims=True)
    return float(np.mean(1.0 - np.max(np.abs(A @ B.T), axis=1)))
