"""``oneuron demo-cluster``: fit on a local Dask cluster and print where to watch it, how long it took, and how
well it did.

Starts a ``LocalCluster`` (worker processes on this machine), generates a logistic-regression problem on the
workers (the data never passes through this process), fits :class:`oneuron.LogisticRegression` on it and
scores it on a held-out part, lazily.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from oneuron._optional import require


def main(n_samples: int = 1_000_000, n_features: int = 20, n_workers: int = 2, chunk_rows: int = 125_000) -> float:
    """Run the demo; returns the test accuracy.

    Parameters
    ----------
    n_samples, n_features : int
        Size of the generated training data (a test set of a quarter of that size is generated too).
    n_workers : int
        Worker processes of the cluster (one thread each).
    chunk_rows : int
        Rows per partition.
    """
    da = require("dask.array", "demo-cluster", "dask")
    distributed = require("distributed", "demo-cluster", "dask")
    Client, LocalCluster = distributed.Client, distributed.LocalCluster

    from oneuron import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "bokeh is not installed: no dashboard"
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True)
    with cluster, Client(cluster) as client:
        print(f"cluster: {n_workers} workers; dashboard: {client.dashboard_link} (needs bokeh to display)")
        rs = da.random.RandomState(0)
        w_true = 3 * np.random.default_rng(0).normal(size=n_features) / np.sqrt(n_features)

        def make(n):
            X = rs.normal(size=(n, n_features), chunks=(min(chunk_rows, n), n_features))
            y = (X @ w_true + rs.logistic(size=n, chunks=X.chunks[0]) > 0).astype(np.int8)
            return client.persist([X, y])

        (X, y), (X_test, y_test) = make(n_samples), make(max(n_samples // 4, 1))
        print(f"data: {n_samples:,} x {n_features} on the workers, {X.npartitions} partitions")
        start = time.perf_counter()
        model = LogisticRegression().fit(X, y)
        seconds = time.perf_counter() - start
        predictions = model.predict(X_test)  # lazy: a dask array, computed below on the workers
        accuracy = float((predictions == y_test).mean().compute())
        print(f"fit: {seconds:.2f} s ({model.solver_}, {model.n_passes_} passes over the data)")
        print(f"test accuracy: {accuracy:.4f}")
    return accuracy
