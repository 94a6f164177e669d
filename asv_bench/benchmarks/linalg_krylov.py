"""asv benchmarks and peer comparisons of Krylov subspace recycling (area ``linalg-krylov``).

The peers are SciPy's ``gmres(restart=40)`` and ``gcrotmk(m=20, k=20)`` with its recycled ``CU``
list carried across the same sorted sequence. SciPy is timed on the raw matrices (no counting
wrapper); its matrix-vector products are counted in a separate, untimed run. GCRO-DR(m, k) stores
``m + k + 1`` vectors and GCROT(m, k) ``m + 2 k + 1``: gcrodr(40, 20) and gcrotmk(20, 20) hold 61
each, gcrodr(60, 30) and gcrotmk(30, 30) 91 each (the "same memory" case).
"""

import numpy as np
import scipy.sparse.linalg as spla
from common import CompareCase, PinnedThreads
from scipy import sparse

from sparsekit.datasets import darcy_sequence, helmholtz_sequence
from sparsekit.linalg import gcrodr, order_systems, solve_sequence

RTOL = 1e-8


def _sorted_helmholtz(count, n):
    data = helmholtz_sequence(count, n=n, random_state=0)
    return [data.systems[i] for i in order_systems(data.systems, features=data.features)]


def _warm():
    """Compile the numba kernels outside the timed region (a short sequence: the recycling path too)."""
    solve_sequence(helmholtz_sequence(2, n=8, random_state=0).systems, order="given", rtol=1e-6, m=10, k=4)


def _scipy_gmres(systems, M=None):
    return [spla.gmres(A, b, rtol=RTOL, restart=40, maxiter=1000, M=None if M is None else M(A))[0]
            for A, b in systems]  # fmt: skip


def _scipy_gcrotmk(systems, M=None, m=20, k=20):
    CU, out = [], []
    for A, b in systems:
        out.append(spla.gcrotmk(A, b, rtol=RTOL, m=m, k=k, maxiter=1000, CU=CU, discard_C=True,
                                M=None if M is None else M(A))[0])  # fmt: skip
    return out


def _all_solved(systems):
    def check(ours, peer):
        xs = ours.x if hasattr(ours, "x") else ours
        ok = all(np.linalg.norm(b - A @ x) <= RTOL * np.linalg.norm(b) * (1 + 1e-6) for (A, b), x in zip(systems, xs))
        if peer is not None:
            ok = ok and all(np.linalg.norm(b - A @ x) <= RTOL * np.linalg.norm(b) * 1.01
                            for (A, b), x in zip(systems, peer))  # fmt: skip
        return ok

    return check


def _jacobi(A):
    return sparse.diags_array(1.0 / A.diagonal(), format="csr")


# --------------------------------------------------------------------------- asv
class HelmholtzSequence(PinnedThreads):
    """A sorted Helmholtz sequence (n = 2500, 20 systems, rtol 1e-8) by each registered Krylov method."""

    params = ["gcrodr", "gcrotmk", "gmres"]
    param_names = ["method"]
    timeout = 300
    OPTIONS = {"gcrodr": {"m": 40, "k": 20}, "gcrotmk": {"m": 20, "k": 20}, "gmres": {"restart": 40}}

    def setup(self, method):
        super().setup(method)
        _warm()
        self.systems = _sorted_helmholtz(20, 50)

    def _solve(self, method):
        return solve_sequence(self.systems, method=method, order="given", rtol=RTOL, **self.OPTIONS[method])

    def time_sequence(self, method):
        self._solve(method)

    def peakmem_sequence(self, method):
        self._solve(method)

    def track_matvecs_per_system(self, method):
        return float(self._solve(method).n_matvec.mean())

    track_matvecs_per_system.unit = "products"


class SingleSystem(PinnedThreads):
    """One Helmholtz system without recycling: GCRO-DR(40, 20) is GMRES-DR here."""

    params = [50, 100]
    param_names = ["grid"]

    def setup(self, grid):
        super().setup(grid)
        _warm()
        self.A, self.b = helmholtz_sequence(1, n=grid, random_state=1).systems[0]

    def time_gcrodr(self, grid):
        gcrodr(self.A, self.b, rtol=RTOL)

    def track_iterations(self, grid):
        return gcrodr(self.A, self.b, rtol=RTOL).n_iter

    track_iterations.unit = "iterations"


# --------------------------------------------------------------------------- compare.py
def _count(systems, **options):
    """Matrix-vector products per system of a SciPy method (counted by solve_sequence's wrapper)."""
    return float(solve_sequence(systems, order="given", rtol=RTOL, **options).n_matvec.mean())


def _gcrodr_case(label, systems, peer_name, peer, peer_options, repeat=3, **options):
    peer_matvecs = _count(systems, **peer_options)
    return CompareCase(
        case=label,
        sparsekit=lambda: solve_sequence(systems, order="given", rtol=RTOL, **options),
        peer=lambda: peer(systems),
        peer_name=peer_name,
        quality=_all_solved(systems),
        metrics={"matvecs/system": (lambda res: res.n_matvec.mean(), lambda _out: peer_matvecs)},
        setup=_warm,
        repeat=repeat,
    )


def compare_cases(quick=False):
    """GCRO-DR on sorted PDE sequences against SciPy's gmres(40) and recycled gcrotmk(20, 20)."""
    count, n = (10, 30) if quick else (50, 50)
    helmholtz = _sorted_helmholtz(count, n)
    label = f"helmholtz n={n * n}, {count} sorted systems, rtol 1e-8"
    # The headline case: five timed repeats, the machine being shared.
    cases = [
        _gcrodr_case(label + ", gcrodr(40,20)", helmholtz, "scipy gcrotmk(m=20,k=20)+CU", _scipy_gcrotmk,
                     {"method": "gcrotmk", "m": 20, "k": 20, "maxiter": 1000}, repeat=5),
        _gcrodr_case(label + ", gcrodr(40,20)", helmholtz, "scipy gmres(restart=40)", _scipy_gmres,
                     {"method": "gmres", "restart": 40, "maxiter": 1000}),
        _gcrodr_case(label + ", 91 vectors each", helmholtz, "scipy gcrotmk(m=30,k=30)+CU",
                     lambda systems: _scipy_gcrotmk(systems, m=30, k=30),
                     {"method": "gcrotmk", "m": 30, "k": 30, "maxiter": 1000}, m=60, k=30),
    ]  # fmt: skip
    if not quick:
        big = _sorted_helmholtz(10, 100)
        cases.append(_gcrodr_case("helmholtz n=10000, 10 sorted systems, rtol 1e-8", big, "scipy gmres(restart=40)",
                                  _scipy_gmres, {"method": "gmres", "restart": 40, "maxiter": 1000}))  # fmt: skip
    darcy_count, darcy_n = (6, 30) if quick else (20, 50)
    for permeability in ("lognormal", "threshold"):
        data = darcy_sequence(darcy_count, n=darcy_n, permeability=permeability, random_state=1)
        darcy = [data.systems[i] for i in order_systems(data.systems, features=data.features)]
        label = f"darcy {permeability} n={darcy_n ** 2}, {darcy_count} systems, Jacobi"
        cases.append(_gcrodr_case(label + ", sorted", darcy, "scipy gmres(restart=40)+Jacobi",
                                  lambda s: _scipy_gmres(s, _jacobi),
                                  {"method": "gmres", "restart": 40, "maxiter": 1000, "M": "jacobi"}, M="jacobi"))
        # The effect of sorting: the same solver on the sequence as generated.
        unsorted = solve_sequence(data.systems, order="given", rtol=RTOL, M="jacobi").n_matvec.mean()
        cases.append(CompareCase(
            case=label + ", sorted vs as generated",
            sparsekit=lambda systems=darcy: solve_sequence(systems, order="given", rtol=RTOL, M="jacobi"),
            peer=lambda systems=data.systems: solve_sequence(systems, order="given", rtol=RTOL, M="jacobi"),
            peer_name="sparsekit gcrodr, unsorted",
            quality=lambda ours, peer: bool(ours.converged and peer.converged),
            metrics={"matvecs/system": (lambda res: res.n_matvec.mean(), lambda res, u=unsorted: u)},
            setup=_warm,
        ))
    return cases  # fmt: skip
