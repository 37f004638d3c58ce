"""The dense softmax kernels on one block, one thread: nanoseconds a row, against another version's kernels.

One block of ``--rows`` x ``--features`` (2,000 x 100 float64 is 1.6 MB: it stays in a 2 MB L2 cache, so the
figures are the kernels' arithmetic, not the memory), for K = ``--classes`` and float64/float32: the loss and
gradient pass keeping the probabilities (``multi_loss_grad``), the Hessian product given them
(``probs_hessp``) and the product without them (``multi_hessp``). Each is the best of ``--repeats`` calls,
the contenders called in turn; ``--before FILE`` (another version's ``_kernels.py``) adds that version's
kernels as contenders, checked to give the same sums.

    python benchmarks/bench_softmax_block.py --before ../main/src/oneuron/_kernels.py
    python benchmarks/bench_softmax_block.py --rows 200000   # from memory instead of L2
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench_floor import load_kernels
from oneuron import _kernels


def interleaved(fns: dict, repeats: int) -> dict:
    """As bench_floor's, without a garbage collection before each call (it would evict the block from L2)."""
    best = dict.fromkeys(fns, np.inf)
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def contenders(kern, X, y, s, W, b, V, vb, P):
    """The three kernels of one version on one block, as functions of nothing (P: its probabilities)."""
    return {
        "pass": lambda: kern.multi_loss_grad(X, y, s, W, b, probabilities=P),
        "probs_hessp": lambda: kern.probs_hessp(X, s, P, V, vb),
        "multi_hessp": lambda: kern.multi_hessp(X, s, W, b, V, vb),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--classes", type=int, nargs="+", default=[3, 10, 50])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--before", default=None, help="another version's _kernels.py, timed in turn with these")
    parser.add_argument("--quick", action="store_true", help="K = 3 and 10, 5 repeats (make bench's --quick)")
    args = parser.parse_args()
    if args.quick:
        args.classes, args.repeats = [3, 10], 5
    versions = {"now": _kernels}
    if args.before:
        versions["before"] = load_kernels(args.before)
    n, d = args.rows, args.features
    rng = np.random.default_rng(0)
    print(f"ns a row, one block of {n:,} x {d}, one thread, best of {args.repeats} in turn")
    for dtype in (np.float64, np.float32):
        X = rng.standard_normal((n, d)).astype(dtype)
        for K in args.classes:
            y = rng.integers(0, K, n).astype(np.int32)
            s = rng.uniform(0.5, 2.0, n)
            W, b = rng.normal(size=(K, d)) * 0.1, rng.normal(size=K) * 0.1
            V, vb = rng.normal(size=(K, d)), rng.normal(size=K)
            fns, sums = {"X.sum()": X.sum}, {}
            for name, kern in versions.items():
                P = np.empty((n, K))
                for part, fn in contenders(kern, X, y, s, W, b, V, vb, P).items():
                    result = fn()  # warm-up: compiled kernels, and P for the product
                    sums.setdefault(name, result)
                    fns[f"{name} {part}"] = fn
            if "before" in sums:
                assert np.isclose(sums["now"][0], sums["before"][0], rtol=1e-12)
                assert np.allclose(sums["now"][1], sums["before"][1], rtol=1e-9, atol=1e-9)
            t = interleaved(fns, args.repeats)
            cells = " | ".join(f"{name} {t[name] / n * 1e9:6.1f}" for name in fns)
            print(f"{np.dtype(dtype)!s:8s} K={K:<4d} {cells}", flush=True)


if __name__ == "__main__":
    main()
