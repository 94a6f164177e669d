"""Tour rows for greedy block coordinate descent: the Lasso against scikit-learn's cyclic coordinate descent and
skglm, and the selection rules' epoch counts."""

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from sparsekit.linalg import greedy_bcd

from ._case import TourRow, tour_case


def lasso_problem(n=1000, p=5000, seed=0):
    """Dataset A of Nutini, Laradji & Schmidt as a Lasso: ``(A, b, alpha_max)``.

    ``A = (N(0, 1) + 1) diag(10 N(0, 1))``, entries kept with probability ``10 log(n) / n`` (sparse CSC),
    ``w`` 10% nonzero with ``N(0, 1)`` entries, ``b = A w + N(0, 1)``; ``alpha_max = ||A^T b||_inf / n``.
    """
    rng = np.random.default_rng(seed)
    M = sparse.random_array((n, p), density=10 * np.log(n) / n, format="csc", rng=rng,
                            data_sampler=lambda size: rng.standard_normal(size) + 1.0)
    A = sparse.csc_array(M @ sparse.diags_array(10 * rng.standard_normal(p)))
    w = np.zeros(p)
    support = rng.choice(p, p // 10, replace=False)
    w[support] = rng.standard_normal(len(support))
    b = A @ w + rng.standard_normal(n)
    return A, b, float(np.abs(A.T @ b).max()) / n


def lasso_objective(A, b, alpha, x):
    """``(1 / 2n) ||b - A x||^2 + alpha ||x||_1``."""
    r = b - A @ x
    return float(r @ r) / (2 * len(b)) + alpha * float(np.abs(x).sum())


@tour_case("linalg.coordinate", "Lasso at 0.01 alpha_max by greedy BCD vs sklearn Lasso (cyclic CD) and skglm")
def tour_greedy_lasso(ctx):
    with threadpool_limits(1):
        return _lasso_rows(ctx)


def _lasso_rows(ctx):
    n, p = (300, 1000) if ctx.quick else (1000, 5000)
    A, b, alpha_max = lasso_problem(n, p)
    alpha = 0.01 * alpha_max
    tol = 1e-10 / (b @ b / n)  # duality gap <= 1e-10 in scikit-learn's units: tol ||b||^2 / n
    greedy_bcd(A, b, alpha=alpha, tol=tol)  # every side runs once untimed first: numba compiles (ours, skglm)
    res, seconds = ctx.timed(greedy_bcd, A, b, alpha=alpha, tol=tol)
    rows = []
    peers = []
    if ctx.has("sklearn"):
        from sklearn.linear_model import Lasso

        peer = Lasso(alpha=alpha, tol=tol, fit_intercept=False, max_iter=1_000_000)
        peer.fit(A, b)
        model, t = ctx.timed(peer.fit, A, b)
        peers.append(("sklearn Lasso (cyclic)", t, model.coef_))
    if ctx.has("skglm"):
        import skglm

        peer = skglm.Lasso(alpha=alpha, tol=1e-12, fit_intercept=False)
        peer.fit(A, b)
        model, t = ctx.timed(peer.fit, A, b)
        peers.append(("skglm Lasso", t, model.coef_))
    best = min([lasso_objective(A, b, alpha, res.x)] + [lasso_objective(A, b, alpha, c) for _, _, c in peers])
    value = lasso_objective(A, b, alpha, res.x) - best
    for name, t, coef in peers or [(None, None, None)]:
        rows.append(TourRow(
            problem="dataset A (sparse), alpha = 0.01 alpha_max, gap 1e-10", method="greedy_bcd (gsq)",
            size=f"{n}x{p}", seconds=seconds, metric="objective - best", value=value, peer=name, peer_seconds=t,
            peer_value=None if coef is None else lasso_objective(A, b, alpha, coef) - best,
        ))
    return rows


def epochs_by_rule(A, b, alpha, *, tol, rules=("gsq", "gsl", "gs", "cyclic", "random")):
    """Epochs (coordinate updates / n_features) each rule needs to reach ``tol``, with neither working sets nor
    Newton steps: the selection rule alone decides. Also returns the gap histories, for the user guide's plot."""
    out = {}
    for rule in rules:
        res = greedy_bcd(A, b, alpha=alpha, rule=rule, tol=tol, working_set=False, active_set=False,
                         max_iter=1000, random_state=0)
        out[rule] = res
    return out


@tour_case("linalg.coordinate", "Selection rules: epochs to a duality gap of 1e-8 (relative), no working set")
def tour_rule_epochs(ctx):
    n, p = (200, 400) if ctx.quick else (1000, 2000)
    A, b, alpha_max = lasso_problem(n, p, seed=1)
    runs, seconds = ctx.timed(epochs_by_rule, A, b, 0.1 * alpha_max, tol=1e-8)
    return [TourRow(problem="dataset A, alpha = 0.1 alpha_max", method=f"greedy_bcd rule={rule}", size=f"{n}x{p}",
                    seconds=seconds / len(runs), metric="epochs", value=float(res.n_epochs))
            for rule, res in runs.items()]


def moons_graph(n=2000, n_labeled=100, k=5, seed=0):
    """The paper's dataset E: two noisy moons, a symmetric ``k``-nearest-neighbour graph with Gaussian weights
    (bandwidth the median squared neighbour distance), ``n_labeled`` nodes labelled -1/+1. Returns
    ``(W, y, labeled, classes)``."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    side = np.arange(n) % 2
    pts = np.c_[np.cos(t) + side, np.sin(t) * (1 - 2 * side) + 0.5 * side] + 0.1 * rng.standard_normal((n, 2))
    dist, nearest = cKDTree(pts).query(pts, k + 1)
    d2 = dist[:, 1:].ravel() ** 2
    rows = np.repeat(np.arange(n), k)
    W = sparse.csr_array((np.exp(-d2 / np.median(d2)), (rows, nearest[:, 1:].ravel())), shape=(n, n))
    W = sparse.csr_array(W.maximum(W.T))
    labeled = rng.choice(n, n_labeled, replace=False)
    return W, np.where(side[labeled] == 0, -1.0, 1.0), labeled, side


def harmonic_cg(W, y, labeled, rtol):
    """The peer: SciPy's conjugate gradient on ``L_UU f_U = -L_UL y`` (Jacobi-preconditioned)."""
    from scipy.sparse.linalg import LinearOperator, cg

    n = W.shape[0]
    L = sparse.csr_array(sparse.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)
    U = np.setdiff1d(np.arange(n), labeled)
    H, h = sparse.csr_array(L[U][:, U]), L[U][:, labeled] @ y
    inv_diag = 1.0 / H.diagonal()
    f_U, info = cg(H, -h, rtol=rtol, maxiter=10 * n,
                   M=LinearOperator(H.shape, matvec=lambda v: inv_diag * v, dtype=np.float64))
    f = np.zeros(n)
    f[labeled], f[U] = y, f_U
    return f


@tour_case("linalg.coordinate", "Label propagation on a two-moons kNN graph: greedy CD vs SciPy's CG")
def tour_label_propagation(ctx):
    from sparsekit.linalg import greedy_label_propagation

    with threadpool_limits(1):
        n = 500 if ctx.quick else 2000
        W, y, labeled, classes = moons_graph(n, n // 20)
        rows = []
        for rule in ("gsl", "cyclic"):
            res, seconds = ctx.timed(greedy_label_propagation, W, y, labeled, rule=rule, tol=1e-6,
                                     max_epochs=100_000)
            peer, peer_seconds = ctx.timed(harmonic_cg, W, y, labeled, 1e-6) if rule == "gsl" else (None, None)
            rows.append(TourRow(problem="dataset E: two moons, 5-NN graph", method=f"greedy_label_propagation "
                                f"rule={rule}", size=f"{n} nodes", seconds=seconds, metric="epochs",
                                value=float(res.n_epochs), peer="scipy cg (Jacobi)" if peer is not None else None,
                                peer_seconds=peer_seconds))
        return rows


def multinomial_problem(n=1000, p=1000, n_classes=50, seed=0):
    """The design of dataset A (sparse, columns scaled by ``10 N(0, 1)``) with labels drawn from a softmax
    model: ``W`` 10% nonzero rows of ``N(0, 1)`` entries, margins scaled to standard deviation 2. The paper's
    softmax dataset C has 50 classes at 1000 x 1000. Returns ``(A, y)``."""
    rng = np.random.default_rng(seed)
    M = sparse.random_array((n, p), density=10 * np.log(n) / n, format="csc", rng=rng,
                            data_sampler=lambda size: rng.standard_normal(size) + 1.0)
    A = sparse.csc_array(M @ sparse.diags_array(10 * rng.standard_normal(p)))
    W = np.zeros((p, n_classes))
    rows = rng.choice(p, p // 10, replace=False)
    W[rows] = rng.standard_normal((len(rows), n_classes))
    Z = A @ W
    Z *= 2.0 / Z.std()
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (P.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)
    return A, y


def multinomial_epochs_by_rule(A, y, alpha, *, tol, penalty="l1", rules=("gsq", "gsl", "gs", "cyclic", "random")):
    """Epochs (feature updates / n_features) each rule needs to reach a relative row violation ``tol``, one
    feature's row of coefficients per block; the runs, for their objective histories."""
    from sparsekit.linalg import greedy_bcd_multinomial

    return {rule: greedy_bcd_multinomial(A, y, alpha=alpha, penalty=penalty, rule=rule, tol=tol, max_epochs=5000,
                                         random_state=0) for rule in rules}


def multinomial_alpha_max(A, y):
    """The smallest ``alpha`` at which ``W = 0`` solves the ℓ1 problem: ``||A^T (1/K - Y)||_max / n``."""
    k = int(y.max()) + 1
    return float(np.abs(A.T @ (1.0 / k - np.eye(k)[y])).max()) / A.shape[0]


@tour_case("linalg.coordinate", "Multinomial logistic, l1: greedy BCD epochs by rule, objective vs sklearn saga")
def tour_multinomial(ctx):
    from sparsekit.linalg._coordinate._multinomial import multinomial_objective

    with threadpool_limits(1):
        n, k = (150, 5) if ctx.quick else (500, 10)
        A, y = multinomial_problem(n, n, k)
        alpha = 0.1 * multinomial_alpha_max(A, y)
        runs, seconds = ctx.timed(multinomial_epochs_by_rule, A, y, alpha, tol=1e-8)
        rows = [TourRow(problem="dataset A design, softmax labels, l1 at 0.1 alpha_max",
                        method=f"greedy_bcd_multinomial rule={rule}", size=f"{n}x{n}, {k} classes",
                        seconds=seconds / len(runs), metric="epochs to 1e-8", value=float(res.n_epochs))
                for rule, res in runs.items()]
        if ctx.has("sklearn"):
            import warnings

            from sklearn.linear_model import LogisticRegression

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model, peer_seconds = ctx.timed(LogisticRegression(C=1 / (alpha * n), l1_ratio=1.0, solver="saga",
                                                                   fit_intercept=False, tol=1e-8,
                                                                   max_iter=100_000).fit, A, y)
            ours = runs["gsq"].objective
            rows.append(TourRow(problem="dataset A design, softmax labels, l1 at 0.1 alpha_max",
                                method="greedy_bcd_multinomial rule=gsq", size=f"{n}x{n}, {k} classes",
                                seconds=seconds / len(runs), metric="objective - ours", value=0.0,
                                peer="sklearn LogisticRegression (saga)", peer_seconds=peer_seconds,
                                peer_value=multinomial_objective(A, y, model.coef_.T, alpha, 0.0, "l1") - ours))
        return rows


def lattice_graph(side=50, n_labeled=100, seed=0):
    """The paper's dataset D: a ``side x side`` lattice (weights uniform on [0.1, 1]), ``n_labeled`` random
    nodes labelled -1/+1. Returns ``(W, y, labeled)``."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    rows = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    cols = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    W = sparse.coo_array((rng.uniform(0.1, 1.0, len(rows)), (rows, cols)), shape=(side * side,) * 2).tocsr()
    labeled = rng.choice(side * side, n_labeled, replace=False)
    return sparse.csr_array(W + W.T), rng.choice([-1.0, 1.0], n_labeled), labeled


@tour_case("linalg.coordinate", "Label propagation on a lattice: forest blocks by message passing vs coordinates "
                                "and SciPy's CG")
def tour_forest_blocks(ctx):
    from sparsekit.linalg import greedy_label_propagation

    with threadpool_limits(1):
        side = 20 if ctx.quick else 50
        W, y, labeled = lattice_graph(side, 4 * side)
        rows = []
        for blocks, rule in (("coordinate", "gsl"), ("forests", "gsl"), ("greedy-forest", "gsl")):
            res, seconds = ctx.timed(greedy_label_propagation, W, y, labeled, blocks=blocks, rule=rule, tol=1e-8,
                                     max_epochs=100_000)
            peer, peer_seconds = ctx.timed(harmonic_cg, W, y, labeled, 1e-10) if blocks == "forests" else (None, None)
            rows.append(TourRow(problem="dataset D: lattice label propagation", method=f"greedy_label_propagation "
                                f"blocks={blocks}", size=f"{side}x{side}", seconds=seconds, metric="block steps",
                                value=float(res.n_steps), peer="scipy cg (Jacobi)" if peer is not None else None,
                                peer_seconds=peer_seconds))
        return rows
