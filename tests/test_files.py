"""File sources: fits streamed from Parquet, CSV and .npy equal the in-memory fit, in bounded memory."""

import subprocess
import sys
import tracemalloc

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import oneuron
from oneuron import LogisticRegression
from oneuron._objective import Objective
from oneuron._penalty import Penalty

from .conftest import noisy_classification, timeless


def write_all(tmp_path, X, y, labels=None, weights=None):
    """The same data as Parquet (small row groups), CSV and .npy files."""
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    df["label"] = y if labels is None else labels[y]
    if weights is not None:
        df["w"] = weights
    df.to_parquet(tmp_path / "data.parquet", row_group_size=333)
    df.to_csv(tmp_path / "data.csv", index=False)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y if labels is None else labels[y])
    return df


def sources(tmp_path, weight=None):
    return {
        "parquet": oneuron.data.parquet(tmp_path / "data.parquet", target="label", weight=weight, batch_rows=500),
        "csv": oneuron.data.csv(tmp_path / "data.csv", target="label", weight=weight, batch_rows=500),
        "npy": oneuron.data.npy(tmp_path / "X.npy", tmp_path / "y.npy", batch_rows=500),
    }


def max_rel(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


@pytest.mark.parametrize("n_classes", [2, 4])
def test_streamed_fits_equal_in_memory_fit(tmp_path, n_classes):
    X, y = noisy_classification(n_samples=2500, n_features=12, n_classes=n_classes, seed=3)
    labels = np.array(["cat", "dog", "ant", "bee"])[:n_classes]  # string labels: np.unique order is not input order
    df = write_all(tmp_path, X, y, labels).drop(columns="label")
    ref = LogisticRegression(solver="newton", tol=1e-13).fit(X, labels[y])
    for name, source in sources(tmp_path).items():
        model = LogisticRegression(solver="newton", tol=1e-13).fit(source)
        np.testing.assert_array_equal(model.classes_, ref.classes_, err_msg=name)
        assert max_rel(model.coef_, ref.coef_) < 1e-10, name
        assert max_rel(model.intercept_, ref.intercept_) < 1e-10, name
        if name == "npy":
            assert not hasattr(model, "feature_names_in_")
            np.testing.assert_array_equal(model.predict(X), ref.predict(X))
        else:  # column names are kept, as a fit on a DataFrame keeps them
            assert list(model.feature_names_in_) == list(df.columns)
            np.testing.assert_array_equal(model.predict(df), ref.predict(X))


def test_lbfgs_on_a_source_uses_one_pass_per_evaluation(tmp_path):
    X, y = noisy_classification(n_samples=1500, n_features=8, seed=4)
    write_all(tmp_path, X, y)
    source = oneuron.data.parquet(tmp_path / "data.parquet", target="label", batch_rows=500)
    reads = []
    raw = source._raw_batches
    source._raw_batches = lambda: (reads.append(1) or b for b in raw())
    model = LogisticRegression(solver="lbfgs", tol=1e-8, statistics=False).fit(source)
    ref = LogisticRegression(solver="lbfgs", tol=1e-8).fit(X, y)
    assert len(reads) == 3 * model.n_passes_  # 1500 rows / 500 = 3 batches per pass
    assert max_rel(model.coef_, ref.coef_) < 1e-6


def test_weights_and_class_weight_from_a_file(tmp_path):
    X, y = noisy_classification(n_samples=1200, n_features=6, n_classes=3, seed=5)
    s = np.random.default_rng(0).uniform(0.2, 2.0, len(y))
    write_all(tmp_path, X, y, weights=s)
    src = oneuron.data.parquet(tmp_path / "data.parquet", target="label", weight="w", batch_rows=256)
    assert src.n_features == 6  # the weight column is not a feature
    for cw in (None, "balanced", {0: 2.0, 1: 1.0, 2: 0.5}):
        model = LogisticRegression(solver="newton", tol=1e-13, class_weight=cw).fit(src)
        ref = LogisticRegression(solver="newton", tol=1e-13, class_weight=cw).fit(X, y, sample_weight=s)
        assert max_rel(model.coef_, ref.coef_) < 1e-9, cw


def test_float32_parquet_is_fitted_in_float32(tmp_path):
    X, y = noisy_classification(n_samples=800, n_features=5, seed=6)
    df = pd.DataFrame(X.astype(np.float32), columns=list("abcde"))
    df["y"] = y
    df.to_parquet(tmp_path / "f32.parquet")
    src = oneuron.data.parquet(tmp_path / "f32.parquet")
    assert src.dtype == np.float32
    model = LogisticRegression(tol=1e-6).fit(src)
    ref = LogisticRegression(tol=1e-6).fit(X.astype(np.float32), y)
    assert max_rel(model.coef_, ref.coef_) < 1e-4


def test_directory_of_parquet_files_is_one_source(tmp_path):
    X, y = noisy_classification(n_samples=900, n_features=4, seed=7)
    df = pd.DataFrame(X, columns=list("abcd"))
    df["y"] = y
    (tmp_path / "parts").mkdir()
    for i in range(3):
        df.iloc[i * 300 : (i + 1) * 300].to_parquet(tmp_path / "parts" / f"part{i}.parquet")
    src = oneuron.data.parquet(tmp_path / "parts", features=["a", "b", "c", "d"])
    assert src.n_samples == 900
    model = LogisticRegression(solver="newton", tol=1e-13).fit(src)
    ref = LogisticRegression(solver="newton", tol=1e-13).fit(X, y)
    assert max_rel(model.coef_, ref.coef_) < 1e-10


def test_bad_sources_raise_clear_errors(tmp_path):
    X, y = noisy_classification(n_samples=100, n_features=3, seed=8)
    write_all(tmp_path, X, y)
    with pytest.raises(ValueError, match="target='y' is not a column"):
        oneuron.data.parquet(tmp_path / "data.parquet")
    with pytest.raises(ValueError, match="features"):
        oneuron.data.parquet(tmp_path / "data.parquet", target="label", features=["nope"])
    with pytest.raises(ValueError, match="no such file"):
        oneuron.data.csv(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="batch_rows"):
        oneuron.data.npy(tmp_path / "X.npy", tmp_path / "y.npy", batch_rows=0)
    with pytest.raises(ValueError, match="y_path"):
        oneuron.data.npy(tmp_path / "X.npy", tmp_path / "X.npy")
    src = oneuron.data.parquet(tmp_path / "data.parquet", target="label")
    with pytest.raises(ValueError, match="carries its own labels"):
        LogisticRegression().fit(src, y)
    with pytest.raises(ValueError, match="full-batch solver"):
        LogisticRegression(solver="adam").fit(src)
    df = pd.DataFrame({"a": [1.0, None, 3.0, 4.0], "y": [0, 1, 0, 1]})
    df.to_parquet(tmp_path / "nulls.parquet")
    with pytest.raises(ValueError, match="missing values"):
        oneuron.data.parquet(tmp_path / "nulls.parquet")
    pd.DataFrame({"a": [1.0, 2.0], "y": [1, 1]}).to_parquet(tmp_path / "one.parquet")
    with pytest.raises(ValueError, match="only one class"):
        oneuron.data.parquet(tmp_path / "one.parquet")


PEAK_RSS_OF_A_PASS = """
import sys
import numpy as np
import oneuron
from oneuron._objective import Objective
from oneuron._penalty import Penalty
source = oneuron.data.parquet(sys.argv[1], batch_rows=int(sys.argv[2]))
objective = Objective(source, 2, Penalty.from_params("l2", 1.0, source.total_weight))
objective.loss_gradient(np.zeros(objective.n_params))
# VmHWM: this process' own peak (ru_maxrss would include the parent's, inherited at fork)
print([int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM")][0])
"""


def _peak_rss_of_a_pass(path, batch_rows: int) -> int:
    """Peak resident memory of a fresh process that builds the source and makes one evaluation."""
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_OF_A_PASS, str(path), str(batch_rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.split()[-1])


def _peak_allocations_of_a_pass(path, batch_rows: int) -> int:
    """Peak of NumPy (tracemalloc) plus Arrow (its default memory pool) allocations during one evaluation."""
    source = oneuron.data.parquet(path, batch_rows=batch_rows)
    objective = Objective(source, 2, Penalty.from_params("l2", 1.0, source.total_weight))
    pool = pa.proxy_memory_pool(pa.default_memory_pool())
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    tracemalloc.start()
    try:
        objective.loss_gradient(np.zeros(objective.n_params))
        _, numpy_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(previous)
    return numpy_peak + pool.max_memory()


def _write(path, n: int, d: int, row_group: int, rng) -> None:
    X = rng.normal(size=(n, d))
    table = pa.table({**{f"f{j}": X[:, j] for j in range(d)}, "y": (X[:, 0] > 0).astype(np.int64)})
    pq.write_table(table, path, row_group_size=row_group)


def test_streamed_allocations_stay_bounded_as_the_file_grows(tmp_path):
    d, batch_rows = 20, 8192
    batch_bytes = batch_rows * d * 8  # 1.3 MB
    rng = np.random.default_rng(0)
    allocated = {}
    for n in (25_000, 200_000):  # 3x and 25x the batch budget
        _write(tmp_path / f"n{n}.parquet", n, d, batch_rows, rng)
        allocated[n] = _peak_allocations_of_a_pass(tmp_path / f"n{n}.parquet", batch_rows)
    assert allocated[200_000] < 8 * batch_bytes
    assert allocated[200_000] < 1.25 * allocated[25_000] + batch_bytes


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_streamed_peak_rss_stays_bounded_as_the_file_grows(tmp_path):
    """The whole process, Arrow's buffers included (tracemalloc does not see them all)."""
    d, batch_rows = 20, 8192
    batch_bytes = batch_rows * d * 8  # 1.3 MB
    rng = np.random.default_rng(0)
    rss = {}
    for n in (25_000, 200_000):  # files of 4 MB and 32 MB
        _write(tmp_path / f"n{n}.parquet", n, d, batch_rows, rng)
        rss[n] = _peak_rss_of_a_pass(tmp_path / f"n{n}.parquet", batch_rows)
    # 8x the file (+28 MB), less than 8 batches (10.5 MB) more memory for the interpreter, libraries and batch
    assert rss[200_000] - rss[25_000] < 8 * batch_bytes


def test_summary_after_a_streamed_fit_is_the_in_memory_one(tmp_path):
    """summary() walks the training data through the same source: the file, batch by batch."""
    X, y = noisy_classification(n_samples=1500, n_features=5, seed=11)
    df = write_all(tmp_path, X, y).drop(columns="label")
    model = LogisticRegression(penalty=None, solver="newton", tol=1e-12)
    streamed = model.fit(oneuron.data.parquet(tmp_path / "data.parquet", target="label", batch_rows=400)).summary()
    in_memory = LogisticRegression(penalty=None, solver="newton", tol=1e-12).fit(df, y).summary()
    assert timeless(str(streamed)) == timeless(str(in_memory))


@pytest.mark.parametrize("kind", ["parquet", "csv", "npy"])
def test_predict_on_a_file_source_streams_and_equals_in_memory(kind, tmp_path):
    """A file 5x larger than a batch: predict, predict_proba, decision_function equal those on the arrays."""
    X, y = noisy_classification(n_samples=2_500, n_features=6, n_classes=3, seed=11)
    write_all(tmp_path, X, y, labels=np.array(["a", "b", "c"]))
    fitted = LogisticRegression().fit(sources(tmp_path)["parquet"])
    source = sources(tmp_path)[kind]
    memory = LogisticRegression().fit(X, np.array(["a", "b", "c"])[y])
    if kind == "npy":  # no column names: the model fitted on arrays predicts on it
        fitted = memory
    assert source.n_samples / source.batch_rows == 5
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        streamed = getattr(fitted, method)(source)
        expected = getattr(memory, method)(X)
        if method == "predict":
            np.testing.assert_array_equal(streamed, expected)
        else:
            np.testing.assert_allclose(streamed, expected, rtol=1e-6, atol=1e-8)


def test_a_source_without_labels_predicts_and_cannot_be_fitted(tmp_path):
    X, y = noisy_classification(n_samples=700, n_features=4, seed=12)
    df = write_all(tmp_path, X, y)
    df.drop(columns="label").to_parquet(tmp_path / "unlabelled.parquet")
    model = LogisticRegression().fit(oneuron.data.parquet(tmp_path / "data.parquet", target="label"))
    unlabelled = oneuron.data.parquet(tmp_path / "unlabelled.parquet", target=None, batch_rows=100)
    assert not unlabelled.has_target and unlabelled.n_samples is None  # no first pass
    np.testing.assert_array_equal(model.predict(unlabelled), model.predict(df.drop(columns="label")))
    with pytest.raises(ValueError, match="no labels"):
        LogisticRegression().fit(unlabelled)
    reordered = oneuron.data.parquet(tmp_path / "data.parquet", target="label", features=["f1", "f0", "f2", "f3"])
    with pytest.raises(ValueError, match="features=list"):
        model.predict(reordered)
