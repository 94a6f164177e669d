"""Accuracy of an estimated graph against the true DAG: SHD, TPR, FDR, FPR and SID.

All functions take two ``d x d`` adjacency matrices, weighted or binary, with
``G[i, j] != 0`` meaning the edge ``i -> j``; only the support matters. SHD,
TPR, FDR and FPR follow the definitions of the NOTEARS/DAGMA ``count_accuracy``
utility, so figures are comparable with the literature:

- an estimated edge is *correct* if the true graph has it with the same
  direction, *reversed* if the true graph has it the other way round, and a
  *false positive* otherwise;
- ``TPR = correct / true edges``, ``FDR = (reversed + false positives) /
  estimated edges``, ``FPR = (reversed + false positives) / (d(d-1)/2 - true
  edges)``;
- ``SHD`` counts node pairs whose skeletons differ (an edge missing or extra)
  plus pairs joined in both graphs with a different orientation: a reversed
  edge costs 1.
"""

import numpy as np

from ..._core.params import validate_params
from ._graph import _kahn_order, check_adjacency

__all__ = [
    "structural_hamming_distance",
    "true_positive_rate",
    "false_discovery_rate",
    "false_positive_rate",
    "structural_intervention_distance",
    "graph_accuracy",
]


def _supports(true_graph, estimated_graph):
    true_support = check_adjacency(true_graph, "true_graph") != 0
    d = true_support.shape[0]
    estimated_support = check_adjacency(estimated_graph, "estimated_graph", n_nodes=d) != 0
    return true_support, estimated_support


def _edge_counts(true_support, estimated_support):
    """(correct, wrong = reversed + false positives, estimated, true) edge counts."""
    correct = int(np.count_nonzero(true_support & estimated_support))
    estimated = int(np.count_nonzero(estimated_support))
    return correct, estimated - correct, estimated, int(np.count_nonzero(true_support))


def structural_hamming_distance(true_graph, estimated_graph):
    """Structural Hamming distance: edge insertions, deletions and reversals between two graphs.

    Parameters
    ----------
    true_graph : array-like of shape (d, d)
        Adjacency matrix of the true graph.
    estimated_graph : array-like of shape (d, d)
        Adjacency matrix of the estimate.

    Returns
    -------
    int
        Number of node pairs joined in one skeleton only, plus pairs joined in
        both with different orientations.

    Examples
    --------
    >>> from sparsekit.learn.dag.metrics import structural_hamming_distance
    >>> true = [[0, 1, 0], [0, 0, 1], [0, 0, 0]]      # 0 -> 1 -> 2
    >>> estimate = [[0, 0, 1], [1, 0, 0], [0, 0, 0]]  # 1 -> 0 -> 2
    >>> structural_hamming_distance(true, estimate)   # 0-1 reversed, 1-2 missing, 0-2 extra
    3
    """
    true_support, estimated_support = _supports(true_graph, estimated_graph)
    true_skeleton = np.triu(true_support | true_support.T, 1)
    estimated_skeleton = np.triu(estimated_support | estimated_support.T, 1)
    skeleton_changes = int(np.count_nonzero(true_skeleton != estimated_skeleton))
    both = true_skeleton & estimated_skeleton
    upper_differs = np.triu(true_support != estimated_support, 1)
    lower_differs = np.triu((true_support != estimated_support).T, 1)
    reorientations = int(np.count_nonzero(both & (upper_differs | lower_differs)))
    return skeleton_changes + reorientations


def true_positive_rate(true_graph, estimated_graph):
    """Fraction of the true edges estimated with the right direction.

    Parameters
    ----------
    true_graph : array-like of shape (d, d)
        Adjacency matrix of the true graph.
    estimated_graph : array-like of shape (d, d)
        Adjacency matrix of the estimate.

    Returns
    -------
    float
        ``correct / max(true edges, 1)``.

    Examples
    --------
    >>> from sparsekit.learn.dag.metrics import true_positive_rate
    >>> true_positive_rate([[0, 1], [0, 0]], [[0, 1], [0, 0]])
    1.0
    """
    correct, _, _, n_true = _edge_counts(*_supports(true_graph, estimated_graph))
    return correct / max(n_true, 1)


def false_discovery_rate(true_graph, estimated_graph):
    """Fraction of the estimated edges that are reversed or absent in the true graph.

    Parameters
    ----------
    true_graph : array-like of shape (d, d)
        Adjacency matrix of the true graph.
    estimated_graph : array-like of shape (d, d)
        Adjacency matrix of the estimate.

    Returns
    -------
    float
        ``(reversed + false positives) / max(estimated edges, 1)``.

    Examples
    --------
    >>> from sparsekit.learn.dag.metrics import false_discovery_rate
    >>> false_discovery_rate([[0, 1], [0, 0]], [[0, 0], [1, 0]])
    1.0
    """
    _, wrong, n_estimated, _ = _edge_counts(*_supports(true_graph, estimated_graph))
    return wrong / max(n_estimated, 1)


def false_positive_rate(true_graph, estimated_graph):
    """Wrong estimated edges per node pair the true graph leaves unjoined.

    Parameters
    ----------
    true_graph : array-like of shape (d, d)
        Adjacency matrix of the true graph.
    estimated_graph : array-like of shape (d, d)
        Adjacency matrix of the estimate.

    Returns
    -------
    float
        ``(reversed + false positives) / max(d (d - 1) / 2 - true edges, 1)``.

    Examples
    --------
    >>> from sparsekit.learn.dag.metrics import false_positive_rate
    >>> false_positive_rate([[0, 1, 0], [0, 0, 0], [0, 0, 0]], [[0, 1, 1], [0, 0, 0], [0, 0, 0]])
    0.5
    """
    true_support, estimated_support = _supports(true_graph, estimated_graph)
    _, wrong, _, n_true = _edge_counts(true_support, estimated_support)
    d = true_support.shape[0]
    return wrong / max(d * (d - 1) / 2 - n_true, 1)


def _descendants(children, node):
    """Descendants of ``node`` (itself included) given child lists."""
    seen = {node}
    stack = [node]
    while stack:
        for child in children[stack.pop()]:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _d_connected_from(source, conditioning, parents, children):
    """Nodes d-connected to ``source`` given ``conditioning`` (Koller & Friedman's reachability)."""
    ancestors_of_conditioning = set()
    stack = list(conditioning)
    while stack:
        node = stack.pop()
        if node not in ancestors_of_conditioning:
            ancestors_of_conditioning.add(node)
            stack.extend(parents[node])
    reachable = set()
    visited = set()
    # Direction "up": reached from a child (against the edge); "down": reached from a parent.
    queue = [(source, "up")]
    while queue:
        node, direction = queue.pop()
        if (node, direction) in visited:
            continue
        visited.add((node, direction))
        if node not in conditioning:
            reachable.add(node)
        if direction == "up" and node not in conditioning:
            queue.extend((parent, "up") for parent in parents[node])
            queue.extend((child, "down") for child in children[node])
        elif direction == "down":
            if node not in conditioning:
                queue.extend((child, "down") for child in children[node])
            if node in ancestors_of_conditioning:
                queue.extend((parent, "up") for parent in parents[node])
    return reachable


def _child_lists(support):
    return [set(np.flatnonzero(support[i]).tolist()) for i in range(support.shape[0])]


def structural_intervention_distance(true_graph, estimated_graph):
    """Structural intervention distance (Peters & Bühlmann, 2015) between two DAGs.

    The number of ordered pairs ``(i, j)``, ``i != j``, whose interventional
    distribution ``p(x_j | do(x_i))`` the estimated DAG ``G`` gets wrong
    with respect to the true DAG ``H`` when it adjusts for its own parents of
    ``i``: if ``j`` is a parent of ``i`` in ``G``, ``G`` claims no effect, which
    is wrong exactly when ``j`` descends from ``i`` in ``H``; otherwise
    ``Z = pa_G(i)`` must satisfy the adjustment criterion in ``H`` (no
    member of ``Z`` descends from a node other than ``i`` on a directed path
    from ``i`` to ``j``, and ``Z`` d-separates ``i`` and ``j`` once the first
    edges of those directed paths are removed).

    Parameters
    ----------
    true_graph : array-like of shape (d, d)
        Adjacency matrix of the true DAG ``H``.
    estimated_graph : array-like of shape (d, d)
        Adjacency matrix of the estimated DAG ``G``.

    Returns
    -------
    int
        The SID, between 0 and ``d (d - 1)``.

    Raises
    ------
    ValueError
        If either graph has a directed cycle.

    Notes
    -----
    One reachability search per pair in the worst case: ``O(d^2 (d + e))``
    time in pure Python, about a second at ``d = 50``. Unlike the SHD the
    SID is not symmetric, and the empty graph can score better than a
    graph with one reversed edge.

    References
    ----------
    .. [1] J. Peters, P. Bühlmann. "Structural intervention distance for
       evaluating causal graphs". Neural Computation 27(3), 2015.

    Examples
    --------
    >>> from sparsekit.learn.dag.metrics import structural_intervention_distance
    >>> true = [[0, 1], [0, 0]]
    >>> structural_intervention_distance(true, [[0, 0], [1, 0]])  # reversed edge: both effects wrong
    2
    >>> structural_intervention_distance(true, [[0, 0], [0, 0]])  # empty graph: only do(x_1) wrong
    1
    """
    true_support, estimated_support = _supports(true_graph, estimated_graph)
    for support, name in ((true_support, "true_graph"), (estimated_support, "estimated_graph")):
        if _kahn_order(support) is None:
            raise ValueError(f"{name} must be acyclic (a DAG) for the SID; it has a directed cycle.")
    d = true_support.shape[0]
    children = _child_lists(true_support)
    parents = _child_lists(true_support.T)
    descendants = [_descendants(children, node) for node in range(d)]
    wrong = 0
    for i in range(d):
        adjustment = set(np.flatnonzero(estimated_support[:, i]).tolist())
        connected_without_causal_paths = None
        for j in range(d):
            if j == i:
                continue
            if j in adjustment:
                wrong += j in descendants[i]
                continue
            if j not in descendants[i]:
                # No directed path i -> j: nothing is forbidden and the back-door graph is H itself.
                if connected_without_causal_paths is None:
                    connected_without_causal_paths = _d_connected_from(i, adjustment, parents, children)
                wrong += j in connected_without_causal_paths
                continue
            on_causal_paths = {w for w in descendants[i] if w != i and j in descendants[w]}
            forbidden = set().union(*(descendants[w] for w in on_causal_paths))
            if adjustment & forbidden:
                wrong += 1
                continue
            first_steps = children[i] & on_causal_paths
            pruned_children = list(children)
            pruned_children[i] = children[i] - first_steps
            pruned_parents = [parents[w] - {i} if w in first_steps else parents[w] for w in range(d)]
            wrong += j in _d_connected_from(i, adjustment, pruned_parents, pruned_children)
    return wrong


@validate_params({"sid": ["boolean"]})
def graph_accuracy(true_graph, estimated_graph, *, sid=False):
    """All accuracy figures of an estimated graph in one dict.

    Parameters
    ----------
    true_graph : array-like of shape (d, d)
        Adjacency matrix of the true graph.
    estimated_graph : array-like of shape (d, d)
        Adjacency matrix of the estimate.
    sid : bool, default=False
        Also compute the (slower) structural intervention distance; both
        graphs must then be DAGs.

    Returns
    -------
    dict
        ``shd``, ``tpr``, ``fdr``, ``fpr``, ``nnz`` (estimated edges) and, with
        ``sid=True``, ``sid``.

    Raises
    ------
    ValueError
        If a graph is not a finite square matrix, the two differ in size, or
        (with ``sid=True``) one has a cycle.
    TypeError
        If a graph is complex or not numeric.
    InvalidParameterError
        If ``sid`` is not a boolean.

    Examples
    --------
    >>> from sparsekit.learn.dag.metrics import graph_accuracy
    >>> graph_accuracy([[0, 1], [0, 0]], [[0, 1], [0, 0]])
    {'shd': 0, 'tpr': 1.0, 'fdr': 0.0, 'fpr': 0.0, 'nnz': 1}
    """
    true_support, estimated_support = _supports(true_graph, estimated_graph)
    out = {
        "shd": structural_hamming_distance(true_support, estimated_support),
        "tpr": true_positive_rate(true_support, estimated_support),
        "fdr": false_discovery_rate(true_support, estimated_support),
        "fpr": false_positive_rate(true_support, estimated_support),
        "nnz": int(np.count_nonzero(estimated_support)),
    }
    if sid:
        out["sid"] = structural_intervention_distance(true_support, estimated_support)
    return out
