"""Contract entries of fractional minimisation by coordinate descent."""

import numpy as np

from ._call import Call


def recovery():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((20, 30))
    x = np.zeros(30)
    x[:3] = rng.standard_normal(3)
    return G, G @ x + 0.05 * rng.standard_normal(20)


def kurtosis():
    return (np.random.default_rng(1).standard_normal((40, 6)),)


CALLS = {
    "fractional_cd": Call(recovery, dict(k=3, lam=0.1, random_state=0), force=dict(maxiter=1),
                          solution="x", sparse=("G",)),
    "fractional_l4_cd": Call(kurtosis, dict(random_state=0), force=dict(maxiter=1), solution="x",
                             homogeneous=("A",)),
}
