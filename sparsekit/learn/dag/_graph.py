"""Directed-graph helpers shared by the DAG learners: validation, acyclicity, orders, cycle removal."""

import numpy as np
from scipy.sparse.csgraph import connected_components

from ..._core.validation import check_array, check_square

__all__ = ["is_dag", "topological_order", "remove_cycles"]


def check_adjacency(adjacency, name, *, n_nodes=None):
    """Validate a square, finite (weighted or binary) adjacency matrix; return it as float64."""
    adjacency = check_array(adjacency, name, ndim=2, dtype=np.float64)
    d = check_square(adjacency, name)
    if n_nodes is not None and d != n_nodes:
        raise ValueError(f"{name} must be {n_nodes} x {n_nodes}; got shape {adjacency.shape}.")
    return adjacency


def _kahn_order(support):
    """Topological order of a boolean support (smallest ready label first), or None if it has a cycle."""
    in_degree = support.sum(axis=0).astype(np.intp)
    ready = sorted(np.flatnonzero(in_degree == 0).tolist())
    order = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in np.flatnonzero(support[node]):
            in_degree[child] -= 1
            if in_degree[child] == 0:
                ready.append(int(child))
        ready.sort()
    return np.array(order, dtype=np.intp) if len(order) == support.shape[0] else None


def is_dag(adjacency):
    """Whether the directed graph with ``adjacency[i, j] != 0`` meaning ``i -> j`` is acyclic.

    A nonzero diagonal entry (a self-loop) is a cycle.

    Parameters
    ----------
    adjacency : array-like of shape (d, d)
        Weighted or binary adjacency matrix.

    Returns
    -------
    bool
        True if the graph has no directed cycle.

    Examples
    --------
    >>> from sparsekit.learn.dag import is_dag
    >>> is_dag([[0, 1], [0, 0]]), is_dag([[0, 1], [1, 0]])
    (True, False)
    """
    support = check_adjacency(adjacency, "adjacency") != 0
    return _kahn_order(support) is not None


def topological_order(adjacency):
    """A topological order of a DAG: every edge ``i -> j`` has ``i`` before ``j``.

    Ties are broken by the smallest node label, so the result is deterministic.

    Parameters
    ----------
    adjacency : array-like of shape (d, d)
        Weighted or binary adjacency matrix, ``adjacency[i, j] != 0`` for ``i -> j``.

    Returns
    -------
    ndarray of shape (d,)
        Node labels in topological order.

    Raises
    ------
    ValueError
        If the graph has a directed cycle.

    Examples
    --------
    >>> from sparsekit.learn.dag import topological_order
    >>> topological_order([[0, 0, 0], [1, 0, 0], [1, 1, 0]]).tolist()
    [2, 1, 0]
    """
    support = check_adjacency(adjacency, "adjacency") != 0
    order = _kahn_order(support)
    if order is None:
        raise ValueError("adjacency must be acyclic (a DAG); it has a directed cycle.")
    return order


def _reaches(children, source, target):
    """Whether ``target`` can be reached from ``source`` along ``children`` lists."""
    seen = {source}
    stack = [source]
    while stack:
        node = stack.pop()
        if node == target:
            return True
        for child in children[node]:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return False


def remove_cycles(weights):
    """Make a weighted graph acyclic by dropping its weakest cycle-closing edges.

    Edges on no directed cycle (those between different strongly connected
    components) are kept as they are. Inside each strongly connected
    component, edges are taken from the largest ``|w|`` down and kept unless
    they close a cycle with the edges kept so far: the result keeps the
    heaviest edges that form a DAG, and every dropped edge would close a
    cycle. Self-loops are dropped.

    Parameters
    ----------
    weights : array-like of shape (d, d)
        Weighted adjacency matrix, ``weights[i, j]`` the weight of ``i -> j``;
        not modified.

    Returns
    -------
    ndarray of shape (d, d)
        A copy with the dropped edges set to zero; a DAG.

    Examples
    --------
    >>> from sparsekit.learn.dag import remove_cycles
    >>> remove_cycles([[0.0, 2.0], [0.5, 0.0]])
    array([[0., 2.],
           [0., 0.]])
    """
    out = np.array(check_adjacency(weights, "weights"), copy=True)
    np.fill_diagonal(out, 0.0)
    n_components, labels = connected_components(out != 0, directed=True, connection="strong")
    if n_components == out.shape[0]:
        return out
    for component in np.flatnonzero(np.bincount(labels) > 1):
        nodes = np.flatnonzero(labels == component)
        block = out[np.ix_(nodes, nodes)]
        rows, cols = np.nonzero(block)
        children = [[] for _ in nodes]
        for r, c in sorted(zip(rows, cols), key=lambda edge: -abs(block[edge])):
            if _reaches(children, c, r):
                out[nodes[r], nodes[c]] = 0.0
            else:
                children[r].append(c)
    return out
