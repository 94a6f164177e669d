"""Contract entries of issue 17 (parts 1 and 3): ``linalg.greedy_bcd``, GreedyLasso, and the MCP/SCAD solvers."""

from ._call import Call

_AS_SKLEARN = {"X": ("object", "str"), "y": ("object", "str")}


def regression():
    from sparsekit.datasets import make_sparse_regression

    A, y, _, _ = make_sparse_regression(20, 30, 3, snr_db=30, random_state=0)
    return A, y


CALLS = {
    "greedy_bcd": Call(regression, dict(alpha=0.01), force=dict(max_iter=1, max_epochs=1, active_set=False, tol=1e-15), solution="x",
                       sparse=("A",)),
    "GreedyLasso": Call(regression, dict(alpha=0.01), force=dict(max_iter=1, tol=1e-15, rule="cyclic"),
                        accepts=_AS_SKLEARN),
}

CALLS.update({
    "nonconvex_regression": Call(regression, dict(penalty="mcp", alpha=0.05), force=dict(max_iter=1, tol=1e-15),
                                 solution="x", sparse=("X",)),
    "nonconvex_path": Call(regression, dict(penalty="scad", n_alphas=5), force=dict(max_iter=1, tol=1e-15),
                           solution="coefs", sparse=("X",)),
    "MCPRegression": Call(regression, dict(alpha=0.05), force=dict(max_iter=1, tol=1e-15), accepts=_AS_SKLEARN),
    "SCADRegression": Call(regression, dict(alpha=0.05), force=dict(max_iter=1, tol=1e-15), accepts=_AS_SKLEARN),
})


def graph():
    """A ring of 12 nodes with chords, two labelled nodes."""
    import numpy as np
    from scipy import sparse

    rows = np.r_[np.arange(12), np.arange(0, 12, 3)]
    cols = np.r_[(np.arange(12) + 1) % 12, (np.arange(0, 12, 3) + 6) % 12]
    W = sparse.coo_array((np.linspace(0.5, 1.5, len(rows)), (rows, cols)), shape=(12, 12)).tocsr()
    return W + W.T, np.array([-1.0, 1.0]), np.array([0, 7])


CALLS.update({
    "greedy_label_propagation": Call(graph, dict(eps=0.01), force=dict(max_epochs=1, tol=1e-15), solution="x",
                                     sparse=("W",), homogeneous=("y",)),
})


def classes():
    """Three classes from a sparse regression design."""
    import numpy as np

    from sparsekit.datasets import make_sparse_regression

    A, y, _, _ = make_sparse_regression(30, 12, 3, snr_db=30, random_state=0)
    return A, np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))


CALLS.update({
    "greedy_bcd_multinomial": Call(classes, dict(alpha=0.01), force=dict(max_epochs=1, tol=1e-15), solution="x",
                                   sparse=("A",), accepts={"y": ("object", "str")}),  # y holds class labels
})
