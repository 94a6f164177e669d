"""Tour rows for locally private sparse regression: error vs number of users and privacy budget.

:func:`ldp_error_curves` is also what the user guide's figures and the
benchmark's slope figures are measured with.
"""

import math

import numpy as np

from sparsekit._core.random import check_random_state, spawn_generators
from ._case import TourRow, tour_case
from sparsekit.learn.linear_model._ldp_estimator import LDPSparseRegression

#: Estimators compared: name -> (uses the public covariates, top-k instead of soft-thresholding).
VARIANTS = {
    "NLDP soft-threshold": (False, False),
    "NLDP top-k": (False, True),
    "public-X soft-threshold": (True, False),
    "public-X top-k": (True, True),
}


def sparse_ldp_problem(n_features, n_nonzero, random_state=None):
    """The LDP literature's benchmark: ``x ~ N(0, I)``, ``w*`` with ``k`` entries ``+-1/sqrt(k)``, noise std 0.5.

    Parameters
    ----------
    n_features : int
        Dimension ``d``.
    n_nonzero : int
        Sparsity ``k``.
    random_state : None, int or numpy.random.Generator
        Seed of the support and signs.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        ``w*`` with ``||w*|| = 1``.
    draw : callable
        ``draw(rng, n) -> (X, y)`` draws ``n`` users.
    """
    rng = check_random_state(random_state)
    coef = np.zeros(n_features)
    support = rng.choice(n_features, size=n_nonzero, replace=False)
    coef[support] = rng.choice([-1.0, 1.0], size=n_nonzero) / math.sqrt(n_nonzero)

    def draw(generator, n):
        X = generator.standard_normal((n, n_features))
        return X, X @ coef + 0.5 * generator.standard_normal(n)

    return coef, draw


def ldp_error_curves(ns, epsilons, *, n_features=5, n_nonzero=2, n_seeds=5, n_public=10**6, mechanism="gaussian",
                     variants=tuple(VARIANTS), chunk=10**6, random_state=0):
    """Median ``||w_hat - w*||`` of the LDP estimators over seeds, for every ``(variant, n, epsilon)``.

    Users stream to the server in chunks (``partial_fit``) with aggregated
    noise draws, so ``n = 10^7`` users take seconds and little memory; the
    same users serve every ``epsilon`` and variant of one seed.

    Parameters
    ----------
    ns : sequence of int
        Numbers of users.
    epsilons : sequence of float
        Privacy budgets.
    n_features, n_nonzero : int, default=5, 2
        ``d`` and ``k`` of :func:`sparse_ldp_problem`.
    n_seeds : int, default=5
        Repetitions (fresh users and noise).
    n_public : int, default=10**6
        Public unlabeled rows for the public-X variants.
    mechanism : {"gaussian", "laplace"}, default="gaussian"
        Users' noise.
    variants : sequence of str
        Keys of ``VARIANTS``.
    chunk : int, default=10**6
        Users per ``partial_fit`` call.
    random_state : int, default=0
        Seed.

    Returns
    -------
    dict
        ``(variant, n, epsilon) -> median error``.
    """
    coef, draw = sparse_ldp_problem(n_features, n_nonzero, random_state)
    errors = {}
    for seed, rng in enumerate(spawn_generators(random_state, n_seeds)):
        public_X = rng.standard_normal((n_public, n_features))
        for n in ns:
            models = {
                (name, eps): LDPSparseRegression(
                    epsilon=eps, mechanism=mechanism, public_X=public_X if VARIANTS[name][0] else None,
                    k=n_nonzero if VARIANTS[name][1] else None, simulate="aggregate", random_state=rng,
                )
                for name in variants for eps in epsilons
            }
            for start in range(0, n, chunk):
                X, y = draw(rng, min(chunk, n - start))
                for model in models.values():
                    model.partial_fit(X, y)
            for (name, eps), model in models.items():
                errors.setdefault((name, n, eps), []).append(float(np.linalg.norm(model.coef_ - coef)))
    return {key: float(np.median(values)) for key, values in errors.items()}


def log_log_slope(xs, ys, *, below=None):
    """Least-squares slope of ``log y`` against ``log x``.

    Parameters
    ----------
    xs, ys : sequence of float
        Points (positive).
    below : float, optional
        Fit only the points with ``y < below`` (the regime where an estimator
        is informative: an error near ``||w*||`` is the trivial estimate's,
        not a rate); NaN if fewer than two remain.

    Returns
    -------
    float
        The slope.
    """
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if below is not None:
        keep = ys < below
        xs, ys = xs[keep], ys[keep]
    if xs.size < 2:
        return float("nan")
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


#: Errors at least this (half of ``||w*|| = 1``) are left out of the rate fits.
INFORMATIVE = 0.5


@tour_case("learn.ldp", "LDP sparse regression: error vs users n and budget epsilon (log-log slopes)")
def tour_ldp_slopes(ctx):
    ns = [10**4, 10**5, 10**6] if ctx.quick else [10**4, 10**5, 10**6, 10**7]
    epsilons = [0.5, 1.0, 2.0, 4.0, 8.0]
    n_top = ns[-1]
    curves, seconds = ctx.timed(
        ldp_error_curves, ns, epsilons, n_seeds=3 if ctx.quick else 5, n_public=10**5 if ctx.quick else 10**6,
        variants=("NLDP top-k", "public-X top-k"),
    )
    rows = []
    for name in ("NLDP top-k", "public-X top-k"):
        rows.append(TourRow(f"d=5, k=2, eps=4, n={ns[0]:.0e}..{n_top:.0e}", name, f"n<={n_top:.0e}", seconds,
                            "slope in n (theory -0.5)",
                            log_log_slope(ns, [curves[(name, n, 4.0)] for n in ns], below=INFORMATIVE)))
        rows.append(TourRow(f"d=5, k=2, n={n_top:.0e}, eps=0.5..8", name, f"n={n_top:.0e}", seconds,
                            "slope in eps (theory -1)",
                            log_log_slope(epsilons, [curves[(name, n_top, e)] for e in epsilons],
                                          below=INFORMATIVE)))
        rows.append(TourRow(f"d=5, k=2, n={n_top:.0e}, eps=4", name, f"n={n_top:.0e}", seconds,
                            "||w - w*||", curves[(name, n_top, 4.0)], peer="w=0", peer_value=1.0))
    with ctx.figure("ldp_error_vs_n") as (fig, ax):
        if fig is not None:
            for name in ("NLDP top-k", "public-X top-k"):
                ax.loglog(ns, [curves[(name, n, 4.0)] for n in ns], "o-", label=name)
            ax.loglog(ns, curves[("public-X top-k", ns[0], 4.0)] * (np.array(ns) / ns[0]) ** -0.5, "k--",
                      label="slope -1/2")
            ax.axhline(1.0, color="gray", lw=0.8, label="w = 0")
            ax.set(xlabel="users n", ylabel="||w - w*||", title="epsilon = 4")
            ax.legend()
    return rows
