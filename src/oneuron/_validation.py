"""Guards against hostile inputs that validation alone does not catch.

scikit-learn's ``validate_data`` already rejects NaN, inf, strings, empty data and wrong shapes. What is left
are inputs that are valid but break floating-point arithmetic or memory:

- sample weights so large (or so small) that their sum overflows (underflows): rescaled together with ``C``,
  which leaves the optimum unchanged;
- features so large that ``X @ w`` or the Hessian overflows: a ``ValueError`` naming the scale, instead of
  numpy's RuntimeWarning and a NaN model;
- a huge number of classes (say every row its own class): a model whose solver state cannot fit in memory is
  refused up front;
- labels passed to ``score`` that the model never saw: a warning naming them.

Data that does not come from memory (files, memmaps, Dask partitions) is checked here too, block by block as
it is first read (:func:`check_block`, :func:`check_labels`): the same rules as scikit-learn applies to arrays
in memory (finite values, real numbers, class labels, non-negative finite weights), with errors that say
where the offending value is (file, column, rows).
"""

from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.class_weight import compute_class_weight

#: total sample weights outside this range are rescaled (float32 overflows at 3.4e38).
SAFE_TOTAL_WEIGHT = (1e-30, 1e30)

#: bytes of solver state per parameter: L-BFGS keeps 2 x 10 correction vectors plus ~10 work vectors.
BYTES_PER_PARAMETER = 8 * 30


class DataLostError(RuntimeError):
    """A partition of the data could not be evaluated (a worker was lost) or changed during the fit.

    Examples
    --------
    >>> import oneuron
    >>> issubclass(oneuron.DataLostError, RuntimeError)  # raised by fit on dask data, never a wrong model
    True
    """


class DataChangedError(DataLostError):
    """A file or memory-mapped array changed between two passes of a fit (its size, time or contents).

    Examples
    --------
    >>> import oneuron
    >>> issubclass(oneuron.DataChangedError, oneuron.DataLostError)  # the fit stops instead of mixing versions
    True
    """


class NonFiniteError(ValueError):
    """The objective or its gradient is NaN or infinite where a solver needs a number."""


class UnseenLabelWarning(UserWarning):
    """``score`` was given labels that are not among the model's ``classes_`` (they count as errors).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import oneuron
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> model = oneuron.LogisticRegression().fit(X, y)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     accuracy = model.score(X, np.array([0, 0, 1, 2]))  # 2 was never seen
    ...
    >>> accuracy, [w.category.__name__ for w in caught]
    (0.75, ['UnseenLabelWarning'])
    """


def rescale_sample_weight(sample_weight: np.ndarray, C: float) -> tuple[np.ndarray, float]:
    """Scale weights by a power of two when their sum would overflow or underflow, and ``C`` the other way.

    scikit-learn's objective ``C sum_i s_i l_i + R(w)`` is unchanged by ``s -> f s, C -> C / f``, so the
    optimum is too; a power of two ``f`` keeps the scaling exact. Weights in the usual range (and ``C``) are
    returned as they are.
    """
    with np.errstate(over="ignore"):
        total = float(np.sum(sample_weight, dtype=np.float64))
    exponent = weight_exponent(total, float(np.max(sample_weight, initial=0.0)))
    if exponent == 0:
        return sample_weight, C
    with np.errstate(over="ignore"):  # max = m 2^exponent, 0.5 <= m < 1: the largest weight becomes m
        return np.ldexp(sample_weight, -exponent), float(np.ldexp(C, exponent))


def physical_memory() -> int:
    """Bytes of RAM of this machine (a large number where the OS does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 2**40


def check_model_size(n_params: int, n_classes: int, n_features: int) -> None:
    """Refuse a model whose solver state alone would take more than half of the machine's memory."""
    need = n_params * BYTES_PER_PARAMETER
    have = physical_memory()
    if need > have // 2:
        raise ValueError(
            f"y has {n_classes} classes: with {n_features} features the model has {n_params:,} parameters and "
            f"the solver would need about {need / 2**30:.1f} GiB of the {have / 2**30:.1f} GiB of memory. "
            "Check that y holds class labels (not an id or a continuous target), or merge rare classes."
        )


def _max_abs(X) -> float:
    data = X.data if sp.issparse(X) else X
    if data.size == 0:
        return 0.0
    return float(max(abs(np.max(data)), abs(np.min(data))))


@contextlib.contextmanager
def overflow_as_value_error(X, hint: str = ""):
    """Turn floating-point overflow or invalid results while fitting or predicting into a clear ValueError.

    Inside, numpy raises ``FloatingPointError`` instead of warning; the only inputs that overflow the neuron's
    stable formulas are features too large for the dtype (``|X|^2 n`` beyond ``finfo.max``), so the error
    names the largest ``|X|``.
    """
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield
    except FloatingPointError as err:
        if X is None:  # streamed or distributed data: nothing in memory to measure
            where = f"({err})"
        else:
            with np.errstate(all="ignore"):
                where = f"for {X.dtype} arithmetic ({err}; the largest |X| is {_max_abs(X):.3g})"
        raise ValueError(
            f"X is too large {where}. Scale the features, e.g. with sklearn.preprocessing.StandardScaler{hint}."
        ) from err


def require_two_classes(classes: np.ndarray, name: str = "y") -> None:
    """Raise a ValueError naming the one class when ``classes`` holds fewer than two."""
    if len(classes) < 2:
        label = np.asarray(classes)[:1].tolist()[0]  # the plain label: 0 or 'spam', not np.int64(0)
        raise ValueError(
            f"{name} contains only one class ({label!r}): logistic regression needs samples of at least 2 classes."
        )


def warn_unseen_labels(classes: np.ndarray, y) -> None:
    """Warn, naming them, when ``y`` holds labels outside ``classes`` (the model can never predict them)."""
    y = np.asarray(y)
    if y.dtype.kind != classes.dtype.kind and {y.dtype.kind, classes.dtype.kind} & {"U", "S", "O"}:
        return  # mixed strings and numbers: scikit-learn's accuracy_score raises a clear error
    unseen = np.setdiff1d(np.unique(y), classes)
    if unseen.size:
        shown = ", ".join(repr(v) for v in unseen[:5].tolist()) + (", ..." if unseen.size > 5 else "")
        warnings.warn(
            f"y holds {unseen.size} label(s) the model was not fitted on ({shown}); the model predicts only "
            f"{classes.tolist()[:10]}, so these rows count as errors.",
            UnseenLabelWarning,
            stacklevel=3,
        )


def class_factors(class_weight, classes: np.ndarray, class_totals: np.ndarray) -> np.ndarray | None:
    """Per-class weight multipliers, as ``sklearn.utils.class_weight.compute_class_weight`` gives them.

    ``class_totals`` holds each class's total sample weight (its row count without sample weights).
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, str) and class_weight == "balanced":
        # S / (K * S_k), scikit-learn's "balanced" rule with each class counted by its total sample weight
        totals = np.asarray(class_totals, dtype=np.float64)
        return totals.sum() / (len(classes) * totals)
    check_class_weight(class_weight)
    return compute_class_weight(class_weight, classes=classes, y=classes)


def check_class_weight(class_weight) -> None:
    """Refuse a ``class_weight`` dict with a NaN, infinite, negative or non-numeric weight."""
    if not isinstance(class_weight, dict):
        return
    for label, value in class_weight.items():
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        if not ok or not np.isfinite(value) or value < 0:
            raise ValueError(
                f"class_weight[{label!r}] = {value!r}: class weights must be finite, non-negative numbers."
            )


def _first_bad(mask: np.ndarray) -> tuple[int, int]:
    """``(row, column)`` of the first True of a 2-d mask (row-major)."""
    i = int(np.argmax(mask.any(axis=1)))
    return i, int(np.argmax(mask[i]))


def _column_name(j: int, feature_names) -> str:
    return repr(str(feature_names[j])) if feature_names is not None else f"{j}"


def check_block(X, y, s, where: str, first_row: int = 0, feature_names=None, weight_name: str = "weights") -> None:
    """The checks scikit-learn makes on arrays in memory, on one block of rows read from elsewhere.

    ``X`` must be real and finite, ``y`` real and finite when numeric (strings and booleans are labels too),
    ``s`` (None: no weights) finite and non-negative. A failure is a ValueError naming ``where`` (a file, a
    partition), the column, and the row (counted from the start of the data, ``first_row`` being the block's
    first).
    """
    n = len(y)
    rows = f"rows {first_row}..{first_row + n - 1}"
    X = np.asarray(X)
    if X.dtype.kind == "c":
        raise ValueError(f"{where}: X holds complex numbers ({X.dtype}); complex data is not supported.")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{where}: X must hold numbers, got dtype {X.dtype} ({rows}).")
    if X.dtype.kind == "f" and X.size:
        bad = ~np.isfinite(X)
        if bad.any():
            i, j = _first_bad(bad.reshape(X.shape[0], -1))
            what = "NaN" if np.isnan(X[i, j]) else "infinity"
            raise ValueError(
                f"{where}: X contains {what} in column {_column_name(j, feature_names)} at row {first_row + i} "
                f"(batch of {rows}); impute or drop such rows before fitting."
            )
    y = np.asarray(y)
    if y.dtype.kind == "c":
        raise ValueError(f"{where}: the target holds complex numbers ({y.dtype}); labels must be real or strings.")
    if y.dtype.kind == "f" and n:
        bad = ~np.isfinite(y)
        if bad.any():
            i = int(np.argmax(bad))
            what = "NaN" if np.isnan(y[i]) else "infinity"
            raise ValueError(f"{where}: the target contains {what} at row {first_row + i} (batch of {rows}).")
    if y.dtype.kind == "O" and n:
        missing = np.fromiter((v is None or (isinstance(v, float) and v != v) for v in y), bool, n)
        if missing.any():
            raise ValueError(f"{where}: the target has a missing value at row {first_row + int(np.argmax(missing))}.")
    if y.dtype.kind not in "biufUSO":
        raise ValueError(f"{where}: the target has dtype {y.dtype}; labels must be numbers, booleans or strings.")
    if s is not None and n:
        s = np.asarray(s)
        if s.dtype.kind not in "biuf":
            raise ValueError(f"{where}: the {weight_name} must be numbers, got dtype {s.dtype}.")
        bad = ~np.isfinite(s) | (s < 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"{where}: the {weight_name} must be finite and non-negative; row {first_row + i} holds {s[i]!r} "
                f"(batch of {rows})."
            )


def check_labels(classes: np.ndarray, name: str = "the target") -> None:
    """The distinct labels of a whole source: at least two, and class labels (not a continuous target).

    The same verdict as ``sklearn.utils.multiclass.check_classification_targets`` on the full ``y`` (which
    depends only on the distinct values), from the distinct values alone.
    """
    from sklearn.utils.multiclass import type_of_target

    classes = np.asarray(classes)
    if classes.dtype.kind == "f" and classes.size and not np.all(np.isfinite(classes)):
        raise ValueError(f"{name} contains NaN or infinity: labels must be finite.")
    if classes.dtype.kind in "biuf" and classes.size:
        kind = type_of_target(classes.reshape(-1))
        if kind == "continuous":
            raise ValueError(
                f"Unknown label type: continuous. {name} holds {len(classes)} distinct non-integer values "
                f"(e.g. {classes[:3].tolist()}): logistic regression needs class labels; bin or round the target."
            )
    require_two_classes(classes, name)


def unique_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(y, return_inverse=True)``: the sorted classes and each label's index among them.

    Integer labels in a range no wider than the number of labels are counted (``bincount``, linear time)
    instead of sorted; the result is the same.
    """
    y = np.asarray(y)
    if y.ndim == 1 and y.dtype.kind in "iu" and len(y):
        low, high = int(y.min()), int(y.max())
        if high - low <= max(len(y), 1024) and -(2**62) < low and high < 2**62:
            offset = y.astype(np.intp, copy=False) - low
            present = np.bincount(offset) > 0
            classes = (np.flatnonzero(present) + low).astype(y.dtype)
            rank = np.cumsum(present) - 1
            return classes, rank[offset]
    return np.unique(y, return_inverse=True)


def encode_labels(classes: np.ndarray, y: np.ndarray, where: str = "y") -> np.ndarray:
    """``y`` as indices into the sorted ``classes`` (intp), refusing a label that is not among them.

    A label outside ``classes`` would otherwise become a valid-looking index (``searchsorted``) or one past
    the end, which a compiled kernel would read out of bounds.
    """
    index = np.searchsorted(classes, y)
    if len(y):
        np.minimum(index, len(classes) - 1, out=index)
        if not np.array_equal(classes[index], y):
            unseen = np.setdiff1d(np.asarray(y), classes)
            raise DataChangedError(
                f"{where}: labels {unseen[:5].tolist()} are not among the classes {classes[:10].tolist()} found when "
                "the data was first read: the data changed during the fit."
            )
    return index


def weight_exponent(total: float, largest: float) -> int:
    """The power of two ``e`` by which weights summing to ``total`` are divided (``C`` multiplied) so that
    their sum stays within :data:`SAFE_TOTAL_WEIGHT`; 0 when it already does (see :func:`rescale_sample_weight`)."""
    if np.isfinite(total) and SAFE_TOTAL_WEIGHT[0] <= total <= SAFE_TOTAL_WEIGHT[1]:
        return 0
    if not np.isfinite(largest) or largest <= 0:
        return 0
    return int(np.frexp(largest)[1])


def check_C(C: float, total_weight: float, given_C: float | None = None) -> None:
    """Refuse a ``C`` so small that the penalty's strength ``1 / (C S)`` is infinite in float64.

    ``given_C`` is the user's ``C`` when tiny sample weights were rescaled (and ``C`` with them).
    """
    if np.isfinite(C):
        with np.errstate(all="ignore"):
            strength = 1.0 / (float(C) * float(total_weight))
        if not np.isfinite(strength) and given_C is not None and given_C != C:
            raise ValueError(
                f"the sample weights are so small (C={given_C!r} times their scale is {C:.3g}) that the penalty "
                "1 / (C * total weight) is infinite in float64, which would force every coefficient to zero: "
                "scale the weights up (only their ratios and C matter)."
            )
        if not np.isfinite(strength):
            raise ValueError(
                f"C={C!r} is too small: the penalty 1 / (C * total weight) = 1 / ({C!r} * {total_weight:.3g}) is "
                "infinite in float64, which would force every coefficient to zero; use C >= 1e-300 or so."
            )
