"""A sorted sequence of systems cut into contiguous chunks: one method run per chunk, here or on Dask workers.

The chunks are the unit of parallel work of :func:`~sparsekit.linalg.solve_sequence`
with ``n_chunks`` or ``client``: chunk ``c`` is a contiguous piece of the solve
order, solved by its own run of the method (its own recycle space), so a chunk
costs only its first system's cold start and runs the same wherever it runs.
Without a client the chunks run one after the other in this process, which is
the serial reference of a distributed run (same chunks, same numbers).
"""

import uuid
from numbers import Integral

import numpy as np

from .._core.distributed import check_client, client_threads, run_tasks
from .._core.params import format_value
from .._core.progress import IterationMonitor
from .._core.result import Result, end_run, inner_runs
from .._core.threads import small_blocks
from ._sequence_systems import SEQUENCE_METHODS, SYSTEM_FIELDS, _Systems, sequence_outcome

__all__ = ["chunk_bounds", "solve_chunked"]

# Options a chunk run does not get: the caller's side reports progress and calls the callback.
_DRIVER_OPTIONS = ("callback", "verbose", "progress")


def chunk_bounds(count, n_chunks):
    """Start of each of ``n_chunks`` contiguous chunks of ``count`` items (sizes differ by at most one), and ``count``.

    Examples
    --------
    >>> chunk_bounds(10, 3)
    array([ 0,  4,  7, 10])
    """
    sizes = np.full(n_chunks, count // n_chunks)
    sizes[: count % n_chunks] += 1
    return np.concatenate([[0], np.cumsum(sizes)])


def check_n_chunks(n_chunks, count, client):
    """``n_chunks`` as an int: by default 1 without a client, and the client's worker threads with one."""
    if n_chunks is None:
        n_chunks = 1 if client is None else client_threads(client)
        return max(1, min(n_chunks, count))
    if isinstance(n_chunks, bool) or not isinstance(n_chunks, Integral) or not 1 <= n_chunks <= count:
        raise ValueError(
            f"n_chunks must be an int in [1, {count}] (the number of systems); got {format_value(n_chunks)}."
        )
    return int(n_chunks)


@small_blocks
def _solve_chunk(method, source, order, options):
    """One run of ``method`` over the systems ``order`` (caller indices) of ``source``; where a chunk runs.

    ``source`` is the caller's callable ``i -> (A_i, b_i)`` (the chunk builds
    its own systems) or a dict of the chunk's validated pairs by caller index.
    """
    with inner_runs():  # thread-local: a threaded worker must not warn per chunk
        return SEQUENCE_METHODS.dispatch(method, _Systems(source, len(order), order), **options)


def _chunk_tasks(systems, bounds, spec, options):
    """The arguments of :func:`_solve_chunk` for each chunk (per-system options sliced, data only for its chunk)."""
    tasks = []
    for c in range(len(bounds) - 1):
        piece = slice(bounds[c], bounds[c + 1])
        order = np.array([systems.original_index(j) for j in range(piece.start, piece.stop)])
        if systems.generated:
            source = systems.source
        else:
            source = {int(i): pair for i, pair in zip(order, systems[piece])}
        chunk_options = dict(options)
        for name in spec.per_item_options:
            if chunk_options.get(name) is not None:
                chunk_options[name] = chunk_options[name][piece]
        tasks.append((spec.name, source, order, chunk_options))
    return tasks


def _statuses(chunk_result):
    """Per-system statuses of a chunk (from ``system_converged`` where a method reports no ``system_status``)."""
    if "system_status" in chunk_result:
        return np.asarray(chunk_result["system_status"], dtype=np.int64)
    return np.where(np.asarray(chunk_result["system_converged"], dtype=bool), 0, 1).astype(np.int64)


def _system_result(chunk_result, j, chunk, index):
    """The Result of the ``j``-th system of a chunk, for the caller's callback."""
    fields = {name: chunk_result[name][j] for name in SYSTEM_FIELDS if name in chunk_result}
    status = int(_statuses(chunk_result)[j])
    return Result(**fields, status=status, converged=status == 0, index=index, chunk=chunk)


def solve_chunked(systems, spec, options, *, n_chunks, client):
    """Solve ``systems`` (solve order) in ``n_chunks`` contiguous chunks, on ``client`` or here.

    Returns the method's Result in solve order: the per-system fields of
    :data:`SYSTEM_FIELDS` and ``spec.per_item_results`` joined over the
    chunks, ``chunk`` (the chunk of each system), ``n_chunks``, the method's
    other fields from the last chunk, and the sequence's status (one
    :class:`ConvergenceWarning` at most).
    """
    if client is not None:
        check_client(client)
    count = len(systems)
    bounds = chunk_bounds(count, n_chunks)
    callback, verbose, progress = (options.get(name) for name in _DRIVER_OPTIONS)
    options = {k: v for k, v in options.items() if k not in _DRIVER_OPTIONS}
    SEQUENCE_METHODS.check_options(spec.name, options)  # a bad option fails here, not on a worker
    tasks = _chunk_tasks(systems, bounds, spec, options)
    results = [None] * n_chunks
    solved = np.zeros(n_chunks, dtype=np.int64)  # systems of each chunk taken (a callback's stop truncates)
    monitor = IterationMonitor("linalg.solve_sequence", total=count, verbose=verbose or 0,
                               progress=bool(progress), callback=callback)  # fmt: skip

    def take(c, chunk_result):
        """Record chunk ``c``; report its systems; return True if the callback asked to stop."""
        results[c] = chunk_result
        for j in range(bounds[c + 1] - bounds[c]):
            solved[c] = j + 1
            res = _system_result(chunk_result, j, c, systems.original_index(bounds[c] + j))
            if monitor.update(res, iterations=float(res.n_iter)):
                return True
        return False

    with monitor:
        if client is None:
            for c, task in enumerate(tasks):
                if take(c, _solve_chunk(*task)):
                    break
        else:
            run_tasks(client, _solve_chunk, tasks, take, name=f"solve_sequence-{uuid.uuid4().hex[:8]}")
    return _joined(results, solved, bounds, spec, systems)


def _joined(results, solved, bounds, spec, systems):
    """The chunks' results joined in solve order (unsolved systems left to the front door's filling)."""
    count = bounds[-1]
    taken = [r for r in results if r is not None]
    fields = [f for f in SYSTEM_FIELDS + spec.per_item_results if any(r.get(f) is not None for r in taken)]
    absent = [f for f in spec.per_item_results if f not in fields and any(f in r for r in taken)]  # None throughout
    joined = {f: [None] * count for f in fields}
    chunk = np.full(count, -1, dtype=np.int64)
    status = np.full(count, -3, dtype=np.int64)
    for c, res in enumerate(results):
        for j in range(int(solved[c])):
            k = bounds[c] + j
            for f in fields:
                joined[f][k] = res[f][j] if res.get(f) is not None else None
            chunk[k] = c
            status[k] = _statuses(res)[j]
    last = taken[-1] if taken else Result()
    result = Result({k: v for k, v in last.items() if k not in fields and k not in ("converged", "status", "message")})
    result.update(dict.fromkeys(absent))
    for f in fields:
        template = next(r[f] for r in taken if r.get(f) is not None)
        values = joined[f]
        if isinstance(template, np.ndarray):
            # unsolved systems: 0 / False in integer and boolean fields, NaN in the others (as the front door fills)
            shape = (count, *template.shape[1:])
            exact = template.dtype.kind in "biu"
            filled = (
                np.zeros(shape, template.dtype) if exact else np.full(shape, np.nan, np.result_type(template, float))
            )
            mask = np.array([v is not None for v in values])
            if mask.any():
                filled[mask] = np.stack([v for v in values if v is not None])
            result[f] = filled
        else:
            result[f] = values
    result["system_status"] = status
    result["system_converged"] = status == 0
    result["chunk"] = chunk
    result["n_chunks"] = len(results)
    result["n_systems"] = count
    code, message = sequence_outcome(status, int(np.sum(status != -3)), systems.original_index)
    if code == 0 and len(results) > 1:
        message += f" ({len(results)} chunks)"
    # Each system was checked for non-finite values as it ended; NaN residuals here mark unsolved systems.
    return end_run(result, caller="solve_sequence", status=code, message=message, check=())
