"""Random sketching operators: Gaussian, sparse sign, CountSketch and row sampling.

A sketch is a random ``k x m`` matrix ``S`` with ``E[S.T @ S] = I`` that is
applied to a tall ``m x n`` matrix ``A``; ``S @ A`` (``k x n``, ``k << m``)
keeps the geometry of the column space of ``A`` while being cheap to work
with. Every operator here draws its randomness once, from ``random_state``, so
the same seed gives the same ``S`` whatever it is applied to, and applying it
twice gives the same result. Dense NumPy, SciPy CSR/CSC (never densified) and
dense CuPy input are accepted. The trigonometric sketches (SRHT, SRDCT) are in
:mod:`._trig_sketches`.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse

from ..._core.backend import device_of, is_numpy_namespace, numpy_dtype, to_namespace
from ..._core.params import Interval, check_params
from ..._core.random import check_random_state
from ..._core.validation import check_array
from ._sketch_input import check_sketch_input, check_weights, namespace_label
from ._sketch_kernels import (
    sparse_sign_csc,
    sparse_sign_csr,
    sparse_sign_dense_cols,
    sparse_sign_dense_rows,
    sparse_sign_transpose,
)

__all__ = [
    "SketchOperator",
    "GaussianSketch",
    "SparseSignSketch",
    "CountSketch",
    "RowSamplingSketch",
    "sampling_scales",
]

# Dense workspaces (Gaussian blocks, transformed column blocks) hold at most
# this many entries, so memory stays bounded whatever the size of A.
WORKSPACE_ENTRIES = 1 << 22

# A sketch of more rows than this could not be stored (nor its row indices drawn as int64 sums): refusing it
# up front names the argument instead of failing inside NumPy's allocator or random generator.
MAX_COUNT = 2**31 - 1
_POSITIVE_INT = Interval(Integral, 1, MAX_COUNT, closed="both")


def check_count(value, name):
    """``value`` as an int, refused unless it is an integer in [1, 2**31 - 1] (a size of a sketch)."""
    check_params({name: value}, {name: [_POSITIVE_INT]}, caller="sketch")
    return int(value)


class SketchOperator:
    """A random ``k x m`` sketching matrix ``S``, applied with ``S @ A`` or :meth:`apply`.

    Subclasses draw their randomness once in ``__init__``; ``apply`` is then a
    deterministic function of the input.

    Parameters
    ----------
    k : int
        Number of rows of ``S`` (the sketch size).
    m : int
        Number of columns of ``S`` (rows of the matrices it is applied to).

    Examples
    --------
    Every sketch of :func:`sketch` is a ``SketchOperator``:

    >>> import numpy as np
    >>> from sparsekit.linalg import GaussianSketch, SketchOperator
    >>> S = GaussianSketch(20, 500, random_state=0)
    >>> isinstance(S, SketchOperator), S.shape, (S @ np.ones((500, 3))).shape
    (True, (20, 500), (20, 3))
    """

    #: whether the sketch of a sparse matrix is dense by default
    dense_for_sparse = True
    #: array namespaces beyond NumPy the dense path supports
    namespaces = ("cupy",)
    #: whether ``_apply_dense`` checks dense NumPy input for NaN itself (so ``apply`` skips the separate scan)
    scans_dense_input = False

    def __init__(self, k, m):
        self.k = check_count(k, "k")
        self.m = check_count(m, "m")

    @property
    def shape(self):
        """``(k, m)``."""
        return (self.k, self.m)

    def __repr__(self):
        return f"{type(self).__name__}(k={self.k}, m={self.m})"

    def __matmul__(self, A):
        return self.apply(A)

    def apply(self, A, *, dense_output=None):
        """Return ``S @ A``.

        Parameters
        ----------
        A : ndarray, sparse array (CSR or CSC) or CuPy array, shape (m, n) or (m,)
            The matrix or vector to sketch. Sparse input is never densified.
        dense_output : bool, optional
            For sparse ``A``: whether to return a dense array. By default the
            mixing sketches (Gaussian, SRHT, SRDCT) return dense arrays,
            row sampling returns a sparse array, and CountSketch / sparse sign
            return a dense array when ``k * n`` is at most the number of
            nonzeros the sketch can produce.

        Returns
        -------
        ndarray, sparse array or CuPy array, shape (k, n) or (k,)
            The sketch, in the input's namespace and dtype.

        Raises
        ------
        ValueError
            If ``A`` does not have ``m`` rows, or contains NaN or infinity.
        TypeError
            For unsupported sparse formats or array libraries.
        """
        A, kind, xp = check_sketch_input(A, scan_dense=not self.scans_dense_input)
        return self.apply_validated(A, kind, xp, dense_output=dense_output)

    def apply_validated(self, A, kind, xp, *, dense_output=None):
        """Return ``S @ A`` for input already validated (no second scan for NaN).

        Parameters
        ----------
        A : ndarray, sparse array or CuPy array
            Input as returned by ``check_sketch_input``.
        kind : {"dense", "csr", "csc"}
            Its storage kind.
        xp : module
            Its array namespace.
        dense_output : bool, optional
            As for :meth:`apply`.

        Returns
        -------
        ndarray, sparse array or CuPy array
            The sketch.
        """
        if A.shape[0] != self.m:
            raise ValueError(
                f"A must have {self.m} rows to be sketched by {self!r}; got shape {tuple(A.shape)}."
            )
        if kind != "dense":
            return self._apply_sparse(A, dense_output)
        vector = A.ndim == 1
        if vector:
            A = xp.reshape(A, (self.m, 1))
        if xp is np or is_numpy_namespace(xp):
            out = self._apply_dense(np.asarray(A))
        else:
            label = namespace_label(xp)
            if label not in self.namespaces:
                raise TypeError(
                    f"{type(self).__name__} supports NumPy, SciPy sparse and "
                    f"{', '.join(self.namespaces) or 'no other'} "
                    f"input; got a {label} array."
                )
            import array_api_compat

            out = self._apply_namespace(A, array_api_compat.array_namespace(A))
        return out[:, 0] if vector else out

    def apply_transpose(self, Y):
        """Return ``S.T @ Y`` for a dense NumPy ``Y`` of shape (k, r) or (k,).

        Parameters
        ----------
        Y : array-like, shape (k, r) or (k,)
            Dense input.

        Returns
        -------
        ndarray, shape (m, r) or (m,)
            ``S.T @ Y``.
        """
        Y = check_array(Y, "Y", ndim=(1, 2))
        Y = np.asarray(Y)
        if Y.shape[0] != self.k:
            raise ValueError(f"Y must have {self.k} rows; got shape {Y.shape}.")
        vector = Y.ndim == 1
        out = self._apply_transpose(Y.reshape(self.k, -1))
        return out[:, 0] if vector else out

    def toarray(self):
        """Return ``S`` as a dense NumPy array (for small ``m`` only).

        Returns
        -------
        ndarray, shape (k, m)
            The sketching matrix.
        """
        return self._apply_transpose(np.eye(self.k)).T

    def _densify_output(self, dense_output):
        return self.dense_for_sparse if dense_output is None else bool(dense_output)

    def _apply_sparse(self, A, dense_output):
        """Sketch a CSR/CSC matrix by densifying bounded column blocks (mixing sketches)."""
        A = A.tocsc()
        width = max(1, WORKSPACE_ENTRIES // self.m)
        out = np.empty((self.k, A.shape[1]), dtype=A.dtype)
        for start in range(0, A.shape[1], width):
            stop = min(start + width, A.shape[1])
            out[:, start:stop] = self._apply_dense(A[:, start:stop].toarray())
        return out if self._densify_output(dense_output) else sparse.csr_array(out)


class GaussianSketch(SketchOperator):
    """Gaussian sketch: i.i.d. ``N(0, 1/k)`` entries.

    ``S`` is never stored: it is generated in blocks of columns, block ``b``
    from its own child of one seed, so memory stays bounded and the same seed
    always gives the same matrix.

    Parameters
    ----------
    k : int
        Sketch size (rows of ``S``).
    m : int
        Rows of the matrices to sketch.
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of randomness.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import GaussianSketch
    >>> S = GaussianSketch(20, 1000, random_state=0)
    >>> (S @ np.ones((1000, 3))).shape
    (20, 3)
    """

    namespaces = ("cupy", "array-api")

    def __init__(self, k, m, *, random_state=None):
        super().__init__(k, m)
        rng = check_random_state(random_state)
        self._entropy = [int(v) for v in rng.integers(0, 2**63 - 1, size=4, dtype=np.uint64)]
        self._block = max(1, WORKSPACE_ENTRIES // self.k)

    def _blocks(self, dtype=np.float64):
        """Yield ``(start, stop, G)`` with ``G = S[:, start:stop]``."""
        scale = 1.0 / math.sqrt(self.k)
        for index, start in enumerate(range(0, self.m, self._block)):
            stop = min(start + self._block, self.m)
            child = np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=(index,)))
            block = child.standard_normal((self.k, stop - start))
            block *= scale
            yield start, stop, block.astype(dtype, copy=False)

    def _apply_dense(self, A):
        out = np.zeros((self.k, A.shape[1]), dtype=A.dtype)
        for start, stop, G in self._blocks(A.dtype):
            out += G @ A[start:stop]
        return out

    def _apply_namespace(self, A, xp):
        device = device_of(A)
        out = None
        for start, stop, G in self._blocks(numpy_dtype(A.dtype)):
            term = to_namespace(G, xp, device) @ A[start:stop, ...]
            out = term if out is None else out + term
        return out

    def _apply_sparse(self, A, dense_output):
        A = A.tocsr()
        out = np.zeros((self.k, A.shape[1]), dtype=A.dtype)
        for start, stop, G in self._blocks(A.dtype):
            out += (A[start:stop].T @ G.T).T
        return out if self._densify_output(dense_output) else sparse.csr_array(out)

    def _apply_transpose(self, Y):
        out = np.empty((self.m, Y.shape[1]), dtype=np.result_type(Y.dtype, np.float32))
        for start, stop, G in self._blocks(out.dtype):
            out[start:stop] = G.T @ Y
        return out


def _distinct_rows(rng, m, k, s):
    """``m x s`` row indices, each row a uniformly random ``s``-subset of ``range(k)``."""
    dtype = np.int32 if k < 2**31 else np.int64
    if 4 * s > k:
        return np.argsort(rng.random((m, k)), axis=1)[:, :s].astype(dtype)
    rows = rng.integers(0, k, size=(m, s), dtype=dtype)
    if s == 1:
        return rows
    while True:
        ordered = np.sort(rows, axis=1)
        clash = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
        if clash.size == 0:
            return rows
        rows[clash] = rng.integers(0, k, size=(clash.size, s), dtype=dtype)


class SparseSignSketch(SketchOperator):
    """Sparse sign sketch (OSNAP / SJLT): ``nnz_per_col`` entries ``±1/sqrt(s)`` per column.

    Column ``i`` of ``S`` has ``s = nnz_per_col`` nonzeros in distinct,
    uniformly random rows, with independent random signs. Applying it costs
    ``s`` passes' worth of arithmetic over the nonzeros of ``A`` in a single
    pass over memory (numba kernels for CSR, CSC and dense input).

    Parameters
    ----------
    k : int
        Sketch size (rows of ``S``).
    m : int
        Rows of the matrices to sketch.
    nnz_per_col : int, default=8
        Nonzeros per column of ``S``; at most ``k``. 1 gives CountSketch.
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of randomness.

    Notes
    -----
    Nelson and Nguyen's OSNAP: with ``k = O(n^{1+γ}/ε²)`` rows and
    ``s = O(1/(γ ε))`` nonzeros per column it is an ε-subspace embedding of an
    n-dimensional subspace; ``s = 8`` and ``k`` a few times ``n`` work well
    in practice (PARLA's default for sketch-and-precondition).

    References
    ----------
    .. [1] J. Nelson and H. L. Nguyen, "OSNAP: Faster numerical linear algebra
       algorithms via sparser subspace embeddings", FOCS 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from sparsekit.linalg import SparseSignSketch
    >>> A = sparse.random_array((10_000, 50), density=0.01, format="csc", rng=0)
    >>> S = SparseSignSketch(200, 10_000, nnz_per_col=4, random_state=0)
    >>> SA = S @ A
    >>> SA.shape, bool(np.allclose(SA, S.toarray() @ A.toarray()))
    ((200, 50), True)
    """

    scans_dense_input = True

    def __init__(self, k, m, *, nnz_per_col=8, random_state=None):
        super().__init__(k, m)
        check_params({"nnz_per_col": nnz_per_col}, {"nnz_per_col": [_POSITIVE_INT]},
                     caller=type(self).__name__)
        if nnz_per_col > self.k:
            raise ValueError(f"nnz_per_col must be at most k={self.k}; got {nnz_per_col}.")
        self.nnz_per_col = int(nnz_per_col)
        rng = check_random_state(random_state)
        self.rows = _distinct_rows(rng, self.m, self.k, self.nnz_per_col)
        coins = rng.integers(0, 2, size=(self.m, self.nnz_per_col), dtype=np.int8)
        self.signs = (2 * coins - 1).astype(np.int8)
        self.scale = 1.0 / math.sqrt(self.nnz_per_col)

    def __repr__(self):
        return f"{type(self).__name__}(k={self.k}, m={self.m}, nnz_per_col={self.nnz_per_col})"

    def _values(self, dtype):
        """The nonzeros of ``S`` (m x s) in ``dtype``."""
        return (self.signs * self.scale).astype(dtype)

    def _apply_dense(self, A):
        scale = A.dtype.type(self.scale)
        if A.flags.f_contiguous and not A.flags.c_contiguous:
            out_t = np.zeros((A.shape[1], self.k), dtype=A.dtype)
            sparse_sign_dense_cols(A.T, self.rows, self.signs, scale, out_t)
            out = out_t.T
        else:
            out = np.zeros((self.k, A.shape[1]), dtype=A.dtype)
            sparse_sign_dense_rows(np.ascontiguousarray(A), self.rows, self.signs, scale, out)
        # Every entry of A lands, times a nonzero weight, in some entry of S A: a NaN or infinity in A leaves one
        # there. So the scan of dense input is done on the k x n sketch, not on the m x n input (on a
        # memory-bound sketch the scan cost as much as the sketch); only a non-finite sketch rescans A.
        if not np.isfinite(out).all():
            if not np.isfinite(A).all():
                raise ValueError("A must not contain NaN or infinity.")
            raise ValueError("A is too large in magnitude: its sketch overflows; rescale A.")
        return out

    def _apply_namespace(self, A, xp):
        import cupyx.scipy.sparse as cupy_sparse

        device = device_of(A)
        S = sparse.csc_array(
            (self._values(numpy_dtype(A.dtype)).ravel(), self.rows.ravel(),
             np.arange(0, self.m * self.nnz_per_col + 1, self.nnz_per_col)),
            shape=self.shape,
        ).tocsr()
        parts = [to_namespace(part, xp, device) for part in (S.data, S.indices, S.indptr)]
        with device:
            S_device = cupy_sparse.csr_matrix(tuple(parts), shape=self.shape)
        return S_device @ A

    def _apply_sparse(self, A, dense_output):
        dense = dense_output
        if dense is None:
            dense = self.k * A.shape[1] <= self.nnz_per_col * A.nnz
        if dense:
            scale = A.dtype.type(self.scale)
            if A.format == "csr":
                out = np.zeros((self.k, A.shape[1]), dtype=A.dtype)
                sparse_sign_csr(A.indptr, A.indices, A.data, self.rows, self.signs, scale, out)
                return out
            out_t = np.zeros((A.shape[1], self.k), dtype=A.dtype)
            sparse_sign_csc(A.indptr, A.indices, A.data, self.rows, self.signs, scale, out_t)
            return out_t.T
        values = self._values(A.dtype)
        coo = A.tocoo()
        out_rows = self.rows[coo.row].ravel()
        out_cols = np.repeat(coo.col, self.nnz_per_col)
        out_vals = (values[coo.row] * coo.data[:, None]).ravel()
        return sparse.coo_array((out_vals, (out_rows, out_cols)), shape=(self.k, A.shape[1])).tocsr()

    def _apply_transpose(self, Y):
        out = np.empty((self.m, Y.shape[1]), dtype=np.result_type(Y.dtype, np.float32))
        Y = np.ascontiguousarray(Y, dtype=out.dtype)
        sparse_sign_transpose(self.rows, self.signs, out.dtype.type(self.scale), Y, out)
        return out


class CountSketch(SparseSignSketch):
    """CountSketch (Clarkson–Woodruff): one ``±1`` per column of ``S``.

    The sparse sign sketch with ``nnz_per_col=1``: row ``i`` of ``A`` is added,
    with a random sign, to one random row of ``S @ A``.

    Parameters
    ----------
    k : int
        Sketch size (rows of ``S``).
    m : int
        Rows of the matrices to sketch.
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of randomness.

    References
    ----------
    .. [1] K. L. Clarkson and D. P. Woodruff, "Low rank approximation and
       regression in input sparsity time", STOC 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import CountSketch
    >>> S = CountSketch(3, 6, random_state=0)
    >>> np.abs(S.toarray()).sum(axis=0)
    array([1., 1., 1., 1., 1., 1.])
    """

    def __init__(self, k, m, *, random_state=None):
        super().__init__(k, m, nnz_per_col=1, random_state=random_state)

    # CountSketch takes no nnz_per_col (it is always 1), so its repr is the base one
    __repr__ = SketchOperator.__repr__


class RowSamplingSketch(SketchOperator):
    """Row sampling: ``S @ A`` keeps ``k`` rescaled rows of ``A``.

    Uniform sampling (``weights=None``), with or without replacement, or
    sampling with replacement with probabilities ``q = weights / sum(weights)``
    (leverage scores, Lewis weights, ...). A kept row ``i`` is multiplied by
    ``(k q_i)^(-1/p)``, so that ``E[||S A x||_p^p] = ||A x||_p^p``; for the
    default ``p = 2`` this is ``E[S.T @ S] = I``.

    Parameters
    ----------
    k : int
        Number of rows kept; at most ``m`` without replacement.
    m : int
        Rows of the matrices to sketch.
    weights : array-like of shape (m,), optional
        Non-negative sampling weights (need not sum to one); uniform if omitted.
    replace : bool, default=True
        Sample with replacement. Weighted sampling is always with replacement.
    p : float, default=2
        The norm the rescaling preserves in expectation (``p > 0``).
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of randomness.

    Attributes
    ----------
    indices : ndarray of shape (k,)
        The sampled rows, in the order they appear in ``S @ A``.
    scales : ndarray of shape (k,)
        Their multipliers.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import RowSamplingSketch
    >>> S = RowSamplingSketch(2, 4, weights=[0, 1, 0, 1], random_state=0)
    >>> sorted(set(S.indices.tolist())) <= [1, 3], S.scales
    (True, array([1., 1.]))
    """

    dense_for_sparse = False
    namespaces = ("cupy", "array-api")

    def __init__(self, k, m, *, weights=None, replace=True, p=2.0, random_state=None):
        super().__init__(k, m)
        check_params(
            {"replace": replace, "p": p},
            {"replace": ["boolean"], "p": [Interval(Real, 0, None, closed="neither")]},
            caller=type(self).__name__,
        )
        rng = check_random_state(random_state)
        self.replace = bool(replace)
        self.p = float(p)
        if weights is None:
            if not self.replace and self.k > self.m:
                raise ValueError(
                    f"k must be at most m={self.m} when sampling without replacement; got {self.k}."
                )
            self.indices = (
                rng.integers(0, self.m, size=self.k) if self.replace
                else rng.choice(self.m, self.k, replace=False)
            )
            probabilities = np.full(self.k, 1.0 / self.m)
        else:
            if not self.replace:
                raise ValueError("weighted row sampling is with replacement; pass replace=True.")
            q = check_weights(weights, self.m)
            self.indices = rng.choice(self.m, size=self.k, replace=True, p=q)
            probabilities = q[self.indices]
        self.scales = sampling_scales(self.k, probabilities, self.p)

    def _apply_dense(self, A):
        return A[self.indices] * self.scales[:, None].astype(A.dtype)

    def _apply_namespace(self, A, xp):
        device = device_of(A)
        indices = to_namespace(self.indices, xp, device)
        scales = to_namespace(self.scales.astype(numpy_dtype(A.dtype)), xp, device)
        return xp.take(A, indices, axis=0) * scales[:, None]

    def _apply_sparse(self, A, dense_output):
        rows = sparse.csr_array(A)[self.indices]
        out = sparse.csr_array(sparse.diags_array(self.scales.astype(A.dtype)) @ rows)
        return out.toarray() if dense_output else out

    def _apply_transpose(self, Y):
        out = np.zeros((self.m, Y.shape[1]), dtype=np.result_type(Y.dtype, np.float32))
        np.add.at(out, self.indices, Y * self.scales[:, None])
        return out


def sampling_scales(k, probabilities, p):
    """Multipliers ``(k q_i)^(-1/p)`` of rows kept with probabilities ``q_i`` among ``k`` draws."""
    return (k * probabilities) ** (-1.0 / p)
