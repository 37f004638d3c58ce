"""The estimator: parity with scikit-learn, its API contract, the lesson's experiment, bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn import linear_model
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from oneuron import LogisticRegression
from oneuron._demo import LESSON, lesson_data
from oneuron._separation import SeparationWarning

from .conftest import DATASETS, noisy_classification, relative_gap
from .test_objective import make_objective


def sklearn_fit(X, y, C, penalty):
    """scikit-learn's solution at a very tight tolerance (C=inf is its spelling of no penalty)."""
    model = linear_model.LogisticRegression(
        C=np.inf if penalty is None else C,
        l1_ratio=0.0,
        solver="newton-cholesky",
        tol=1e-12,
        max_iter=10_000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it may stop at its rounding floor
        return model.fit(X, y)


def objective_value(X, y, C, penalty, coef, intercept):
    """Our objective evaluated at given coefficients: one yardstick for both fits."""
    classes, y_enc = np.unique(y, return_inverse=True)
    obj = make_objective(np.asarray(X, dtype=float), y_enc, len(classes), C=C, penalty=penalty)
    b = float(intercept[0]) if obj.is_binary else intercept
    return obj.loss(obj.join(coef, b))


CASES = [
    (name, C, penalty)
    for name, (_, penalties) in DATASETS.items()
    for penalty in penalties
    for C in ((0.01, 1.0, 100.0) if penalty else (1.0,))
]


@pytest.mark.parametrize("name,C,penalty", CASES)
@pytest.mark.parametrize("solver", ["auto", "lbfgs", "newton"])
def test_parity_with_scikit_learn(name, C, penalty, solver):
    X, y = DATASETS[name][0]()
    ours = LogisticRegression(C=C, penalty=penalty, solver=solver, tol=1e-10, max_iter=10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
    ref = sklearn_fit(X, y, C, penalty)
    f_ours = objective_value(X, y, C, penalty, ours.coef_, ours.intercept_)
    f_ref = objective_value(X, y, C, penalty, ref.coef_, ref.intercept_)
    assert f_ours == pytest.approx(ours.objective_value_, rel=1e-12)
    assert relative_gap(f_ours, f_ref) < 1e-8
    assert f_ours <= f_ref * (1 + 1e-10)  # never worse than scikit-learn's
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert ours.coef_.shape == ref.coef_.shape and ours.intercept_.shape == ref.intercept_.shape


def test_float32_stays_float32_and_agrees_with_float64():
    X, y = noisy_classification(n_samples=2000, n_features=20)
    m64 = LogisticRegression(tol=1e-8).fit(X, y)
    m32 = LogisticRegression(tol=1e-5).fit(X.astype(np.float32), y)
    np.testing.assert_allclose(m32.coef_, m64.coef_, rtol=1e-4, atol=1e-5)
    assert m32.decision_function(X.astype(np.float32)).dtype == np.float32


def test_float32_coefficients_that_lose_the_fit_warn():
    """Collinear features of size 1e8 in float32: the columns differ only by X's rounding, and the optimum uses
    that difference with weights whose float32 rounding moves ``x.w`` by units. The fit says so."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(24)
    X = (np.column_stack([x, -0.57 * x]) * 6e7).astype(np.float32)
    y = (x + rng.standard_normal(24) > 0).astype(int)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)  # also the float64 rounding floor's
        m32 = LogisticRegression(tol=1e-6).fit(sp.csr_matrix(X), y)
    assert any("coefficients rounded to float32 (the dtype of X) lose the fit" in str(w.message) for w in caught)
    assert m32.coef_.dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the float64 rounding floor
        m64 = LogisticRegression(tol=1e-6).fit(sp.csr_matrix(X.astype(np.float64)), y)
    assert m64.coef_.dtype == np.float64
    assert log_loss(y, m64.predict_proba(X.astype(np.float64))) < log_loss(y, m32.predict_proba(X.astype(np.float64)))


def test_float32_rounding_check_reads_all_rows_only_where_the_first_rows_show_a_rise(monkeypatch):
    """Past ROUNDING_PROBE_ROWS rows the check evaluates the first rows only, and all of them where those show
    that rounding raises the objective: labels drawn from the float32 rounding difference of two collinear
    columns of size 1e8, which the optimum uses with weights that float32 cannot hold."""
    from oneuron import _estimator

    seen = []
    full_value = _estimator._full_value
    monkeypatch.setattr(_estimator, "_full_value", lambda o, t: (seen.append(o.source.n_samples), full_value(o, t))[1])
    rng = np.random.default_rng(0)
    n, probe = 60_000, _estimator.ROUNDING_PROBE_ROWS
    x = rng.standard_normal(n)
    X = (np.column_stack([x, -0.57 * x]) * 6e7).astype(np.float32)
    diff = X[:, 1].astype(np.float64) + 0.57 * X[:, 0].astype(np.float64)
    y = (diff + 0.3 * rng.standard_normal(n) > np.median(diff)).astype(int)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        LogisticRegression(tol=1e-6).fit(sp.csr_matrix(X), y)
    assert any("coefficients rounded to float32" in str(w.message) for w in caught)
    assert seen[:2] == [probe, probe] and set(seen[2:]) == {n}
    seen.clear()
    X = rng.standard_normal((n, 5)).astype(np.float32)
    LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    assert seen == [probe, probe]


def test_sparse_equals_dense():
    X, y = noisy_classification(n_samples=400, n_features=30, n_classes=3)
    X[np.abs(X) < 1] = 0
    dense = LogisticRegression(tol=1e-10).fit(X, y)
    sparse = LogisticRegression(tol=1e-10).fit(sp.csr_matrix(X), y)
    # dense and CSR kernels add in different orders: L-BFGS stops at the float64 floor (|g| ~ 4e-9 here),
    # which leaves the coefficients determined to a few 1e-8, not to 1e-9
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-7)


def test_labels_of_any_type_and_pandas_feature_names():
    X, y = noisy_classification(n_samples=300, n_features=4, n_classes=3)
    names = np.array(["cat", "dog", "emu"])[y]
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = LogisticRegression().fit(frame, names)
    assert list(model.classes_) == ["cat", "dog", "emu"]
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    assert set(model.predict(frame)) <= set(model.classes_)
    np.testing.assert_allclose(model.predict_proba(frame).sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(model.predict_log_proba(frame)), model.predict_proba(frame), rtol=1e-10)
    binary = LogisticRegression().fit(X, np.where(y == 0, "no", "yes"))
    assert binary.coef_.shape == (1, 4) and binary.decision_function(X).shape == (300,)


def test_check_estimator():
    # Every check runs except check_array_api_input, which scikit-learn itself skips unless the environment
    # sets SCIPY_ARRAY_API=1; oneuron works on NumPy/SciPy arrays and does not claim array-API support.
    check_estimator(LogisticRegression())


def test_pipeline_grid_search_and_clone():
    X, y = DATASETS["breast_cancer"][0]()
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    search = GridSearchCV(pipe, {"logisticregression__C": [0.01, 1.0]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.9
    copy = clone(LogisticRegression(C=3.0, solver="gd"))
    assert copy.get_params()["C"] == 3.0 and not hasattr(copy, "coef_")


def test_verbose_prints_the_cost_each_iteration(capsys):
    X, y = noisy_classification(n_samples=200, n_features=5)
    model = LogisticRegression(solver="gd", verbose=1, max_iter=5, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if "cost" in line]
    assert len(lines) == 5 == len(model.loss_curve_)
    assert np.all(np.diff(model.loss_curve_) < 0)


@pytest.mark.filterwarnings("ignore::oneuron._separation.SeparationWarning")  # the digits are separable
def test_the_lessons_experiment_with_gd():
    X_train, y_train, X_test, y_test = lesson_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (the lesson's log(0)), no ConvergenceWarning
        # but the training digits are linearly separable: the unpenalized fits rightly report it
        warnings.filterwarnings("ignore", category=SeparationWarning)
        for params in (LESSON, {"solver": "gd", "C": np.inf, "tol": 1e-8, "stopping": "cost"}):
            model = LogisticRegression(max_iter=20_000, **params).fit(X_train, y_train)
            errors = int(np.sum(model.predict(X_test) != y_test))
            assert errors <= 4, (params, errors)
            assert model.n_iter_[0] <= 20_000
    capped = LogisticRegression(max_iter=50, **LESSON)
    with pytest.warns(ConvergenceWarning, match="max_iter=50"):
        capped.fit(X_train, y_train)
    assert capped.n_iter_[0] == 50 == len(capped.loss_curve_)


def test_default_gd_step_converges_on_unscaled_data():
    """Raw breast-cancer features reach 4,000: a fixed alpha oscillates, the automatic step does not; gd either
    reaches lbfgs' optimum or says that it did not."""
    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # whether gd gets there: tests/test_gd.py
        auto = LogisticRegression(solver="gd").fit(X, y)
        fixed = LogisticRegression(solver="gd", learning_rate=0.01, max_iter=200).fit(X, y)
    assert np.all(np.diff(auto.loss_curve_) <= 0)
    assert auto.loss_curve_[-1] < 0.5 * np.log(2)  # well below the cost of w = 0
    assert np.any(np.diff(fixed.loss_curve_) > 0)


@pytest.mark.parametrize("solver", ["auto", "gd", "lbfgs", "newton"])
def test_huge_feature_scale_gives_no_runtime_warning(solver):
    X, y = noisy_classification(n_samples=300, n_features=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(solver=solver, max_iter=30).fit(X * 1e6, y)
    assert np.isfinite(model.objective_value_)
    assert np.all(np.isfinite(model.predict_proba(X * 1e6)))


def test_huge_feature_scale_warns_clearly_when_not_converged():
    X, y = noisy_classification(n_samples=300, n_features=5)
    with pytest.warns(ConvergenceWarning, match="scale the features"):
        LogisticRegression(solver="gd", max_iter=5, tol=0.0).fit(X * 1e6, y)


BAD_INPUTS = [
    ("nan", lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X), y), "NaN"),
    ("inf", lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 3, np.inf, X), y), "infinity"),
    ("empty", lambda X, y: (X[:0], y[:0]), "0 sample"),
    ("one class", lambda X, y: (X, np.zeros_like(y)), "only one class"),
    ("mismatched", lambda X, y: (X, y[:-1]), "inconsistent numbers of samples"),
    ("strings", lambda X, y: (X.astype(str).astype(object) + "x", y), "could not convert"),
]


@pytest.mark.parametrize("case,make,message", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_raises_a_clear_value_error(case, make, message):
    X, y = noisy_classification(n_samples=50, n_features=3)
    with pytest.raises(ValueError, match=message):
        LogisticRegression().fit(*make(X, y))


@pytest.mark.parametrize(
    "params,message",
    [
        ({"C": -1.0}, "'C' parameter"),
        ({"C": np.nan}, "'C' parameter"),
        ({"solver": "magic"}, "'solver' parameter"),
        ({"max_iter": -3}, "max_iter"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"penalty": "l3"}, "'penalty' parameter"),
        ({"stopping": "never"}, "'stopping' parameter"),
    ],
)
def test_bad_parameters_raise(params, message):
    X, y = noisy_classification(n_samples=50, n_features=3)
    with pytest.raises(ValueError, match=message):
        LogisticRegression(**params).fit(X, y)


def test_negative_or_zero_sample_weights_raise():
    X, y = noisy_classification(n_samples=50, n_features=3)
    with pytest.raises(ValueError, match="[Nn]egative"):
        LogisticRegression().fit(X, y, sample_weight=-np.ones(50))
    with pytest.raises(ValueError, match="non-zero|sums to zero"):
        LogisticRegression().fit(X, y, sample_weight=np.zeros(50))


def test_failed_fit_leaves_a_fitted_model_untouched():
    X, y = noisy_classification(n_samples=100, n_features=3)
    model = LogisticRegression().fit(X, y)
    coef = model.coef_.copy()
    with pytest.raises(ValueError):
        model.fit(X[:, :2], np.zeros(100))
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.n_features_in_ == 3


@pytest.mark.parametrize(
    "y",
    [
        np.array([3, 1, 3, 2, 1], dtype=np.int64),
        np.array([-128, 127, 0, -128], dtype=np.int8),
        np.array([2**40, 5, 2**40], dtype=np.int64),  # a range wider than the labels: sorted
        np.array([7, 7, 9], dtype=np.uint16),
        np.array(["b", "a", "b"]),
        np.array([0.5, -1.0, 0.5]),
    ],
)
def test_unique_labels_is_numpys_unique(y):
    from oneuron._validation import unique_labels

    classes, index = unique_labels(y)
    ref_classes, ref_index = np.unique(y, return_inverse=True)
    assert classes.dtype == ref_classes.dtype
    np.testing.assert_array_equal(classes, ref_classes)
    np.testing.assert_array_equal(index, ref_index)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("layout", ["C", "F", "float32", "csr"])
def test_non_finite_X_is_refused_as_scikit_learn_refuses_it_on_all_cores(bad, layout):
    # 1.2M entries: the check sums X by chunks on the threads (below 1M entries it is one sum)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 400))
    X = {"C": X, "F": np.asfortranarray(X), "float32": X.astype(np.float32), "csr": sp.csr_matrix(X)}[layout]
    if sp.issparse(X):
        X.data[-7] = bad
    else:
        X[2999, 397] = bad
    y = (rng.random(3000) < 0.5).astype(int)
    with pytest.raises(ValueError) as theirs:
        linear_model.LogisticRegression().fit(X, y)
    for model in (LogisticRegression(), LogisticRegression(n_jobs=1)):
        with pytest.raises(ValueError) as ours:
            model.fit(X, y)
        assert str(ours.value) == str(theirs.value)


def test_finite_sum_on_threads_equals_one_sum():
    from oneuron.data._parallel import finite_sum

    rng = np.random.default_rng(1)
    a = rng.normal(size=(2000, 600))
    assert finite_sum(a, 2) and finite_sum(a[:, ::2], 2)  # a strided view: one sum
    for where in [(0, 0), (1999, 599), (1000, 17)]:
        b = a.copy()
        b[where] = np.nan
        assert not finite_sum(b, 2) and not finite_sum(np.asfortranarray(b), 3)
    huge = np.full((1100, 1000), 1e308)  # every entry finite, the sum not: entry by entry next
    assert not finite_sum(huge, 2)
