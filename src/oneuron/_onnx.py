"""Export a fitted neuron to ONNX, built node by node with ``onnx.helper``.

The graph is the neuron's forward pass and nothing else::

    binary:       z = X @ w + b            p1 = Sigmoid(z)      probabilities = [1 - p1, p1]
                  label = classes[z > 0]
    multinomial:  Z = X @ W.T + b          probabilities = Softmax(Z, axis=1)
                  label = classes[argmax(Z)]

Inputs: ``X`` (n, n_features). Outputs: ``label`` (n,) and ``probabilities`` (n, n_classes), columns in the
order of ``classes_``. Needs the ``onnx`` extra (``pip install oneuron[onnx]``).
"""

from __future__ import annotations

import os

import numpy as np

from oneuron._optional import require

OPSET = 17


def _onnx():
    return require("onnx", "ONNX export", "onnx")


def _classes_tensor(onnx, classes: np.ndarray):
    kind = classes.dtype.kind
    if kind in "OU":
        if not all(isinstance(c, str) for c in classes.tolist()):
            raise ValueError("ONNX export supports labels that are all str, int, float or bool.")
        return onnx.helper.make_tensor(
            "classes", onnx.TensorProto.STRING, [len(classes)], [c.encode() for c in classes]
        )
    if kind == "b":
        return onnx.numpy_helper.from_array(classes.astype(bool), "classes")
    if kind in "iuf" and classes.dtype.itemsize <= 8:
        # the labels' own type (uint64 stays unsigned, uint8 stays uint8): labels come back exactly
        return onnx.numpy_helper.from_array(classes.astype(classes.dtype.newbyteorder("=")), "classes")
    raise ValueError(f"classes_ of dtype {classes.dtype} cannot be exported to ONNX.")


def export_onnx(model, path: str | os.PathLike | None = None, *, dtype=np.float64):
    """The ONNX graph of a fitted :class:`~oneuron.LogisticRegression`.

    Parameters
    ----------
    model : LogisticRegression
        A fitted model.
    path : str or path-like, optional
        Also write the graph there (``*.onnx``).
    dtype : {np.float64, np.float32}, default=np.float64
        Type of the input ``X`` and of the computation; float64 reproduces oneuron's probabilities to
        rounding, float32 is what most ONNX consumers expect.

    Returns
    -------
    onnx.ModelProto
        Checked with ``onnx.checker``; run it with ``onnxruntime.InferenceSession(proto.SerializeToString())``.

    Examples
    --------
    >>> import oneuron
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> model = oneuron.LogisticRegression(max_iter=1000).fit(X, y)
    >>> proto = oneuron.export_onnx(model)  # or model.to_onnx(path)
    >>> [o.name for o in proto.graph.output]
    ['label', 'probabilities']
    """
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    dtype = np.dtype(dtype)
    if dtype not in (np.float64, np.float32):
        raise ValueError(f"dtype must be np.float64 or np.float32, got dtype={dtype}.")
    elem = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
    classes = np.asarray(model.classes_)
    coef, intercept = np.asarray(model.coef_, dtype=dtype), np.asarray(model.intercept_, dtype=dtype)
    n_features = coef.shape[1]
    binary = len(classes) == 2

    initializers = [
        numpy_helper.from_array(coef.T.copy(), "W"),  # (d, 1) or (d, K)
        numpy_helper.from_array(intercept.reshape(-1), "b"),
        _classes_tensor(onnx, classes),
    ]
    nodes = [helper.make_node("MatMul", ["X", "W"], ["XW"]), helper.make_node("Add", ["XW", "b"], ["Z"])]
    if binary:
        initializers += [
            numpy_helper.from_array(np.array(1, dtype=dtype), "one"),
            numpy_helper.from_array(np.array(0, dtype=dtype), "zero"),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"),
        ]
        nodes += [
            helper.make_node("Sigmoid", ["Z"], ["p1"]),  # (n, 1)
            helper.make_node("Sub", ["one", "p1"], ["p0"]),
            helper.make_node("Concat", ["p0", "p1"], ["probabilities"], axis=1),
            helper.make_node("Greater", ["Z", "zero"], ["positive"]),
            helper.make_node("Cast", ["positive"], ["index2d"], to=TensorProto.INT64),
            helper.make_node("Reshape", ["index2d", "flat"], ["index"]),
        ]
    else:
        nodes += [
            helper.make_node("Softmax", ["Z"], ["probabilities"], axis=1),
            helper.make_node("ArgMax", ["Z"], ["index"], axis=1, keepdims=0),
        ]
    nodes.append(helper.make_node("Gather", ["classes", "index"], ["label"], axis=0))

    label_type = initializers[2].data_type
    graph = helper.make_graph(
        nodes,
        "oneuron_logistic_regression",
        [helper.make_tensor_value_info("X", elem, [None, n_features])],
        [
            helper.make_tensor_value_info("label", label_type, [None]),
            helper.make_tensor_value_info("probabilities", elem, [None, len(classes)]),
        ],
        initializers,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="oneuron")
    proto.ir_version = min(proto.ir_version, 9)  # readable by older onnxruntime releases too
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        helper.set_model_props(proto, {"feature_names": ",".join(map(str, names))})
    onnx.checker.check_model(proto)
    if path is not None:
        onnx.save(proto, os.fspath(path))
    return proto
