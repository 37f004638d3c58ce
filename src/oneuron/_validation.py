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
    if np.isfinite(total) and SAFE_TOTAL_WEIGHT[0] <= total <= SAFE_TOTAL_WEIGHT[1]:
        return sample_weight, C
    _, exponent = np.frexp(np.max(sample_weight))  # max = m 2^exponent, 0.5 <= m < 1
    with np.errstate(over="ignore"):
        return np.ldexp(sample_weight, -int(exponent)), float(np.ldexp(C, int(exponent)))


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
    return compute_class_weight(class_weight, classes=classes, y=classes)
