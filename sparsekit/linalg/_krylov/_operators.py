"""The operators the Krylov solvers iterate with: checks of ``A`` and ``M``, and their wrappers.

``_check_operator`` and ``_check_preconditioner`` validate the matrix-like
arguments once; ``_Operator`` applies ``A``, ``A M`` or ``M A`` and counts the
products; ``preconditioners`` turns a sequence method's ``M`` option into one
preconditioner per system.
"""

import weakref

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, aslinearoperator, spilu

from ..._core.params import format_value
from ..._core.scaling import times_power_of_two
from ..._core.validation import check_array, check_nonzero_diagonal, check_square
from .._scaling import SystemScale
from ._gcrodr_kernels import PC_LEFT, PC_NONE, PC_RIGHT, apply_operator_rows

__all__ = ["preconditioners", "scaled_operators"]


def _check_operator(A, name, n=None):
    """Validate a matrix-like argument; return it in a form whose ``@`` is cheap, and its order."""
    if sparse.issparse(A):
        # Any sparse format is converted once to CSR, which the compiled Arnoldi cycle runs on.
        A = check_array(A, name, ndim=2, accept_sparse="csr", dtype="float-or-complex")
    elif isinstance(A, LinearOperator):
        pass
    elif isinstance(A, np.ndarray) or isinstance(A, (list, tuple)):
        A = check_array(A, name, ndim=2, dtype="float-or-complex")
    else:
        try:
            A = aslinearoperator(A)
        except TypeError as exc:
            raise TypeError(
                f"{name} must be an ndarray, a scipy.sparse array or a LinearOperator; got {type(A).__name__}."
            ) from exc
    order = check_square(A, name)
    if n is not None and order != n:
        raise ValueError(f"{name} must have shape ({n}, {n}) to match A; got {A.shape}.")
    return A, order


def _diagonal_only(M):
    """Whether a dense or sparse matrix has no nonzero entry off its diagonal."""
    if sparse.issparse(M):
        coo = sparse.coo_array(M)
        off = (coo.row != coo.col) & (coo.data != 0)
        return not np.any(off)
    if isinstance(M, np.ndarray):
        return not np.any(M - np.diag(np.diagonal(M)))
    return False


def _check_preconditioner(M, n):
    """Validate ``M`` (it approximates the inverse of A); return it, or its diagonal when it is diagonal.

    A diagonal ``M`` with a zero on its diagonal is singular: ``ValueError``.
    """
    if M is None:
        return None
    M, _ = _check_operator(M, "M", n)
    if _diagonal_only(M):
        return _Diagonal(check_nonzero_diagonal(M, "M"))
    return M


def scaled_operators(A, b, M, dtype):
    """``(scale, 2^a A, M', u_exponent)``: a system whose entries are far from 1, rescaled by powers of two.

    A validated matrix ``M`` (about ``A^-1``) becomes ``2^-a M``, so that
    ``A M`` and ``M A`` keep their size; beside a LinearOperator ``M``, whose
    size is unknown, ``A`` is left alone (``a = 0``). The operator iterated
    with is then scaled by ``2^u_exponent``: a recycle space ``op(U) = C`` in
    the caller's units has ``U`` that power times the scaled system's.
    """
    scale = SystemScale.of_system(A, b, dtype)
    if scale.a and isinstance(M, LinearOperator):
        scale = scale._replace(a=0)
    elif scale.a and isinstance(M, _Diagonal):
        M = _Diagonal(times_power_of_two(M.values, -scale.a))
    elif scale.a and M is not None:
        M = scale.inverse(M)
    return scale, scale.matrix(A), M, (scale.a if M is None else 0)


class _Diagonal:
    """A diagonal preconditioner kept as its diagonal, applied by a broadcast product."""

    def __init__(self, values):
        self.values = values
        self.dtype = values.dtype
        self.shape = (values.size, values.size)

    def __matmul__(self, X):
        return self.values * X if X.ndim == 1 else self.values[:, None] * X


def _apply(A, X):
    """``A @ X`` for a vector or an ``(n, k)`` block, whatever kind of operator A is."""
    if isinstance(A, LinearOperator):
        return A.matvec(X) if X.ndim == 1 else A.matmat(X)
    return A @ X


def _origin(A, M, side):
    """Weak references naming the operator a recycle space was built for (None if they cannot be taken)."""
    try:
        return weakref.ref(A), (None if M is None else weakref.ref(M)), (side if M is not None else None)
    except TypeError:
        return None


def _same_origin(origin, A, M, side):
    """Whether ``origin`` names these very objects (identity, not equality) and side."""
    if origin is None:
        return False
    a_ref, m_ref, origin_side = origin
    same_m = m_ref is None if M is None else (m_ref is not None and m_ref() is M)
    return a_ref() is A and same_m and origin_side == (side if M is not None else None)


class _Operator:
    """The operator GCRO-DR iterates with: ``A``, ``A M`` (right) or ``M A`` (left), counting products.

    Results are returned in the working dtype. The first product with ``M``
    is checked: a preconditioner that sends a nonzero vector to zero, or
    produces NaN or infinity, is singular and raises a ``ValueError`` before
    any iteration. For a CSR ``A`` with no or a diagonal ``M``, ``csr`` holds
    what the compiled cycle needs.
    """

    def __init__(self, A, M, side, dtype):
        self.A = A
        self.M = M
        self.side = side if M is not None else None
        self.dtype = dtype
        self.n_matvec = 0
        self.n_precond = 0
        self._m_checked = isinstance(M, _Diagonal)
        self.csr = None
        if sparse.issparse(A) and A.format == "csr" and (M is None or isinstance(M, _Diagonal)):
            diag = np.ones(1, dtype=dtype) if M is None else M.values.astype(dtype)
            mode = {None: PC_NONE, "left": PC_LEFT, "right": PC_RIGHT}[self.side]
            self.csr = (A.indptr, A.indices, A.data.astype(dtype, copy=False), diag, mode)

    def matvec(self, X):
        self.n_matvec += 1 if X.ndim == 1 else X.shape[1]
        return np.asarray(_apply(self.A, X), dtype=self.dtype)

    def precondition(self, X):
        if self.M is None:
            return X
        self.n_precond += 1 if X.ndim == 1 else X.shape[1]
        out = np.asarray(_apply(self.M, X), dtype=self.dtype)
        if not self._m_checked:
            self._m_checked = True
            if not np.all(np.isfinite(out)):
                raise ValueError("M is singular or invalid: M @ v contains NaN or infinity.")
            if np.any(X) and not np.any(out):
                raise ValueError("M is singular: M @ v = 0 for a nonzero v.")
        return out

    def __call__(self, X):
        """The iteration operator applied to a vector or a block of columns."""
        if self.side == "right":
            return self.matvec(self.precondition(X))
        if self.side == "left":
            return self.precondition(self.matvec(X))
        return self.matvec(X)

    def apply_rows(self, X):
        """``op`` applied to each row of ``X`` (a basis stored as rows), as rows; counts the products."""
        if self.csr is None:
            return np.ascontiguousarray(self(np.ascontiguousarray(X.T)).T)
        indptr, indices, data, diag, mode = self.csr
        out = np.empty(X.shape, dtype=self.dtype)
        apply_operator_rows(indptr, indices, data, diag, mode, np.ascontiguousarray(X, dtype=self.dtype), out)
        self.n_matvec += X.shape[0]
        self.n_precond += X.shape[0] * (mode != PC_NONE)
        return out

    def to_solution(self, d):
        """Map a correction of the iteration space to the solution space (``M d`` for right preconditioning)."""
        return self.precondition(d) if self.side == "right" else d

    def residual(self, x, b):
        """True residual ``b - A x`` and the residual GCRO-DR minimises (``M (b - A x)`` on the left)."""
        r = b - self.matvec(x) if np.any(x) else b.copy()
        return r, (self.precondition(r) if self.side == "left" else r)



def preconditioners(M):
    """Turn a sequence method's ``M`` option into ``get(A, index) -> preconditioner of A``.

    ``M`` is None, ``"jacobi"`` (``diag(A)^{-1}``), ``"ilu"`` (an incomplete
    LU of ``A`` with :func:`scipy.sparse.linalg.spilu`'s defaults), a factory
    ``M(A) -> operator`` (any callable but a LinearOperator), or one matrix or
    LinearOperator used for every system. A built preconditioner is reused
    while the same matrix object comes back, so the solver can see that its
    operator did not change.

    Parameters
    ----------
    M : None, str, callable, matrix or LinearOperator
        The option.

    Returns
    -------
    callable
        ``get(A, index)``; ``index`` (the caller's index of the system)
        appears in error messages.

    Raises
    ------
    ValueError
        From ``get``: a zero on the diagonal for ``"jacobi"``, an exactly
        singular factor for ``"ilu"``, a named preconditioner for a
        matrix-free ``A``, or an unknown name.
    """
    if isinstance(M, str) and M not in ("jacobi", "ilu"):
        raise ValueError(
            f"M must be None, 'jacobi', 'ilu', a matrix, a LinearOperator or a factory; got {format_value(M)}."
        )
    if M is None or isinstance(M, LinearOperator) or not (isinstance(M, str) or callable(M)):
        return lambda A, index: M
    last = {}

    def get(A, index):
        if last.get("A") is not A:
            last["A"], last["M"] = A, _build_preconditioner(M, A, index)
        return last["M"]

    return get


def _build_preconditioner(M, A, index):
    if callable(M):
        return M(A)
    if isinstance(A, LinearOperator):
        raise ValueError(f"M={format_value(M)} needs the values of systems[{index}][0]; it is a LinearOperator.")
    if M == "jacobi":
        diagonal = check_nonzero_diagonal(A, f"systems[{index}][0] (A)")
        return sparse.diags_array(1.0 / diagonal, format="csr")
    try:
        factor = spilu(sparse.csc_array(A))
    except RuntimeError as exc:
        raise ValueError(f"M='ilu' failed for systems[{index}]: {exc}.") from exc
    return LinearOperator(A.shape, matvec=factor.solve, dtype=factor.L.dtype)
