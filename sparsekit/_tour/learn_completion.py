"""Tour rows for matrix completion: AltMin vs a soft-impute baseline (synthetic) and on MovieLens-100k.

fancyimpute, the usual soft-impute, raises under scikit-learn >= 1.8, so the
peer is :func:`soft_impute` below: fancyimpute's ``SoftImpute(max_rank=k)``
algorithm (zero fill, truncated randomized SVD with one power iteration,
singular values shrunk by ``max(s) / 50`` from the first SVD, missing entries
replaced until their relative change is below 1e-3, at most 100 iterations).
"""

import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit.datasets import load_movielens_100k, make_low_rank_completion
from sparsekit.learn.decomposition import AltMinCompletion

from ._case import TourRow, tour_case


def soft_impute(M_observed, max_rank, *, max_iters=100, threshold=1e-3, random_state=0):
    """Soft-impute (Mazumder, Hastie and Tibshirani 2010) as fancyimpute 0.7 runs it with ``max_rank``; dense."""
    from sklearn.utils.extmath import randomized_svd

    filled = M_observed.toarray()
    missing = np.ones(filled.shape, dtype=bool)
    missing[M_observed.nonzero()] = False
    shrinkage = None
    for it in range(1, max_iters + 1):
        U, s, Vt = randomized_svd(filled, max_rank, n_iter=1, random_state=random_state)
        shrinkage = s[0] / 50.0 if shrinkage is None else shrinkage
        low_rank = (U * np.maximum(s - shrinkage, 0.0)) @ Vt
        old, new = filled[missing], low_rank[missing]
        change = np.linalg.norm(old - new) / max(np.linalg.norm(old), np.finfo(float).tiny)
        filled[missing] = new
        if it > 1 and change < threshold:
            break
    return low_rank, it


def synthetic_problem(n=2000, m=1500, rank=10, observed=0.05, noise=0.1, seed=0):
    """The issue's problem: observed entries, and 20 000 held-out (row, column) pairs with their true values."""
    M_observed, left, right = make_low_rank_completion(n, m, rank, observed=observed, noise=noise, random_state=seed)
    rng = np.random.default_rng(seed + 1)
    rows, cols = rng.integers(0, n, 20_000), rng.integers(0, m, 20_000)
    observed_flat = np.repeat(np.arange(n), np.diff(M_observed.indptr)) * m + M_observed.indices
    seen = np.isin(rows * m + cols, observed_flat)
    rows, cols = rows[~seen], cols[~seen]
    return M_observed, rows, cols, np.einsum("ij,ij->i", left[rows], right[cols])


def relative_rmse(predicted, truth):
    """Held-out RMSE over the standard deviation of the truth (the notes' relRMSE)."""
    return float(np.sqrt(np.mean((predicted - truth) ** 2)) / np.std(truth))


def movielens_split(seed=0, test_fraction=0.1):
    """MovieLens-100k ratings split at random into train (a sparse matrix) and test triplets."""
    from scipy import sparse

    users, items, ratings, _ = load_movielens_100k()
    order = np.random.default_rng(seed).permutation(len(ratings))
    n_test = int(round(test_fraction * len(ratings)))
    train, test = order[n_test:], order[:n_test]
    shape = (users.max() + 1, items.max() + 1)
    M = sparse.csr_array((ratings[train], (users[train], items[train])), shape=shape)
    return M, np.column_stack([users[test], items[test]]), ratings[test]


@tour_case("learn.completion", "Matrix completion: AltMin vs soft-impute (2000x1500, rank 10, 5% observed)")
def tour_altmin_vs_soft_impute(ctx):
    with threadpool_limits(1):
        n, m = (600, 450) if ctx.quick else (2000, 1500)
        M, rows, cols, truth = synthetic_problem(n, m, observed=0.05 if not ctx.quick else 0.1)
        model, seconds = ctx.timed(AltMinCompletion(10, random_state=0).fit, M)
        value = relative_rmse(model.predict(np.column_stack([rows, cols])), truth)
        peer = peer_seconds = peer_value = None
        if ctx.has("sklearn"):
            (low_rank, _), peer_seconds = ctx.timed(soft_impute, M, 10)
            peer, peer_value = "soft-impute(max_rank=10)", relative_rmse(low_rank[rows, cols], truth)
        return TourRow(problem="rank 10, noise 0.1", method="AltMinCompletion(10)", size=f"{n}x{m}",
                       seconds=seconds, metric="held-out relRMSE", value=value, peer=peer,
                       peer_seconds=peer_seconds, peer_value=peer_value)


@tour_case("learn.completion", "Matrix completion on MovieLens-100k (90/10 split, seed 0)")
def tour_movielens(ctx):
    if not ctx.has("recbole"):
        return []
    with threadpool_limits(1):
        M, pairs, test = movielens_split()
        model, seconds = ctx.timed(AltMinCompletion(10, ridge=10.0, bias=True, random_state=0).fit, M)
        rmse = float(np.sqrt(np.mean((np.clip(model.predict(pairs), 1, 5) - test) ** 2)))
        return TourRow(problem="MovieLens-100k ratings", method="AltMinCompletion(10, ridge=10, bias)",
                       size=f"{M.shape[0]}x{M.shape[1]}", seconds=seconds, metric="test RMSE", value=rmse,
                       peer="surprise.SVD() (notes' figure)", peer_value=0.933)


def movielens_implicit(seed=0, n_heldout_users=150, fold_in=0.8):
    """The notes' strong-generalisation protocol on MovieLens-100k (Liang et al. 2018).

    Ratings >= 4 are positives; items with none are dropped (943 x 1674);
    users are shuffled with ``seed``: 150 test, 150 validation, the rest
    train; each held-out user's positives are split 80/20 into fold-in and
    held-out items. Returns ``train, (val_in, val_out), (test_in, test_out)``
    as CSR matrices over the same items.
    """
    from scipy import sparse

    users, items, ratings, _ = load_movielens_100k()
    positive = ratings >= 4
    users, items = users[positive], items[positive]
    _, items = np.unique(items, return_inverse=True)
    X = sparse.csr_array((np.ones(len(users)), (users, items)), shape=(users.max() + 1, items.max() + 1))
    rng = np.random.default_rng(seed)
    order = rng.permutation(X.shape[0])
    test, val, train = order[:n_heldout_users], order[n_heldout_users:2 * n_heldout_users], order[2 * n_heldout_users:]

    def split(rows):
        part = sparse.coo_array(X[rows])
        keep = np.zeros(part.nnz, dtype=bool)
        for u in range(part.shape[0]):
            mine = np.flatnonzero(part.row == u)
            keep[rng.choice(mine, size=int(round(fold_in * len(mine))), replace=False)] = True
        make = lambda mask: sparse.csr_array((part.data[mask], (part.row[mask], part.col[mask])), shape=part.shape)  # noqa: E731
        return make(keep), make(~keep)

    return X[train], split(val), split(test)


def ease_ndcg(l2, train, fold_in, held_out, k=100, dtype="float32"):
    """NDCG@k of EASE(l2) fitted on ``train``, ranking for the fold-in rows (seen items excluded)."""
    from sparsekit.learn.recommend import EASE, ndcg_at_k

    model = EASE(l2=l2, dtype=dtype).fit(train)
    return ndcg_at_k(held_out, model.recommend(np.arange(fold_in.shape[0]), k, X=fold_in), k), model


def als_ndcg(factors, regularization, alpha, train, fold_in, held_out, k=100, iterations=15):
    """NDCG@k of implicit's ALS fitted on ``train`` with fold-in users recalculated, seen items filtered."""
    from implicit.als import AlternatingLeastSquares

    from sparsekit.learn.recommend import ndcg_at_k

    model = AlternatingLeastSquares(factors=factors, regularization=regularization, alpha=alpha,
                                    iterations=iterations, random_state=0, num_threads=1)
    from scipy import sparse

    model.fit(sparse.csr_matrix(train, dtype=np.float32), show_progress=False)
    user_items = sparse.csr_matrix(fold_in, dtype=np.float32)
    ids, _ = model.recommend(np.arange(fold_in.shape[0]), user_items, N=k, recalculate_user=True,
                             filter_already_liked_items=True)
    return ndcg_at_k(held_out, ids.astype(np.int64), k), model


def power_law_interactions(n_users, n_items, mean_per_user=50, exponent=1.0, seed=0):
    """0/1 interactions with Zipf item popularity (``rank^-exponent``) and log-normal user activity; CSR."""
    from scipy import sparse

    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_items + 1) ** exponent
    popularity /= popularity.sum()
    activity = np.minimum(np.maximum(1, rng.lognormal(np.log(mean_per_user) - 0.5, 1.0, n_users).astype(int)),
                          n_items // 2)
    rows = np.repeat(np.arange(n_users), activity)
    cols = rng.choice(n_items, size=len(rows), p=popularity)
    X = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n_users, n_items))
    X.data[:] = 1.0  # repeated draws of a pair are one interaction
    return X


@tour_case("learn.recommend", "EASE on MovieLens-100k implicit (strong generalisation, NDCG@100) vs implicit ALS")
def tour_ease_movielens(ctx):
    if not ctx.has("recbole"):
        return []
    with threadpool_limits(1):
        train, _, (fold_in, held_out) = movielens_implicit()
        (value, _), seconds = ctx.timed(ease_ndcg, 300.0, train, fold_in, held_out)
        peer = peer_seconds = peer_value = None
        if ctx.has("implicit"):
            (peer_value, _), peer_seconds = ctx.timed(als_ndcg, 16, 1.0, 10.0, train, fold_in, held_out)
            peer = "implicit ALS(16, 1, alpha=10)"
        return TourRow(problem="ML-100k >= 4 stars, 150 test users", method="EASE(l2=300)",
                       size=f"{train.shape[0]}x{train.shape[1]}", seconds=seconds, metric="NDCG@100", value=value,
                       peer=peer, peer_seconds=peer_seconds, peer_value=peer_value)


@tour_case("learn.recommend", "EASE fit on power-law interactions (float32, one item x item matrix)")
def tour_ease_scale(ctx):
    from sparsekit.learn.recommend import EASE

    with threadpool_limits(1):
        n_items = 1000 if ctx.quick else 5000
        X = power_law_interactions(2 * n_items, n_items)
        model, seconds = ctx.timed(EASE(l2=500.0).fit, X)
        return TourRow(problem="power-law interactions", method="EASE(l2=500), float32",
                       size=f"{X.shape[0]}x{X.shape[1]}, nnz={X.nnz}", seconds=seconds,
                       metric="B memory [MB]", value=model.coef_.nbytes / 2**20)


def bar_matching_error(atoms, bars):
    """Mean ``1 - cosine`` between each true bar and its learnt atom (atoms matched one to one), scale-free."""
    from scipy.optimize import linear_sum_assignment

    a = atoms / np.maximum(np.linalg.norm(atoms, axis=1, keepdims=True), np.finfo(float).tiny)
    b = bars / np.linalg.norm(bars, axis=1, keepdims=True)
    cost = 1.0 - b @ a.T
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


@tour_case("learn.decomposition", "Binary sparse coding on the bars problem (5x5, 10 bars, sigma 2) vs NMF")
def tour_bars(ctx):
    from sparsekit.datasets import make_bars
    from sparsekit.learn.decomposition import BinarySparseCoding

    with threadpool_limits(1):
        n = 400 if ctx.quick else 1000
        Y, bars = make_bars(n, random_state=0)
        model, seconds = ctx.timed(BinarySparseCoding(10, random_state=0).fit, Y)
        peer = peer_seconds = peer_value = None
        if ctx.has("sklearn"):
            from sklearn.decomposition import NMF

            nmf, peer_seconds = ctx.timed(NMF(10, init="nndsvda", max_iter=500, random_state=0).fit, np.maximum(Y, 0))
            peer, peer_value = "sklearn NMF(10) on max(Y, 0)", bar_matching_error(nmf.components_, bars)
        return TourRow(problem="bars, pi=1/5, sigma=2", method="BinarySparseCoding(10)", size=f"N={n}, D=25",
                       seconds=seconds, metric="bar matching error", value=bar_matching_error(model.components_, bars),
                       peer=peer, peer_seconds=peer_seconds, peer_value=peer_value)


def slab_bars(n_samples, seed=0):
    """Bars (5 x 5, amplitude 10) with ``N(1, 0.3^2)`` weights where present (pi = 1/5), plus ``N(0, 1)`` noise."""
    from sparsekit.datasets import make_bars

    _, bars = make_bars(1, random_state=0)
    rng = np.random.default_rng(seed)
    S = (rng.random((n_samples, 10)) < 0.2) * rng.normal(1.0, 0.3, (n_samples, 10))
    return S @ bars + rng.normal(0.0, 1.0, (n_samples, 25)), bars


@tour_case("learn.decomposition", "Spike-and-slab sparse coding on bars with Gaussian weights (sigma 1) vs NMF")
def tour_slab_bars(ctx):
    from sparsekit.learn.decomposition import SpikeSlabCoding

    with threadpool_limits(1):
        n = 300 if ctx.quick else 1000
        Y, bars = slab_bars(n)
        options = dict(max_iter=40) if ctx.quick else {}
        model, seconds = ctx.timed(SpikeSlabCoding(10, random_state=0, **options).fit, Y)
        peer = peer_seconds = peer_value = None
        if ctx.has("sklearn"):
            from sklearn.decomposition import NMF

            nmf, peer_seconds = ctx.timed(NMF(10, init="nndsvda", max_iter=500, random_state=0).fit, np.maximum(Y, 0))
            peer, peer_value = "sklearn NMF(10) on max(Y, 0)", bar_matching_error(nmf.components_, bars)
        return TourRow(problem="bars, N(1, 0.3^2) slabs, pi=1/5, sigma=1", method="SpikeSlabCoding(10)",
                       size=f"N={n}, D=25", seconds=seconds, metric="bar matching error",
                       value=bar_matching_error(model.components_, bars), peer=peer, peer_seconds=peer_seconds,
                       peer_value=peer_value)
