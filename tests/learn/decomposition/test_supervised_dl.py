import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit.datasets import make_hidden_direction_classification
from sparsekit.learn.decomposition import SupervisedDictionaryLearning, supervised_dictionary_learning
from sparsekit.learn.decomposition._supervised_dl_logistic import fit_logistic, softmax


@pytest.fixture(scope="module")
def hidden():
    X, y, _ = make_hidden_direction_classification(1500, 40, n_strong=6, random_state=1)
    return X[:1000], y[:1000], X[1000:], y[1000:]


@parametrize_with_checks([SupervisedDictionaryLearning(max_iter=20, random_state=0),
                          SupervisedDictionaryLearning(variant="feature", solver="lpgd", max_iter=20, random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _auc(model, X, y):
    return roc_auc_score(y, model.predict_proba(X)[:, 1])


def test_finds_the_label_direction_pca_misses(hidden):
    Xtr, ytr, Xte, yte = hidden
    peer = make_pipeline(PCA(5), LogisticRegression()).fit(Xtr, ytr)
    ours = SupervisedDictionaryLearning(5, random_state=0).fit(Xtr, ytr)
    assert ours.converged_
    assert _auc(ours, Xte, yte) >= _auc(peer, Xte, yte) + 0.2
    assert ours.reconstruction_error_ < 0.1
    np.testing.assert_allclose(np.linalg.norm(ours.components_, axis=1), 1.0, rtol=1e-10)


def test_lpgd_filter_learns_the_label(hidden):
    Xtr, ytr, Xte, yte = hidden
    model = SupervisedDictionaryLearning(5, solver="lpgd", max_iter=100, tol=1e-4, random_state=0)
    with pytest.warns(Warning, match="max_iter"):
        model.fit(Xtr, ytr)
    assert _auc(model, Xte, yte) > 0.75
    history = model.result_.objective
    assert history[-1] < history[0]


@pytest.mark.parametrize("variant", ["filter", "feature"])
def test_objective_decreases_bcd(hidden, variant):
    Xtr, ytr, _, _ = hidden
    res = supervised_dictionary_learning(Xtr, ytr, 3, variant=variant, positive=True, max_iter=15, tol=1e-12,
                                         random_state=0)
    assert (res.components >= 0).all() and (res.codes >= 0).all()
    assert res.objective[-1] <= res.objective[0]


def test_covariates_survive_pipeline_and_grid_search():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.standard_normal((400, 6)), rng.integers(0, 2, 400)])
    y = X[:, -1].astype(int)  # the label is the covariate
    search = GridSearchCV(make_pipeline(SupervisedDictionaryLearning(2, covariates=[6], random_state=0)),
                          {"supervisedDictionaryLearning__xi".lower(): [0.5, 1.0]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.99
    blind = SupervisedDictionaryLearning(2, random_state=0).fit(X[:, :6], y)
    assert blind.score(X[:, :6], y) < 0.7
    mask = np.zeros(7, dtype=bool)
    mask[6] = True
    assert SupervisedDictionaryLearning(2, covariates=mask, random_state=0).fit(X, y).score(X, y) > 0.99


def test_multiclass_and_float32(hidden):
    Xtr, ytr, _, _ = hidden
    y3 = ytr + (Xtr[:, 0] > np.median(Xtr[:, 0]))
    model = SupervisedDictionaryLearning(3, random_state=0).fit(Xtr.astype(np.float32), y3)
    assert model.predict_proba(Xtr).shape == (len(Xtr), 3)
    assert model.decision_function(Xtr).shape == (len(Xtr), 3)
    assert model.components_.dtype == np.float32


def test_newton_matches_sklearn_logistic():
    rng = np.random.default_rng(0)
    Phi = np.column_stack([rng.standard_normal((300, 3)), np.ones(300)])
    y = (Phi[:, 0] + 0.5 * rng.standard_normal(300) > 0).astype(int)
    Theta = fit_logistic(Phi, np.eye(2)[y], np.zeros((4, 2)), nu=1e-3, steps=30)
    # two-class softmax with a symmetric ridge: logit difference w = binary logistic with C = 1 / (n nu)
    peer = LogisticRegression(C=1 / (300 * 1e-3), fit_intercept=False, tol=1e-10).fit(Phi, y)
    np.testing.assert_allclose(Theta[:, 1] - Theta[:, 0], peer.coef_.ravel(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(softmax(Phi @ Theta)[:, 1], peer.predict_proba(Phi)[:, 1], atol=1e-5)


@pytest.mark.parametrize("bad, name", [(dict(n_components=0), "n_components"), (dict(xi=-1.0), "xi"),
                                       (dict(covariates=[9]), "covariates"), (dict(n_components=50), "n_components"),
                                       (dict(positive=True, solver="lpgd"), "positive")])
def test_bad_options_named(hidden, bad, name):
    Xtr, ytr, _, _ = hidden
    with pytest.raises(ValueError, match=name):
        SupervisedDictionaryLearning(**bad).fit(Xtr[:, :8], ytr)


def test_bad_X_named(hidden):
    Xtr, ytr, _, _ = hidden
    with pytest.raises(ValueError, match="X"):
        SupervisedDictionaryLearning().fit(Xtr[:, 0], ytr)
    X = Xtr.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="X"):
        SupervisedDictionaryLearning().fit(X, ytr)


@pytest.mark.parametrize("seed", [2, 3, 4, 6])
def test_preconditioned_bcd_needs_few_iterations(seed):
    # At tol=1e-4, plain gradient steps on the dictionary took 95 to 200 iterations on these problems (max_iter=200
    # reached once); the Gram-preconditioned steps take 7 to 32.
    X, y, _ = make_hidden_direction_classification(1500, 40, n_strong=6, random_state=seed)
    model = SupervisedDictionaryLearning(5, tol=1e-4, random_state=0).fit(X[:1000], y[:1000])
    assert model.converged_ and model.n_iter_ <= 40
    assert _auc(model, X[1000:], y[1000:]) >= 0.9
