"""Dask arrays and DataFrames as a source: each partition's sums are computed where it lives.

Under a ``dask.distributed`` ``Client`` the row partitions are computed once and kept on the workers
(``client.compute`` of one ``(X_p, y_p, s_p)`` tuple per partition). Every evaluation of the objective then
sends only the parameters: ``client.map`` runs the objective's block function over each partition on the
worker holding it, and the client adds the partial sums, in partition order. Without a Client the same
tasks run on dask's local scheduler, reading the partitions afresh at each evaluation (nothing is kept in
memory).

The first computation validates every partition as a fit on arrays would (finite features, class labels,
finite non-negative weights: :func:`oneuron._validation.check_block`). Each task also returns the
partition's fingerprint (row count, weight sum, a CRC-32 of every row of X, labels and weights, computed
on the worker that holds the partition), checked against the one recorded when the data was first
computed: a partition lost with a worker is recomputed by the scheduler (same data, same answer); if it
cannot be, or comes back different, the fit stops with :class:`DataLostError` rather than return a model
fitted on part (or a mix) of the data.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

from oneuron import _validation as checks
from oneuron._validation import DataLostError
from oneuron.data._memory import MemorySource, Source, add_into

__all__ = ["DaskSource", "DataLostError", "current_client"]


def current_client():
    """The ``dask.distributed`` Client in use, or None (local scheduler)."""
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - distributed not installed
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _lost_errors() -> tuple:
    """Exceptions meaning that a worker or its data went away."""
    import asyncio
    import concurrent.futures

    errors = (OSError, TimeoutError, asyncio.CancelledError, concurrent.futures.CancelledError)
    try:
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError
        from distributed.comm.core import CommClosedError
    except ImportError:  # pragma: no cover
        return errors
    return (*errors, KilledWorker, FutureCancelledError, CommClosedError)


def _as_dask_array(data, name: str, lengths: bool = True):
    """dask array / DataFrame / Series -> (dask array, column names or None)."""
    import dask.array as da

    if hasattr(data, "to_dask_array"):  # dask DataFrame or Series
        names = [str(c) for c in data.columns] if getattr(data, "ndim", 1) == 2 else None
        if names is not None and not all(isinstance(c, str) for c in data.columns):
            names = None
        return data.to_dask_array(lengths=True if lengths else None), names
    if isinstance(data, da.Array):
        return data, None
    raise ValueError(f"{name}: expected a dask array or DataFrame, got {type(data).__name__}.")


def _rows_like(v, name: str, rows: tuple):
    """A 1-d vector (dask or NumPy) chunked like the rows of X."""
    import dask.array as da

    v = _as_dask_array(v, name)[0] if hasattr(v, "__dask_graph__") else np.asarray(v)
    if v.ndim != 1 or v.shape[0] != sum(rows):
        raise ValueError(f"{name}: expected {sum(rows)} values in one dimension, got shape {v.shape}.")
    return da.from_array(v, chunks=(rows,)) if isinstance(v, np.ndarray) else v.rechunk((rows,))


def _make_part(X_b, y_b, s_b, classes, factors, dtype, where="a partition of the dask data", feature_names=None):
    """One partition as the objective sees it: ``(X, encoded y, weights in float64)``, checked as it is made."""
    X_b, y_b = np.asarray(X_b), np.asarray(y_b)
    checks.check_block(X_b, y_b, s_b, where, 0, feature_names, "sample_weight")
    index = checks.encode_labels(classes, y_b, where)
    y = index.astype(dtype) if len(classes) == 2 else index.astype(np.int32)
    s = np.ones(len(y), dtype=np.float64) if s_b is None else np.asarray(s_b, dtype=np.float64)
    if factors is not None:
        s = s * factors[index]
    return np.ascontiguousarray(X_b, dtype=dtype), y, s


def _fingerprint(part) -> tuple:
    """Row count, weight sum, and a CRC-32 of every row of X, y and the weights (computed where the part is)."""
    crc = 0
    for a in part:
        crc = zlib.crc32(memoryview(np.ascontiguousarray(a)).cast("B"), crc)
    return len(part[1]), float(np.sum(part[2], dtype=np.float64)), crc


def _part_reduce(part, block_fn, args, exponent=0):
    """Partial sums of one partition, with its fingerprint (checked on the client)."""
    X_b, y_b, s_b = part
    s = np.ldexp(s_b, -exponent) if exponent else s_b  # extreme weights: times 2^-exponent, exactly
    return _fingerprint(part), MemorySource(X_b, y_b, s.astype(X_b.dtype, copy=False)).reduce(block_fn, *args)


def _part_meta(part):
    """Fingerprint, largest weight, and the weight sum as ``(mantissa sum, exponent)``: no overflow."""
    s_b = part[2]
    largest = float(np.max(s_b, initial=0.0))
    e = int(np.frexp(largest)[1]) if largest > 0 else 0
    return _fingerprint(part), largest, float(np.sum(np.ldexp(s_b, -e))), e


class DaskSource(Source):
    """A dask array or DataFrame (with labels and weights) as a source for the objective.

    Parameters
    ----------
    X : dask array (n, d) or dask DataFrame
    y : dask array, dask Series or ndarray (n,)
        Labels (any type); classes are in ``np.unique`` order.
    sample_weight : dask array, dask Series or ndarray (n,), optional
    class_weight : dict or "balanced", optional
        Multiplied into the sample weights, as scikit-learn does.
    client : distributed.Client, optional
        By default the current Client, or dask's local scheduler when there is none.
    """

    def __init__(self, X, y, sample_weight=None, class_weight=None, client="current"):
        import dask
        import dask.array as da

        X, self.feature_names = _as_dask_array(X, "X")
        if X.ndim != 2:
            raise ValueError(f"X: expected a 2-d dask array, got shape {X.shape}.")
        if X.dtype.kind not in "biuf":
            what = "complex numbers" if X.dtype.kind == "c" else f"{X.dtype} values"
            raise ValueError(f"X holds {what}; numbers are needed (complex data is not supported).")
        self.dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        X = X.rechunk({1: -1})
        rows = X.chunks[0]
        y = _rows_like(y, "y", rows)
        s = None if sample_weight is None else _rows_like(sample_weight, "sample_weight", rows)
        self.client = current_client() if client == "current" else client

        if y.dtype.kind == "c":
            raise ValueError(f"y holds complex numbers ({y.dtype}); labels must be real numbers or strings.")
        if s is not None and s.dtype.kind not in "biuf":
            raise ValueError(f"sample_weight must hold numbers, got dtype {s.dtype}.")
        classes, counts = dask.compute(*da.unique(y, return_counts=True))
        checks.check_labels(classes, "y")
        self.classes, self.class_counts = classes, counts
        self.n_classes = len(classes)
        self.n_features = X.shape[1]
        totals = counts
        if s is not None and isinstance(class_weight, str):  # "balanced" counts classes by total sample weight
            totals = np.array(dask.compute(*[s[y == c].sum() for c in classes]), dtype=np.float64)
        factors = checks.class_factors(class_weight, classes, totals)

        make = dask.delayed(_make_part, pure=True)
        ys, ss = y.to_delayed(), (s.to_delayed() if s is not None else [None] * len(rows))
        xs = X.to_delayed()[:, 0]
        starts = np.concatenate([[0], np.cumsum(rows)])
        names = self.feature_names
        parts = [
            make(
                x, yb, sb, classes, factors, self.dtype, f"partition {i} (rows {starts[i]}..{starts[i + 1] - 1})", names
            )
            for i, (x, yb, sb) in enumerate(zip(xs, ys, ss, strict=True))
        ]
        if self.client is not None:
            self._parts = self.client.compute(parts)  # computed once, kept on the workers
            meta = self.client.gather(self.client.map(_part_meta, self._parts, pure=False))
        else:
            self._parts = parts
            meta = dask.compute(*[dask.delayed(_part_meta)(p) for p in parts])
        self._fingerprints = [m[0] for m in meta]
        self.n_samples = int(sum(m[0][0] for m in meta))
        E = max(m[3] for m in meta)
        scaled = float(np.sum([np.ldexp(m[2], m[3] - E) for m in meta]))  # in units of 2^E
        with np.errstate(over="ignore"):
            exponent = checks.weight_exponent(float(np.ldexp(scaled, E)), max(m[1] for m in meta))
        self._exponent, self.C_scale = exponent, float(np.ldexp(1.0, exponent))
        self.total_weight = float(np.ldexp(scaled, E - exponent))
        if not self.total_weight > 0:
            raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight.")

    @property
    def n_partitions(self) -> int:
        return len(self._fingerprints)

    def reduce(self, block_fn: Callable, *args) -> list:
        """Sum ``block_fn`` over every partition, each on the worker that holds it; add on the client."""
        import dask

        try:
            if self.client is not None:
                futures = self.client.map(
                    _part_reduce, self._parts, block_fn=block_fn, args=args, exponent=self._exponent, pure=False
                )
                results = self.client.gather(futures)
            else:
                results = dask.compute(
                    *[dask.delayed(_part_reduce)(p, block_fn, args, self._exponent) for p in self._parts]
                )
        except _lost_errors() as exc:
            raise DataLostError(
                f"evaluating the objective on the dask partitions failed ({type(exc).__name__}: {exc}); "
                "a worker may have been lost with data the scheduler could not recompute. Fit again."
            ) from exc
        acc = None
        for i, (fingerprint, sums) in enumerate(results):
            if fingerprint != self._fingerprints[i]:
                (n0, w0, _), (n, w, _) = self._fingerprints[i], fingerprint
                raise DataLostError(
                    f"partition {i} changed during the fit ({n} rows, weight {w}, instead of {n0} and {w0}, or "
                    "different values): it was lost and recomputed differently. Persist the input (e.g. "
                    "X.persist()) or make it deterministic, and fit again."
                )
            acc = add_into(acc, sums)
        return acc

    def __repr__(self) -> str:
        where = "local scheduler" if self.client is None else "distributed"
        return (
            f"DaskSource(n_samples={self.n_samples}, n_features={self.n_features}, "
            f"partitions={self.n_partitions}, {where})"
        )
