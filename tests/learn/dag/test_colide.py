import warnings

import numpy as np
import pytest

from sparsekit import ConvergenceWarning, InvalidParameterError
from sparsekit._core._testing import assert_kernel_matches_twin, assert_rejects, readonly
from sparsekit.datasets import make_linear_sem
from sparsekit.learn.dag import CoLiDE, DAGMALinear, colide, dagma_linear, is_dag, metrics, sem_score
from sparsekit.learn.dag import _colide_kernels as kernels

from . import _reference as twin

# Short schedules keep the tests fast; the path following is the same.
FAST = {"warm_iter": 4000, "max_iter": 8000}


def _mmatrix(d, radius, rng):
    """``I - W o W`` with spectral radius ``radius`` of ``W o W``: an M-matrix iff radius < 1."""
    squares = rng.uniform(0.0, 1.0, (d, d))
    squares *= radius / np.max(np.abs(np.linalg.eigvals(squares)))
    return np.eye(d) - squares


@pytest.mark.kernel
@pytest.mark.parametrize("d", [7, kernels.INVERSE_BLOCK + 1, 61])
def test_mmatrix_inverse_matches_twin(d):
    rng = np.random.default_rng(d)
    inside = _mmatrix(d, 0.9, rng)
    assert_kernel_matches_twin(kernels.mmatrix_inverse, twin.mmatrix_inverse, inside, rtol=1e-10, atol=1e-12)
    outside = _mmatrix(d, 1.1, rng)
    assert kernels.mmatrix_inverse(outside.copy())[0] is False
    assert twin.mmatrix_inverse(outside.copy())[0] is False


@pytest.mark.kernel
def test_gauss_jordan_base_case_matches_twin():
    a = _mmatrix(9, 0.7, np.random.default_rng(1))
    assert_kernel_matches_twin(kernels.gauss_jordan_mmatrix_inverse, twin.mmatrix_inverse, a, rtol=1e-10,
                               atol=1e-12)


def _chunk_args(mode, n_iter, lr=3e-4, start=None, first_iter=1, may_backtrack=True, s=1.0, seed=0):
    X, _ = make_linear_sem(300, 6, 8, random_state=seed)
    centred = X - X.mean(axis=0)
    cov = centred.T @ centred / X.shape[0]
    d = cov.shape[0]
    W = np.zeros((d, d)) if start is None else start.copy()
    return (cov, W, np.ones(d), np.zeros((d, d)), np.zeros((d, d)), np.zeros((d, d)), 0.5, 0.05, s, lr, 0.99,
            0.999, mode, 1e-8, first_iter, n_iter, may_backtrack)


@pytest.mark.kernel
@pytest.mark.parametrize("mode", [0, 1, 2])
def test_adam_chunk_matches_twin(mode):
    args = _chunk_args(mode, 40)
    assert_kernel_matches_twin(kernels.adam_chunk, twin.adam_chunk, *args, rtol=1e-9, atol=1e-13)
    cov, W, *rest = args
    kernels.adam_chunk(readonly(cov), W, *rest)  # a read-only covariance works


@pytest.mark.kernel
def test_adam_chunk_domain_recovery_matches_twin():
    # A large step throws W out of the domain: backtracking (first stage), or a restart request.
    status, done, lr = kernels.adam_chunk(*_chunk_args(1, 30, lr=1.0))
    assert status == kernels.CHUNK_COMPLETED and lr == 0.25 and done == 30
    assert_kernel_matches_twin(kernels.adam_chunk, twin.adam_chunk, *_chunk_args(1, 30, lr=1.0), rtol=1e-9,
                               atol=1e-13)
    no_backtracking = _chunk_args(1, 30, lr=1.0, s=0.9, may_backtrack=False)
    assert kernels.adam_chunk(*no_backtracking) == (kernels.CHUNK_LEFT_DOMAIN, 1, 1.0)
    assert_kernel_matches_twin(kernels.adam_chunk, twin.adam_chunk,
                               *_chunk_args(1, 30, lr=1.0, s=0.9, may_backtrack=False), rtol=1e-9, atol=1e-13)
    outside = np.full((6, 6), 0.9) - 0.9 * np.eye(6)
    status, done, _ = kernels.adam_chunk(*_chunk_args(1, 5, start=outside))
    assert (status, done) == (kernels.CHUNK_LEFT_DOMAIN, 0)


@pytest.mark.parametrize("noise_scale", [1.0, 3.0])
def test_colide_ev_recovers_the_graph_and_the_noise_scale(noise_scale):
    X, W = make_linear_sem(1000, 10, 15, noise_scale=noise_scale, random_state=2)
    result = colide(X, **FAST)
    assert metrics.structural_hamming_distance(W, result.adjacency) == 0
    assert result.noise_scale == pytest.approx(noise_scale, rel=0.05)
    assert result.converged and result.status == 0 and is_dag(result.adjacency)
    assert result.score == pytest.approx(sem_score(X, result.adjacency, variant="ev", alpha=0.05))
    assert len(result.stages) == 4 and [s["s"] for s in result.stages] == [1.0, 0.9, 0.8, 0.7]
    assert result.n_iter == sum(s["n_iter"] for s in result.stages)


def test_colide_nv_recovers_per_node_scales():
    scales = np.array([0.5, 2.0, 1.0, 3.0, 0.7, 1.5, 2.5, 1.0])
    X, W = make_linear_sem(2000, 8, 8, noise_scale=scales, random_state=3)
    result = colide(X, variant="nv", **FAST)
    assert metrics.structural_hamming_distance(W, result.adjacency) == 0
    np.testing.assert_allclose(result.noise_scale, scales, rtol=0.08)
    assert result.score == pytest.approx(sem_score(X, result.adjacency, variant="nv", alpha=0.05))


def test_dagma_linear_matches_the_dagma_package():
    linear = pytest.importorskip("dagma.linear")
    X, W = make_linear_sem(500, 6, 8, random_state=4)
    options = {"warm_iter": 3000, "max_iter": 6000}
    ours = dagma_linear(X, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = linear.DagmaLinear("l2").fit(X.copy(), lambda1=0.03, **options)
    np.testing.assert_allclose(ours.adjacency, peer, atol=2e-3)
    assert metrics.structural_hamming_distance(W, ours.adjacency) == 0


def test_stopping_rule_and_histories():
    X, _ = make_linear_sem(200, 5, 5, random_state=5)
    # With tol = 1 every stage stops at its second checkpoint (the first has no previous objective).
    result = colide(X, tol=1.0, checkpoint=100)
    assert [s["n_iter"] for s in result.stages] == [200] * 4 and result.n_iter == 800
    assert result.objective_history.size == 8 and result.converged
    with pytest.warns(ConvergenceWarning, match="max_iter=300"):
        result = colide(X, tol=0.0, warm_iter=200, max_iter=300, checkpoint=100)
    assert not result.converged and result.status == 1 and result.n_iter == 3 * 200 + 300
    assert [s["outcome"] for s in result.stages] == ["max_iter"] * 4


def test_callback_and_verbose(caplog):
    X, _ = make_linear_sem(200, 5, 5, random_state=6)
    seen = []

    def stop_in_second_stage(state):
        seen.append((state.stage, state.n_iter))
        return state.stage == 1

    with caplog.at_level("INFO", logger="sparsekit"):
        result = colide(X, variant="nv", callback=stop_in_second_stage, checkpoint=500, verbose=1, **FAST)
    assert result.status == 2 and not result.converged and seen[-1][0] == 1 and len(result.stages) == 2
    assert np.all(np.diff([n for _, n in seen]) == 500) and result.noise_scale.shape == (5,)
    assert any("colide-nv" in record.name for record in caplog.records)


def test_restart_with_larger_s_when_a_stage_leaves_the_domain():
    X, _ = make_linear_sem(500, 8, 12, random_state=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = colide(X, lr=0.3, **FAST)
    # Stage 3 (s = 0.8) leaves the domain and restarts with s = 0.9 and half the learning rate.
    assert [(stage["restarts"], stage["lr"]) for stage in result.stages] == [(0, 0.3), (0, 0.3), (1, 0.15),
                                                                           (1, 0.15)]
    assert [stage["s"] for stage in result.stages] == pytest.approx([1.0, 0.9, 0.9, 0.8])
    assert is_dag(result.adjacency)


def test_output_is_acyclic_even_without_threshold():
    X, _ = make_linear_sem(300, 8, 16, random_state=8)
    with pytest.warns(ConvergenceWarning):
        result = colide(X, w_threshold=0.0, warm_iter=500, max_iter=500)
    assert is_dag(result.adjacency) and np.count_nonzero(result.adjacency) > 16


def test_bad_and_degenerate_input():
    X, W = make_linear_sem(300, 5, 5, random_state=9)
    assert_rejects(colide, np.where(np.eye(300, 5) == 1, np.nan, X), naming="X")
    assert_rejects(colide, X[:1], naming="at least 2 samples")
    assert_rejects(colide, X[:, 0], naming="X")
    assert_rejects(colide, X, s_schedule=(1.0, -0.5), naming="s_schedule")
    with pytest.raises(InvalidParameterError, match="'variant' parameter"):
        colide(X, variant="xv")
    with pytest.raises(InvalidParameterError, match="'lr' parameter"):
        dagma_linear(X, lr=0.0)

    one_column = colide(X[:, :1])
    assert one_column.adjacency.shape == (1, 1) and not one_column.adjacency.any() and one_column.converged
    assert one_column.noise_scale == pytest.approx(X[:, 0].std())

    with_constant = np.column_stack([X, np.full(300, 7.0)])
    before = with_constant.copy()
    result = colide(with_constant, variant="nv")
    np.testing.assert_array_equal(with_constant, before)
    assert not result.adjacency[5].any() and not result.adjacency[:, 5].any() and result.noise_scale[5] == 0
    np.testing.assert_allclose(result.noise_scale[:5], 1.0, rtol=0.25)
    assert metrics.structural_hamming_distance(W, colide(with_constant).adjacency[:5, :5]) == 0
    constant_only = colide(np.ones((10, 3)))
    assert not constant_only.adjacency.any() and constant_only.noise_scale == 0.0


@pytest.mark.parametrize("run, caller", [
    (lambda X: colide(X, tol=0.0, warm_iter=200, max_iter=300, checkpoint=100), "colide"),
    (lambda X: CoLiDE(tol=0.0, warm_iter=200, max_iter=300, checkpoint=100).fit(X), "colide"),
    (lambda X: DAGMALinear(tol=0.0, warm_iter=200, max_iter=300, checkpoint=100).fit(X), "dagma_linear"),
], ids=["colide", "CoLiDE", "DAGMALinear"])
def test_one_convergence_warning_at_the_callers_line(run, caller):
    X, _ = make_linear_sem(200, 5, 5, random_state=5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(X)
    [w] = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert w.filename == __file__ and str(w.message).startswith(f"{caller}: the last stage reached max_iter=300")
