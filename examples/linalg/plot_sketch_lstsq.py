"""
Sketch-and-precondition least squares, and sketches of a matrix product
=======================================================================

A least-squares problem with condition number 10^8 defeats plain LSQR, which
converges at a rate set by the conditioning. A random sketch ``S A`` with a
few times more rows than columns, factored as ``Q R``, gives a preconditioner
``R⁻¹`` that makes ``A R⁻¹`` well conditioned *whatever* the conditioning of
``A``: LSQR on it reaches LAPACK's backward error in a few tens of
iterations. We compare the sketches of :func:`sparsekit.linalg.sketch` as
preconditioners, then show why sampling beats linear sketching for products
of sparse matrices.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.linalg
from scipy.sparse.linalg import lsqr

from sparsekit.datasets import ill_conditioned_lstsq, sparse_rows_pair
from sparsekit.linalg import coordinated_sketch, sketch, sketch_lstsq, sketched_product

A, b = ill_conditioned_lstsq(10_000, 150, condition=1e8, random_state=0)


def backward_error(x):
    r = b - A @ x
    return np.linalg.norm(A.T @ r) / (np.linalg.norm(A) * np.linalg.norm(r))


# %%
# LAPACK's SVD-based solver, plain LSQR (200 iterations), and sketch_lstsq
# with each sketch as preconditioner. ``backward_error_history`` holds the
# solver's estimate of ``||Aᵀr|| / (||A||_F ||r||)`` at every iteration; it is
# exact up to rounding, because ``Aᵀr_k`` is a known multiple of the next
# Lanczos vector.
start = time.perf_counter()
x_lapack = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
print(f"gelsd:       {time.perf_counter() - start:6.2f} s, backward error {backward_error(x_lapack):.1e}")
x_plain = lsqr(A, b, atol=0, btol=0, iter_lim=200)[0]
print(f"plain LSQR:  200 iterations, backward error {backward_error(x_plain):.1e}")
results = {}
# (A Gaussian sketch preconditions as well but costs O(d m n) to apply.)
for method in ("sparse-sign", "countsketch", "srdct", "srht"):
    start = time.perf_counter()
    results[method] = sketch_lstsq(A, b, sketch=method, random_state=0)
    res = results[method]
    print(f"{method:12s} {time.perf_counter() - start:6.2f} s, {res.n_iter} iterations, "
          f"sketch {res.sketch_size} rows, backward error {res.backward_error:.1e}")

# %%
# A larger sketch costs more to factor but each iteration gains more: the
# convergence factor is about ``sqrt(n/d)``.
oversampling = {ratio: sketch_lstsq(A, b, oversampling=ratio, random_state=0) for ratio in (2, 6, 30)}

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
for method, res in results.items():
    left.semilogy(res.backward_error_history, marker=".", label=method)
left.axhline(backward_error(x_lapack), color="k", linestyle="--", label="LAPACK gelsd")
left.set_xlabel("LSQR iteration")
left.set_ylabel("backward error")
left.set_title("sketch as preconditioner (10 000 x 150, kappa = 1e8)")
left.legend()
for ratio, res in oversampling.items():
    right.semilogy(res.backward_error_history, marker=".", label=f"d = {ratio} n")
right.set_xlabel("LSQR iteration")
right.set_title("sketch size (sparse sign)")
right.legend()
fig.tight_layout()

# %%
# Products of sparse matrices
# ---------------------------
# Two tables ``A`` and ``B`` (50 000 rows, 100 columns, 5 nonzeros per row)
# are sketched separately, with only a seed in common, and ``AᵀB`` is
# estimated from the sketches. Coordinated sampling keeps whole sparse rows,
# so its storage grows with the 5 nonzeros; a CountSketch row holds all 100
# columns. At equal storage (values + column indices + row ids for sampling)
# sampling's error is several times lower.
A_rows, B_rows = sparse_rows_pair(50_000, 100, nnz_per_row=5, random_state=0)
exact = (A_rows.T @ B_rows).toarray()
scale = np.sqrt(np.dot(A_rows.data, A_rows.data) * np.dot(B_rows.data, B_rows.data))
storage, sampled, linear = [], [], []
for k in (300, 1000, 3000):
    SA, SB = coordinated_sketch(A_rows, k, random_state=1), coordinated_sketch(B_rows, k, random_state=1)
    storage.append(SA.storage)
    sampled.append(np.linalg.norm(sketched_product(SA, SB).toarray() - exact) / scale)
    rows = SA.storage // 100
    CA, CB = (sketch(M, rows, method="countsketch", random_state=1) for M in (A_rows, B_rows))
    linear.append(np.linalg.norm(CA.T @ CB - exact) / scale)

fig, ax = plt.subplots(figsize=(5.5, 4))
ax.loglog(storage, sampled, marker="o", label="coordinated priority sampling")
ax.loglog(storage, linear, marker="s", label="CountSketch")
ax.set_xlabel("numbers stored per matrix")
ax.set_ylabel("||AᵀB − estimate||_F / (||A||_F ||B||_F)")
ax.legend()
fig.tight_layout()
plt.show()
