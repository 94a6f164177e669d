"""Independent tasks on a ``dask.distributed`` client: submit, take results as they complete, stop early.

Distributed is imported only when a client is given; ``import sparsekit``
never loads it. The scheduler keeps each task's arguments, so a task whose
worker dies is run again on another worker (distributed's own recovery) and
only that task's work is lost.

Shared by ``linalg.solve_sequence`` (chunks of a sequence) and ``ot.solve_batch``
(batches of problems).
"""

__all__ = ["check_client", "client_threads", "run_tasks"]


def check_client(client):
    """Raise a TypeError unless ``client`` is a ``dask.distributed.Client``."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - a client cannot exist without distributed
        raise TypeError("client must be a dask.distributed.Client; distributed is not installed.") from None
    if not isinstance(client, Client):
        raise TypeError(f"client must be a dask.distributed.Client or None; got {type(client).__name__}.")


def client_threads(client):
    """Number of worker threads of ``client`` (at least 1)."""
    check_client(client)
    return max(1, sum(client.nthreads().values()))


def run_tasks(client, func, tasks, take, *, name, max_in_flight=None):
    """Run ``func(*args)`` for each ``args`` of ``tasks`` on ``client``; hand each result to ``take`` as it completes.

    Parameters
    ----------
    client : distributed.Client
        Where the tasks run.
    func : callable
        A module-level function (pickled by reference).
    tasks : iterable of tuple
        Positional arguments of each task, embedded in the task (not
        scattered), so that the scheduler can rerun a task whose worker died.
        Drawn lazily: a generator is consumed as tasks complete.
    take : callable
        ``take(i, result)`` in completion order (``i``: the task's position
        in ``tasks``); returning True stops: the tasks not yet taken are
        cancelled and no more are drawn.
    name : str
        Prefix of the task keys (shown on the dashboard and in
        ``distributed.progress``).
    max_in_flight : int, optional
        Most tasks submitted and not yet taken (default: all at once); bounds
        the memory of a long generator.

    Raises
    ------
    Exception
        The first exception raised by a task (the others are cancelled).
    """
    from distributed import as_completed

    pending = as_completed()
    position = {}
    tasks = iter(tasks)
    limit = float("inf") if max_in_flight is None else max_in_flight

    def submit_more():
        while len(position) < limit:
            args = next(tasks, None)
            if args is None:
                return
            i = len(position) + submit_more.taken
            future = client.submit(func, *args, key=f"{name}-{i}")
            position[future.key] = i
            pending.add(future)

    submit_more.taken = 0
    submit_more()
    try:
        while position:
            future = next(pending)
            i = position.pop(future.key)
            submit_more.taken += 1
            if take(i, future.result()):
                break
            submit_more()
    finally:
        client.cancel(list(pending.futures))
