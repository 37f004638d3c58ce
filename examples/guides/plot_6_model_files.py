"""
Model files and ONNX
====================

:func:`oneuron.save` writes a fitted model to a file and :func:`oneuron.load` reads it back. A model
file is a header line, a SHA-256 checksum and a JSON body with the arrays: no pickle, so loading a file
never runs code from it, and any damaged or edited byte is detected. :func:`oneuron.export_onnx` turns
the neuron into an ONNX graph, for serving it without Python or without oneuron.
"""

# %%
# Save and load
# -------------
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime
from sklearn.datasets import load_iris

import oneuron
from oneuron import LogisticRegression

X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=200).fit(X, y)

folder = Path(tempfile.mkdtemp())
path = oneuron.save(model, folder / "iris.oneuron")
print(f"{path.name}: {path.stat().st_size:,} bytes; it begins with")
print(path.read_bytes()[:150].decode(errors="replace"), "...")

loaded = oneuron.load(path)
print(
    "same probabilities:",
    np.array_equal(loaded.predict_proba(X), model.predict_proba(X)),
)
print("feature names kept:", list(loaded.feature_names_in_))

# %%
# Damaged files are refused
# -------------------------
# A file that was truncated, edited, written by a newer version, or that is not a model at all raises
# :class:`oneuron.ModelFileError` (a ``ValueError``) that says which:
data = bytearray(path.read_bytes())
data[-20] ^= 1  # flip one bit
damaged = folder / "damaged.oneuron"
damaged.write_bytes(bytes(data))
try:
    oneuron.load(damaged)
except oneuron.ModelFileError as error:
    print("ModelFileError:", error)

# %%
# ONNX
# ----
# The graph is the neuron itself: ``MatMul``, ``Add``, then ``Sigmoid`` (two classes) or ``Softmax``,
# with two outputs, ``label`` and ``probabilities``. Any ONNX runtime can run it; here onnxruntime:
proto = oneuron.export_onnx(model, folder / "iris.onnx")
print([node.op_type for node in proto.graph.node])
print(
    "inputs:",
    [i.name for i in proto.graph.input],
    "outputs:",
    [o.name for o in proto.graph.output],
)

session = onnxruntime.InferenceSession(proto.SerializeToString())
labels, probabilities = session.run(
    ["label", "probabilities"], {session.get_inputs()[0].name: X.to_numpy()}
)
print("same labels:", np.array_equal(labels, model.predict(X)))
print(
    "largest probability difference:",
    f"{np.max(np.abs(probabilities - model.predict_proba(X))):.1e}",
)

# %%
# ``dtype=np.float32`` exports a float32 graph, which is what most ONNX consumers expect.
# ``model.to_onnx(path)`` is the same as ``oneuron.export_onnx(model, path)``.
