"""Evaluating a block function over many blocks on a pool of threads, in a fixed order.

Threads (not processes) because the blocks are views of one array in memory and the compiled kernels
release the GIL. While blocks run in parallel, BLAS is held to one thread (threadpoolctl) so that the
NumPy fallback does not start ``n_jobs x cores`` threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache, lru_cache

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


@cache
def _pool_of(n_threads: int, pid: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="oneuron")


def _pool(n_threads: int) -> ThreadPoolExecutor:
    # one pool per process: a forked child inherits the parent's pool object but not its threads
    return _pool_of(n_threads, os.getpid())


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
    n_threads = min(n_jobs, len(blocks))
    if n_threads <= 1:
        return [block_fn(*block, *args) for block in blocks]

    errstate = np.geterr()  # numpy's error state is per thread: the caller's (e.g. over="raise") applies here too

    def run(chunk):
        with np.errstate(**errstate):
            return [block_fn(*block, *args) for block in chunk]

    n_chunks = min(len(blocks), CHUNKS_PER_THREAD * n_threads)
    bounds = [len(blocks) * i // n_chunks for i in range(n_chunks + 1)]
    chunks = [blocks[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    with blas_single_thread():
        parts = list(_pool(n_threads).map(run, chunks))
    return [r for part in parts for r in part]
