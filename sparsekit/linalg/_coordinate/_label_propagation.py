"""Label propagation (the harmonic solution on a graph) by greedy coordinate descent on its sparse quadratic, one
node or one forest-shaped block (solved by message passing) at a time."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse

from ..._core.params import Interval, Options, check_params
from ..._core.progress import IterationMonitor
from ..._core.result import Result, end_run
from ..._core.validation import check_array, check_callable, check_vector
from ._forest_kernels import forest_bcd, forest_partition
from ._label_propagation_kernels import sparse_quadratic_cd

__all__ = ["greedy_label_propagation"]

RULES = {"gs": 0, "gsl": 1, "cyclic": 2}
BLOCKS = {"coordinate": -1, "forests": 0, "greedy-forest": 1}
_CONSTRAINTS = {
    "blocks": [Options(set(BLOCKS))],
    "eps": [Interval(Real, 0, None, closed="left")],
    "rule": [Options(set(RULES))],
    "tol": [Interval(Real, 0, None, closed="neither")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "verbose": ["verbose"],
}


def _labeled_nodes(labeled, n):
    """Indices of the labelled nodes from an index array or a boolean mask, checked distinct and in range."""
    labeled = np.asarray(labeled)
    if labeled.size == 0 or (labeled.dtype == bool and not labeled.any()):
        raise ValueError("labeled must hold at least one node.")
    if labeled.dtype == bool:
        if labeled.shape != (n,):
            raise ValueError(f"labeled as a mask must have shape ({n},); got {labeled.shape}.")
        return np.flatnonzero(labeled)
    if labeled.ndim != 1 or (labeled.size and not np.issubdtype(labeled.dtype, np.integer)):
        raise ValueError("labeled must be a 1-D array of node indices or a boolean mask.")
    labeled = labeled.astype(np.int64)
    if labeled.size and (labeled.min() < 0 or labeled.max() >= n):
        raise ValueError(f"labeled holds node indices outside [0, {n}).")
    if len(np.unique(labeled)) != len(labeled):
        raise ValueError("labeled holds a node more than once.")
    return labeled


def greedy_label_propagation(W, y, labeled, *, eps=0.0, rule="gsl", blocks="coordinate", x0=None, tol=1e-8,
                             max_epochs=1000, callback=None, verbose=0):
    r"""Label propagation on a weighted graph by greedy coordinate or forest-block descent.

    Minimises over the values ``f_U`` of the unlabelled nodes, the labelled ones fixed at ``f_L = y``,

    ``F(f_U) = 1/4 sum_ij w_ij (f_i - f_j)^2 + eps/2 ||f_U||^2 = 1/2 f_U^T H f_U + h^T f_U + const``,

    with ``H = L_UU + eps I`` and ``h = L_UL y`` (``L = D - W`` the graph Laplacian): the harmonic solution
    of Zhu, Ghahramani & Lafferty (2003), ``H f_U = -h``.

    Parameters
    ----------
    W : array-like or sparse array of shape (n_nodes, n_nodes)
        Symmetric nonnegative edge weights (the diagonal is ignored); kept sparse (CSR).
    y : array-like of shape (n_labeled,)
        Values of the labelled nodes (e.g. -1/+1 for two classes), in the order of ``labeled``.
    labeled : array-like of int of shape (n_labeled,) or of bool of shape (n_nodes,)
        The labelled nodes.
    eps : float >= 0, default=0.0
        Ridge on the unlabelled values (Bengio, Delalleau & Le Roux's regularised criterion); ``eps > 0``
        makes the problem strongly convex when a connected component holds no labelled node.
    rule : {"gsl", "gs", "cyclic"}, default="gsl"
        Gauss-Southwell-Lipschitz (``|g_j| / sqrt(H_jj)``, for single coordinates with exact steps also the
        GSQ rule), Gauss-Southwell (``|g_j|``), or cyclic sweeps (the baseline). Forest blocks are scored
        by ``sum_b g_j^2 / H_jj`` (GSL) or ``sum_b g_j^2`` (GS), or taken in turn (cyclic).
    blocks : {"coordinate", "forests", "greedy-forest"}, default="coordinate"
        ``"coordinate"``: one node per step, selected through a heap. ``"forests"``: a fixed partition of the
        unlabelled nodes into forests of the graph (each grown over the nodes left, in index order: on a
        lattice numbered row by row, two or three forests). ``"greedy-forest"``: at every step, a forest
        grown over the nodes in decreasing order of score (GS or GSL; not cyclic). A forest block is
        minimised exactly by message passing (Gaussian elimination on the trees).
    x0 : array-like of shape (n_nodes,), optional
        Starting values (the labelled entries are ignored); zeros by default.
    tol : float, default=1e-8
        Stop when ``||grad F||_inf <= tol * ||grad F(x0)||_inf``.
    max_epochs : int, default=1000
        Budget in epochs (``n_unlabeled`` node updates each, a block counting its size).
    callback : callable, optional
        ``callback(fk)`` after every epoch; returning True stops the run (status 2).
    verbose : bool or int, default=0
        Log progress through the ``sparsekit`` logger.

    Returns
    -------
    Result
        ``x`` (the values of all nodes, ``y`` on the labelled ones), ``objective`` (``F``), ``gradient_norm``
        (``||grad F||_inf``), ``n_iter`` (kernel runs of one epoch each), ``n_steps`` (block updates; nodes
        with ``blocks="coordinate"``), ``n_updates`` (node updates, a block counting its size), ``n_epochs``
        (``n_updates / n_unlabeled``), ``converged``, ``status``, ``message``.

    Raises
    ------
    ValueError
        For NaN or infinity, a non-square, asymmetric or negative ``W``, bad ``labeled`` or ``y``, an
        unlabelled node without edges when ``eps == 0``, no labelled node, ``blocks="greedy-forest"`` with
        ``rule="cyclic"``.
    InvalidParameterError
        For an option out of its range.

    Notes
    -----
    **From the paper** (Nutini, Laradji & Schmidt, "Let's make block coordinate descent converge faster",
    JMLR 2022, its problems D and E): the quadratic label-propagation objective as a test of greedy rules on
    a sparse Hessian, exact single-coordinate updates, the GS and GSL rules, and the point that greedy
    selection is affordable when the gradient is kept up to date in ``O(deg j)`` per update with a max-heap.
    **Ours:** the formulation with the labelled values fixed (the paper's lattice problem leaves the
    labelled nodes out of the unknowns the same way), the indexed binary heap with ties to the smaller index,
    and the stopping rule: GSL stops once ``score_max sqrt(max_j H_jj)`` (a bound on ``||g||_inf``) is below the
    threshold.

    **Forest blocks** (the paper's message passing for large blocks): when the graph of ``H`` restricted to
    block ``b`` is a forest, ``H_bb d = -g_b`` is solved exactly by Gaussian elimination from the leaves to
    the roots and back, ``O(|b|)``, and the gradient is updated in ``O(nnz(H[:, b]))``. From the paper: exact
    minimisation over forests, greedy growth of a forest from the largest scores, partitions of the graph
    into forests. **Ours:** the partition (forests grown in index order over the nodes left, a generic
    stand-in for the paper's lattice-specific red-black tree partitions), the forest's scores (sums over
    the block), and the root of a tree with a vanishing pivot left at 0 (a singular ``H`` with
    ``eps = 0``). Computations are in float64; ``x`` is returned in the precision of ``W`` and ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from sparsekit.linalg import greedy_label_propagation
    >>> W = sparse.diags_array([np.ones(4), np.ones(4)], offsets=[-1, 1])  # a path of 5 nodes
    >>> res = greedy_label_propagation(W, [0.0, 1.0], [0, 4])
    >>> res.converged, np.round(res.x, 6).tolist()
    (True, [0.0, 0.25, 0.5, 0.75, 1.0])
    """
    check_params({"eps": eps, "rule": rule, "blocks": blocks, "tol": tol, "max_epochs": max_epochs,
                  "verbose": verbose}, _CONSTRAINTS, caller="greedy_label_propagation")
    if blocks == "greedy-forest" and rule == "cyclic":
        raise ValueError("blocks='greedy-forest' needs a greedy rule ('gsl' or 'gs'); got rule='cyclic'.")
    check_callable(callback, "callback")
    W = check_array(W, "W", ndim=2, accept_sparse=["csr", "csc", "coo"])
    n = W.shape[0]
    if W.shape != (n, n):
        raise ValueError(f"W must be square; got shape {W.shape}.")
    labeled = _labeled_nodes(labeled, n)
    y = check_vector(y, "y", size=len(labeled))
    dtype = np.result_type(W.dtype, y.dtype)
    W = sparse.csr_array(W, dtype=np.float64)
    W = W - sparse.diags_array(W.diagonal())  # the diagonal does not enter the Laplacian
    W.eliminate_zeros()
    if W.nnz and W.data.min() < 0:
        raise ValueError("W must be nonnegative.")
    if W.nnz and abs(W - W.T).max() > 1e-12 * abs(W).max():
        raise ValueError("W must be symmetric.")
    unlabeled = np.setdiff1d(np.arange(n), labeled)
    f = np.zeros(n) if x0 is None else np.array(check_vector(x0, "x0", size=n), dtype=np.float64)
    f[labeled] = y
    laplacian = sparse.csr_array(sparse.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)
    H = sparse.csr_array(laplacian[unlabeled][:, unlabeled] + eps * sparse.eye_array(len(unlabeled)))
    H.sort_indices()
    diag = H.diagonal()
    if np.any(diag <= 0):
        raise ValueError(f"node {int(unlabeled[np.argmax(diag <= 0)])} is unlabelled and has no edge: give it "
                         "an edge or use eps > 0.")
    h = laplacian[unlabeled][:, labeled] @ y
    x = f[unlabeled]
    grad = H @ x + h
    m = len(unlabeled)
    stop = tol * (float(np.abs(grad).max()) if m else 0.0)
    n_updates, n_steps, n_iter, status = 0, 0, 0, 1
    if blocks == "forests":
        part_ptr, part_idx = forest_partition(H.indptr, H.indices)
    else:
        part_ptr, part_idx = np.zeros(2, dtype=np.int64), np.zeros(0, dtype=np.int64)
    with IterationMonitor("linalg.greedy_label_propagation", total=max_epochs, verbose=verbose,
                          callback=callback) as monitor:
        for _ in range(max_epochs):
            if blocks == "coordinate":
                steps = updates = sparse_quadratic_cd(H.indptr, H.indices, H.data, diag, grad, x, RULES[rule],
                                                      max(m, 1), stop)
            else:
                steps, updates = forest_bcd(H.indptr, H.indices, H.data, diag, grad, x, BLOCKS[blocks], RULES[rule],
                                            part_ptr, part_idx, max(m, 1), stop)
            n_updates += updates
            n_steps += steps
            n_iter += 1
            if updates < max(m, 1) or float(np.abs(grad).max(initial=0.0)) <= stop:
                status = 0
                break
            f[unlabeled] = x
            if monitor.update(f.copy(), gradient_norm=float(np.abs(grad).max())):
                status = 2
                break
    f[unlabeled] = x
    grad = H @ x + h  # fresh, free of the rounding the updates accumulate
    objective = 0.5 * float(x @ (H @ x)) + float(h @ x) + 0.5 * float(y @ (laplacian[labeled][:, labeled] @ y))
    gradient_norm = float(np.abs(grad).max(initial=0.0))
    result = Result(x=f.astype(dtype, copy=False), objective=objective, gradient_norm=gradient_norm,
                    n_iter=n_iter, n_steps=n_steps, n_updates=n_updates, n_epochs=n_updates / max(m, 1))
    messages = {0: f"converged: ||grad||_inf {gradient_norm:.2e} <= {stop:.2e} after {n_updates} updates",
                1: f"max_epochs={max_epochs} reached with ||grad||_inf {gradient_norm:.2e} > {stop:.2e}",
                2: f"stopped by the callback after {n_updates} updates"}
    return end_run(result, caller="greedy_label_propagation", status=status, message=messages[status])
