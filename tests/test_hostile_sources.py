"""Hostile inputs on every source: memory, Parquet, CSV, .npy and Dask get the same checks and errors.

One test per row of the README's hostile-input table for files and Dask; each asserts the error type and
that the message names the problem (and, for files, the file and the column).
"""

from __future__ import annotations

import os
import threading
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

import oneuron
from oneuron import DataChangedError, DataLostError, LogisticRegression
from oneuron._objective import Objective
from oneuron._penalty import Penalty
from oneuron._solvers import SOLVERS
from oneuron._validation import NonFiniteError
from oneuron.data import MemorySource

from .conftest import noisy_classification

da = pytest.importorskip("dask.array")

SOURCES = ["memory", "parquet", "csv", "npy", "dask"]


def fit_on(kind, tmp_path, X, y, w=None, model=None, **source_options):
    """Fit ``model`` on the rows ``(X, y, w)`` read from ``kind``; errors of the source or the fit surface."""
    model = model or LogisticRegression()
    X = np.asarray(X)
    if kind == "memory":
        return model.fit(X, y, sample_weight=w)
    if kind == "dask":
        return model.fit(
            da.from_array(X, chunks=(40, -1)),
            da.from_array(np.asarray(y), chunks=40),
            None if w is None else da.from_array(np.asarray(w), chunks=40),
        )
    if kind == "npy":
        np.save(tmp_path / "X.npy", X)
        np.save(tmp_path / "y.npy", np.asarray(y))
        if w is not None:
            np.save(tmp_path / "w.npy", np.asarray(w))
        source = oneuron.data.npy(
            tmp_path / "X.npy", tmp_path / "y.npy", None if w is None else tmp_path / "w.npy", batch_rows=40
        )
        return model.fit(source)
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    df["label"] = y
    if w is not None:
        df["w"] = w
    weight = None if w is None else "w"
    if kind == "parquet":  # NaN stays a float NaN (not a null), as other writers than pandas leave it
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({c: df[c].to_numpy() for c in df.columns})
        pq.write_table(table, tmp_path / "data.parquet", row_group_size=50)
        source = oneuron.data.parquet(tmp_path / "data.parquet", target="label", weight=weight, batch_rows=40)
    else:
        df.to_csv(tmp_path / "data.csv", index=False)
        source = oneuron.data.csv(tmp_path / "data.csv", target="label", weight=weight, batch_rows=40)
    return model.fit(source, **source_options)


@pytest.fixture
def data():
    return noisy_classification(n_samples=200, n_features=4, seed=5)


def _set(a, index, value):
    a = np.array(a, dtype=np.result_type(a, type(value)) if not isinstance(value, float) else np.float64)
    a.flat[index] = value
    return a


# -- X ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", SOURCES)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_features_are_refused_on_every_source(kind, value, data, tmp_path):
    X, y = data
    X = _set(X, 4 * 150 + 2, value)  # row 150, column 2: in the fourth batch of 40 rows
    with pytest.raises(ValueError, match="NaN|infinity|missing values") as err:
        fit_on(kind, tmp_path, X, y)
    message = str(err.value)
    if kind in ("parquet", "csv"):
        assert "data." in message and "f2" in message  # the file and the column
    if kind in ("parquet", "npy", "dask") and not (kind == "csv" and np.isnan(value)):
        assert "150" in message or "partition 3" in message  # the row


@pytest.mark.parametrize("kind", ["memory", "npy", "dask"])
def test_complex_features_are_refused(kind, data, tmp_path):
    X, y = data
    with pytest.raises(ValueError, match="[Cc]omplex"):
        fit_on(kind, tmp_path, X + 1j, y)


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_duplicate_column_names_are_refused(kind, tmp_path):
    path = tmp_path / f"dup.{kind}"
    if kind == "csv":
        path.write_text("a,a,y\n1,2,0\n3,4,1\n5,6,0\n")
        make = oneuron.data.csv
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table([[1.0, 3.0], [2.0, 4.0], [0, 1]], names=["a", "a", "y"]), path)
        make = oneuron.data.parquet
    with pytest.raises(ValueError, match=r"columns \['a'\] appear more than once"):
        make(path, target="y")


# -- y ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", SOURCES)
def test_nan_target_is_refused(kind, data, tmp_path):
    X, y = data
    with pytest.raises(ValueError, match="NaN|missing"):
        fit_on(kind, tmp_path, X, _set(y.astype(float), 77, np.nan))


@pytest.mark.parametrize("kind", SOURCES)
def test_continuous_target_is_refused(kind, data, tmp_path):
    X, _ = data
    y = np.linspace(0, 1, len(X))
    with pytest.raises(ValueError, match="continuous"):
        fit_on(kind, tmp_path, X, y)


@pytest.mark.parametrize("kind", SOURCES)
def test_one_class_is_refused(kind, data, tmp_path):
    X, _ = data
    with pytest.raises(ValueError, match="only one class"):
        fit_on(kind, tmp_path, X, np.zeros(len(X), dtype=int))


@pytest.mark.parametrize("kind", ["memory", "npy", "dask"])
def test_complex_target_is_refused(kind, data, tmp_path):
    X, y = data
    with pytest.raises(ValueError, match="[Cc]omplex"):
        fit_on(kind, tmp_path, X, y + 0j)


# -- weights ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", SOURCES)
@pytest.mark.parametrize("value", [np.nan, np.inf, -1.0], ids=["nan", "inf", "negative"])
def test_bad_weights_are_refused(kind, value, data, tmp_path):
    X, y = data
    w = _set(np.ones(len(y)), 90, value)
    with pytest.raises(ValueError, match="weight|[Nn]egative|finite|missing"):
        fit_on(kind, tmp_path, X, y, w)


@pytest.mark.parametrize("kind", SOURCES)
def test_huge_weights_are_rescaled_on_every_source(kind, data, tmp_path):
    X, y = data
    # C sum s_i l_i + R(w) with s_i = 1e306 is the objective of unit weights with C = 1e306
    ref = LogisticRegression(solver="newton", tol=1e-12, C=1e306).fit(X, y)
    model = fit_on(kind, tmp_path, X, y, np.full(len(y), 1e306), LogisticRegression(solver="newton", tol=1e-12))
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-8)
    # a sum beyond float64 (2,000 rows of 1e306): rescaled as it is read, never infinite
    X2, y2 = np.tile(X, (10, 1)), np.tile(y, 10)
    ref2 = LogisticRegression(solver="newton", tol=1e-12, C=1e306).fit(X2, y2)
    model2 = fit_on(kind, tmp_path, X2, y2, np.full(len(y2), 1e306), LogisticRegression(solver="newton", tol=1e-12))
    np.testing.assert_allclose(model2.coef_, ref2.coef_, rtol=1e-8)


@pytest.mark.parametrize("kind", SOURCES)
@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton"])
def test_nan_class_weight_is_refused_and_gd_returns(kind, solver, data, tmp_path):
    X, y = data
    model = LogisticRegression(solver=solver, class_weight={0: np.nan, 1: 1.0})
    with pytest.raises(ValueError, match=r"class_weight\[0\]"):
        fit_on(kind, tmp_path, X, y, model=model)


@pytest.mark.parametrize("kind", ["memory", "parquet"])
def test_tiny_C_is_refused_with_its_own_message(kind, data, tmp_path):
    X, y = data
    with pytest.raises(ValueError, match="C=1e-320 is too small") as err:
        fit_on(kind, tmp_path, X, y, model=LogisticRegression(C=1e-320))
    assert "X is too large" not in str(err.value)


@pytest.mark.parametrize("kind", ["memory", "parquet", "dask"])
def test_denormal_weights_name_the_weights_not_X(kind, data, tmp_path):
    X, y = data
    with pytest.raises(ValueError, match="sample weights are so small") as err:
        fit_on(kind, tmp_path, X, y, np.full(len(y), 1e-320))
    assert "X is too large" not in str(err.value)


# -- solvers ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("solver", sorted(SOLVERS))
@pytest.mark.parametrize("n_classes", [2, 3])
def test_every_solver_stops_on_a_non_finite_objective(solver, n_classes):
    """Data that escaped validation (NaN in a block): a NonFiniteError at once, never a hang or zeros."""
    X, y = noisy_classification(n_samples=100, n_features=3, n_classes=n_classes)
    X = X.copy()
    X[7, 1] = np.nan
    y_enc = y.astype(float) if n_classes == 2 else y.astype(np.int32)
    source = MemorySource(X, y_enc, np.ones(len(y)), n_classes=n_classes)
    penalty = Penalty.from_params("l1" if solver == "prox" else "l2", 1.0, source.total_weight)
    objective = Objective(source, n_classes, penalty)
    with pytest.raises(NonFiniteError, match="NaN|inf"):
        SOLVERS[solver](objective, np.zeros(objective.n_params), tol=1e-6, max_iter=50)
    assert objective.n_passes <= 2


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_diverging_minibatch_solvers_say_so(solver):
    X, y = noisy_classification(n_samples=300, n_features=5)
    with pytest.raises(NonFiniteError, match="diverged.*learning_rate"):
        LogisticRegression(solver=solver, learning_rate=1e305).fit(X * 1e3, y)
    if solver == "sgd":
        with pytest.warns(ConvergenceWarning, match="diverges"):
            LogisticRegression(solver=solver, learning_rate=1e6).fit(X * 1e3, y)


# -- data that changes during a fit -------------------------------------------------------------------------
def _changing_after(source, passes: int, change):
    """Run ``change()`` once, after ``passes`` passes over ``source``."""
    reduce, count = source.reduce, [0]

    def wrapped(*args, **kwargs):
        count[0] += 1
        if count[0] == passes + 1:
            change()
        return reduce(*args, **kwargs)

    source.reduce = wrapped
    return source


def test_parquet_replaced_during_a_fit_is_detected(data, tmp_path):
    X, y = data
    fit_on("parquet", tmp_path, X, y)
    source = oneuron.data.parquet(tmp_path / "data.parquet", target="label", batch_rows=40)
    df = pd.read_parquet(tmp_path / "data.parquet")

    def replace():
        df2 = df.copy()
        df2.loc[3, "f0"] += 1.0
        df2.to_parquet(tmp_path / "data.parquet", row_group_size=50)

    _changing_after(source, 2, replace)
    with pytest.raises(DataChangedError, match="data.parquet changed during the fit"):
        LogisticRegression(solver="lbfgs", tol=1e-10).fit(source)


def test_npy_edited_in_place_during_a_fit_is_detected(data, tmp_path):
    X, y = data
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    source = oneuron.data.npy(tmp_path / "X.npy", tmp_path / "y.npy", batch_rows=40)
    mtime = os.stat(tmp_path / "X.npy").st_mtime_ns

    def edit():  # same size and modification time: only the contents tell
        mapped = np.load(tmp_path / "X.npy", mmap_mode="r+")
        mapped[120, 0] += 1.0
        mapped.flush()
        del mapped
        os.utime(tmp_path / "X.npy", ns=(mtime, mtime))

    _changing_after(source, 1, edit)
    with pytest.raises(DataChangedError, match=r"X.npy changed during the fit: rows 120\.\.159"):
        LogisticRegression(solver="lbfgs").fit(source)


def test_unseen_label_in_a_changed_file_is_refused_before_any_kernel(data, tmp_path):
    X, y = noisy_classification(n_samples=200, n_features=4, n_classes=3)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    source = oneuron.data.npy(tmp_path / "X.npy", tmp_path / "y.npy", batch_rows=40)
    mtime = os.stat(tmp_path / "y.npy").st_mtime_ns

    def edit():
        mapped = np.load(tmp_path / "y.npy", mmap_mode="r+")
        mapped[5] = 7  # a fourth class: an index past the softmax head's rows
        mapped.flush()
        del mapped
        os.utime(tmp_path / "y.npy", ns=(mtime, mtime))

    _changing_after(source, 1, edit)
    with pytest.raises(DataLostError, match=r"labels \[7\] are not among the classes"):
        LogisticRegression(solver="lbfgs").fit(source)


def test_csv_appended_during_a_fit_is_detected(data, tmp_path):
    X, y = data
    fit_on("csv", tmp_path, X, y)
    source = oneuron.data.csv(tmp_path / "data.csv", target="label", batch_rows=40)

    def append():
        with open(tmp_path / "data.csv", "a") as f:
            f.write("1,2,3,4,1\n")

    _changing_after(source, 1, append)
    with pytest.raises(DataChangedError, match="data.csv changed during the fit"):
        LogisticRegression(solver="lbfgs").fit(source)


def test_dask_fingerprint_covers_every_row():
    """A partition recomputed with one value changed (not a 97th row) is caught."""
    import dask

    from oneuron.data._dask import DaskSource

    X, y = noisy_classification(n_samples=400, n_features=3)
    calls = {"n": 0}
    lock = threading.Lock()

    def block(i):
        part = X[i * 100 : (i + 1) * 100].copy()
        with lock:
            calls["n"] += 1
            if i == 1 and calls["n"] > 4:  # recomputed differently after the first computation
                part[1, 0] += 1e-9
        return part

    parts = [da.from_delayed(dask.delayed(block, pure=False)(i), (100, 3), X.dtype) for i in range(4)]
    with dask.config.set(scheduler="synchronous"):
        source = DaskSource(da.concatenate(parts), y, client=None)
        objective = Objective(source, 2, Penalty.from_params("l2", 1.0, source.total_weight))
        with pytest.raises(DataLostError, match="partition 1 changed"):
            for _ in range(3):
                objective.evaluate(np.zeros(objective.n_params))


# -- directories --------------------------------------------------------------------------------------------
def test_directories_skip_hidden_and_underscore_paths_and_links_loops(data, tmp_path):
    X, y = data
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])]).assign(label=y)
    root = tmp_path / "table"
    (root / "part=a").mkdir(parents=True)
    (root / "_temporary" / "0").mkdir(parents=True)
    (root / ".hidden").mkdir()
    df.to_parquet(root / "part=a" / "0.parquet")
    df.to_parquet(root / "_temporary" / "0" / "0.parquet")  # Spark's leftovers
    df.to_parquet(root / ".hidden" / "0.parquet")
    df.to_parquet(root / "_SUCCESS.parquet")
    os.symlink(root, root / "part=a" / "loop")  # a symbolic link loop
    os.symlink(root / "part=a" / "0.parquet", root / "same.parquet")  # one file by two names
    source = oneuron.data.parquet(root, target="label")
    assert source.n_samples == len(y)
    assert source.paths == [str(root / "part=a" / "0.parquet")]


# -- memory and threads -------------------------------------------------------------------------------------
def test_batches_are_sized_by_row_width(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from oneuron.data._files import DEFAULT_BATCH_BYTES

    wide = np.random.default_rng(0).normal(size=(600, 3000))
    table = pa.table({f"c{j}": wide[:, j] for j in range(3000)} | {"y": np.arange(600) % 2})
    pq.write_table(table, tmp_path / "wide.parquet")
    source = oneuron.data.parquet(tmp_path / "wide.parquet")
    assert source.batch_rows * 3000 * 8 <= DEFAULT_BATCH_BYTES
    narrow = oneuron.data.npy(*_npy(tmp_path, 5))
    assert narrow.batch_rows == 65_536


def _npy(tmp_path, d):
    np.save(tmp_path / "Xn.npy", np.random.default_rng(0).normal(size=(100, d)))
    np.save(tmp_path / "yn.npy", np.arange(100) % 2)
    return tmp_path / "Xn.npy", tmp_path / "yn.npy"


def test_thread_pool_is_bounded_and_reused():
    X, y = noisy_classification(n_samples=4000, n_features=5)
    LogisticRegression(n_jobs=2, solver="lbfgs").fit(X, y)
    before = threading.active_count()
    for n_jobs in range(1, 41):
        LogisticRegression(n_jobs=n_jobs, solver="lbfgs", max_iter=3).fit(X, y)
    from oneuron.data._parallel import MAX_THREADS

    assert threading.active_count() - before <= MAX_THREADS


def test_ctrl_c_inside_a_kernel_is_a_keyboard_interrupt():
    """CPython reports a signal raised as a compiled call returns as SystemError; the caller sees Ctrl-C."""
    from oneuron import _kernels

    def kernel():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise SystemError("returned a result with an exception set") from interrupt

    with pytest.raises(KeyboardInterrupt):
        _kernels.interruptible(kernel)()
    with pytest.raises(SystemError):  # any other SystemError stays what it is
        _kernels.interruptible(lambda: (_ for _ in ()).throw(SystemError("other")))()


@pytest.mark.skipif(not oneuron._kernels.AVAILABLE, reason="numba not installed")
@pytest.mark.parametrize("labels", [[0, 1, 3], [-1, 0, 1]], ids=["past-the-end", "negative"])
def test_kernels_refuse_labels_out_of_range(labels):
    from oneuron import _kernels

    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="class indices in 0..2"):
        _kernels.multi_loss_grad(X, np.array(labels), np.ones(3), np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="disagree"):
        _kernels.binary_loss_grad(X, np.ones(3), np.ones(3), np.zeros(5), 0.0)


def test_weights_are_identical_on_every_source(data, tmp_path):
    X, y = data
    w = np.random.default_rng(1).uniform(0, 3, len(y))
    model = LogisticRegression(solver="newton", tol=1e-12, class_weight={0: 2.0, 1: 0.5})
    ref = fit_on("memory", tmp_path, X, y, w, model).coef_.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind in ("parquet", "csv", "dask"):
            np.testing.assert_allclose(fit_on(kind, tmp_path, X, y, w, model).coef_, ref, rtol=1e-9, err_msg=kind)
