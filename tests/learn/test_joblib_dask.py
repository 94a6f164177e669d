"""scikit-learn's joblib loops over sparsekit estimators run on Dask: GridSearchCV under parallel_backend("dask")."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold

from sparsekit.datasets import make_sparse_regression
from sparsekit.learn.linear_model import SketchedRidgeEnsemble, SparseBayesianRegression

joblib = pytest.importorskip("joblib")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.mark.parametrize("estimator, grid", [
    (SparseBayesianRegression(fit_intercept=False), {"solver": ["em", "mackay"], "prune_threshold": [1e-3, 1e-2]}),
    (SketchedRidgeEnsemble(random_state=0), {"n_sketches": [2, 4]}),
])
def test_grid_search_on_dask_equals_the_serial_search(estimator, grid, client):
    X, y, _, _ = make_sparse_regression(80, 40, 4, snr_db=20, random_state=0)
    cv = KFold(3)
    serial = GridSearchCV(estimator, grid, cv=cv, n_jobs=1).fit(X, y)
    fitted_on = set()  # whether each worker ran tasks
    with joblib.parallel_backend("dask"):
        search = GridSearchCV(estimator, grid, cv=cv, n_jobs=2).fit(X, y)
        fitted_on.update(client.run(lambda dask_worker: len(dask_worker.state.log) > 0).values())  # tasks seen
    assert search.best_params_ == serial.best_params_
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(search.best_estimator_.coef_, serial.best_estimator_.coef_)
    assert True in fitted_on, "the fits ran on the cluster's workers"
