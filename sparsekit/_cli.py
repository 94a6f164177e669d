"""Command line: ``python -m sparsekit {tour, show-config}``."""

import argparse
import sys


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m sparsekit",
        description="sparsekit: sparse and structured scientific computing.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    tour = commands.add_parser(
        "tour",
        help="run every capability end to end on embedded data and print one table",
        description="Run every capability end to end on embedded data (fixed seeds) and print one table: "
        "problem, method, size, time, quality metric, and the peer's figures where a peer is installed.",
    )
    tour.add_argument("--plot", metavar="DIR", help="write PNG figures (convergence curves, structures) to DIR")
    tour.add_argument("--area", action="append", help="only cases of this area (repeatable), e.g. linalg or ot")
    tour.add_argument("-k", metavar="TEXT", help="only cases whose title contains TEXT")
    tour.add_argument("--quick", action="store_true", help="smaller problems, for a fast check")
    tour.add_argument("--list", action="store_true", help="list the cases and exit")
    commands.add_parser("show-config", help="versions, numba threading layer, GPU and BLAS threads")
    return parser


def main(argv=None):
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        0 on success, 1 if a tour case failed.
    """
    args = _build_parser().parse_args(argv)
    if args.command == "show-config":
        from ._config import format_config

        sys.stdout.write(format_config() + "\n")
        return 0
    from ._tour import run_tour

    return run_tour(plot=args.plot, areas=args.area, keyword=args.k, quick=args.quick, list_only=args.list)
