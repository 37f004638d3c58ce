"""What ``warm_start=True`` keeps between fits on the same in-memory sparse X, and when it may not reuse it.

A fit that reuses the kept source and evaluation must give, bit for bit, the fit of a fresh estimator started
from the same coefficients (a pickled copy: pickles drop the kept state); any change of the data in between
must be seen.
"""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

import oneuron
from oneuron import LogisticRegression
from oneuron import _estimator as estimator_module
from oneuron import _kernels as kernels
from oneuron import _quadratic as quadratic
from oneuron.data._memory import csr_fingerprint

needs_numba = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed: no fingerprint, nothing kept")

PATH = np.logspace(-2, 1, 6)


def text_like(n=1200, d=150, per_row=12, n_classes=2, seed=0, dtype=np.float64):
    """Sparse non-negative rows with Zipf-like column frequencies, and labels from a sparse model."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, d + 1) ** 1.1
    cols = rng.choice(d, size=(n, per_row), p=p / p.sum())
    X = sp.csr_matrix((rng.random(n * per_row) + 0.5, (np.repeat(np.arange(n), per_row), cols.ravel())), (n, d))
    X.sum_duplicates()
    W = np.where(rng.random((n_classes, d)) < 0.1, rng.normal(scale=3.0, size=(n_classes, d)), 0.0)
    Z = X @ W.T + rng.gumbel(size=(n, n_classes))
    y = Z.argmax(axis=1) if n_classes > 2 else (Z[:, 0] > np.median(Z[:, 0])).astype(int)
    return X.astype(dtype), y


def warm(**kw):
    return LogisticRegression(**({"l1_ratio": 1.0, "C": PATH[0], "tol": 1e-8, "warm_start": True} | kw))


def fresh_copy(model):
    """The same estimator, fitted coefficients included, without what a warm start keeps."""
    return pickle.loads(pickle.dumps(model))


def assert_same_fit(a, b):
    for name in ("coef_", "intercept_", "n_iter_"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name
    assert a.loss_curve_ == b.loss_curve_


def fit_quietly(model, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kw)


# -- the fingerprint ------------------------------------------------------------------------------------------
def _one_ulp(Y):
    Y.data[7] = np.nextafter(Y.data[7], np.inf)


def _other_column(Y):
    Y.indices[5] = (Y.indices[5] + 1) % Y.shape[1]


def _swap_two_entries_of_a_row(Y):
    Y.indices[[0, 1]] = Y.indices[[1, 0]]
    Y.data[[0, 1]] = Y.data[[1, 0]]


def _entry_to_the_next_row(Y):
    Y.indptr[1] -= 1


def _zero_to_minus_zero(Y):
    Y.data[3] = -0.0


@needs_numba
def test_fingerprint_sees_every_edit_of_the_csr_arrays():
    X, _ = text_like()
    X.data[3] = 0.0  # an explicit zero
    before = csr_fingerprint(X)
    assert csr_fingerprint(X.copy()) == before  # content, not identity
    for edit in (_one_ulp, _other_column, _swap_two_entries_of_a_row, _entry_to_the_next_row, _zero_to_minus_zero):
        Y = X.copy()
        edit(Y)
        assert csr_fingerprint(Y) != before, edit.__name__
    wider = sp.csr_matrix((X.data, X.indices, X.indptr), shape=(X.shape[0], X.shape[1] + 1))
    assert csr_fingerprint(wider) != before
    assert csr_fingerprint(X.astype(np.float32)) != before
    assert csr_fingerprint(X.astype(np.float32)) == csr_fingerprint(X.astype(np.float32))


def test_fingerprint_is_none_for_dense_or_csc_data_and_without_numba(monkeypatch):
    X, _ = text_like()
    assert csr_fingerprint(X.toarray()) is None
    assert csr_fingerprint(X.tocsc()) is None
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    assert csr_fingerprint(X) is None


# -- reuse is invisible in the results ---------------------------------------------------------------------------
@needs_numba
@pytest.mark.parametrize(
    ("n_classes", "fit_intercept", "l1_ratio", "through_columns"),
    [
        (2, False, 1.0, True),
        (2, True, 1.0, False),
        (2, True, 0.5, True),
        (3, False, 1.0, True),
        (3, True, 1.0, True),
    ],
)
def test_a_warm_path_reusing_its_state_equals_fresh_fits_bit_for_bit(
    n_classes, fit_intercept, l1_ratio, through_columns, monkeypatch
):
    if through_columns:  # coordinate descent through the CSC copy of X, which the path then makes only once
        monkeypatch.setattr(quadratic, "SPARSE_DENSE_MODEL_MAX_WORK", 0.0)
    X, y = text_like(n_classes=n_classes)
    model = warm(fit_intercept=fit_intercept, l1_ratio=l1_ratio)
    sources, column_copies, passes_saved = set(), set(), []
    for C in PATH:
        fresh = fresh_copy(model) if hasattr(model, "coef_") else clone(model)
        assert not hasattr(fresh, "_warm_data")
        for m in (model, fresh):
            fit_quietly(m.set_params(C=C), X, y)
        assert_same_fit(model, fresh)
        source = model._warm_data.source
        sources.add(id(source))
        if source._csc is not None:
            column_copies.add(id(source._csc))
        passes_saved.append(fresh.n_passes_ - model.n_passes_)
    assert len(sources) == 1  # one source for the whole path
    # one column copy for the whole path: the binary head makes it at the first fit (its small working sets are
    # read from it), the softmax head where coordinate descent goes through columns
    assert len(column_copies) == (through_columns or n_classes == 2)
    # the start is the last fit's evaluation (no pass) where the kept coefficients are its point: always for
    # the binary head; the softmax head's intercepts are centred after the fit, which moves them off it
    expected = 0 if n_classes > 2 and fit_intercept else 1
    assert passes_saved == [0] + [expected] * (len(PATH) - 1)


@needs_numba
def test_float32_data_reuses_the_source_and_equals_fresh_fits():
    X, y = text_like(dtype=np.float32)
    model = warm()
    for C in PATH[:3]:
        fresh = fresh_copy(model) if hasattr(model, "coef_") else clone(model)
        source = getattr(model, "_warm_data", None)
        fit_quietly(model.set_params(C=C), X, y)
        fit_quietly(fresh.set_params(C=C), X, y)
        assert_same_fit(model, fresh)
        assert source is None or model._warm_data.source is source.source


# -- changes between fits are seen ----------------------------------------------------------------------------
def _scale_data(X, y, s):
    X.data *= 1.5


def _move_entries(X, y, s):
    X.indices[:] = (X.indices + 1) % X.shape[1]  # same values and rows, other columns: the CSC copy is stale


def _flip_labels(X, y, s):
    y[:50] = 1 - y[:50]


def _reweight(X, y, s):
    s[::3] *= 4.0


def _new_data_array(X, y, s):
    X.data = X.data * 1.0  # equal values, another array: the kept row blocks are views of the old one


EDITS = {
    "X.data in place": _scale_data,
    "X.indices in place": _move_entries,
    "y in place": _flip_labels,
    "sample_weight in place": _reweight,
    "X.data replaced": _new_data_array,
}


@needs_numba
@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_of_the_data_between_warm_fits_is_seen(edit, monkeypatch):
    monkeypatch.setattr(quadratic, "SPARSE_DENSE_MODEL_MAX_WORK", 0.0)  # a CSC copy at the first fit
    X, y = text_like()
    s = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    model = fit_quietly(warm(C=0.5), X, y, sample_weight=s)
    kept = model._warm_data
    assert kept.source._csc is not None and kept.evaluation is not None
    EDITS[edit](X, y, s)
    fresh = fresh_copy(model)
    fit_quietly(model.set_params(C=1.0), X, y, sample_weight=s)
    fit_quietly(fresh.set_params(C=1.0), X, y, sample_weight=s)
    assert_same_fit(model, fresh)
    assert model._warm_data.source is not kept.source
    assert model.n_passes_ == fresh.n_passes_  # the start was evaluated anew
    # and a fit on the unchanged data keeps the new state
    again = fresh_copy(model)
    fit_quietly(model.set_params(C=2.0), X, y, sample_weight=s)
    fit_quietly(again.set_params(C=2.0), X, y, sample_weight=s)
    assert_same_fit(model, again)
    assert model.n_passes_ == again.n_passes_ - 1


@needs_numba
def test_a_warm_fit_skips_the_nan_check_only_on_the_unchanged_matrix(monkeypatch):
    X, y = text_like()
    checked = []
    real = estimator_module.check_finite
    monkeypatch.setattr(estimator_module, "check_finite", lambda X, est: checked.append(1) or real(X, est))
    model = fit_quietly(warm(C=0.5), X, y)
    fit_quietly(model.set_params(C=1.0), X, y)
    assert len(checked) == 1  # the second fit's matrix is the first's, unchanged: checked then
    X.data[7] = np.nan  # an edit in place: the fingerprint changes, and the check runs again and fails
    with pytest.raises(ValueError, match="NaN"):
        model.set_params(C=2.0).fit(X, y)
    assert len(checked) == 2


@needs_numba
@pytest.mark.parametrize(
    "change",
    ["an equal copy of X", "n_jobs", "class_weight", "more classes"],
)
def test_other_data_or_threads_build_a_new_source(change):
    X, y = text_like()
    model = fit_quietly(warm(C=0.5), X, y)
    kept = model._warm_data.source
    if change == "an equal copy of X":
        X = X.copy()
    elif change == "n_jobs":
        model.set_params(n_jobs=1 if kept.n_jobs != 1 else 2)
    elif change == "class_weight":
        model.set_params(class_weight={0: 1.0, 1: 2.0})
    else:
        y = y.copy()
        y[:20] = 2
    fresh = fresh_copy(model)
    fit_quietly(model.set_params(C=1.0), X, y)
    fit_quietly(fresh.set_params(C=1.0), X, y)
    assert_same_fit(model, fresh)
    assert model._warm_data.source is not kept


# -- what keeps no state, and where the state never goes --------------------------------------------------------
@needs_numba
def test_no_state_without_warm_start_on_dense_data_other_solvers_or_sources(tmp_path):
    X, y = text_like()
    assert not hasattr(fit_quietly(warm(warm_start=False), X, y), "_warm_data")
    model = fit_quietly(warm(), X, y)
    assert hasattr(model, "_warm_data")
    fit_quietly(model, X.toarray(), y)  # dense data: the kept state is dropped, none is kept
    assert not hasattr(model, "_warm_data")
    fit_quietly(model, X, y)
    fit_quietly(model.set_params(warm_start=False), X, y)
    assert not hasattr(model, "_warm_data")
    fit_quietly(model.set_params(warm_start=True), X, y)
    fit_quietly(model.set_params(solver="sgd", l1_ratio=0.0, max_iter=2), X, y)
    assert not hasattr(model, "_warm_data")
    dense = X.toarray()
    np.save(tmp_path / "X.npy", dense)
    np.save(tmp_path / "y.npy", y)
    for other in (oneuron.data.npy(tmp_path / "X.npy", tmp_path / "y.npy"), "dask"):
        model = fit_quietly(warm(), X, y)
        assert hasattr(model, "_warm_data")
        if other == "dask":
            da = pytest.importorskip("dask.array")
            fit_quietly(model, da.from_array(dense, chunks=600), da.from_array(y, chunks=600))
        else:
            fit_quietly(model, other)
        assert not hasattr(model, "_warm_data")


@needs_numba
def test_a_smooth_fit_keeps_the_source_but_no_evaluation():
    X, y = text_like()
    model = fit_quietly(warm(C=0.5), X, y)
    kept = model._warm_data
    fresh = fresh_copy(model)
    fit_quietly(model.set_params(l1_ratio=0.0), X, y)  # l2: Newton, which takes no evaluation as its start
    fit_quietly(fresh.set_params(l1_ratio=0.0), X, y)
    assert_same_fit(model, fresh)
    assert model.solver_ == "newton" and model.n_passes_ == fresh.n_passes_
    assert model._warm_data.source is kept.source and model._warm_data.evaluation is None


def test_no_state_without_numba(monkeypatch):
    monkeypatch.setattr(kernels, "AVAILABLE", False)  # the NumPy path everywhere, and no fingerprint
    X, y = text_like()
    model = fit_quietly(warm(), X, y)
    fit_quietly(model.set_params(C=1.0), X, y)
    assert not hasattr(model, "_warm_data")
    assert np.count_nonzero(model.coef_) > 0


@needs_numba
def test_the_state_is_never_pickled_copied_cloned_or_saved(tmp_path):
    X, y = text_like()
    model = fit_quietly(warm(C=1.0), X, y)
    kept = model._warm_data
    assert kept.evaluation is not None
    for other in (
        pickle.loads(pickle.dumps(model)),
        copy.copy(model),
        copy.deepcopy(model),
        clone(model),
    ):
        assert not hasattr(other, "_warm_data")
    assert len(pickle.dumps(model)) < X.data.nbytes / 4  # neither X nor copies of it
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # save() warns about fitted attributes it skips
        oneuron.save(model, tmp_path / "model.json")
    loaded = oneuron.load(tmp_path / "model.json")
    assert not hasattr(loaded, "_warm_data")
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    assert model._warm_data is kept  # pickling the model left its own state alone


@needs_numba
def test_a_failed_fit_leaves_the_kept_state_as_it_was(monkeypatch):
    X, y = text_like()
    model = fit_quietly(warm(C=0.5), X, y)
    kept, evaluation, coef = model._warm_data, model._warm_data.evaluation, model.coef_.copy()
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X, y, sample_weight=-np.ones(len(y)))

    def fail(self, objective, evaluation):
        raise RuntimeError("after the solver")

    with monkeypatch.context() as patch:
        patch.setattr(estimator_module._WarmData, "keep", fail)
        with pytest.raises(RuntimeError, match="after the solver"):
            fit_quietly(model.set_params(C=1.0), X, y)
    assert model._warm_data is kept and kept.evaluation is evaluation
    np.testing.assert_array_equal(model.coef_, coef)
    fresh = fresh_copy(model)
    fit_quietly(model, X, y)
    fit_quietly(fresh, X, y)
    assert_same_fit(model, fresh)
    assert model.n_passes_ == fresh.n_passes_ - 1  # the kept evaluation is still at the coefficients
