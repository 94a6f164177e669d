"""Dictionary learning with a masked objective ("Hiding Data Helps", Chidambaram, Wu, Cheng & Ge, ICML 2023).

Each mini-batch splits the coordinates at random: the codes are computed by OMP from one part and scored on how
well they predict the other part. In the noisy, over-parameterised regime (more learned atoms than true ones) the
plain reconstruction objective is not minimised at the true dictionary, the masked one is.
"""

import math
from numbers import Integral, Real

import numpy as np

from ..._core.params import Interval, Options, validate_params
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, Result, end_run
from ..._core.validation import check_array

__all__ = ["batched_omp", "masked_dictionary_learning"]

_ADAM = (0.9, 0.999, 1e-8)  # beta1, beta2, epsilon: the reference code's torch defaults


def batched_omp(D, Y, n_nonzero_coefs):
    """Orthogonal matching pursuit for every row of ``Y`` at once: ``Y ~ codes @ D`` with ``n_nonzero_coefs`` atoms.

    Parameters
    ----------
    D : ndarray of shape (n_atoms, n_features)
        Dictionary, one atom per row (any norms: selection uses normalised correlations).
    Y : ndarray of shape (n_samples, n_features)
        Signals.
    n_nonzero_coefs : int
        Atoms per signal (at most ``n_atoms``).

    Returns
    -------
    ndarray of shape (n_samples, n_atoms)
        Codes, least squares on the selected atoms.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition._masked_coding import batched_omp
    >>> D = np.eye(4)
    >>> batched_omp(D, np.array([[0.0, 3.0, 0.0, 0.5]]), 1)
    array([[0., 3., 0., 0.]])
    """
    n, n_atoms = Y.shape[0], D.shape[0]
    norms = np.linalg.norm(D, axis=1)
    norms[norms == 0] = np.inf
    gram = D @ D.T
    correlations = Y @ D.T
    rows = np.arange(n)
    chosen = np.zeros((n, 0), dtype=np.intp)
    residual = Y
    coefs = np.zeros((n, 0))
    for _ in range(min(n_nonzero_coefs, n_atoms)):
        score = np.abs(residual @ D.T) / norms
        score[rows[:, None], chosen] = -1.0  # never pick an atom twice
        chosen = np.column_stack([chosen, np.argmax(score, axis=1)])
        G = gram[chosen[:, :, None], chosen[:, None, :]]
        G = G + 1e-12 * np.trace(G, axis1=1, axis2=2)[:, None, None] * np.eye(chosen.shape[1])
        b = correlations[rows[:, None], chosen]
        coefs = np.linalg.solve(G, b[:, :, None])[:, :, 0]
        residual = Y - np.einsum("ij,ijk->ik", coefs, D[chosen])
    codes = np.zeros((n, n_atoms))
    codes[rows[:, None], chosen] = coefs
    return codes


def over_parameterised_start(X, dictionary, n_components, random_state=None):
    """The paper's start ``A_init``: the true atoms first, then distinct normalised samples up to ``n_components``.

    For the recovery experiments (``X`` and ``dictionary`` from :func:`sparsekit.datasets.make_sparse_coding` with
    ``n_nonzero``); pass the result as ``dict_init``.
    """
    rng = check_random_state(random_state)
    extra = X[rng.choice(X.shape[0], size=n_components - dictionary.shape[0], replace=False)]
    return np.vstack([dictionary, extra / np.linalg.norm(extra, axis=1, keepdims=True)])


def _unit_peak(X):
    """``X`` divided by the power of two nearest its largest entry: exact, and the atoms do not depend on it."""
    peak = float(np.max(np.abs(X))) if X.size else 0.0
    return X / math.ldexp(1.0, math.frexp(peak)[1]) if peak > 0 else X


def _normalise_rows(D):
    norms = np.linalg.norm(D, axis=1, keepdims=True)
    return D / np.where(norms > 0, norms, 1.0)


@validate_params({
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "n_nonzero_coefs": [Interval(Integral, 1, None, closed="left")],
    "objective": [Options({"mask", "reconstruction"})],
    "mask_fraction": [Interval(Real, 0, 1, closed="neither")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "dict_init": ["array-like", None],
    "random_state": ["random_state"],
})
def masked_dictionary_learning(X, n_components, *, n_nonzero_coefs=5, objective="mask", mask_fraction=0.9,
                               batch_size=200, max_epochs=100, learning_rate=1e-3, tol=1e-4, dict_init=None,
                               random_state=None):
    """Learn a dictionary by mini-batch Adam on the masked (or the plain reconstruction) sparse-coding objective.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Signals, one per row. Not modified.
    n_components : int
        Number of atoms.
    n_nonzero_coefs : int, default=5
        Atoms per signal in the OMP codes.
    objective : {"mask", "reconstruction"}, default="mask"
        ``"mask"``: codes from a random ``mask_fraction`` of the coordinates of each batch, loss on the others.
        ``"reconstruction"``: codes and loss on all coordinates (the usual objective).
    mask_fraction : float in (0, 1), default=0.9
        Fraction of the coordinates the codes see (the paper's mask of 90 out of 100).
    batch_size : int, default=200
        Signals per Adam step.
    max_epochs : int, default=100
        Passes over the data.
    learning_rate : float, default=1e-3
        Adam's step size.
    tol : float, default=1e-4
        Stop when an epoch's mean loss is within ``tol`` (relative) of the previous epoch's; 0 runs every epoch.
    dict_init : array-like of shape (n_components, n_features), optional
        Starting atoms (normalised here); default: randomly chosen normalised signals.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the initial atoms, the batches and the masks.

    Returns
    -------
    Result
        ``components`` (n_components, n_features), unit rows; ``loss`` (mean loss per epoch); ``n_iter``
        (epochs); ``converged``, ``status``, ``message``.

    Raises
    ------
    ValueError
        For non-finite or mis-shaped input, ``n_nonzero_coefs > n_components``, or a mask that leaves no
        coordinate to either side.

    Notes
    -----
    The objective of the reference code (``2014mchidamb/masked-sparse-coding-icml``,
    ``utils/modeling_utils.py``): per batch, split the coordinates into ``M`` (``round(mask_fraction * d)``)
    and ``C``, encode ``z = OMP_k(B[:, M], y_M)`` (a constant for the gradient), loss ``mean ||y_C - z B_C||^2``,
    whose gradient ``-(2/n) z^T (y_C - z B_C)`` touches only the columns ``C``; Adam step; atoms renormalised to
    unit norm. The OMP is batched over the signals (all Gram solves of one step in one call) instead of the
    reference's per-signal scikit-learn ``SparseCoder``. ``X`` is divided by a power of two near its largest entry
    first (exact; the unit-norm atoms do not depend on the scale of ``X``; ``loss`` is in those units).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.learn.decomposition import masked_dictionary_learning
    >>> X = np.random.default_rng(0).standard_normal((100, 20))
    >>> res = masked_dictionary_learning(X, 10, n_nonzero_coefs=2, batch_size=50, max_epochs=3, tol=0.0,
    ...                                  random_state=0)
    >>> res.components.shape, res.n_iter
    ((10, 20), 3)
    """
    X = check_array(X, "X", ndim=2)
    n, d = X.shape
    if n_nonzero_coefs > n_components:
        raise ValueError(f"n_nonzero_coefs must be at most n_components={n_components}; got {n_nonzero_coefs}.")
    n_seen = int(round(mask_fraction * d)) if objective == "mask" else d
    if objective == "mask" and not 0 < n_seen < d:
        raise ValueError(f"mask_fraction={mask_fraction} leaves no coordinate on one side of the split of "
                         f"n_features={d}.")
    rng = check_random_state(random_state)
    dtype = X.dtype
    X = _unit_peak(X.astype(np.float64))
    if dict_init is None:
        B = X[rng.choice(n, size=n_components, replace=n_components > n)].copy()
        B += 1e-6 * rng.standard_normal(B.shape)  # a zero signal would give a zero atom
    else:
        B = check_array(dict_init, "dict_init", ndim=2).astype(np.float64)
        if B.shape != (n_components, d):
            raise ValueError(f"dict_init must have shape (n_components, n_features)={(n_components, d)}; "
                             f"got {B.shape}.")
    B = _normalise_rows(B)
    beta1, beta2, eps = _ADAM
    first, second = np.zeros_like(B), np.zeros_like(B)
    losses, step, status = [], 0, STATUS_MAX_ITER
    for _ in range(max_epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            Y = X[order[start:start + batch_size]]
            if objective == "mask":
                perm = rng.permutation(d)
                seen, scored = perm[:n_seen], perm[n_seen:]
                codes = batched_omp(B[:, seen], Y[:, seen], n_nonzero_coefs)
            else:
                scored = slice(None)
                codes = batched_omp(B, Y, n_nonzero_coefs)
            residual = Y[:, scored] - codes @ B[:, scored]
            total += float(np.sum(residual**2))
            grad = np.zeros_like(B)
            grad[:, scored] = -2.0 / Y.shape[0] * (codes.T @ residual)
            step += 1
            first = beta1 * first + (1 - beta1) * grad
            second = beta2 * second + (1 - beta2) * grad**2
            B = B - learning_rate * (first / (1 - beta1**step)) / (np.sqrt(second / (1 - beta2**step)) + eps)
            B = _normalise_rows(B)
        losses.append(total / n)
        if len(losses) > 1 and abs(losses[-2] - losses[-1]) <= tol * abs(losses[-1]):
            status = STATUS_CONVERGED
            break
    result = Result(components=B.astype(dtype), loss=np.asarray(losses), n_iter=len(losses))
    if status == STATUS_CONVERGED:
        return end_run(result, caller="masked_dictionary_learning", status=status, message="converged")
    return end_run(result, caller="masked_dictionary_learning", status=status,
                   message=f"max_epochs={max_epochs} run before the epoch loss changed by less than tol={tol:g}")
