"""Complete dictionary learning by lp-norm maximisation over the orthogonal group: the generalised power method.

``orthogonal_dictionary_learning`` is the solver (a plain function returning a :class:`~sparsekit.Result`); the
estimator :class:`OrthogonalDictionaryLearning` in ``_orthogonal_dl_estimator.py`` wraps it. The ℓp gradient and
the random orthogonal start are shared with the online Frank–Wolfe solver.
"""

import math
from numbers import Integral, Real

import numpy as np

from ..._core.backend import get_namespace, to_namespace
from ..._core.params import Interval, Options, validate_params
from ..._core.random import check_random_state
from ..._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_STOPPED, Result, end_run
from ..._core.validation import check_array
from ...linalg import polar

__all__ = ["orthogonal_dictionary_learning"]


def lp_gradient(Z, p, xp):
    """``(sign(Z) |Z|^(p-1), sum |Z|^p)``: the ℓp gradient's factor and ``p`` times the objective, fused.

    ``|Z| * Z`` for p=3 and ``Z * Z * Z`` for p=4 avoid the slow float power (10x slower than two products).
    """
    if p == 3:
        W = xp.abs(Z)
        W *= Z
    elif p == 4:
        W = Z * Z
        W *= Z
    else:
        W = xp.abs(Z) ** (p - 1)
        W *= xp.sign(Z)
    return W, float(xp.vdot(W.ravel(), Z.ravel()))


def random_orthogonal(rng, n_components, n_features, dtype, xp):
    """A Haar-random matrix with orthonormal rows, drawn in NumPy float64 (the same for every backend)."""
    start = polar(rng.standard_normal((n_components, n_features)))
    return to_namespace(start.astype(dtype), xp)


def check_components(n_components, n_features, name="n_components"):
    """``n_components`` resolved (``None`` means ``n_features``) and checked: orthonormal rows need ``<= n_features``."""
    if n_components is None:
        return n_features
    if n_components > n_features:
        raise ValueError(f"{name} must be at most n_features={n_features} for an orthogonal dictionary (its atoms "
                         f"are orthonormal); got {n_components}.")
    return int(n_components)


def check_init(init, n_components, n_features, dtype, xp, rng):
    """The starting dictionary: ``"random"`` (Haar) or a user's array, projected onto orthonormal rows."""
    if isinstance(init, str):
        return random_orthogonal(rng, n_components, n_features, dtype, xp)
    start = check_array(init, "init", ndim=2)
    if start.shape != (n_components, n_features):
        raise ValueError(f"init must have shape (n_components, n_features) = ({n_components}, {n_features}); got "
                         f"{start.shape}.")
    if not np.any(start):
        raise ValueError("init is all zeros: it has no nearest orthonormal matrix to start from.")
    return polar(to_namespace(start, xp)).astype(dtype, copy=False)


def scale_exponent(X, p, xp):
    """``e`` such that ``X 2**e`` (exact) keeps ``|X|^p`` summed over many samples in range; 0 for ordinary data.

    The dictionary does not depend on the scale of ``X``; data far from unit scale are rescaled by a power of two.
    """
    peak = max(float(xp.max(X)), -float(xp.min(X)))
    if peak == 0 or not math.isfinite(peak):
        return 0
    exponent = math.frexp(peak)[1]
    return -exponent if abs(exponent) > np.finfo(X.dtype).maxexp // (math.ceil(p) + 2) else 0


def rescaled(X, exponent):
    """``X * 2**exponent``; ``X`` itself, not a copy, when ``exponent`` is 0."""
    return X * math.ldexp(1.0, exponent) if exponent else X


_SUBSAMPLE_PER_FEATURE = 40  # samples per feature of the warm-up run of init="subsample"


def stopping_tolerance(tol, dtype):
    """``tol``, raised to ``10 eps`` of the working precision (a smaller step change is rounding noise)."""
    return max(float(tol), 10.0 * float(np.finfo(dtype).eps))


@validate_params({
    "n_components": [Interval(Integral, 1, None, closed="left"), None],
    "p": [Interval(Real, 2, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "init": [Options({"random", "subsample"}), "array-like"],
    "random_state": ["random_state"],
    "callback": ["callable", None],
    "polar_method": [Options({"svd", "newton-schulz"})],
})
def orthogonal_dictionary_learning(X, n_components=None, *, p=3, max_iter=300, tol=1e-4, init="subsample",
                                   random_state=None, callback=None, polar_method="svd"):
    """Complete dictionary learning by ℓp-norm maximisation over the orthogonal group (generalised power method).

    Finds the dictionary ``A`` with orthonormal rows that maximises ``(1/(p m)) sum_ij |(X A^T)_ij|^p``: for data
    ``X = codes @ D0`` with sparse codes and an orthogonal ``D0``, the maximisers are the signed permutations of
    ``D0`` (the sparse codes have the heaviest ℓp tails among all rotations of the data, for ``p > 2``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Samples, one per row; finite; float32 is kept (NumPy or CuPy). Not modified.
    n_components : int, optional
        Number of atoms, at most ``n_features``; ``n_features`` by default (a complete dictionary). Fewer atoms
        learn an orthonormal subset (the rectangular case of the papers).
    p : float > 2, default=3
        The norm maximised. ``p=3`` is the best-performing choice of Shen et al.; ``p=4`` is MSP (Zhai et al.).
    max_iter : int, default=300
        Maximum number of power iterations.
    tol : float, default=1e-4
        Stop when ``||A_k - A_{k-1}||_F / sqrt(n_components) <= tol`` (raised to ``10 eps`` of the data's precision).
    init : "subsample", "random" or array-like of shape (n_components, n_features), default="subsample"
        ``"random"``: start from a Haar-random orthonormal matrix. ``"subsample"``: the same method is first run
        from that random start on ``40 * n_features`` samples drawn without replacement, to a step of
        ``1 / sqrt(40 * n_features)`` (the resolution of so few samples), and the full data start from its
        result; taken only when ``X`` has more than twice that many samples (``"random"`` otherwise). An array:
        start from its polar factor.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the random start and of the subsample.
    callback : callable, optional
        ``callback(A)`` after each iteration with the current dictionary; returning True (or raising
        StopIteration) stops the run (status 2, no warning).
    polar_method : {"svd", "newton-schulz"}, default="svd"
        How :func:`sparsekit.linalg.polar` projects the gradient (Newton–Schulz: matrix products only, for GPUs).

    Returns
    -------
    Result
        ``components`` (n_components, n_features): the dictionary, orthonormal rows, in ``X``'s namespace and
        dtype; ``objective``: ``(1/(p m)) ||X A^T||_p^p`` at each iterate (of ``X`` scaled by a power of two if its entries lie far
        from unit scale) (a float64 NumPy array);
        ``step``: ``||A_k - A_{k-1}||_F / sqrt(n_components)`` per iteration; ``n_iter``, ``converged``,
        ``status``, ``message``.

    Raises
    ------
    ValueError
        If ``X`` is not a finite non-empty 2-D array, ``n_components > n_features`` or ``init`` has the wrong shape.
    TypeError
        If ``X`` is sparse or not numeric.

    See Also
    --------
    OrthogonalDictionaryLearning : The estimator.
    online_orthogonal_dictionary_learning : The streaming (Frank–Wolfe) variant.

    Notes
    -----
    Each iteration is the generalised power method of Shen, Xue, Zhang, Letaief & Lau (UAI 2020):
    ``Z = X A^T``, ``G = (sign(Z) |Z|^(p-1))^T X`` (the gradient, up to a positive factor), ``A <- polar(G)``
    (:func:`sparsekit.linalg.polar`: the orthonormal matrix nearest to ``G``, which maximises the linearised
    objective over the orthogonal group). Since the objective is convex the objective never decreases. For
    ``p=4`` it is the MSP algorithm of Zhai, Yang, Liao, Wright & Ma (JMLR 2020). Costs: two ``m x n x n``
    products and one ``n x n`` SVD per iteration. The papers stop on ``||A_k - A_{k-1}||_F / n < 1e-8`` or
    on a fixed count; we measured that the recovery error stops changing (to three digits) once the step is
    below ``1e-3`` (n=50, m=20 000: about 10 iterations), so ``tol=1e-4`` keeps a margin; a zero gradient (all-zero
    data) is a stationary point and ends the run as converged. The objective is computed from the same
    products as the gradient, at no extra cost.

    The ``"subsample"`` start is ours: from a Haar-random start the method spends most of its iterations leaving
    the neighbourhood of the start (n=50, m=20 000, noise 0.1: 12 to 37 iterations over three problems), work that
    ``40 n`` samples do as well at a tenth of the cost; the full data then need 7 or 8 iterations to the same
    error. The warm-up stops at a step of ``1 / sqrt(40 n)``, the resolution of its sample. ``objective``,
    ``step`` and ``n_iter`` describe the iterations on the full data.

    Examples
    --------
    >>> from sparsekit.datasets import make_sparse_coding
    >>> from sparsekit.learn.decomposition import dictionary_error, orthogonal_dictionary_learning
    >>> X, D, codes = make_sparse_coding(5000, 10, random_state=0)
    >>> result = orthogonal_dictionary_learning(X, random_state=0)
    >>> bool(result.converged), dictionary_error(result.components, D) < 1e-2
    (True, True)
    """
    xp = get_namespace(X=X)
    X = check_array(X, "X", ndim=2)
    n_samples, n_features = X.shape
    n_components = check_components(n_components, n_features)
    rng = check_random_state(random_state)
    subsample = _SUBSAMPLE_PER_FEATURE * n_features
    use_subsample = isinstance(init, str) and init == "subsample" and n_samples > 2 * subsample
    A = check_init("random" if isinstance(init, str) else init, n_components, n_features, X.dtype, xp, rng)
    tol = stopping_tolerance(tol, X.dtype)
    X = rescaled(X, scale_exponent(X, p, xp))
    if use_subsample:
        rows = to_namespace(np.sort(rng.choice(n_samples, size=subsample, replace=False)), xp)
        A = power_iterations(X[rows], A, p, max_iter, max(tol, 1.0 / math.sqrt(subsample)), polar_method)[0]
    A, objective, steps, status, message = power_iterations(X, A, p, max_iter, tol, polar_method, callback)
    result = Result(components=A, objective=np.asarray(objective), step=np.asarray(steps), n_iter=len(objective))
    return end_run(result, caller="orthogonal_dictionary_learning", status=status, message=message)


def power_iterations(X, A, p, max_iter, tol, polar_method, callback=None):
    """The ℓp power method from ``A``: ``(A, objective, steps, status, message)`` (see the public function)."""
    xp = get_namespace(X=X)
    n_components = A.shape[0]
    scale = 1.0 / (p * X.shape[0])
    objective, steps = [], []
    status, message = STATUS_MAX_ITER, f"reached max_iter={max_iter} before the step fell below tol={tol:.3g}"
    for _ in range(max_iter):
        W, total = lp_gradient(X @ A.T, p, xp)
        objective.append(total * scale)
        G = W.T @ X
        if not bool(xp.any(G)):
            status, message = STATUS_CONVERGED, "the gradient is zero: a stationary point (all-zero data)"
            break
        A_next = polar(G, method=polar_method)
        steps.append(float(xp.linalg.norm(A_next - A)) / math.sqrt(n_components))
        A = A_next
        if steps[-1] <= tol:
            status, message = STATUS_CONVERGED, f"the step fell below tol={tol:.3g}"
            break
        if callback is not None and callback_stops(callback, A):
            status, message = STATUS_STOPPED, "stopped by the callback"
            break
    return A, objective, steps, status, message


def callback_stops(callback, A):
    """Whether the user's ``callback(A)`` asks to stop: it returned True or raised StopIteration."""
    try:
        return bool(callback(A))
    except StopIteration:
        return True
