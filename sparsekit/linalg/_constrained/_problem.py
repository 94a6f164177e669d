"""Equality-constrained problems: the user's callables checked once and evaluated together.

An :class:`EqualityProblem` turns ``fun``/``jac``/``hess`` and the constraints (a SciPy-style dict, a
:class:`scipy.optimize.NonlinearConstraint` or :class:`scipy.optimize.LinearConstraint` with equal bounds, or a
list of them) into the quantities a Newton step on the KKT system needs: objective, gradient, constraint values,
constraint Jacobian and the Hessian of the Lagrangian.
"""

import dataclasses

import numpy as np
from scipy import optimize, sparse
from scipy.sparse import linalg as sparse_linalg

from ..._core.validation import check_callable


@dataclasses.dataclass
class _Constraint:
    """One block of equality constraints ``c(x) = 0`` (its right-hand side already subtracted)."""

    fun: callable
    jac: callable
    hess: callable  # (x, v) -> sum_i v_i Hess c_i(x); None for linear constraints
    size: int


def _linear_block(A, rhs):
    A = sparse.csr_array(A) if sparse.issparse(A) else np.atleast_2d(np.asarray(A, dtype=float))
    rhs = np.broadcast_to(np.asarray(rhs, dtype=float), (A.shape[0],))
    return _Constraint(lambda x: A @ x - rhs, lambda x: A, None, A.shape[0])


def _equal_bounds(lb, ub, name):
    lb, ub = np.asarray(lb, dtype=float), np.asarray(ub, dtype=float)
    if lb.shape != ub.shape and lb.size != 1 and ub.size != 1 or not np.array_equal(*np.broadcast_arrays(lb, ub)):
        raise ValueError(f"{name} must be an equality constraint (lb == ub); inequalities are not supported.")
    if not np.all(np.isfinite(lb)):
        raise ValueError(f"{name} must have finite bounds lb == ub.")
    return lb


def _as_block(constraint, x0, name):
    if isinstance(constraint, optimize.LinearConstraint):
        return _linear_block(constraint.A, _equal_bounds(constraint.lb, constraint.ub, name))
    if isinstance(constraint, optimize.NonlinearConstraint):
        rhs = _equal_bounds(constraint.lb, constraint.ub, name)
        fun, jac, hess = constraint.fun, constraint.jac, constraint.hess
        if not callable(jac):
            raise ValueError(f"{name} needs an analytic jac (a callable); got {jac!r}.")
        if hess is not None and not callable(hess):
            raise ValueError(f"{name}: hess must be a callable (x, v) -> sum_i v_i Hess c_i(x) or None.")
    elif isinstance(constraint, dict):
        kind = constraint.get("type", "eq")
        if kind != "eq":
            raise ValueError(f"{name} must be an equality constraint (type 'eq'); got type {kind!r}.")
        unknown = set(constraint) - {"type", "fun", "jac", "hess", "args"}
        if unknown:
            raise ValueError(f"{name} has unknown keys {sorted(unknown)}; expected fun, jac, hess, args.")
        if "fun" not in constraint or "jac" not in constraint:
            raise ValueError(f"{name} needs 'fun' and 'jac' callables.")
        args = tuple(constraint.get("args", ()))
        fun0, jac0, hess0 = constraint["fun"], constraint["jac"], constraint.get("hess")
        check_callable(fun0, f"{name}['fun']")
        check_callable(jac0, f"{name}['jac']")
        check_callable(hess0, f"{name}['hess']")
        fun = (lambda x: fun0(x, *args)) if args else fun0
        jac = (lambda x: jac0(x, *args)) if args else jac0
        hess = None if hess0 is None else ((lambda x, v: hess0(x, v, *args)) if args else hess0)
        rhs = 0.0
    else:
        raise TypeError(
            f"{name} must be a dict {{'type': 'eq', 'fun': ..., 'jac': ...}}, a NonlinearConstraint or a "
            f"LinearConstraint; got {type(constraint).__name__}."
        )
    value = np.atleast_1d(np.asarray(fun(x0), dtype=float))
    if value.ndim != 1:
        raise ValueError(f"{name}: fun(x0) must be a scalar or 1-D array; got shape {value.shape}.")
    rhs = np.broadcast_to(np.asarray(rhs, dtype=float), value.shape)
    if hess is None:
        raise ValueError(
            f"{name} is nonlinear and has no hess: the Newton step needs the Hessian of the Lagrangian, "
            "hess(x, v) = sum_i v_i Hess c_i(x)."
        )
    return _Constraint(lambda x: np.atleast_1d(np.asarray(fun(x), dtype=float)) - rhs, jac, hess, value.size)


def _as_matrix(value, shape, name, operator=False):
    if operator and isinstance(value, sparse_linalg.LinearOperator):
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape}; got {value.shape}.")
        return value
    if sparse.issparse(value):
        value = sparse.csr_array(value, dtype=float)
    else:
        value = np.asarray(value, dtype=float)
        if value.ndim == 1 and shape[0] == 1:
            value = value[None, :]
    if value.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {value.shape}.")
    return value


class EqualityProblem:
    """``min f(x)`` subject to ``c(x) = 0``: the user's callables behind one evaluation interface.

    Parameters
    ----------
    fun, jac, hess : callable
        Objective, its gradient and its Hessian (dense or sparse ``(d, d)``).
    constraints : dict, NonlinearConstraint, LinearConstraint or list of them
        Equality constraints.
    x0 : ndarray
        Starting point (used to size the constraints).
    """

    def __init__(self, fun, jac, hess, constraints, x0):
        for name, f in (("fun", fun), ("jac", jac), ("hess", hess)):
            if not callable(f):
                raise TypeError(f"{name} must be a callable; got {type(f).__name__}.")
        self.fun, self.jac, self.hess = fun, jac, hess
        if isinstance(constraints, (dict, optimize.LinearConstraint, optimize.NonlinearConstraint)):
            constraints = [constraints]
        if not isinstance(constraints, (list, tuple)):
            raise TypeError(
                "constraints must be a dict, a NonlinearConstraint, a LinearConstraint or a list of them; got "
                f"{type(constraints).__name__}."
            )
        if not constraints:
            raise ValueError("constraints must hold at least one equality constraint; got an empty list.")
        self.blocks = [_as_block(c, x0, f"constraints[{i}]") for i, c in enumerate(constraints)]
        self.d = x0.size
        self.m = sum(block.size for block in self.blocks)
        if self.m > self.d:
            raise ValueError(f"constraints: {self.m} equality constraints on {self.d} unknowns; at most {self.d}.")

    def objective(self, x):
        return float(self.fun(x))

    def gradient(self, x):
        g = self.jac(x)
        g = np.asarray(g.toarray() if sparse.issparse(g) else g, dtype=float).ravel()
        if g.shape != (self.d,):
            raise ValueError(f"jac(x) must have shape ({self.d},); got {g.shape}.")
        return g

    def constraint_values(self, x):
        return np.concatenate([block.fun(x) for block in self.blocks])

    def jacobian(self, x):
        """The ``(m, d)`` constraint Jacobian, sparse if any block's is."""
        parts = [_as_matrix(block.jac(x), (block.size, self.d), "constraint jac(x)") for block in self.blocks]
        if any(sparse.issparse(p) for p in parts):
            return sparse.vstack([sparse.csr_array(p) for p in parts], format="csr")
        return np.vstack(parts)

    def lagrangian_hessian(self, x, lam):
        """``Hess f(x) + sum_i lam_i Hess c_i(x)``, sparse if any part is."""
        H = _as_matrix(self.hess(x), (self.d, self.d), "hess(x)", operator=True)
        start = 0
        for block in self.blocks:
            stop = start + block.size
            if block.hess is not None:
                part = _as_matrix(block.hess(x, lam[start:stop]), (self.d, self.d), "constraint hess(x, v)",
                                  operator=True)
                if isinstance(H, sparse_linalg.LinearOperator) or isinstance(part, sparse_linalg.LinearOperator):
                    H = sparse_linalg.aslinearoperator(H) + sparse_linalg.aslinearoperator(part)
                else:
                    H = H + part
            start = stop
        if isinstance(H, sparse_linalg.LinearOperator):
            return H
        return sparse.csr_array(H) if sparse.issparse(H) else H
