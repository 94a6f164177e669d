"""solve_batch: many OT problems, here or on a Dask client, with the plans of the serial run."""

import warnings

import numpy as np
import pytest

from sparsekit import ConvergenceWarning
from sparsekit.ot import cost_matrix, solve, solve_batch


def _clouds(count, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(30, 2)), rng.normal(size=(25, 2)) + 1.0) for _ in range(count)]


def _same_plans(res, ref):
    return all(np.array_equal(np.asarray(p), np.asarray(q)) for p, q in zip(res.plan, ref.plan))


def test_each_problem_is_solve_on_its_data():
    clouds = _clouds(3)
    a = np.full(30, 1 / 30)
    b = np.linspace(1, 2, 25) / np.linspace(1, 2, 25).sum()
    problems = [clouds[0], (None, None, cost_matrix(*clouds[1])), (a, b, *clouds[2])]
    res = solve_batch(problems, 0.1)
    assert res.converged and res.n_problems == 3 and res.n_batches == 3
    expected = [solve(None, None, cost_matrix(*clouds[0]), 0.1), solve(None, None, cost_matrix(*clouds[1]), 0.1),
                solve(a, b, cost_matrix(*clouds[2]), 0.1)]
    for got, want in zip(res.results, expected):
        np.testing.assert_array_equal(np.asarray(got.plan), np.asarray(want.plan))
        assert got.cost == want.cost and got.n_iter == want.n_iter
    np.testing.assert_array_equal(res.cost, [r.cost for r in expected])
    np.testing.assert_allclose(np.asarray(res.plan[2]).sum(axis=0), b, atol=1e-8)
    assert [r.index for r in res.results] == [0, 1, 2]


def test_generator_method_and_options():
    res = solve_batch((p for p in _clouds(4)), 0.5, method="sns", metric="euclidean", max_iter=100)
    assert res.converged and res.n_problems == 4
    assert all(r.method.startswith("sinkhorn_newton_sparse") for r in res.results)
    exact = solve_batch(_clouds(2))
    assert exact.converged and all(r.method.startswith("emd") for r in exact.results)


def test_one_warning_for_the_batch_and_the_callback_stops():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = solve_batch(_clouds(3), 0.01, max_iter=1)
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert caught[0].filename == __file__
    assert res.status == 1 and not res.problem_converged.any()
    seen = []
    res = solve_batch(_clouds(4), 0.5, callback=lambda r: seen.append(r.index) or r.index == 1)
    assert res.status == 2 and seen == [0, 1] and res.n_problems == 2


def test_bad_problems_are_named():
    good = _clouds(1)[0]
    with pytest.raises(TypeError, match=r"problems\[1\]"):
        solve_batch([good, (np.ones(3),)], 0.5)
    with pytest.raises(ValueError, match=r"problems\[1\]: M"):
        solve_batch([good, (None, None, np.full((3, 3), np.nan))], 0.5)
    with pytest.raises(ValueError, match="batch_size"):
        solve_batch([good], 0.5, batch_size=0)
    with pytest.raises(ValueError, match="at least one"):
        solve_batch([], 0.5)
    with pytest.raises(TypeError, match="no_such_option"):
        solve_batch([good], 0.5, no_such_option=1)
    with pytest.raises(TypeError, match="client"):
        solve_batch([good], 0.5, client=object())


@pytest.mark.dask
def test_client_batches_equal_the_serial_run():
    distributed = pytest.importorskip("distributed")
    problems = _clouds(7)
    serial = solve_batch(problems, 0.05)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        res = solve_batch(iter(problems), 0.05, client=client, batch_size=3)
        with pytest.raises(ValueError, match=r"problems\[1\]: M"):
            solve_batch([problems[0], (None, None, np.full((3, 3), np.inf))], 0.5, client=client)
    assert res.converged and _same_plans(res, serial)
    np.testing.assert_array_equal(res.batch, [0, 0, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(res.n_iter, serial.n_iter)
