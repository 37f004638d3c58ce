"""One parameter table for every entry point, with scikit-learn 1.9's names, defaults and meaning."""

import inspect
import warnings

import numpy as np
import pytest
from sklearn import linear_model
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.utils._param_validation import InvalidParameterError

from oneuron import LogisticRegression, LogisticRegressionCV
from oneuron._params import LR_CONSTRAINTS, LRCV_CONSTRAINTS

#: defaults that differ on purpose (README, scikit-learn section)
OWN_DEFAULTS = {"solver", "max_iter"}


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (LogisticRegression, linear_model.LogisticRegression),
        (LogisticRegressionCV, linear_model.LogisticRegressionCV),
    ],
)
def test_every_scikit_learn_parameter_with_its_default(ours, theirs):
    mine, sk = ours().get_params(), theirs().get_params()
    assert set(sk) <= set(mine)
    for name, value in sk.items():
        if name not in OWN_DEFAULTS:
            assert mine[name] == value, name
    assert set(mine) == set(ours._parameter_constraints)  # every parameter is in the table


def test_the_cv_table_is_derived_from_the_estimators():
    shared = set(LR_CONSTRAINTS) & set(LRCV_CONSTRAINTS) - {"penalty", "solver"}
    assert shared
    for name in shared:
        assert LRCV_CONSTRAINTS[name] is LR_CONSTRAINTS[name], name


@pytest.mark.parametrize("params", [{"batch_size": 0}, {"momentum": 1.0}, {"C": True}, {"solver": "magic"}])
def test_fit_and_partial_fit_check_the_same_table(params):
    X, y = make_classification(60, 4, random_state=0)
    model = LogisticRegression(**params)  # solver "auto": partial_fit uses sgd, with batch_size and momentum
    with pytest.raises(InvalidParameterError):
        model.fit(X, y)
    with pytest.raises(InvalidParameterError):
        model.partial_fit(X, y, classes=[0, 1])


def test_l1_ratio_chooses_the_penalty_as_scikit_learn():
    X, y = make_classification(200, 10, n_informative=3, random_state=0)
    for l1_ratio in (1.0, 0.5, 0.0):
        ours = LogisticRegression(l1_ratio=l1_ratio, C=0.05, tol=1e-10).fit(X, y)
        theirs = linear_model.LogisticRegression(l1_ratio=l1_ratio, C=0.05, solver="saga", tol=1e-10, max_iter=100_000)
        theirs.fit(X, y)
        np.testing.assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    assert np.sum(ours.coef_ == 0) == 0 and np.sum(LogisticRegression(l1_ratio=1, C=0.05).fit(X, y).coef_ == 0) > 0


def test_a_scikit_learn_models_parameters_fit_the_same_model():
    X, y = make_classification(300, 6, random_state=1)
    sk = linear_model.LogisticRegression(C=0.3, random_state=0, tol=1e-8, max_iter=1000).fit(X, y)
    ours = LogisticRegression(**sk.get_params()).fit(X, y)
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=1e-6)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_convergence_warnings_match_scikit_learns_filters(solver):
    X, y = make_classification(300, 6, random_state=2)
    for cls in (LogisticRegression, linear_model.LogisticRegression):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=f"{solver} failed to converge", category=ConvergenceWarning)
            with pytest.raises(ConvergenceWarning):
                cls(solver=solver, max_iter=1, tol=1e-12).fit(X, y)


def test_cv_score_uses_scoring_and_routes_sample_weight():
    X, y = make_classification(200, 5, random_state=3)
    cv = LogisticRegressionCV(Cs=3, cv=3, l1_ratios=(0,), scoring="neg_log_loss", use_legacy_attributes=False)
    cv.fit(X, y)
    assert cv.score(X, y) == pytest.approx(-log_loss(y, cv.predict_proba(X)))
    w = np.linspace(0.1, 2, len(y))
    assert cv.score(X, y, sample_weight=w) == pytest.approx(-log_loss(y, cv.predict_proba(X), sample_weight=w))
    assert "sample_weight" in inspect.signature(LogisticRegressionCV.score).parameters


def test_max_iter_zero_fits_nothing_and_float32_stays_float32():
    X, y = make_classification(100, 4, random_state=4)
    with pytest.warns(ConvergenceWarning):
        model = LogisticRegression(solver="lbfgs", max_iter=0).fit(X, y)
    assert model.n_iter_[0] == 0 and not np.any(model.coef_)
    m32 = LogisticRegression().fit(X.astype(np.float32), y)
    sk32 = linear_model.LogisticRegression().fit(X.astype(np.float32), y)
    assert m32.coef_.dtype == sk32.coef_.dtype and m32.intercept_.dtype == sk32.intercept_.dtype


def test_sparsify_densify():
    X, y = make_classification(100, 8, random_state=5)
    model = LogisticRegression(l1_ratio=1, C=0.1).fit(X, y)
    dense = model.decision_function(X)
    assert model.sparsify().coef_.format == "csr"
    np.testing.assert_allclose(model.decision_function(X), dense)
    assert isinstance(model.densify().coef_, np.ndarray)
