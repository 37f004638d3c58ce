"""In-memory data (dense ndarray, memmap, scipy.sparse CSR) cut into row blocks without copying."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from oneuron import _kernels as kernels
from oneuron.data._parallel import map_blocks, resolve_n_jobs

#: rows per block: 8,192 rows x 100 float64 features is 6.5 MB, about an L2/L3 cache's worth.
DEFAULT_BLOCK_BYTES = 4 * 2**20


class Source:
    """What every data source provides to the objective: sizes, and sums of a function over row blocks.

    A block function is called as ``block_fn(X_b, y_b, s_b, *args)`` with ``y_b`` the encoded labels (0/1 as
    floats for the binary head, class indices for the softmax head) and ``s_b`` the sample weights (times
    the class weights); it returns a tuple of sums, which :meth:`reduce` adds up block by block in float64.

    Beyond that, a source may offer optional capabilities, which the objective asks for (never by reaching
    into a source's attributes):

    - :attr:`keeps_blocks` and :meth:`map`: per-block results kept in memory between passes (a Newton step's
      per-row curvature);
    - :meth:`sparse_columns`: the data by columns, for coordinate descent on sparse data;
    - :meth:`rows`: ``(X, y, s)`` in memory, for checks that need every row at once (separation's linear
      program).

    Attributes
    ----------
    n_samples, n_features : int
    dtype : numpy.dtype
        The dtype the blocks of X have (float32 or float64).
    total_weight : float
        Sum of the sample weights.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron.data import MemorySource, Source
    >>> src = MemorySource(np.ones((4, 2)), np.array([0.0, 1.0, 1.0, 0.0]), np.ones(4))
    >>> [float(v) for v in src.reduce(lambda X_b, y_b, s_b: (X_b.sum(), s_b @ y_b))]  # all a solver asks of data
    [8.0, 2.0]
    """

    n_samples: int
    n_features: int
    dtype: np.dtype
    total_weight: float
    #: whether :meth:`map` is available
    keeps_blocks: bool = False
    #: whether :meth:`sparse_columns` returns a matrix (known without making it)
    has_sparse_columns: bool = False

    @property
    def made_sparse_columns(self) -> bool:
        """Whether :meth:`sparse_columns` has made its matrix already (a call then costs nothing)."""
        return False

    def reduce(self, block_fn: Callable, *args) -> list:
        """Return ``sum over blocks of block_fn(X_b, y_b, s_b, *args)`` (a list, summed elementwise)."""
        raise NotImplementedError

    def map(self, block_fn: Callable, *args, state: list | None = None) -> list:
        """Per-block results of ``block_fn``, in block order (only where :attr:`keeps_blocks`)."""
        raise NotImplementedError(f"{type(self).__name__} does not keep per-block results in memory.")

    def sparse_columns(self):
        """X as a float64 CSC matrix when the source holds a sparse matrix in memory, else None."""
        return None

    def rows(self):
        """``(X, y, s)`` when the source holds them in memory, else None."""
        return None


def add_into(acc: list | None, part) -> list:
    """Accumulate a tuple of floats/arrays into float64 sums (float32 blocks are summed in float64)."""
    if acc is None:
        return [np.asarray(v, dtype=np.float64).copy() for v in part]
    for a, v in zip(acc, part, strict=True):
        a += v
    return acc


def csr_row_block(X, start: int, stop: int):
    """Rows ``start:stop`` of CSR matrix ``X`` sharing its ``data`` and ``indices`` (``X[start:stop]`` copies)."""
    a, b = X.indptr[start], X.indptr[stop]
    block = sp.csr_matrix((stop - start, X.shape[1]), dtype=X.dtype)
    # assign the arrays directly: the constructor would check (and possibly copy) them
    block.data, block.indices, block.indptr = X.data[a:b], X.indices[a:b], X.indptr[start : stop + 1] - a
    return block


class MemorySource(Source):
    """Row blocks of an in-memory matrix, as views (dense) or views of the CSR arrays (sparse).

    Blocks are evaluated on ``n_jobs`` threads (the compiled kernels release the GIL) and their sums are
    added in block order, so results are bit-identical for any ``n_jobs``.

    Parameters
    ----------
    X : ndarray, memmap or scipy.sparse CSR matrix, shape (n, d)
    y : ndarray (n,)
        Encoded labels.
    sample_weight : ndarray (n,)
    block_rows : int, optional
        Rows per block; by default about 4 MB of X, in blocks of equal size.
    n_jobs : int, optional
        Threads; None or -1 for all cores, -2 for all but one, and so on.
    n_classes : int, default=2
        With thousands of classes (every row its own class, say) blocks shrink to ``4 MB / (8 K)`` rows, so that
        the (rows x classes) softmax temporaries stay bounded.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron.data import MemorySource
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> src = MemorySource(X, np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0]), np.ones(6), block_rows=4)
    >>> src.n_samples, src.n_features, src.total_weight
    (6, 2, 6.0)
    >>> sums = src.reduce(lambda X_b, y_b, s_b: (X_b.sum(axis=0), float(len(y_b))))  # blocks of 4 and 2 rows
    >>> sums[0].tolist(), float(sums[1])
    ([30.0, 36.0], 6.0)
    """

    def __init__(
        self,
        X,
        y: np.ndarray,
        sample_weight: np.ndarray,
        block_rows: int | None = None,
        n_jobs: int | None = None,
        n_classes: int = 2,
    ):
        if sp.issparse(X) and X.format != "csr":
            raise ValueError(f"X must be a CSR matrix when sparse, got format {X.format!r}; convert with X.tocsr().")
        if isinstance(X, np.ndarray) and not (X.flags.c_contiguous or X.flags.f_contiguous):
            X = np.ascontiguousarray(X)  # a strided view: NumPy would copy each block at every pass instead
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        self.total_weight = float(np.sum(sample_weight, dtype=np.float64))
        if block_rows is None:
            row_bytes = X.dtype.itemsize * max(1, X.nnz / max(self.n_samples, 1) if sp.issparse(X) else self.n_features)
            block_rows = int(max(256, DEFAULT_BLOCK_BYTES // row_bytes))
            if n_classes > 2:  # the (rows x classes) softmax temporaries stay about one block, whatever K
                block_rows = int(min(block_rows, max(16, DEFAULT_BLOCK_BYTES // (8 * n_classes))))
            # blocks of equal size: 20,000 rows in blocks of 18,200 would leave one of two threads a tenth of a
            # pass (the count of blocks does not depend on n_jobs, so that sums stay bit-identical across it)
            n_blocks = -(-max(self.n_samples, 1) // block_rows)
            block_rows = -(-max(self.n_samples, 1) // n_blocks)
        self.block_rows = int(block_rows)
        self.n_jobs = resolve_n_jobs(n_jobs)
        starts = range(0, self.n_samples, self.block_rows)
        self._ranges = [(a, min(a + self.block_rows, self.n_samples)) for a in starts]
        self._blocks = None
        self._csc = None
        self.has_sparse_columns = sp.issparse(X)

    keeps_blocks = True

    def sparse_columns(self):
        """X as a float64 CSC matrix (a copy made at the first call, then kept) when X is sparse, else None."""
        if not sp.issparse(self.X):
            return None
        if self._csc is None:
            X = self.X if self.X.dtype == np.float64 else self.X.astype(np.float64)
            self._csc = X.tocsc()  # (csc_matrix(X, dtype=...) converts, then copies once more)
        return self._csc

    @property
    def made_sparse_columns(self) -> bool:
        return self._csc is not None

    def rows(self):
        return self.X, self.y, self.sample_weight

    def blocks(self):
        """Yield ``(X_b, y_b, s_b)`` for consecutive row ranges (views: nothing is copied)."""
        if self._blocks is None:  # built once: CSR block views cost a little to make
            X, y, s = self.X, self.y, self.sample_weight
            cut = (lambda a, b: csr_row_block(X, a, b)) if sp.issparse(X) else (lambda a, b: X[a:b])
            self._blocks = [(cut(a, b), y[a:b], s[a:b]) for a, b in self._ranges]
        return iter(self._blocks)

    def map(self, block_fn: Callable, *args, state: list | None = None) -> list:
        """``[block_fn(X_b, y_b, s_b, *args) for every block]`` in block order (per-block results, not summed).

        With ``state`` (one entry per block, e.g. an earlier :meth:`map`'s results) each call gets its block's
        entry after ``s_b``: ``block_fn(X_b, y_b, s_b, state_b, *args)``. In-memory sources only: this is how
        per-row quantities (a Newton step's curvature) are kept between passes.
        """
        blocks = list(self.blocks())
        if state is not None:
            blocks = [(*block, st) for block, st in zip(blocks, state, strict=True)]
        return map_blocks(block_fn, blocks, args, self.n_jobs)

    def reduce(self, block_fn: Callable, *args, state: list | None = None) -> list:
        """Sum ``block_fn(X_b, y_b, s_b, *args)`` over all blocks, in float64 and in block order."""
        acc = None
        for part in self.map(block_fn, *args, state=state):
            acc = add_into(acc, part)
        return acc


# ----------------------------------------------------------------------------------------------------------
# Fingerprints: whether a sparse matrix is still the one a fit was made on.
# ----------------------------------------------------------------------------------------------------------
#: splitmix64's finalizer (Steele, Lea and Flood 2014): a bijection of 64-bit integers that spreads every input
#: bit over the output
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
#: odd constants that key an entry by its position and column, and a row pointer by its row
_KEY1 = np.uint64(0x9E3779B97F4A7C15)
_KEY2 = np.uint64(0xC2B2AE3D27D4EB4F)
_KEY3 = np.uint64(0x165667B19E3779F9)
_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)


@kernels.jit_integer
def _mix(z):
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@kernels.jit_integer
def _csr_sum(bits, indices, indptr):
    """``sum_k mix(bits_k ^ (k K1 + indices_k K2)) + sum_i mix(indptr_i K1 + i K3 + K2)`` mod 2^64 (one scan,
    no indirect read: a corrupt ``indptr`` cannot make it read out of bounds)."""
    h = np.uint64(0)
    for k in range(bits.size):
        h += _mix(np.uint64(bits[k]) ^ (np.uint64(k) * _KEY1 + np.uint64(indices[k]) * _KEY2))
    for i in range(indptr.size):
        h += _mix(np.uint64(indptr[i]) * _KEY1 + np.uint64(i) * _KEY3 + _KEY2)
    return h


def csr_fingerprint(X) -> tuple | None:
    """A fingerprint of the CSR matrix ``X``: equal fingerprints mean, but for a 64-bit collision, equal
    matrices, entry for entry and in the same storage order. None without numba (or for anything but a CSR
    matrix of floats with as many indices as values).

    It is ``X``'s shape, dtypes and array lengths, and the sum modulo 2^64 of a 64-bit mix (splitmix64's
    finalizer) of each stored entry's position, column and value bits, and of each row pointer with its row:
    one read of ``X.data``, ``X.indices`` and ``X.indptr``, nothing copied. The mix is a bijection, so an edit of
    one stored value, column index or row pointer always changes the sum; any other edit leaves it as it was
    with a chance of about 2^-64 (unless crafted to). Storage order counts: the same entries stored in another
    order within a row (``X.sort_indices()`` on unsorted indices) are summed in another order by a pass, which
    may change a result's last bits.
    """
    if not (kernels.AVAILABLE and sp.issparse(X) and X.format == "csr"):
        return None
    data, indices, indptr = X.data, X.indices, X.indptr
    if data.dtype not in (np.float32, np.float64) or data.ndim != 1 or indices.shape != data.shape:
        return None
    bits = data.view(np.uint64 if data.dtype == np.float64 else np.uint32)
    head = (X.shape, data.dtype.str, indices.dtype.str, indptr.dtype.str, data.size, indptr.size)
    return (*head, int(_csr_sum(bits, indices, indptr)))
