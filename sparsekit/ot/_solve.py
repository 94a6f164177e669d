"""``solve``: one front door to every OT solver, declared in the :data:`OT_METHODS` registry."""

import importlib.util
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import optimize, sparse

from .._core.backend import get_namespace, is_cupy_namespace, to_numpy
from .._core.params import Interval, check_params, validate_params
from .._core.registry import Registry
from .._core.result import Result, end_run
from .._core.validation import check_array
from ._problem import check_ot_problem, power_of_two
from ._quadratic_ot import quadratic_ot
from ._sinkhorn import sinkhorn
from ._sns import sinkhorn_newton_sparse
from ._sparse_ot import sparse_ot

OT_METHODS = Registry("ot.solve")

_ENTROPIC_BACKENDS = ("numpy", "cupy", "array_api")


def _no_reg(name, reg):
    if reg is not None:
        raise ValueError(f"method={name!r} solves unregularised OT; pass reg=None (got reg={reg!r}).")


def _need_reg(name, reg):
    """Check ``reg`` under the user's name for it (the methods call it ``gamma`` or ``reg``)."""
    if reg is None:
        raise ValueError(f"method={name!r} needs a regularisation: pass reg > 0.")
    check_params({"reg": reg}, {"reg": [Interval(Real, 0, None, closed="neither")]}, caller=f"ot.solve(method={name!r})")


@OT_METHODS.register("emd", aliases=("exact",))
@validate_params({"max_iter": [Interval(Integral, 1, None, closed="left")]})
def emd(a, b, M, reg=None, *, max_iter=100_000):
    """Exact (unregularised) OT: POT's network simplex when installed, else HiGHS.

    Parameters
    ----------
    a, b : array-like or None
        Masses (None: uniform), same total.
    M : array-like of shape (n, m)
        Cost matrix (NumPy; other namespaces are copied to the host).
    reg : None
        Must be None.
    max_iter : int, default=100000
        Network-simplex iterations (POT).

    Returns
    -------
    Result
        ``plan`` (dense), ``cost``, ``f``, ``g`` (dual potentials:
        ``f_i + g_j <= M_ij``, with equality on the plan's support),
        ``converged``, ``status`` (0 optimal, 1 not: e.g. the iteration
        budget ran out, with a :class:`~sparsekit.ConvergenceWarning`),
        ``message``, ``n_iter`` (0: not reported), ``method``.

    Raises
    ------
    ValueError
        Invalid masses or cost (see :func:`sparsekit.ot.sinkhorn`), or ``reg`` other than None.
    TypeError
        Complex or non-numeric masses or cost.
    sparsekit.InvalidParameterError
        ``max_iter`` not a positive int.

    Notes
    -----
    The linear program is homogeneous: it is solved in units (powers of two)
    of the total mass and of the largest cost, and the plan and the duals
    are scaled back, so masses and costs of any scale work alike.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.ot import emd
    >>> emd([0.5, 0.5], [0.5, 0.5], np.array([[0.0, 1.0], [1.0, 0.0]])).plan
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    _no_reg("emd", reg)
    problem = check_ot_problem(a, b, M, dtype="float64")
    C = np.asarray(to_numpy(problem.M), dtype=np.float64)
    n, m = C.shape
    # The LP is homogeneous: solve it in units of the mass and the largest cost, and scale the plan and the
    # duals back (POT's tolerances are absolute: 1e90 masses were "infeasible", a 1e300 cost a wrong plan).
    mass = power_of_two(problem.mass)
    scale = power_of_two(float(np.abs(C).max()) or 1.0)
    a_unit, b_unit, C = problem.a / mass, problem.b / mass, C / scale
    if importlib.util.find_spec("ot") is not None:
        import ot

        with warnings.catch_warnings():
            # POT warns at its own line; its log holds the same text, reported once at the user's line below
            warnings.simplefilter("ignore", UserWarning)
            plan, log = ot.emd(a_unit, b_unit, C, numItermax=max_iter, log=True)
        f, g = np.asarray(log["u"]) * scale, np.asarray(log["v"]) * scale
        converged = log["result_code"] == 1
        message = log["warning"] or "optimal"
        method = "emd (POT network simplex)"
    else:
        rows = np.repeat(np.arange(n), m)
        cols = np.tile(np.arange(m), n)
        edge = np.arange(n * m)
        equality = sparse.coo_array(
            (np.ones(2 * n * m), (np.concatenate([rows, n + cols]), np.concatenate([edge, edge]))),
            shape=(n + m, n * m),
        )
        solution = optimize.linprog(
            C.ravel(), A_eq=equality, b_eq=np.concatenate([a_unit, b_unit]), bounds=(0, None), method="highs"
        )
        converged = solution.status == 0
        message = solution.message
        plan = solution.x.reshape(n, m) if solution.x is not None else np.zeros((n, m))
        duals = solution.eqlin.marginals if converged else np.zeros(n + m)
        f, g = duals[:n] * scale, duals[n:] * scale
        method = "emd (HiGHS)"
    full = np.zeros(problem.shape)
    rows_kept = np.arange(problem.shape[0]) if problem.rows is None else problem.rows
    cols_kept = np.arange(problem.shape[1]) if problem.cols is None else problem.cols
    full[np.ix_(rows_kept, cols_kept)] = plan * mass
    f_full = np.zeros(problem.shape[0])
    g_full = np.zeros(problem.shape[1])
    f_full[rows_kept], g_full[cols_kept] = f, g
    # dual values of zero-mass points: the c-transform keeps f_i + g_j <= M_ij
    M_full = np.asarray(to_numpy(problem.M_full), dtype=np.float64)
    if problem.rows is not None:
        dropped = np.setdiff1d(np.arange(problem.shape[0]), problem.rows)
        f_full[dropped] = (M_full[np.ix_(dropped, cols_kept)] - g).min(axis=1)
    if problem.cols is not None:
        dropped = np.setdiff1d(np.arange(problem.shape[1]), problem.cols)
        g_full[dropped] = (M_full[np.ix_(rows_kept, dropped)] - f_full[rows_kept][:, None]).min(axis=0)
    result = Result(plan=full, cost=float((full * M_full).sum()), f=f_full, g=g_full, n_iter=0, method=method)
    return end_run(result, caller="emd", status=0 if converged else 1, message=str(message))


OT_METHODS.register("sinkhorn", sinkhorn, backends=_ENTROPIC_BACKENDS)
OT_METHODS.register("sns", sinkhorn_newton_sparse, backends=_ENTROPIC_BACKENDS, aliases=("sinkhorn_newton_sparse",))


@OT_METHODS.register("sparse")
def _solve_sparse(a, b, M, reg, *, k=None, formulation="dual", tol=1e-9, max_iter=2000, callback=None):
    """Sparsity-constrained OT: at most ``k`` nonzeros per column (``reg`` is ``gamma``)."""
    if k is None:
        raise TypeError("method='sparse' needs the option k (the most nonzeros per column of the plan).")
    return sparse_ot(a, b, M, k, reg, formulation=formulation, tol=tol, max_iter=max_iter, callback=callback)


OT_METHODS.register("quadratic", quadratic_ot)


def _backend_name(M):
    xp = get_namespace(M)
    if xp is np:
        return "numpy"
    return "cupy" if is_cupy_namespace(xp) else "array_api"


def solve(a, b, M, reg=None, *, method=None, **options):
    """Solve an OT problem with any registered method.

    Parameters
    ----------
    a : array-like of shape (n,) or None
        Source masses (None: uniform).
    b : array-like of shape (m,) or None
        Target masses, same total (None: uniform).
    M : array-like of shape (n, m)
        Cost matrix.
    reg : float, optional
        Regularisation: None for exact OT; the entropic ``reg`` for
        ``"sinkhorn"``/``"sns"``; ``gamma`` for ``"sparse"``/``"quadratic"``.
    method : str, optional
        A name in :data:`OT_METHODS` (``OT_METHODS.names()``): ``"emd"``,
        ``"sinkhorn"``, ``"sns"``, ``"sparse"``, ``"quadratic"``. Default:
        ``"emd"`` without ``reg``, ``"sinkhorn"`` with it.
    **options
        Options of the method (e.g. ``k`` for ``"sparse"``); an option the
        method does not take is a ``TypeError``.

    Returns
    -------
    Result
        At least ``plan``, ``cost`` (``<P, M>``), ``converged``, ``status``,
        ``message``, ``n_iter``, ``method``.

    Raises
    ------
    ValueError
        Unknown method (the message lists the known ones), a ``reg`` the
        method cannot take, or invalid data.
    TypeError
        An option the method does not take.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.ot import OT_METHODS, solve
    >>> OT_METHODS.names()
    ['emd', 'sinkhorn', 'sns', 'sparse', 'quadratic']
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> float(solve(None, None, M).cost)
    0.0
    >>> round(float(solve(None, None, M, 1.0).cost), 6)
    0.268941
    >>> solve(None, None, M, 0.1, method="sparse", k=1).plan.toarray()
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    if method is None:
        method = "emd" if reg is None else "sinkhorn"
    name = OT_METHODS.get(method).name
    if name != "emd":
        _need_reg(name, reg)
    return OT_METHODS.dispatch(method, a, b, M, reg, backend=_backend_name(M), **options)


def wasserstein(a, b, M, p=1, *, reg=None, method=None, **options):
    """Wasserstein distance of order ``p`` for the ground distance ``M``.

    ``W_p = (min_P <P, M**p>)**(1/p)`` over plans with marginals ``a`` and
    ``b``: exact without ``reg``, entropic (the linear cost of the entropic
    plan, POT's ``sinkhorn2``) with it.

    Parameters
    ----------
    a, b : array-like or None
        Masses (None: uniform), same total.
    M : array-like of shape (n, m)
        Ground *distance* (``cost_matrix(x, y, metric="euclidean")``).
    p : float, default=1
        Order (>= 1).
    reg : float, optional
        Regularisation, as for :func:`solve`.
    method : str, optional
        As for :func:`solve`.
    **options
        Options of the method.

    Returns
    -------
    float
        The distance.

    Raises
    ------
    ValueError
        ``M`` with negative entries (it is a distance), NaN or infinity, or
        of the wrong shape; invalid masses.
    sparsekit.InvalidParameterError
        ``p`` not a finite number ``>= 1`` (NaN included).
    TypeError
        ``M`` sparse, complex or not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.ot import cost_matrix, wasserstein
    >>> x = np.array([0.0, 1.0]); y = np.array([2.0, 3.0])
    >>> wasserstein(None, None, cost_matrix(x, y, metric="euclidean"), p=1)
    2.0
    >>> round(wasserstein(None, None, cost_matrix(x, y, metric="euclidean"), p=2), 6)
    2.0
    """
    check_params({"p": p}, {"p": [Interval(Real, 1, None, closed="left")]}, caller="wasserstein")
    M = check_array(M, "M", ndim=2)
    xp = get_namespace(M)
    if xp is np:
        M = M.astype(np.float64, copy=False)
    lowest = float(xp.min(M))
    if lowest < 0:
        raise ValueError(f"M must be a ground distance (non-negative); got min {lowest:g}.")
    result = solve(a, b, M ** p, reg, method=method, **options)
    return float(result.cost) ** (1.0 / p)


