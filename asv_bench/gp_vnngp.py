"""Our Vecchia GP against gpytorch's VNNGP (k = 16), the issue's second peer, on the benchmark's GP data.

Run where PyTorch and gpytorch install (they are not dependencies of sparsekit)::

    python asv_bench/gp_vnngp.py [n_train] [epochs ...] [--lr=0.01]

Both sides learn the hyperparameters of a Matérn-1.5 ARD kernel with a scale
and Gaussian noise, on one thread, from the same start (length scales 1,
noise 0.1, standardised targets). VNNGP follows gpytorch's example: all
training inputs are inducing points, ``NNVariationalStrategy`` with
``k = 16`` and minibatches of 256, Adam with learning rate 0.01; it is
timed at several epoch counts, since its accuracy depends on how long it
trains. Prints RMSE, NLPD and seconds of fit + predict on 1000 test points.
"""

import os
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from sparsekit._tour.learn_gp import gp_kernel, gp_problem, nlpd, rmse
from sparsekit.learn.gaussian_process import VecchiaGaussianProcessRegressor


def vecchia(X, y, X_test):
    model = VecchiaGaussianProcessRegressor(gp_kernel(X.shape[1], [1.0] * X.shape[1], 0.1), normalize_y=True)
    start = time.perf_counter()
    model.fit(X, y)
    mean, std = model.predict(X_test, return_std=True)
    return mean, std, time.perf_counter() - start


def vnngp(X, y, X_test, epochs, k=16, batch=256, seed=0, lr=0.01):
    import gpytorch
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    dtype = torch.float64
    y_mean, y_std = y.mean(), y.std()
    train_x = torch.as_tensor(X, dtype=dtype)
    train_y = torch.as_tensor((y - y_mean) / y_std, dtype=dtype)
    d = X.shape[1]

    class VNNGP(gpytorch.models.ApproximateGP):
        def __init__(self, inducing, likelihood):
            distribution = gpytorch.variational.MeanFieldVariationalDistribution(inducing.shape[0])
            strategy = gpytorch.variational.NNVariationalStrategy(self, inducing, distribution, k=k,
                                                                  training_batch_size=batch)
            super().__init__(strategy)
            self.mean_module = gpytorch.means.ZeroMean()
            kernel = gpytorch.kernels.MaternKernel(nu=1.5, ard_num_dims=d)
            kernel.lengthscale = torch.ones(d, dtype=dtype)
            self.covar_module = gpytorch.kernels.ScaleKernel(kernel)
            self.likelihood = likelihood

        def forward(self, x):
            return gpytorch.distributions.MultivariateNormal(self.mean_module(x), self.covar_module(x))

        def __call__(self, x, prior=False, **kwargs):
            return self.variational_strategy(x=x, prior=False, **kwargs)

    start = time.perf_counter()
    likelihood = gpytorch.likelihoods.GaussianLikelihood().to(dtype)
    likelihood.noise = torch.tensor(0.1, dtype=dtype)
    model = VNNGP(train_x.clone(), likelihood).to(dtype)
    model.train()
    likelihood.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    mll = gpytorch.mlls.VariationalELBO(likelihood, model, num_data=train_y.shape[0])
    for _ in range(epochs):
        for _ in range(-(-train_y.shape[0] // batch)):
            optimizer.zero_grad()
            output = model(x=None)
            indices = model.variational_strategy.current_training_indices
            loss = -mll(output, train_y[indices])
            loss.backward()
            optimizer.step()
    model.eval()
    likelihood.eval()
    with torch.no_grad():
        pred = likelihood(model(torch.as_tensor(X_test, dtype=dtype)))
        mean = pred.mean.numpy() * y_std + y_mean
        std = np.sqrt(pred.variance.numpy()) * y_std
    return mean, std, time.perf_counter() - start


def main(argv):
    lr = next((float(a.split("=")[1]) for a in argv if a.startswith("--lr=")), 0.01)
    argv = [a for a in argv if not a.startswith("--")]
    n_train = int(argv[0]) if argv else 20_000
    epochs = [int(a) for a in argv[1:]] or [5, 20]
    X, y, X_test, y_test, _ = gp_problem(n_train, 1000)
    print(f"n_train={n_train}, d={X.shape[1]}, load average {os.getloadavg()[0]:.1f}", flush=True)
    with threadpool_limits(1):
        mean, std, seconds = vecchia(X, y, X_test)
        print(f"sparsekit Vecchia: RMSE {rmse(mean, y_test):.4f}, NLPD {nlpd(mean, std, y_test):.3f}, "
              f"{seconds:.1f} s", flush=True)
        for count in epochs:
            mean, std, seconds = vnngp(X, y, X_test, count, lr=lr)
            print(f"gpytorch VNNGP k=16, lr={lr}, {count} epochs: RMSE {rmse(mean, y_test):.4f}, "
                  f"NLPD {nlpd(mean, std, y_test):.3f}, {seconds:.1f} s", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
