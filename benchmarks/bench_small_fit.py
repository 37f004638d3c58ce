"""What does a small default fit cost, and how much of it is the statistics ``summary()`` needs?

The lesson's digits ("is it a 2?", 1,000 x 64): CPU time of default fits with ``statistics="auto"`` (kept at
fit) and ``statistics=False``, ``n_jobs=1``, best and median of ``--repeats`` fits, in one run.

    python benchmarks/bench_small_fit.py
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits

from oneuron import LogisticRegression


def cpu_times(X, y, repeats: int, **params) -> np.ndarray:
    LogisticRegression(n_jobs=1, **params).fit(X, y)  # warm-up: imports, compiled kernels
    times = []
    for _ in range(repeats):
        start = time.process_time()
        LogisticRegression(n_jobs=1, **params).fit(X, y)
        times.append(time.process_time() - start)
    return np.array(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="10 repeats")
    args = parser.parse_args()
    repeats = 10 if args.quick else args.repeats
    digits = load_digits()
    X, y = digits.data[:-797], (digits.target[:-797] == 2).astype(int)
    warnings.simplefilter("ignore")
    for label, params in (("statistics='auto'", {}), ("statistics=False", {"statistics": False})):
        t = cpu_times(X, y, repeats, **params) * 1e3
        print(f"{label:<20} CPU time best {t.min():.2f} ms, median {np.median(t):.2f} ms ({repeats} fits)")


if __name__ == "__main__":
    main()
