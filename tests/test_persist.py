"""Model files: exact round trips, refusal of damaged / edited / foreign files, atomic writes, no pickle."""

import hashlib
import json
import os
import pickle
import stat

import numpy as np
import pandas as pd
import pytest

import oneuron
from oneuron import LogisticRegression, ModelFileError, load, save
from oneuron._persist import CHECKSUM_PREFIX, MAGIC, dumps, loads

from .conftest import breast_cancer_scaled, iris, noisy_classification


def binary_model():
    X, y = breast_cancer_scaled()
    return LogisticRegression(C=0.5).fit(X, y), X


def multinomial_model():
    X, y = iris()
    return LogisticRegression(penalty=None, solver="lbfgs", max_iter=2000).fit(X, y), X


def pandas_model():
    X, y = noisy_classification(n_samples=300, n_features=6, n_classes=3, seed=3)
    df = pd.DataFrame(X, columns=[f"feature {i}" for i in range(6)])
    labels = np.array(["cat", "dog", "eel"])[y]
    return LogisticRegression(C=np.inf, class_weight={"cat": 2.0, "dog": 1.0, "eel": 1.0}).fit(df, labels), df


MODELS = {"binary": binary_model, "multinomial": multinomial_model, "pandas_named": pandas_model}


@pytest.fixture(scope="module")
def saved_bytes():
    model, _ = binary_model()
    return dumps(model)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_round_trip_predicts_identically(kind, tmp_path):
    model, X = MODELS[kind]()
    path = save(model, tmp_path / "model.oneuron")
    loaded = load(path)
    assert type(loaded) is LogisticRegression
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    np.testing.assert_array_equal(loaded.intercept_, model.intercept_)
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    assert loaded.classes_.dtype == model.classes_.dtype
    assert loaded.get_params() == model.get_params()
    assert loaded.loss_curve_ == model.loss_curve_ and loaded.solver_ == model.solver_
    np.testing.assert_array_equal(loaded.n_iter_, model.n_iter_)
    if kind == "pandas_named":
        assert list(loaded.feature_names_in_) == list(model.feature_names_in_)
        with pytest.warns(UserWarning, match="feature names"):  # the names are checked, as before saving
            loaded.predict(X.to_numpy())


@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, 7]),
        np.array([-1.0, 2.0]),
        np.array([False, True]),
        np.array(["no", "yes"]),
        np.array(["no", "yes"], dtype=object),
    ],  # fmt: skip
    ids=["int", "float", "bool", "str", "object-str"],
)
def test_label_types_round_trip(labels, tmp_path):
    X, y = noisy_classification(n_samples=120, n_features=3)
    model = LogisticRegression().fit(X, labels[y])
    loaded = load(save(model, tmp_path / "m.oneuron"))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.classes_.dtype == model.classes_.dtype


def test_labels_that_json_cannot_hold_are_refused(tmp_path):
    model, _ = binary_model()
    model.classes_ = np.array(["2020-01-01", "2021-01-01"], dtype="datetime64[D]")
    with pytest.raises(ValueError, match="classes_"):
        save(model, tmp_path / "m.oneuron")
    assert not list(tmp_path.iterdir())


def test_unfitted_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        save(LogisticRegression(), tmp_path / "m.oneuron")


def test_metadata_is_recorded(saved_bytes):
    import sklearn

    body = saved_bytes.split(b"\n", 2)[2]
    doc = json.loads(body)
    assert doc["format_version"] == 1
    assert doc["oneuron_version"] == oneuron.__version__
    assert doc["sklearn_version"] == sklearn.__version__
    assert doc["params"]["C"] == 0.5 and doc["estimator"] == "LogisticRegression"
    assert {"coef_", "intercept_", "loss_curve_", "n_iter_"} <= set(doc["fitted"]["arrays"])


def test_every_flipped_byte_is_detected(saved_bytes):
    rng = np.random.default_rng(0)
    n = len(saved_bytes)
    header = len(MAGIC) + len(CHECKSUM_PREFIX) + 65
    positions = sorted(set(range(header)) | set(rng.choice(n, size=300, replace=False).tolist()) | {n - 1})
    for pos in positions:
        damaged = bytearray(saved_bytes)
        damaged[pos] ^= int(rng.integers(1, 256))
        with pytest.raises(ModelFileError):
            loads(bytes(damaged))


def test_truncated_file_is_detected(saved_bytes, tmp_path):
    for length in (0, 1, len(MAGIC), len(MAGIC) + 10, len(saved_bytes) // 2, len(saved_bytes) - 1):
        path = tmp_path / f"cut{length}.oneuron"
        path.write_bytes(saved_bytes[:length])
        with pytest.raises(ModelFileError, match="not a oneuron model|damaged"):
            load(path)


def _with_document(data: bytes, edit) -> bytes:
    """Edit the JSON of a model file and write a valid checksum for it (a deliberate, consistent edit)."""
    doc = json.loads(data.split(b"\n", 2)[2])
    edit(doc)
    body = json.dumps(doc).encode()
    return MAGIC + CHECKSUM_PREFIX + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def test_other_format_version_is_refused(saved_bytes):
    newer = _with_document(saved_bytes, lambda d: d.update(format_version=2))
    with pytest.raises(ModelFileError, match="format version 2.*reads version 1"):
        loads(newer)
    # the same edit without a new checksum is caught by the checksum
    edited = saved_bytes.replace(b'"format_version": 1', b'"format_version": 2', 1)
    assert edited != saved_bytes
    with pytest.raises(ModelFileError, match="checksum"):
        loads(edited)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(estimator="os.system"),
        lambda d: d["fitted"]["arrays"]["coef_"].update(dtype="|O"),
        lambda d: d["fitted"]["arrays"]["coef_"].update(shape=[1, 999]),
        lambda d: d["classes"].update(kind="pickle"),
        lambda d: d.pop("params"),
    ],
    ids=["estimator", "object-dtype", "shape", "classes", "missing-key"],
)
def test_consistently_edited_but_invalid_content_is_refused(saved_bytes, edit):
    with pytest.raises(ModelFileError):
        loads(_with_document(saved_bytes, edit))


def test_foreign_files_are_refused_and_never_executed(tmp_path, monkeypatch):
    marker = tmp_path / "executed"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    foreign = {
        "pickle": pickle.dumps(Exploit()),
        "json": json.dumps({"format": "oneuron-model", "format_version": 1}).encode(),
        "npy": b"\x93NUMPY" + bytes(100),
        "text": b"hello\n",
        "empty": b"",
    }
    for name, content in foreign.items():
        path = tmp_path / f"{name}.oneuron"
        path.write_bytes(content)
        with pytest.raises(ModelFileError, match="not a oneuron model file"):
            load(path)
    assert not marker.exists()


def test_load_uses_no_pickle(tmp_path, monkeypatch):
    model, X = multinomial_model()
    path = save(model, tmp_path / "m.oneuron")

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle must not be used")

    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    np.testing.assert_array_equal(load(path).predict(X), model.predict(X))


@pytest.mark.parametrize(
    "failing,error", [("replace", OSError), ("fsync", OSError), ("fsync", KeyboardInterrupt)], ids=str
)
def test_crash_during_save_keeps_the_previous_file(failing, error, tmp_path, monkeypatch):
    """A crash, or Ctrl-C, in the middle of a save leaves the previous model file as it was."""
    first, X = binary_model()
    path = save(first, tmp_path / "model.oneuron")
    before = path.read_bytes()
    second = LogisticRegression(C=0.01).fit(*breast_cancer_scaled())

    def crash(*args, **kwargs):
        raise error("simulated crash")

    monkeypatch.setattr(os, failing, crash)
    with pytest.raises(error, match="simulated crash"):
        save(second, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.oneuron"]  # no temporary file left behind
    np.testing.assert_array_equal(load(path).predict_proba(X), first.predict_proba(X))
    save(second, path)  # and a save that completes replaces it
    np.testing.assert_array_equal(load(path).coef_, second.coef_)


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_model_file_mode_follows_the_umask(umask, tmp_path):
    model = LogisticRegression().fit(*iris())
    before = os.umask(umask)
    try:
        path = oneuron.save(model, tmp_path / "m.oneuron")
    finally:
        os.umask(before)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    np.testing.assert_array_equal(oneuron.load(path).coef_, model.coef_)  # still a valid, checksummed file
    assert [p.name for p in tmp_path.iterdir()] == ["m.oneuron"]  # no temporary file left
