"""Evaluating a block function over many blocks on a pool of threads, in a fixed order.

Threads (not processes) because the blocks are views of one array in memory and the compiled kernels
release the GIL. While blocks run in parallel, BLAS is held to one thread (threadpoolctl) so that the
NumPy fallback does not start ``n_jobs x cores`` threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

#: blocks handed to a thread at a time, per thread: several per thread so a slow core does not stall a pass.
CHUNKS_PER_THREAD = 4


def cpu_count() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def resolve_n_jobs(n_jobs: int | None) -> int:
    """``n_jobs`` as scikit-learn reads it: None or -1 all cores, -2 all but one, a positive int itself."""
    if n_jobs is None:
        return cpu_count()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer or None (all cores), got n_jobs={n_jobs!r}.")
    return n_jobs if n_jobs > 0 else max(1, cpu_count() + 1 + n_jobs)


#: the most threads the shared pool ever holds, whatever ``n_jobs`` asks (more would only oversubscribe)
MAX_THREADS = max(32, 4 * cpu_count())

_POOL: dict = {"pid": None, "size": 0, "pool": None}
_POOL_LOCK = threading.Lock()


def _pool(n_threads: int) -> ThreadPoolExecutor:
    """The one pool of this process, with room for at least ``min(n_threads, MAX_THREADS)`` threads.

    One pool is shared by every ``n_jobs``: a call uses at most ``n_threads - 1`` of them besides its own
    thread (see :func:`map_blocks`), so fits with many different ``n_jobs`` do not each leave a pool of idle threads
    behind. The pool is replaced by a larger one only when a call needs more threads than it has (the old
    one's threads end once idle), and anew in a forked child, which inherits the pool object but not its
    threads.
    """
    want = min(n_threads, MAX_THREADS)
    with _POOL_LOCK:
        if _POOL["pid"] != os.getpid() or _POOL["size"] < want:
            old = _POOL["pool"] if _POOL["pid"] == os.getpid() else None
            _POOL.update(pid=os.getpid(), size=want, pool=ThreadPoolExecutor(want, thread_name_prefix="oneuron"))
            if old is not None:
                old.shutdown(wait=False)
        return _POOL["pool"]


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def blas_single_thread():
    """Context manager holding BLAS to one thread: blocks are small (a few MB) and run on our own threads,
    where BLAS's threads only add synchronization (on a busy 2-core machine, 6x slower fits of small data)."""
    return _controller().limit(limits=1, user_api="blas")


def map_blocks(block_fn: Callable, blocks: Sequence[tuple], args: tuple, n_jobs: int) -> list:
    """``[block_fn(*block, *args) for block in blocks]``, computed on up to ``n_jobs`` threads.

    The list is in block order whatever the number of threads, so a sum over it does not depend on
    ``n_jobs``.
    """
    n_threads = min(n_jobs, len(blocks), MAX_THREADS)
    if n_threads <= 1:
        return [block_fn(*block, *args) for block in blocks]

    errstate = np.geterr()  # numpy's error state is per thread: the caller's (e.g. over="raise") applies here too
    n_chunks = min(len(blocks), CHUNKS_PER_THREAD * n_threads)
    bounds = [len(blocks) * i // n_chunks for i in range(n_chunks + 1)]
    chunks = [blocks[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    results: list = [None] * n_chunks
    next_chunk = iter(range(n_chunks))
    lock = threading.Lock()

    def worker():
        # the caller and n_threads - 1 threads of the shared pool take the chunks in turn
        with np.errstate(**errstate):
            while True:
                with lock:
                    i = next(next_chunk, None)
                if i is None:
                    return
                results[i] = [block_fn(*block, *args) for block in chunks[i]]

    with blas_single_thread():
        # the calling thread takes chunks too: it starts at once, where a pool thread first has to wake (on a
        # virtual machine an idle core may take longer to wake than a small block takes to compute)
        pool = _pool(n_threads - 1)
        futures = [pool.submit(worker) for _ in range(n_threads - 1)]
        try:
            worker()
        finally:
            for f in futures:
                f.exception()  # wait for every worker before anything is raised or returned
        for f in futures:
            f.result()
    return [r for part in results for r in part]


#: arrays smaller than this (elements) are summed on the calling thread: threads would cost more than they save
MIN_PARALLEL_SUM = 1 << 20


def finite_sum(a: np.ndarray, n_jobs: int) -> bool:
    """Whether the sum of the float array ``a`` is finite (so is every entry then), on up to ``n_jobs`` threads.

    scikit-learn's first test of a float array for NaN and infinity, ``isfinite(sum(X))``, is one read of X on
    one thread; the same sum by chunks of rows on every core reads X as fast as the fit's passes do. (A sum
    may overflow where no entry is infinite: False then only says to look entry by entry.)
    """
    flat = a.ravel(order="K") if (a.flags.c_contiguous or a.flags.f_contiguous) else None  # a view
    if flat is None or flat.size < MIN_PARALLEL_SUM or n_jobs <= 1:
        with np.errstate(over="ignore", invalid="ignore"):
            return bool(np.isfinite(np.sum(a)))
    blocks = [(part,) for part in np.array_split(flat, CHUNKS_PER_THREAD * n_jobs)]  # views
    with np.errstate(over="ignore", invalid="ignore"):
        sums = map_blocks(np.sum, blocks, (), n_jobs)
        return bool(np.isfinite(np.sum(sums)))
