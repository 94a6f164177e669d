"""Copy a solver's :class:`~sparsekit.Result` onto a fitted estimator.

Every estimator of :mod:`sparsekit.learn` that wraps a solver exposes the
figures of its run as fitted attributes (``n_iter_``, ``converged_``, ...) and
keeps the whole run in ``result_``; this is the one place that does it.
"""

import numpy as np

__all__ = ["store_result"]


def store_result(estimator, result, names, *, dtype=None):
    """Set ``estimator.<name>_ = result[<name>]`` for each name, and ``estimator.result_ = result``.

    Parameters
    ----------
    estimator : object
        The estimator being fitted.
    result : Result
        The solver's result.
    names : iterable of str
        Fields of ``result`` to expose, each as ``<name>_``.
    dtype : dtype, optional
        Cast the floating-point arrays among them to this dtype (the
        precision of the estimator's ``X``, when the solver computed in
        float64); ``result_`` keeps the solver's arrays.

    Returns
    -------
    object
        ``estimator``, so that ``fit`` can end with ``return store_result(...)``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from sparsekit import Result
    >>> from sparsekit.learn._result_attributes import store_result
    >>> model = store_result(SimpleNamespace(), Result(n_iter=3, converged=True), ("n_iter",))
    >>> model.n_iter_, bool(model.result_.converged)
    (3, True)
    """
    for name in names:
        value = result[name]
        if dtype is not None and isinstance(value, np.ndarray) and value.dtype.kind == "f":
            value = value.astype(dtype, copy=False)
        setattr(estimator, f"{name}_", value)
    estimator.result_ = result
    return estimator
