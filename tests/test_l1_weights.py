"""L1 / elastic net, class and sample weights, warm starts: parity with scikit-learn fitted in the test."""

import warnings

import numpy as np
import pytest
from sklearn import linear_model
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from oneuron import LogisticRegression
from oneuron._objective import Objective
from oneuron._penalty import Penalty
from oneuron.data import MemorySource

from .conftest import breast_cancer_scaled, iris, noisy_classification, relative_gap


def scaled_iris():
    X, y = iris()
    return StandardScaler().fit_transform(X), y


L1_DATA = {
    "synthetic20": lambda: noisy_classification(n_samples=300, n_features=20),
    "breast_cancer": breast_cancer_scaled,
    "iris": scaled_iris,  # multinomial, 3 classes
    "synthetic20_3class": lambda: noisy_classification(n_samples=300, n_features=20, n_classes=3, seed=2),
}
L1_CASES = [
    ("synthetic20", "l1", 0.05),
    ("synthetic20", "l1", 0.3),
    ("synthetic20", "elasticnet", 0.05),
    ("synthetic20", "elasticnet", 0.3),
    ("breast_cancer", "l1", 0.05),
    ("breast_cancer", "elasticnet", 0.05),
    ("iris", "l1", 0.05),
    ("iris", "l1", 1.0),
    ("iris", "elasticnet", 1.0),
    ("synthetic20_3class", "l1", 0.1),
    ("synthetic20_3class", "elasticnet", 0.5),
]


def full_objective(X, y, C, penalty, l1_ratio, coef, intercept):
    """Our smooth objective plus the l1 part, at given coefficients: one yardstick for both fits."""
    classes, y_enc = np.unique(y, return_inverse=True)
    y_enc = y_enc.astype(float) if len(classes) == 2 else y_enc.astype(np.int32)
    source = MemorySource(np.asarray(X, dtype=float), y_enc, np.ones(len(y)))
    obj = Objective(source, len(classes), Penalty.from_params(penalty, C, source.total_weight, l1_ratio))
    b = float(intercept[0]) if obj.is_binary else intercept
    return obj.loss(obj.join(coef, b)) + obj.penalty.nonsmooth_value(coef)


@pytest.mark.parametrize("name,penalty,C", L1_CASES)
def test_l1_and_elasticnet_match_saga(name, penalty, C):
    X, y = L1_DATA[name]()
    ratio = 1.0 if penalty == "l1" else 0.5
    saga = linear_model.LogisticRegression(C=C, l1_ratio=ratio, solver="saga", tol=1e-12, max_iter=100_000).fit(X, y)
    ours = LogisticRegression(penalty=penalty, C=C, l1_ratio=ratio, tol=1e-10).fit(X, y)
    assert ours.solver_ == "prox"
    f_ours = full_objective(X, y, C, penalty, ratio, ours.coef_, ours.intercept_)
    f_saga = full_objective(X, y, C, penalty, ratio, saga.coef_, saga.intercept_)
    assert relative_gap(f_ours, f_saga) <= 1e-7
    assert f_ours <= f_saga + 1e-12  # never worse than saga
    np.testing.assert_array_equal(ours.coef_ != 0, saga.coef_ != 0)
    assert (ours.coef_ == 0).any()  # exact zeros, in every case chosen here
    np.testing.assert_allclose(ours.coef_, saga.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, saga.intercept_, atol=1e-4)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_sparse_input_equals_dense_with_l1(penalty, fit_intercept, n_classes, rng):
    # sparse input takes the coordinate descent through the sparse columns (binary or softmax head); dense
    # input the one on the working set's Hessian
    import scipy.sparse as sp

    X, y = noisy_classification(n_samples=300, n_features=20, n_classes=n_classes)
    X = np.where(np.abs(X) > 0.5, X, 0.0)
    sw = rng.uniform(0.5, 2.0, size=300)
    params = {"penalty": penalty, "l1_ratio": 0.5, "C": 0.1, "tol": 1e-10, "fit_intercept": fit_intercept}
    dense = LogisticRegression(**params).fit(X, y, sample_weight=sw)
    sparse = LogisticRegression(**params).fit(sp.csr_matrix(X), y, sample_weight=sw)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-9)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, atol=1e-9)
    np.testing.assert_array_equal(sparse.coef_ != 0, dense.coef_ != 0)
    assert (dense.coef_ == 0).any()


def sklearn_weighted(X, y, **params):
    model = linear_model.LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000, l1_ratio=0.0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("with_sample_weight", [False, True])
def test_balanced_class_weight_matches_sklearn(n_classes, with_sample_weight, rng):
    X, y = noisy_classification(n_samples=400, n_features=10, n_classes=n_classes, seed=4)
    keep = (y == 0) | (rng.random(400) < 0.4)  # unbalanced classes
    X, y = X[keep], y[keep]
    sw = rng.uniform(0.2, 3.0, size=len(y)) if with_sample_weight else None
    theirs = sklearn_weighted(X, y, C=0.7, class_weight="balanced").fit(X, y, sample_weight=sw)
    ours = LogisticRegression(C=0.7, class_weight="balanced", tol=1e-10).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-5)


def test_dict_class_weight_and_l1_with_weights_match_sklearn(rng):
    X, y = noisy_classification(n_samples=300, n_features=20)
    sw = rng.uniform(0.1, 2.0, size=300)
    theirs = linear_model.LogisticRegression(
        C=0.2, l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=100_000, class_weight={0: 1.0, 1: 3.0}
    ).fit(X, y, sample_weight=sw)
    ours = LogisticRegression(penalty="l1", C=0.2, class_weight={0: 1.0, 1: 3.0}, tol=1e-10).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    np.testing.assert_array_equal(ours.coef_ != 0, theirs.coef_ != 0)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_random_sample_weight_matches_sklearn(n_classes, rng):
    X, y = noisy_classification(n_samples=300, n_features=10, n_classes=n_classes, seed=6)
    sw = rng.exponential(size=300)
    theirs = sklearn_weighted(X, y, C=0.5).fit(X, y, sample_weight=sw)
    ours = LogisticRegression(C=0.5, tol=1e-10).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-5)


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_integer_sample_weights_equal_repeated_rows(penalty, n_classes, rng):
    X, y = noisy_classification(n_samples=150, n_features=8, n_classes=n_classes, seed=7)
    counts = rng.integers(0, 4, size=150)
    params = {"penalty": penalty, "C": 0.3, "l1_ratio": 0.5, "tol": 1e-11}
    weighted = LogisticRegression(**params).fit(X, y, sample_weight=counts)
    repeated = LogisticRegression(**params).fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-8)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-8)


@pytest.mark.parametrize("penalty,solver", [("l2", "lbfgs"), ("l2", "newton"), ("l1", "prox"), ("elasticnet", "prox")])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_warm_start_reaches_the_same_optimum_in_fewer_iterations(penalty, solver, n_classes):
    X, y = noisy_classification(n_samples=400, n_features=30, n_classes=n_classes, seed=8)
    params = {"penalty": penalty, "solver": solver, "l1_ratio": 0.5, "tol": 1e-8}
    warm = LogisticRegression(C=0.5, warm_start=True, **params).fit(X, y)
    warm.set_params(C=0.6).fit(X, y)
    cold = LogisticRegression(C=0.6, **params).fit(X, y)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-6)
    assert warm.n_iter_[0] < cold.n_iter_[0]
    # without warm_start a refit starts over: same iterations as a cold fit
    again = LogisticRegression(C=0.5, **params).fit(X, y).set_params(C=0.6).fit(X, y)
    assert again.n_iter_[0] == cold.n_iter_[0]


@pytest.mark.parametrize(
    "params,message",
    [
        ({"penalty": "elasticnet", "l1_ratio": None}, "l1_ratio"),
        ({"l1_ratio": 1.5}, "l1_ratio"),
        ({"l1_ratio": 1.0, "solver": "lbfgs"}, "supports only 'l2' or None penalties"),
        ({"l1_ratio": 1.0, "solver": "gd"}, "solver='auto' or 'prox'"),
    ],
)
def test_bad_l1_parameters_raise(params, message):
    X, y = noisy_classification(n_samples=50, n_features=3)
    with pytest.raises(ValueError, match=message):
        LogisticRegression(**params).fit(X, y)


@pytest.mark.parametrize("C", [0.5, 5.0])
def test_sparse_text_like_l1_matches_liblinear(C):
    # ill-conditioned sparse data (Zipf word frequencies, row-normalized counts): the inner solver's
    # conjugate-gradient steps are used here; liblinear (no intercept: it would penalize it) at a tight tol
    import scipy.sparse as sp

    rng = np.random.default_rng(7)
    n, d = 600, 300
    p = 1.0 / np.arange(1, d + 1) ** 1.1
    cols = rng.choice(d, size=(n, 15), p=p / p.sum())
    X = sp.csr_matrix((np.ones(n * 15), (np.repeat(np.arange(n), 15), cols.ravel())), shape=(n, d))
    X.sum_duplicates()
    X.data = np.log1p(X.data)
    X = sp.csr_matrix(X.multiply(1.0 / np.sqrt(X.multiply(X).sum(axis=1))))
    w = np.where(rng.random(d) < 0.1, rng.normal(scale=6.0, size=d), 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w - np.median(X @ w))))).astype(int)

    ours = LogisticRegression(penalty="l1", C=C, tol=1e-10, fit_intercept=False).fit(X, y)
    theirs = linear_model.LogisticRegression(
        C=C, l1_ratio=1.0, solver="liblinear", tol=1e-8, max_iter=10_000, fit_intercept=False
    ).fit(X, y)
    source = MemorySource(X, y.astype(float), np.ones(n))
    obj = Objective(source, 2, Penalty.from_params("l1", C, n), fit_intercept=False)

    def value(coef):
        return obj.loss(coef.ravel()) + obj.penalty.nonsmooth_value(coef.ravel())

    assert value(ours.coef_) <= value(theirs.coef_) * (1 + 1e-9)
    assert relative_gap(value(ours.coef_), value(theirs.coef_)) <= 1e-7
    np.testing.assert_array_equal(ours.coef_ != 0, theirs.coef_ != 0)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
