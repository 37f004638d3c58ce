"""LogisticRegressionCV: same folds, same scores and same chosen C as scikit-learn's, fitted in the test."""

import warnings

import numpy as np
import pytest
from sklearn import linear_model
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import KFold
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits

from oneuron import LogisticRegression, LogisticRegressionCV

from .conftest import breast_cancer_scaled, noisy_classification

#: scikit-learn 1.9's new attribute layout, without its transition warnings
NEW_LAYOUT = {"use_legacy_attributes": False, "l1_ratios": (0.0,)}

# from 0.056: at smaller C the l1 fits are all-zero weights, where saga stops short of the intercepts' optimum
CS = np.logspace(-1.25, 1, 5)


def sklearn_cv(X, y, l1_ratios, solver, sample_weight=None, **params):
    model = linear_model.LogisticRegressionCV(
        Cs=CS, l1_ratios=l1_ratios, solver=solver, tol=1e-11, max_iter=50_000, use_legacy_attributes=False, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, sample_weight=sample_weight)


CASES = {
    # name: (data, l1_ratios, sklearn's solver)
    "l2-binary": (breast_cancer_scaled, (0.0,), "newton-cholesky"),
    "l2-3class": (lambda: noisy_classification(300, 10, n_classes=3, seed=1), (0.0,), "newton-cholesky"),
    "l1-binary": (lambda: noisy_classification(300, 20, seed=2), (1.0,), "saga"),
    "l1-3class": (lambda: noisy_classification(300, 10, n_classes=3, seed=1), (1.0,), "saga"),
    "enet-binary": (lambda: noisy_classification(300, 20, seed=2), [0.2, 0.8], "saga"),
}


@pytest.mark.parametrize("scoring", ["neg_log_loss", None])
@pytest.mark.parametrize("case", sorted(CASES))
def test_same_choice_and_scores_as_sklearn(case, scoring):
    make, ratios, sk_solver = CASES[case]
    X, y = make()
    theirs = sklearn_cv(X, y, ratios, sk_solver, cv=4, scoring=scoring)
    ours = LogisticRegressionCV(Cs=CS, cv=4, l1_ratios=ratios, scoring=scoring, tol=1e-10, use_legacy_attributes=False)
    ours.fit(X, y)
    assert ours.C_ == theirs.C_ and ours.l1_ratio_ == theirs.l1_ratio_
    assert ours.scores_.shape == theirs.scores_.shape and ours.coefs_paths_.shape == theirs.coefs_paths_.shape
    assert ours.n_iter_.shape == theirs.n_iter_.shape
    np.testing.assert_allclose(ours.scores_, theirs.scores_, atol=1e-6)
    np.testing.assert_allclose(ours.Cs_, theirs.Cs_)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-5)


def test_sample_weight_class_weight_and_refit_false_match_sklearn(rng):
    X, y = noisy_classification(300, 10, seed=3)
    sw = rng.uniform(0.2, 2.0, size=300)
    folds = KFold(3, shuffle=True, random_state=0)
    kw = {"cv": folds, "scoring": "neg_log_loss", "class_weight": "balanced", "refit": False}
    theirs = sklearn_cv(X, y, (0.0,), "newton-cholesky", sample_weight=sw, **kw)
    ours = LogisticRegressionCV(Cs=CS, tol=1e-10, l1_ratios=(0.0,), use_legacy_attributes=False, **kw)
    ours.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.scores_, theirs.scores_, atol=1e-6)
    assert ours.C_ == pytest.approx(theirs.C_)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)


def test_path_points_are_the_fits_of_logistic_regression():
    X, y = noisy_classification(200, 8, seed=4)
    folds = list(KFold(3).split(X))
    cv = LogisticRegressionCV(
        Cs=[0.1, 1.0], cv=folds, l1_ratios=(1.0,), tol=1e-10, n_jobs=2, use_legacy_attributes=False
    )
    cv.fit(X, y)
    train = folds[1][0]
    single = LogisticRegression(l1_ratio=1.0, C=1.0, tol=1e-10).fit(X[train], y[train])
    np.testing.assert_allclose(cv.coefs_paths_[1, 0, 1, 0, :-1], single.coef_[0], atol=1e-8)
    np.testing.assert_allclose(cv.coefs_paths_[1, 0, 1, 0, -1], single.intercept_[0], atol=1e-8)


def test_check_estimator():
    # hundreds of tiny fits, where BLAS threads only add overhead on a busy machine
    with threadpool_limits(1):
        check_estimator(LogisticRegressionCV(Cs=2, cv=3))


@pytest.mark.parametrize(
    "params,message",
    [
        ({"Cs": 0}, "'Cs' parameter of LogisticRegressionCV must be"),
        ({"Cs": [1.0, -1.0]}, "Cs must be"),
        ({"penalty": "elasticnet"}, "l1_ratios"),
        ({"penalty": "elasticnet", "l1_ratios": [0.5, 2.0]}, "l1_ratios"),
        ({"l1_ratios": (1.0,), "solver": "lbfgs"}, "supports only 'l2' or None penalties"),
        ({"l1_ratios": (1.0,), "solver": "newton"}, "'auto' or 'prox'"),
        ({"penalty": "l3"}, "'penalty' parameter of LogisticRegressionCV must be"),
    ],
)
def test_bad_parameters_raise(params, message):
    X, y = noisy_classification(60, 3)
    with pytest.raises(ValueError, match=message):
        LogisticRegressionCV(**params).fit(X, y)


@pytest.mark.parametrize("weighted", [False, True])
def test_preconditioned_lbfgs_path_matches_sklearn(weighted, rng):
    # solver="lbfgs" takes the preconditioned route (binary head) at any size
    X, y = breast_cancer_scaled()
    sw = rng.uniform(0.2, 2.0, size=len(y)) if weighted else None
    theirs = sklearn_cv(X, y, (0.0,), "newton-cholesky", sample_weight=sw, cv=4, scoring="neg_log_loss")
    ours = LogisticRegressionCV(Cs=CS, cv=4, solver="lbfgs", scoring="neg_log_loss", tol=1e-10, **NEW_LAYOUT)
    ours.fit(X, y, sample_weight=sw)
    assert ours.C_ == theirs.C_
    np.testing.assert_allclose(ours.scores_, theirs.scores_, atol=1e-8)
    np.testing.assert_allclose(ours.coefs_paths_, theirs.coefs_paths_, atol=1e-6)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)


def test_every_path_point_meets_the_gradient_rule_at_default_tol():
    # large enough that solver="auto" picks L-BFGS (n * d > 1e6 per training fold)
    X, y = noisy_classification(24_000, 64, seed=5)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    cs = [1e-4, 1e-2, 1.0]
    cv = LogisticRegressionCV(Cs=cs, cv=folds, scoring=None, **NEW_LAYOUT).fit(X, y)
    for f, (train, _) in enumerate(folds):
        Xt, yt = X[train], y[train]
        for k, C in enumerate(cs):
            w, b = cv.coefs_paths_[f, 0, k, 0, :-1], cv.coefs_paths_[f, 0, k, 0, -1]
            # gradient of sklearn's objective, written out: X.T (p - y) / n + w / (C n), sum(p - y) / n
            r = 1 / (1 + np.exp(-(Xt @ w + b))) - yt
            g = np.r_[Xt.T @ r + w / C, r.sum()] / len(yt)
            assert np.max(np.abs(g)) <= 1e-4


@pytest.mark.parametrize("n_classes", [2, 3])
def test_scores_are_those_of_the_path_coefficients(n_classes):
    # the held-out decision values of a whole path come from one matrix product: check them one by one
    X, y = noisy_classification(300, 8, n_classes=n_classes, seed=6)
    folds = list(KFold(3).split(X))
    cv = LogisticRegressionCV(Cs=4, cv=folds, scoring="neg_log_loss", **NEW_LAYOUT).fit(X, y)
    for f, (_, test) in enumerate(folds):
        for k in range(4):
            theta = cv.coefs_paths_[f, 0, k]
            Z = X[test] @ theta[:, :-1].T + theta[:, -1]
            P = 1 / (1 + np.exp(-Z)) if n_classes == 2 else np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
            P = np.column_stack([1 - P[:, 0], P[:, 0]]) if n_classes == 2 else P
            assert cv.scores_[f, 0, k] == pytest.approx(-log_loss(y[test], P, labels=cv.classes_), abs=1e-12)


def test_preconditioned_path_on_collinear_and_float32_data():
    # duplicated columns (a singular data Hessian), a C where the penalty is negligible, float32 rounding
    X, y = noisy_classification(3000, 20, seed=5)
    X = np.column_stack([X, X[:, :5]])
    params = {"Cs": [1e-3, 1.0, 1e6, 1e12], "cv": 3, "scoring": "neg_log_loss", "tol": 1e-8, **NEW_LAYOUT}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        newton = LogisticRegressionCV(solver="newton", **params).fit(X, y)
        ours = LogisticRegressionCV(solver="lbfgs", **params).fit(X, y)
        ours32 = LogisticRegressionCV(solver="lbfgs", **params).fit(X.astype(np.float32), y)
    np.testing.assert_allclose(ours.scores_, newton.scores_, atol=1e-8)
    np.testing.assert_allclose(ours32.scores_, newton.scores_, atol=1e-5)
    assert ours.C_ == ours32.C_ == newton.C_
