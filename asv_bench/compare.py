#!/usr/bin/env python
"""Side-by-side comparison of sparsekit with the best installed peer, in one process.

Usage::

    python asv_bench/compare.py AREA [--quick] [--json PATH] [--threads N]
    python asv_bench/compare.py --list

Areas are the modules of ``asv_bench/benchmarks/`` that define
``compare_cases(quick)``; ``linalg_sor.py`` is area ``linalg-sor``. Each case
runs sparsekit and the peer on the same data, repeats each timing (median of at
least 3, sparsekit and peer runs alternating; a case may time a peer that
takes minutes only ``peer_repeat`` times), and reports the ratio
peer / sparsekit (> 1: sparsekit is faster, or better for lower-is-better
metrics). BLAS and OpenMP pools are pinned to ``--threads`` (default 1) for
both sides.
"""

import argparse
import importlib
import json
import math
import os
import pathlib
import statistics
import sys
import time
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "benchmarks"))
sys.path.insert(0, str(HERE.parent))

from threadpoolctl import threadpool_limits  # noqa: E402


def discover_areas():
    """Map area names to benchmark module names (those defining ``compare_cases``)."""
    areas = {}
    for path in sorted((HERE / "benchmarks").glob("*.py")):
        if path.stem in ("__init__", "common"):
            continue
        text = path.read_text()
        if "def compare_cases(" in text:
            areas[path.stem.replace("_", "-")] = path.stem
    return areas


def _timed(func):
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def _interleaved_medians(case):
    """Median times of both sides, alternating sparsekit and peer runs, and the spread of the round ratios.

    Alternating spreads a load spike on a shared machine over both sides
    instead of charging it to whichever ran during it. A peer with
    ``peer_repeat`` set runs only in the first that many rounds. The spread is
    the (min, max) of peer/sparsekit over the rounds where both ran, so a
    reader can judge the median ratio.
    """
    rounds = max(3, case.repeat)
    peer_rounds = rounds if case.peer_repeat is None else max(1, case.peer_repeat)
    sk_times, peer_times, sk_out, peer_out = [], [], None, None
    for k in range(rounds):
        seconds, sk_out = _timed(case.sparsekit)
        sk_times.append(seconds)
        if case.peer is not None and k < peer_rounds:
            seconds, peer_out = _timed(case.peer)
            peer_times.append(seconds)
    peer_time = statistics.median(peer_times) if peer_times else None
    ratios = [p / t for p, t in zip(peer_times, sk_times) if t > 0]
    spread = (min(ratios), max(ratios)) if ratios else None
    return statistics.median(sk_times), sk_out, peer_time, peer_out, spread


def run_case(area, case, threads=1):
    """Run one CompareCase; return its records (time first, then extra metrics).

    The thread limits are (re)applied after the case's setup: threadpoolctl only limits the
    libraries already loaded, and a peer may load its BLAS (SciPy's own OpenBLAS for
    ``scipy.linalg``) when its module is first imported or called.
    """
    if case.setup is not None:
        case.setup()
    with threadpool_limits(limits=threads):
        sk_time, sk_out, peer_time, peer_out, spread = _interleaved_medians(case)
    quality_ok = None
    if case.quality is not None:
        quality_ok = bool(case.quality(sk_out, peer_out))
    records = [_record(area, case, "time [s]", sk_time, peer_time, quality_ok)]
    records[0]["ratio_spread"] = spread
    records[0]["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    for name, (from_sk, from_peer) in case.metrics.items():
        peer_value = from_peer(peer_out) if case.peer is not None and from_peer is not None else None
        records.append(_record(area, case, name, float(from_sk(sk_out)), peer_value, quality_ok))
    return records


def _record(area, case, metric, sk_value, peer_value, quality_ok):
    ratio = None
    if peer_value is not None and sk_value:
        ratio = float(peer_value) / float(sk_value)
    return {
        "area": area,
        "case": case.case,
        "metric": metric,
        "sparsekit": float(sk_value),
        "peer": None if peer_value is None else float(peer_value),
        "peer_name": case.peer_name if case.peer is not None else f"{case.peer_name} (not installed)",
        "ratio": ratio,
        "quality_ok": quality_ok,
    }


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return f"{v:.4g}" if 1e-3 <= abs(v) < 1e5 or v == 0 else f"{v:.3e}"
    return str(v)


def _spread(record):
    spread = record.get("ratio_spread")
    return "-" if spread is None else f"{spread[0]:.3g}-{spread[1]:.3g}"


def print_table(records, out=sys.stdout):
    """Print records as an aligned table: the ratio's spread over rounds and the load average beside it."""
    cols = ("area", "case", "metric", "sparsekit", "peer", "peer_name", "ratio", "spread", "load", "quality_ok")
    rows = [cols] + [
        tuple(
            _spread(r) if c == "spread" else _fmt(r.get("load_average")) if c == "load" else _fmt(r[c])
            for c in cols
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(cols))]
    for k, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip(), file=out)
        if k == 0:
            print("  ".join("-" * w for w in widths), file=out)


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    areas = discover_areas()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("area", nargs="*", help=f"one or more of: {', '.join(areas) or 'none yet'}, or 'all'")
    parser.add_argument("--quick", action="store_true", help="smaller cases, for a fast check")
    parser.add_argument("--json", metavar="PATH", help="write the records as a JSON list")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads for both sides (default 1)")
    parser.add_argument("--list", action="store_true", help="list the areas and exit")
    args = parser.parse_args(argv)
    if args.list or not args.area:
        print("\n".join(areas) if areas else "no areas")
        return 0 if args.list else 2
    wanted = list(areas) if args.area == ["all"] else args.area
    unknown = [a for a in wanted if a not in areas]
    if unknown:
        parser.error(f"unknown area(s) {unknown}; known: {', '.join(areas)}")
    records = []
    with threadpool_limits(limits=args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import numba

        numba.set_num_threads(max(1, min(args.threads, numba.config.NUMBA_NUM_THREADS)))
        for area in wanted:
            module = importlib.import_module(areas[area])
            for case in module.compare_cases(quick=args.quick):
                print(f"[{area}] {case.case} ...", file=sys.stderr, flush=True)
                records.extend(run_case(area, case, args.threads))
    print_table(records)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(records, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
