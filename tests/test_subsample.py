"""A start from a row subsample's optimum reaches the full objective's optimum, as a cold start does."""

import numpy as np
import pytest
import scipy.sparse as sp

from oneuron import LogisticRegression
from oneuron._solvers import SOLVERS, subsample

from .conftest import noisy_classification
from .test_objective import make_objective


def problem(kind):
    n_classes = 3 if kind == "softmax" else 2
    X, y = noisy_classification(n_samples=4000, n_features=8, n_classes=n_classes, seed=11)
    s = None
    if kind == "weighted":
        s = np.random.default_rng(1).uniform(0.1, 3.0, len(y))
    if kind == "sparse":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.6, X, 0.0))
    return make_objective(X, y, n_classes, C=0.5, s=s, block_rows=700)


@pytest.mark.parametrize("kind", ["binary", "softmax", "weighted", "sparse"])
@pytest.mark.parametrize("then", ["lbfgs", "newton"])
def test_subsample_start_reaches_the_cold_start_optimum(kind, then):
    cold_obj, warm_obj = problem(kind), problem(kind)
    x0 = np.zeros(cold_obj.n_params)
    cold = SOLVERS[then](cold_obj, x0, tol=1e-10, max_iter=1000)
    warm = subsample.solve(warm_obj, x0, then=SOLVERS[then], tol=1e-10, max_iter=1000, rows=800)
    assert cold.converged and warm.converged, warm.message
    assert abs(warm.fun - cold.fun) <= 1e-10
    assert np.max(np.abs(warm_obj.gradient(warm.x))) <= 1e-10  # the full data's stopping rule
    if then == "lbfgs":  # the subsample's Hessian, reused: fewer passes over all rows
        assert warm_obj.n_passes <= cold_obj.n_passes


def test_a_subsample_is_drawn_only_for_tall_in_memory_data(monkeypatch):
    obj = problem("binary")
    lbfgs = SOLVERS["lbfgs"]
    assert subsample.strategy(lbfgs, obj) is lbfgs  # 4,000 rows: not tall
    monkeypatch.setattr(subsample, "MIN_ROWS", 1000)
    assert subsample.strategy(lbfgs, obj) is not lbfgs
    assert subsample.subsample_rows(obj) == max(4000 // subsample.FRACTION, subsample.ROWS_PER_PARAM * 9)
    sub = obj.subsample(400)
    assert sub.source.n_samples == 400 and sub.penalty == obj.penalty and sub.n_passes == 0
    X, y = noisy_classification(n_samples=4000, n_features=8, seed=11)
    s = np.zeros(len(y))
    s[0] = 1.0  # one row with weight: a subsample without it has no objective
    assert make_objective(X, y, 2, s=s).subsample(400, seed=3) is None
    assert subsample.strategy(lbfgs, problem("binary").with_penalty(type(obj.penalty)("l1", 1e-3, 1.0))) is lbfgs


@pytest.mark.parametrize("n_classes", [2, 3])
def test_auto_on_tall_data_fits_the_same_model(monkeypatch, n_classes):
    X, y = noisy_classification(n_samples=6000, n_features=6, n_classes=n_classes, seed=3)
    plain = LogisticRegression(tol=1e-10).fit(X, y)
    monkeypatch.setattr(subsample, "MIN_ROWS", 1000)
    monkeypatch.setattr(subsample, "ROWS_PER_PARAM", 20)
    tall = LogisticRegression(tol=1e-10).fit(X, y)
    assert abs(tall.objective_value_ - plain.objective_value_) <= 1e-10
    np.testing.assert_allclose(tall.coef_, plain.coef_, rtol=1e-6, atol=1e-8)


def test_a_subsample_that_does_not_converge_is_not_a_start(monkeypatch):
    # a subsample fit cut short (a class or a separation of its own would do the same): the full fit is the cold one
    monkeypatch.setattr(subsample, "SUBSAMPLE_MAX_ITER", 1)
    obj, cold_obj = problem("binary"), problem("binary")
    x0 = np.zeros(obj.n_params)
    warm = subsample.solve(obj, x0, then=SOLVERS["lbfgs"], tol=1e-8, rows=800)
    cold = SOLVERS["lbfgs"](cold_obj, x0, tol=1e-8)
    assert warm.converged and warm.n_iter == cold.n_iter and obj.n_passes == cold_obj.n_passes
    np.testing.assert_array_equal(warm.x, cold.x)
