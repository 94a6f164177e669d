"""Every current failure of the contract suite, by class: the input of the next issue.

Each key is a test-id pattern (``*`` matches anything) marked ``xfail(strict=True)`` by ``conftest.py``: a fix
makes its test pass, the strict xfail then fails, and the entry must be removed. The warning-line class should
empty itself as the end_run branches land.
"""

_BY_CLASS = {
    # result-fields: 2
    'Result without the solver fields converged/status/message/n_iter': [
        'test_result_contract[evaluate_omegas]',
        'test_result_contract[sketched_ridge_gcv]',
    ],
    # object-str: 13
    'object/str arrays accepted (coerced) instead of a TypeError naming the argument': [
        'test_bad_input[LDPSparseRegression-X-object]',
        'test_bad_input[LDPSparseRegression-X-str]',
        'test_bad_input[LDPSparseRegression-y-object]',
        'test_bad_input[LDPSparseRegression-y-str]',
        'test_bad_input[SketchedRidgeEnsemble-X-object]',
        'test_bad_input[SketchedRidgeEnsemble-X-str]',
        'test_bad_input[SketchedRidgeEnsemble-y-object]',
        'test_bad_input[SparseBayesianRegression-X-object]',
        'test_bad_input[SparseBayesianRegression-X-str]',
        'test_bad_input[SparseBayesianRegression-y-object]',
        'test_bad_input[SparseBayesianRegression-y-str]',
        'test_bad_input[TopoSwap-X-object]',
        'test_bad_input[TopoSwap-X-str]',
    ],
    # shape-accepted: 1
    'wrong ndim/shape accepted and an answer returned': [
        'test_bad_input[coordinated_sketch-A-wrong_ndim]',
    ],
    # sklearn-message: 38
    "scikit-learn's validate_data message does not name X/y (wrap it, or pass input_name)": [
        'test_bad_input[CoLiDE-X-complex]',
        'test_bad_input[CoLiDE-X-empty]',
        'test_bad_input[CoLiDE-X-wrong_ndim]',
        'test_bad_input[CoLiDE-X-zero_d]',
        'test_bad_input[DAGMALinear-X-complex]',
        'test_bad_input[DAGMALinear-X-empty]',
        'test_bad_input[DAGMALinear-X-wrong_ndim]',
        'test_bad_input[DAGMALinear-X-zero_d]',
        'test_bad_input[LDPSparseRegression-X-complex]',
        'test_bad_input[LDPSparseRegression-X-empty]',
        'test_bad_input[LDPSparseRegression-X-mismatched]',
        'test_bad_input[LDPSparseRegression-X-wrong_ndim]',
        'test_bad_input[LDPSparseRegression-X-zero_d]',
        'test_bad_input[LDPSparseRegression-y-complex]',
        'test_bad_input[LDPSparseRegression-y-empty]',
        'test_bad_input[LDPSparseRegression-y-mismatched]',
        'test_bad_input[SketchedRidgeEnsemble-X-complex]',
        'test_bad_input[SketchedRidgeEnsemble-X-empty]',
        'test_bad_input[SketchedRidgeEnsemble-X-mismatched]',
        'test_bad_input[SketchedRidgeEnsemble-X-wrong_ndim]',
        'test_bad_input[SketchedRidgeEnsemble-X-zero_d]',
        'test_bad_input[SketchedRidgeEnsemble-y-complex]',
        'test_bad_input[SketchedRidgeEnsemble-y-empty]',
        'test_bad_input[SketchedRidgeEnsemble-y-mismatched]',
        'test_bad_input[SparseBayesianRegression-X-complex]',
        'test_bad_input[SparseBayesianRegression-X-empty]',
        'test_bad_input[SparseBayesianRegression-X-mismatched]',
        'test_bad_input[SparseBayesianRegression-X-wrong_ndim]',
        'test_bad_input[SparseBayesianRegression-X-zero_d]',
        'test_bad_input[SparseBayesianRegression-y-complex]',
        'test_bad_input[SparseBayesianRegression-y-empty]',
        'test_bad_input[SparseBayesianRegression-y-mismatched]',
        'test_bad_input[SparseBayesianRegression-y-wrong_ndim]',
        'test_bad_input[SparseBayesianRegression-y-zero_d]',
        'test_bad_input[TopoSwap-X-complex]',
        'test_bad_input[TopoSwap-X-empty]',
        'test_bad_input[TopoSwap-X-wrong_ndim]',
        'test_bad_input[TopoSwap-X-zero_d]',
    ],
    # door-message: 6
    "front door's error names the method's parameter (gamma), not the argument the user passed (reg)": [
        'test_bad_input[solve[quadratic]-reg-negative]',
        'test_bad_input[solve[quadratic]-reg-scalar_inf]',
        'test_bad_input[solve[quadratic]-reg-scalar_nan]',
        'test_bad_input[solve[sparse]-reg-negative]',
        'test_bad_input[solve[sparse]-reg-scalar_inf]',
        'test_bad_input[solve[sparse]-reg-scalar_nan]',
    ],
    # scaled-message: 2
    "values scaled by 1e300/1e-300 rejected by an internal message (NumPy's 'Probabilities contain NaN', LAPACK's 'must not contain infs') that does not name the argument": [
        'test_bad_input[nearest_kronecker_factors-X-scaled_1e300]',
        'test_bad_input[sor_sequence[chebcb]-context-scaled_1e300]',
    ],
    # nonfinite: 5
    'non-finite result returned silently (1e300 overflows, or 1e-300 underflows to 0/0)': [
        'test_bad_input[SketchedRidgeEnsemble-y-scaled_1e300]',
        'test_bad_input[cost_matrix-x-scaled_1e300]',
        'test_bad_input[cost_matrix-y-scaled_1e300]',
        'test_bad_input[sem_score-adjacency-scaled_1e300]',
        'test_bad_input[sketched_ridge_gcv-y-scaled_1e300]',
    ],
}

KNOWN_FAILURES = {pattern: reason for reason, patterns in _BY_CLASS.items() for pattern in patterns}
