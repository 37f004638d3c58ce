"""Is oneuron faster than scikit-learn, in the same run, on the same data, to the same tolerance?

Cases (data made here, no downloads):
  1. dense binary 1,000,000 x 100, float64 and float32
  2. dense multinomial 200,000 x 50, 10 classes
  3. sparse CSR 200,000 x 20,000 at 0.5% density (text-like column frequencies), binary
  4. the lesson's experiment (digits, "is it a 2?")
plus one loss+gradient evaluation against numpy's ``X @ w`` followed by ``X.T @ r``, and the peak memory
(RSS) of a fit on 1,000,000 x 100 float32 against the size of X.

Every fit uses C=1 and the same ``tol`` in both libraries; the final objective of each fit is evaluated by
one yardstick (oneuron's float64-accumulated objective on the same X) and printed with its relative gap to
the best of the case. Times are the best of ``--repeats`` fits, after one warm-up fit on a small slice.

    python benchmarks/bench_speed.py            # full sizes (a few minutes, ~3 GB of memory)
    python benchmarks/bench_speed.py --quick    # 1/10 of the rows: checks that everything runs
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn import linear_model
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

import oneuron
from _timing import best_time
from oneuron._objective import Objective
from oneuron._penalty import Penalty
from oneuron.data import MemorySource


# ---------------------------------------------------------------------------------------------- data
def dense_binary(n, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32).astype(dtype, copy=False)
    w = rng.normal(size=d).astype(dtype) * (2 / np.sqrt(d))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w)))).astype(np.int64)
    return X, y


def dense_multinomial(n, d, k, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.normal(size=(k, d)) * (2 / np.sqrt(d))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, k)), axis=1)
    return X, y


def sparse_text(n, d, density, seed=2):
    """Rows with ``density * d`` entries, columns drawn with a heavy head (like word frequencies)."""
    rng = np.random.default_rng(seed)
    k = max(1, int(round(density * d)))
    cols = np.sort((d * rng.random((n, k)) ** 3).astype(np.int32), axis=1)
    data = rng.exponential(size=n * k)
    X = sp.csr_matrix((data, cols.ravel(), np.arange(0, n * k + 1, k)), shape=(n, d))
    X.sum_duplicates()
    X.data = np.log1p(X.data)  # tf-idf-like scale
    w = rng.normal(size=d) * (3 / np.sqrt(k))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w - (X @ w).mean())))).astype(np.int64)
    return X, y


def digits_two():
    digits = load_digits()
    X, y = digits.data, (digits.target == 2).astype(int)
    return X[:-797], y[:-797]


# ------------------------------------------------------------------------------------------ helpers
def objective_value(X, y, model, C=1.0) -> float:
    """oneuron's objective (float64 sums) at a fitted model's coefficients: one yardstick for all."""
    classes, y_enc = np.unique(y, return_inverse=True)
    k = len(classes)
    y_src = y_enc.astype(X.dtype) if k == 2 else y_enc.astype(np.int32)
    source = MemorySource(X, y_src, np.ones(len(y), dtype=X.dtype))
    obj = Objective(source, k, Penalty.from_params("l2", C, source.total_weight), True)
    b = float(model.intercept_[0]) if k == 2 else model.intercept_
    return obj.loss(obj.join(np.asarray(model.coef_, dtype=np.float64), b))


def best_fit_time(make_model, X, y, repeats):
    best, model = np.inf, None
    for _ in range(repeats):
        model = make_model()
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        best = min(best, time.perf_counter() - t)
    return best, model


#: contenders left out (``--exclude``): substrings of their names
EXCLUDE: list[str] = []


def run_case(title, X, y, contenders, repeats, goal=None):
    """Fit every contender, print times, ratios to scikit-learn's fastest, and final objectives."""
    print(f"\n## {title}: X {X.shape} {X.dtype}{' CSR' if sp.issparse(X) else ''}", flush=True)
    n_warm = min(X.shape[0], 2000)
    rows = []
    for name, make in contenders:
        if any(part and part in name for part in EXCLUDE):
            continue
        best_fit_time(make, X[:n_warm], y[:n_warm], 1)  # warm-up: imports, numba's compiled-kernel cache
        t, model = best_fit_time(make, X, y, repeats)
        extra = getattr(model, "solver_", "") or ""
        rows.append((name, t, objective_value(X, y, model), int(np.max(model.n_iter_)), extra))
    sk_best = min(t for name, t, *_ in rows if name.startswith("sklearn"))
    f_best = min(f for _, _, f, *_ in rows)
    print(f"{'contender':34s} {'time s':>8s} {'/sk best':>9s} {'iters':>6s} {'objective':>20s} {'rel gap':>9s}")
    for name, t, f, it, extra in rows:
        label = f"{name} ({extra})" if extra else name
        gap = (f - f_best) / abs(f_best)
        print(f"{label:34s} {t:8.3f} {t / sk_best:9.3f} {it:6d} {f:20.14f} {gap:9.1e}")
    if goal:
        ours = dict((r[0], r[1]) for r in rows)["oneuron default"]
        print(f"goal: oneuron default <= {goal} x sklearn fastest -> {ours / sk_best:.3f}")
    return dict((r[0], r[1]) for r in rows)


def ours(**kw):
    return lambda: oneuron.LogisticRegression(**kw)


def sk(**kw):
    return lambda: linear_model.LogisticRegression(**kw)


# -------------------------------------------------------------------------- one evaluation vs X@w, X.T@r
def evaluation_vs_matvec(X, y, repeats=7):
    source = MemorySource(X, y.astype(X.dtype), np.ones(len(y), dtype=X.dtype))
    obj = Objective(source, 2, Penalty.from_params("l2", 1.0, source.total_weight), True)
    theta = np.random.default_rng(0).normal(size=obj.n_params) * 0.1
    w = theta[:-1].astype(X.dtype)
    obj.loss_gradient(theta)  # warm-up

    # a new point every time: the objective remembers its last result, which would make a repeat free
    points = iter([theta + 1e-9 * k for k in range(1, repeats + 1)])
    t_ours = best_time(lambda: obj.loss_gradient(next(points)), repeats)[0]
    t_np = best_time(lambda: X.T @ (X @ w), repeats)[0]
    t_one = best_time(lambda: X @ w, repeats)[0]  # one read of X by BLAS: about the memory-bandwidth floor of a pass
    print(
        f"one loss+gradient {X.shape} {X.dtype}: oneuron {t_ours * 1e3:.1f} ms, numpy X@w + X.T@r "
        f"{t_np * 1e3:.1f} ms, ratio {t_ours / t_np:.3f} (goal <= 0.75); numpy X@w alone {t_one * 1e3:.1f} ms "
        f"({X.nbytes / t_one / 1e9:.1f} GB/s)"
    )


# --------------------------------------------------------------------------------------- peak memory
def _status_mb(key: str) -> float:
    """A memory line of /proc/self/status (Linux), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(key)


def rss_child(n, d, library):
    """Run in a fresh process: RSS after imports, size of X, RSS before the fit, peak RSS during the fit (MB)."""
    model = oneuron.LogisticRegression() if library == "oneuron" else linear_model.LogisticRegression()
    model.fit(*dense_binary(1000, d, np.float32))  # warm-up: compiled kernels loaded, thread pools started
    base = _status_mb("VmRSS")
    X, y = dense_binary(n, d, np.float32)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak (VmHWM) to the current RSS: data generation's temporaries do not count
    before = _status_mb("VmRSS")
    model.fit(X, y)
    peak = _status_mb("VmHWM")
    print(json.dumps({"base": base, "x_mb": X.nbytes / 2**20, "before": before, "peak": peak}))


def peak_memory(n, d):
    for library in ("oneuron", "sklearn"):
        out = subprocess.run(
            [sys.executable, __file__, "--rss-child", str(n), str(d), library],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        fit = r["peak"] - r["base"]
        print(
            f"peak RSS {library} fit {n} x {d} float32: X {r['x_mb']:.0f} MB; RSS after imports {r['base']:.0f} MB, "
            f"before the fit {r['before']:.0f} MB, peak during the fit {r['peak']:.0f} MB; peak above the imports "
            f"{fit:.0f} MB = {fit / r['x_mb']:.2f} x X (goal <= 1.2 x X + 100 MB = {1.2 * r['x_mb'] + 100:.0f} MB), "
            f"added by the fit {r['peak'] - r['before']:.0f} MB"
        )


# ---------------------------------------------------------------------------------------------- main
def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1/10 of the rows, one repeat")
    parser.add_argument("--repeats", type=int, default=None, help="fits per contender (best is kept)")
    parser.add_argument("--tol", type=float, default=1e-6, help="tolerance given to both libraries")
    parser.add_argument("--cases", default="1,2,3,4,eval,rss", help="comma-separated subset to run")
    parser.add_argument("--exclude", default="", help="comma-separated substrings of contenders to leave out")
    parser.add_argument("--rss-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(int(args.rss_child[0]), int(args.rss_child[1]), args.rss_child[2])
        return
    EXCLUDE.extend(args.exclude.split(","))
    scale = 10 if args.quick else 1
    repeats = args.repeats or (1 if args.quick else 3)
    cases = set(args.cases.split(","))
    tol = args.tol
    print(f"oneuron {oneuron.__version__}, {os.cpu_count()} cores, tol={tol}, quick={args.quick}")

    if "1" in cases:
        times = {}
        for dtype in (np.float64, np.float32):
            X, y = dense_binary(1_000_000 // scale, 100, dtype)
            times[dtype] = run_case(
                "1. dense binary",
                X,
                y,
                [
                    ("sklearn lbfgs", sk(solver="lbfgs", tol=tol, max_iter=1000)),
                    ("sklearn newton-cholesky", sk(solver="newton-cholesky", tol=tol, max_iter=1000)),
                    ("oneuron default", ours(tol=tol)),
                    ("oneuron lbfgs", ours(solver="lbfgs", tol=tol)),
                    ("oneuron newton", ours(solver="newton", tol=tol)),
                ],
                repeats,
                goal=0.4,
            )
            del X, y
        r = times[np.float32]["oneuron default"] / times[np.float64]["oneuron default"]
        print(f"goal: oneuron float32 <= 0.6 x oneuron float64 -> {r:.3f}")
    if "2" in cases:
        X, y = dense_multinomial(200_000 // scale, 50, 10)
        run_case(
            "2. dense multinomial, 10 classes",
            X,
            y,
            [
                ("sklearn lbfgs", sk(solver="lbfgs", tol=tol, max_iter=1000)),
                ("oneuron default", ours(tol=tol)),
                ("oneuron lbfgs", ours(solver="lbfgs", tol=tol)),
                ("oneuron newton", ours(solver="newton", tol=tol)),
            ],
            repeats,
            goal=0.4,
        )
    if "3" in cases:
        X, y = sparse_text(200_000 // scale, 20_000, 0.005)
        run_case(
            "3. sparse binary, 0.5% density",
            X,
            y,
            [
                ("sklearn lbfgs", sk(solver="lbfgs", tol=tol, max_iter=1000)),
                ("sklearn newton-cg", sk(solver="newton-cg", tol=tol, max_iter=1000)),
                ("oneuron default", ours(tol=tol)),
                ("oneuron newton", ours(solver="newton", tol=tol)),
            ],
            repeats,
            goal=0.5,
        )
    if "4" in cases:
        X, y = digits_two()
        run_case(
            "4. the lesson's experiment (digits, is it a 2?), defaults",
            X,
            y,
            [("sklearn default", sk()), ("sklearn max_iter=10000", sk(max_iter=10_000)), ("oneuron default", ours())],
            max(repeats, 20),
            goal=0.5,
        )
    if "eval" in cases:
        print("\n## one evaluation against two numpy matrix-vector products")
        for dtype in (np.float64, np.float32):
            X, y = dense_binary(1_000_000 // scale, 100, dtype)
            evaluation_vs_matvec(X, y)
            del X, y
    if "rss" in cases:
        print("\n## peak memory")
        peak_memory(1_000_000 // scale, 100)


if __name__ == "__main__":
    main()
