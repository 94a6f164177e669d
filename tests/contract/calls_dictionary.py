"""Contract entries of sparse coding data, dictionary metrics and orthogonal / online dictionary learning."""

import numpy as np

from ._call import Call


def coding():
    from sparsekit.datasets import make_sparse_coding

    X, _, _ = make_sparse_coding(200, 6, random_state=0)
    return (X,)


def dictionaries():
    from sparsekit.datasets import make_sparse_coding

    _, D, _ = make_sparse_coding(5, 6, random_state=0)
    rotation = np.linalg.qr(np.random.default_rng(1).standard_normal((6, 6)))[0]
    return D @ rotation, D


def supports():
    rng = np.random.default_rng(2)
    true = np.where(rng.random((4, 6)) < 0.4, rng.standard_normal((4, 6)), 0.0)
    return np.where(rng.random((4, 6)) < 0.4, rng.standard_normal((4, 6)), 0.0), true


_AS_SKLEARN = {"X": ("object", "str")}

CALLS = {
    "make_sparse_coding": Call(lambda: (50, 6), dict(random_state=0)),
    # fewer learned or fewer true atoms than the other side is the rectangular case, a valid comparison
    "dictionary_error": Call(dictionaries, accepts={"components": ("mismatched",),
                                                    "true_components": ("mismatched",)}),
    "support_f1": Call(supports),
    "orthogonal_dictionary_learning": Call(coding, dict(random_state=0), force=dict(max_iter=1),
                                           solution="components", homogeneous=("X",)),
    "OrthogonalDictionaryLearning": Call(coding, dict(random_state=0), force=dict(max_iter=1),
                                         accepts=_AS_SKLEARN),
}
CALLS.update({
    "online_orthogonal_dictionary_learning": Call(coding, dict(batch_size=20, random_state=0),
                                                  force=dict(tol=1e-12), solution="components",
                                                  homogeneous=("X",)),
    "OnlineOrthogonalDictionaryLearning": Call(coding, dict(batch_size=20, random_state=0), force=dict(tol=1e-12),
                                               accepts=_AS_SKLEARN),
})
