"""VecchiaGaussianProcessClassifier and vecchia_laplace_fit: exactness limit, accuracy, labels, conformance."""

import numpy as np
import pytest
from scipy.special import expit
from sklearn.datasets import make_moons
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.gaussian_process.kernels import RBF, ConstantKernel
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit import ConvergenceWarning
from sparsekit.learn.gaussian_process import VecchiaGaussianProcessClassifier, vecchia_laplace_fit

EXPECTED_FAILURES = {
    "check_non_transformer_estimators_n_iter": "the default kernel has no free hyperparameter: n_iter_ is 0",
}


@parametrize_with_checks([VecchiaGaussianProcessClassifier(n_neighbors=5, n_neighbors_predict=10)],
                         expected_failed_checks=lambda estimator: EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)


KERNEL = ConstantKernel(20.0) * RBF(0.7)


def test_all_neighbours_reproduce_the_exact_laplace_approximation():
    X, y = make_moons(150, noise=0.25, random_state=0)
    Xt, _ = make_moons(40, noise=0.25, random_state=1)
    ours = VecchiaGaussianProcessClassifier(KERNEL, optimizer=None, n_neighbors=200, n_neighbors_predict=200,
                                            alpha=1e-8).fit(X, y)
    exact = GaussianProcessClassifier(KERNEL, optimizer=None).fit(X, y)
    f = ours.results_[0].f
    K = KERNEL(X) + 1e-8 * np.eye(150)
    np.testing.assert_allclose(f, K @ (y - expit(f)), atol=1e-4)  # the mode's fixed point (K has norm ~ 10³)
    assert ours.log_marginal_likelihood_value_ == pytest.approx(exact.log_marginal_likelihood_value_, rel=1e-6)
    pi = expit(f)
    Ks = KERNEL(Xt, X)
    mean_ref = Ks @ (y - pi)
    var_ref = KERNEL.diag(Xt) - np.einsum("ij,ji->i", Ks, np.linalg.solve(K + np.diag(1 / (pi * (1 - pi))), Ks.T))
    mean, var = ours.latent_mean_and_var(Xt)
    np.testing.assert_allclose(mean[:, 0], mean_ref, atol=1e-5)
    np.testing.assert_allclose(var[:, 0], var_ref, rtol=1e-5, atol=1e-6)
    # the probabilities differ from scikit-learn's only by its probit approximation of E[σ(f)]
    np.testing.assert_allclose(ours.predict_proba(Xt), exact.predict_proba(Xt), atol=0.02)


def test_few_neighbours_close_to_exact_with_learnt_hyperparameters():
    X, y = make_moons(300, noise=0.2, random_state=0)
    Xt, yt = make_moons(1000, noise=0.2, random_state=1)
    ours = VecchiaGaussianProcessClassifier(ConstantKernel(1.0) * RBF(1.0)).fit(X, y)
    assert ours.converged_ and ours.n_iter_ > 0
    exact = GaussianProcessClassifier(ConstantKernel(1.0) * RBF(1.0)).fit(X, y)
    p, p_ref = ours.predict_proba(Xt)[:, 1], exact.predict_proba(Xt)[:, 1]
    loss = -np.mean(yt * np.log(p) + (1 - yt) * np.log1p(-p))
    loss_ref = -np.mean(yt * np.log(p_ref) + (1 - yt) * np.log1p(-p_ref))
    assert loss <= 1.05 * loss_ref
    assert np.mean(ours.predict(Xt) == yt) >= np.mean(exact.predict(Xt) == yt) - 0.01


def test_string_labels_and_one_vs_rest():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((240, 2))
    labels = np.array(["left", "middle", "right"])[np.digitize(X[:, 0], [-0.5, 0.5])]
    clf = VecchiaGaussianProcessClassifier(ConstantKernel(4.0) * RBF(1.0), optimizer=None).fit(X, labels)
    assert list(clf.classes_) == ["left", "middle", "right"] and len(clf.kernels_) == 3
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(clf.predict(X) == labels) > 0.9
    binary = VecchiaGaussianProcessClassifier(optimizer=None).fit(X, np.where(X[:, 1] > 0, "up", "down"))
    assert binary.predict(np.array([[0.0, 2.0]]))[0] == "up"


def test_bad_input_and_duplicates():
    X, y = make_moons(100, noise=0.2, random_state=0)
    with pytest.raises(ValueError, match="2 classes"):
        VecchiaGaussianProcessClassifier().fit(X, np.zeros(100))
    with pytest.raises(TypeError, match="kernel"):
        vecchia_laplace_fit(X, y, "rbf")
    with pytest.raises(ValueError, match="labels 0 and 1"):
        vecchia_laplace_fit(X, 2 * y, RBF())
    X2, y2 = np.vstack((X, X)), np.concatenate((y, y))  # duplicated inputs: the nugget/jitter keeps blocks PD
    proba = VecchiaGaussianProcessClassifier(KERNEL, optimizer=None, alpha=0.0).fit(X2, y2).predict_proba(X)
    assert np.all(np.isfinite(proba))


def test_non_convergence_warns():
    X, y = make_moons(200, noise=0.2, random_state=0)
    with pytest.warns(ConvergenceWarning):
        res = vecchia_laplace_fit(X, y, ConstantKernel(1.0) * RBF(1.0), max_iter=1)
    assert not res.converged and np.isfinite(res.log_marginal_likelihood)
