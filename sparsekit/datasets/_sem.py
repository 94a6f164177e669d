"""Linear structural equation models on random DAGs (the benchmark data of DAG learners)."""

from numbers import Integral, Real

import numpy as np

from .._core.params import Interval, Options
from .._core.random import check_random_state
from .._core.validation import check_vector
from ._validation import INDEX_MAX, SCALE_MAX, SIZE, Numbers, generator_params

__all__ = ["make_linear_sem"]

# Per-node noise variances of the "heteroscedastic" setting, as in CoLiDE's experiments.
_HETEROSCEDASTIC_VARIANCE = (0.5, 10.0)


def _erdos_renyi_edges(n_nodes, n_edges, rng):
    """``n_edges`` distinct unordered pairs drawn uniformly (the G(n, m) model), as (low, high) rows."""
    low, high = np.triu_indices(n_nodes, k=1)
    chosen = rng.choice(low.size, size=n_edges, replace=False)
    return np.column_stack([low[chosen], high[chosen]])


def _barabasi_albert_edges(n_nodes, n_edges, rng):
    """Preferential attachment: each new node links to ``m`` earlier nodes chosen by degree + 1.

    Each edge points from the new node to the earlier one, so hubs collect parents (as in the
    NOTEARS/DAGMA simulators); rows are (parent, child) in a hidden order where later-attached nodes
    come first. ``m = round(n_edges / n_nodes)`` (at least 1), about ``m * n_nodes`` edges.
    """
    m = max(1, int(round(n_edges / n_nodes)))
    degree = np.zeros(n_nodes)
    edges = []
    for new in range(1, n_nodes):
        k = min(m, new)
        weights = degree[:new] + 1.0
        targets = rng.choice(new, size=k, replace=False, p=weights / weights.sum())
        for old in targets:
            edges.append((n_nodes - 1 - new, n_nodes - 1 - old))
            degree[old] += 1
            degree[new] += 1
    return np.array(edges, dtype=np.intp).reshape(-1, 2)


def _draw_noise(kind, n_samples, scales, rng):
    """Zero-mean noise with standard deviation ``scales[j]`` in column ``j``."""
    shape = (n_samples, scales.size)
    if kind == "gaussian":
        unit = rng.standard_normal(shape)
    elif kind == "exponential":
        unit = rng.exponential(1.0, shape) - 1.0
    elif kind == "laplace":
        unit = rng.laplace(0.0, 1.0 / np.sqrt(2.0), shape)
    else:  # gumbel: variance pi^2 beta^2 / 6, mean beta * Euler-Mascheroni
        beta = np.sqrt(6.0) / np.pi
        unit = rng.gumbel(0.0, beta, shape) - beta * np.euler_gamma
    return unit * scales


def _sem_bytes(n_samples, n_nodes, **_):
    """About the memory of the noise, the samples, ``W`` and the candidate edges."""
    return 24 * n_samples * n_nodes + 128 * n_nodes**2, {"n_samples": n_samples, "n_nodes": n_nodes}


_SCALE = Interval(Real, 0, SCALE_MAX, closed="both")


@generator_params(
    {
        "n_samples": [SIZE],
        "n_nodes": [SIZE],
        "n_edges": [Interval(Integral, 0, INDEX_MAX, closed="both")],
        "graph": [Options({"er", "sf"})],
        "noise": [Options({"gaussian", "exponential", "laplace", "gumbel"})],
        "noise_scale": [_SCALE, Options({"heteroscedastic"}), Numbers(_SCALE, ndim=(0, 1))],
        "weight_range": [
            Numbers(Interval(Real, -SCALE_MAX, SCALE_MAX, closed="both"), ndim=2, shape=(None, 2), ordered=True,
                    what="an array of (low, high) rows")
        ],
        "return_noise_scale": ["boolean"],
        "random_state": ["random_state"],
    },
    _sem_bytes,
)
def make_linear_sem(
    n_samples,
    n_nodes,
    n_edges,
    *,
    graph="er",
    noise="gaussian",
    noise_scale=1.0,
    weight_range=((-2.0, -0.5), (0.5, 2.0)),
    return_noise_scale=False,
    random_state=None,
):
    """Sample data from a linear structural equation model on a random DAG.

    Each node ``j`` follows ``x_j = sum_i W[i, j] x_i + e_j``, i.e.
    ``X = X W + E``, with ``W`` the weighted adjacency matrix of a random DAG
    (``W[i, j] != 0`` is the edge ``i -> j``) and independent noise columns.

    Parameters
    ----------
    n_samples : int
        Number of rows of ``X``.
    n_nodes : int
        Number of variables (nodes).
    n_edges : int
        Number of edges: exactly this many for ``graph="er"``; about
        ``round(n_edges / n_nodes) * n_nodes`` for ``graph="sf"``. ``2 * n_nodes``
        gives the usual "ER2"/"SF2" settings.
    graph : {"er", "sf"}, default="er"
        ``"er"``: Erdős–Rényi, ``n_edges`` pairs drawn uniformly without
        replacement. ``"sf"``: scale-free, Barabási–Albert preferential
        attachment, each new node pointing to ``round(n_edges / n_nodes)``
        earlier nodes, so hubs have many parents. In both cases the nodes
        are then relabelled by a random permutation, so the natural order
        ``0, 1, ...`` carries no information.
    noise : {"gaussian", "exponential", "laplace", "gumbel"}, default="gaussian"
        Noise distribution, shifted and scaled to mean zero and standard
        deviation ``noise_scale``.
    noise_scale : float, array-like of shape (n_nodes,) or "heteroscedastic", default=1.0
        Standard deviation of the noise, in ``[0, 1e100]``: one value for all
        nodes (equal variance), one per node, or ``"heteroscedastic"`` for
        per-node variances drawn from U(0.5, 10) as in the CoLiDE paper.
    weight_range : sequence of (low, high) pairs, default=((-2, -0.5), (0.5, 2))
        Edge weights are drawn uniformly on one of these intervals (within
        ``[-1e100, 1e100]``), the interval itself chosen uniformly at random per edge.
    return_noise_scale : bool, default=False
        Also return the per-node noise standard deviations.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the graph, weights and noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_nodes)
        Samples (not centred).
    W : ndarray of shape (n_nodes, n_nodes)
        Weighted adjacency matrix of the DAG.
    noise_scale : ndarray of shape (n_nodes,)
        Noise standard deviations; only with ``return_noise_scale=True``.

    Raises
    ------
    InvalidParameterError
        If an argument is of the wrong type or outside its range
        (``weight_range`` malformed, ``noise_scale`` negative or not finite).
    ValueError
        If ``n_edges`` exceeds ``n_nodes * (n_nodes - 1) / 2`` for an ER
        graph, ``noise_scale`` has the wrong length, the data would take more
        than 32 GiB, or the samples overflow float64 (edge weights whose
        products along the DAG's paths amplify the noise beyond 1e308).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.datasets import make_linear_sem
    >>> X, W = make_linear_sem(500, 10, 20, random_state=0)
    >>> X.shape, int(np.count_nonzero(W))
    ((500, 10), 20)
    >>> bool(np.all(np.abs(W[W != 0]) >= 0.5))
    True
    """
    rng = check_random_state(random_state)
    max_edges = n_nodes * (n_nodes - 1) // 2
    if graph == "er" and n_edges > max_edges:
        raise ValueError(f"n_edges must be at most n_nodes * (n_nodes - 1) / 2 = {max_edges}; got {n_edges}.")
    ranges = np.asarray(weight_range, dtype=np.float64)
    scales = _noise_scales(noise_scale, n_nodes, rng)

    if graph == "er":
        pairs = _erdos_renyi_edges(n_nodes, n_edges, rng)
    else:
        pairs = _barabasi_albert_edges(n_nodes, n_edges, rng) if n_edges else np.empty((0, 2), np.intp)
    # (earlier, later) in a hidden order; a random relabelling hides it.
    labels = rng.permutation(n_nodes)
    W = np.zeros((n_nodes, n_nodes))
    which = rng.integers(len(ranges), size=len(pairs))
    lows, highs = ranges[which, 0], ranges[which, 1]
    W[labels[pairs[:, 0]], labels[pairs[:, 1]]] = rng.uniform(lows, highs)

    E = _draw_noise(noise, n_samples, scales, rng)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported just below, as the error
        X = _propagate(W, E, labels)  # labels[k] is the k-th node of the hidden topological order
    if not np.isfinite(X).all():
        raise ValueError(
            "The samples of make_linear_sem overflow float64: along the DAG's paths the edge weights amplify "
            "the noise beyond 1e308; use a smaller weight_range "
            f"(largest |weight| {float(np.abs(ranges).max()):g}), "
            f"noise_scale or n_edges (got {n_edges})."
        )
    if return_noise_scale:
        return X, W, scales
    return X, W


def _propagate(W, E, order):
    """Solve ``X = X W + E`` column by column along a topological order."""
    X = np.zeros_like(E)
    for node in order:
        parents = np.flatnonzero(W[:, node])
        X[:, node] = X[:, parents] @ W[parents, node] + E[:, node]
    return X


def _noise_scales(noise_scale, n_nodes, rng):
    if isinstance(noise_scale, str):
        low, high = _HETEROSCEDASTIC_VARIANCE
        return np.sqrt(rng.uniform(low, high, size=n_nodes))
    if np.ndim(noise_scale) == 0:  # one scale for every node (also a NumPy scalar or 0-d array)
        noise_scale = np.full(n_nodes, noise_scale, dtype=float)
    # Entries are non-negative and finite by the declared constraint; only the length depends on n_nodes.
    return check_vector(noise_scale, "noise_scale", size=n_nodes)
