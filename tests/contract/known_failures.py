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
    # shape-accepted: 1
    'wrong ndim/shape accepted and an answer returned': [
        'test_bad_input[coordinated_sketch-A-wrong_ndim]',
    ],
    # scaled-message: 2
    "values scaled by 1e300/1e-300 rejected by an internal message (NumPy's 'Probabilities contain NaN', LAPACK's 'must not contain infs') that does not name the argument": [
        'test_bad_input[nearest_kronecker_factors-X-scaled_1e300]',
        'test_bad_input[sor_sequence[chebcb]-context-scaled_1e300]',
    ],
    # nonfinite: 2
    'non-finite result returned silently (1e300 overflows, or 1e-300 underflows to 0/0)': [
        'test_bad_input[SketchedRidgeEnsemble-y-scaled_1e300]',
        'test_bad_input[sketched_ridge_gcv-y-scaled_1e300]',
    ],
}

KNOWN_FAILURES = {pattern: reason for reason, patterns in _BY_CLASS.items() for pattern in patterns}
