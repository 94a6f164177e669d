"""scikit-learn's estimator checks for the estimators of sparsekit.learn.linear_model (SBL and LDP)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsekit.learn.linear_model import KroneckerSBL, LDPSparseRegression, SparseBayesianRegression

ESTIMATORS = [
    SparseBayesianRegression(),
    SparseBayesianRegression(solver="gamp"),
    # the checks' pure-noise data make EM shrink every prior variance slowly; 100 iterations keep them fast
    KroneckerSBL(max_iter=100),
    # the checks test accuracy on 200 samples: a huge privacy budget makes the privacy noise negligible
    LDPSparseRegression(epsilon=1e8),
    LDPSparseRegression(epsilon=1e8, protocol="interactive", k=3, radius=10.0),
    # the defaults, with real privacy noise: tagged poor_score (check_regressors_train failed here)
    LDPSparseRegression(),
    KroneckerSBL(),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
