"""The estimator's door to data that is not in memory: file sources and dask collections.

:func:`is_external` tells whether ``fit`` received such data, :func:`external_source` turns it into a
source for the objective and returns the classes, and sets the estimator's input attributes
(``n_features_in_``, ``feature_names_in_``) as a fit on arrays would. :func:`predict_external` serves the
predict methods: :func:`predict_lazy` on dask data (partition by partition, lazily), :func:`predict_stream`
on a file source (batch by batch, the results concatenated); :func:`batch_predictor` is what both call on a
block of rows.
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.utils.validation import check_is_fitted

from oneuron._validation import class_factors
from oneuron.data._files import StreamSource


def is_dask(X) -> bool:
    """True for dask arrays, DataFrames and Series (without importing dask when it is not loaded)."""
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(X, "__dask_graph__")


def is_external(X) -> bool:
    """True when ``fit`` must go through :func:`external_source` (a file source or a dask collection)."""
    return isinstance(X, StreamSource) or is_dask(X)


def _call(X_b, estimator, method):
    return getattr(estimator, method)(X_b)


def batch_predictor(estimator):
    """A copy of a fitted ``estimator`` that predicts on arrays of its columns, in order, without names.

    Only parameters and fitted attributes are kept (no private state such as the training data), and not
    ``feature_names_in_``: blocks of a file or a partition are plain arrays whose columns were chosen by name.
    """
    check_is_fitted(estimator)
    plain = copy.copy(estimator)
    plain.__dict__ = {k: v for k, v in estimator.__dict__.items() if not k.startswith("_")}
    plain.__dict__.pop("feature_names_in_", None)
    return plain


def predict_external(estimator, X, method: str):
    """``estimator.<method>(X)`` for dask data (a lazy dask array) or a file source (an array)."""
    if isinstance(X, StreamSource):
        return predict_stream(estimator, X, method)
    return predict_lazy(estimator, X, method)


def predict_stream(estimator, source: StreamSource, method: str) -> np.ndarray:
    """``estimator.<method>`` of every row of a file source, read batch by batch (only the feature columns).

    The result is in memory (one value, or one per class, per row); the features never are all at once.
    """
    check_is_fitted(estimator)
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and source.feature_names is not None and list(source.feature_names) != list(names):
        raise ValueError(
            f"the source's feature columns {list(source.feature_names)} are not the model's "
            f"{list(names)}: build the source with features=list(model.feature_names_in_)."
        )
    if source.n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {source.n_features} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    plain = batch_predictor(estimator)
    parts = [getattr(plain, method)(X_b) for X_b in source.feature_batches()]
    if not parts:
        raise ValueError("the data source holds no rows: check the path and filters.")
    return np.concatenate(parts)


def predict_lazy(estimator, X, method: str):
    """``estimator.<method>(X)`` on a dask array/DataFrame, as a lazy dask array (one task per partition)."""
    from oneuron.data._dask import _as_dask_array

    check_is_fitted(estimator)
    X, _ = _as_dask_array(X, "X", lengths=False)
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has shape {X.shape}, but the model was fitted on {estimator.n_features_in_} features: "
            "pass the same columns as in fit."
        )
    X = X.rechunk({1: -1})
    # what the workers get: parameters and fitted attributes only (no private state, nor the column names:
    # blocks are arrays, and their count was checked above)
    plain = batch_predictor(estimator)
    K = len(estimator.classes_)
    dtype = np.result_type(X.dtype, np.float32) if X.dtype in (np.float32, np.float64) else np.float64
    if method == "predict":
        kind, drop = estimator.classes_.dtype, True
    else:
        kind, drop = dtype, method == "decision_function" and K == 2
    meta = np.empty((0,) if drop else (0, K), dtype=kind)
    if drop:
        return X.map_blocks(_call, plain, method, drop_axis=1, dtype=kind, meta=meta)
    return X.map_blocks(_call, plain, method, chunks=(X.chunks[0], (K,)), dtype=kind, meta=meta)


def external_source(estimator, X, y, sample_weight):
    """Source and classes for ``estimator.fit(X, y, sample_weight)`` when ``X`` is a file source or dask data.

    Returns
    -------
    source : StreamSource or DaskSource
    classes : ndarray
    """
    if estimator.solver in ("sgd", "adam"):
        raise ValueError(
            f"solver={estimator.solver!r} fits arrays in memory; on files or dask data use a full-batch solver "
            "('auto', 'lbfgs', 'newton', 'gd'), or feed batches to partial_fit."
        )
    if isinstance(X, StreamSource):
        if not X.has_target:
            raise ValueError(
                "the file source has no labels (target=None): fit needs them; name the column with target=..."
            )
        if y is not None or sample_weight is not None:
            raise ValueError(
                "y and sample_weight: a file source carries its own labels and weights; call fit(source) "
                "and name the columns with target=... and weight=... when building the source."
            )
        X.set_class_weight(class_factors(estimator.class_weight, X.classes, X.class_weight_sums))
        source = X
    else:
        from oneuron.data._dask import DaskSource

        if y is None:
            raise ValueError("y: fit on dask data needs the labels, as a dask array/Series or a NumPy array.")
        source = DaskSource(X, y, sample_weight, class_weight=estimator.class_weight)
    estimator.n_features_in_ = source.n_features
    if source.feature_names is not None and all(isinstance(c, str) for c in source.feature_names):
        estimator.feature_names_in_ = np.asarray(source.feature_names, dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    return source, source.classes
