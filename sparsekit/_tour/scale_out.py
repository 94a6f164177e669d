"""Tour rows for scale-out on Dask: a chunked sequence and a batch of OT problems on a LocalCluster vs one process."""

import contextlib

import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit.datasets import helmholtz_sequence
from sparsekit.linalg import solve_sequence
from sparsekit.ot import solve_batch

from ._case import TourRow, tour_case


@contextlib.contextmanager
def _local_client():
    """A LocalCluster of 2 single-threaded in-process workers (starts in a fraction of a second)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            yield client


@tour_case("scale-out", "solve_sequence in 2 chunks on a LocalCluster vs one chain in one process")
def tour_sequence_on_dask(ctx):
    if not ctx.has("distributed"):
        return []
    count, n = (12, 20) if ctx.quick else (40, 50)
    data = helmholtz_sequence(count, n=n, random_state=0)
    with threadpool_limits(1), _local_client() as client:
        serial, serial_seconds = ctx.timed(solve_sequence, data.systems, features=data.features, rtol=1e-10)
        chunked, seconds = ctx.timed(solve_sequence, data.systems, features=data.features, rtol=1e-10, client=client)
    return TourRow(
        problem=f"{count} Helmholtz systems, sorted, GCRO-DR, {chunked.n_chunks} chunks",
        method="solve_sequence(client=)", size=f"n={n * n}", seconds=seconds, metric="products/system",
        value=float(np.mean(chunked.n_matvec)), peer="one process, one chain", peer_seconds=serial_seconds,
        peer_value=float(np.mean(serial.n_matvec)),
    )


@tour_case("scale-out", "ot.solve_batch of point-cloud problems on a LocalCluster vs one process")
def tour_ot_batch_on_dask(ctx):
    if not ctx.has("distributed"):
        return []
    count, n = (6, 100) if ctx.quick else (20, 500)
    rng = np.random.default_rng(0)
    problems = [(rng.random((n, 2)), rng.random((n, 2))) for _ in range(count)]
    with threadpool_limits(1), _local_client() as client:
        serial, serial_seconds = ctx.timed(solve_batch, problems, 1e-2)
        batch, seconds = ctx.timed(solve_batch, problems, 1e-2, client=client)
    return TourRow(
        problem=f"{count} OT problems, uniform clouds, reg=1e-2", method="ot.solve_batch(client=)", size=f"n={n}",
        seconds=seconds, metric="mean cost", value=float(np.mean(batch.cost)), peer="one process",
        peer_seconds=serial_seconds, peer_value=float(np.mean(serial.cost)),
    )
