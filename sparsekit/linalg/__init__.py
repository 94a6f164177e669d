"""SciPy-style solvers for sparse and structured linear algebra.

Every solver takes the data first and keyword-only options after, accepts
NumPy arrays, SciPy sparse arrays and (where it makes sense) LinearOperators,
and returns a :class:`sparsekit.Result`.
"""

from ._krylov import _krylov_baselines  # noqa: F401, I001  (registers "gmres" and "gcrotmk" first, then "gcrodr")
from ._krylov import _gcrodr_sequence  # noqa: F401
from ._constrained._sketched_newton import sketched_newton
from ._coordinate._greedy_bcd import greedy_bcd
from ._coordinate._label_propagation import greedy_label_propagation
from ._coordinate._multinomial import greedy_bcd_multinomial
from ._completion._altmin import altmin_complete
from ._krylov._gcrodr import RecycleSpace, gcrodr
from ._fractional._fractional_cd import fractional_cd, fractional_l4_cd
from ._polar import polar
from ._relaxation._omega_tuning import OmegaTuner, evaluate_omegas, sor_sequence
from ._relaxation._sor import sor, ssor_cg, ssor_preconditioner, young_omega
from ._relaxation._stencil import LaplacianStencil
from ._sequence import SEQUENCE_METHODS, order_systems, solve_sequence
from ._sketching._coordinated import CoordinatedSketch, coordinated_sketch, sketched_product
from ._sketching._sampling import leverage_scores, lewis_weights
from ._sketching._sketch import sketch
from ._sketching._sketch_and_project import SKETCH_AND_PROJECT_METHODS, sketch_and_project
from ._sketching._sketch_lstsq import sketch_lstsq
from ._sketching._sketch_methods import SKETCH_METHODS
from ._sketching._sketch_operators import (
    CountSketch,
    GaussianSketch,
    RowSamplingSketch,
    SketchOperator,
    SparseSignSketch,
)
from ._sketching._trig_sketches import SRDCTSketch, SRHTSketch

__all__ = [
    # matrix completion
    "altmin_complete",
    # Krylov recycling and sequences of systems
    "RecycleSpace",
    "SEQUENCE_METHODS",
    "gcrodr",
    "order_systems",
    "solve_sequence",
    # SOR and learned relaxation
    "LaplacianStencil",
    "OmegaTuner",
    "evaluate_omegas",
    "sor",
    "sor_sequence",
    "ssor_cg",
    "ssor_preconditioner",
    "young_omega",
    # sketching, sampling, randomized solvers
    "SKETCH_AND_PROJECT_METHODS",
    "SKETCH_METHODS",
    "CoordinatedSketch",
    "CountSketch",
    "GaussianSketch",
    "RowSamplingSketch",
    "SRDCTSketch",
    "SRHTSketch",
    "SketchOperator",
    "SparseSignSketch",
    "coordinated_sketch",
    "leverage_scores",
    "lewis_weights",
    "sketch",
    "sketch_and_project",
    "sketch_lstsq",
    "sketched_product",
    # fractional minimisation
    "fractional_cd",
    "fractional_l4_cd",
    # matrix functions
    "polar",
    # constrained optimisation
    "sketched_newton",
    # coordinate descent
    "greedy_bcd",
    "greedy_bcd_multinomial",
    "greedy_label_propagation",
]
