"""The contract suite's one table: a small, valid, fast call of every public name and every registered method.

A new public name joins the suite by adding ONE entry to :data:`CALLS` (``test_every_public_name_is_declared``
fails until it has one), here or in the family's own ``calls_<family>.py`` beside this file, whose ``CALLS``
(and optional ``REGISTRIES``) are merged in, so that families added side by side do not edit one table; a new registration joins it with no edit at all, through :data:`REGISTRIES`, whose
front door is parametrized over ``registry.names()`` at collection time.

Every entry is built with the same tiny float64 shapes, so numba compiles each kernel once per worker.
"""

import dataclasses
import functools
import importlib
import pathlib
import pkgutil

import numpy as np

import sparsekit.learn

from ._call import Built, Call, Family, NotCallable

AREAS = ("sparsekit.linalg", "sparsekit.ot", "sparsekit.datasets") + tuple(
    f"sparsekit.learn.{info.name}" for info in pkgutil.iter_modules(sparsekit.learn.__path__) if info.ispkg
)


# ---------------------------------------------------------------------------------------------------------------
# Data, all seeded and tiny: one SPD system of 16 unknowns, one 40 x 4 least-squares system, one 5 x 6 OT
# problem, one 20 x 30 sparse regression and one 60-sample SEM of 4 nodes.
# ---------------------------------------------------------------------------------------------------------------


@functools.cache
def _spd():
    from sparsekit.datasets import poisson2d

    return poisson2d(4), np.random.default_rng(0).standard_normal(16)


def spd():
    A, b = _spd()
    return A.copy(), b.copy()


def systems():
    A, _ = _spd()
    rng = np.random.default_rng(1)
    return [(A.copy(), rng.standard_normal(16)) for _ in range(3)]


def tall():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((40, 4))
    return A, A @ rng.standard_normal(4)


def ot_problem():
    rng = np.random.default_rng(3)
    x, y = rng.random((5, 2)), rng.random((6, 2))
    M = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    return np.full(5, 0.2), np.full(6, 1 / 6), M


def regression():
    from sparsekit.datasets import make_sparse_regression

    A, y, _, _ = make_sparse_regression(20, 30, 3, snr_db=30, random_state=0)
    return A, y


def ldp_data():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((400, 5))
    return X, X @ np.array([0.6, -0.8, 0.0, 0.0, 0.0]) + 0.5 * rng.standard_normal(400)


def kron_data():
    from sparsekit.datasets import make_kronecker_regression

    factors, y, _, _ = make_kronecker_regression([(4, 6), (3, 5)], [2, 2], snr_db=30, random_state=0)
    return factors, y


def sem():
    from sparsekit.datasets import make_linear_sem

    return make_linear_sem(60, 4, 3, random_state=0)


def adjacency():
    return np.array([[0.0, 1.5, 0.0], [0.0, 0.0, -0.7], [0.0, 0.0, 0.0]])


def coordinated_pair():
    from sparsekit.linalg import coordinated_sketch

    rng = np.random.default_rng(5)
    return coordinated_sketch(rng.standard_normal(40), 10, random_state=7), coordinated_sketch(
        rng.standard_normal(40), 10, random_state=7
    )


_OT_SCALARS = {"M": ("posinf",)}  # an infinite cost forbids a transport: a valid OT problem
_DAG_FAST = dict(warm_iter=200, max_iter=400, checkpoint=100)
_DAG_FORCE = dict(warm_iter=2, max_iter=4, checkpoint=1, tol=1e-300)

_AS_SKLEARN = {"X": ("object", "str"), "y": ("object", "str")}

CALLS = {
    # linalg: relaxation
    # complex (Hermitian) systems documented for the three below; the omega learners stay real
    "sor": Call(spd, dict(maxiter=200), force=dict(maxiter=1), solution="x", sparse=("A",), homogeneous=("A", "b"),
                accepts={"A": ("complex",), "b": ("complex",)}),
    "ssor_cg": Call(spd, dict(maxiter=100), force=dict(maxiter=1), solution="x", sparse=("A",),
                    homogeneous=("A", "b"), accepts={"A": ("complex",), "b": ("complex",)}),
    "ssor_preconditioner": Call(lambda: spd()[:1], dict(omega=1.2), sparse=("A",), accepts={"A": ("complex",)}),
    "young_omega": Call(lambda: spd()[:1], sparse=("A",)),
    "LaplacianStencil": Call(lambda: ((4, 4),), dict(shift=0.1)),
    "OmegaTuner": Call(lambda: ("fixed",), dict(omega=1.2, random_state=0)),
    "evaluate_omegas": Call(lambda: (systems(),), dict(omegas=np.array([1.0, 1.4]), maxiter=100), solution="costs"),
    "sor_sequence": Call(lambda: (systems(),), dict(policy="fixed", omega=1.2, maxiter=200),
                         force=dict(maxiter=1), solution="x"),
    # linalg: krylov and sequences
    "gcrodr": Call(spd, dict(m=6, k=2, maxiter=100), force=dict(maxiter=1, rtol=1e-14), solution="x",
                   sparse=("A",), homogeneous=("A", "b"), accepts={"A": ("complex",), "b": ("complex",)}),
    "RecycleSpace": Call(lambda: (np.eye(16)[:, :2],), accepts={"U": ("complex",)}),  # complex systems documented
    "order_systems": Call(lambda: (systems(),)),
    "solve_sequence": Call(lambda: (systems(),), dict(method="gmres", maxiter=100), force=dict(maxiter=1, rtol=1e-300),
                           solution="x"),
    # linalg: sketching
    "sketch": Call(lambda: (tall()[0], 12), dict(method="countsketch", random_state=0), sparse=("A",)),
    "sketch_and_project": Call(tall, dict(maxiter=4000, random_state=0), force=dict(maxiter=1), solution="x",
                               sparse=("A",), homogeneous=("A", "b")),
    "sketch_lstsq": Call(tall, dict(maxiter=50, random_state=0), force=dict(maxiter=1, rtol=1e-300),
                         solution="x", sparse=("A",), homogeneous=("A", "b")),
    "leverage_scores": Call(lambda: (tall()[0],), sparse=("A",)),
    "lewis_weights": Call(lambda: (tall()[0],), dict(p=1.0, maxiter=50), force=dict(maxiter=1, rtol=1e-300),
                          solution="weights", sparse=("A",)),
    # a vector or a matrix (one sketch per column): "wrong_ndim" (two stacked copies) is a valid matrix
    "coordinated_sketch": Call(lambda: (np.random.default_rng(5).standard_normal(40), 10), dict(random_state=7),
                               accepts={"A": ("wrong_ndim",)}),
    "sketched_product": Call(coordinated_pair),
    "CoordinatedSketch": Built(by="coordinated_sketch"),
    "SketchOperator": Built(by="CountSketch"),
    "CountSketch": Call(lambda: (3, 8), dict(random_state=0)),
    "GaussianSketch": Call(lambda: (3, 8), dict(random_state=0)),
    "RowSamplingSketch": Call(lambda: (3, 8), dict(random_state=0)),
    "SRDCTSketch": Call(lambda: (3, 8), dict(random_state=0)),
    "SRHTSketch": Call(lambda: (3, 8), dict(random_state=0)),
    "SparseSignSketch": Call(lambda: (3, 8), dict(nnz_per_col=2, random_state=0)),
    # linalg: matrix functions (the answer does not depend on the scale of G: homogeneous of degree 0)
    "polar": Call(lambda: (np.random.default_rng(6).standard_normal((8, 5)),), dict(method="newton-schulz"),
                  homogeneous=("G",), accepts={"G": ("complex",)}),
    # linalg: constrained optimisation (an equality-constrained quadratic: min |x|^2 subject to x_0 + 2 x_1 = 1)
    "sketched_newton": Call(lambda: (lambda x: x @ x + 0.25 * np.sum(x**4), np.array([2.0, -1.0])),
                            dict(jac=lambda x: 2 * x + x**3, hess=lambda x: np.diag(2 + 3 * x**2), random_state=0,
                                 constraints={"type": "eq", "fun": lambda x: x[:1] + 2 * x[1:] - 1,
                                              "jac": lambda x: np.array([[1.0, 2.0]]),
                                              "hess": lambda x, v: np.zeros((2, 2))}),
                            force=dict(maxiter=1), solution="x"),
    # ot
    "cost_matrix": Call(lambda: (np.random.default_rng(3).random((5, 2)), np.random.default_rng(4).random((6, 2))),
                        accepts={"x": ("mismatched",), "y": ("mismatched",)}),
    "emd": Call(ot_problem, force=dict(max_iter=1), solution="plan", accepts=_OT_SCALARS),
    "sinkhorn": Call(lambda: (*ot_problem(), 0.5), dict(max_iter=200), force=dict(max_iter=1), solution="plan",
                     accepts=_OT_SCALARS),
    "sinkhorn_newton_sparse": Call(lambda: (*ot_problem(), 0.5), dict(max_iter=200), force=dict(max_iter=1),
                                   solution="plan", accepts=_OT_SCALARS),
    "sparse_ot": Call(lambda: (*ot_problem(), 2, 0.5), dict(max_iter=200), force=dict(max_iter=1),
                      solution="plan", accepts=_OT_SCALARS),
    "quadratic_ot": Call(lambda: (*ot_problem(), 0.5), dict(max_iter=200), force=dict(max_iter=1),
                         solution="plan", accepts=_OT_SCALARS),
    "solve": Call(lambda: (*ot_problem(), 0.5), dict(max_iter=200), force=dict(max_iter=1), solution="plan",
                  accepts=_OT_SCALARS),
    "wasserstein": Call(ot_problem, accepts=_OT_SCALARS),
    "EntropicPlan": Built(by="sinkhorn", options=dict(plan_format="lazy")),
    # datasets
    "HeatEquation2D": Call(lambda: (), dict(nx=8, n_steps=3)),
    "darcy_sequence": Call(lambda: (2,), dict(n=6, random_state=0)),
    "decaying_spectrum_regression": Call(lambda: (20, 4), dict(random_state=0)),
    "helmholtz_sequence": Call(lambda: (2,), dict(n=6, random_state=0)),
    "ill_conditioned_lstsq": Call(lambda: (20, 4), dict(condition=1e4, random_state=0)),
    "make_kronecker_regression": Call(lambda: ([(4, 6), (3, 5)], [2, 2]), dict(random_state=0)),
    "make_linear_sem": Call(lambda: (30, 4, 3), dict(random_state=0)),
    "make_sparse_regression": Call(lambda: (20, 30, 3), dict(random_state=0)),
    "poisson2d": Call(lambda: (4,)),
    "poisson3d": Call(lambda: (3,)),
    "poisson_sequence": Call(lambda: (2,), dict(n=6, random_state=0)),
    "shifted_laplacian_sequence": Call(lambda: (2,), dict(grid_size=4, random_state=0)),
    "sparse_matrix": Call(lambda: (20, 6, 30), dict(random_state=0)),
    "sparse_rows_pair": Call(lambda: (20, 6), dict(nnz_per_row=2, random_state=0)),
    # learn.linear_model
    "sbl_em": Call(regression, dict(max_iter=50), force=dict(max_iter=1), solution="x", sparse=("A",)),
    "sbl_mackay": Call(regression, dict(max_iter=50), force=dict(max_iter=1), solution="x", sparse=("A",)),
    "ggamp_sbl": Call(regression, dict(max_iter=50), force=dict(max_iter=1), solution="x", sparse=("A",)),
    "sparse_bayesian_learning": Call(regression, dict(max_iter=50), force=dict(max_iter=1), solution="x",
                                     sparse=("A",)),
    "kronecker_sbl": Call(kron_data, dict(max_iter=50), force=dict(max_iter=1), solution="x"),
    "kronecker_matvec": Call(lambda: (kron_data()[0], np.arange(30.0))),
    "nearest_kronecker_factors": Call(lambda: (np.kron(*kron_data()[0]), [(4, 6), (3, 5)])),
    "posterior": Call(lambda: (regression()[0], regression()[1][:, None], np.ones(30), 0.5)),
    "gamp_damping": Call(lambda: (regression()[0],)),
    "gaussian_mechanism_scale": Call(lambda: (1.0, 1.0, 1e-5)),
    "ldp_iht": Call(lambda: (*ldp_data(), 4.0), dict(k=2, random_state=0), solution="x"),
    "ldp_sparse_regression": Call(lambda: (*ldp_data(), 8.0), dict(k=2, random_state=0), solution="x"),
    "sketched_ridge_gcv": Call(lambda: ldp_data()[:2], dict(random_state=0), solution="coef"),
    "LDPAccountant": Call(lambda: (1.0, 1e-5)),
    # estimators convert object and numeric-string arrays, as scikit-learn's own do (its check_dtype_object)
    "SparseBayesianRegression": Call(regression, dict(max_iter=50), force=dict(max_iter=1), accepts=_AS_SKLEARN),
    "KroneckerSBL": Call(kron_data, dict(max_iter=50), force=dict(max_iter=1)),
    "LDPSparseRegression": Call(ldp_data, dict(epsilon=8.0, k=2, random_state=0), accepts=_AS_SKLEARN),
    "SketchedRidgeEnsemble": Call(ldp_data, dict(random_state=0), accepts=_AS_SKLEARN),
    # learn.dag
    "colide": Call(lambda: (sem()[0],), _DAG_FAST, force=_DAG_FORCE, solution="adjacency"),
    "dagma_linear": Call(lambda: (sem()[0],), _DAG_FAST, force=_DAG_FORCE, solution="adjacency"),
    "topo_swap": Call(lambda: (sem()[0],), dict(max_iter=50, random_state=0), force=dict(max_iter=1),
                      solution="adjacency"),
    "CoLiDE": Call(lambda: (sem()[0],), _DAG_FAST, force=_DAG_FORCE),
    "DAGMALinear": Call(lambda: (sem()[0],), _DAG_FAST, force=_DAG_FORCE),
    "TopoSwap": Call(lambda: (sem()[0],), dict(max_iter=50, random_state=0), force=dict(max_iter=1),
                     accepts=_AS_SKLEARN),
    "is_dag": Call(lambda: (adjacency(),)),
    "remove_cycles": Call(lambda: (adjacency(),)),
    "topological_order": Call(lambda: (adjacency(),)),
    "sem_score": Call(lambda: (sem()[0], sem()[1]), accepts={"X": ("mismatched",)}),
    # not calls
    "SEQUENCE_METHODS": NotCallable("registry: walked through REGISTRIES['SEQUENCE_METHODS']"),
    "SKETCH_METHODS": NotCallable("registry: walked through REGISTRIES['SKETCH_METHODS']"),
    "SKETCH_AND_PROJECT_METHODS": NotCallable("registry: walked through REGISTRIES['SKETCH_AND_PROJECT_METHODS']"),
    "OT_METHODS": NotCallable("registry: walked through REGISTRIES['OT_METHODS']"),
    "SBL_METHODS": NotCallable("registry: walked through REGISTRIES['SBL_METHODS']"),
    "metrics": NotCallable("module of scoring functions for learned graphs"),
}


# ---------------------------------------------------------------------------------------------------------------
# Registries: for each, where it lives, its front door and a problem factory giving the call of one method.
# A method with no entry in ``extra`` is called with the family's problem alone.
# ---------------------------------------------------------------------------------------------------------------


REGISTRIES = {
    "SEQUENCE_METHODS": Family("sparsekit.linalg", "solve_sequence", "method", CALLS["solve_sequence"]),
    "SKETCH_METHODS": Family(
        "sparsekit.linalg", "sketch", "method", CALLS["sketch"],
        extra={"weighted": dict(weights=np.linspace(1.0, 2.0, 40))},
    ),
    "SKETCH_AND_PROJECT_METHODS": Family(
        "sparsekit.linalg", "sketch_and_project", "method", CALLS["sketch_and_project"],
    ),
    "OMEGA_POLICIES": Family(
        "sparsekit.linalg._relaxation._omega_policies", "sor_sequence", "policy",
        Call(lambda: (systems(),), dict(maxiter=200, random_state=0), force=dict(maxiter=1), solution="x"),
        extra={"tsallis-inf-cb": dict(context_range=(0.0, 1.0), context=np.array([0.1, 0.5, 0.9])),
               "chebcb": dict(context_range=(0.0, 1.0), context=np.array([0.1, 0.5, 0.9]))},
    ),
    "OT_METHODS": Family(
        "sparsekit.ot", "solve", "method", CALLS["solve"],
        extra={"sparse": dict(k=2)},
    ),
    "SBL_METHODS": Family("sparsekit.learn.linear_model", "sparse_bayesian_learning", "method",
                          CALLS["sparse_bayesian_learning"]),
}


def _merge_family_tables():
    """Merge the ``CALLS`` and ``REGISTRIES`` of every ``calls_<family>.py`` beside this module (names are unique)."""
    for path in sorted(pathlib.Path(__file__).parent.glob("calls_*.py")):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        for table, extra in ((CALLS, module.CALLS), (REGISTRIES, getattr(module, "REGISTRIES", {}))):
            clash = sorted(set(table) & set(extra))
            if clash:
                raise RuntimeError(f"{path.name} declares names already in the table: {clash}")
            table.update(extra)


_merge_family_tables()


# Methods whose problem is not the family's (gauss-seidel needs a square system, emd takes no regularisation).
FAMILY_DATA = {
    ("SKETCH_AND_PROJECT_METHODS", "gauss-seidel"): spd,
    ("OT_METHODS", "emd"): ot_problem,
}


def registry(family):
    spec = REGISTRIES[family]
    return getattr(importlib.import_module(spec.module), family)


def registered_entries():
    """``{"door[name]": (door function name, Call)}`` for every method of every registry, read at collection."""
    out = {}
    for family, spec in REGISTRIES.items():
        for name in registry(family).names():
            call = spec.call(name)
            data = FAMILY_DATA.get((family, name))
            if data is not None:
                call = dataclasses.replace(call, data=data)
            out[f"{spec.door}[{name}]"] = (spec.door, call)
    return out


def public_names():
    """``[(module, name)]`` for every name in the ``__all__`` of every area."""
    return [(area, name) for area in AREAS for name in importlib.import_module(area).__all__]


def resolve(name):
    """The public object called ``name`` (the table is flat: public names are unique across areas)."""
    for area in AREAS:
        module = importlib.import_module(area)
        if name in module.__all__:
            return getattr(module, name)
    raise KeyError(name)


def entries():
    """Every table entry to run: ``{id: (public name, Call)}``, plain calls then registered methods."""
    out = {name: (name, call) for name, call in CALLS.items() if isinstance(call, Call)}
    out.update(registered_entries())
    return out
