"""Coordinated row sampling: independent sketches of A and B whose overlap estimates AᵀB.

Each side samples its rows (or vector entries) with a hash ``h(i) ~ U(0, 1)``
shared through a common seed, favouring rows of large squared norm. Because the
hash is shared, a row that is heavy in both matrices tends to be kept by both,
which linear sketches (CountSketch, Gaussian) cannot exploit; for sparse rows
the sketch stores only the nonzeros of the kept rows.
"""

from numbers import Integral

import numpy as np
from scipy import sparse

from ..._core.params import Interval, Options, check_params
from ..._core.scaling import times_power_of_two, unit_exponent
from ._sketch_input import check_host_input

__all__ = ["CoordinatedSketch", "coordinated_sketch", "sketched_product"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def _uniform_hash(indices, key):
    """``h(i)`` in (0, 1) for each index: the SplitMix64 finaliser of ``i * φ + key``.

    A fixed bijective mixing of 64-bit integers, so both sides of a product
    compute the same value for the same row and seed without sharing anything else.
    """
    z = indices.astype(np.uint64) * _GOLDEN + np.uint64(key)
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def _seed_key(random_state):
    if isinstance(random_state, np.random.SeedSequence):
        return int(random_state.generate_state(1, dtype=np.uint64)[0])
    if isinstance(random_state, Integral) and not isinstance(random_state, bool) and random_state >= 0:
        return int(np.random.SeedSequence(int(random_state)).generate_state(1, dtype=np.uint64)[0])
    raise TypeError(
        "random_state must be a shared seed (a non-negative int or a numpy SeedSequence) so that the "
        "sketches "
        f"of A and B are coordinated; got {type(random_state).__name__}."
    )


def _index_bytes(count):
    """Width in bytes of the narrowest unsigned integer holding ``range(count)``."""
    return next(width for width in (1, 2, 4, 8) if count <= 256**width)


def _threshold_for_expected_size(weights, k):
    """``c`` such that ``sum(min(1, c w_i)) = k`` (weights positive, ``k < len(weights)``)."""
    ordered = np.sort(weights)[::-1]
    tail = np.cumsum(ordered[::-1])[::-1][:k]  # tail[j] = sum of ordered[j:]
    # With the j largest weights saturated (kept surely), c = (k - j) / tail[j];
    # the answer is the first j whose next weight is not saturated. j = k - 1
    # always qualifies, since ordered[k-1] <= tail[k-1].
    candidates = (k - np.arange(k)) / tail
    return float(candidates[np.argmax(candidates * ordered[:k] <= 1.0)])


class CoordinatedSketch:
    """Coordinated sample of the rows of ``A`` (entries of a vector); see :func:`coordinated_sketch`.

    Parameters
    ----------
    method : {"priority", "threshold"}
        How rows were chosen.
    shape : tuple of int
        Shape of the sketched matrix or vector.
    indices : ndarray of int
        The kept rows, increasing.
    rows : ndarray or sparse array
        Their contents: ``(len(indices), d)`` dense or CSR for a matrix, a 1-D
        array of values for a vector.
    weights : ndarray
        Squared norms of the kept rows (of ``A`` times a power of two when
        those of ``A`` would underflow or overflow, e.g. entries of 1e-300).
    scale : float
        Row ``i`` is kept with probability ``min(1, scale * weights_i)``.
    seed_key : int
        The 64-bit key of the shared hash.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import coordinated_sketch
    >>> a = np.random.default_rng(0).standard_normal(1000)
    >>> sketch = coordinated_sketch(a, 100, method="threshold", random_state=7)
    >>> sketch.method, sketch.shape, bool(np.all(sketch.inclusion_probabilities <= 1))
    ('threshold', (1000,), True)
    """

    def __init__(self, method, shape, indices, rows, weights, scale, seed_key):
        self.method = method
        self.shape = shape
        self.indices = indices
        self.rows = rows
        self.weights = weights
        self.scale = scale
        self.seed_key = seed_key

    def __repr__(self):
        return f"CoordinatedSketch(method={self.method!r}, shape={self.shape}, kept={self.indices.size})"

    @property
    def inclusion_probabilities(self):
        """Probability with which each kept row was kept."""
        return np.minimum(1.0, self.scale * self.weights)

    @property
    def storage(self):
        """Numbers stored: kept values, their column indices (sparse rows) and the row ids."""
        if sparse.issparse(self.rows):
            return int(2 * self.rows.nnz + self.indices.size)
        return int(self.rows.size + self.indices.size)

    @property
    def nbytes(self):
        """Bytes to store or send the sketch with indices packed in the narrowest unsigned integers.

        Values keep their dtype; a column index takes 1, 2, 4 or 8 bytes as the
        number of columns requires, a row id likewise for the number of rows;
        plus 8 bytes for the threshold.
        """
        row_id = _index_bytes(self.shape[0])
        if sparse.issparse(self.rows):
            per_entry = self.rows.dtype.itemsize + _index_bytes(self.shape[1])
            return int(self.rows.nnz * per_entry + self.indices.size * row_id + 8)
        return int(self.rows.size * self.rows.dtype.itemsize + self.indices.size * row_id + 8)


def coordinated_sketch(A, k, *, method="priority", random_state):
    """Sketch ``A`` by coordinated sampling of its rows (or of the entries of a vector).

    Sketches of ``A`` and ``B`` made independently with the same
    ``random_state`` combine in :func:`sketched_product` into an unbiased
    estimate of ``AᵀB`` (or of the inner product ``⟨a, b⟩``).

    Parameters
    ----------
    A : ndarray or sparse array or matrix (any SciPy format), shape (n, d) or (n,)
        The matrix (rows are sampled) or vector (entries are sampled).
    k : int
        Sample size: exactly ``k`` rows for ``"priority"``, ``k`` in
        expectation for ``"threshold"`` (all nonzero rows when there are at
        most ``k``).
    method : {"priority", "threshold"}, default="priority"
        ``"priority"``: keep the ``k`` rows with the smallest ranks
        ``h(i) / ||a_i||²``; ``"threshold"``: keep row ``i`` when
        ``h(i) <= c ||a_i||²`` with ``c`` such that ``k`` rows are kept in
        expectation.
    random_state : int or numpy.random.SeedSequence
        The seed shared by all sketches that will be combined. ``None`` and
        generators are refused: they would not be shared.

    Returns
    -------
    CoordinatedSketch
        The kept rows, their inclusion probabilities and the seed's key.

    Raises
    ------
    ValueError
        NaN, infinity, empty or wrong-dimensional ``A``; invalid ``k`` or
        ``method`` (:class:`InvalidParameterError`).
    TypeError
        ``random_state`` not a shared seed; complex, object or string data;
        CuPy arrays.

    Notes
    -----
    With ``h(i)`` uniform on (0, 1) and shared, row ``i`` is kept in both
    sketches exactly when ``h(i) <= min(c_A ||a_i||², c_B ||b_i||²)``, where
    ``c`` is the threshold of threshold sampling or, for priority sampling,
    ``τ``, the (k+1)-th smallest rank (Duffield, Lund and Thorup). Dividing
    each shared term ``a_i b_iᵀ`` by that probability gives an unbiased
    estimate of ``AᵀB`` (Daliri, Freire, Musco, Santos and Zhang 2023; Daliri,
    Freire, Li and Musco 2025). For rows with at most ``s`` nonzeros its
    Frobenius error is ``O(||A||_F ||B||_F / sqrt(k))`` with sketches holding
    ``O(k s)`` numbers, where a linear sketch of the same accuracy holds
    ``O(k d)``. ``h`` is the SplitMix64 finaliser of the row index and a key
    derived from the seed.

    References
    ----------
    .. [1] M. Daliri, J. Freire, C. Musco, A. Santos and H. Zhang, "Sampling
       methods for inner product sketching", PVLDB 17, 2024 (arXiv:2309.16157).
    .. [2] M. Daliri, J. Freire, D. Li and C. Musco, "Matrix product sketching
       via coordinated sampling", arXiv:2501.17836, 2025.
    .. [3] N. Duffield, C. Lund and M. Thorup, "Priority sampling for
       estimation of arbitrary subset sums", J. ACM 54(6), 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import coordinated_sketch, sketched_product
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.standard_normal(1000), rng.standard_normal(1000)
    >>> sa = coordinated_sketch(a, 1000, random_state=7)  # k >= n keeps everything
    >>> sb = coordinated_sketch(b, 1000, random_state=7)
    >>> bool(np.isclose(sketched_product(sa, sb), a @ b))
    True
    """
    check_params(
        {"k": k, "method": method},
        {"k": [Interval(Integral, 1, None, closed="left")], "method": [Options({"priority", "threshold"})]},
        caller="coordinated_sketch",
    )
    key = _seed_key(random_state)
    A, kind = check_host_input(A, "A", caller="coordinated_sketch", ndim=(1, 2))
    if kind != "dense":
        A = A.tocsr()
    # Only the products scale * weight matter (ranks and probabilities): weights of A times a power of two
    # keep squares of 1e-300 or 1e300 entries in range, so such rows are neither dropped nor infinite.
    exponent = unit_exponent(A, margin=4)
    scaled = times_power_of_two(A, exponent, dtype=np.float64) if exponent else A
    if kind != "dense":
        row_of_entry = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        weights = np.bincount(row_of_entry, weights=scaled.data * scaled.data, minlength=A.shape[0])
    elif A.ndim == 1:
        weights = scaled * scaled
    else:
        weights = np.einsum("ij,ij->i", scaled, scaled)
    candidates = np.flatnonzero(weights > 0)
    hashes = _uniform_hash(candidates, key)
    w = weights[candidates]
    if candidates.size <= k:
        kept, scale = candidates, np.inf
    elif method == "priority":
        ranks = hashes / w
        scale = float(np.partition(ranks, k)[k])
        kept = candidates[ranks < scale]
    else:
        scale = _threshold_for_expected_size(w, k)
        kept = candidates[hashes <= scale * w]
    return CoordinatedSketch(method, tuple(A.shape), kept, A[kept], weights[kept], scale, key)


def sketched_product(SA, SB):
    """Estimate ``AᵀB`` (or ``⟨a, b⟩``) from two coordinated sketches.

    Parameters
    ----------
    SA, SB : CoordinatedSketch
        Sketches of ``A`` (n x d) and ``B`` (n x m), or of two vectors of length
        n, made by :func:`coordinated_sketch` with the same seed and method.

    Returns
    -------
    ndarray of shape (d, m), sparse array, or float
        The unbiased estimate ``Σ_i a_i b_iᵀ / min(1, c_A ||a_i||², c_B ||b_i||²)``
        over rows kept by both; a sparse array when both rows were sparse, a
        float for vectors.

    Raises
    ------
    ValueError
        If the sketches differ in seed, method or number of rows, or one is of
        a vector and the other of a matrix, or the estimate is beyond
        float64's range (rows of order 1e300 in both).
    TypeError
        If either is not a :class:`CoordinatedSketch`.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from sparsekit.linalg import coordinated_sketch, sketched_product
    >>> A = sparse.random_array((5000, 20), density=0.05, format="csr", rng=0)
    >>> B = sparse.random_array((5000, 30), density=0.05, format="csr", rng=1)
    >>> estimate = sketched_product(coordinated_sketch(A, 500, random_state=3),
    ...                             coordinated_sketch(B, 500, random_state=3))
    >>> estimate.shape
    (20, 30)
    """
    for name, value in (("SA", SA), ("SB", SB)):
        if not isinstance(value, CoordinatedSketch):
            raise TypeError(
                f"{name} must be a CoordinatedSketch from coordinated_sketch; got {type(value).__name__}."
            )
    if SA.seed_key != SB.seed_key:
        raise ValueError(
            "SA and SB were made with different seeds; coordinated sketches must share random_state."
        )
    if SA.method != SB.method:
        raise ValueError(f"SA and SB were made by different methods ({SA.method!r} and {SB.method!r}).")
    if SA.shape[0] != SB.shape[0] or len(SA.shape) != len(SB.shape):
        raise ValueError(f"SA and SB sketch incompatible shapes {SA.shape} and {SB.shape}.")
    _, in_a, in_b = np.intersect1d(SA.indices, SB.indices, assume_unique=True, return_indices=True)
    joint = np.minimum(SA.inclusion_probabilities[in_a], SB.inclusion_probabilities[in_b])
    # Rows of order 1e300 (or 1e-300) are multiplied by powers of two first, so that a representable
    # product is computed without overflow (or underflow) on the way; 2**-exponent scales it back.
    rows_a, rows_b = SA.rows[in_a], SB.rows[in_b]
    exponent_a, exponent_b = unit_exponent(rows_a, margin=4), unit_exponent(rows_b, margin=4)
    rows_a = times_power_of_two(rows_a, exponent_a, dtype=np.float64) if exponent_a else rows_a
    rows_b = times_power_of_two(rows_b, exponent_b, dtype=np.float64) if exponent_b else rows_b
    if len(SA.shape) == 1:
        product = np.sum(rows_a * rows_b / joint)
    elif sparse.issparse(rows_a):
        weighted = sparse.csr_array(rows_a, copy=True)
        weighted.data /= np.repeat(joint, np.diff(weighted.indptr))
        product = weighted.T @ rows_b
    else:
        product = (rows_a / joint[:, None]).T @ rows_b
    with np.errstate(over="ignore"):
        if sparse.issparse(product):
            product = sparse.csr_array(product)
            product.data = np.ldexp(product.data, -(exponent_a + exponent_b))
            finite = np.all(np.isfinite(product.data))
        else:
            product = np.ldexp(product, -(exponent_a + exponent_b))
            finite = np.all(np.isfinite(product))
    if not finite:
        raise ValueError("The estimate of AᵀB is beyond float64's range: rows of SA and SB are too large.")
    if len(SA.shape) == 1:
        return float(product)
    if sparse.issparse(product) and not (sparse.issparse(rows_a) and sparse.issparse(rows_b)):
        return product.toarray()
    return product if sparse.issparse(product) else np.asarray(product)
