"""The command line, the tour runner and the compare.py harness."""

import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest

from sparsekit import _cli
from sparsekit._tour import _runner as _tour
from sparsekit._tour._case import TOUR_CASES, TourRow, tour_case

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def demo_cases():
    """Two throwaway tour cases, removed afterwards."""
    _tour.discover()  # register the real cases first, so that restoring ``before`` keeps them
    before = list(TOUR_CASES)

    @tour_case("demo", "zz-demo square numbers")
    def ok_case(ctx):
        with ctx.figure("zz_demo") as (fig, ax):
            if fig is not None:
                ax.plot([1, 2, 3])
        value, seconds = ctx.timed(lambda: sum(i * i for i in range(100)))
        return TourRow("sum of squares", "python", "n=100", seconds, "value", float(value),
                       peer="numpy", peer_seconds=seconds, peer_value=float(value))

    @tour_case("demo", "zz-demo broken")
    def broken_case(ctx):
        raise RuntimeError("this case is broken")

    yield
    TOUR_CASES[:] = before


def test_tour_table_and_plots(demo_cases, tmp_path, capsys):
    status = _tour.run_tour(plot=str(tmp_path), keyword="zz-demo square", out=sys.stdout)
    out = capsys.readouterr().out
    assert status == 0
    header = next(line for line in out.splitlines() if line.startswith("area"))
    assert header.split() == ["area", "problem", "method", "size", "time", "[s]", "metric", "value", "peer",
                              "peer", "time", "peer", "value"]
    assert "sum of squares" in out and "328350" in out and "1/1 cases ran" in out
    assert (tmp_path / "zz_demo.png").stat().st_size > 1000


def test_tour_reports_a_failing_case(demo_cases, capsys):
    assert _tour.run_tour(keyword="zz-demo", out=sys.stdout) == 1
    out = capsys.readouterr().out
    assert "this case is broken" in out and "1 case(s) FAILED" in out and "1/2 cases ran" in out


def test_tour_list_and_empty_selection(demo_cases, capsys):
    assert _cli.main(["tour", "--list", "-k", "zz-demo"]) == 0
    assert "zz-demo broken" in capsys.readouterr().out
    assert _cli.main(["tour", "-k", "no case has this title"]) == 1


def test_every_tour_module_is_discovered():
    cases = _tour.discover()
    modules = {case.func.__module__ for case in cases}
    on_disk = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "sparsekit" / "_tour").glob("[!_]*.py")
    }
    assert on_disk and on_disk <= modules
    assert not list((ROOT / "sparsekit").rglob("*_tour.py")), "tour cases live in sparsekit/_tour/ only"


def test_module_help_and_show_config():
    help_text = subprocess.run([sys.executable, "-m", "sparsekit", "--help"], capture_output=True, text=True,
                               cwd=ROOT, check=True).stdout
    assert "tour" in help_text and "show-config" in help_text
    config = subprocess.run([sys.executable, "-m", "sparsekit", "show-config"], capture_output=True, text=True,
                            cwd=ROOT, check=True).stdout
    for needle in ("sparsekit", "numpy", "numba threading:", "GPU:", "BLAS/OpenMP thread pools:"):
        assert needle in config


def _load_compare():
    spec = importlib.util.spec_from_file_location("sparsekit_compare", ROOT / "asv_bench" / "compare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compare_records_and_json(tmp_path):
    compare = _load_compare()
    common = importlib.import_module("common")
    calls = {"sk": 0, "peer": 0}

    def sk():
        calls["sk"] += 1
        return 10

    def peer():
        calls["peer"] += 1
        sum(range(20000))
        return 30

    case = common.CompareCase("demo", sk, peer, "peerlib", quality=lambda a, b: a < b,
                              metrics={"iterations": (lambda out: out, lambda out: out)})
    records = compare.run_case("demo-area", case)
    assert calls == {"sk": 3, "peer": 3}, "each side is timed at least three times"
    assert [r["metric"] for r in records] == ["time [s]", "iterations"]
    assert records[1]["ratio"] == pytest.approx(3.0) and records[1]["quality_ok"] is True
    assert set(records[0]) == {"area", "case", "metric", "sparsekit", "peer", "peer_name", "ratio", "quality_ok",
                               "ratio_spread", "load_average"}
    low, high = records[0]["ratio_spread"]
    assert 0 < low <= high
    assert records[0]["load_average"] is None or records[0]["load_average"] >= 0
    missing = compare.run_case("demo-area", common.CompareCase("no peer", sk, None, "peerlib"))
    assert missing[0]["ratio"] is None and "not installed" in missing[0]["peer_name"]
    compare.print_table(records)
    path = tmp_path / "out.json"
    path.write_text(json.dumps(records))
    assert json.loads(path.read_text())[0]["area"] == "demo-area"


def test_compare_cli_lists_areas_and_rejects_unknown():
    run = lambda *args: subprocess.run([sys.executable, str(ROOT / "asv_bench" / "compare.py"), *args],
                                       capture_output=True, text=True, cwd=ROOT)
    listed = run("--list")
    assert listed.returncode == 0
    bad = run("no-such-area")
    assert bad.returncode == 2 and "unknown area" in bad.stderr


def test_compare_times_a_slow_peer_only_peer_repeat_times():
    compare = _load_compare()
    common = importlib.import_module("common")
    calls = {"sk": 0, "peer": 0}

    def count(side):
        calls[side] += 1
        return side

    case = common.CompareCase("slow peer", lambda: count("sk"), lambda: count("peer"), "peerlib", peer_repeat=1)
    compare.run_case("demo-area", case)
    assert calls == {"sk": 3, "peer": 1}
