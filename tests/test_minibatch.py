"""Mini-batch solvers and partial_fit: the optimizers' updates, the penalty, accuracy against the full fit."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from oneuron import LogisticRegression
from oneuron._objective import Objective
from oneuron._penalty import Penalty
from oneuron._solvers import minibatch
from oneuron.data import MemorySource


def test_sgd_with_momentum_follows_the_heavy_ball_recursion():
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(5, 3))
    opt = minibatch.sgd(0.1, momentum=0.9)
    state, params, m, expected = opt.init(np.zeros(3)), np.zeros(3), np.zeros(3), np.zeros(3)
    for g in grads:
        updates, state = opt.update(g, state, params)
        params = params + updates
        m = 0.9 * m + g
        expected = expected - 0.1 * m
    np.testing.assert_allclose(params, expected, rtol=1e-14)


def test_adam_matches_its_published_update():
    rng = np.random.default_rng(1)
    opt = minibatch.adam(0.01)
    state, params = opt.init(np.zeros(4)), np.zeros(4)
    mu, nu, expected = np.zeros(4), np.zeros(4), np.zeros(4)
    for t in range(1, 6):
        g = rng.normal(size=4)
        updates, state = opt.update(g, state, params)
        params = params + updates
        mu, nu = 0.9 * mu + 0.1 * g, 0.999 * nu + 0.001 * g**2
        expected -= 0.01 * (mu / (1 - 0.9**t)) / (np.sqrt(nu / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(params, expected, rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_one_full_batch_step_is_a_gradient_step_on_fits_objective(n_classes):
    """The penalty of a mini-batch step is the objective's: one batch of all rows = one step on F."""
    X, y = make_classification(300, 6, n_informative=4, n_redundant=0, n_classes=n_classes, random_state=2)
    model = LogisticRegression(solver="sgd", momentum=0.0, learning_rate=0.5, batch_size=300, C=0.3)
    model.partial_fit(X, y, classes=np.unique(y))
    y_enc = y.astype(float) if n_classes == 2 else y.astype(np.int32)
    obj = Objective(MemorySource(X, y_enc, np.ones(300)), n_classes, Penalty.from_params("l2", 0.3, 300.0))
    theta = obj.join(model.coef_, model.intercept_[0] if n_classes == 2 else model.intercept_)
    np.testing.assert_allclose(theta, -0.5 * obj.gradient(np.zeros(obj.n_params)), rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_over_shuffled_mini_batches_is_as_accurate_as_the_full_fit(solver, n_classes):
    X, y = make_classification(20_000, 20, n_informative=10, n_classes=n_classes, flip_y=0.05, random_state=0)
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    full = LogisticRegression().fit(X_train, y_train).score(X_test, y_test)
    model = LogisticRegression(solver=solver, batch_size=64)
    order = np.random.default_rng(1).permutation(len(y_train))
    for chunk in np.array_split(order, 20):  # a stream of 20 chunks, each read once
        model.partial_fit(X_train[chunk], y_train[chunk], classes=np.unique(y))
    assert model.n_iter_[0] == sum(-(-len(c) // 64) for c in np.array_split(order, 20))
    assert abs(model.score(X_test, y_test) - full) <= 0.005


def test_fit_with_a_mini_batch_solver_runs_epochs():
    X, y = make_classification(3000, 8, random_state=3)
    ref = LogisticRegression().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(solver="adam", max_iter=5, batch_size=64).fit(X, y)
    assert model.n_iter_[0] <= 5 and len(model.loss_curve_) == model.n_iter_[0]
    assert abs(model.score(X, y) - ref.score(X, y)) <= 0.01
    with pytest.warns(ConvergenceWarning, match="epochs"):
        LogisticRegression(solver="sgd", max_iter=1).fit(X, y)


def test_partial_fit_bad_input():
    X, y = make_classification(100, 3, n_informative=2, n_redundant=0, random_state=4)
    with pytest.raises(ValueError, match="classes: the first call"):
        LogisticRegression(solver="sgd").partial_fit(X, y)
    with pytest.raises(ValueError, match="partial_fit needs solver='sgd' or 'adam'"):
        LogisticRegression(solver="lbfgs").partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="batch_size"):
        LogisticRegression(solver="sgd", batch_size=0).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="momentum"):
        LogisticRegression(solver="sgd", momentum=1.0).partial_fit(X, y, classes=[0, 1])
    model = LogisticRegression(solver="sgd").partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not in classes"):
        model.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="differs from the classes"):
        model.partial_fit(X, y, classes=[0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)  # fit starts afresh
    assert not hasattr(model, "_online")
    coef = model.coef_.copy()
    model.partial_fit(X[:10], y[:10])  # partial_fit after fit continues from the fitted model
    assert np.linalg.norm(model.coef_ - coef) < 0.5 * np.linalg.norm(coef)
