"""The fingerprint that tells whether a sparse X changed between two fits."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from oneuron import _kernels as kernels
from oneuron.data._memory import csr_fingerprint

needs_numba = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed: no fingerprint")


def text_like(n=1200, d=150, per_row=12, n_classes=2, seed=0, dtype=np.float64):
    """Sparse non-negative rows with Zipf-like column frequencies, and labels from a sparse model."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, d + 1) ** 1.1
    cols = rng.choice(d, size=(n, per_row), p=p / p.sum())
    X = sp.csr_matrix((rng.random(n * per_row) + 0.5, (np.repeat(np.arange(n), per_row), cols.ravel())), (n, d))
    X.sum_duplicates()
    W = np.where(rng.random((n_classes, d)) < 0.1, rng.normal(scale=3.0, size=(n_classes, d)), 0.0)
    Z = X @ W.T + rng.gumbel(size=(n, n_classes))
    y = Z.argmax(axis=1) if n_classes > 2 else (Z[:, 0] > np.median(Z[:, 0])).astype(int)
    return X.astype(dtype), y


# -- the fingerprint ------------------------------------------------------------------------------------------
def _one_ulp(Y):
    Y.data[7] = np.nextafter(Y.data[7], np.inf)


def _other_column(Y):
    Y.indices[5] = (Y.indices[5] + 1) % Y.shape[1]


def _swap_two_entries_of_a_row(Y):
    Y.indices[[0, 1]] = Y.indices[[1, 0]]
    Y.data[[0, 1]] = Y.data[[1, 0]]


def _entry_to_the_next_row(Y):
    Y.indptr[1] -= 1


def _zero_to_minus_zero(Y):
    Y.data[3] = -0.0


@needs_numba
def test_fingerprint_sees_every_edit_of_the_csr_arrays():
    X, _ = text_like()
    X.data[3] = 0.0  # an explicit zero
    before = csr_fingerprint(X)
    assert csr_fingerprint(X.copy()) == before  # content, not identity
    for edit in (_one_ulp, _other_column, _swap_two_entries_of_a_row, _entry_to_the_next_row, _zero_to_minus_zero):
        Y = X.copy()
        edit(Y)
        assert csr_fingerprint(Y) != before, edit.__name__
    wider = sp.csr_matrix((X.data, X.indices, X.indptr), shape=(X.shape[0], X.shape[1] + 1))
    assert csr_fingerprint(wider) != before
    assert csr_fingerprint(X.astype(np.float32)) != before
    assert csr_fingerprint(X.astype(np.float32)) == csr_fingerprint(X.astype(np.float32))


def test_fingerprint_is_none_for_dense_or_csc_data_and_without_numba(monkeypatch):
    X, _ = text_like()
    assert csr_fingerprint(X.toarray()) is None
    assert csr_fingerprint(X.tocsc()) is None
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    assert csr_fingerprint(X) is None
