"""One pass against the memory-bandwidth floor: a loss-and-gradient evaluation over X / one ``X.sum()``.

``X.sum()`` reads X once (numpy, one thread): it is the floor of anything that reads every entry. One
evaluation (``Objective.evaluate``: loss and gradient, all cores, the compiled kernels) is timed on the same
array, interleaved with ``X.sum()`` (best of ``--repeats`` each), for float64 and float32, the binary head and
the softmax head (``--classes``), and the Hessian-vector product with kept curvature/probabilities.

    python benchmarks/bench_floor.py              # 1,000,000 x 100
    python benchmarks/bench_floor.py --quick      # 100,000 x 100
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np

from oneuron._objective import Objective
from oneuron._penalty import Penalty
from oneuron.data import MemorySource


def interleaved(fns: dict, repeats: int) -> dict:
    """Best time of each function, the functions called in turn ``repeats`` times (load hits them alike)."""
    best = dict.fromkeys(fns, np.inf)
    for _ in range(repeats):
        for name, fn in fns.items():
            gc.collect()
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def case(X, n_classes, repeats, rng):
    y = rng.integers(0, n_classes, len(X))
    y = y.astype(X.dtype) if n_classes == 2 else y.astype(np.int32)
    source = MemorySource(X, y, np.ones(len(X), dtype=X.dtype), n_classes=n_classes)
    obj = Objective(source, n_classes, Penalty.from_params("l2", 1.0, source.total_weight), True)
    theta = rng.normal(size=obj.n_params) * 0.1
    ev = obj.evaluate(theta, curvature=True)  # warm-up (compiled kernels), and kept state for the products
    v = rng.normal(size=obj.n_params)
    ev.hessp(v)
    points = iter(theta + 1e-9 * k for k in range(1, 10 * repeats))
    t = interleaved(
        {
            "sum": lambda: X.sum(),
            "pass": lambda: obj.evaluate(next(points)),
            "hessp": lambda: ev.hessp(v),
        },
        repeats,
    )
    head = "binary" if n_classes == 2 else f"softmax K={n_classes}"
    print(
        f"{head:14s} {X.dtype!s:8s} X.sum() {t['sum'] * 1e3:7.1f} ms | loss+gradient {t['pass'] * 1e3:7.1f} ms "
        f"= {t['pass'] / t['sum']:5.2f} x | Hessian product (kept state) {t['hessp'] * 1e3:7.1f} ms "
        f"= {t['hessp'] / t['sum']:5.2f} x",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 10])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    n = args.rows or (100_000 if args.quick else 1_000_000)
    rng = np.random.default_rng(0)
    print(f"one pass / X.sum(), {n:,} x {args.features}, best of {args.repeats} interleaved (goal: <= 1.3 x)")
    X64 = rng.standard_normal((n, args.features))
    for dtype in (np.float64, np.float32):
        X = X64 if dtype == np.float64 else X64.astype(np.float32)
        for k in args.classes:
            case(X, k, args.repeats, rng)
        del X


if __name__ == "__main__":
    main()
