"""ONNX export: onnxruntime's predictions equal oneuron's."""

import numpy as np
import pandas as pd
import pytest

from oneuron import LogisticRegression, export_onnx

from .conftest import breast_cancer_scaled, iris, noisy_classification

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def run_onnx(proto, X, dtype=np.float64):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = session.run(["label", "probabilities"], {"X": np.asarray(X, dtype=dtype)})
    return label, proba


CASES = {
    "binary": lambda: breast_cancer_scaled(),
    "multinomial": lambda: iris(),
    "binary_str": lambda: (breast_cancer_scaled()[0], np.array(["benign", "malignant"])[breast_cancer_scaled()[1]]),
    "multinomial_4_str": lambda: (
        noisy_classification(n_classes=4, seed=1)[0],
        np.array(["a", "b", "c", "d"])[noisy_classification(n_classes=4, seed=1)[1]],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_onnxruntime_predictions_equal_oneurons(case, tmp_path):
    X, y = CASES[case]()
    model = LogisticRegression(C=10.0, max_iter=5000).fit(X, y)
    proto = model.to_onnx(tmp_path / "model.onnx")
    assert (tmp_path / "model.onnx").stat().st_size > 0
    label, proba = run_onnx(proto, X)
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label.astype(model.classes_.dtype), model.predict(X))
    # on new rows too, including extreme scores
    rng = np.random.default_rng(0)
    X_new = rng.normal(scale=5.0, size=(200, X.shape[1]))
    label, proba = run_onnx(proto, X_new)
    np.testing.assert_allclose(proba, model.predict_proba(X_new), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label.astype(model.classes_.dtype), model.predict(X_new))


def test_float32_graph_and_feature_names():
    X, y = iris()
    df = pd.DataFrame(X, columns=["sepal length", "sepal width", "petal length", "petal width"])
    model = LogisticRegression().fit(df, y)
    proto = export_onnx(model, dtype=np.float32)
    assert {p.key: p.value for p in proto.metadata_props}["feature_names"] == ",".join(df.columns)
    label, proba = run_onnx(proto, X, dtype=np.float32)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba, model.predict_proba(df), atol=1e-5)


def test_unfitted_and_bad_dtype_are_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        export_onnx(LogisticRegression())
    X, y = iris()
    with pytest.raises(ValueError, match="dtype"):
        export_onnx(LogisticRegression().fit(X, y), dtype=np.int32)
