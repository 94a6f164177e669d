"""The ``sketch`` front door: ``S @ A`` for any registered sketch method and any supported input.

In-memory input (NumPy, SciPy CSR/CSC, CuPy) is sketched by one operator
built through :data:`SKETCH_METHODS`; a Dask array takes the chunk-wise path
of :mod:`._sketch_dask`.
"""

from ..._core.params import check_params
from ._sketch_dask import sketch_dask_array
from ._sketch_input import check_sketch_input, is_dask_array, namespace_label
from ._sketch_methods import SCANNING_METHODS, SKETCH_METHODS

__all__ = ["sketch"]


def sketch(A, k, *, method="sparse-sign", random_state=None, dense_output=None, return_operator=False,
           **options):
    """Sketch the rows of ``A``: return ``S @ A`` for a random ``k x m`` sketch ``S``.

    Parameters
    ----------
    A : ndarray, sparse array (CSR or CSC), CuPy array or dask array, shape (m, n) or (m,)
        The matrix (or vector) to sketch. Sparse input is never densified.
        A dask array must be chunked along rows only (one column chunk); each
        row chunk is sketched by its own operator, seeded from one
        ``SeedSequence`` spawned from ``random_state``, and the chunk sketches
        are summed (concatenated for row sampling), so the result depends on
        the seed and the chunking but never on the scheduler.
    k : int
        Sketch size (rows of ``S``).
    method : str, default="sparse-sign"
        A name registered in :data:`SKETCH_METHODS`: ``"gaussian"``,
        ``"countsketch"``, ``"sparse-sign"`` (``"osnap"``), ``"srht"``,
        ``"srdct"``, ``"uniform"``, ``"weighted"``, ``"leverage"``,
        ``"root-leverage"``, ``"lewis"``.
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of randomness; an int gives a reproducible sketch.
    dense_output : bool, optional
        For sparse ``A``, force a dense (True) or sparse (False) result; see
        :meth:`SketchOperator.apply`.
    return_operator : bool, default=False
        Also return the operator ``S`` (NumPy/CuPy input only).
    **options
        Options of the method, e.g. ``nnz_per_col`` for ``"sparse-sign"``,
        ``weights`` for ``"weighted"``, ``p`` for ``"lewis"``.

    Returns
    -------
    SA : ndarray, sparse array, CuPy array or dask array, shape (k, n) or (k,)
        The sketch ``S @ A``; lazy (a dask array) for dask input.
    S : SketchOperator
        Only with ``return_operator=True``.

    Raises
    ------
    ValueError
        Unknown method (the message lists the known ones), ``k`` invalid for
        the method (e.g. larger than ``m`` for SRDCT), NaN or infinity in ``A``.
    TypeError
        Unsupported sparse format or array library, or an option the method
        does not take.

    See Also
    --------
    sketch_lstsq : Least squares preconditioned by a sketch.
    leverage_scores : Scores for leverage-score sampling.
    lewis_weights : Scores for lp row sampling.

    Notes
    -----
    The method builds a :class:`SketchOperator` for the ``m`` rows of ``A``
    (the sampling methods also from scores of ``A``) and applies it once.
    Every operator satisfies ``E[SᵀS] = I`` (row sampling with ``p != 2``:
    ``E[||S A x||_p^p] = ||A x||_p^p``). With ``k`` a small multiple of
    ``n`` the sparse sign sketch is an ε-subspace embedding at a cost of
    ``O(s nnz(A))`` (Nelson and Nguyen), which is why it is the default;
    Murray et al. survey the choices. Each operator class cites its own
    construction.

    References
    ----------
    .. [1] J. Nelson and H. L. Nguyen, "OSNAP: Faster numerical linear algebra
       algorithms via sparser subspace embeddings", FOCS 2013.
    .. [2] R. Murray et al., "Randomized numerical linear algebra: A
       perspective on the field with an eye to software", arXiv:2302.11474.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import sketch
    >>> A = np.random.default_rng(0).standard_normal((2000, 10))
    >>> SA = sketch(A, 100, method="countsketch", random_state=0)
    >>> SA.shape
    (100, 10)
    >>> bool(np.array_equal(SA, sketch(A, 100, method="countsketch", random_state=0)))
    True
    """
    entry = SKETCH_METHODS.get(method)
    check_params(
        {"dense_output": dense_output, "return_operator": return_operator},
        {"dense_output": [None, "boolean"], "return_operator": ["boolean"]},
        caller="sketch",
    )
    if is_dask_array(A):
        if return_operator:
            raise ValueError(
                "return_operator=True is not available for dask input: each chunk has its own operator."
            )
        return sketch_dask_array(A, k, method=entry.name, random_state=random_state, options=options)
    A, kind, xp = check_sketch_input(A, scan_dense=entry.name not in SCANNING_METHODS)
    S = SKETCH_METHODS.dispatch(entry.name, A, k, backend=namespace_label(xp), random_state=random_state,
                                **options)
    SA = S.apply_validated(A, kind, xp, dense_output=dense_output)
    return (SA, S) if return_operator else SA
