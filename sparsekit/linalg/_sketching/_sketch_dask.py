"""Dask paths of ``sketch`` and ``sketch_lstsq``: chunk-wise sketches of row-chunked arrays.

Dask itself is imported inside the functions, only when a dask array is
passed, so ``import sparsekit`` never imports dask. Row chunk ``i`` of ``A`` is sketched by its own operator,
seeded from child ``i`` of one ``SeedSequence``; the seeds are drawn before
the graph is built, so a task recomputed or run on another worker gives the
same numbers and the result depends on the seed and the chunking, never on the
scheduler.
"""

import numpy as np
from scipy import sparse

from ..._core.random import spawn_generators
from ..._core.validation import check_vector
from ._lstsq_sizing import check_shape_for_lstsq, default_oversampling, default_sketch_size
from ._sketch_input import check_sketch_input, check_weights
from ._sketch_methods import SKETCH_METHODS
from ._sketch_operators import sampling_scales

__all__ = ["sketch_dask_array", "prepare_dask_lstsq", "DaskOperator"]

_SAMPLING_METHODS = ("uniform", "weighted")


def _row_chunked(A, name):
    """``A`` as a float dask array with one column chunk."""
    if A.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D; got a {A.ndim}-D dask array.")
    if np.dtype(A.dtype).kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {A.dtype}.")
    if np.dtype(A.dtype).kind != "f":
        A = A.astype(np.float64)
    if A.ndim == 2 and len(A.chunks[1]) > 1:
        A = A.rechunk({1: -1})
    if any(size == 0 for size in A.shape):
        raise ValueError(f"{name} must not be empty; got shape {A.shape}.")
    return A


def chunk_seeds(random_state, n_chunks):
    """One entropy array per row chunk (and one more, first, for allocating samples)."""
    generators = spawn_generators(random_state, n_chunks + 1)
    return [g.integers(0, 2**63 - 1, size=4, dtype=np.uint64) for g in generators]


def sketch_dask_array(A, k, *, method, random_state, options, seeds=None):
    """Lazy ``S @ A`` of a row-chunked dask array; see :func:`sparsekit.linalg.sketch`."""
    import dask.array as da

    entry = SKETCH_METHODS.get(method)
    if "dask" not in entry.backends:
        able = [m.name for m in SKETCH_METHODS if "dask" in m.backends]
        raise ValueError(
            f"method {entry.name!r} of sketch does not support dask input; methods that do: {able}."
        )
    A = _row_chunked(A, "A")
    row_chunks = A.chunks[0]
    seeds = chunk_seeds(random_state, len(row_chunks)) if seeds is None else seeds
    if entry.name in _SAMPLING_METHODS:
        return _sample_rows(A, k, entry, seeds, options)
    # Build an operator for each chunk size now, so bad options fail here and not inside a task.
    for rows in sorted(set(row_chunks)):
        try:
            SKETCH_METHODS.dispatch(entry.name, np.empty((rows, 0)), k, backend="dask",
                                    random_state=np.random.SeedSequence(seeds[1]), **options)
        except ValueError as exc:
            raise ValueError(f"row chunks of {rows} rows of A cannot be sketched to k={k} rows with "
                             f"method {entry.name!r} ({exc}); rechunk A into taller chunks.") from exc
    out_chunks = ((k,),) + (A.chunks[1:] if A.ndim == 2 else ())
    parts = [
        A.blocks[i].map_blocks(
            _sketch_block, entry.func, k, seeds[i + 1], options,
            chunks=out_chunks, dtype=A.dtype, meta=np.empty((0,) * A.ndim, dtype=A.dtype),
        )
        for i in range(len(row_chunks))
    ]
    return da.stack(parts).sum(axis=0)


def _sketch_block(block, factory, k, seed, options):
    S = factory(block, k, random_state=np.random.SeedSequence(seed), **options)
    return S.apply(block, dense_output=True)


def _sample_rows(A, k, entry, seeds, options):
    """Row sampling across chunks: allocate the ``k`` draws to chunks, sample within each, concatenate.

    Summing per-chunk sampling sketches would be biased (their cross terms
    have nonzero mean), so the draws are split: a multinomial (or, without
    replacement, multivariate hypergeometric) allocation by chunk mass, then
    each chunk draws its share. The result has the distribution of one
    global row sample.
    """
    import dask
    import dask.array as da

    replace = options.get("replace", True)
    p = options.get("p", 2.0)
    SKETCH_METHODS.check_options(entry.name, options)
    m = A.shape[0]
    row_chunks = np.array(A.chunks[0])
    allocator = np.random.default_rng(np.random.SeedSequence(seeds[0]))
    if entry.name == "uniform":
        if not replace and k > m:
            raise ValueError(f"k must be at most m={m} when sampling without replacement; got {k}.")
        counts = (allocator.multinomial(k, row_chunks / m) if replace
                  else allocator.multivariate_hypergeometric(row_chunks, k))
        chunk_probabilities = [None] * len(row_chunks)
    else:
        weights = options.get("weights")
        if weights is None:
            raise ValueError(
                "sketch(method='weighted') needs weights=, one non-negative weight per row of A."
            )
        if hasattr(weights, "dask"):
            weights = np.asarray(dask.compute(weights)[0])
        probabilities = check_weights(weights, m)
        bounds = np.concatenate([[0], np.cumsum(row_chunks)])
        chunk_probabilities = [probabilities[bounds[i]:bounds[i + 1]] for i in range(len(row_chunks))]
        masses = np.array([q.sum() for q in chunk_probabilities])
        counts = allocator.multinomial(k, masses / masses.sum())
    tail = A.shape[1:]
    parts = [
        A.blocks[i].map_blocks(
            _sample_block, int(counts[i]), seeds[i + 1], chunk_probabilities[i], m, k, bool(replace), p,
            chunks=((int(counts[i]),),) + tuple((s,) for s in tail), dtype=A.dtype,
            meta=np.empty((0,) * A.ndim, dtype=A.dtype),
        )
        for i in range(len(row_chunks))
    ]
    return da.concatenate(parts, axis=0)


def _sample_block(block, count, seed, chunk_probabilities, m, k, replace, p):
    block, _, _ = check_sketch_input(block)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    rows = block.shape[0]
    if chunk_probabilities is None:
        if replace:
            indices = rng.integers(0, rows, size=count)
        else:
            indices = rng.choice(rows, size=count, replace=False)
        probabilities = np.full(count, 1.0 / m)
    elif count:
        local = chunk_probabilities / chunk_probabilities.sum()
        indices = rng.choice(rows, size=count, replace=True, p=local)
        probabilities = chunk_probabilities[indices]
    else:
        indices, probabilities = np.zeros(0, dtype=np.intp), np.zeros(0)
    scales = sampling_scales(k, probabilities, p).astype(block.dtype)
    kept = block[indices]
    if sparse.issparse(kept):
        kept = kept.toarray()
    return kept * (scales[:, None] if kept.ndim == 2 else scales)


class DaskOperator:
    """A persisted row-chunked dask ``A``: one graph evaluation per fused product."""

    def __init__(self, A, frobenius_squared):
        self.A = A
        self.shape = A.shape
        self.frobenius_squared = frobenius_squared

    def fused(self, w, u, coef, *, transpose_u=False):
        """Return ``t = A w - coef u`` (persisted), ``A.T t``, ``||t||²`` (and ``A.T u``)."""
        import dask

        t = (self.A @ w - coef * u).persist()
        wanted = [self.A.T @ t, (t * t).sum()] + ([self.A.T @ u] if transpose_u else [])
        results = dask.compute(*wanted)
        out = (t, np.asarray(results[0], dtype=np.float64), float(results[1]))
        return out + ((np.asarray(results[2], dtype=np.float64),) if transpose_u else ())

    @staticmethod
    def scale(t, factor):
        """Lazy ``factor * t``."""
        return t * factor

    @staticmethod
    def copy(t):
        """Dask arrays are immutable: no copy needed."""
        return t


def prepare_dask_lstsq(A, b, *, sketch, oversampling, alpha, random_state, sketch_options):
    """Sketch a row-chunked ``A`` and ``b`` with the same chunk operators and persist them.

    Returns what :func:`._sketch_lstsq._prepare_in_memory` returns, with exponents ``(0, 0)``.
    """
    import dask
    import dask.array as da

    A = _row_chunked(A, "A")
    if A.ndim != 2:
        raise ValueError(f"A must be 2-D; got a {A.ndim}-D dask array.")
    m, n = A.shape
    check_shape_for_lstsq(m, n, alpha)
    if hasattr(b, "dask"):
        if b.shape != (m,):
            raise ValueError(f"b must have shape ({m},); got {b.shape}.")
        b = _row_chunked(b, "b").rechunk((A.chunks[0],))
    else:
        b = da.from_array(np.asarray(check_vector(b, "b", size=m), dtype=np.float64), chunks=(A.chunks[0],))
    d = default_sketch_size(m, n, default_oversampling(m, n, m * n) if oversampling is None else oversampling)
    seeds = chunk_seeds(random_state, len(A.chunks[0]))
    lazy_SA = sketch_dask_array(A, d, method=sketch, random_state=None, options=sketch_options, seeds=seeds)
    lazy_Sb = sketch_dask_array(b, d, method=sketch, random_state=None, options=sketch_options, seeds=seeds)
    A, b = dask.persist(A, b)
    SA, Sb, frobenius_squared, b_squared = dask.compute(lazy_SA, lazy_Sb, (A * A).sum(), (b * b).sum())
    if not (np.isfinite(frobenius_squared) and np.isfinite(b_squared)):
        raise ValueError("A and b must not contain NaN or infinity.")
    operator = DaskOperator(A, float(frobenius_squared))
    # no rescaling on a cluster (exponents (0, 0)): squares that overflow are refused just above
    return (operator, b, float(np.sqrt(b_squared)), np.asarray(SA), np.asarray(Sb), (0, 0),
            np.result_type(A.dtype, b.dtype))
