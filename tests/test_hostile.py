"""Hostile inputs: each one gets a clear error naming the problem, or a documented, tested recovery.

One test per row of the README table "input -> what oneuron does" (model-file rows: see oneuron.load).
"""

from __future__ import annotations

import re
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score

from oneuron import LogisticRegression
from oneuron import _validation as checks

from .conftest import noisy_classification


@pytest.fixture
def data():
    return noisy_classification(n_samples=120, n_features=4)


@pytest.fixture
def fitted(data):
    return LogisticRegression().fit(*data)


def _with(X, index, value):
    X = X.astype(object) if isinstance(value, str) or value is None else X.copy()
    X.flat[index] = value
    return X


# -- X: values and types -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value,message", [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")])
def test_nan_and_inf_are_rejected_in_fit_and_predict(data, fitted, value, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        LogisticRegression().fit(_with(X, 5, value), y)
    with pytest.raises(ValueError, match=message):
        fitted.predict(_with(X, 5, value))
    with pytest.raises(ValueError, match=message):
        LogisticRegression().fit(sp.csr_matrix(_with(X, 5, value)), y)


def test_strings_that_are_not_numbers_are_rejected(data, fitted):
    X, y = data
    with pytest.raises(ValueError, match="could not convert string to float: 'seven'"):
        LogisticRegression().fit(_with(X, 5, "seven"), y)
    with pytest.raises(ValueError, match="could not convert"):
        fitted.predict(_with(X, 5, "seven"))


def test_numeric_strings_and_object_arrays_of_numbers_are_converted(data):
    X, y = data
    reference = LogisticRegression().fit(X, y)
    for converted in (X.astype(object), X.astype(str)):
        model = LogisticRegression().fit(converted, y)
        np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-12)
        np.testing.assert_array_equal(model.predict(converted), reference.predict(X))


def test_object_array_with_none_is_missing_data(data):
    X, y = data
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(_with(X, 5, None), y)


def test_complex_and_wrongly_shaped_x_are_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="Complex data not supported"):
        LogisticRegression().fit(X + 1j, y)
    with pytest.raises(ValueError, match="Expected 2D array"):
        LogisticRegression().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="dim 3"):
        LogisticRegression().fit(X[:, :, None], y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_features_too_large_for_the_dtype_raise_instead_of_overflowing(data, dtype):
    X, y = data
    big = (X * (1e200 if dtype == np.float64 else 1e20)).astype(dtype)
    for solver in ("gd", "newton"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            if dtype == np.float32:
                # float32 rows are summed in float64 (by the compiled kernels, or by NumPy on a widened block):
                # either the float64 model, or (a float32 Hessian product that overflows) a clear error
                try:
                    model = LogisticRegression(solver=solver).fit(big, y)
                except ValueError as exc:
                    assert re.search("X is too large .*largest \\|X\\|.*StandardScaler", str(exc)), exc
                    continue
                ref = LogisticRegression(solver=solver).fit(big.astype(np.float64), y)
                np.testing.assert_allclose(model.predict_proba(big), ref.predict_proba(big), atol=1e-4)
                continue
            with pytest.raises(ValueError, match="X is too large .*largest \\|X\\|.*StandardScaler"):
                LogisticRegression(solver=solver).fit(big, y)


def test_predicting_on_features_too_large_raises():
    X, y = noisy_classification(n_samples=120, n_features=4, n_classes=3)
    model = LogisticRegression().fit(X, y)
    k = np.argmax(np.abs(model.coef_).sum(axis=1))
    assert np.abs(model.coef_[k]).sum() > 1.1
    X_big = np.tile(np.sign(model.coef_[k]) * 1.7e308, (5, 1))  # z_k = 1.7e308 sum|W_k|: overflows to inf
    # (scikit-learn's finiteness check, which sums X, may itself warn of an overflow this close to float max)
    with pytest.raises(ValueError, match="X is too large"):
        model.predict_proba(X_big)  # the softmax of inf would be NaN


# -- shapes --------------------------------------------------------------------------------------------------
def test_empty_data_and_zero_features_are_rejected(data, fitted):
    X, y = data
    with pytest.raises(ValueError, match="0 sample"):
        LogisticRegression().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="0 feature"):
        LogisticRegression().fit(X[:, :0], y)
    with pytest.raises(ValueError, match="0 sample"):
        fitted.predict(X[:0])


def test_mismatched_lengths_are_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LogisticRegression().fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight.shape"):
        LogisticRegression().fit(X, y, sample_weight=np.ones(len(y) - 1))


def test_wrong_number_of_features_at_predict_is_rejected(data, fitted):
    X, _ = data
    for method in (fitted.predict, fitted.predict_proba, fitted.decision_function):
        with pytest.raises(ValueError, match="X has 3 features, but LogisticRegression is expecting 4"):
            method(X[:, :3])


# -- labels --------------------------------------------------------------------------------------------------
def test_one_class_is_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="only one class"):
        LogisticRegression().fit(X, np.full(len(y), "spam"))


def test_continuous_nan_or_2d_labels_are_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        LogisticRegression().fit(X, y + 0.5 * np.random.default_rng(0).random(len(y)))
    with pytest.raises(ValueError, match="y contains NaN"):
        LogisticRegression().fit(X, np.where(np.arange(len(y)) == 3, np.nan, y))
    with pytest.raises(ValueError, match="y should be a 1d array"):
        LogisticRegression().fit(X, np.column_stack([y, y]))


def test_score_with_labels_unseen_in_fit_warns_and_counts_them_as_errors(data, fitted):
    X, y = data
    y_test = np.where(np.arange(len(y)) % 4 == 0, 7, y)  # 7 was never a class
    with pytest.warns(checks.UnseenLabelWarning, match=r"1 label\(s\) the model was not fitted on \(7\)"):
        score = fitted.score(X, y_test)
    assert score == pytest.approx(accuracy_score(y_test, fitted.predict(X)))
    assert score <= 0.75  # every fourth row is an unavoidable error
    with warnings.catch_warnings():
        warnings.simplefilter("error", checks.UnseenLabelWarning)
        fitted.score(X, y)  # known labels: no warning


def test_score_with_labels_of_another_type_raises(data, fitted):
    X, y = data
    with pytest.raises(ValueError, match="Mix of label input types"):
        fitted.score(X, y.astype(str))


# -- sample weights ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "weights,message",
    [
        (lambda n: -np.ones(n), "[Nn]egative"),
        (lambda n: np.zeros(n), "non-zero|sums to zero"),
        (lambda n: np.where(np.arange(n) == 2, np.nan, 1.0), "finite"),
        (lambda n: np.where(np.arange(n) == 2, np.inf, 1.0), "finite"),
        (lambda n: np.array(["heavy"] * n), "finite"),
        (lambda n: np.ones((n, 1)), "1D array"),
    ],
    ids=["negative", "all zero", "nan", "inf", "strings", "2d"],
)
def test_bad_sample_weights_are_rejected(data, weights, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        LogisticRegression().fit(X, y, sample_weight=weights(len(y)))


@pytest.mark.parametrize("scale", [1e306, 1e-306, 1e40])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_sample_weights_are_rescaled_exactly(data, scale, dtype):
    """``C sum s_i l_i`` is unchanged by ``s -> a s, C -> C / a``: weights beyond 1e30 give the fit for ``C a``."""
    X, y = data
    u = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    # float32 data: the gradient's rounding floor is ~1e-8 here (see the test below), so ask for what it reaches
    tol = 1e-10 if dtype == np.float64 else 1e-7
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow/underflow warning, no ConvergenceWarning
        extreme = LogisticRegression(tol=tol).fit(X.astype(dtype), y, sample_weight=u * scale)
    equivalent = LogisticRegression(C=scale, tol=tol).fit(X.astype(dtype), y, sample_weight=u)
    # the same objective, summed with other roundings: equal to the solvers' precision (C = 1e40 is nearly
    # unpenalized, hence less well conditioned; float32 stops at its rounding floor)
    rtol = 1e-6 if dtype == np.float64 else 1e-3
    np.testing.assert_allclose(extreme.coef_, equivalent.coef_, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(extreme.intercept_, equivalent.intercept_, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("solver", ["newton", "prox"])
def test_a_tol_below_the_rounding_floor_is_reported_not_claimed(data, solver):
    """When the objective can no longer decrease in float64 but max|gradient| > tol, the fit says so."""
    X, y = data
    u = np.random.default_rng(0).uniform(0.5, 2.0, len(y)) * 1e40
    penalty = "l1" if solver == "prox" else "l2"
    # the message names the floor (not max_iter) and the measure that stayed above tol (float32 data is fitted
    # with float64 parameters: the floor is float64's)
    with pytest.warns(ConvergenceWarning, match=r"no further decrease possible in float64 with max\|"):
        LogisticRegression(penalty=penalty, solver=solver, tol=1e-19).fit(X.astype(np.float32), y, sample_weight=u)


# -- parameters ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("C", [np.nan, -np.inf, -1.0, 0.0, True, "1", None])
def test_invalid_c_is_rejected(data, C):
    with pytest.raises(ValueError, match="The 'C' parameter of LogisticRegression must be a float in the range"):
        LogisticRegression(C=C).fit(*data)


def test_infinite_c_means_no_penalty(data):
    X, y = data
    unpenalized = LogisticRegression(penalty=None, tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(LogisticRegression(C=np.inf, tol=1e-10).fit(X, y).coef_, unpenalized.coef_)


@pytest.mark.parametrize("max_iter", [-1, 10.0, 1e3, np.inf, np.nan, True, "100"])
def test_invalid_max_iter_is_rejected(data, max_iter):
    with pytest.raises(ValueError, match="The 'max_iter' parameter of LogisticRegression must be an int in the range"):
        LogisticRegression(max_iter=max_iter).fit(*data)


@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton"])
def test_huge_max_iter_is_only_a_cap(data, solver):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LogisticRegression(solver=solver, max_iter=10**30).fit(X, y)
    reference = LogisticRegression(solver=solver).fit(X, y)
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    assert model.n_iter_[0] < 10_000


def test_zero_max_iter_returns_the_start_and_warns(data):
    with pytest.warns(ConvergenceWarning, match="max_iter=0"):
        model = LogisticRegression(solver="gd", max_iter=0).fit(*data)
    assert not model.coef_.any()


# -- a huge number of classes --------------------------------------------------------------------------------
def test_every_row_its_own_class_fits_in_bounded_memory():
    """3,000 rows, 3,000 classes: the softmax temporaries stay a few MB (unbounded: 3,000 x 3,000 x 8 B each)."""
    n = 3000
    X = np.random.default_rng(0).standard_normal((n, 2))
    y = np.arange(n)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", UserWarning)  # scikit-learn: "could represent a regression problem"
            model = LogisticRegression(solver="lbfgs", max_iter=2).fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert model.coef_.shape == (n, 2) and np.all(np.isfinite(model.coef_))
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MiB"  # one full (n x n) float64 array is 69 MiB


def test_a_model_too_large_for_memory_is_refused_up_front(monkeypatch):
    monkeypatch.setattr(checks, "physical_memory", lambda: 2**16)  # a 64 KiB machine
    X = np.random.default_rng(0).standard_normal((500, 3))
    with pytest.raises(ValueError, match="y has 500 classes: with 3 features the model has 2,000 parameters"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # scikit-learn: "could represent a regression problem"
            LogisticRegression().fit(X, np.arange(500))


def test_one_class_is_rejected_by_every_entry_point(data, tmp_path):
    """fit, the mini-batch fit, LogisticRegressionCV, a .npy file source and dask data give the same error."""
    import dask.array as da

    import oneuron

    X, y = data
    one = np.zeros(len(y), dtype=int)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", one)
    fits = [
        lambda: LogisticRegression().fit(X, one),
        lambda: LogisticRegression(solver="sgd").fit(X, one),
        lambda: oneuron.LogisticRegressionCV(Cs=2, cv=2).fit(X, one),
        lambda: LogisticRegression().fit(oneuron.data.npy(tmp_path / "X.npy", tmp_path / "y.npy")),
        lambda: LogisticRegression().fit(da.from_array(X, chunks=len(y) // 2), da.from_array(one, chunks=len(y) // 2)),
    ]
    for fit in fits:
        with pytest.raises(ValueError, match=r"only one class \(0\).*at least 2 classes"):
            fit()
