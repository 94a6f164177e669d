"""The solve front door and its registry, exact OT, cost matrices and Wasserstein distances."""

import numpy as np
import pytest
from scipy import sparse
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

import sparsekit
from sparsekit._core._testing import assert_rejects
from sparsekit.ot import OT_METHODS, cost_matrix, emd, solve, wasserstein


def clouds(n, m=None, seed=0):
    rng = np.random.default_rng(seed)
    return cost_matrix(rng.random((n, 2)), rng.random((m or n, 2)))


def test_registry_lists_every_method():
    assert OT_METHODS.names() == ["emd", "sinkhorn", "sns", "sparse", "quadratic"]
    assert "exact" in OT_METHODS and "sinkhorn_newton_sparse" in OT_METHODS
    for method in OT_METHODS:
        assert method.summary, method.name


@pytest.mark.parametrize(
    ("method", "reg", "options"),
    [("emd", None, {}), ("sinkhorn", 5e-2, {}), ("sns", 5e-3, {}), ("sparse", 0.1, {"k": 2}),
     ("quadratic", 0.1, {})],
)
def test_every_method_solves_through_the_front_door(method, reg, options):
    M = clouds(30, 25)
    M /= M.max()
    res = solve(None, None, M, reg, method=method, **options)
    plan = res.plan.toarray() if hasattr(res.plan, "toarray") else np.asarray(res.plan)
    assert res.converged and plan.shape == (30, 25)
    np.testing.assert_allclose(plan.sum(axis=1), 1 / 30, atol=1e-9)
    np.testing.assert_allclose(plan.sum(axis=0), 1 / 25, atol=1e-9)
    assert res.cost == pytest.approx((plan * M).sum(), rel=1e-9)


def test_default_method_follows_reg():
    M = clouds(10)
    assert solve(None, None, M).method.startswith("emd")
    assert solve(None, None, M, 1.0).method.startswith("sinkhorn")


def test_front_door_errors():
    M = clouds(5)
    with pytest.raises(ValueError, match="known methods: 'emd', 'sinkhorn'"):
        solve(None, None, M, method="greenkhorn")
    with pytest.raises(TypeError, match="unexpected option"):
        solve(None, None, M, 1.0, method="sinkhorn", k=3)
    with pytest.raises(ValueError, match="pass reg=None"):
        solve(None, None, M, 1.0, method="emd")
    with pytest.raises(ValueError, match="needs a regularisation"):
        solve(None, None, M, method="sns")
    with pytest.raises(sparsekit.InvalidParameterError, match="'k' parameter"):
        solve(None, None, M, 0.1, method="sparse", k=0)
    # used to be "_solve_sparse() missing 1 required keyword-only argument: 'k'"
    with pytest.raises(TypeError, match="method='sparse' needs the option k"):
        solve(None, None, M, 0.1, method="sparse")
    # emd checked max_iter only when reached through solve: a direct emd(max_iter=-5) was POT's OverflowError
    assert_rejects(emd, None, None, M, max_iter=-5, naming="max_iter", error=sparsekit.InvalidParameterError)
    with pytest.raises(ValueError, match="needs a regularisation"):
        solve(None, None, M, method="sparse", k=2)


def test_emd_is_optimal():
    M = clouds(40, 30, seed=1)
    a = np.random.default_rng(2).random(40)
    a[5] = 0.0
    a /= a.sum()
    res = emd(a, None, M)
    assert res.converged and res.plan.shape == (40, 30) and (res.plan[5] == 0).all()
    # complementary slackness: f_i + g_j <= M_ij, with equality where the plan is positive
    slack = M - res.f[:, None] - res.g[None, :]
    assert slack.min() >= -1e-10 and np.abs(slack[res.plan > 1e-12]).max() <= 1e-10
    assert res.cost == pytest.approx(res.f @ a + res.g @ np.full(30, 1 / 30), rel=1e-9)


def test_emd_without_pot_uses_highs(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None if name == "ot" else real(name, *args))
    M = clouds(12, 9)
    res = emd(None, None, M)
    assert res.method == "emd (HiGHS)" and res.converged
    monkeypatch.undo()
    assert res.cost == pytest.approx(emd(None, None, M).cost, rel=1e-9)


def test_wasserstein_matches_scipy_in_one_dimension():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(40), rng.standard_normal(30) + 1.0
    D = cost_matrix(x, y, metric="euclidean")
    assert wasserstein(None, None, D, p=1) == pytest.approx(wasserstein_distance(x, y), rel=1e-9)
    # entropic W1 approaches the exact one as reg shrinks
    assert wasserstein(None, None, D, p=1, reg=1e-3) == pytest.approx(wasserstein_distance(x, y), rel=2e-2)
    assert wasserstein(None, None, D, p=2) >= wasserstein(None, None, D, p=1)
    with pytest.raises(ValueError, match="'p' parameter of wasserstein must be"):
        wasserstein(None, None, D, p=0.5)


@pytest.mark.parametrize("metric", ["sqeuclidean", "euclidean", "cityblock", "chebyshev", "cosine", "minkowski"])
def test_cost_matrix_matches_cdist(metric):
    rng = np.random.default_rng(0)
    x, y = rng.random((7, 3)), rng.random((5, 3))
    extra = {"p": 3.0} if metric == "minkowski" else {}
    np.testing.assert_allclose(cost_matrix(x, y, metric=metric, **extra), cdist(x, y, metric=metric, **extra),
                               atol=1e-12)
    assert (cost_matrix(x, metric=metric, **extra).diagonal() >= 0).all()


def test_cost_matrix_bad_input():
    assert_rejects(cost_matrix, np.ones((3, 2)), np.ones((3, 3)), naming="dimension")
    assert_rejects(cost_matrix, np.full((3, 2), np.nan), naming="x")
    assert_rejects(cost_matrix, np.ones((3, 2)), metric="hamming", naming="metric",
                   error=sparsekit.InvalidParameterError)


def test_wasserstein_validates_the_ground_distance():
    # M used to go through np.asarray(M, float64) first: complex M lost its imaginary part with only a
    # ComplexWarning, sparse M failed with "setting an array element with a sequence", and a negative
    # entry with p=2 was silently squared into a positive cost.
    M = clouds(4)
    assert_rejects(wasserstein, None, None, M + 1j, error=TypeError, naming="M")
    assert_rejects(wasserstein, None, None, sparse.csr_array(M), error=TypeError, naming="M")
    assert_rejects(wasserstein, None, None, M - 0.5, p=2, naming="M")
    assert wasserstein(None, None, M.tolist(), p=2) == pytest.approx(wasserstein(None, None, M, p=2))


@pytest.mark.parametrize("method, reg", [("emd", None), ("sinkhorn", 0.5)])
def test_empty_masses_are_refused_only_none_means_uniform(method, reg):
    # An empty a/b used to be read as uniform (POT's spelling) and reported converged: a fuzzed empty
    # array is far likelier a bug than a request for uniform masses.
    M = clouds(4, 3)
    for empty in ([], np.array([]), np.empty(0, dtype=np.float32)):
        with pytest.raises(ValueError, match="a must not be empty"):
            solve(empty, None, M, reg, method=method)
        with pytest.raises(ValueError, match="b must not be empty"):
            solve(None, empty, M, reg, method=method)