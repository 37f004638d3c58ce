"""Model files that are safe to share: JSON plus raw arrays, a checksum, an atomic write, no pickle.

A model file is three parts, one after the other::

    oneuron-model\\n                   the magic line: what this file is
    sha256:<64 hex digits>\\n          SHA-256 of everything after this line
    {"format_version": 1, ...}        one JSON document (UTF-8)

The JSON holds the metadata (format version, oneuron / scikit-learn / NumPy versions, the estimator's class
and parameters, classes, feature names, training summary), the statistics ``summary()`` needs (when the fit
computed them), the formula of a :func:`~oneuron.logit` model (text, categorical levels and transform state
as JSON: :meth:`~oneuron.FormulaSpec.to_json`) and the arrays, each as
``{"dtype": "<f8", "shape": [...], "data": "<base64 of the raw little-endian bytes>"}``. Loading reads JSON
and bytes only: no pickle, no ``eval``, nothing from the file is ever executed. Any changed, missing or
added byte fails the checksum (or the magic line), so a truncated, corrupted or edited file is refused with
:class:`ModelFileError` instead of giving a silently different model.

Loading reads the 14-byte magic line first and refuses anything else before reading further. After the
checksum, the whole model is validated before it is believed: only known fields and fitted attributes,
array dtypes and shapes consistent with the classes and features (``coef_`` ``(1 or K, d)``, ``intercept_``
``(1 or K,)``, finite), classes sorted, distinct and finite, parameters the estimator accepts; labels keep
their exact dtype (every integer width, unsigned included). Every failure is a :class:`ModelFileError`
naming the field.

The file is written to a hidden temporary file ``.<name>.<random>.tmp`` in the destination's directory,
flushed and ``fsync``-ed, then moved over the destination with ``os.replace`` (atomic on POSIX and
Windows): a crash mid-save leaves the previous file as it was and removes the temporary file. A process
killed outright (SIGKILL) cannot clean up: it may leave the hidden temporary file, which is never read as
the model and which the next save to the same name removes once it is an hour old. A save through a
symbolic link replaces the link's target (the link stays); the new file keeps the mode and owner of the
file it replaces, or gets the mode the umask gives a new file.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import math
import os
import stat
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from oneuron._paths import umask

MAGIC = b"oneuron-model\n"
CHECKSUM_PREFIX = b"sha256:"
FORMAT_VERSION = 1

#: dtypes an array in a model file may have (no object arrays: they would need pickle).
SAFE_DTYPES = {"<f8", "<f4", "<f2", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "|b1"}

#: fitted attributes that are written by dedicated code, not by the generic loop.
_SPECIAL = {"classes_", "feature_names_in_", "formula_"}

#: the fitted attributes a model file may set (anything else, a "predict" entry say, is refused)
FITTED_ARRAYS = {"coef_": "<f8", "intercept_": "<f8", "n_iter_": "<i4", "loss_curve_": "<f8"}
FITTED_SCALARS = {
    "n_features_in_": int,
    "solver_": str,
    "objective_value_": float,
    "n_passes_": int,
    "converged_": bool,
    "target_name_": str,
}
#: fitted scalars that may be None
OPTIONAL_SCALARS = {"objective_value_", "target_name_"}

#: the top-level fields of a model file
DOCUMENT_FIELDS = {
    "format",
    "format_version",
    "oneuron_version",
    "sklearn_version",
    "numpy_version",
    "created_utc",
    "estimator",
    "params",
    "classes",
    "feature_names",
    "fitted",
    "statistics",
    "formula",
}


class ModelFileError(ValueError):
    """A file that is not a oneuron model, or one that is damaged, edited or from an unsupported version.

    Examples
    --------
    >>> import os, tempfile
    >>> import oneuron
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("not a model")
    ...
    >>> try:
    ...     oneuron.load(path)
    ... except oneuron.ModelFileError as exc:
    ...     print(type(exc).__name__, isinstance(exc, ValueError))
    ...
    ModelFileError True
    """


# ----------------------------------------------------------------------------------------------------------
# JSON-safe encodings
# ----------------------------------------------------------------------------------------------------------
def _encode_array(a: np.ndarray) -> dict:
    a = np.asarray(a)
    if a.dtype.kind == "b":
        a = a.astype("|b1")
    elif a.dtype.kind in "iuf":  # every width kept as it is, in little-endian order
        a = a.astype(a.dtype.newbyteorder("<"))
    dtype = a.dtype.str
    if dtype not in SAFE_DTYPES:
        raise ValueError(f"cannot store an array of dtype {a.dtype} in a model file (numbers and booleans only).")
    return {
        "dtype": dtype,
        "shape": list(a.shape),
        "data": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii"),
    }


def _decode_array(d: Any, name: str) -> np.ndarray:
    if not isinstance(d, dict) or set(d) != {"dtype", "shape", "data"}:
        raise ModelFileError(f"array {name!r} in the model file is malformed.")
    dtype, shape = d["dtype"], d["shape"]
    if dtype not in SAFE_DTYPES:
        raise ModelFileError(f"array {name!r} has dtype {dtype!r}, which model files may not hold.")
    if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise ModelFileError(f"array {name!r} has an invalid shape {shape!r}.")
    try:
        raw = base64.b64decode(d["data"], validate=True)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"array {name!r} is not valid base64.") from exc
    a = np.frombuffer(raw, dtype=np.dtype(dtype))
    if a.size != math.prod(shape):
        raise ModelFileError(f"array {name!r} holds {a.size} values, its shape {shape} needs {math.prod(shape)}.")
    return a.reshape(shape).copy()  # writeable, native


def _encode_value(v: Any, name: str) -> Any:
    """A parameter value as JSON: None/bool/int/str as they are, floats (inf too), dicts with any safe keys."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return v if math.isfinite(v) else {"float": repr(v)}  # JSON has no inf/nan
    if isinstance(v, dict):
        return {"dict": [[_encode_label(k, name), _encode_value(x, name)] for k, x in v.items()]}
    raise ValueError(f"{name}={v!r} (type {type(v).__name__}) cannot be stored safely in a model file.")


def _decode_value(v: Any) -> Any:
    if isinstance(v, dict) and set(v) == {"float"} and v["float"] in ("inf", "-inf", "nan"):
        return float(v["float"])
    if isinstance(v, dict) and set(v) == {"dict"} and isinstance(v["dict"], list):
        return {_decode_label(k): _decode_value(x) for k, x in v["dict"]}
    if isinstance(v, (dict, list)):
        raise ModelFileError(f"unexpected value {v!r} in the model file's parameters.")
    return v


def _encode_label(v: Any, name: str) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)) and math.isfinite(v):
        return float(v)
    if isinstance(v, (str, np.str_)):
        return str(v)
    raise ValueError(
        f"{name} contains {v!r} (type {type(v).__name__}): model files store labels that are str, int, float or "
        "bool; map the labels to one of these types before fitting."
    )


def _decode_label(v: Any) -> Any:
    if not isinstance(v, (bool, int, float, str)):
        raise ModelFileError(f"unexpected label {v!r} in the model file.")
    return v


def _encode_classes(classes: np.ndarray) -> dict:
    kind = classes.dtype.kind
    values = [_encode_label(c, "classes_") for c in classes.tolist()]
    if kind in "biuf":
        # the labels as JSON numbers with their exact dtype: every width round-trips (uint64 >= 2^63 too)
        return {"kind": "numbers", "dtype": _encode_array(classes)["dtype"], "values": values}
    if kind == "U":
        return {"kind": "str", "values": values}
    if kind == "O" and all(isinstance(v, str) for v in values):
        return {"kind": "object-str", "values": values}
    raise ValueError(
        f"classes_ of dtype {classes.dtype} cannot be stored safely; use labels that are all str, int, float or bool."
    )


_LABEL_TYPES = {"b": (bool,), "i": (int,), "u": (int,), "f": (float,)}


def _decode_classes(d: Any) -> np.ndarray:
    if not isinstance(d, dict) or d.get("kind") not in ("numbers", "array", "str", "object-str"):
        raise ModelFileError("classes: the model file's classes are malformed.")
    if d["kind"] == "array":
        return _decode_array(d.get("array"), "classes_")
    if d["kind"] == "numbers":
        if set(d) != {"kind", "dtype", "values"} or d["dtype"] not in SAFE_DTYPES:
            raise ModelFileError(f"classes: malformed, or dtype {d.get('dtype')!r} is not allowed.")
        values, dtype = d["values"], np.dtype(d["dtype"])
        types = _LABEL_TYPES[dtype.kind]
        if not isinstance(values, list) or not all(type(v) in types for v in values):
            raise ModelFileError(f"classes: the labels must be a list of {types[0].__name__} for dtype {dtype}.")
        try:
            a = np.array(values, dtype=dtype)
        except (OverflowError, ValueError) as exc:
            raise ModelFileError(f"classes: the labels do not fit dtype {dtype} ({exc}).") from exc
        if a.tolist() != values:
            raise ModelFileError(f"classes: the labels change when stored as {dtype}.")
        return a
    values = d.get("values")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ModelFileError("the model file's classes are malformed.")
    return np.array(values, dtype=object if d["kind"] == "object-str" else str)


# ----------------------------------------------------------------------------------------------------------
# save / load
# ----------------------------------------------------------------------------------------------------------
def _registry() -> dict:
    from oneuron._estimator import LogisticRegression

    return {"LogisticRegression": LogisticRegression}


def _document(model) -> dict:
    import sklearn

    from oneuron._version import __version__

    name = type(model).__name__
    if _registry().get(name) is not type(model):
        raise ValueError(f"save() writes oneuron estimators ({sorted(_registry())}), got {type(model).__name__}.")
    if not hasattr(model, "coef_"):
        raise ValueError("the model is not fitted: call fit() before save().")
    params = {k: _encode_value(v, k) for k, v in model.get_params(deep=False).items()}
    arrays, scalars, skipped = {}, {}, []
    for key, value in sorted(vars(model).items()):
        if not key.endswith("_") or key.startswith("_") or key in _SPECIAL:
            continue
        if key not in FITTED_ARRAYS and key not in FITTED_SCALARS:
            skipped.append(key)
            continue
        if key in FITTED_ARRAYS and isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            arrays[key] = _encode_array(value.astype(FITTED_ARRAYS[key]))
        elif isinstance(value, list) and all(isinstance(x, (int, float, np.number)) for x in value):
            arrays[key] = _encode_array(np.asarray(value, dtype=np.float64)) | {"list": True}
        elif value is None or isinstance(value, (bool, str, int, float, np.number)):
            scalars[key] = _encode_value(value, key)
        else:
            skipped.append(key)
    if skipped:
        warnings.warn(
            f"save(): fitted attributes {skipped} are not stored (not plain numbers or arrays, or not attributes "
            "of a oneuron model).",
            stacklevel=3,
        )
    feature_names = getattr(model, "feature_names_in_", None)
    stats = getattr(model, "_statistics", None)
    statistics = None if stats is None else {k: _encode_array(v) for k, v in stats.to_arrays().items()}
    return {
        "format": "oneuron-model",
        "format_version": FORMAT_VERSION,
        "oneuron_version": __version__,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "estimator": name,
        "params": params,
        "classes": _encode_classes(np.asarray(model.classes_)),
        "feature_names": None if feature_names is None else [str(f) for f in feature_names],
        "fitted": {"arrays": arrays, "scalars": scalars},
        "statistics": statistics,
        "formula": None if getattr(model, "formula_", None) is None else model.formula_.to_json(),
    }


def dumps(model) -> bytes:
    """The bytes of the model file of a fitted ``model`` (see :func:`save`)."""
    body = json.dumps(_document(model), indent=1, allow_nan=False).encode("utf-8")
    return MAGIC + CHECKSUM_PREFIX + hashlib.sha256(body).hexdigest().encode("ascii") + b"\n" + body


def save(model, path: str | os.PathLike) -> Path:
    """Write a fitted model to ``path``, atomically.

    Parameters
    ----------
    model : LogisticRegression
        A fitted oneuron estimator. Its classes must be str, int, float or bool.
    path : str or path-like
        Destination (conventionally ``*.oneuron``); an existing file is replaced only once the new one is
        completely written.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        If the model is not fitted or holds something that cannot be stored without pickle.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import oneuron
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> model = oneuron.LogisticRegression(max_iter=1000).fit(X, y)
    >>> path = oneuron.save(model, os.path.join(tempfile.mkdtemp(), "iris.oneuron"))
    >>> path.name
    'iris.oneuron'
    >>> np.array_equal(oneuron.load(path).predict(X), model.predict(X))
    True
    """
    data = dumps(model)
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path  # through a link, to its target
    directory = target.parent if str(target.parent) else Path(".")
    try:
        previous = os.stat(target)
    except FileNotFoundError:
        previous = None
    fd, tmp = _temporary(directory, target.name)
    try:
        with os.fdopen(fd, "wb") as f:
            _take_mode_and_owner(f.fileno(), previous)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)
    return path


#: a temporary file of a save older than this (seconds) was left by a killed process: the next save removes it
STALE_TEMPORARY_AGE = 3600


def _temporary(directory: Path, name: str) -> tuple[int, str]:
    """A new hidden ``.<name>.<random>.tmp`` in ``directory``, open for writing; first removes such files
    that a killed save left behind (older than :data:`STALE_TEMPORARY_AGE`)."""
    import time

    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith(f".{name}.") and entry.name.endswith(".tmp") and entry.is_file():
                    if time.time() - entry.stat().st_mtime > STALE_TEMPORARY_AGE:
                        os.unlink(entry.path)
    except OSError:
        pass
    return tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)


def _take_mode_and_owner(fd: int, previous) -> None:
    """The new file gets the mode (and, where permitted, the owner) of the file it replaces, or the mode the
    umask gives a new file (``0o666 & ~umask``, as ``open()`` would)."""
    if previous is None:
        os.fchmod(fd, 0o666 & ~umask())
        return
    os.fchmod(fd, stat.S_IMODE(previous.st_mode))
    if hasattr(os, "fchown"):
        try:
            os.fchown(fd, previous.st_uid, previous.st_gid)
        except OSError:  # another user's file: it becomes ours, with its mode
            pass


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def loads(data: bytes, source: str = "the data"):
    """The model held by the bytes ``data`` of a model file (see :func:`load`)."""
    if not data.startswith(MAGIC):
        raise ModelFileError(f"{source} is not a oneuron model file (it lacks the 'oneuron-model' header line).")
    rest = data[len(MAGIC) :]
    line, sep, body = rest.partition(b"\n")
    if not sep or not line.startswith(CHECKSUM_PREFIX) or len(line) != len(CHECKSUM_PREFIX) + 64:
        raise ModelFileError(f"{source} is a damaged oneuron model file (its checksum line is missing or broken).")
    if hashlib.sha256(body).hexdigest().encode("ascii") != line[len(CHECKSUM_PREFIX) :]:
        raise ModelFileError(
            f"{source} is damaged or was modified: its SHA-256 checksum does not match (truncated or edited file?)."
        )
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{source} holds invalid JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != "oneuron-model":
        raise ModelFileError(f"{source} is not a oneuron model file.")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{source} has model-file format version {version!r}, this oneuron reads version {FORMAT_VERSION}: "
            f"it was written by oneuron {doc.get('oneuron_version', '?')}; load it with that version."
        )
    try:
        return _build(doc, source)
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError, OverflowError) as exc:
        raise ModelFileError(f"{source} is a malformed oneuron model file: {exc}") from exc


def _fail(source: str, field: str, problem: str) -> ModelFileError:
    return ModelFileError(f"{source}: {field} {problem}.")


def _build(doc: dict, source: str):
    unknown = set(doc) - DOCUMENT_FIELDS
    if unknown:
        raise _fail(source, f"fields {sorted(unknown)}", "are not fields of a model file")
    cls = _registry().get(doc["estimator"])
    if cls is None:
        raise ModelFileError(f"{source} holds an unknown estimator {doc['estimator']!r}.")
    if not isinstance(doc["params"], dict):
        raise _fail(source, "params", "is not a mapping")
    allowed = set(cls().get_params(deep=False))
    if set(doc["params"]) - allowed:
        raise _fail(source, f"params {sorted(set(doc['params']) - allowed)}", "are not parameters of the estimator")
    params = {k: _decode_value(v) for k, v in doc["params"].items()}
    model = cls(**params)
    try:
        model._validate_params()
    except (ValueError, TypeError) as exc:
        raise _fail(source, "params", f"are invalid: {exc}") from exc
    fitted = doc["fitted"]
    if not isinstance(fitted, dict) or set(fitted) != {"arrays", "scalars"}:
        raise _fail(source, "fitted", "is malformed")
    if not isinstance(fitted["arrays"], dict) or not isinstance(fitted["scalars"], dict):
        raise _fail(source, "fitted", "is malformed")
    for key, value in fitted["arrays"].items():
        if key not in FITTED_ARRAYS:
            raise _fail(source, f"fitted array {key!r}", "is not an attribute a model file may set")
        value = dict(value) if isinstance(value, dict) else value
        is_list = isinstance(value, dict) and value.pop("list", False) is True
        if is_list != (key == "loss_curve_"):
            raise _fail(source, f"fitted array {key!r}", "is malformed")
        a = _decode_array(value, key)
        if a.dtype.str != FITTED_ARRAYS[key] or a.ndim != (2 if key == "coef_" else 1):
            raise _fail(source, key, f"has dtype {a.dtype.str} and {a.ndim} dimensions, expected {FITTED_ARRAYS[key]}")
        setattr(model, key, a.tolist() if is_list else a)
    for key, value in fitted["scalars"].items():
        if key not in FITTED_SCALARS:
            raise _fail(source, f"fitted attribute {key!r}", "is not an attribute a model file may set")
        value = _decode_value(value)
        kind = FITTED_SCALARS[key]
        if value is None:
            ok = key in OPTIONAL_SCALARS
        elif kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind is bool:
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, kind) and not isinstance(value, bool)
        if not ok:
            raise _fail(source, key, f"is {value!r}, expected a {kind.__name__}")
        setattr(model, key, value)
    model.classes_ = _decode_classes(doc["classes"])
    if doc["feature_names"] is not None:
        names = doc["feature_names"]
        if not isinstance(names, list) or not all(isinstance(f, str) for f in names):
            raise _fail(source, "feature_names", "must be a list of strings")
        model.feature_names_in_ = np.array(names, dtype=object)
    _check_model(model, source)
    model._statistics = _decode_statistics(doc.get("statistics"), model, source)
    if doc.get("formula") is not None:
        from oneuron._formula import FormulaSpec

        try:
            model.formula_ = FormulaSpec.from_json(doc["formula"])
        except ImportError:
            raise
        except Exception as exc:
            raise ModelFileError(f"{source}: its formula cannot be rebuilt: {exc}") from exc
    return model


def _check_model(model, source: str) -> None:
    """The fitted attributes agree with each other: what prediction and ``partial_fit`` index with."""
    classes = model.classes_
    if classes.ndim != 1 or len(classes) < 2:
        raise _fail(source, "classes", f"must be a list of at least 2 labels, got shape {classes.shape}")
    if classes.dtype.kind == "f" and not np.all(np.isfinite(classes)):
        raise _fail(source, "classes", "must be finite numbers")
    if classes.dtype.kind in "biuf":
        ordered = bool(np.all(classes[1:] > classes[:-1]))
    else:
        ordered = all(a < b for a, b in zip(classes.tolist()[:-1], classes.tolist()[1:], strict=True))
    if not ordered:
        raise _fail(source, "classes", "must be sorted and distinct (np.unique order)")
    for key in ("coef_", "intercept_", "n_features_in_"):
        if not hasattr(model, key):
            raise _fail(source, key, "is missing")
    K = len(classes)
    rows = 1 if K == 2 else K
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] != rows or coef.shape[1] < 1:
        raise _fail(source, "coef_", f"has shape {coef.shape}, expected ({rows}, n_features) for {K} classes")
    if intercept.shape != (rows,):
        raise _fail(source, "intercept_", f"has shape {intercept.shape}, expected ({rows},) for {K} classes")
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
        raise _fail(source, "coef_/intercept_", "hold NaN or infinite values")
    if model.n_features_in_ != coef.shape[1]:
        raise _fail(source, "n_features_in_", f"is {model.n_features_in_}, coef_ has {coef.shape[1]} columns")
    names = getattr(model, "feature_names_in_", None)
    if names is not None and len(names) != coef.shape[1]:
        raise _fail(source, "feature_names", f"has {len(names)} names for {coef.shape[1]} features")
    if hasattr(model, "n_iter_") and model.n_iter_.shape != (1,):
        raise _fail(source, "n_iter_", f"has shape {model.n_iter_.shape}, expected (1,)")


def _decode_statistics(d: Any, model, source: str):
    """The inference statistics kept at fit (None when the file has none), checked against the model."""
    from oneuron._inference import FitStatistics
    from oneuron._layout import Layout

    if d is None:
        return None
    if not isinstance(d, dict):
        raise ModelFileError(f"{source}: the statistics section is malformed.")
    layout = Layout(len(model.classes_), model.coef_.shape[1], bool(model.fit_intercept))
    arrays = {name: _decode_array(value, f"statistics.{name}") for name, value in d.items()}
    try:
        return FitStatistics.from_arrays(arrays, layout.n_params, layout.n_classes)
    except ValueError as exc:
        raise ModelFileError(f"{source}: {exc}") from exc


def load(path: str | os.PathLike):
    """Read a model written by :func:`save`.

    Nothing in the file is executed: it is parsed as JSON and raw numbers only.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    LogisticRegression
        The fitted model, predicting exactly as the saved one.

    Raises
    ------
    ModelFileError
        (a ``ValueError``) if the file is not a oneuron model, is truncated or altered (checksum), or has a
        format version this oneuron does not read.
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> import oneuron
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> model = oneuron.LogisticRegression(max_iter=1000).fit(X, y)
    >>> path = oneuron.save(model, os.path.join(tempfile.mkdtemp(), "iris.oneuron"))
    >>> oneuron.load(path).coef_.shape
    (3, 4)
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(len(MAGIC))  # a non-model file is refused before the rest of it is read
        if head != MAGIC:
            raise ModelFileError(f"{path} is not a oneuron model file (it lacks the 'oneuron-model' header line).")
        data = head + f.read()
    return loads(data, source=str(path))
