"""Dask: fits on a LocalCluster (and on the local scheduler) equal the in-memory fit; predictions stay lazy."""

import warnings

import numpy as np
import pandas as pd
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from oneuron import LogisticRegression  # noqa: E402
from oneuron._objective import binary_pass  # noqa: E402
from oneuron.data._dask import DaskSource, DataLostError  # noqa: E402

from .conftest import noisy_classification  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """Two in-process workers: the data moves between threads as it would between machines (by partition)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=50
        )
    with cluster, distributed.Client(cluster) as c:
        yield c


def tight(**kw):
    return LogisticRegression(solver="newton", tol=1e-13, **kw)


def max_rel(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


def same_model(model, ref, rtol):
    """Coefficients equal to ``rtol``. Softmax parameters are compared centred over the classes: adding the same
    vector to every class changes no probability, and an unpenalized direction (the intercepts; all weights
    without a penalty) may drift along it at the rounding floor of a tight fit."""
    np.testing.assert_array_equal(model.classes_, ref.classes_)
    M, R = (np.column_stack([m.coef_, m.intercept_]) for m in (model, ref))
    if len(ref.classes_) > 2:
        M, R = M - M.mean(axis=0), R - R.mean(axis=0)
    assert max_rel(M, R) < rtol


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("penalty", ["l2", None])
def test_cluster_fit_equals_in_memory_fit(client, n_classes, penalty):
    X, y = noisy_classification(n_samples=3000, n_features=10, n_classes=n_classes, seed=2)
    ref = tight(penalty=penalty).fit(X, y)
    model = tight(penalty=penalty).fit(da.from_array(X, chunks=(800, 5)), da.from_array(y, chunks=800))
    same_model(model, ref, 1e-8)


def test_cluster_fit_with_weights_and_lbfgs(client):
    X, y = noisy_classification(n_samples=2000, n_features=8, n_classes=3, seed=4)
    s = np.random.default_rng(1).uniform(0.1, 2.0, len(y))
    kw = dict(solver="lbfgs", tol=1e-10, max_iter=2000, class_weight="balanced")
    ref = LogisticRegression(**kw).fit(X, y, sample_weight=s)
    model = LogisticRegression(**kw).fit(da.from_array(X, chunks=500), y, sample_weight=da.from_array(s, chunks=500))
    same_model(model, ref, 1e-6)  # L-BFGS paths differ in the last digits of the sums


def test_each_evaluation_runs_one_task_per_partition_on_the_workers(client):
    X, y = noisy_classification(n_samples=1000, n_features=5, seed=5)
    source = DaskSource(da.from_array(X, chunks=250), da.from_array(y.astype(float), chunks=250))
    assert source.client is client and source.n_partitions == 4
    held = {key for keys in client.has_what().values() for key in keys}
    assert {f.key for f in source._parts} <= held  # the partitions live on the workers
    w, b = np.zeros(5), np.float64(0.0)
    loss, gw, gb = source.reduce(binary_pass, w, b, True, False, None)
    expected = binary_pass(X, y.astype(float), np.ones(1000), w, b, True, False, None)
    np.testing.assert_allclose([loss, *gw, gb], [expected[0], *expected[1], expected[2]], rtol=1e-12)


def test_dask_dataframe_and_lazy_predictions(client):
    X, y = noisy_classification(n_samples=1500, n_features=6, n_classes=4, seed=6)
    cols = [f"c{j}" for j in range(6)]
    ddf = dd.from_pandas(pd.DataFrame(X, columns=cols), npartitions=3)
    ref = tight().fit(X, y)
    model = tight().fit(ddf, dd.from_pandas(pd.Series(y), npartitions=3))
    same_model(model, ref, 1e-8)
    assert list(model.feature_names_in_) == cols

    computed = []

    def spy(block):  # runs on data only when the prediction is computed (dask calls it on an empty "meta" once)
        if len(block):
            computed.append(len(block))
        return block

    Xd = da.from_array(X, chunks=500).map_blocks(spy, dtype=X.dtype)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        lazy = getattr(model, method)(Xd)
        assert isinstance(lazy, da.Array) and not computed, method
        # lazy equals this model's eager prediction; the model equals the in-memory fit (same_model above)
        np.testing.assert_allclose(lazy.compute(scheduler="sync"), getattr(model, method)(X), rtol=1e-12, atol=1e-15)
        assert sum(computed) >= 1500
        computed.clear()
    assert model.predict(ddf).compute().tolist() == ref.predict(X).tolist()


def test_local_scheduler_without_a_client():
    X, y = noisy_classification(n_samples=1200, n_features=6, seed=7)
    ref = tight().fit(X, y)
    model = tight().fit(da.from_array(X, chunks=300), da.from_array(y, chunks=300))
    same_model(model, ref, 1e-8)


def test_data_that_changes_mid_fit_raises_instead_of_fitting_silently(client):
    X, y = noisy_classification(n_samples=800, n_features=4, seed=8)
    source = DaskSource(da.from_array(X, chunks=200), da.from_array(y.astype(float), chunks=200))
    source._fingerprints[2] = (200, 200.0, 0.0)  # as if partition 2 had been recomputed with other values
    with pytest.raises(DataLostError, match="partition 2 changed"):
        source.reduce(binary_pass, np.zeros(4), 0.0, True, False, None)


def test_bad_dask_input(client):
    X, y = noisy_classification(n_samples=100, n_features=3, seed=9)
    with pytest.raises(ValueError, match="y: fit on dask data needs the labels"):
        LogisticRegression().fit(da.from_array(X))
    with pytest.raises(ValueError, match="y: expected 100 values"):
        LogisticRegression().fit(da.from_array(X), da.zeros(5))
    model = LogisticRegression().fit(da.from_array(X, chunks=50), y)
    with pytest.raises(ValueError, match="fitted on 3 features"):
        model.predict(da.zeros((10, 4)))


@pytest.mark.slow
def test_worker_restarted_mid_fit_gives_same_answer_or_clear_error(monkeypatch):
    """Real worker processes: one is restarted (its memory lost) in the middle of the fit."""
    X, y = noisy_classification(n_samples=4000, n_features=10, n_classes=4, seed=10)
    ref = tight().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        )
    with cluster, distributed.Client(cluster) as client:
        calls = []
        original = DaskSource.reduce

        def reduce(self, block_fn, *args):
            calls.append(block_fn)
            if len(calls) == 4:
                victim = sorted(client.scheduler_info()["workers"])[0]
                client.restart_workers([victim])
            return original(self, block_fn, *args)

        monkeypatch.setattr(DaskSource, "reduce", reduce)
        try:
            model = tight().fit(da.from_array(X, chunks=500), da.from_array(y, chunks=500))
        except DataLostError:
            return  # a clear error is acceptable; a wrong model is not
        assert len(calls) > 4
        same_model(model, ref, 1e-8)


def test_a_fitted_model_does_not_pin_partitions_on_the_workers(client):
    X, y = noisy_classification(n_samples=600, n_features=4, seed=9)
    model = tight().fit(da.from_array(X, chunks=200), da.from_array(y, chunks=200))
    # the model holds no source (nor anything else of the data): summary() uses the statistics of the fit
    assert not any("source" in type(v).__name__.lower() for v in vars(model).values())
    np.testing.assert_allclose(model.summary().table, model.summary(X=X, y=y).table, rtol=1e-9, atol=1e-12)
