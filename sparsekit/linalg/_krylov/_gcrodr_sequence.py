"""GCRO-DR as a method of :func:`~sparsekit.linalg.solve_sequence`: one recycle space carried across the systems."""

from .._sequence import SEQUENCE_METHODS, run_systems
from ._gcrodr import _CONSTRAINTS, _check_dimensions, _solve
from ._operators import preconditioners
from ._recycle import RecycleSpace

__all__ = []


@SEQUENCE_METHODS.register(
    "gcrodr",
    constraints={**_CONSTRAINTS, "recycle": [RecycleSpace, None]},
    per_item_options=("x0",),
)
def _gcrodr_sequence(
    systems,
    *,
    x0=None,
    rtol=1e-5,
    atol=0.0,
    maxiter=None,
    M=None,
    pc_side="right",
    m=40,
    k=20,
    target="smallest",
    recycle=None,
    callback=None,
    verbose=0,
    progress=False,
):
    """GCRO-DR on each system, the recycle space carried from one to the next (SKR when sorted).

    Options are those of :func:`gcrodr`; ``x0`` is one initial guess per
    system (or None), ``M`` is None, ``"jacobi"``, ``"ilu"``, one operator for
    all systems or a factory ``M(A_i)`` (see ``preconditioners``), and
    ``recycle`` seeds the first system. ``callback(result)`` is called after
    each system with its Result (``result.index``: the caller's index);
    returning True stops the sequence. The result also holds the final
    ``recycle`` space.
    """
    _check_dimensions(m, k)  # before the first system's preconditioner is built
    state = {"recycle": recycle}
    preconditioner = preconditioners(M)

    def solve_one(j, A, b, guess):
        res = _solve(
            A, b, guess, rtol=rtol, atol=atol, maxiter=maxiter, m=m, k=k, target=target, pc_side=pc_side,
            M=preconditioner(A, systems.original_index(j)), recycle=state["recycle"], callback=None,
            verbose=0, progress=False,
        )  # fmt: skip
        state["recycle"] = res.recycle
        return res

    result = run_systems(systems, solve_one, x0=x0, callback=callback, verbose=verbose, progress=progress)
    result["recycle"] = state["recycle"]
    return result
