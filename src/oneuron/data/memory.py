"""In-memory data (dense ndarray, memmap, scipy.sparse CSR) cut into row blocks without copying."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import scipy.sparse as sp

#: rows per block: 8,192 rows x 100 float64 features is 6.5 MB, about an L2/L3 cache's worth.
DEFAULT_BLOCK_BYTES = 4 * 2**20


class Source(Protocol):
    """What the objective needs from data: sizes, and a sum of a function over row blocks.

    ``y`` holds encoded labels (0..K-1, as float for the binary head) and ``sample_weight`` the weights.
    """

    n_samples: int
    n_features: int
    dtype: np.dtype
    total_weight: float

    def reduce(self, block_fn: Callable, *args) -> list:
        """Return ``sum over blocks of block_fn(X_b, y_b, s_b, *args)`` (a list, summed elementwise)."""
        ...


def add_into(acc: list | None, part) -> list:
    """Accumulate a tuple of floats/arrays into float64 sums (float32 blocks are summed in float64)."""
    if acc is None:
        return [np.asarray(v, dtype=np.float64).copy() for v in part]
    for a, v in zip(acc, part, strict=True):
        a += v
    return acc


class MemorySource:
    """Row blocks of an in-memory matrix, as views (dense) or row slices (CSR).

    Parameters
    ----------
    X : ndarray, memmap or scipy.sparse CSR matrix, shape (n, d)
    y : ndarray (n,)
        Encoded labels.
    sample_weight : ndarray (n,)
    block_rows : int, optional
        Rows per block; by default sized to about 4 MB of X.
    """

    def __init__(self, X, y: np.ndarray, sample_weight: np.ndarray, block_rows: int | None = None):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        self.total_weight = float(np.sum(sample_weight, dtype=np.float64))
        if block_rows is None:
            row_bytes = X.dtype.itemsize * max(1, X.nnz / max(self.n_samples, 1) if sp.issparse(X) else self.n_features)
            block_rows = int(max(256, DEFAULT_BLOCK_BYTES // row_bytes))
        self.block_rows = int(block_rows)

    def blocks(self):
        """Yield ``(X_b, y_b, s_b)`` for consecutive row ranges."""
        for start in range(0, self.n_samples, self.block_rows):
            stop = min(start + self.block_rows, self.n_samples)
            yield self.X[start:stop], self.y[start:stop], self.sample_weight[start:stop]

    def reduce(self, block_fn: Callable, *args) -> list:
        """Sum ``block_fn(X_b, y_b, s_b, *args)`` over all blocks, in float64."""
        acc = None
        for X_b, y_b, s_b in self.blocks():
            acc = add_into(acc, block_fn(X_b, y_b, s_b, *args))
        return acc
