"""The estimator's door to data that is not in memory: file sources and dask collections.

:func:`is_external` tells whether ``fit`` received such data, :func:`external_source` turns it into a
source for the objective and returns the classes, and sets the estimator's input attributes
(``n_features_in_``, ``feature_names_in_``) as a fit on arrays would.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from oneuron.data.files import StreamSource


def is_dask(X) -> bool:
    """True for dask arrays, DataFrames and Series (without importing dask when it is not loaded)."""
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(X, "__dask_graph__")


def is_external(X) -> bool:
    """True when ``fit`` must go through :func:`external_source` (a file source or a dask collection)."""
    return isinstance(X, StreamSource) or is_dask(X)


def predict_lazy(estimator, X, method: str):
    """A prediction method on dask data, as a lazy dask array (see :func:`oneuron.data.dask.predict_lazy`)."""
    from oneuron.data.dask import predict_lazy as lazy

    return lazy(estimator, X, method)


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
        if y is not None or sample_weight is not None:
            raise ValueError(
                "y and sample_weight: a file source carries its own labels and weights; call fit(source) "
                "and name the columns with target=... and weight=... when building the source."
            )
        X.set_class_weight(class_factors(estimator.class_weight, X.classes, X.class_weight_sums))
        source = X
    else:
        from oneuron.data.dask import DaskSource

        if y is None:
            raise ValueError("y: fit on dask data needs the labels, as a dask array/Series or a NumPy array.")
        source = DaskSource(X, y, sample_weight, class_weight=estimator.class_weight)
    estimator.n_features_in_ = source.n_features
    if source.feature_names is not None and all(isinstance(c, str) for c in source.feature_names):
        estimator.feature_names_in_ = np.asarray(source.feature_names, dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    return source, source.classes
