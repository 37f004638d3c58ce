"""No growth in memory over many consecutive fits (slow: run by `make test-slow`)."""

from __future__ import annotations

import gc
import tracemalloc
import warnings

import numpy as np
import psutil
import pytest
from sklearn.exceptions import ConvergenceWarning

from oneuron import LogisticRegression

from .conftest import noisy_classification

N_FITS = 1000


def _fit_many(n, datasets):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i in range(n):
            X, y, solver = datasets[i % len(datasets)]
            model = LogisticRegression(solver=solver, max_iter=50).fit(X, y)
            model.predict_proba(X)


@pytest.mark.slow
def test_no_memory_growth_over_a_thousand_fits():
    datasets = [
        (*noisy_classification(n_samples=300, n_features=10, n_classes=k, seed=k), solver)
        for k in (2, 3)
        for solver in ("gd", "lbfgs", "newton")
    ]
    _fit_many(60, datasets)  # warm up: caches, lazily imported modules, BLAS buffers
    gc.collect()
    rss_before = psutil.Process().memory_info().rss
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        _fit_many(N_FITS, datasets)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = psutil.Process().memory_info().rss - rss_before
    # Python objects and numpy buffers still alive after 1,000 fits: none should accumulate
    assert current - base < 256 * 2**10, f"{(current - base) / 2**10:.0f} KiB still allocated after {N_FITS} fits"
    assert peak - base < 32 * 2**20  # one fit's working set, not 1,000 of them
    # the process as the OS sees it (allocator slack included): a leak of even 10 KiB per fit would show
    assert rss_growth < 10 * 2**20, f"RSS grew by {rss_growth / 2**20:.1f} MiB"


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_refitting_one_estimator_does_not_accumulate_state(solver):
    """The quick relative of the slow test: attributes are replaced on refit, never appended to."""
    X, y = noisy_classification(n_samples=200, n_features=5)
    model = LogisticRegression(solver=solver)
    sizes = []
    for _ in range(5):
        model.fit(X, y)
        sizes.append((len(model.__dict__), len(model.loss_curve_), model.coef_.nbytes))
    assert len(set(sizes)) == 1
    assert np.all(np.isfinite(model.coef_))
