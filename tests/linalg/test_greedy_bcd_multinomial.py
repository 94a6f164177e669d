"""greedy_bcd_multinomial: kernel twins, gradient, objective against scikit-learn, the rules' epochs, bad input."""

import warnings

import numpy as np
import pytest
from scipy import sparse

from sparsekit._core._testing import assert_kernel_matches_twin, readonly
from sparsekit.linalg import greedy_bcd_multinomial
from sparsekit.linalg._coordinate import _multinomial_kernels as K
from sparsekit.linalg._coordinate._multinomial import _state, multinomial_objective


def _problem(seed=0, n=120, p=30, k=4, density=None):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, p)) * rng.uniform(0.1, 4.0, p)  # uneven column norms: where GSL pays
    if density is not None:
        A = np.where(rng.random((n, p)) < density, A, 0.0)
    y = np.argmax(A[:, :k] / np.linalg.norm(A[:, :k], axis=0) * 5 + rng.standard_normal((n, k)), axis=1)
    return A, y


def _kernel_args(seed, rule, penalty, block_size, variable, l2=0.01):
    A, y = _problem(seed, n=40, p=10, k=3, density=0.6)
    As = sparse.csc_array(A)
    Ar = sparse.csr_array(A)
    n, p = A.shape
    W = np.zeros((p, 3))
    W[:2] = 0.1
    Y = np.eye(3)[y]
    Z, P, G = _state(As, Y, W, l2)
    L = (A**2).sum(axis=0) / (2 * n) + l2
    idx = np.argsort(L, kind="mergesort").astype(np.int64)
    ptr = np.unique(np.r_[np.arange(0, p, block_size), p]).astype(np.int64)
    block_L = np.array([np.linalg.eigvalsh(A[:, idx[a:c]].T @ A[:, idx[a:c]])[-1] / (2 * n) + l2
                        for a, c in zip(ptr[:-1], ptr[1:])])
    order = np.random.default_rng(seed).permutation(len(ptr) - 1).astype(np.int64)
    return (readonly(As.indptr), As.indices, As.data, Ar.indptr, Ar.indices, Ar.data, y.astype(np.int64), Z, P, G,
            W, L, 0.02, l2, penalty, rule, ptr, idx, block_L, block_size if variable else 0, order, 12, 1e-12)


@pytest.mark.parametrize("penalty", [0, 1])
@pytest.mark.parametrize("rule,block_size,variable", [
    (rule, size, False) for rule in (0, 1, 2, -1) for size in (1, 3)] + [(rule, 3, True) for rule in (0, 1, 2)])
def test_kernel_matches_twin(rule, penalty, block_size, variable):
    args = _kernel_args(rule + 5, rule, penalty, block_size, variable)
    assert_kernel_matches_twin(K.multinomial_cd, K.multinomial_cd_twin, *args, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("penalty", [0, 1])
def test_row_violation_matches_twin(penalty):
    rng = np.random.default_rng(1)
    for w in (np.zeros(4), rng.standard_normal(4), np.array([0.0, 1.0, -2.0, 0.0])):
        g = rng.standard_normal(4)
        assert_kernel_matches_twin(K.row_violation, K.row_violation_twin, g, w, 0.3, penalty, rtol=1e-12)


def test_maintained_gradient_matches_finite_differences():
    args = list(_kernel_args(3, 2, 0, 1, False))
    K.multinomial_cd(*args)  # 12 updates keep Z, P and G up to date in place
    As = sparse.csc_array((args[2], args[1], args[0]), shape=(40, 10))
    y, G, W, l2 = args[6], args[9], args[10], args[13]
    f = lambda V: multinomial_objective(As, y, V, 0.0, l2, "l1")  # noqa: E731
    numeric = np.zeros_like(W)
    for j, k in np.ndindex(*W.shape):
        E = np.zeros_like(W)
        E[j, k] = 1e-6
        numeric[j, k] = (f(W + E) - f(W - E)) / 2e-6
    np.testing.assert_allclose(G, numeric, atol=1e-8)


def test_objective_matches_sklearn_ridge_and_l1():
    from sklearn.linear_model import LogisticRegression

    A, y = _problem(2)
    n = len(y)
    C = 0.5
    ridge = greedy_bcd_multinomial(A, y, l2=1 / (C * n), tol=1e-10, max_epochs=5000)
    l1 = greedy_bcd_multinomial(A, y, alpha=1 / (C * n), tol=1e-10, max_epochs=5000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_ridge = LogisticRegression(C=C, fit_intercept=False, tol=1e-12, max_iter=10_000).fit(A, y)
        ref_l1 = LogisticRegression(C=C, l1_ratio=1.0, solver="saga", fit_intercept=False, tol=1e-12,
                                    max_iter=100_000).fit(A, y)
    f_ridge = multinomial_objective(A, y, ref_ridge.coef_.T, 0.0, 1 / (C * n), "l1")
    f_l1 = multinomial_objective(A, y, ref_l1.coef_.T, 1 / (C * n), 0.0, "l1")
    assert ridge.converged and l1.converged
    assert abs(ridge.objective - f_ridge) <= 1e-10 and abs(l1.objective - f_l1) <= 1e-9
    np.testing.assert_allclose(ridge.x, ref_ridge.coef_.T, atol=1e-5)
    assert np.array_equal(ridge.classes, ref_ridge.classes_)


def test_group_penalty_zeroes_whole_rows_and_sparse_input_agrees():
    A, y = _problem(4, density=0.5)
    dense = greedy_bcd_multinomial(A, y, alpha=0.03, penalty="group", tol=1e-10)
    for fmt in ("csr", "coo"):
        res = greedy_bcd_multinomial(sparse.csc_array(A).asformat(fmt), y, alpha=0.03, penalty="group", tol=1e-10)
        np.testing.assert_allclose(res.x, dense.x, atol=1e-10)
    rows = np.linalg.norm(dense.x, axis=1)
    assert 0 < np.count_nonzero(rows) < A.shape[1]
    assert np.all((rows == 0) == np.all(dense.x == 0, axis=1))


def test_greedy_rules_need_fewer_epochs_than_cyclic_and_random():
    A, y = _problem(5, n=150, p=40)
    epochs = {rule: greedy_bcd_multinomial(A, y, alpha=0.01, rule=rule, tol=1e-8, max_epochs=5000,
                                           random_state=0).n_epochs
              for rule in ("gsq", "gsl", "gs", "cyclic", "random")}
    # Measured: gsq, gsl and gs need about half the epochs of cyclic and random selection; margin 0.75.
    assert max(epochs["gsq"], epochs["gsl"], epochs["gs"]) < 0.75 * min(epochs["cyclic"], epochs["random"])


def test_callback_and_non_convergence():
    from sparsekit import ConvergenceWarning

    A, y = _problem()
    res = greedy_bcd_multinomial(A, y, alpha=0.01, tol=1e-12, callback=lambda W: True)
    assert res.status == 2 and not res.converged
    with pytest.warns(ConvergenceWarning):
        res = greedy_bcd_multinomial(A, y, alpha=0.01, tol=1e-12, max_epochs=1)
    assert res.status == 1


@pytest.mark.parametrize("kwargs,naming", [
    (dict(y=np.zeros(120)), "two classes"),
    (dict(y=np.zeros(3)), "y"),
    (dict(x0=np.zeros((30, 2))), "x0"),
    (dict(rule="cyclic", blocks="variable"), "variable"),
    (dict(penalty="l3"), "penalty"),
])
def test_bad_input(kwargs, naming):
    A, y = _problem()
    options = {"y": y, **kwargs}
    with pytest.raises(ValueError, match=naming):
        greedy_bcd_multinomial(A, options.pop("y"), **options)
