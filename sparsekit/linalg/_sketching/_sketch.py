"""Random sketching operators and the ``sketch`` front door.

A sketch is a random ``k x m`` matrix ``S`` with ``E[S.T @ S] = I`` that is
applied to a tall ``m x n`` matrix ``A``; ``S @ A`` (``k x n``, ``k << m``)
keeps the geometry of the column space of ``A`` while being cheap to work
with. Every operator here draws its randomness once, from ``random_state``, so
the same seed gives the same ``S`` whatever it is applied to, and applying it
twice gives the same result. Dense NumPy, SciPy CSR/CSC (never densified) and
dense CuPy input are accepted.
"""

import math
import sys
from numbers import Integral, Real

import numpy as np
from scipy import sparse

from ..._core.backend import device_of, get_namespace, is_cupy_namespace, is_numpy_namespace, numpy_dtype, to_namespace
from ..._core.random import check_random_state
from ..._core.registry import Registry
from ..._core.validation import Interval, check_array, check_params, check_probability_vector
from ._sketch_kernels import (
    sparse_sign_csc,
    sparse_sign_csr,
    sparse_sign_dense_cols,
    sparse_sign_dense_rows,
    sparse_sign_transpose,
)

__all__ = [
    "SKETCH_METHODS",
    "SketchOperator",
    "GaussianSketch",
    "SparseSignSketch",
    "CountSketch",
    "SRHTSketch",
    "SRDCTSketch",
    "RowSamplingSketch",
    "sketch",
]

SKETCH_METHODS = Registry("sketch")

# Dense workspaces (Gaussian blocks, transformed column blocks) hold at most
# this many entries, so memory stays bounded whatever the size of A.
_WORKSPACE_ENTRIES = 1 << 22

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


def is_dask_array(x):
    """Whether ``x`` is a dask array (without importing dask)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(x, dask_array.Array)


def _namespace_label(xp):
    """Backend name of a namespace, as the registry's ``backends`` spell it."""
    if is_cupy_namespace(xp):
        return "cupy"
    return "numpy" if is_numpy_namespace(xp) or xp is np else "array-api"


def check_sketch_input(A, name="A", *, ndim=(1, 2)):
    """Validate a matrix (or vector) to be sketched; return ``(A, kind, xp)``.

    ``kind`` is ``"dense"``, ``"csr"`` or ``"csc"``. Sparse input must be CSR
    or CSC (other formats raise a ``TypeError`` that says how to convert);
    integer data is converted to float64, complex data is refused, NaN and
    infinity are refused.
    """
    if type(A).__module__.startswith("cupyx.scipy.sparse"):
        raise TypeError(
            f"{name} is a CuPy sparse matrix; sketches take dense CuPy arrays or SciPy CSR/CSC input."
        )
    if sparse.issparse(A):
        if A.format not in ("csr", "csc"):
            raise TypeError(
                f"{name} must be a CSR or CSC sparse array; got format {A.format!r}. "
                f"Convert it with {name}.tocsr()."
            )
        A = check_array(A, name, ndim=2, accept_sparse=True)
        return A, A.format, np
    A = check_array(A, name, ndim=ndim)
    return A, "dense", get_namespace(A)


def check_host_input(A, name="A", *, caller, ndim=2):
    """:func:`check_sketch_input` for functions that compute with NumPy/SciPy; return ``(A, kind)``.

    CuPy and other array-API arrays are refused with a ``TypeError`` naming ``caller``.
    """
    A, kind, xp = check_sketch_input(A, name, ndim=ndim)
    if xp is not np:
        raise TypeError(f"{caller} takes NumPy or SciPy sparse input; got a {xp.__name__} array.")
    return A, kind


def row_norms_squared(A):
    """Squared Euclidean norms of the rows of a dense 2-D array or SciPy sparse matrix."""
    if sparse.issparse(A):
        return np.asarray(A.multiply(A).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", A, A)


def _check_count(value, name):
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

    def __init__(self, k, m):
        self.k = _check_count(k, "k")
        self.m = _check_count(m, "m")

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
        A, kind, xp = check_sketch_input(A)
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
            label = _namespace_label(xp)
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
        width = max(1, _WORKSPACE_ENTRIES // self.m)
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
        self._block = max(1, _WORKSPACE_ENTRIES // self.k)

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
            return out_t.T
        out = np.zeros((self.k, A.shape[1]), dtype=A.dtype)
        sparse_sign_dense_rows(np.ascontiguousarray(A), self.rows, self.signs, scale, out)
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


def _fwht(X, xp):
    """Unnormalized fast Walsh–Hadamard transform along axis 0 (length a power of two), Sylvester order."""
    length, width = X.shape
    h = 1
    while h < length:
        pairs = xp.reshape(X, (length // (2 * h), 2, h, width))
        top, bottom = pairs[:, 0, ...], pairs[:, 1, ...]
        X = xp.reshape(xp.stack((top + bottom, top - bottom), axis=1), (length, width))
        h *= 2
    return X


def _dct_module(xp):
    """The module providing an orthonormal DCT for namespace ``xp``."""
    if xp is np or is_numpy_namespace(xp):
        import scipy.fft

        return scipy.fft
    import cupyx.scipy.fft

    return cupyx.scipy.fft


class _TrigSketch(SketchOperator):
    """Shared logic of SRHT and SRDCT: random signs, orthogonal transform, row sampling."""

    def __init__(self, k, m, transform_length, *, random_state=None):
        super().__init__(k, m)
        if self.k > transform_length:
            raise ValueError(
                f"k must be at most {transform_length} for {type(self).__name__} with m={self.m}; "
                f"got {self.k}."
            )
        rng = check_random_state(random_state)
        self.transform_length = transform_length
        self.signs = (2 * rng.integers(0, 2, size=self.m, dtype=np.int8) - 1).astype(np.int8)
        self.sampled = np.sort(rng.choice(transform_length, size=self.k, replace=False))

    def _apply_dense(self, A):
        width = max(1, _WORKSPACE_ENTRIES // self.transform_length)
        if A.shape[1] <= width:
            return self._transform_and_sample(A, np)
        out = np.empty((self.k, A.shape[1]), dtype=A.dtype)
        for start in range(0, A.shape[1], width):
            out[:, start:start + width] = self._transform_and_sample(A[:, start:start + width], np)
        return out

    def _apply_namespace(self, A, xp):
        return self._transform_and_sample(A, xp)

    def _transform_and_sample(self, A, xp):
        device = device_of(A)
        signs = to_namespace(self.signs.astype(numpy_dtype(A.dtype)), xp, device)
        sampled = to_namespace(self.sampled, xp, device)
        out = self._transform(signs[:, None] * A, xp)
        return xp.take(out, sampled, axis=0) * self.scale


class SRHTSketch(_TrigSketch):
    """Subsampled randomized Hadamard transform: ``S = sqrt(M/k) P H D``.

    ``D`` flips the sign of each row at random, ``H`` is the orthonormal
    Walsh–Hadamard transform of length ``M`` (``m`` padded with zeros to a
    power of two, applied by the fast butterfly) and ``P`` keeps ``k`` of its
    ``M`` rows uniformly without replacement.

    Parameters
    ----------
    k : int
        Sketch size; at most ``M``, the power of two at least ``m``.
    m : int
        Rows of the matrices to sketch.
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of randomness.

    References
    ----------
    .. [1] N. Ailon and B. Chazelle, "The fast Johnson–Lindenstrauss transform
       and approximate nearest neighbors", SIAM J. Comput. 39(1), 2009.
    .. [2] J. A. Tropp, "Improved analysis of the subsampled randomized
       Hadamard transform", Adv. Adapt. Data Anal. 3, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import SRHTSketch
    >>> S = SRHTSketch(4, 8, random_state=0).toarray()
    >>> bool(np.allclose(S @ S.T, 2 * np.eye(4)))
    True
    """

    namespaces = ("cupy", "array-api")

    def __init__(self, k, m, *, random_state=None):
        m = _check_count(m, "m")
        super().__init__(k, m, 1 << max(0, (m - 1).bit_length()), random_state=random_state)
        self.scale = 1.0 / math.sqrt(self.k)

    def _transform(self, X, xp):
        if self.transform_length > self.m:
            padding = xp.zeros((self.transform_length - self.m, X.shape[1]), dtype=X.dtype,
                               device=device_of(X))
            X = xp.concat((X, padding), axis=0)
        return _fwht(X, xp)

    def _apply_transpose(self, Y):
        full = np.zeros((self.transform_length, Y.shape[1]), dtype=np.result_type(Y.dtype, np.float32))
        full[self.sampled] = Y * self.scale
        return self.signs[:, None] * _fwht(full, np)[: self.m]


class SRDCTSketch(_TrigSketch):
    """Subsampled randomized discrete cosine transform: ``S = sqrt(m/k) P C D``.

    ``D`` flips the sign of each row at random, ``C`` is the orthonormal
    DCT-II of length ``m`` (``scipy.fft.dct``, or ``cupyx.scipy.fft.dct`` on
    the GPU) and ``P`` keeps ``k`` of its rows uniformly without replacement.
    Unlike SRHT it needs no padding and stays real.

    Parameters
    ----------
    k : int
        Sketch size; at most ``m``.
    m : int
        Rows of the matrices to sketch.
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of randomness.

    References
    ----------
    .. [1] H. Avron, P. Maymounkov and S. Toledo, "Blendenpik: Supercharging
       LAPACK's least-squares solver", SIAM J. Sci. Comput. 32(3), 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import SRDCTSketch
    >>> S = SRDCTSketch(5, 10, random_state=0).toarray()
    >>> bool(np.allclose(S @ S.T, 2 * np.eye(5)))
    True
    """

    def __init__(self, k, m, *, random_state=None):
        m = _check_count(m, "m")
        super().__init__(k, m, m, random_state=random_state)
        self.scale = math.sqrt(self.m / self.k)

    def _transform(self, X, xp):
        return _dct_module(xp).dct(X, type=2, norm="ortho", axis=0)

    def _apply_transpose(self, Y):
        import scipy.fft

        full = np.zeros((self.m, Y.shape[1]), dtype=np.result_type(Y.dtype, np.float32))
        full[self.sampled] = Y * self.scale
        return self.signs[:, None] * scipy.fft.idct(full, type=2, norm="ortho", axis=0)


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


def check_weights(weights, m):
    """Sampling probabilities from non-negative ``weights`` of length ``m``."""
    weights = np.asarray(check_probability_vector(weights, "weights", size=m), dtype=np.float64)
    return weights / weights.sum()


# --------------------------------------------------------------------------- registry
_ALL_BACKENDS = ("numpy", "cupy", "dask")
_GENERIC_BACKENDS = _ALL_BACKENDS + ("array-api",)


@SKETCH_METHODS.register("gaussian", backends=_GENERIC_BACKENDS)
def _gaussian(A, k, *, random_state=None):
    """Gaussian sketch, i.i.d. N(0, 1/k) entries."""
    return GaussianSketch(k, A.shape[0], random_state=random_state)


@SKETCH_METHODS.register("countsketch", backends=_ALL_BACKENDS, aliases=("clarkson-woodruff",))
def _countsketch(A, k, *, random_state=None):
    """CountSketch: one random +-1 per column."""
    return CountSketch(k, A.shape[0], random_state=random_state)


@SKETCH_METHODS.register(
    "sparse-sign",
    backends=_ALL_BACKENDS,
    aliases=("osnap", "sjlt"),
    constraints={"nnz_per_col": [_POSITIVE_INT]},
)
def _sparse_sign(A, k, *, nnz_per_col=8, random_state=None):
    """Sparse sign (OSNAP) sketch with nnz_per_col entries +-1/sqrt(s) per column."""
    return SparseSignSketch(k, A.shape[0], nnz_per_col=nnz_per_col, random_state=random_state)


@SKETCH_METHODS.register("srht", backends=_GENERIC_BACKENDS)
def _srht(A, k, *, random_state=None):
    """Subsampled randomized Hadamard transform."""
    return SRHTSketch(k, A.shape[0], random_state=random_state)


@SKETCH_METHODS.register("srdct", backends=_ALL_BACKENDS)
def _srdct(A, k, *, random_state=None):
    """Subsampled randomized discrete cosine transform."""
    return SRDCTSketch(k, A.shape[0], random_state=random_state)


@SKETCH_METHODS.register("uniform", backends=_GENERIC_BACKENDS, constraints={"replace": ["boolean"]})
def _uniform(A, k, *, replace=True, random_state=None):
    """Uniform row sampling, rows rescaled by sqrt(m/k)."""
    return RowSamplingSketch(k, A.shape[0], replace=replace, random_state=random_state)


@SKETCH_METHODS.register(
    "weighted",
    backends=_GENERIC_BACKENDS,
    constraints={"weights": ["array-like"], "p": [Interval(Real, 0, None, closed="neither")]},
)
def _weighted(A, k, *, weights=None, p=2.0, random_state=None):
    """Row sampling with replacement, probabilities proportional to given weights."""
    if weights is None:
        raise ValueError("sketch(method='weighted') needs weights=, one non-negative weight per row of A.")
    return RowSamplingSketch(k, A.shape[0], weights=weights, p=p, random_state=random_state)


def sketch(A, k, *, method="sparse-sign", random_state=None, dense_output=None, return_operator=False,
           **options):
    """Sketch the rows of ``A``: return ``S @ A`` for a random ``k x m`` sketch ``S``.

    Parameters
    ----------
    A : ndarray, sparse array (CSR or CSC), CuPy array or dask array, shape (m, n) or (m,)
        The matrix (or vector) to sketch. Sparse input is never densified.
        A dask array must be chunked along rows only (one column chunk); each
        row chunk is sketched by its own operator, seeded from one
        ``SeedSequence`` spawned from ``random_state``, and the chunk sketches
        are summed (concatenated for row sampling), so the result depends on
        the seed and the chunking but never on the scheduler.
    k : int
        Sketch size (rows of ``S``).
    method : str, default="sparse-sign"
        A name registered in :data:`SKETCH_METHODS`: ``"gaussian"``,
        ``"countsketch"``, ``"sparse-sign"`` (``"osnap"``), ``"srht"``,
        ``"srdct"``, ``"uniform"``, ``"weighted"``, ``"leverage"``,
        ``"root-leverage"``, ``"lewis"``.
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of randomness; an int gives a reproducible sketch.
    dense_output : bool, optional
        For sparse ``A``, force a dense (True) or sparse (False) result; see
        :meth:`SketchOperator.apply`.
    return_operator : bool, default=False
        Also return the operator ``S`` (NumPy/CuPy input only).
    **options
        Options of the method, e.g. ``nnz_per_col`` for ``"sparse-sign"``,
        ``weights`` for ``"weighted"``, ``p`` for ``"lewis"``.

    Returns
    -------
    SA : ndarray, sparse array, CuPy array or dask array, shape (k, n) or (k,)
        The sketch ``S @ A``; lazy (a dask array) for dask input.
    S : SketchOperator
        Only with ``return_operator=True``.

    Raises
    ------
    ValueError
        Unknown method (the message lists the known ones), ``k`` invalid for
        the method (e.g. larger than ``m`` for SRDCT), NaN or infinity in ``A``.
    TypeError
        Unsupported sparse format or array library, or an option the method
        does not take.

    See Also
    --------
    sketch_lstsq : Least squares preconditioned by a sketch.
    leverage_scores : Scores for leverage-score sampling.
    lewis_weights : Scores for lp row sampling.

    Notes
    -----
    The method builds a :class:`SketchOperator` for the ``m`` rows of ``A``
    (the sampling methods also from scores of ``A``) and applies it once.
    Every operator satisfies ``E[SᵀS] = I`` (row sampling with ``p != 2``:
    ``E[||S A x||_p^p] = ||A x||_p^p``). With ``k`` a small multiple of
    ``n`` the sparse sign sketch is an ε-subspace embedding at a cost of
    ``O(s nnz(A))`` (Nelson and Nguyen), which is why it is the default;
    Murray et al. survey the choices. Each operator class cites its own
    construction.

    References
    ----------
    .. [1] J. Nelson and H. L. Nguyen, "OSNAP: Faster numerical linear algebra
       algorithms via sparser subspace embeddings", FOCS 2013.
    .. [2] R. Murray et al., "Randomized numerical linear algebra: A
       perspective on the field with an eye to software", arXiv:2302.11474.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import sketch
    >>> A = np.random.default_rng(0).standard_normal((2000, 10))
    >>> SA = sketch(A, 100, method="countsketch", random_state=0)
    >>> SA.shape
    (100, 10)
    >>> bool(np.array_equal(SA, sketch(A, 100, method="countsketch", random_state=0)))
    True
    """
    entry = SKETCH_METHODS.get(method)
    check_params(
        {"dense_output": dense_output, "return_operator": return_operator},
        {"dense_output": [None, "boolean"], "return_operator": ["boolean"]},
        caller="sketch",
    )
    if is_dask_array(A):
        if return_operator:
            raise ValueError(
                "return_operator=True is not available for dask input: each chunk has its own operator."
            )
        from ._sketch_dask import sketch_dask_array

        return sketch_dask_array(A, k, method=entry.name, random_state=random_state, options=options)
    A, kind, xp = check_sketch_input(A)
    S = SKETCH_METHODS.dispatch(entry.name, A, k, backend=_namespace_label(xp), random_state=random_state,
                                **options)
    SA = S.apply_validated(A, kind, xp, dense_output=dense_output)
    return (SA, S) if return_operator else SA
