"""
Learning a DAG: CoLiDE, the DAGMA baseline and topological swaps
================================================================

We sample data from a linear structural equation model ``X = X W + E`` on a
random 20-node DAG, learn ``W`` back with :class:`~sparsekit.learn.dag.CoLiDE`
and :class:`~sparsekit.learn.dag.DAGMALinear`, refine the CoLiDE graph with
:class:`~sparsekit.learn.dag.TopoSwap`, and compare each estimate with the
truth. A second data set with one noise level per node shows CoLiDE-NV's
noise-scale estimates.
"""

import matplotlib.pyplot as plt
import numpy as np

from sparsekit.datasets import make_linear_sem
from sparsekit.learn.dag import CoLiDE, DAGMALinear, TopoSwap, metrics

X, W = make_linear_sem(1000, 20, 40, noise_scale=2.0, random_state=1)

colide = CoLiDE().fit(X)
dagma = DAGMALinear().fit(X)
refined = TopoSwap().refine(X, colide.adjacency_)

print(f"CoLiDE-EV noise scale: {colide.noise_scale_:.3f} (true 2.0)")
for name, model in [("CoLiDE-EV", colide), ("DAGMALinear", dagma), ("CoLiDE + TopoSwap", refined)]:
    print(f"{name:18s}", metrics.graph_accuracy(W, model.adjacency_))

# %%
# True and estimated weighted adjacency matrices (``W[i, j]`` is the weight of
# the edge ``i -> j``); the titles give the structural Hamming distance.

limit = np.abs(W).max()
fig, axes = plt.subplots(1, 4, figsize=(13, 3.6), constrained_layout=True)
panels = [("true W", W), ("CoLiDE-EV", colide.adjacency_), ("DAGMALinear", dagma.adjacency_),
          ("CoLiDE + TopoSwap", refined.adjacency_)]
for ax, (title, matrix) in zip(axes, panels):
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
    shd = metrics.structural_hamming_distance(W, matrix)
    ax.set_title(title if matrix is W else f"{title}: SHD {shd}")
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(image, ax=axes, shrink=0.8, label="edge weight")

# %%
# Heteroscedastic noise: CoLiDE-NV estimates one noise scale per node along
# with the graph.

X_nv, W_nv, scales = make_linear_sem(2000, 12, 12, noise_scale="heteroscedastic", return_noise_scale=True,
                                     random_state=3)
nv = CoLiDE(variant="nv").fit(X_nv)
print("CoLiDE-NV SHD:", metrics.structural_hamming_distance(W_nv, nv.adjacency_))

fig, ax = plt.subplots(figsize=(4.2, 4))
ax.scatter(scales, nv.noise_scale_)
ax.plot([0, scales.max()], [0, scales.max()], "k--", lw=1)
ax.set(xlabel="true noise standard deviation", ylabel="CoLiDE-NV estimate", title="per-node noise scales")
plt.show()
