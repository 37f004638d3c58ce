"""Separation: the warning names the terms whose maximum-likelihood coefficients diverge."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from oneuron import LogisticRegression
from oneuron._objective import Objective
from oneuron._separation import SeparationWarning, certified_finite
from oneuron.data import MemorySource

from .conftest import noisy_classification


def _frame(seed=0, n=200):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, 3)), columns=["age", "dose", "noise"]), rng


def complete():
    X, _ = _frame()
    return X, (X["dose"] > 0.3).astype(int)  # separated by dose - 0.3: dose and the intercept diverge


def quasi_complete():
    X, rng = _frame(1)
    X["dose"] = rng.integers(0, 2, len(X)).astype(float)  # dose = 1 always has y = 1; dose = 0 is mixed
    return X, np.where(X["dose"] == 1, 1, rng.integers(0, 2, len(X)))


def _separation_warnings(X, y, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LogisticRegression(penalty=None, **kwargs).fit(X, y)
    return model, [w for w in caught if issubclass(w.category, SeparationWarning)]


def _named_terms(message: str) -> set:
    return set(message.split("[", 1)[1].split("]", 1)[0].replace("'", "").split(", "))


@pytest.mark.parametrize("tol", [1e-4, 1e-10])
@pytest.mark.parametrize(
    ("data", "kind", "terms"),
    [(complete, "Complete", {"dose", "intercept"}), (quasi_complete, "Quasi-complete", {"dose"})],
)
def test_separated_data_warns_naming_the_features(data, kind, terms, tol):
    X, y = data()
    model, caught = _separation_warnings(X, y, tol=tol)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith(kind) and "penalty='firth'" in message
    assert _named_terms(message) == terms
    assert issubclass(SeparationWarning, ConvergenceWarning)
    assert np.abs(model.coef_).max() > 5  # the coefficients it warns about are indeed large


def test_multinomial_separation_names_the_class_and_features():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    y = np.where(X[:, 1] > 1, 2, rng.integers(0, 2, 300))  # class 2 exactly when x1 > 1
    _, caught = _separation_warnings(X, y)
    assert len(caught) == 1
    terms = _named_terms(str(caught[0].message))
    assert "x1 (class 2)" in terms and all(t.endswith("(class 2)") for t in terms)


def test_certificate_proves_finite_estimates_and_fails_on_separated_data():
    X, y = noisy_classification(n_samples=400, n_features=5)
    for data, expected in (((X, y), True), (complete(), False), (quasi_complete(), False)):
        Xd, yd = np.asarray(data[0], dtype=float), np.asarray(data[1])
        model = LogisticRegression(penalty=None, tol=1e-8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeparationWarning)
            model.fit(Xd, yd)
        obj = Objective(MemorySource(Xd, yd.astype(float), np.ones(len(yd))), 2)
        theta = obj.join(model.coef_[0], model.intercept_[0])
        assert certified_finite(obj.evaluate(theta)) is expected


def test_constant_zero_features_are_not_named():
    X, y = complete()
    X["empty"] = 0.0  # moves no margin: it must not be reported as diverging
    _, caught = _separation_warnings(X, y)
    assert _named_terms(str(caught[0].message)) == {"dose", "intercept"}


def test_many_parameters_check_only_on_signs(monkeypatch):
    """Above MAX_EAGER parameters the Hessian certificate runs only when probabilities approach 0 or 1."""
    import oneuron._separation as separation

    monkeypatch.setattr(separation, "MAX_EAGER", 2)
    calls = []
    original = separation.certified_finite
    monkeypatch.setattr(separation, "certified_finite", lambda *a: calls.append(1) or original(*a))
    X, y = noisy_classification(n_samples=300, n_features=4)
    LogisticRegression(penalty=None, tol=1e-8).fit(X * 0.1, y)  # weak effects: no probability near 0 or 1
    assert calls == []
    _, caught = _separation_warnings(*quasi_complete())
    assert calls == [1] and len(caught) == 1
