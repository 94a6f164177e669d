"""The recycled subspace of GCRO-DR: ``RecycleSpace``, and the harmonic Ritz and orthonormalisation
steps that build it from a cycle's basis."""

import numpy as np
import scipy.linalg

from ..._core.validation import check_array
from ._gcrodr_kernels import select_harmonic

__all__ = ["RecycleSpace"]


class RecycleSpace:
    """A recycled Krylov subspace: ``U_k`` and ``C_k = op(U_k)`` with orthonormal columns.

    :func:`gcrodr` returns one in ``Result.recycle`` and accepts it back as
    ``recycle=``. It is an immutable value: each call returns a new one.
    ``C`` is the image of ``U`` under the operator GCRO-DR iterated with
    (``A``, ``A M`` or ``M A``). When the next call gets the very same ``A``
    and ``M`` objects, one product checks that ``C`` still fits (it does
    unless the matrix was modified in place) and ``C`` is reused; otherwise
    ``C`` is recomputed from ``U`` (``k`` products with the new matrix).

    A space made by :func:`gcrodr` also records whether recycling paid on
    the sequence so far; after a recycled solve that needed more products
    than a fresh one, the next calls start without it (see the Notes of
    :func:`gcrodr`). A space built from ``U`` is always used.

    A call with a smaller ``k`` than the space's keeps its ``k`` most
    important directions: with ``C`` known, the harmonic Ritz directions of
    ``span(U)`` whose values come first for the call's ``target`` (from the
    small matrix ``C^H U``, no product with the matrix); without ``C``, the
    first ``k`` columns of ``U``.

    Parameters
    ----------
    U : array-like of shape (n, k)
        Basis of the subspace to recycle (any full-rank basis: approximate
        eigenvectors, earlier solutions, ...). A space made by
        :func:`gcrodr` holds an orthonormal basis of its harmonic Ritz
        directions' images in ``C``, in no particular order.
    C : array-like of shape (n, k), optional
        ``op(U)`` with orthonormal columns, when known; omitted, it is
        computed by the next :func:`gcrodr` call.

    Attributes
    ----------
    U : ndarray of shape (n, k)
        The recycled basis (read-only).
    C : ndarray of shape (n, k) or None
        Its orthonormal image (read-only).
    k : int
        Dimension of the subspace.
    n : int
        Order of the systems it belongs to.
    dtype : numpy.dtype
        Value type of the vectors.

    See Also
    --------
    gcrodr : Returns and accepts recycle spaces.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import RecycleSpace, gcrodr
    >>> A = np.diag(np.arange(1.0, 41.0))
    >>> space = RecycleSpace(np.eye(40)[:, :3])
    >>> space.k, space.n
    (3, 40)
    >>> res = gcrodr(A, np.ones(40), recycle=space, m=10, k=3, rtol=1e-10)
    >>> res.converged, res.recycle.k
    (True, 3)
    """

    def __init__(self, U, C=None):
        U = check_array(U, "U", ndim=2, dtype="float-or-complex")
        if U.shape[1] > U.shape[0]:
            raise ValueError(f"U must have at most as many columns as rows; got shape {U.shape}.")
        if C is not None:
            C = check_array(C, "C", ndim=2, dtype="float-or-complex")
            if C.shape != U.shape:
                raise ValueError(f"C must have the shape of U, {U.shape}; got {C.shape}.")
        self._set(U.T, None if C is None else C.T, None)

    @classmethod
    def _from_rows(cls, U_rows, C_rows, origin, record=None):
        space = cls.__new__(cls)
        space._set(U_rows, C_rows, origin, record)
        return space

    def _set(self, U_rows, C_rows, origin, record=None):
        self._U_rows = np.array(U_rows, copy=True, order="C")
        self._U_rows.flags.writeable = False
        self._C_rows = None
        if C_rows is not None:
            self._C_rows = np.array(C_rows, copy=True, order="C")
            self._C_rows.flags.writeable = False
        self._origin = origin
        # (reference, pays) of the sequence so far (see _recycling_record); None for a user's space.
        self._record = record

    @property
    def U(self):
        """The recycled basis, shape ``(n, k)``."""
        return self._U_rows.T

    @property
    def C(self):
        """Its orthonormal image under the operator, shape ``(n, k)``, or None."""
        return None if self._C_rows is None else self._C_rows.T

    @property
    def k(self):
        """Dimension of the subspace."""
        return self._U_rows.shape[0]

    @property
    def n(self):
        """Order of the systems."""
        return self._U_rows.shape[1]

    @property
    def dtype(self):
        """Value type of the vectors."""
        return self._U_rows.dtype

    def __repr__(self):
        return f"RecycleSpace(k={self.k}, n={self.n}, dtype={self.dtype})"

    def __getstate__(self):
        # The origin names operators of this process by weak reference: a copy (another process, a Dask
        # worker's result) has no such operator, and a space without origin is matched to none.
        return {**self.__dict__, "_origin": None}

    def __setstate__(self, state):
        self._set(state["_U_rows"], state["_C_rows"], None, state["_record"])


# After a recycled solve that did not pay, recycling is tried again once a fresh solve needs this many
# times the reference's products: a harder system is where a recycled space can pay again.
_RETRY_GROWTH = 1.5


def _use_space(space):
    """Whether a solve given ``space`` should start from it (False after a recycled solve that did not pay)."""
    return space._record is None or space._record[1]


def _recycling_record(given, used, products):
    """The ``(reference, pays)`` record handed on with the space a solve made.

    ``reference`` is the number of products of the latest solve made without
    a recycled space (None when there was none, e.g. a user's space); a
    solve that started from the recycled space ``given`` (``used``) pays
    when it needed fewer products than that reference. A fresh solve after
    one that did not pay keeps the old reference and verdict unless it
    needed ``_RETRY_GROWTH`` times more.
    """
    record = None if given is None else given._record
    if used:
        if record is None or record[0] is None:
            return (None, True)
        return (record[0], products < record[0])
    if record is None or record[1] or products > _RETRY_GROWTH * record[0]:
        return (products, True)
    return record


def _svqb(gram, rank_tol):
    """``T`` with ``T^H gram T = I`` on the numerically nonsingular part of ``gram``.

    Scaling to a unit diagonal first makes the dropping of near-dependent
    directions independent of the columns' lengths (SVQB, Stathopoulos & Wu,
    2002). Used when a Cholesky or QR factor is (nearly) singular.
    """
    scale = np.sqrt(np.abs(np.real(np.diagonal(gram))))
    inv_scale = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)
    lam, vecs = np.linalg.eigh(gram * np.outer(inv_scale, inv_scale))
    keep = lam > rank_tol * max(lam[-1], 0.0)
    return (vecs[:, keep] / np.sqrt(lam[keep])) * inv_scale[:, None]


def _triangular_inverse_or_none(R, rank_tol):
    """``R^{-1}`` of an upper-triangular factor, or None when its diagonal shows rank deficiency."""
    diag = np.abs(np.diagonal(R))
    if diag.size == 0 or not diag.min() > rank_tol * diag.max():
        return None
    return np.linalg.inv(R)


def _orthonormalize_rows(Y_rows, rank_tol):
    """``(T, Q_rows)`` with ``Q_rows = T.T @ Y_rows`` orthonormal rows (CholeskyQR2).

    ``T`` is upper triangular, so the first ``j`` rows of ``Q_rows`` span the
    first ``j`` of ``Y_rows`` and the order of importance is kept. A
    numerically rank-deficient ``Y_rows`` falls back to SVQB, which drops the
    dependent directions.
    """
    T = np.eye(Y_rows.shape[0], dtype=Y_rows.dtype)
    Q_rows = Y_rows
    for _ in range(2):
        try:
            factor = np.linalg.cholesky(Q_rows.conj() @ Q_rows.T).conj().T
        except np.linalg.LinAlgError:
            factor = None
        step = None if factor is None else _triangular_inverse_or_none(factor, np.sqrt(rank_tol))
        if step is None:
            step = _svqb(Q_rows.conj() @ Q_rows.T, rank_tol)
        T = T @ step
        Q_rows = step.T @ Q_rows
    return T, Q_rows


def _harmonic_ritz_basis(RG, M, k, target, real, RG_inv_M, lapack=None):
    """An orthonormal basis of the ``k`` harmonic Ritz directions of the pencil ``RG z = theta M z``.

    ``RG`` is the triangular factor of the cycle's projected matrix and
    ``M`` the projection of the basis onto the orthonormal test space (see
    :func:`~._gcrodr_kernels.harmonic_pencil`, which also returns
    ``RG_inv_M = RG^{-1} M``, finite, when ``RG`` is nonsingular); ``theta`` are the
    harmonic Ritz values of the operator on the space the cycle spanned.
    ``target="smallest"`` keeps those of smallest magnitude (the directions
    that slow GMRES down), ``"largest"`` the largest; for real problems a
    complex pair is kept whole or dropped (``k - 1`` directions then).

    The problem is solved as the standard eigenproblem of ``RG^{-1} M``,
    whose eigenvalues ``1 / theta`` of largest magnitude, the ones usually
    wanted, come out with the best relative accuracy. Instead of the
    eigenvectors, the Schur vectors of the chosen eigenvalues are returned
    (a reordered Schur form): they span the same invariant subspace, cost
    less than the eigenvectors, and stay orthonormal when eigenvectors are
    nearly parallel. A real matrix keeps a complex pair in one 2 x 2 block, so
    real problems stay real. ``RG_inv_M`` is None when ``RG`` is singular
    (or the solve overflowed): the eigenvectors of the pencil are then taken
    by the QZ algorithm, as they are if the Schur route fails. ``RG_inv_M``
    may be given in a lower precision than ``RG`` (the basis is returned in
    ``RG``'s); ``lapack`` is then the pair of LAPACK routines
    ``(gees, trsen)`` for its dtype.
    """
    smallest = target == "smallest"
    if RG_inv_M is not None:
        gees, trsen = lapack or scipy.linalg.get_lapack_funcs(("gees", "trsen"), (RG_inv_M,))
        if real:
            T, _, wr, wi, Z, _, info = gees(_NO_SORT, RG_inv_M, compute_v=1, sort_t=0)
            magnitude, imaginary = np.hypot(wr, wi), wi
        else:
            T, _, w, Z, _, info = gees(_NO_SORT, RG_inv_M, compute_v=1, sort_t=0)
            magnitude, imaginary = np.abs(w), w.imag
        if info == 0:
            marks, count = select_harmonic(magnitude, imaginary, k, smallest, real)
            result = trsen(marks, T, Z, job="N")
            if result[-1] == 0:
                return np.ascontiguousarray(result[1][:, :count], dtype=RG.dtype)
    (alpha, beta), Z = scipy.linalg.eig(RG, M, homogeneous_eigvals=True)
    # 1 / |theta| = |beta| / |alpha|: infinite for theta = 0, zero for an infinite theta.
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse_magnitude = np.where(alpha != 0, np.abs(beta) / np.where(alpha != 0, np.abs(alpha), 1), np.inf)
    marks, _ = select_harmonic(inverse_magnitude, alpha.imag, k, smallest, real)
    chosen = np.flatnonzero(marks)
    if not real:
        return np.ascontiguousarray(Z[:, chosen])
    # A pair's eigenvectors are conjugate: the real and imaginary parts of one span both.
    columns = []
    for i in chosen:
        if alpha[i].imag == 0:
            columns.append(Z[:, i].real)
        elif alpha[i].imag > 0:
            columns.extend((Z[:, i].real, Z[:, i].imag))
    return np.ascontiguousarray(np.array(columns, dtype=RG.dtype).reshape(len(columns), RG.shape[1]).T)


def _NO_SORT(*eigenvalue):
    """The ordering callback LAPACK's ``gees`` requires even when it does not sort."""
    return False


def _most_important(space, k, target):
    """Rows ``(U, C)`` of the ``k`` most important directions of ``space`` (``C`` None if unknown).

    A space of at most ``k`` vectors is kept whole. Otherwise, with ``C``
    known, ``A U = C`` gives the harmonic Ritz problem of ``span(U)`` as
    ``(C^H U) z = z / theta``; its ``k`` wanted Schur vectors ``P`` give
    ``U P`` and ``C P``, still an orthonormal image. Without ``C``, or if the
    Schur vectors could not be had, ``C`` is left to be recomputed.
    """
    U, C = space._U_rows, space._C_rows
    if U.shape[0] <= k:
        return U, C
    if C is None:
        return U[:k], None
    CU = C.conj() @ U.T
    real = not np.iscomplexobj(CU)
    P = _harmonic_ritz_basis(np.eye(CU.shape[0], dtype=CU.dtype), CU, k, target, real, CU)
    orthonormal = np.allclose(P.conj().T @ P, np.eye(P.shape[1]), atol=1e-10)
    return P.T @ U, (P.T @ C if orthonormal else None)

