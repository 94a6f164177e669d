"""solve_sequence in chunks: here (n_chunks) and on a Dask client, equal to each other, robust to a lost worker."""

import functools
import os
import signal
import threading
import time

import numpy as np
import pytest

from sparsekit.datasets import helmholtz_sequence, poisson_sequence
from sparsekit.linalg import SEQUENCE_METHODS, solve_sequence

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        yield client


@functools.cache
def _data():
    return helmholtz_sequence(12, n=12, random_state=0)


@pytest.fixture(scope="module")
def data():
    return _data()


_BUILT_IN = []  # threads that built a system (module level: tasks are pickled, by reference to this module)


def _system_recording_its_thread(i):
    _BUILT_IN.append(threading.current_thread().name)
    return _data().systems[i]


def _same(xs, ys):
    return all(np.array_equal(x, y) for x, y in zip(xs, ys))


def test_chunks_are_contiguous_pieces_of_the_sorted_order(data):
    one = solve_sequence(data.systems, features=data.features, rtol=1e-10)
    three = solve_sequence(data.systems, features=data.features, rtol=1e-10, n_chunks=3)
    assert three.converged and three.n_chunks == 3
    np.testing.assert_array_equal(three.order, one.order)
    # chunk is given in the caller's order; along the solve order it is 0 0 0 0 1 1 1 1 2 2 2 2
    np.testing.assert_array_equal(three.chunk[three.order], np.repeat([0, 1, 2], 4))
    # each chunk's first system starts cold; the others recycle as in the one-chain run
    firsts = three.order[[0, 4, 8]]
    assert np.all(three.n_matvec[firsts] >= one.n_matvec[firsts])
    assert three.n_matvec.mean() <= 1.15 * one.n_matvec.mean()
    for x, y, (A, b) in zip(three.x, one.x, data.systems):
        assert np.linalg.norm(x - y) <= 1e-8 * np.linalg.norm(y)
        assert np.linalg.norm(b - A @ x) <= 1e-10 * np.linalg.norm(b) * 1.01


def test_client_run_equals_the_serial_run_of_the_same_chunks(data, client):
    here = solve_sequence(data.systems, features=data.features, rtol=1e-10, n_chunks=3)
    there = solve_sequence(data.systems, features=data.features, rtol=1e-10, n_chunks=3, client=client)
    assert there.converged and there.message.endswith("(3 chunks)")
    assert _same(there.x, here.x)
    for field in ("n_iter", "n_matvec", "chunk", "order", "system_status"):
        np.testing.assert_array_equal(there[field], here[field])
    assert there.recycle.k > 0


def test_callable_systems_are_built_on_the_workers(data, client):
    _BUILT_IN.clear()
    res = solve_sequence(_system_recording_its_thread, n_systems=12, features=data.features, rtol=1e-10, client=client)
    assert res.n_chunks == 2  # one chunk per worker thread by default
    assert len(_BUILT_IN) >= 12 and threading.main_thread().name not in _BUILT_IN
    reference = solve_sequence(data.systems, features=data.features, rtol=1e-10, n_chunks=2)
    assert _same(res.x, reference.x)


def test_callback_sees_every_system_and_can_stop(data, client):
    seen = []
    res = solve_sequence(data.systems, features=data.features, n_chunks=4, client=client,
                         callback=lambda r: seen.append((r.index, r.chunk)) or len(seen) == 5)
    assert res.status == 2 and not res.converged
    assert sum(x is not None for x in res.x) == 5
    assert {i for i, _ in seen} == {i for i, x in enumerate(res.x) if x is not None}
    assert all(res.chunk[i] == c for i, c in seen)
    progress = []
    solve_sequence(data.systems, features=data.features, client=client, callback=progress.append)
    assert sorted(r.index for r in progress) == list(range(12))


def test_bad_chunking_and_client(data):
    with pytest.raises(ValueError, match="n_chunks"):
        solve_sequence(data.systems, features=data.features, n_chunks=13)
    with pytest.raises(ValueError, match="n_chunks"):
        solve_sequence(data.systems, features=data.features, n_chunks=0)
    with pytest.raises(TypeError, match="client"):
        solve_sequence(data.systems, features=data.features, client="localhost:8786")
    with pytest.raises(TypeError, match="no_such_option"):
        solve_sequence(data.systems, features=data.features, n_chunks=2, no_such_option=1)


def test_a_worker_killed_mid_run_costs_only_its_chunk(data):
    """Kill (SIGKILL) a worker process holding a chunk: its chunk is rerun elsewhere, the result is complete."""
    reference = solve_sequence(data.systems, features=data.features, rtol=1e-10, n_chunks=4)
    systems = data.systems

    def slow_system(i):
        time.sleep(0.15)
        return systems[i]

    killed = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:

        pids = client.run(os.getpid)

        def kill_a_busy_worker(result):
            # At the first system taken, three chunks remain: some worker runs one (or is about to).
            deadline = time.monotonic() + 10
            while not killed and time.monotonic() < deadline:
                busy = {addr: keys for addr, keys in client.processing().items() if keys}
                if busy:
                    addr, keys = next(iter(busy.items()))
                    os.kill(pids[addr], signal.SIGKILL)
                    killed.append((addr, keys))
                else:
                    time.sleep(0.01)

        res = solve_sequence(slow_system, n_systems=12, features=data.features, rtol=1e-10, n_chunks=4,
                             client=client, callback=kill_a_busy_worker)
    assert killed and killed[0][1], "the killed worker was running a chunk"
    assert res.converged and res.n_chunks == 4
    # other processes: their BLAS may round differently from this one (threads), so equal to the 1e-10
    for x, y in zip(res.x, reference.x):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=0)
    assert np.abs(res.n_matvec - reference.n_matvec).max() <= 2


@pytest.mark.parametrize("method", SEQUENCE_METHODS.names())
def test_every_method_runs_in_chunks(method):
    data = poisson_sequence(6, n=8, random_state=0)
    options = {"random_state": 0} if "random_state" in SEQUENCE_METHODS.get(method).options else {}
    res = solve_sequence(data.systems, method=method, order=[5, 4, 3, 2, 1, 0], n_chunks=2, **options)
    assert res.converged and res.n_chunks == 2
    np.testing.assert_array_equal(res.chunk, [1, 1, 1, 0, 0, 0])
    for field in SEQUENCE_METHODS.get(method).per_item_results:
        assert res[field] is None or len(res[field]) == 6
    for x, (A, b) in zip(res.x, data.systems):
        assert np.linalg.norm(b - A @ x) <= 1e-4 * np.linalg.norm(b)


def test_progress_is_logged_here_as_chunks_complete(data, client, caplog):
    with caplog.at_level("INFO", logger="sparsekit"):
        solve_sequence(data.systems, features=data.features, client=client, verbose=2)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("sparsekit.linalg.solve_sequence")]
    assert sum(line.startswith("iter ") for line in lines) == 12
