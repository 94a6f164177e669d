"""Fractional coordinate descent: the 1-D solvers against brute force, kernels against twins, solvers end to end."""

import numpy as np
import pytest
import scipy.sparse as sp

from sparsekit import ConvergenceWarning
from sparsekit._core._testing import assert_kernel_matches_twin
from sparsekit.linalg import fractional_cd, fractional_l4_cd
from sparsekit.linalg._fractional import _fractional_cd_kernels as K

GRID = np.linspace(-6.0, 6.0, 60001)


def _ratio(G, y, x, lam, k):
    r = G @ x - y
    return (0.5 * r @ r + lam * np.abs(x).sum()) / (lam * np.sort(np.abs(x))[::-1][:k].sum())


def _subproblems(seed):
    """Consistent 1-D data from a real least-squares problem: ``g = c . r`` and ``rr = ||r||^2``."""
    rng = np.random.default_rng(seed)
    c, r = rng.standard_normal(5), rng.standard_normal(5)
    xi, lam, l1o = rng.standard_normal(), 0.05 + rng.random(), 3.0 * rng.random()
    P, v = 2.0 * rng.random() * (seed % 3 != 0), rng.random() * (seed % 4 != 0)
    return float(r @ r), float(c @ r), float(c @ c) + 1e-5, xi, l1o, lam, P, v


@pytest.mark.parametrize("seed", range(24))
def test_fcd_step_is_the_global_minimiser(seed):
    rr, g, curv, xi, l1o, lam, P, v = _subproblems(seed)
    z = K.frac_l1topk_1d(rr, g, curv, xi, l1o, lam, P, v)
    t = GRID - xi
    den = lam * (P + np.maximum(np.abs(GRID), v))
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(den > 0, (0.5 * rr + t * (g + 0.5 * curv * t) + lam * (l1o + np.abs(GRID))) / den, np.inf)
    fz = (0.5 * rr + (z - xi) * (g + 0.5 * curv * (z - xi)) + lam * (l1o + abs(z))) / (lam * (P + max(abs(z), v)))
    assert fz <= f.min() + 1e-12 * abs(f.min())
    assert_kernel_matches_twin(K.frac_l1topk_1d, K.frac_l1topk_1d_twin, rr, g, curv, xi, l1o, lam, P, v)


@pytest.mark.parametrize("seed", range(24))
def test_pcd_step_is_the_global_minimiser(seed):
    _, g, curv, xi, _, lam, _, v = _subproblems(seed)
    clam = 3.0 * lam * np.random.default_rng(seed).random()
    z = K.diff_l1topk_1d(g, curv, xi, lam, clam, v)

    def phi(z):
        t = z - xi
        return t * (g + 0.5 * curv * t) + lam * np.abs(z) - clam * np.maximum(np.abs(z), v)

    assert phi(z) <= phi(GRID).min() + 1e-12
    assert_kernel_matches_twin(K.diff_l1topk_1d, K.diff_l1topk_1d_twin, g, curv, xi, lam, clam, v)


@pytest.mark.parametrize("seed", range(16))
def test_quartic_step_is_the_global_minimiser(seed):
    rng = np.random.default_rng(seed)
    a, b, x = rng.standard_normal(7), rng.standard_normal(7), rng.standard_normal(3)
    q = [np.sum(b**4), 4 * np.sum(a * b**3), 6 * np.sum(a**2 * b**2), 4 * np.sum(a**3 * b), np.sum(a**4)]
    args = (1.0, 2 * x[0], x @ x, q[4], q[3], q[2], q[1], q[0])
    t = K.quartic_ratio_1d(*args)

    def ratio(t):
        t = np.atleast_1d(t)
        return (x @ x + 2 * x[0] * t + t * t) / np.sqrt(np.sum((b[:, None] + t[None] * a[:, None]) ** 4, axis=0))

    assert ratio(t)[0] <= ratio(GRID).min() * (1 + 1e-12)
    assert_kernel_matches_twin(K.quartic_ratio_1d, K.quartic_ratio_1d_twin, *args, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("k", [1, 3, 6])
@pytest.mark.parametrize("a", [5.0, 3.0, 1.0, 0.0])
def test_topk_split_and_sorted_replace_match_twins(k, a):
    sv = np.array([5.0, 4.0, 3.0, 3.0, 1.0, 0.0, 0.0])
    assert_kernel_matches_twin(K.topk_split, K.topk_split_twin, sv, k, a)
    for new in (0.0, 2.5, 4.5, 6.0):
        assert_kernel_matches_twin(K.sorted_replace, K.sorted_replace_twin, sv, a, new)


def _problem(m=30, n=40, seed=0):
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((m, n))
    x = np.zeros(n)
    x[:4] = rng.standard_normal(4)
    return G, G @ x + 0.05 * rng.standard_normal(m)


@pytest.mark.parametrize("parametric", [False, True])
def test_epoch_kernels_match_twin_and_each_other(parametric):
    G, y = _problem()
    x = 0.1 * np.random.default_rng(1).standard_normal(40)
    r = G @ x - y
    sv = np.concatenate([np.sort(np.abs(x))[::-1], [0.0]])
    state = np.array([r @ r, np.abs(x).sum(), sv[:4].sum()])
    colsq = (G * G).sum(axis=0)
    args = (r, x, sv, state, colsq, 4, 0.1, 1e-5, parametric)
    assert_kernel_matches_twin(K.ratio_epoch_dense, K.ratio_epoch_twin, np.asfortranarray(G), *args, rtol=1e-9)
    csc = sp.csc_matrix(G)
    dense_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    assert np.isclose(K.ratio_epoch_csc(csc.indptr, csc.indices, csc.data, *args),
                      K.ratio_epoch_dense(np.asfortranarray(G), *dense_args), rtol=1e-9)
    np.testing.assert_allclose(args[1], dense_args[1], rtol=1e-9, atol=1e-12)


def test_l4_epoch_matches_twin():
    A = np.asfortranarray(np.random.default_rng(3).standard_normal((30, 6)))
    x = np.random.default_rng(4).standard_normal(6)
    assert_kernel_matches_twin(K.l4_epoch, K.l4_epoch_twin, A, A @ x, x, np.array([x @ x]), 1e-5,
                               rtol=1e-8, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sparsekit.ConvergenceWarning")  # Dinkelbach's decrease is sublinear
@pytest.mark.parametrize("method", ["fcd", "pcd", "dinkelbach"])
def test_ratio_is_monotone_and_matches_the_objective(method):
    G, y = _problem()
    res = fractional_cd(G, y, k=4, lam=0.1, method=method, tol=1e-8, maxiter=1000, random_state=0)
    assert res.converged or method == "dinkelbach"
    assert np.all(np.diff(res.ratios) <= 1e-12 * res.ratios[:-1])
    assert res.ratio == pytest.approx(_ratio(G, y, res.x, 0.1, 4), rel=1e-10)


@pytest.mark.filterwarnings("ignore::sparsekit.ConvergenceWarning")  # Dinkelbach's slow tail
def test_cd_beats_dinkelbach_and_recovers_the_support():
    G, y = _problem(60, 80, seed=2)
    fcd = fractional_cd(G, y, k=4, lam=0.1, random_state=0)
    pcd = fractional_cd(G, y, k=4, lam=0.1, method="pcd", random_state=0)
    dpa = fractional_cd(G, y, k=4, lam=0.1, method="dinkelbach", inner=100, maxiter=300,
                        random_state=0)
    assert max(fcd.ratio, pcd.ratio) <= dpa.ratio * (1 + 1e-9)
    assert fcd.n_iter < dpa.n_iter
    assert set(np.argsort(np.abs(fcd.x))[-4:]) == {0, 1, 2, 3}


@pytest.mark.filterwarnings("ignore::sparsekit.ConvergenceWarning")  # the same iterates either way, converged or not
def test_sparse_input_gives_the_dense_iterates():
    G, y = _problem()
    G[np.abs(G) < 0.8] = 0.0
    for method in ("fcd", "pcd"):
        dense = fractional_cd(G, y, k=4, lam=0.1, method=method, maxiter=100, random_state=0)
        sparse = fractional_cd(sp.csr_array(G), y, k=4, lam=0.1, method=method, maxiter=100, random_state=0)
        np.testing.assert_allclose(sparse.x, dense.x, rtol=1e-8, atol=1e-12)
        assert sparse.n_iter == dense.n_iter


def test_float32_stays_float32():
    G, y = _problem()
    res = fractional_cd(G.astype(np.float32), y.astype(np.float32), k=4, lam=0.1, random_state=0, tol=1e-6)
    assert res.x.dtype == np.float32
    assert res.ratio == pytest.approx(_ratio(G, y, res.x.astype(float), 0.1, 4), rel=1e-4)


def test_stopping_rule_and_callback():
    G, y = _problem()
    res = fractional_cd(G, y, k=4, lam=0.1, random_state=0, tol=1e-6, window=5)
    r = res.ratios
    assert (r[-6] - r[-1]) <= 1e-6 * 5 * r[-1] < (r[-7] - r[-2])
    stopped = fractional_cd(G, y, k=4, lam=0.1, random_state=0, callback=lambda xk: True)
    assert stopped.status == 2 and stopped.n_iter == 1 and not stopped.converged


def test_bad_input_is_named():
    G, y = _problem()
    with pytest.raises(ValueError, match="x0"):
        fractional_cd(G, y, np.zeros(40), k=4)
    with pytest.raises(ValueError, match="k"):
        fractional_cd(G, y, k=41)
    with pytest.raises(ValueError, match="y"):
        fractional_cd(G, y[:-1], k=4)
    G[:, 3] = 0.0
    with pytest.raises(ValueError, match="theta"):
        fractional_cd(G, y, k=4, theta=0.0)
    with pytest.warns(ConvergenceWarning, match="maxiter"):  # a zero column is fine with the default theta
        assert np.isfinite(fractional_cd(G, y, k=4, maxiter=5, tol=0.0).ratio)
    with pytest.raises(ValueError, match="A"):
        fractional_l4_cd(np.zeros((5, 3)))


def test_l4_ratio_matches_lbfgs_and_decreases():
    from sparsekit._tour.linalg_fractional import lbfgs_l4

    A = np.random.default_rng(1).standard_normal((40, 6))
    res = fractional_l4_cd(A, random_state=0)
    assert res.converged
    assert np.all(np.diff(res.ratios) <= 1e-12 * res.ratios[:-1])
    peer = min(lbfgs_l4(A, np.random.default_rng(seed).standard_normal(6)).fun for seed in range(5))
    assert res.ratio <= peer * (1 + 1e-8)
    assert res.ratio == pytest.approx(1.0 / np.linalg.norm(A @ res.x, 4) ** 2, rel=1e-10)
    np.testing.assert_allclose(fractional_l4_cd(2.0**300 * A, random_state=0).x, res.x, rtol=1e-14)
