"""Firth's penalized likelihood: checked with scipy.optimize on an independent numpy implementation."""

import warnings

import numpy as np
import pytest
from scipy import optimize, stats
from scipy.special import expit, log_expit

from oneuron import LogisticRegression

from .conftest import noisy_classification
from .test_separation import complete, quasi_complete


def penalized_loglik(theta, X, y, s=None):
    """``l(theta) + 0.5 log det I(theta)``, theta = [intercept, w...], written from the definition."""
    s = np.ones(len(y)) if s is None else s
    Xt = np.column_stack([np.ones(len(X)), X])
    z = Xt @ theta
    ll = s @ (y * log_expit(z) + (1 - y) * log_expit(-z))
    p = expit(z)
    sign, logdet = np.linalg.slogdet(Xt.T @ ((s * p * (1 - p))[:, None] * Xt))
    return ll + 0.5 * logdet if sign > 0 else -np.inf


def _theta(model):
    return np.r_[model.intercept_, model.coef_[0]]


DATA = {
    "noisy": lambda: noisy_classification(n_samples=80, n_features=3, seed=3),
    "complete": lambda: tuple(np.asarray(a, dtype=float) for a in complete()),
    "quasi_complete": lambda: tuple(np.asarray(a, dtype=float) for a in quasi_complete()),
}


@pytest.mark.parametrize("name", DATA)
def test_firth_estimate_maximizes_the_penalized_likelihood_and_is_finite(name):
    X, y = DATA[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no separation or convergence warning: the estimate exists
        model = LogisticRegression(penalty="firth", tol=1e-10).fit(X, y)
    theta = _theta(model)
    assert np.all(np.isfinite(theta)) and np.abs(theta).max() < 100
    res = optimize.minimize(
        lambda t: -penalized_loglik(t, X, y), np.zeros_like(theta), method="BFGS", options={"gtol": 1e-9}
    )
    assert penalized_loglik(theta, X, y) >= -res.fun - 1e-9
    np.testing.assert_allclose(theta, res.x, rtol=1e-4, atol=1e-4)
    # and the gradient of the penalized likelihood vanishes there (finite differences)
    g = optimize.approx_fprime(theta, lambda t: penalized_loglik(t, X, y), 1e-6)
    assert np.abs(g).max() < 1e-4


@pytest.mark.parametrize("name", ["noisy", "quasi_complete"])
def test_profile_intervals_are_where_the_profile_drops_by_half_chi2(name):
    X, y = DATA[name]()
    X, y = X[:120], y[:120]
    alpha = 0.05
    model = LogisticRegression(penalty="firth", tol=1e-10).fit(X, y)
    summary = model.summary(alpha=alpha)
    theta = _theta(model)
    target = penalized_loglik(theta, X, y) - stats.chi2.ppf(1 - alpha, 1) / 2
    lower, upper = summary.table["ci_lower"].to_numpy(), summary.table["ci_upper"].to_numpy()
    assert np.all(lower < theta) and np.all(theta < upper)
    for j in range(len(theta)):
        others = np.setdiff1d(np.arange(len(theta)), [j])
        for c in (lower[j], upper[j]):

            def neg(free, j=j, c=c, others=others):
                t = np.empty_like(theta)
                t[j], t[others] = c, free
                return -penalized_loglik(t, X, y)

            res = optimize.minimize(neg, theta[others], method="BFGS", options={"gtol": 1e-10})
            assert -res.fun == pytest.approx(target, abs=1e-6)
    # Wald parts: coefficient and I^-1 standard errors
    Xt = np.column_stack([np.ones(len(X)), X])
    p = expit(Xt @ theta)
    cov = np.linalg.inv(Xt.T @ ((p * (1 - p))[:, None] * Xt))
    np.testing.assert_allclose(summary.table["std_err"], np.sqrt(np.diag(cov)), rtol=1e-6)
    assert "profile" in str(summary)


def test_firth_weights_are_frequency_weights_and_multiclass_is_refused():
    X, y = noisy_classification(n_samples=60, n_features=2, seed=5)
    counts = np.random.default_rng(1).integers(0, 3, len(y))
    weighted = LogisticRegression(penalty="firth", tol=1e-11).fit(X, y, sample_weight=counts)
    repeated = LogisticRegression(penalty="firth", tol=1e-11).fit(np.repeat(X, counts, 0), np.repeat(y, counts))
    np.testing.assert_allclose(_theta(weighted), _theta(repeated), rtol=1e-8, atol=1e-10)
    with pytest.raises(ValueError, match="firth"):
        LogisticRegression(penalty="firth").fit(X, np.arange(len(y)) % 3)
