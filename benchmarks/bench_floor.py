"""Passes and fits against the memory-bandwidth floor, one ``X.sum()`` (numpy, one read of X, one thread).

1. One evaluation (``Objective.evaluate``: loss and gradient, all cores, the compiled kernels) and one
   Hessian-vector product with kept curvature/probabilities, over ``X.sum()`` on the same array, for float64
   and float32, the binary head and the softmax head (``--classes``). Also over the same read on all cores
   (``X`` summed in row chunks by one thread per core: the floor for a pass that uses them all).
2. A default ``LogisticRegression().fit`` (binary, labels from a logistic model) over ``X.sum()``, at tol=1e-4
   and tol=1e-8, float64 and float32, with its passes over all rows, and float32 fit / float64 fit.

Every time is the best of ``--repeats``, the contenders called in turn (a load on the machine hits them alike).
With ``--before FILE`` (another version's ``_kernels.py``, e.g. from a worktree of main) the passes also run on
that file's kernels, called in turn with these, so that the before/after ratios come from the same run.

    python benchmarks/bench_floor.py              # 1,000,000 x 100
    python benchmarks/bench_floor.py --quick      # 100,000 x 100
    python benchmarks/bench_floor.py --parts pass --before ../main/src/oneuron/_kernels.py
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import oneuron._objective
from oneuron import LogisticRegression
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


def load_kernels(path):
    """The kernels module of another version (its ``_kernels.py``), loaded under another name from a copy in a
    fresh directory: numba's cache of the copy is its own (compiled anew each run), never that of the file."""
    copy = Path(tempfile.mkdtemp(prefix="kernels_before_")) / "kernels_before.py"
    shutil.copyfile(path, copy)
    spec = importlib.util.spec_from_file_location("kernels_before", copy)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def kernels_of(module):
    """The objective's block functions call ``module``'s kernels meanwhile (None: this version's)."""
    mine = oneuron._objective.kernels
    oneuron._objective.kernels = module or mine
    try:
        yield
    finally:
        oneuron._objective.kernels = mine


def read_on_all_cores(X, pool):
    """``X.sum()`` in row chunks, one thread per core (numpy releases the GIL in the sums)."""
    edges = np.linspace(0, len(X), 8 * pool._max_workers + 1).astype(int)
    return sum(pool.map(lambda i: X[edges[i] : edges[i + 1]].sum(), range(len(edges) - 1)))


def case(X, n_classes, repeats, rng, pool, before=None):
    y = rng.integers(0, n_classes, len(X))
    y = y.astype(X.dtype) if n_classes == 2 else y.astype(np.int32)
    source = MemorySource(X, y, np.ones(len(X), dtype=X.dtype), n_classes=n_classes)
    obj = Objective(source, n_classes, Penalty.from_params("l2", 1.0, source.total_weight), True)
    theta = rng.normal(size=obj.n_params) * 0.1
    v = rng.normal(size=obj.n_params)
    points = iter(theta + 1e-9 * k for k in range(1, 30 * repeats))
    fns = {"sum": lambda: X.sum(), "read": lambda: read_on_all_cores(X, pool)}
    for label, module in [("", None)] + ([(" before", before)] if before is not None else []):
        with kernels_of(module):  # warm-up (compiled kernels), and kept state for the products
            ev = obj.evaluate(theta, curvature=True)
            ev.hessp(v)

        def run_pass(module=module):
            with kernels_of(module):
                obj.evaluate(next(points))

        def run_hessp(module=module, ev=ev):
            with kernels_of(module):
                ev.hessp(v)

        fns["pass" + label], fns["hessp" + label] = run_pass, run_hessp
    t = interleaved(fns, repeats)
    head = "binary" if n_classes == 2 else f"softmax K={n_classes}"
    for label in [""] + ([" before"] if before is not None else []):
        p, h = t["pass" + label], t["hessp" + label]
        print(
            f"{head:14s} {X.dtype!s:8s} X.sum() {t['sum'] * 1e3:7.1f} ms | loss+gradient {p * 1e3:7.1f} ms "
            f"= {p / t['sum']:5.2f} x | Hessian product (kept state) {h * 1e3:7.1f} ms = {h / t['sum']:5.2f} x | "
            f"read on {pool._max_workers} cores {t['read'] * 1e3:7.1f} ms: pass {p / t['read']:5.2f} x, product "
            f"{h / t['read']:5.2f} x{label}",
            flush=True,
        )


def fits(X64, repeats, rng):
    n, d = X64.shape
    w = rng.normal(size=d) * (2 / np.sqrt(d))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X64 @ w)))).astype(np.int64)
    X32 = X64.astype(np.float32)
    for X in (X64[:2000], X32[:2000]):
        LogisticRegression().fit(X, y[:2000])  # warm-up: compiled kernels loaded
    models = {}

    def fit(X, tol):
        def run():
            models[X.dtype, tol] = LogisticRegression(tol=tol).fit(X, y)

        return run

    for tol in (1e-4, 1e-8):
        t = interleaved(
            {"sum64": lambda: X64.sum(), "fit64": fit(X64, tol), "sum32": lambda: X32.sum(), "fit32": fit(X32, tol)},
            repeats,
        )
        for dt, fs, ss in ((np.float64, "fit64", "sum64"), (np.float32, "fit32", "sum32")):
            m = models[np.dtype(dt), tol]
            print(
                f"fit tol={tol:g} {np.dtype(dt)!s:8s} {t[fs]:7.3f} s = {t[fs] / t[ss]:5.1f} x X.sum() "
                f"({t[ss] * 1e3:.1f} ms; goal <= {8 if tol == 1e-4 else 15}); {m.n_passes_} passes over all rows, "
                f"{m.n_iter_[0]} iterations, solver {m.solver_}",
                flush=True,
            )
        print(f"fit tol={tol:g} float32 / float64: {t['fit32'] / t['fit64']:.2f} (goal <= 0.6)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 10])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--fit-repeats", type=int, default=3)
    parser.add_argument("--parts", nargs="+", default=["pass", "fit"], choices=["pass", "fit"])
    parser.add_argument("--before", default=None, help="another version's _kernels.py, timed in turn with these")
    args = parser.parse_args()
    before = load_kernels(args.before) if args.before else None
    n = args.rows or (100_000 if args.quick else 1_000_000)
    rng = np.random.default_rng(0)
    X64 = rng.standard_normal((n, args.features))
    if "pass" in args.parts:
        print(f"one pass / X.sum(), {n:,} x {args.features}, best of {args.repeats} interleaved (goal: <= 1.3 x)")
        pool = ThreadPoolExecutor(os.cpu_count())
        for dtype in (np.float64, np.float32):
            X = X64 if dtype == np.float64 else X64.astype(np.float32)
            for k in args.classes:
                case(X, k, args.repeats, rng, pool, before)
            del X
        pool.shutdown()
    if "fit" in args.parts:
        print(f"\ndefault fit / X.sum(), binary {n:,} x {args.features}, best of {args.fit_repeats} interleaved")
        fits(X64, args.fit_repeats, rng)


if __name__ == "__main__":
    main()
