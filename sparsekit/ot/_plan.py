"""The lazy entropic transport plan: the potentials and the cost, never the ``n x m`` matrix."""

import numpy as np

from ._problem import expand

__all__ = ["EntropicPlan"]


class EntropicPlan:
    """An entropic transport plan kept as its potentials, evaluated on demand.

    The plan is ``P_ij = exp((f_i + g_j - M_ij) / reg)`` on the points of
    positive mass and 0 on the others. It stores ``M`` (a reference, no copy)
    and the potentials, so its memory is ``O(n + m)`` beyond the cost; every
    operation is one fused pass over ``M`` (numba kernels for NumPy, blocks of
    rows for other array namespaces).

    Solvers return it when the dense plan would be large (see
    ``plan_format`` in :func:`sparsekit.ot.sinkhorn`). ``np.asarray(plan)``
    or :meth:`toarray` materialises it.

    Parameters
    ----------
    passes : object
        The dense passes over the kept part of the cost (``sparsekit.ot._passes``).
    F, G : array
        Scaled potentials ``f / reg`` and ``g / reg`` of the kept points.
    shape : tuple of int
        Shape ``(n, m)`` of the full plan.
    rows, cols : ndarray of int or None
        Indices of the kept points (None: all).
    dtype : dtype, default=float64
        Precision of the materialised plan (float32 for a float32 problem);
        products with the plan are computed in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.ot import sinkhorn
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> plan = sinkhorn(None, None, M, 1.0, plan_format="lazy").plan
    >>> plan.shape
    (2, 2)
    >>> np.round(plan.toarray(), 4)
    array([[0.3655, 0.1345],
           [0.1345, 0.3655]])
    >>> np.round(plan @ np.ones(2), 6)
    array([0.5, 0.5])
    """

    def __init__(self, passes, F, G, shape, rows=None, cols=None, dtype=np.float64):
        self._passes = passes
        self._dtype = np.dtype(dtype)
        self._F = F
        self._G = G
        self.shape = tuple(shape)
        self._rows = rows
        self._cols = cols

    @property
    def dtype(self):
        """The dtype of :meth:`toarray` (the problem's working precision)."""
        return self._dtype

    @property
    def ndim(self):
        """Number of dimensions (2)."""
        return 2

    def toarray(self):
        """Materialise the plan as a dense array of shape ``shape``.

        Returns
        -------
        array
            The plan, in the namespace and on the device of the cost.
        """
        dense = self._passes.fill(self._F, self._G, self._dtype)
        if self._rows is None and self._cols is None:
            return dense
        xp = self._passes.xp
        if self._rows is not None:
            dense = expand(dense, self._rows, self.shape[0], 0.0)
        if self._cols is not None:
            dense = xp.permute_dims(expand(xp.permute_dims(dense, (1, 0)), self._cols, self.shape[1], 0.0), (1, 0))
        return dense

    def __array__(self, dtype=None, copy=None):
        from .._core.backend import to_numpy

        out = np.asarray(to_numpy(self.toarray()))
        return out if dtype is None else out.astype(dtype)

    def _as_2d(self, x, size, name):
        xp = self._passes.xp
        x = xp.asarray(x) if xp is not np else np.asarray(x, dtype=np.float64)
        if x.shape[0] != size or x.ndim not in (1, 2):
            raise ValueError(f"{name} must have shape ({size},) or ({size}, k); got {tuple(x.shape)}.")
        return x, x.ndim == 1

    def __matmul__(self, x):
        """``P @ x`` for a vector or matrix ``x`` with ``m`` rows."""
        xp = self._passes.xp
        x, vector = self._as_2d(x, self.shape[1], "x")
        x2 = xp.reshape(x, (-1, 1)) if vector else x
        if self._cols is not None:
            x2 = xp.take(x2, _index_like(self._cols, x2), axis=0)
        out = expand(self._passes.matvec(self._F, self._G, x2), self._rows, self.shape[0], 0.0)
        return xp.reshape(out, (-1,)) if vector else out

    def __rmatmul__(self, y):
        """``y @ P`` for a vector or matrix ``y`` (as ``y.T @ P`` for a matrix) with ``n`` entries."""
        xp = self._passes.xp
        y, vector = self._as_2d(y, self.shape[0], "y")
        y2 = xp.reshape(y, (-1, 1)) if vector else y
        if self._rows is not None:
            y2 = xp.take(y2, _index_like(self._rows, y2), axis=0)
        out = expand(self._passes.rmatvec(self._F, self._G, y2), self._cols, self.shape[1], 0.0)
        return xp.reshape(out, (-1,)) if vector else out.T

    def sum(self, axis=None):
        """Total mass (``axis=None``), row marginal (``axis=1``) or column marginal (``axis=0``).

        Parameters
        ----------
        axis : {None, 0, 1}
            As for :meth:`numpy.ndarray.sum`.

        Returns
        -------
        float or array
            The sums.
        """
        rows, cols, _ = self._passes.sums_and_cost(self._F, self._G)
        xp = self._passes.xp
        if axis is None:
            return float(xp.sum(rows))
        if axis in (1, -1):
            return expand(rows, self._rows, self.shape[0], 0.0)
        if axis in (0, -2):
            return expand(cols, self._cols, self.shape[1], 0.0)
        raise ValueError(f"axis must be None, 0 or 1; got {axis!r}.")

    def __repr__(self):
        return f"EntropicPlan(shape={self.shape})"


def _index_like(index, like):
    from ._problem import to_device

    return to_device(np.asarray(index), like)
