"""Concurrency: one model predicting from many threads at once, and fits in parallel processes."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from joblib import Parallel, delayed

from oneuron import LogisticRegression

from .conftest import noisy_classification

N_THREADS = 8


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_from_eight_threads_equals_serial(n_classes, dtype):
    X, y = noisy_classification(n_samples=4000, n_features=20, n_classes=n_classes)
    X = X.astype(dtype)
    model = LogisticRegression().fit(X, y)
    chunks = np.array_split(np.arange(len(X)), N_THREADS)
    serial = [(model.predict(X[c]), model.predict_proba(X[c]), model.decision_function(X[c])) for c in chunks]
    start = threading.Barrier(N_THREADS)

    def work(i):
        start.wait()  # all threads enter predict together
        out = []
        for _ in range(20):
            c = chunks[i]
            out.append((model.predict(X[c]), model.predict_proba(X[c]), model.decision_function(X[c])))
        return out

    with ThreadPoolExecutor(N_THREADS) as pool:
        results = list(pool.map(work, range(N_THREADS)))
    for i, repeats in enumerate(results):
        for labels, proba, scores in repeats:
            np.testing.assert_array_equal(labels, serial[i][0])
            np.testing.assert_array_equal(proba, serial[i][1])
            np.testing.assert_array_equal(scores, serial[i][2])


def _fit(X, y, solver):
    model = LogisticRegression(solver=solver, tol=1e-6 if solver == "gd" else 1e-10).fit(X, y)
    return model.coef_, model.intercept_, model.n_iter_


@pytest.mark.parametrize("n_classes", [2, 3])
def test_fits_in_parallel_processes_are_identical(n_classes):
    X, y = noisy_classification(n_samples=500, n_features=8, n_classes=n_classes)
    solvers = ["lbfgs", "newton", "gd"] * 2
    here = [_fit(X, y, s) for s in solvers]
    there = Parallel(n_jobs=2, backend="loky")(delayed(_fit)(X, y, s) for s in solvers)
    for (coef, intercept, n_iter), (coef_p, intercept_p, n_iter_p) in zip(here, there, strict=True):
        np.testing.assert_array_equal(coef_p, coef)
        np.testing.assert_array_equal(intercept_p, intercept)
        np.testing.assert_array_equal(n_iter_p, n_iter)


def test_fits_of_separate_models_in_threads_are_identical():
    X, y = noisy_classification(n_samples=500, n_features=8, n_classes=3)
    reference = LogisticRegression(tol=1e-10).fit(X, y).coef_
    with ThreadPoolExecutor(4) as pool:
        coefs = list(pool.map(lambda _: LogisticRegression(tol=1e-10).fit(X, y).coef_, range(4)))
    for coef in coefs:
        np.testing.assert_array_equal(coef, reference)
