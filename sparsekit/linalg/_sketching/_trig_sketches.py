"""Trigonometric sketches: the subsampled randomized Hadamard (SRHT) and cosine (SRDCT) transforms.

Both flip the signs of the rows at random, mix them with a fast orthogonal
transform and keep ``k`` of the transformed rows, so every row of ``A``
reaches every row of the sketch in ``O(m log m)`` per column.
"""

import math

import numpy as np

from ..._core.backend import device_of, is_numpy_namespace, numpy_dtype, to_namespace
from ..._core.random import check_random_state
from ._sketch_operators import WORKSPACE_ENTRIES, SketchOperator, check_count

__all__ = ["SRHTSketch", "SRDCTSketch"]


def _fwht(X, xp):
    """Unnormalized fast Walsh–Hadamard transform along axis 0 (length a power of two), Sylvester order."""
    length, width = X.shape
    h = 1
    while h < length:
        pairs = xp.reshape(X, (length // (2 * h), 2, h, width))
        top, bottom = pairs[:, 0, ...], pairs[:, 1, ...]
        X = xp.reshape(xp.stack((top + bottom, top - bottom), axis=1), (length, width))
        h *= 2
    return X


def _dct_module(xp):
    """The module providing an orthonormal DCT for namespace ``xp``."""
    if xp is np or is_numpy_namespace(xp):
        import scipy.fft

        return scipy.fft
    import cupyx.scipy.fft

    return cupyx.scipy.fft


class _TrigSketch(SketchOperator):
    """Shared logic of SRHT and SRDCT: random signs, orthogonal transform, row sampling."""

    def __init__(self, k, m, transform_length, *, random_state=None):
        super().__init__(k, m)
        if self.k > transform_length:
            raise ValueError(
                f"k must be at most {transform_length} for {type(self).__name__} with m={self.m}; "
                f"got {self.k}."
            )
        rng = check_random_state(random_state)
        self.transform_length = transform_length
        self.signs = (2 * rng.integers(0, 2, size=self.m, dtype=np.int8) - 1).astype(np.int8)
        self.sampled = np.sort(rng.choice(transform_length, size=self.k, replace=False))

    def _apply_dense(self, A):
        width = max(1, WORKSPACE_ENTRIES // self.transform_length)
        if A.shape[1] <= width:
            return self._transform_and_sample(A, np)
        out = np.empty((self.k, A.shape[1]), dtype=A.dtype)
        for start in range(0, A.shape[1], width):
            out[:, start:start + width] = self._transform_and_sample(A[:, start:start + width], np)
        return out

    def _apply_namespace(self, A, xp):
        return self._transform_and_sample(A, xp)

    def _transform_and_sample(self, A, xp):
        device = device_of(A)
        signs = to_namespace(self.signs.astype(numpy_dtype(A.dtype)), xp, device)
        sampled = to_namespace(self.sampled, xp, device)
        out = self._transform(signs[:, None] * A, xp)
        return xp.take(out, sampled, axis=0) * self.scale


class SRHTSketch(_TrigSketch):
    """Subsampled randomized Hadamard transform: ``S = sqrt(M/k) P H D``.

    ``D`` flips the sign of each row at random, ``H`` is the orthonormal
    Walsh–Hadamard transform of length ``M`` (``m`` padded with zeros to a
    power of two, applied by the fast butterfly) and ``P`` keeps ``k`` of its
    ``M`` rows uniformly without replacement.

    Parameters
    ----------
    k : int
        Sketch size; at most ``M``, the power of two at least ``m``.
    m : int
        Rows of the matrices to sketch.
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of randomness.

    References
    ----------
    .. [1] N. Ailon and B. Chazelle, "The fast Johnson–Lindenstrauss transform
       and approximate nearest neighbors", SIAM J. Comput. 39(1), 2009.
    .. [2] J. A. Tropp, "Improved analysis of the subsampled randomized
       Hadamard transform", Adv. Adapt. Data Anal. 3, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import SRHTSketch
    >>> S = SRHTSketch(4, 8, random_state=0).toarray()
    >>> bool(np.allclose(S @ S.T, 2 * np.eye(4)))
    True
    """

    namespaces = ("cupy", "array-api")

    def __init__(self, k, m, *, random_state=None):
        m = check_count(m, "m")
        super().__init__(k, m, 1 << max(0, (m - 1).bit_length()), random_state=random_state)
        self.scale = 1.0 / math.sqrt(self.k)

    def _transform(self, X, xp):
        if self.transform_length > self.m:
            padding = xp.zeros((self.transform_length - self.m, X.shape[1]), dtype=X.dtype,
                               device=device_of(X))
            X = xp.concat((X, padding), axis=0)
        return _fwht(X, xp)

    def _apply_transpose(self, Y):
        full = np.zeros((self.transform_length, Y.shape[1]), dtype=np.result_type(Y.dtype, np.float32))
        full[self.sampled] = Y * self.scale
        return self.signs[:, None] * _fwht(full, np)[: self.m]


class SRDCTSketch(_TrigSketch):
    """Subsampled randomized discrete cosine transform: ``S = sqrt(m/k) P C D``.

    ``D`` flips the sign of each row at random, ``C`` is the orthonormal
    DCT-II of length ``m`` (``scipy.fft.dct``, or ``cupyx.scipy.fft.dct`` on
    the GPU) and ``P`` keeps ``k`` of its rows uniformly without replacement.
    Unlike SRHT it needs no padding and stays real.

    Parameters
    ----------
    k : int
        Sketch size; at most ``m``.
    m : int
        Rows of the matrices to sketch.
    random_state : None, int, Generator, RandomState or SeedSequence
        Source of randomness.

    References
    ----------
    .. [1] H. Avron, P. Maymounkov and S. Toledo, "Blendenpik: Supercharging
       LAPACK's least-squares solver", SIAM J. Sci. Comput. 32(3), 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg import SRDCTSketch
    >>> S = SRDCTSketch(5, 10, random_state=0).toarray()
    >>> bool(np.allclose(S @ S.T, 2 * np.eye(5)))
    True
    """

    def __init__(self, k, m, *, random_state=None):
        m = check_count(m, "m")
        super().__init__(k, m, m, random_state=random_state)
        self.scale = math.sqrt(self.m / self.k)

    def _transform(self, X, xp):
        return _dct_module(xp).dct(X, type=2, norm="ortho", axis=0)

    def _apply_transpose(self, Y):
        import scipy.fft

        full = np.zeros((self.m, Y.shape[1]), dtype=np.result_type(Y.dtype, np.float32))
        full[self.sampled] = Y * self.scale
        return self.signs[:, None] * scipy.fft.idct(full, type=2, norm="ortho", axis=0)
