"""Benchmarks of Vecchia Gaussian processes against scikit-learn's exact GaussianProcessRegressor.

Data (``sparsekit._tour.learn_gp.gp_problem``): uniform inputs in ``[0, 1]^5``, targets drawn exactly from the GP
``ConstantKernel(1) * Matern(0.5, nu=1.5) + WhiteKernel(0.01)``; 1000 test points. Two gates: hyperparameters
held at the truth (peer ``GaussianProcessRegressor(kernel, optimizer=None, normalize_y=True)``; RMSE within 2%,
NLPD within 0.05) and hyperparameters learnt from ``Matern([1]*5) + WhiteKernel(0.1)`` (peer with L-BFGS-B,
timed once: minutes; RMSE within 5%).
"""

from common import CompareCase, PinnedThreads, quiet
from sklearn.gaussian_process import GaussianProcessRegressor

from sparsekit._tour.learn_gp import gp_kernel, gp_problem, nlpd, rmse
from sparsekit.learn.gaussian_process import SparseWithinSparseGaussianProcessRegressor, VecchiaGaussianProcessRegressor


def _fit_predict(model, X, y, X_test):
    quiet(model.fit, X, y)
    return model.predict(X_test, return_std=True)


class VecchiaFit(PinnedThreads):
    """Fit + predict of VecchiaGaussianProcessRegressor, hyperparameters fixed or learnt, against n."""

    params = ([2000, 20000], ["fixed", "learnt"])
    param_names = ["n_train", "hyperparameters"]
    timeout = 600

    def setup(self, n_train, hyperparameters):
        super().setup(n_train, hyperparameters)
        self.X, self.y, self.Xt, self.yt, kernel = gp_problem(n_train, 1000)
        start = kernel if hyperparameters == "fixed" else gp_kernel(5, [1.0] * 5, 0.1)
        self.model = VecchiaGaussianProcessRegressor(start, optimizer=None if hyperparameters == "fixed" else
                                                     "fmin_l_bfgs_b", normalize_y=True)

    def time_fit_predict(self, n_train, hyperparameters):
        _fit_predict(self.model, self.X, self.y, self.Xt)

    def peakmem_fit_predict(self, n_train, hyperparameters):
        _fit_predict(self.model, self.X, self.y, self.Xt)

    def track_rmse(self, n_train, hyperparameters):
        return rmse(_fit_predict(self.model, self.X, self.y, self.Xt)[0], self.yt)

    def track_iterations(self, n_train, hyperparameters):
        _fit_predict(self.model, self.X, self.y, self.Xt)
        return self.model.n_iter_


def _case(n_train, learnt):
    X, y, Xt, yt, kernel = gp_problem(n_train, 1000)
    start = gp_kernel(5, [1.0] * 5, 0.1) if learnt else kernel
    optimizer = "fmin_l_bfgs_b" if learnt else None

    def ours():
        return _fit_predict(VecchiaGaussianProcessRegressor(start, optimizer=optimizer, normalize_y=True), X, y, Xt)

    def peer():
        return _fit_predict(GaussianProcessRegressor(start, optimizer=optimizer, normalize_y=True), X, y, Xt)

    def gate(sk, ref):
        if learnt:
            return rmse(sk[0], yt) <= 1.05 * rmse(ref[0], yt)
        return rmse(sk[0], yt) <= 1.02 * rmse(ref[0], yt) and nlpd(*sk, yt) <= nlpd(*ref, yt) + 0.05

    return CompareCase(
        case=f"GP draw d=5 Matern-1.5, {n_train} train / 1000 test, {'learnt' if learnt else 'fixed'} hyperparameters",
        sparsekit=ours,
        peer=peer,
        peer_name="sklearn GaussianProcessRegressor" + (" (L-BFGS-B)" if learnt else " (optimizer=None)"),
        quality=gate,
        metrics={"test RMSE": (lambda out: rmse(out[0], yt), lambda out: rmse(out[0], yt)),
                 "NLPD": (lambda out: nlpd(*out, yt), lambda out: nlpd(*out, yt))},
        setup=lambda: _fit_predict(VecchiaGaussianProcessRegressor(kernel, optimizer=None), X[:200], y[:200], Xt[:5]),
        peer_repeat=1 if learnt else None,
    )


def _classifier_case(n_train):
    from sklearn.datasets import make_moons
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    from sparsekit._tour.learn_gp import moons_log_loss
    from sparsekit.learn.gaussian_process import VecchiaGaussianProcessClassifier

    X, y = make_moons(n_train, noise=0.2, random_state=0)
    Xt, yt = make_moons(2000, noise=0.2, random_state=1)
    kernel = ConstantKernel(1.0) * RBF(1.0)

    def accuracy(proba):
        return float(((proba[:, 1] > 0.5) == yt).mean())

    return CompareCase(
        case=f"two moons noise 0.2, {n_train} train / 2000 test, learnt hyperparameters",
        sparsekit=lambda: VecchiaGaussianProcessClassifier(kernel).fit(X, y).predict_proba(Xt),
        peer=lambda: GaussianProcessClassifier(kernel).fit(X, y).predict_proba(Xt),
        peer_name="sklearn GaussianProcessClassifier (L-BFGS-B)",
        quality=lambda sk, ref: (moons_log_loss(sk, yt) <= 1.02 * moons_log_loss(ref, yt)
                                 and accuracy(sk) >= 0.98 * accuracy(ref)),
        metrics={"test log-loss": (lambda out: moons_log_loss(out, yt), lambda out: moons_log_loss(out, yt)),
                 "accuracy": (accuracy, accuracy)},
        peer_repeat=1,
    )


def compare_cases(quick=False):
    """Vecchia GP vs exact GP at fixed and at learnt hyperparameters (the issue's two gates at n = 2000), and the
    Vecchia classifier vs scikit-learn's GaussianProcessClassifier on two moons."""
    if quick:
        return [_case(600, False), _case(600, True), _classifier_case(400), _swsgp_case(600)]
    return [_case(2000, False), _case(2000, True), _classifier_case(2000), _swsgp_case(2000)]


def _swsgp(kernel, n_inducing):
    return SparseWithinSparseGaussianProcessRegressor(kernel, n_inducing=n_inducing, n_neighbors=15, optimizer=None,
                                                      kl_weight="inducing", normalize_y=True, random_state=0)


class SWSGPFit(PinnedThreads):
    """Fit + predict of SparseWithinSparseGaussianProcessRegressor (M = n, H = 15, KL x M/H), fixed kernel."""

    params = ([2000],)
    param_names = ["n_train"]
    timeout = 600

    def setup(self, n_train):
        super().setup(n_train)
        self.X, self.y, self.Xt, self.yt, kernel = gp_problem(n_train, 1000)
        self.model = _swsgp(kernel, n_train)

    def time_fit_predict(self, n_train):
        _fit_predict(self.model, self.X, self.y, self.Xt)

    def track_rmse(self, n_train):
        return rmse(_fit_predict(self.model, self.X, self.y, self.Xt)[0], self.yt)

    def track_iterations(self, n_train):
        _fit_predict(self.model, self.X, self.y, self.Xt)
        return self.model.n_iter_


def _swsgp_case(n_train):
    """SWSGP (all training inputs inducing, 15 neighbours, ``kl_weight="inducing"``) vs the exact GP, fixed kernel."""
    X, y, Xt, yt, kernel = gp_problem(n_train, 1000)

    def gate(sk, ref):
        return rmse(sk[0], yt) <= 1.02 * rmse(ref[0], yt) and nlpd(*sk, yt) <= nlpd(*ref, yt) + 0.05

    return CompareCase(
        case=f"GP draw d=5 Matern-1.5, {n_train} train / 1000 test, fixed, SWSGP M={n_train} H=15 KL x M/H",
        sparsekit=lambda: _fit_predict(_swsgp(kernel, n_train), X, y, Xt),
        peer=lambda: _fit_predict(GaussianProcessRegressor(kernel, optimizer=None, normalize_y=True), X, y, Xt),
        peer_name="sklearn GaussianProcessRegressor (optimizer=None)",
        quality=gate,
        metrics={"test RMSE": (lambda out: rmse(out[0], yt), lambda out: rmse(out[0], yt)),
                 "NLPD": (lambda out: nlpd(*out, yt), lambda out: nlpd(*out, yt))},
        setup=lambda: _fit_predict(_swsgp(kernel, 100), X[:200], y[:200], Xt[:5]),
        peer_repeat=1,
    )


