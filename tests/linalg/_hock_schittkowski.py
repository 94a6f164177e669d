"""Classic equality-constrained Hock-Schittkowski problems: (fun, jac, hess, constraint dict, x0, x*, f*)."""

import numpy as np


def _problem(f, g, h, c, J, Hc, x0, x_star, f_star):
    return dict(fun=f, jac=g, hess=h, constraints={"type": "eq", "fun": c, "jac": J, "hess": Hc},
                x0=np.asarray(x0, dtype=float), x_star=np.asarray(x_star, dtype=float), f_star=f_star)


def hs6():
    return _problem(
        lambda x: (1 - x[0]) ** 2,
        lambda x: np.array([-2 * (1 - x[0]), 0.0]),
        lambda x: np.diag([2.0, 0.0]),
        lambda x: np.array([10 * (x[1] - x[0] ** 2)]),
        lambda x: np.array([[-20 * x[0], 10.0]]),
        lambda x, v: v[0] * np.diag([-20.0, 0.0]),
        [-1.2, 1.0], [1.0, 1.0], 0.0,
    )


def hs7():
    def c(x):
        return np.array([(1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4])

    return _problem(
        lambda x: np.log(1 + x[0] ** 2) - x[1],
        lambda x: np.array([2 * x[0] / (1 + x[0] ** 2), -1.0]),
        lambda x: np.diag([2 * (1 - x[0] ** 2) / (1 + x[0] ** 2) ** 2, 0.0]),
        c,
        lambda x: np.array([[4 * x[0] * (1 + x[0] ** 2), 2 * x[1]]]),
        lambda x, v: v[0] * np.diag([4 + 12 * x[0] ** 2, 2.0]),
        [2.0, 2.0], [0.0, np.sqrt(3.0)], -np.sqrt(3.0),
    )


def hs39():
    def Hc(x, v):
        return np.diag([-6 * x[0] * v[0] + 2 * v[1], 0.0, -2 * v[0], -2 * v[1]])

    return _problem(
        lambda x: -x[0],
        lambda x: np.array([-1.0, 0.0, 0.0, 0.0]),
        lambda x: np.zeros((4, 4)),
        lambda x: np.array([x[1] - x[0] ** 3 - x[2] ** 2, x[0] ** 2 - x[1] - x[3] ** 2]),
        lambda x: np.array([[-3 * x[0] ** 2, 1.0, -2 * x[2], 0.0], [2 * x[0], -1.0, 0.0, -2 * x[3]]]),
        Hc,
        [2.0, 2.0, 2.0, 2.0], [1.0, 1.0, 0.0, 0.0], -1.0,
    )


def hs40():
    def f(x):
        return -x[0] * x[1] * x[2] * x[3]

    def g(x):
        return -np.array([x[1] * x[2] * x[3], x[0] * x[2] * x[3], x[0] * x[1] * x[3], x[0] * x[1] * x[2]])

    def h(x):
        H = np.zeros((4, 4))
        for i in range(4):
            for j in range(4):
                if i != j:
                    k, m = [t for t in range(4) if t not in (i, j)]
                    H[i, j] = -x[k] * x[m]
        return H

    def Hc(x, v):
        H = np.diag([6 * x[0] * v[0] + 2 * x[3] * v[1], 2 * v[0], 0.0, 2 * v[2]])
        H[0, 3] = H[3, 0] = 2 * x[0] * v[1]
        return H

    a = 2.0 ** (-1 / 3)
    return _problem(
        f, g, h,
        lambda x: np.array([x[0] ** 3 + x[1] ** 2 - 1, x[0] ** 2 * x[3] - x[2], x[3] ** 2 - x[1]]),
        lambda x: np.array([[3 * x[0] ** 2, 2 * x[1], 0.0, 0.0], [2 * x[0] * x[3], 0.0, -1.0, x[0] ** 2],
                            [0.0, -1.0, 0.0, 2 * x[3]]]),
        Hc,
        [0.8, 0.8, 0.8, 0.8], [a, 2.0 ** 0.5 * a ** 2 / 2 ** 0.5 * 2 ** 0.5 / 2 ** 0.5 if False else 2 ** -0.5,
                               a ** 2 * 2 ** -0.25, 2 ** -0.25], -0.25,
    )


def hs48():
    A = np.array([[1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, -2.0, -2.0]])
    b = np.array([5.0, -3.0])
    D = np.array([[1.0, 0, 0, 0, 0], [0, 1, -1, 0, 0], [0, 0, 0, 1, -1]])
    return _problem(
        lambda x: (x[0] - 1) ** 2 + (x[1] - x[2]) ** 2 + (x[3] - x[4]) ** 2,
        lambda x: 2 * D.T @ (D @ x - np.array([1.0, 0, 0])),
        lambda x: 2 * D.T @ D,
        lambda x: A @ x - b,
        lambda x: A,
        lambda x, v: np.zeros((5, 5)),
        [3.0, 5.0, -3.0, 2.0, -2.0], [1.0, 1.0, 1.0, 1.0, 1.0], 0.0,
    )


PROBLEMS = {"hs6": hs6, "hs7": hs7, "hs39": hs39, "hs40": hs40, "hs48": hs48}
