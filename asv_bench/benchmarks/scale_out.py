"""Scale-out on Dask: a sorted sequence of Helmholtz systems and a batch of OT problems, on 2 workers vs one process.

``compare_cases`` times the client run against the one-process run (the
"peer"); ``python asv_bench/benchmarks/scale_out.py [--quick] [--threads]
[--rounds=R] [--ceiling]`` measures the gates of the user guide's figures
(speed-up, matvecs per system, agreement of the solutions and plans with the
serial run, load average) and prints them: ``--threads`` uses workers that are
threads of this process (the kernels release the GIL, and results are not
copied), ``--ceiling`` adds the speed-up two plain processes get on this
machine for the same split work, without Dask.
"""

import atexit
import functools
import os
import statistics
import sys
import time
import warnings

import numpy as np
from scipy import sparse

try:
    from .common import CompareCase, PinnedThreads, have
except ImportError:  # run as a script, or imported by compare.py from this folder
    from common import CompareCase, PinnedThreads, have


class HelmholtzSystem:
    """``i -> (A_i, b)`` of :func:`sparsekit.datasets.helmholtz_sequence`, built where it is called (a worker)."""

    def __init__(self, log_coefficients, wavenumbers):
        self.log_coefficients = log_coefficients
        self.wavenumbers = wavenumbers

    def __call__(self, i):
        from sparsekit.datasets import poisson2d

        n = self.log_coefficients.shape[1]
        h = 1.0 / (n + 1)
        A = poisson2d(n) @ sparse.diags_array(np.exp(self.log_coefficients[i].ravel()))
        A = sparse.csr_array(A - (h * self.wavenumbers[i]) ** 2 * sparse.eye_array(n * n, format="csr"))
        A.sum_duplicates()
        A.sort_indices()
        return A, np.full(n * n, h**2)


def helmholtz_problem(n_systems, n, seed=0):
    from sparsekit.datasets import helmholtz_sequence

    data = helmholtz_sequence(n_systems, n=n, random_state=seed)
    return HelmholtzSystem(data.log_coefficients, data.wavenumbers), data.features


def local_cluster(n_workers=2, processes=True):
    """A LocalCluster of single-threaded workers and its client, warmed up (imports, numba caches loaded)."""
    from distributed import Client, LocalCluster

    from sparsekit.linalg import solve_sequence

    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes, dashboard_address=":0")
    client = Client(cluster)
    systems, features = helmholtz_problem(4, 10)
    solve_sequence(systems, n_systems=4, features=features, client=client, n_chunks=n_workers)
    client.run(_warm_ot)
    _warm_ot()
    return cluster, client


def _warm_ot():
    from sparsekit.ot import solve

    x = np.linspace(0, 1, 20)[:, None]
    solve(None, None, (x - x.T) ** 2, 0.1)


def ot_problems(count, n, seed=0):
    """``count`` pairs of clouds of ``n`` points uniform in the unit square, as ``(x, y)`` problems.

    The OT benchmarks' problem (squared Euclidean cost, at most 2, uniform
    weights); the cost matrices are built where the problems are solved.
    """
    rng = np.random.default_rng(seed)
    return [(rng.random((n, 2)), rng.random((n, 2))) for _ in range(count)]


# --------------------------------------------------------------------------- asv
class SequenceOnLocalCluster(PinnedThreads):
    """40 Helmholtz systems of order 2500, 2 chunks on a LocalCluster of 2 workers."""

    timeout = 600

    def setup(self):
        super().setup()
        if not have("distributed"):
            raise NotImplementedError("distributed is not installed")
        self.cluster, self.client = local_cluster()
        self.systems, self.features = helmholtz_problem(40, 50)

    def teardown(self):
        self.client.close()
        self.cluster.close()

    def _run(self, client):
        from sparsekit.linalg import solve_sequence

        return solve_sequence(self.systems, n_systems=40, features=self.features, rtol=1e-8, client=client)

    def time_client(self):
        self._run(self.client)

    def time_one_process(self):
        self._run(None)

    def track_matvecs_per_system_client(self):
        return float(np.mean(self._run(self.client).n_matvec))

    track_matvecs_per_system_client.unit = "products"


# --------------------------------------------------------------------------- compare / gates
def _sequence_runs(n_systems, n, rtol, client):
    from sparsekit.linalg import solve_sequence

    systems, features = helmholtz_problem(n_systems, n)

    def run(**kw):
        return solve_sequence(systems, n_systems=n_systems, features=features, rtol=rtol, **kw)

    return run


@functools.cache
def _shared_client():
    """One warmed LocalCluster for the compare cases, closed when the process exits (cases have no teardown)."""
    cluster, client = local_cluster()

    def close():
        client.close()
        cluster.close()

    atexit.register(close)
    return client


def compare_cases(quick=False):
    """2 workers (LocalCluster, processes) vs one process: a sorted Helmholtz sequence and a batch of OT problems."""
    if not have("distributed"):
        return []
    n_systems, n = (20, 30) if quick else (200, 100)
    count, points = (10, 200) if quick else (100, 1000)
    state = {}

    def setup():
        state["client"] = _shared_client()
        state["run"] = _sequence_runs(n_systems, n, 1e-10, state["client"])
        state["problems"] = ot_problems(count, points)

    def batch(client=None):
        from sparsekit.ot import solve_batch

        return solve_batch(state["problems"], 1e-3, client=client)

    return [
        CompareCase(
            case=f"{n_systems} Helmholtz systems of order {n * n}, 2 workers",
            sparsekit=lambda: state["run"](client=state["client"]),
            peer=lambda: state["run"](),
            peer_name="one process",
            setup=setup,
            quality=lambda sk, ref: _max_relative_difference(sk.x, ref.x) <= 1e-10,
            metrics={"matvecs per system": (lambda r: np.mean(r.n_matvec), lambda r: np.mean(r.n_matvec))},
            repeat=1,
        ),
        CompareCase(
            case=f"{count} OT problems n={points}, reg=1e-3, 2 workers",
            sparsekit=lambda: batch(state["client"]),
            peer=batch,
            peer_name="one process",
            setup=setup,
            quality=lambda sk, ref: all(np.array_equal(np.asarray(p), np.asarray(q)) for p, q in zip(sk.plan, ref.plan)),
            metrics={"iterations per problem": (lambda r: np.mean(r.n_iter), lambda r: np.mean(r.n_iter))},
            repeat=1,
        ),
    ]


def _max_relative_difference(xs, refs):
    return max(float(np.linalg.norm(x - r) / np.linalg.norm(r)) for x, r in zip(xs, refs))


def _timed_rounds(run, client, rounds):
    """Wall and CPU seconds of ``run()`` (one process) and ``run(client=client)``, interleaved over ``rounds``.

    CPU seconds are this process's (all its threads) and each worker process's, so that a loaded machine,
    where wall times say little, still shows the work: ``cpu_bound_speedup`` is the serial CPU time over
    the client run's driver CPU time plus its busiest worker's, the speed-up two free cores would give if
    the driver's work did not overlap the workers' (a lower bound, up to scheduling latencies). With
    workers that are threads of this process, the CPU seconds cannot be told apart and are left out.
    """
    times = {"one process": [], "client": []}
    cpu = {"one process": [], "client": []}
    out = {}
    for _ in range(rounds):
        for name, kw in (("one process", {}), ("client", {"client": client})):
            workers = client.run(time.process_time)
            start, start_cpu = time.perf_counter(), time.process_time()
            out[name] = run(**kw)
            times[name].append(time.perf_counter() - start)
            driver = time.process_time() - start_cpu
            busiest = max(t - workers[w] for w, t in client.run(time.process_time).items())
            cpu[name].append(driver if name == "one process" else driver + busiest)
    median = {name: statistics.median(values) for name, values in times.items()}
    median_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    figures = {
        "serial_s": median["one process"],
        "client_s": median["client"],
        "speedup": median["one process"] / median["client"],
        "serial_cpu_s": median_cpu["one process"],
        "client_driver_plus_busiest_worker_cpu_s": median_cpu["client"],
        "cpu_bound_speedup": median_cpu["one process"] / median_cpu["client"],
    }
    if set(client.run(os.getpid).values()) == {os.getpid()}:
        del figures["client_driver_plus_busiest_worker_cpu_s"], figures["cpu_bound_speedup"]
    return out, figures


def measure_sequence(n_systems, n, rtol, client, rounds):
    """The sequence gate: speed-up, matvecs per system and solution agreement vs the serial sorted run."""
    run = _sequence_runs(n_systems, n, rtol, client)
    out, figures = _timed_rounds(run, client, rounds)
    serial_chunks = run(n_chunks=out["client"].n_chunks)
    return {
        "systems": n_systems,
        "order": n * n,
        "rtol": rtol,
        "chunks": int(out["client"].n_chunks),
        **figures,
        "matvecs_serial": float(np.mean(out["one process"].n_matvec)),
        "matvecs_client": float(np.mean(out["client"].n_matvec)),
        "max_rel_diff_vs_serial": _max_relative_difference(out["client"].x, out["one process"].x),
        "identical_to_serial_same_chunks": all(
            np.array_equal(a, b) for a, b in zip(out["client"].x, serial_chunks.x)
        ),
        "all_converged": bool(out["client"].converged and out["one process"].converged),
        # the balance bounds the speed-up: the largest chunk's share of the products and of the solve seconds
        "largest_chunk_share_products": _largest_share(out["client"], "n_matvec"),
        "largest_chunk_share_seconds": _largest_share(out["client"], "seconds"),
    }


def _largest_share(result, field):
    totals = np.bincount(result.chunk, weights=result[field])
    return float(totals.max() / totals.sum())


def measure_ot(count, n, reg, client, rounds, method="sinkhorn"):
    """The OT gate: speed-up and plan agreement vs the serial batch."""
    from sparsekit.ot import solve_batch

    problems = ot_problems(count, n)
    out, figures = _timed_rounds(lambda **kw: solve_batch(problems, reg=reg, method=method, **kw), client, rounds)
    plans = zip(out["client"].plan, out["one process"].plan)
    return {
        "problems": count,
        "n": n,
        "reg": reg,
        "method": method,
        **figures,
        "plans_identical": all(np.array_equal(np.asarray(p), np.asarray(q)) for p, q in plans),
        "iterations_mean": float(np.mean(out["client"].n_iter)),
        "all_converged": bool(out["client"].converged),
    }


class _Chunk:
    """Systems ``indices`` of ``systems``, numbered 0.. in that order (a chunk of the solve order)."""

    def __init__(self, systems, indices):
        self.systems, self.indices = systems, indices

    def __call__(self, j):
        return self.systems(self.indices[j])


def _solve_chunk(systems, indices, rtol):
    from sparsekit.linalg import solve_sequence

    return solve_sequence(_Chunk(systems, indices), n_systems=len(indices), order="given", rtol=rtol).converged


def _solve_problems_costs(problems, reg):
    from sparsekit.ot import solve_batch

    return solve_batch(problems, reg).cost


def _two_process_seconds(func, halves, rounds):
    """Median wall seconds of ``func(*half)`` for both halves at once in two plain (forked) processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(time.sleep, [0.1, 0.1]))  # both processes started
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            list(pool.map(func, *zip(*halves)))
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine_ceiling(which, shape, rounds):
    """The speed-up two plain processes get on this machine for the same work split in two, without Dask.

    What the cores give any two processes (shared caches, memory bandwidth,
    a virtual machine's neighbours): Dask's speed-up is read against it.
    """
    from sparsekit.ot import solve_batch

    if which == "sequence":
        n_systems, n = shape
        systems, features = helmholtz_problem(n_systems, n)
        run = _sequence_runs(n_systems, n, 1e-10, None)
        chunks = run(n_chunks=2)
        order = np.asarray(chunks.order)
        halves = [(systems, order[chunks.chunk[order] == c], 1e-10) for c in (0, 1)]
        func = _solve_chunk
        serial = lambda: run(n_chunks=2)  # noqa: E731 - the same two chunks, one after the other
    else:
        count, points = shape
        problems = ot_problems(count, points)
        halves = [(problems[: count // 2], 1e-3), (problems[count // 2 :], 1e-3)]
        func = _solve_problems_costs
        serial = lambda: solve_batch(problems, 1e-3)  # noqa: E731
    serial_times = []
    for _ in range(rounds):
        start = time.perf_counter()
        serial()
        serial_times.append(time.perf_counter() - start)
    parallel = _two_process_seconds(func, halves, rounds)
    return {"serial_s": statistics.median(serial_times), "two_processes_s": parallel,
            "speedup": statistics.median(serial_times) / parallel}  # fmt: skip


def main(argv):
    from threadpoolctl import threadpool_limits

    quick = "--quick" in argv
    processes = "--threads" not in argv
    ceiling = "--ceiling" in argv
    rounds = next((int(a.split("=")[1]) for a in argv if a.startswith("--rounds=")), 1)
    which = [a for a in argv if not a.startswith("--")] or ["sequence", "ot"]
    warnings.simplefilter("ignore")
    with threadpool_limits(1):
        cluster, client = local_cluster(processes=processes)
        try:
            print("workers:", "processes" if processes else "threads of this process", "rounds:", rounds)
            print("load average before:", os.getloadavg(), flush=True)
            if "sequence" in which:
                shape = (20, 30) if quick else (200, 100)
                print("sequence:", measure_sequence(*shape, 1e-10, client, rounds=rounds), flush=True)
                print("load average:", os.getloadavg(), flush=True)
                if ceiling:
                    print("sequence, two plain processes:", machine_ceiling("sequence", shape, rounds), flush=True)
            if "ot" in which:
                shape = (10, 200) if quick else (100, 1000)
                print("ot:", measure_ot(*shape, 1e-3, client, rounds=rounds), flush=True)
                print("load average:", os.getloadavg(), flush=True)
                if ceiling:
                    print("ot, two plain processes:", machine_ceiling("ot", shape, rounds), flush=True)
        finally:
            client.close()
            cluster.close()


if __name__ == "__main__":
    main(sys.argv[1:])
