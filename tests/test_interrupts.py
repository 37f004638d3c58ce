"""Ctrl-C (KeyboardInterrupt) during fit leaves the estimator exactly as it was before the call."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from oneuron import LogisticRegression
from oneuron._objective import Evaluation, Objective
from oneuron._solvers import gd, lbfgs, newton

from .conftest import noisy_classification

SOLVER_MODULES = {"gd": gd, "lbfgs": lbfgs, "newton": newton}


def interrupt_after(calls: int):
    """A replacement that lets ``calls`` calls through, then raises KeyboardInterrupt (a Ctrl-C mid-fit)."""

    def install(monkeypatch, owner, name):
        original = getattr(owner, name)
        count = [0]

        def wrapper(*args, **kwargs):
            count[0] += 1
            if count[0] > calls:
                raise KeyboardInterrupt
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)
        return count

    return install


def _interrupt(monkeypatch, solver, where, n_classes):
    """Arrange a KeyboardInterrupt in ``where``: an objective evaluation, a Hessian, or the iteration callback."""
    if where == "objective":
        return interrupt_after(2)(monkeypatch, Objective, "evaluate")
    if where == "hessian":
        return interrupt_after(1)(monkeypatch, Evaluation, "hessian" if n_classes == 2 else "hessp")
    return interrupt_after(1)(monkeypatch, SOLVER_MODULES[solver], "notify")


CASES = [
    (solver, where, n_classes)
    for solver in ("gd", "lbfgs", "newton")
    for where in ("objective", "callback") + (("hessian",) if solver == "newton" else ())
    for n_classes in (2, 3)
]


def _data(n_classes):
    return noisy_classification(n_samples=200, n_features=5, n_classes=n_classes)


@pytest.mark.parametrize("solver,where,n_classes", CASES)
def test_interrupted_fit_leaves_an_unfitted_estimator_unfitted(monkeypatch, solver, where, n_classes):
    X, y = _data(n_classes)
    model = LogisticRegression(solver=solver, tol=1e-12)
    before = dict(model.__dict__)
    calls = _interrupt(monkeypatch, solver, where, n_classes)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y)
    assert calls[0] > 1 or where != "objective"  # the interrupt came mid-fit, not before it started
    assert model.__dict__ == before
    with pytest.raises(NotFittedError):
        model.predict(X)
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        np.testing.assert_array_equal(
            model.fit(X, y).coef_, LogisticRegression(solver=solver, tol=1e-12).fit(X, y).coef_
        )  # and it fits normally afterwards


@pytest.mark.parametrize("warm_start", [False, True])
@pytest.mark.parametrize("solver,where,n_classes", CASES)
def test_interrupted_fit_leaves_a_fitted_model_usable_and_unchanged(monkeypatch, solver, where, n_classes, warm_start):
    X, y = _data(n_classes)
    model = LogisticRegression(solver=solver, warm_start=warm_start, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    state = {k: (v.copy() if isinstance(v, np.ndarray | list) else v) for k, v in model.__dict__.items()}
    proba = model.predict_proba(X)
    X_new, y_new = noisy_classification(n_samples=200, n_features=5, n_classes=n_classes, seed=7)
    model.set_params(tol=1e-12)  # a parameter change before the interrupted call is kept, as set_params made it
    state["tol"] = 1e-12
    _interrupt(monkeypatch, solver, where, n_classes)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X_new, y_new)
    assert model.__dict__.keys() == state.keys()
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(model.__dict__[key], value, err_msg=key)
        else:
            assert model.__dict__[key] == value, key
    np.testing.assert_array_equal(model.predict_proba(X), proba)
