"""Gradient descent with its default settings reaches the optimum, or says that it did not."""

import warnings

import numpy as np
import pytest
from sklearn import linear_model
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning

from oneuron import LogisticRegression
from oneuron._demo import LESSON, lesson_data
from oneuron._separation import SeparationWarning


def objective(X, y, coef, intercept, C=1.0):
    """scikit-learn's objective divided by the number of rows: mean log-loss + ||w||^2 / (2 C n)."""
    z = X @ coef.ravel() + intercept[0]
    loss = np.mean(np.logaddexp(0, z) - y * z)
    return loss + 0.5 * float(coef.ravel() @ coef.ravel()) / (C * len(y))


def fair():
    sm = pytest.importorskip("statsmodels.api")
    data = sm.datasets.fair.load_pandas().data
    return data.drop(columns="affairs").to_numpy(np.float64), (data["affairs"] > 0).to_numpy(np.int64)


@pytest.mark.parametrize("load", [lambda: load_breast_cancer(return_X_y=True), fair], ids=["breast_cancer", "fair"])
def test_default_gd_reaches_the_optimum_or_warns(load):
    X, y = load()  # raw, unscaled features: ill-conditioned for a first-order method
    optimum = np.inf
    for solver in ("lbfgs", "newton-cholesky"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ref = linear_model.LogisticRegression(solver=solver, tol=1e-10, max_iter=100_000).fit(X, y)
        optimum = min(optimum, objective(X, y, ref.coef_, ref.intercept_))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gd = LogisticRegression(solver="gd").fit(X, y)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    gap = objective(X, y, gd.coef_, gd.intercept_) - optimum
    assert warned or gap <= 1e-6, gap
    if warned:  # and the warning is scikit-learn's, so that users' filters match it
        message = next(str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning))
        assert message.startswith("gd failed to converge after")


def test_default_gd_on_the_lessons_experiment():
    """The lesson's model (no penalty) fitted by gd with default step, tolerance and stopping rule."""
    X_train, y_train, X_test, y_test = lesson_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", SeparationWarning)  # the training digits are separable
        model = LogisticRegression(solver="gd", C=np.inf).fit(X_train, y_train)
    assert np.max(np.abs(model.loss_curve_[-1] - model.objective_value_)) < 1e-12
    assert int(np.sum(model.predict(X_test) != y_test)) <= 4


def test_the_lessons_cost_rule_is_an_explicit_option():
    """stopping="cost" stops where the cost flattens: it is the lesson's rule, and far from the optimum."""
    X_train, y_train, X_test, y_test = lesson_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        by_cost = LogisticRegression(solver="gd", C=np.inf, stopping="cost").fit(X_train, y_train)
        by_gradient = LogisticRegression(solver="gd", C=np.inf).fit(X_train, y_train)
        lesson = LogisticRegression(**LESSON).fit(X_train, y_train)
    assert by_cost.n_iter_[0] < by_gradient.n_iter_[0]
    assert by_cost.objective_value_ > by_gradient.objective_value_
    # the lesson's own run: thousands of fixed steps, a handful of errors
    assert lesson.n_iter_[0] > 1000
    assert int(np.sum(lesson.predict(X_test) != y_test)) <= 4
