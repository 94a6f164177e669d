"""``solve_batch``: many independent OT problems, in this process or on the workers of a Dask client."""

import itertools
import uuid
from numbers import Integral

import numpy as np

from .._core.distributed import check_client, client_threads, run_tasks
from .._core.params import format_value
from .._core.progress import IterationMonitor
from .._core.result import STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_STOPPED, Result, end_run, inner_runs
from ._cost import cost_matrix
from ._solve import OT_METHODS, _need_reg, _no_reg, solve

__all__ = ["solve_batch"]


def _problem_arrays(problem, i):
    """``(a, b, M or None, x, y)`` of ``problems[i]``: ``(a, b, M)``, ``(x, y)`` or ``(a, b, x, y)``."""
    if not isinstance(problem, (tuple, list)) or len(problem) not in (2, 3, 4):
        got = f"a {type(problem).__name__} of length {len(problem)}" if isinstance(problem, (tuple, list)) else (
            type(problem).__name__)  # fmt: skip
        raise TypeError(f"problems[{i}] must be (a, b, M), (x, y) or (a, b, x, y); got {got}.")
    if len(problem) == 3:
        return (*problem, None, None)
    if len(problem) == 2:
        return (None, None, None, *problem)
    return (problem[0], problem[1], None, problem[2], problem[3])


def _solve_problems(first, problems, reg, method, metric, options):
    """Solve ``problems`` (numbered from ``first``) one after the other; where a batch runs."""
    out = []
    for i, problem in enumerate(problems, start=first):
        a, b, M, x, y = problem
        try:
            if M is None:
                M = cost_matrix(x, y, metric=metric)
            with inner_runs():  # the batch warns once for all its problems
                res = solve(a, b, M, reg, method=method, **options)
        except (ValueError, TypeError) as error:
            raise type(error)(f"problems[{i}]: {error}") from error
        res["index"] = i
        out.append(res)
    return out


def _batches(problems, batch_size):
    """``(first index, [problem arrays])`` of consecutive problems, checked for form as they are drawn."""
    iterator = iter(problems)
    first = 0
    while True:
        chunk = list(itertools.islice(iterator, batch_size))
        if not chunk:
            return
        yield first, [_problem_arrays(p, first + j) for j, p in enumerate(chunk)]
        first += len(chunk)


def solve_batch(
    problems,
    reg=None,
    *,
    method=None,
    metric="sqeuclidean",
    client=None,
    batch_size=1,
    callback=None,
    verbose=0,
    progress=False,
    **options,
):
    """Solve many independent OT problems, here or on the workers of a Dask client.

    Each problem is solved by :func:`sparsekit.ot.solve` with the same
    ``reg``, ``method`` and options. With ``client``, consecutive problems
    are grouped in batches of ``batch_size``, each batch is one task on the
    cluster, and a point-cloud problem's cost matrix is built on the worker
    (only the points travel). The results are the same as without a client,
    in the caller's order.

    Parameters
    ----------
    problems : iterable
        A list or a generator of problems, each ``(a, b, M)`` (masses, None
        for uniform, and the cost matrix), ``(x, y)`` (two point clouds with
        uniform masses) or ``(a, b, x, y)`` (point clouds with masses). A
        generator is drawn as the work proceeds: with a client, at most a
        few batches per worker thread wait to be taken.
    reg : float, optional
        Regularisation, as for :func:`sparsekit.ot.solve` (None: exact OT).
    method : str, optional
        A name in :data:`~sparsekit.ot.OT_METHODS`, as for
        :func:`sparsekit.ot.solve`.
    metric : str, default="sqeuclidean"
        Ground cost of point-cloud problems (see
        :func:`sparsekit.ot.cost_matrix`).
    client : distributed.Client, optional
        Run the batches on this Dask client's workers (distributed's
        futures); None: in this process, one problem after the other.
    batch_size : int, default=1
        Problems per task on the client (larger for many tiny problems,
        whose scheduling would cost more than their solving).
    callback : callable, optional
        ``callback(result)`` with each problem's Result (``result.index``:
        its position in ``problems``), in completion order; returning True
        stops the batch: status 2, no warning, the problems not taken are
        left out (``plan`` None).
    verbose : int, default=0
        Log progress through the ``sparsekit`` logger.
    progress : bool, default=False
        Show a progress bar over the problems (tqdm).
    **options
        Options of the method (e.g. ``max_iter``, ``tol``).

    Returns
    -------
    Result
        In the caller's order: ``results`` (each problem's Result, with
        ``index`` and ``batch``), ``plan`` (the plans), ``cost``, ``n_iter``,
        ``problem_status``, ``problem_converged`` and ``batch`` (the task
        each problem ran in); ``n_problems``, ``n_batches``; ``converged``
        (all problems), ``status`` (0 all converged, 1 some did not, 2
        stopped by the callback) and ``message``.

    Raises
    ------
    ValueError
        An unknown method, a bad ``batch_size``, or an invalid problem (the
        message names ``problems[i]``); with a client, raised on the caller's
        side when the task reports it.
    TypeError
        A problem of the wrong form, an option the method does not take, or a
        ``client`` that is not a ``dask.distributed.Client``.

    Warns
    -----
    ConvergenceWarning
        Once for the batch, at the caller's line, when some problems did not
        converge.

    See Also
    --------
    solve : One problem.

    Notes
    -----
    The problems are independent, so a batch on ``w`` single-threaded
    workers takes about ``1/w`` of the serial time once each problem's work
    dwarfs the scheduling (about a millisecond per task) and the transfer
    of its data (prefer point clouds to cost matrices). Distributed keeps
    each task's arguments on the scheduler: a task whose worker dies is run
    again on another worker, and the result is the same. Each problem runs
    the same code as :func:`solve` would in this process, so the plans equal
    the serial ones.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.ot import solve_batch
    >>> rng = np.random.default_rng(0)
    >>> clouds = [(rng.normal(size=(5, 2)), rng.normal(size=(6, 2))) for _ in range(3)]
    >>> res = solve_batch(clouds, 0.5, max_iter=500)
    >>> bool(res.converged), len(res.plan), res.plan[0].shape
    (True, 3, (5, 6))
    >>> solve_batch([(np.ones(2), np.ones(2))], 0.5, batch_size=0)
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be a positive int; got 0.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {format_value(batch_size)}.")
    if isinstance(problems, (str, bytes)) or not hasattr(problems, "__iter__"):
        raise TypeError("problems must be an iterable (a list or a generator) of OT problems.")
    name = OT_METHODS.get(method if method is not None else ("emd" if reg is None else "sinkhorn")).name
    (_no_reg if name == "emd" else _need_reg)(name, reg)
    OT_METHODS.check_options(name, options)
    if client is not None:
        check_client(client)
    total = len(problems) if hasattr(problems, "__len__") else None
    results = {}
    monitor = IterationMonitor("ot.solve_batch", total=total, verbose=verbose, progress=progress, callback=callback)

    def take(batch, batch_results):
        for res in batch_results:
            res["batch"] = batch
            results[res.index] = res
            if monitor.update(res, iterations=float(res.get("n_iter", 0))):
                return True
        return False

    tasks = ((first, chunk, reg, method, metric, options) for first, chunk in _batches(problems, batch_size))
    with monitor:
        if client is None:
            for batch, task in enumerate(tasks):
                if take(batch, _solve_problems(*task)):
                    break
        else:
            in_flight = 4 * client_threads(client)
            run_tasks(client, _solve_problems, tasks, take, name=f"solve_batch-{uuid.uuid4().hex[:8]}",
                      max_in_flight=in_flight)  # fmt: skip
    return _batch_result(results, monitor.stopped_by_callback)


def _batch_result(results, stopped):
    """The joined Result of the problems taken (``results``: index -> Result)."""
    count = max(results) + 1 if results else 0
    ordered = [results.get(i) for i in range(count)]
    status = np.array([-3 if r is None else r.status for r in ordered], dtype=np.int64)
    failed = [i for i, s in enumerate(status) if s not in (0, -3)]
    if stopped:
        code, message = STATUS_STOPPED, f"stopped by the callback after {len(results)} problems"
    elif count == 0:
        raise ValueError("problems must hold at least one problem.")
    elif failed:
        code, message = STATUS_MAX_ITER, f"{len(failed)} of {count} problems did not converge (problems {failed[:10]})"
    else:
        code, message = STATUS_CONVERGED, f"all {count} problems converged"
    result = Result(
        results=ordered,
        plan=[None if r is None else r.plan for r in ordered],
        cost=np.array([np.nan if r is None else float(r.cost) for r in ordered]),
        n_iter=np.array([0 if r is None else int(r.n_iter) for r in ordered], dtype=np.int64),
        problem_status=status,
        problem_converged=status == 0,
        batch=np.array([-1 if r is None else r.batch for r in ordered], dtype=np.int64),
        n_problems=count,
        n_batches=len({r.batch for r in results.values()}),
    )
    # Each problem ended through end_run, which guarded its own fields; NaN costs here mark problems not taken.
    return end_run(result, caller="solve_batch", status=code, message=message, check=())
