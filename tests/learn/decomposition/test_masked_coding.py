import numpy as np
import pytest
from sklearn.linear_model import orthogonal_mp
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit.datasets import make_sparse_coding
from sparsekit.learn.decomposition import MaskedDictionaryLearning, dictionary_error, masked_dictionary_learning
from sparsekit.learn.decomposition._masked_coding import batched_omp, over_parameterised_start


@parametrize_with_checks([MaskedDictionaryLearning(max_epochs=5, random_state=0),
                          MaskedDictionaryLearning(objective="reconstruction", max_epochs=5, random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_batched_omp_matches_sklearn():
    rng = np.random.default_rng(0)
    D = rng.standard_normal((30, 12))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    Y = rng.standard_normal((25, 12))
    ours = batched_omp(D, Y, 4)
    peer = orthogonal_mp(D.T, Y.T, n_nonzero_coefs=4).T
    np.testing.assert_allclose(ours, peer, atol=1e-10)


def test_masking_recovers_atoms_better_than_reconstruction():
    # the paper's over-parameterised noisy setting, smaller: d=50, 100 true atoms, 200 learned, noise 1/sqrt(d)
    Y, A, _ = make_sparse_coding(600, 100, 50, n_nonzero=3, dictionary="gaussian", noise_std=1 / np.sqrt(50),
                                 random_state=0)
    init = over_parameterised_start(Y, A, 200, random_state=0)
    errors = {}
    for objective in ("reconstruction", "mask"):
        res = masked_dictionary_learning(Y, 200, n_nonzero_coefs=3, objective=objective, mask_fraction=0.9,
                                         batch_size=200, max_epochs=15, tol=0.0, dict_init=init, random_state=0)
        errors[objective] = dictionary_error(res.components, A, method="nearest")
    assert errors["mask"] < 0.7 * errors["reconstruction"]


def test_reconstruction_loss_decreases_from_random_start():
    Y, _, _ = make_sparse_coding(400, 30, 20, n_nonzero=2, dictionary="gaussian", noise_std=1 / np.sqrt(20),
                                 random_state=1)
    res = masked_dictionary_learning(Y, 30, n_nonzero_coefs=2, objective="reconstruction", batch_size=100,
                                     max_epochs=20, learning_rate=1e-2, tol=0.0, random_state=0)
    assert res.loss[-1] < 0.8 * res.loss[0]
    np.testing.assert_allclose(np.linalg.norm(res.components, axis=1), 1.0)


def test_float32_and_transform():
    Y, _, _ = make_sparse_coding(200, 30, 20, n_nonzero=2, dictionary="gaussian", noise_std=1 / np.sqrt(20),
                                 random_state=1)
    model = MaskedDictionaryLearning(30, n_nonzero_coefs=2, max_epochs=2, random_state=0).fit(Y.astype(np.float32))
    assert model.components_.dtype == np.float32
    codes = model.transform(Y.astype(np.float32))
    assert codes.dtype == np.float32 and ((codes != 0).sum(axis=1) <= 2).all()


@pytest.mark.parametrize("bad, name", [(dict(n_nonzero_coefs=0), "n_nonzero_coefs"),
                                       (dict(n_nonzero_coefs=40), "n_nonzero_coefs"),
                                       (dict(mask_fraction=1.0), "mask_fraction"),
                                       (dict(dict_init=np.ones((3, 3))), "dict_init")])
def test_bad_options_named(bad, name):
    Y, _, _ = make_sparse_coding(50, 30, 20, n_nonzero=2, dictionary="gaussian", noise_std=1 / np.sqrt(20),
                                 random_state=1)
    with pytest.raises(ValueError, match=name):
        MaskedDictionaryLearning(30, **bad).fit(Y)


def test_bad_X_named():
    with pytest.raises(ValueError, match="X"):
        MaskedDictionaryLearning(3).fit(np.ones(5))
    with pytest.raises(ValueError, match="X"):
        masked_dictionary_learning(np.full((5, 3), np.nan), 2, n_nonzero_coefs=1)
