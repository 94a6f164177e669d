"""Shared pieces of the asv benchmarks and of ``compare.py``.

Each area module (``linalg_sor.py`` is area ``linalg-sor``) holds asv benchmark
classes (``time_``, ``peakmem_``, ``track_``) and a ``compare_cases(quick)``
function returning :class:`CompareCase` objects that ``compare.py`` runs side by
side with the best installed peer.
"""

import contextlib
import importlib.util
import io
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from threadpoolctl import threadpool_limits


def have(module):
    """Whether an optional module (a peer) is installed."""
    return importlib.util.find_spec(module) is not None


def quiet(func, *args, **kwargs):
    """Call ``func`` with its warnings and standard output silenced.

    Benchmarks run solvers at capped iteration counts (a ``ConvergenceWarning``
    each time) and peers that print (POT's ``projection_sparse_simplex``);
    neither belongs in a timing log.
    """
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


class PinnedThreads:
    """asv mix-in: pin BLAS/OpenMP pools to one thread for the whole benchmark process.

    asv runs each benchmark in its own process, so a limit set in ``setup`` holds
    for the timed calls; machines are shared and noisy, and single-threaded
    BLAS makes timings comparable between runs.
    """

    threads = 1

    def setup(self, *params):
        self._limits = threadpool_limits(limits=self.threads)

    def teardown(self, *params):
        self._limits.unregister()


@dataclass
class CompareCase:
    """One side-by-side comparison of sparsekit and a peer on the same data.

    Parameters
    ----------
    case : str
        Short label, e.g. ``"poisson 1000x1000, 1 sweep"``.
    sparsekit : callable
        Zero-argument callable running sparsekit; returns its output.
    peer : callable or None
        Zero-argument callable running the peer; None if the peer is missing.
    peer_name : str
        The peer's name (``"pyamg.sor"``, ``"POT sinkhorn_log"``).
    quality : callable, optional
        ``quality(sparsekit_output, peer_output) -> bool``: did both reach the
        required accuracy (and agree where they should)?
    metrics : dict, optional
        Extra figures besides time: name to a pair of callables
        ``(from_sparsekit_output, from_peer_output)``; the ratio is
        peer / sparsekit, so > 1 means sparsekit is better for
        lower-is-better metrics such as iterations or error.
    setup : callable, optional
        Called once before timing (e.g. to compile numba kernels).
    repeat : int, default=3
        Timed repetitions of each side (at least 3); the median is reported.
    peer_repeat : int, optional
        Timed repetitions of the peer when it differs from ``repeat``; may be
        1 for a peer that takes minutes (e.g. scikit-learn's ``ARDRegression``
        at the sizes its replacement is judged on).
    """

    case: str
    sparsekit: Callable[[], Any]
    peer: Optional[Callable[[], Any]]
    peer_name: str
    quality: Optional[Callable[[Any, Any], bool]] = None
    metrics: dict = field(default_factory=dict)
    setup: Optional[Callable[[], None]] = None
    repeat: int = 3
    peer_repeat: Optional[int] = None
