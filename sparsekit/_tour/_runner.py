"""Runner of ``python -m sparsekit tour``: import the area modules of this package, run, print one table."""

import importlib
import math
import pathlib
import pkgutil
import sys
import time
import traceback
import warnings

from ._case import TOUR_CASES, TourContext

#: pip names of the peers the cases look for (module name -> what to install).
PEER_PACKAGES = {"ot": "pot", "pyamg": "pyamg", "regot": "regot", "sklearn": "scikit-learn", "dagma": "dagma"}

_COLUMNS = ("area", "problem", "method", "size", "time [s]", "metric", "value", "peer", "peer time", "peer value")


def discover():
    """Import every area module of ``sparsekit._tour``; return the registered cases."""
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__, prefix=f"{__package__}."):
        if not info.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(info.name)
    return list(TOUR_CASES)


def _fmt(value):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return "-"
        if value.is_integer() and abs(value) < 1e9:
            return str(int(value))
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    return str(value)


def format_table(rows):
    """Align rows (sequences of cells) under the tour's column headers."""
    cells = [list(_COLUMNS)] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(_COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def install_hint(missing):
    """The line telling which peers are missing and the one command that installs them (None if none is)."""
    if not missing:
        return None
    names = sorted(PEER_PACKAGES.get(m, m) for m in missing)
    plain = [n for n in names if n != "dagma"]
    commands = [f"pip install {' '.join(plain)}"] if plain else []
    if "dagma" in names:  # dagma declares a PyTorch dependency it does not use
        commands.append("pip install --no-deps dagma && pip install igraph tqdm")
    return (f"peers not installed: {', '.join(names)} (their columns show '-'); install them with: "
            f"{' && '.join(commands)}")


def run_tour(plot=None, areas=None, keyword=None, quick=False, list_only=False, out=None):
    """Run the registered tour cases and print their table.

    Parameters
    ----------
    plot : str, optional
        Directory for PNG figures.
    areas : list of str, optional
        Keep cases whose area starts with one of these.
    keyword : str, optional
        Keep cases whose title contains this text.
    quick : bool, default=False
        Ask cases for their smaller version.
    list_only : bool, default=False
        Print the selected cases instead of running them.
    out : file-like, optional
        Where to print (standard output by default).

    Returns
    -------
    int
        0 if every case ran, 1 if any raised (its traceback is printed).
    """
    out = sys.stdout if out is None else out
    cases = discover()
    if areas:
        cases = [c for c in cases if any(c.area.startswith(a) for a in areas)]
    if keyword:
        cases = [c for c in cases if keyword.lower() in c.title.lower()]
    if list_only:
        for case in cases:
            print(f"{case.area:12s} {case.title}", file=out)
        return 0
    if not cases:
        print("no tour cases match the selection", file=out)
        return 1
    plot_dir = None
    if plot is not None:
        plot_dir = pathlib.Path(plot)
        plot_dir.mkdir(parents=True, exist_ok=True)
    ctx = TourContext(plot_dir=plot_dir, quick=quick)
    table, failures = [], 0
    start = time.perf_counter()
    for number, case in enumerate(cases, 1):
        print(f"[{number}/{len(cases)}] {case.area}: {case.title} ...", end="", file=out, flush=True)
        case_start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                produced = case.func(ctx)
        except Exception:  # a failing case must not hide the others; it is reported and fails the run
            failures += 1
            print(" FAILED", file=out)
            traceback.print_exc(file=out)
            continue
        print(f" {time.perf_counter() - case_start:.1f} s", file=out, flush=True)
        for row in produced if isinstance(produced, list) else [produced]:
            table.append(
                (case.area, row.problem, row.method, row.size, row.seconds, row.metric, row.value,
                 row.peer, row.peer_seconds, row.peer_value)
            )
    print("", file=out)
    print(format_table(table), file=out)
    print(f"\n{len(cases) - failures}/{len(cases)} cases ran in {time.perf_counter() - start:.1f} s", file=out)
    hint = install_hint(ctx.missing)
    if hint:
        print(hint, file=out)
    if ctx.figures:
        print(f"figures written: {', '.join(str(p) for p in ctx.figures)}", file=out)
    if failures:
        print(f"{failures} case(s) FAILED", file=out)
    return 1 if failures else 0
