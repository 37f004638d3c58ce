"""The one timer every benchmark uses: the fastest of a few calls."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def best_time(fn: Callable[[], Any], repeats: int = 1) -> tuple[float, Any]:
    """``(seconds, result)``: the smallest wall time of ``repeats`` calls of ``fn`` and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        gc.collect()  # no collection of an earlier call's garbage inside the timed region
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result
