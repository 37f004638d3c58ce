"""Model files are checked before they are believed: header first, then the whole model, field by field.

Every crafted file (with a recomputed checksum) either raises ModelFileError naming the field, or loads a
model that predicts exactly as the saved one: never another exception, never a different model.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import stat
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneuron import LogisticRegression, ModelFileError, load, save
from oneuron._persist import CHECKSUM_PREFIX, MAGIC, dumps, loads

from .conftest import noisy_classification


def _model(n_classes=3, labels=None):
    X, y = noisy_classification(n_samples=150, n_features=4, n_classes=n_classes, seed=2)
    labels = np.arange(n_classes) if labels is None else labels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression().fit(X, labels[y]), X


@pytest.fixture(scope="module")
def models():
    return {k: _model(k) for k in (2, 3)}


def _document(data: bytes) -> dict:
    return json.loads(data.split(b"\n", 2)[2])


def _file(doc: dict) -> bytes:
    body = json.dumps(doc).encode()
    return MAGIC + CHECKSUM_PREFIX + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _edited(model, edit) -> bytes:
    doc = _document(dumps(model))
    edit(doc)
    return _file(doc)


def _array(doc, name):
    return doc["fitted"]["arrays"][name]


def _reshape(doc, name, shape, dtype="<f8"):
    values = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    import base64

    doc["fitted"]["arrays"][name] = {"dtype": dtype, "shape": list(shape), "data": base64.b64encode(values).decode()}


EDITS = {
    "coef 1x4 for 3 classes": (3, lambda d: _reshape(d, "coef_", (1, 4)), "coef_"),
    "intercept of length 5": (3, lambda d: _reshape(d, "intercept_", (5,)), "intercept_"),
    "coef as float32": (2, lambda d: _reshape(d, "coef_", (1, 4), "<f4"), "coef_"),
    "coef as int64": (2, lambda d: _reshape(d, "coef_", (1, 4), "<i8"), "coef_"),
    "coef of another width": (2, lambda d: _reshape(d, "coef_", (1, 7)), "n_features_in_"),
    "unsorted classes": (3, lambda d: d["classes"].update(values=[2, 0, 1]), "classes"),
    "duplicate classes": (3, lambda d: d["classes"].update(values=[0, 1, 1]), "classes"),
    "NaN class": (3, lambda d: d["classes"].update(dtype="<f8", values=[0.0, 1.0, float("nan")]), "classes"),
    "one class": (2, lambda d: d["classes"].update(values=[0]), "classes"),
    "label outside its dtype": (2, lambda d: d["classes"].update(dtype="|u1", values=[0, 300]), "classes"),
    "float labels for an int dtype": (2, lambda d: d["classes"].update(values=[0.0, 1.0]), "classes"),
    "a predict attribute": (2, lambda d: d["fitted"]["scalars"].update(predict="x"), "predict"),
    "an unknown array": (2, lambda d: _reshape(d, "evil_", (1,)), "evil_"),
    "an unknown field": (2, lambda d: d.update(extra=1), "extra"),
    "an unknown parameter": (2, lambda d: d["params"].update(fit=1), "fit"),
    "an invalid parameter": (2, lambda d: d["params"].update(penalty="l3"), "params"),
    "n_features_in_ as a string": (2, lambda d: d["fitted"]["scalars"].update(n_features_in_="4"), "n_features_in_"),
    "feature names of another length": (2, lambda d: d.update(feature_names=["a"]), "feature_names"),
    "missing coef": (2, lambda d: d["fitted"]["arrays"].pop("coef_"), "coef_"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_inconsistent_models_are_refused_naming_the_field(models, name):
    n_classes, edit, field = EDITS[name]
    with pytest.raises(ModelFileError, match=field.replace("(", r"\(")):
        loads(_edited(models[n_classes][0], edit))


def test_non_finite_coefficients_are_refused(models):
    def edit(d):
        a = np.frombuffer(__import__("base64").b64decode(_array(d, "coef_")["data"]), "<f8").copy()
        a[0] = np.nan
        _array(d, "coef_")["data"] = __import__("base64").b64encode(a).decode()

    with pytest.raises(ModelFileError, match="NaN or infinite"):
        loads(_edited(models[2][0], edit))


def test_header_is_read_before_the_rest(tmp_path, monkeypatch):
    """A non-model file is refused after reading its first 14 bytes (not the whole, possibly huge, file)."""
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 10_000_000)
    sizes = []
    real_open = open

    class Recording:
        def __init__(self, f):
            self.f = f

        def read(self, n=-1):
            data = self.f.read(n)
            sizes.append(len(data))
            return data

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr("builtins.open", lambda p, mode="r", *a, **k: Recording(real_open(p, mode, *a, **k)))
    with pytest.raises(ModelFileError, match="not a oneuron model file"):
        load(path)
    assert sum(sizes) == len(MAGIC)


@pytest.mark.parametrize(
    "labels",
    [
        np.array([2**63, 2**63 + 7, 2**64 - 1], dtype=np.uint64),
        np.array([0, 7, 255], dtype=np.uint8),
        np.array([-128, 0, 127], dtype=np.int8),
        np.array([-5, 0, 40000], dtype=np.int32),
        np.array([1, 2, 60000], dtype=np.uint16),
        np.array([-1.0, 2.0, 1e6], dtype=np.float32),
    ],
    ids=lambda a: str(a.dtype),
)
def test_label_dtypes_of_every_width_round_trip_exactly(labels, tmp_path):
    model, X = _model(3, labels)
    loaded = load(save(model, tmp_path / "m.oneuron"))
    assert loaded.classes_.dtype == labels.dtype
    np.testing.assert_array_equal(loaded.classes_, labels)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    session = onnxruntime.InferenceSession(loaded.to_onnx().SerializeToString())
    label, _ = session.run(None, {"X": X})
    assert label.dtype == labels.dtype
    np.testing.assert_array_equal(label, model.predict(X))


# -- saves --------------------------------------------------------------------------------------------------
def test_save_keeps_the_mode_of_the_file_it_replaces(models, tmp_path):
    path = tmp_path / "m.oneuron"
    save(models[2][0], path)
    os.chmod(path, 0o640)
    save(models[2][0], path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_new_file_gets_the_umask_mode(models, tmp_path):
    old = os.umask(0o027)
    try:
        save(models[2][0], tmp_path / "m.oneuron")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.oneuron").st_mode) == 0o640


def test_save_writes_through_a_symlink(models, tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "m.oneuron"
    save(models[2][0], target)
    link = tmp_path / "link.oneuron"
    os.symlink(target, link)
    save(models[3][0], link)
    assert link.is_symlink()
    assert len(load(target).classes_) == 3


def test_a_killed_save_leaves_only_a_hidden_temporary_file_that_the_next_save_removes(models, tmp_path):
    """A SIGKILL cannot run cleanup: what it can leave is a hidden .tmp file (never read as the model), which
    the next save of the same name removes once it is old."""
    path = tmp_path / "m.oneuron"
    save(models[2][0], path)
    stale = tmp_path / ".m.oneuron.abc123.tmp"
    stale.write_bytes(b"half a model")
    os.utime(stale, (0, 0))
    fresh = tmp_path / ".m.oneuron.def456.tmp"  # another save in progress: left alone
    fresh.write_bytes(b"")
    assert load(path).coef_.shape == (1, 4)
    save(models[2][0], path)
    assert not stale.exists() and fresh.exists()


# -- fuzz ---------------------------------------------------------------------------------------------------
DTYPES = ["<f8", "<f4", "<f2", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "|b1", "|O", "<c16"]


def _mutate(doc: dict, draw) -> None:
    """One random shape, dtype, class or attribute mutation of a model document."""
    import base64

    # (not the values: a crafted file whose numbers differ and whose checksum is recomputed is another valid
    # model; what must never load is a model inconsistent with itself)
    kind = draw(st.sampled_from(["shape", "dtype", "classes", "truncate", "attribute", "scalar", "params"]))
    arrays = doc["fitted"]["arrays"]
    name = draw(st.sampled_from(sorted(arrays)))
    entry = arrays[name]
    if kind == "shape":
        entry["shape"] = draw(st.lists(st.integers(0, 6), min_size=0, max_size=3))
    elif kind == "dtype":
        entry["dtype"] = draw(st.sampled_from(DTYPES))
    elif kind == "truncate":
        raw = base64.b64decode(entry["data"])
        entry["data"] = base64.b64encode(raw[: draw(st.integers(0, max(0, len(raw) - 1)))]).decode()
    elif kind == "classes":
        values = doc["classes"]["values"]
        if not values:  # emptied by an earlier mutation
            values.append(0)
        op = draw(st.sampled_from(["permute", "duplicate", "drop", "add", "nan", "dtype"]))
        if op == "permute" and len(values) > 1:
            values.reverse()
        elif op == "duplicate":
            values.append(values[-1])
        elif op == "drop":
            values.pop()
        elif op == "add":
            values.append(max(v for v in values if v == v) + 1 if any(v == v for v in values) else 0)
        elif op == "nan":
            doc["classes"]["dtype"], doc["classes"]["values"] = "<f8", [*map(float, values[:-1]), float("nan")]
        else:
            doc["classes"]["dtype"] = draw(st.sampled_from(DTYPES))
    elif kind == "attribute":
        arrays[draw(st.sampled_from(["predict", "classes_", "coef", "__class__", "n_iter_"]))] = copy.deepcopy(entry)
    elif kind == "scalar":
        key = draw(st.sampled_from(["n_features_in_", "solver_", "objective_value_", "n_passes_", "predict"]))
        doc["fitted"]["scalars"][key] = draw(st.one_of(st.none(), st.integers(-3, 10), st.text(max_size=3)))
    else:
        key = draw(st.sampled_from(sorted(doc["params"])))
        doc["params"][key] = draw(st.one_of(st.none(), st.integers(-2, 5), st.floats(), st.text(max_size=4)))


@st.composite
def crafted(draw, base: bytes):
    doc = _document(base)
    for _ in range(draw(st.integers(1, 3))):
        _mutate(doc, draw)
    return _file(doc)


_BINARY, _X2 = _model(2)
_MULTI, _X3 = _model(3)


def _check_crafted(model, X, crafted_bytes: bytes) -> None:
    try:
        loaded = loads(crafted_bytes)
    except ModelFileError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("model,X", [(_BINARY, _X2), (_MULTI, _X3)], ids=["binary", "softmax"])
@settings(max_examples=60)
@given(data=st.data())
def test_fuzzed_model_files_raise_model_file_error_or_predict_as_before(model, X, data):
    _check_crafted(model, X, data.draw(crafted(dumps(model))))


@pytest.mark.slow
@pytest.mark.parametrize("model,X", [(_BINARY, _X2), (_MULTI, _X3)], ids=["binary", "softmax"])
@settings(max_examples=3000)
@given(data=st.data())
def test_fuzzed_model_files_many(model, X, data):
    _check_crafted(model, X, data.draw(crafted(dumps(model))))
