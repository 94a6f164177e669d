"""Benchmarks of greedy block coordinate descent (``sparsekit.linalg.greedy_bcd``).

Data: dataset A of Nutini, Laradji & Schmidt as a Lasso (sparse CSC, density ``10 log(n) / n``, columns scaled
by ``10 N(0, 1)``), ``alpha = 0.01 alpha_max``. The peer is scikit-learn's ``Lasso`` (cyclic coordinate descent)
with the same ``tol``: both stop at a duality gap ``<= tol ||b||^2 / n``, here ``1e-10`` in absolute terms;
skglm's ``Lasso`` (working sets + Anderson CD, run to its tightest ``tol``) is the second peer when installed.
"""

import numpy as np
from common import CompareCase, PinnedThreads, quiet

from sparsekit._tour.linalg_coordinate import (
    epochs_by_rule,
    harmonic_cg,
    lasso_objective,
    lasso_problem,
    lattice_graph,
    moons_graph,
    multinomial_alpha_max,
    multinomial_problem,
)
from sparsekit.linalg import greedy_bcd, greedy_bcd_multinomial, greedy_label_propagation


def _gate_tol(b):
    return 1e-10 / (b @ b / len(b))


class GreedyLasso(PinnedThreads):
    """greedy_bcd on the Lasso, by selection rule, at a 1e-10 duality gap."""

    params = ["gsq", "gsl", "gs", "cyclic"]
    param_names = ["rule"]
    timeout = 300

    def setup(self, rule):
        super().setup(rule)
        self.A, self.b, alpha_max = lasso_problem(1000, 5000)
        self.alpha = 0.01 * alpha_max
        quiet(greedy_bcd, self.A, self.b, alpha=self.alpha, rule=rule, tol=1e-4)  # compile

    def _run(self, rule):
        return quiet(greedy_bcd, self.A, self.b, alpha=self.alpha, rule=rule, tol=_gate_tol(self.b))

    def time_lasso(self, rule):
        self._run(rule)

    def peakmem_lasso(self, rule):
        self._run(rule)

    def track_epochs(self, rule):
        return self._run(rule).n_epochs

    def track_outer_iterations(self, rule):
        return self._run(rule).n_iter


class RuleEpochs(PinnedThreads):
    """Epochs to a relative gap of 1e-8 by rule alone (no working set, no Newton step): the paper's comparison."""

    params = ["gsq", "gsl", "gs", "cyclic", "random"]
    param_names = ["rule"]
    timeout = 300

    def setup(self, rule):
        super().setup(rule)
        self.A, self.b, alpha_max = lasso_problem(1000, 2000, seed=1)
        self.alpha = 0.1 * alpha_max

    def track_epochs(self, rule):
        return epochs_by_rule(self.A, self.b, self.alpha, tol=1e-8, rules=(rule,))[rule].n_epochs


def _lasso_case(n, p, fraction, peer_name):
    A, b, alpha_max = lasso_problem(n, p)
    alpha, tol = fraction * alpha_max, _gate_tol(b)

    def ours():
        return quiet(greedy_bcd, A, b, alpha=alpha, tol=tol).x

    if peer_name == "sklearn Lasso (cyclic)":
        from sklearn.linear_model import Lasso

        def peer():
            return quiet(Lasso(alpha=alpha, tol=tol, fit_intercept=False, max_iter=1_000_000).fit, A, b).coef_
    else:
        try:
            import skglm
        except ImportError:
            peer = None
        else:
            def peer():
                return quiet(skglm.Lasso(alpha=alpha, tol=1e-12, fit_intercept=False, max_iter=1000).fit, A, b).coef_

    def objective(x):
        return lasso_objective(A, b, alpha, x)

    return CompareCase(
        case=f"Lasso dataset A {n}x{p}, alpha={fraction} alpha_max, gap 1e-10",
        sparsekit=ours,
        peer=peer,
        peer_name=peer_name,
        quality=lambda sk, ref: objective(sk) <= objective(ref) + 1e-10,
        metrics={"objective": (objective, objective),
                 "nonzeros": (np.count_nonzero, np.count_nonzero)},
        setup=lambda: (ours(), peer() if peer is not None else None),
    )


class LabelPropagation(PinnedThreads):
    """greedy_label_propagation on dataset E (two moons, 5-NN graph, 2000 nodes, 100 labelled), by rule."""

    params = ["gsl", "gs"]
    param_names = ["rule"]
    timeout = 300

    def setup(self, rule):
        super().setup(rule)
        self.W, self.y, self.labeled, _ = moons_graph()

    def time_fit(self, rule):
        greedy_label_propagation(self.W, self.y, self.labeled, rule=rule, tol=1e-6)

    def track_epochs(self, rule):
        return greedy_label_propagation(self.W, self.y, self.labeled, rule=rule, tol=1e-6).n_epochs


def _label_propagation_case(n):
    W, y, labeled, _ = moons_graph(n, n // 20)
    L = W.sum(axis=1)

    def ours():
        return quiet(greedy_label_propagation, W, y, labeled, tol=1e-8, max_epochs=100_000).x

    def peer():
        return harmonic_cg(W, y, labeled, 1e-6)

    def gradient_norm(f):  # ||grad F||_inf over the unlabelled nodes
        g = L * f - W @ f
        g[labeled] = 0.0
        return float(np.abs(g).max())

    return CompareCase(
        case=f"label propagation, two moons 5-NN, {n} nodes, ours tol 1e-8, cg rtol 1e-6", sparsekit=ours, peer=peer,
        peer_name="scipy cg (Jacobi)", quality=lambda sk, ref: gradient_norm(sk) <= 2 * gradient_norm(ref),
        metrics={"gradient norm": (gradient_norm, gradient_norm)}, setup=lambda: (ours(), peer()),
    )


class MultinomialRules(PinnedThreads):
    """greedy_bcd_multinomial, l1 at 0.1 alpha_max on the dataset-A design with softmax labels (300 x 300, 10
    classes), one feature's row per block: time and epochs to a relative row violation of 1e-8, by rule."""

    params = ["gsq", "gsl", "gs", "cyclic", "random"]
    param_names = ["rule"]
    timeout = 300

    def setup(self, rule):
        super().setup(rule)
        self.A, self.y = multinomial_problem(300, 300, 10)
        self.alpha = 0.1 * multinomial_alpha_max(self.A, self.y)

    def _run(self, rule):
        return greedy_bcd_multinomial(self.A, self.y, alpha=self.alpha, rule=rule, tol=1e-8, random_state=0)

    def time_fit(self, rule):
        self._run(rule)

    def track_epochs(self, rule):
        return self._run(rule).n_epochs


class ForestBlocks(PinnedThreads):
    """greedy_label_propagation on dataset D (50 x 50 lattice, 100 labelled) to 1e-8: single coordinates
    against forest blocks solved by message passing."""

    params = ["coordinate", "forests", "greedy-forest"]
    param_names = ["blocks"]
    timeout = 300

    def setup(self, blocks):
        super().setup(blocks)
        self.W, self.y, self.labeled = lattice_graph(50, 100)

    def _run(self, blocks):
        return greedy_label_propagation(self.W, self.y, self.labeled, blocks=blocks, tol=1e-8, max_epochs=100_000)

    def time_fit(self, blocks):
        self._run(blocks)

    def track_steps(self, blocks):
        return self._run(blocks).n_steps

    def track_epochs(self, blocks):
        return self._run(blocks).n_epochs


def _multinomial_case(n, k):
    import warnings

    from sparsekit.linalg._coordinate._multinomial import multinomial_objective

    A, y = multinomial_problem(n, n, k)
    alpha = 0.1 * multinomial_alpha_max(A, y)

    def ours():
        return greedy_bcd_multinomial(A, y, alpha=alpha, tol=1e-8).x

    def peer():
        from sklearn.linear_model import LogisticRegression

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return LogisticRegression(C=1 / (alpha * n), l1_ratio=1.0, solver="saga", fit_intercept=False, tol=1e-8,
                                      max_iter=100_000).fit(A, y).coef_.T

    def objective(W):
        return multinomial_objective(A, y, W, alpha, 0.0, "l1")

    return CompareCase(
        case=f"softmax l1, dataset A design {n}x{n}, {k} classes, 0.1 alpha_max", sparsekit=ours, peer=peer,
        peer_name="sklearn LogisticRegression (saga)", quality=lambda sk, ref: objective(sk) <= objective(ref) + 1e-8,
        metrics={"objective": (objective, objective)}, setup=lambda: (ours(), peer()),
    )


def _lattice_case(side):
    W, y, labeled = lattice_graph(side, 4 * side)
    L = W.sum(axis=1)

    def ours():
        return quiet(greedy_label_propagation, W, y, labeled, blocks="forests", tol=1e-8, max_epochs=100_000).x

    def peer():
        return harmonic_cg(W, y, labeled, 1e-8)  # reaches ||grad||_inf <= 1e-8 relative, as ours

    def gradient_norm(f):
        g = L * f - W @ f
        g[labeled] = 0.0
        return float(np.abs(g).max())

    target = 1.01e-8 * gradient_norm(np.bincount(labeled, weights=y, minlength=W.shape[0]))  # x0 = 0

    return CompareCase(
        case=f"label propagation, {side}x{side} lattice, forest blocks tol 1e-8, cg rtol 1e-8", sparsekit=ours,
        peer=peer, peer_name="scipy cg (Jacobi)",
        quality=lambda sk, ref: gradient_norm(sk) <= target and gradient_norm(ref) <= target,
        metrics={"gradient norm": (gradient_norm, gradient_norm)}, setup=lambda: (ours(), peer()),
    )


def compare_cases(quick=False):
    """greedy_bcd vs sklearn's cyclic Lasso and skglm at 0.1 and 0.01 alpha_max on dataset A; label propagation
    vs SciPy's CG on dataset E and (forest blocks) on the lattice of dataset D; multinomial ℓ1 vs sklearn's
    saga."""
    if quick:
        return [_lasso_case(300, 1000, 0.01, "sklearn Lasso (cyclic)"), _label_propagation_case(500),
                _multinomial_case(150, 5), _lattice_case(20)]
    return [_lasso_case(1000, 5000, fraction, peer) for fraction in (0.1, 0.01)
            for peer in ("sklearn Lasso (cyclic)", "skglm Lasso")] + [_label_propagation_case(2000),
                                                                      _multinomial_case(300, 10), _lattice_case(50)]
