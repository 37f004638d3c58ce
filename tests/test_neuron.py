"""The neuron's derivatives against finite differences, and its stability at extreme scores."""

import warnings

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.special import expit, log_expit
from scipy.special import logsumexp as scipy_logsumexp
from scipy.special import softmax as scipy_softmax

from oneuron import neuron


def _block(dtype, n=40, d=5, K=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    y = rng.integers(0, 2, n).astype(dtype)
    yk = rng.integers(0, K, n)
    s = rng.uniform(0.5, 2, n).astype(dtype)
    return X, y, yk, s


# float32 finite differences need a bigger step and a looser tolerance
PRECISION = {np.float64: (1e-7, 1e-5), np.float32: (1e-3, 3e-2)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_gradient_matches_finite_differences(dtype):
    X, y, _, s = _block(dtype)
    eps, rtol = PRECISION[dtype]
    theta = np.random.default_rng(1).normal(size=X.shape[1] + 1)

    def loss(t):
        t = t.astype(dtype)
        return neuron.binary_loss_grad(X, y, s, t[:-1], t[-1])[0]

    _, gw, gb = neuron.binary_loss_grad(X, y, s, theta[:-1].astype(dtype), dtype(theta[-1]))
    numeric = approx_fprime(theta, loss, eps)
    np.testing.assert_allclose(np.append(gw, gb), numeric, rtol=rtol, atol=rtol * np.abs(numeric).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_hessp_and_hessian_match_finite_differences(dtype):
    X, y, _, s = _block(dtype)
    eps, rtol = PRECISION[dtype]
    rng = np.random.default_rng(2)
    theta, v = rng.normal(size=X.shape[1] + 1), rng.normal(size=X.shape[1] + 1)

    def grad(t):
        _, gw, gb = neuron.binary_loss_grad(X, y, s, t[:-1].astype(dtype), dtype(t[-1]))
        return np.append(gw, gb).astype(np.float64)

    numeric = (grad(theta + eps * v) - grad(theta - eps * v)) / (2 * eps)
    hw, hb = neuron.binary_hessp(X, s, theta[:-1].astype(dtype), dtype(theta[-1]), v[:-1].astype(dtype), dtype(v[-1]))
    np.testing.assert_allclose(np.append(hw, hb), numeric, rtol=rtol, atol=rtol * np.abs(numeric).max())
    H = neuron.binary_hessian(X, s, theta[:-1].astype(dtype), dtype(theta[-1]))
    np.testing.assert_allclose(H @ v, np.append(hw, hb), rtol=10 * rtol, atol=10 * rtol * np.abs(numeric).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_gradient_and_hessp_match_finite_differences(dtype):
    X, _, yk, s = _block(dtype)
    K, d = 3, X.shape[1]
    Y = np.eye(K, dtype=dtype)[yk]
    eps, rtol = PRECISION[dtype]
    rng = np.random.default_rng(3)
    theta, v = rng.normal(size=K * (d + 1)), rng.normal(size=K * (d + 1))

    def split(t):
        M = t.reshape(K, d + 1).astype(dtype)
        return M[:, :d], M[:, d]

    def loss(t):
        return neuron.multinomial_loss_grad(X, Y, s, *split(t))[0]

    def grad(t):
        _, gW, gb = neuron.multinomial_loss_grad(X, Y, s, *split(t))
        return np.column_stack([gW, gb]).ravel().astype(np.float64)

    numeric = approx_fprime(theta, loss, eps)
    np.testing.assert_allclose(grad(theta), numeric, rtol=rtol, atol=rtol * np.abs(numeric).max())
    numeric_hv = (grad(theta + eps * v) - grad(theta - eps * v)) / (2 * eps)
    hW, hb = neuron.multinomial_hessp(X, s, *split(theta), *split(v))
    hv = np.column_stack([hW, hb]).ravel()
    np.testing.assert_allclose(hv, numeric_hv, rtol=rtol, atol=rtol * np.abs(numeric_hv).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_match_scipy(dtype):
    z = np.linspace(-50, 50, 1001).astype(dtype)
    np.testing.assert_allclose(neuron.sigmoid(z), expit(z), rtol=1e-6 if dtype == np.float32 else 1e-14)
    np.testing.assert_allclose(neuron.log_sigmoid(z), log_expit(z), rtol=1e-5 if dtype == np.float32 else 1e-13)
    Z = np.random.default_rng(0).normal(scale=30, size=(50, 4)).astype(dtype)
    np.testing.assert_allclose(neuron.softmax(Z), scipy_softmax(Z, axis=1), rtol=1e-5, atol=1e-30)
    np.testing.assert_allclose(neuron.logsumexp(Z), scipy_logsumexp(Z, axis=1), rtol=1e-6)
    assert neuron.sigmoid(z).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_scores_give_finite_loss_and_no_warning(dtype):
    """Scores up to 1e6 in size: probabilities round to exactly 0 or 1, yet the loss is exact."""
    z = np.array([-1e6, -800, -40, 0, 40, 800, 1e6], dtype=dtype)
    X = np.diag(z)  # one feature per row, w = 1
    y = np.array([1, 1, 1, 0, 0, 0, 0], dtype=dtype)  # the worst labels: loss ~ |z|
    s = np.ones(len(z), dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, gw, gb = neuron.binary_loss_grad(X, y, s, np.ones(len(z), dtype), dtype(0))
        p = neuron.sigmoid(z)
        Z = np.column_stack([z, -z, np.zeros_like(z)])
        mloss, *_ = neuron.multinomial_loss_grad(
            np.eye(3, dtype=dtype), np.eye(3, dtype=dtype)[[1, 0, 0]], s[:3], Z[:3], np.zeros(3, dtype)
        )
    expected = np.sum(np.logaddexp(0, z.astype(np.float64)) - y * z)
    assert np.isfinite(loss) and np.isclose(loss, expected, rtol=1e-6)
    assert p[0] == 0 and p[-1] == 1
    assert np.all(np.isfinite(gw)) and np.isfinite(gb) and np.isfinite(mloss)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_softmax_full_hessian_matches_finite_differences(fit_intercept):
    X, _, yk, s = _block(np.float64)
    K, d = 3, X.shape[1]
    Y = np.eye(K)[yk]
    m = d + fit_intercept
    theta = np.random.default_rng(4).normal(size=K * m)

    def split(t):
        M = t.reshape(K, m)
        return M[:, :d], (M[:, d] if fit_intercept else np.zeros(K))

    def grad(t):
        _, gW, gb = neuron.multinomial_loss_grad(X, Y, s, *split(t))
        return (np.column_stack([gW, gb]) if fit_intercept else gW).ravel()

    numeric = np.column_stack([approx_fprime(theta, lambda t, j=j: grad(t)[j], 1e-7) for j in range(K * m)]).T
    H = neuron.multinomial_hessian(X, s, *split(theta), fit_intercept=fit_intercept)
    np.testing.assert_allclose(H, numeric, rtol=1e-5, atol=1e-5 * np.abs(numeric).max())


@pytest.mark.parametrize("sign", ["nonnegative", "mixed"])
@pytest.mark.parametrize("sparse", [False, True])
def test_weighted_gram_equals_the_bordered_product(sign, sparse):
    """Both paths (syrk for c >= 0, plain product otherwise), dense and sparse, equal [X 1].T diag(c) [X 1]."""
    import scipy.sparse as sp

    rng = np.random.default_rng(9)
    X = rng.normal(size=(50, 4))
    c = rng.uniform(0, 1, 50) if sign == "nonnegative" else rng.normal(size=50)
    A = np.column_stack([X, np.ones(50)])
    expected = A.T @ (c[:, None] * A)
    got = neuron.weighted_gram(sp.csr_matrix(X) if sparse else X, c)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(neuron.weighted_gram(X, c, with_ones=False), expected[:4, :4], rtol=1e-12)
