"""Make the figures of doc/user_guide/learn_unmixing.rst: ``python doc/user_guide/images/learn_unmixing_figures.py``."""

import pathlib
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sparsekit._tour.learn_unmixing import sklearn_nmf_from_spa  # noqa: E402
from sparsekit.datasets import make_hyperspectral  # noqa: E402
from sparsekit.learn.decomposition import CorrentropyNMF, RobustSparseNMF, match_endmembers  # noqa: E402
from sparsekit.learn.decomposition import spectral_angle_distance as sad  # noqa: E402

HERE = pathlib.Path(__file__).parent
warnings.simplefilter("ignore")

cube, E, A, bad = make_hyperspectral(60, 60, 156, 3, n_outlier_bands=10, return_outlier_bands=True, random_state=0)
Y = cube.reshape(-1, 156)
ours = RobustSparseNMF(3).fit(cube)
ours_maps = ours.transform(cube)[..., match_endmembers(E, ours.components_)]
nmf, W = sklearn_nmf_from_spa(Y, 3)
order = match_endmembers(E, nmf.components_)
nmf_maps = W.reshape(60, 60, 3)[..., order]

fig, axes = plt.subplots(3, 3, figsize=(7.5, 7.5))
for k in range(3):
    for row, (maps, name) in enumerate([(A, "true"), (ours_maps, "RobustSparseNMF"), (nmf_maps, "sklearn NMF")]):
        axes[row, k].imshow(maps[..., k], vmin=0, vmax=1, cmap="viridis")
        axes[row, k].set_xticks([]), axes[row, k].set_yticks([])
        axes[row, 0].set_ylabel(name)
    axes[0, k].set_title(f"endmember {k}")
fig.tight_layout()
fig.savefig(HERE / "learn_unmixing_maps.png", dpi=80)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
for k in range(3):
    line, = left.plot(E[k], lw=2.5, alpha=0.4)
    left.plot(ours.components_[match_endmembers(E, ours.components_)[k]], color=line.get_color(), lw=1)
    left.plot(nmf.components_[order[k]], color=line.get_color(), lw=1, ls=":")
left.plot(bad, np.zeros_like(bad, dtype=float), "kx", label="outlier bands")
left.set(xlabel="band", ylabel="reflectance", title="true (thick), RobustSparseNMF (solid), NMF (dotted)")
left.legend(loc="upper right")
counts, curves = [0, 5, 10, 20], {"RobustSparseNMF": [], "CorrentropyNMF": [], "sklearn NMF": []}
for n in counts:
    scene, truth, _ = make_hyperspectral(60, 60, 156, 3, n_outlier_bands=n, random_state=0)
    curves["RobustSparseNMF"].append(sad(truth, RobustSparseNMF(3).fit(scene).components_))
    curves["CorrentropyNMF"].append(sad(truth, CorrentropyNMF(3).fit(scene).components_))
    curves["sklearn NMF"].append(sad(truth, sklearn_nmf_from_spa(scene.reshape(-1, 156), 3)[0].components_))
for name, values in curves.items():
    right.plot(counts, values, "o-", label=name)
right.set(xlabel="corrupted bands", ylabel="mean SAD [rad]", title="60x60x156, 3 endmembers, sigma 0.01")
right.legend()
fig.tight_layout()
fig.savefig(HERE / "learn_unmixing_spectra.png", dpi=80)
print({name: np.round(values, 4).tolist() for name, values in curves.items()})
