"""A fitted model holds its coefficients and the statistics of its fit, never its training data."""

from __future__ import annotations

import gc
import pickle
import weakref

import numpy as np
import pytest

import oneuron
from oneuron import LogisticRegression, LogisticRegressionCV

from .conftest import noisy_classification


def test_pickled_size_does_not_grow_with_the_training_rows():
    sizes = []
    for n in (1_000, 100_000):
        X, y = noisy_classification(n_samples=n, n_features=10, seed=1)
        sizes.append(len(pickle.dumps(LogisticRegression(penalty=None).fit(X, y))))
    assert abs(sizes[1] - sizes[0]) <= 0.1 * sizes[0]


@pytest.mark.parametrize("solver", ["auto", "lbfgs", "newton", "gd", "prox"])
def test_the_training_data_is_freed_after_fit(solver):
    X, y = noisy_classification(n_samples=300, n_features=5)
    penalty = "l1" if solver == "prox" else "l2"
    model = LogisticRegression(solver=solver, penalty=penalty).fit(X, y)
    ref = weakref.ref(X)
    del X
    gc.collect()
    assert ref() is None
    assert model.predict(np.zeros((1, 5))).shape == (1,)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("penalty", [None, "l2", "firth"])
def test_summary_without_data_equals_summary_with_data(tmp_path, n_classes, penalty):
    if penalty == "firth" and n_classes > 2:
        pytest.skip("Firth's penalty is binary")
    X, y = noisy_classification(n_samples=150, n_features=3, n_classes=n_classes, seed=2)
    s = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    model = LogisticRegression(penalty=penalty).fit(X, y, sample_weight=s)
    for cov_type in ("nonrobust", "HC0", "HC1"):
        expected = model.summary(cov_type, X=X, y=y, sample_weight=s)
        restored = oneuron.load(oneuron.save(model, tmp_path / "m.oneuron"))
        for fitted in (model, pickle.loads(pickle.dumps(model)), restored):
            got = fitted.summary(cov_type)
            np.testing.assert_allclose(got.table.to_numpy(), expected.table.to_numpy(), rtol=1e-10, atol=1e-12)
            for name in ("log_likelihood", "ll_null", "llr", "aic", "bic", "n_obs", "df_resid"):
                assert getattr(got, name) == pytest.approx(getattr(expected, name), rel=1e-10), name


def test_summary_of_a_cross_validated_model():
    X, y = noisy_classification(n_samples=200, n_features=3, seed=3)
    model = LogisticRegressionCV(Cs=3).fit(X, y)
    summary = model.summary()
    np.testing.assert_allclose(
        summary.table.to_numpy(), model.summary(X=X, y=y).table.to_numpy(), rtol=1e-10, atol=1e-12
    )
    assert "C=" in summary.method
    l1 = LogisticRegressionCV(Cs=3, penalty="l1").fit(X, y)
    with pytest.raises(ValueError, match="penalty='l1'"):
        l1.summary()


def test_model_file_statistics_are_checked_against_the_model(tmp_path):
    import json

    from oneuron._persist import CHECKSUM_PREFIX, MAGIC, dumps, loads

    X, y = noisy_classification(n_samples=100, n_features=3, seed=4)
    doc = json.loads(dumps(LogisticRegression(penalty=None).fit(X, y))[len(MAGIC) :].split(b"\n", 1)[1])
    doc["statistics"]["information"]["shape"] = [2, 8]  # 16 values, the model has 4 parameters
    body = json.dumps(doc).encode()
    import hashlib

    data = MAGIC + CHECKSUM_PREFIX + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
    with pytest.raises(oneuron.ModelFileError, match="information"):
        loads(data)
