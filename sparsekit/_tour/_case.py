"""The tour's case registry: each capability contributes rows to ``python -m sparsekit tour``.

A case lives in the module of its area in ``sparsekit/_tour/`` (e.g.
``sparsekit/_tour/linalg_sor.py``); the runner imports every such module, so
adding a capability's rows is adding one function (or one module for a new
area).
"""

import contextlib
import importlib.util
import time
from dataclasses import dataclass, field

__all__ = ["TourRow", "TourContext", "tour_case", "TOUR_CASES"]


@dataclass
class TourRow:
    """One line of the tour's table.

    Parameters
    ----------
    problem : str
        What is solved, e.g. ``"Laplacian 10x10 + c_t I, T=5000"``.
    method : str
        The sparsekit method, e.g. ``"sor_sequence tsallis-inf"``.
    size : str
        Problem size, e.g. ``"n=100"``.
    seconds : float
        Wall time of the sparsekit run.
    metric : str
        Name of the quality metric, e.g. ``"total iters"`` or ``"marg err"``.
    value : float
        The sparsekit figure for that metric.
    peer : str, optional
        Name of the peer run on the same data, if installed.
    peer_seconds : float, optional
        Peer wall time.
    peer_value : float, optional
        Peer figure for the same metric.
    """

    problem: str
    method: str
    size: str
    seconds: float
    metric: str
    value: float
    peer: str = None
    peer_seconds: float = None
    peer_value: float = None


@dataclass
class TourCase:
    """A registered tour case: ``func(ctx)`` returns a row or a list of rows."""

    area: str
    title: str
    func: object


TOUR_CASES = []


def tour_case(area, title):
    """Register a tour case (decorator).

    Parameters
    ----------
    area : str
        Area label, e.g. ``"linalg"``, ``"ot"``, ``"learn.dag"``.
    title : str
        Short description of the case.

    Returns
    -------
    callable
        Decorator registering ``func(ctx) -> TourRow | list of TourRow``.
    """

    def register(func):
        TOUR_CASES.append(TourCase(area=area, title=title, func=func))
        return func

    return register


@dataclass
class TourContext:
    """What a tour case gets: where to put plots and helpers to time and find peers.

    Parameters
    ----------
    plot_dir : pathlib.Path, optional
        Directory for PNG figures; ``None`` when no plots were asked for.
    quick : bool, default=False
        Whether a smaller version of each case was asked for.
    figures : list of pathlib.Path
        Files written through :meth:`figure`.
    missing : set of str
        Peers asked for with :meth:`has` and not installed (module names).
    """

    plot_dir: object = None
    quick: bool = False
    figures: list = field(default_factory=list)
    missing: set = field(default_factory=set)

    def has(self, module):
        """Whether an optional module (a peer such as ``"ot"`` or ``"pyamg"``) is installed; remembers it if not."""
        if importlib.util.find_spec(module) is not None:
            return True
        self.missing.add(module)
        return False

    @staticmethod
    def timed(func, *args, **kwargs):
        """Call ``func`` and return ``(result, seconds)``."""
        start = time.perf_counter()
        out = func(*args, **kwargs)
        return out, time.perf_counter() - start

    @contextlib.contextmanager
    def figure(self, name, **subplots_kw):
        """Yield ``(fig, ax)`` and save it as ``plot_dir/name.png``; yields ``(None, None)`` without plots.

        Cases write their plot code inside ``if fig is not None:``.
        """
        if self.plot_dir is None:
            yield None, None
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(**subplots_kw)
        try:
            yield fig, ax
            path = self.plot_dir / f"{name}.png"
            fig.tight_layout()
            fig.savefig(path, dpi=110, bbox_inches="tight")  # keeps legends placed outside the axes
            self.figures.append(path)
        finally:
            plt.close(fig)
