"""The problems of SciPy's iterative-solver battery, from SciPy's installed tests or rebuilt here.

SciPy's wheels may be installed without their tests; the list below rebuilds
the same problems (same seeds, same order) so that the battery runs either way,
and ``test_scipy_battery.py`` checks that it matches SciPy's where both exist.
"""

import warnings
from typing import NamedTuple

import numpy as np
import pytest
from scipy import sparse


class Problem(NamedTuple):
    name: str
    A: object
    b: np.ndarray
    spd: bool  # SciPy runs cg on it: symmetric (Hermitian) positive definite


def _with_single(name, A, spd, b=None):
    """The problem and its single-precision twin (``"f"`` real, ``"F"`` complex), as SciPy pairs them."""
    b = np.arange(A.shape[0], dtype=float) if b is None else b
    single = "F" if np.iscomplexobj(A) or name == "nonsymposdef" else "f"
    return [Problem(name, A, b, spd), Problem(f"{name}-F", A.astype(single), b, spd)]


def _saddle_point():
    """SciPy's symmetric indefinite 11 x 11 breakdown case: ``[[0, c, -I], [c^T, 0, 0], [-I, 0, -I]]``."""
    c = np.array([1.0, 2.0, 2.0, 2.0, 1.0])
    A = np.zeros((11, 11))
    A[:5, 5], A[5, :5] = c, c
    A[:5, 6:] = A[6:, :5] = A[6:, 6:] = -np.eye(5)
    b = np.zeros(11)
    b[5] = 1.0
    return Problem("sym-nonpd", A, b, False)


def own_problems():
    """SciPy's ``IterativeParams().cases`` rebuilt (names, matrices, right-hand sides, SPD flags)."""
    n = 40
    poisson1d = sparse.diags_array([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], offsets=[-1, 0, 1]).tocsr()
    poisson2d = sparse.kronsum(poisson1d, poisson1d)
    problems = _with_single("poisson1d", poisson1d, True) + _with_single("neg-poisson1d", -poisson1d, False)
    problems += _with_single("poisson2d", poisson2d, True)
    diagonal = np.array([6.0, -5, 2, 7, -1, 10, 4, -3, -8, 9])
    problems += _with_single("rand-diag", sparse.diags_array(diagonal).tocsr(), False)
    square = np.random.RandomState(1234).rand(4, 4)
    problems += _with_single("rand", square, False) + _with_single("rand-sym", square + square.T, False)
    factor = np.random.RandomState(1234).rand(9, 9)
    problems += _with_single("rand-sym-pd", factor @ factor.T, True)
    rng = np.random.RandomState(1234)
    square = rng.rand(4, 4) + 1j * rng.rand(4, 4)
    problems += _with_single("rand-cmplx", square, False)
    problems += _with_single("rand-cmplx-herm", square + square.conj().T, False)
    rng = np.random.RandomState(1234)
    factor = rng.rand(9, 9) + 1j * rng.rand(9, 9)
    problems += _with_single("rand-cmplx-sym-pd", factor.conj() @ factor.T, True)
    lower = sparse.diags_array([-np.ones(9), 2 * np.ones(10)], offsets=[-1, 0]).tocsr()
    problems += _with_single("nonsymposdef", lower, False)
    return problems + [_saddle_point()]


def scipy_problems():
    """SciPy's own ``IterativeParams().cases`` as :class:`Problem`\\ s, or None where its tests are not installed."""
    try:
        with warnings.catch_warnings():  # its module marks tests with a plugin's mark this suite does not register
            warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
            from scipy.sparse.linalg._isolve.tests import test_iterative
    except ImportError:
        return None
    return [Problem(case.name, case.A, case.b, test_iterative.cg not in case.skip)
            for case in test_iterative.IterativeParams().cases]
