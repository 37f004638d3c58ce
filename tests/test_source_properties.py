"""Property: a fit on a file source and on the same rows in memory agree, in success and in failure.

Either both succeed with the same coefficients, or both raise the same error class: a file is validated
exactly as an array in memory is.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oneuron
from oneuron import LogisticRegression

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

VALUES = st.one_of(
    st.floats(-5, 5, allow_nan=False),
    st.sampled_from([np.nan, np.inf, -np.inf]),
)


@st.composite
def datasets(draw):
    n = draw(st.integers(4, 40))
    hostile = draw(st.booleans())
    values = VALUES if hostile else st.floats(-5, 5, allow_nan=False)
    X = np.array(draw(st.lists(st.lists(values, min_size=2, max_size=2), min_size=n, max_size=n)), dtype=np.float64)
    y = np.array(draw(st.lists(st.integers(0, draw(st.integers(0, 2))), min_size=n, max_size=n)))
    weights = None
    if draw(st.booleans()):
        w = (
            st.one_of(st.floats(0, 3), st.sampled_from([0.0, -1.0, np.nan, np.inf, 1e306]))
            if hostile
            else st.floats(0, 3)
        )
        weights = np.array(draw(st.lists(w, min_size=n, max_size=n)), dtype=np.float64)
    return X, y, weights


def _outcome(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fit().coef_, None
        except Exception as exc:  # noqa: BLE001 - the class is what is compared
            return None, type(exc)


def _check(X, y, weights):
    def model():
        return LogisticRegression(solver="newton", tol=1e-10, C=1.0)

    memory_coef, memory_error = _outcome(lambda: model().fit(X, y, sample_weight=weights))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.parquet"
        columns = {"a": X[:, 0], "b": X[:, 1], "label": y} | ({} if weights is None else {"w": weights})
        pq.write_table(pa.table(columns), path)  # NaN stays NaN (not a null)

        def from_file():
            source = oneuron.data.parquet(path, target="label", weight=None if weights is None else "w")
            return model().fit(source)

        file_coef, file_error = _outcome(from_file)
    assert memory_error == file_error, (memory_error, file_error)
    if memory_error is None:
        np.testing.assert_allclose(file_coef, memory_coef, rtol=1e-7, atol=1e-9)


@settings(max_examples=60)
@given(datasets())
def test_file_and_memory_fits_agree(data):
    _check(*data)


@pytest.mark.slow
@settings(max_examples=2000)
@given(datasets())
def test_file_and_memory_fits_agree_many(data):
    _check(*data)
