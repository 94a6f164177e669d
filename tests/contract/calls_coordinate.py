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
