"""The unmixing NMFs against scikit-learn's estimator checks, and their bad-input errors."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit.datasets import make_hyperspectral
from sparsekit.learn.decomposition import CorrentropyNMF, RobustSparseNMF, StructuredSparseNMF

ESTIMATORS = [RobustSparseNMF(2, max_iter=30), CorrentropyNMF(2, max_iter=30), StructuredSparseNMF(2, max_iter=30)]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def cube():
    return make_hyperspectral(12, 10, 30, 3, n_outlier_bands=2, random_state=0)[0]


@pytest.mark.parametrize("model", ESTIMATORS, ids=lambda m: type(m).__name__)
def test_bad_input_is_named(model, cube):
    negative = cube.copy()
    negative[0, 0, 0] = -1.0
    with pytest.raises(ValueError, match="X: Negative"):
        model.fit(negative)
    nan = cube.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="X"):
        model.fit(nan)
    with pytest.raises(ValueError, match="n_components=31"):
        type(model)(31).fit(cube)
    with pytest.raises(ValueError, match="X must be pixels x bands"):
        model.fit(cube[None])


@pytest.mark.parametrize("model", ESTIMATORS, ids=lambda m: type(m).__name__)
def test_cube_in_cube_out(model, cube):
    abundances = model.fit_transform(cube)
    assert abundances.shape == (12, 10, 3 if model.n_components == 3 else model.n_components)
    assert abundances.min() >= 0
    np.testing.assert_allclose(abundances.sum(axis=2), 1.0, atol=1e-12)
    again = model.transform(cube)
    assert again.shape == abundances.shape and again.min() >= 0


@pytest.mark.parametrize("model", ESTIMATORS, ids=lambda m: type(m).__name__)
def test_feature_names_and_pandas_output(model, cube):
    pixels = cube.reshape(-1, 30)
    fitted = type(model)(3).fit(pixels)
    name = type(model).__name__.lower()
    assert fitted.get_feature_names_out().tolist() == [f"{name}{k}" for k in range(3)]
    pd = pytest.importorskip("pandas")
    frame = fitted.set_output(transform="pandas").transform(pixels)
    assert isinstance(frame, pd.DataFrame) and frame.shape == (120, 3)
