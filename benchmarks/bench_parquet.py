"""Streamed Parquet: time per pass vs pyarrow's own read of the file, fit time, and peak RSS.

Generates a Parquet file (full size: 6,500,000 x 100 float64, about 5.2 GB) in ``benchmarks/_data/`` and
deletes it at the end. Each measurement runs in a fresh child process so that its peak RSS is its own.

    python benchmarks/bench_parquet.py            # >= 5 GB file (needs the disk space and minutes)
    python benchmarks/bench_parquet.py --quick    # 200,000 x 20, to check that it works
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "_data"


def generate(path: Path, n: int, d: int, row_group: int = 65_536) -> None:
    """Write ``n`` rows of ``d`` standard normal features and a logistic label, one row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    w = rng.normal(size=d) / np.sqrt(d)
    schema = pa.schema([(f"f{j}", pa.float64()) for j in range(d)] + [("y", pa.int8())])
    with pq.ParquetWriter(path, schema, compression="none") as writer:
        for start in range(0, n, row_group):
            m = min(row_group, n - start)
            X = rng.normal(size=(m, d))
            y = (X @ w + rng.logistic(size=m) > 0).astype(np.int8)
            writer.write_table(pa.table([*(X[:, j] for j in range(d)), y], schema=schema))


def peak_rss_mb() -> float:
    """This process' peak RSS: VmHWM on Linux (ru_maxrss would include the parent's, inherited at fork)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(task: str, path: str, batch_rows: int) -> dict:
    """One measurement, run in a fresh process."""
    if task == "pyarrow":  # pyarrow's own read of every column, batch by batch, to NumPy
        import pyarrow.parquet as pq

        t = time.perf_counter()
        with pq.ParquetFile(path) as f:
            for batch in f.iter_batches(batch_size=batch_rows):
                for col in batch.columns:
                    col.to_numpy()
        return {"seconds": time.perf_counter() - t, "rss_mb": peak_rss_mb()}
    import oneuron
    from oneuron._objective import Objective
    from oneuron._penalty import Penalty

    t = time.perf_counter()
    source = oneuron.data.parquet(path, target="y", batch_rows=batch_rows)
    scan = time.perf_counter() - t
    if task == "pass":  # one evaluation of loss and gradient
        obj = Objective(source, 2, Penalty.from_params("l2", 1.0, source.total_weight))
        t = time.perf_counter()
        obj.loss_gradient(np.zeros(obj.n_params))
        return {"seconds": time.perf_counter() - t, "scan": scan, "rss_mb": peak_rss_mb()}
    t = time.perf_counter()
    model = oneuron.LogisticRegression(solver=task).fit(source)
    return {
        "seconds": time.perf_counter() - t,
        "scan": scan,
        "passes": int(model.n_passes_),
        "rss_mb": peak_rss_mb(),
    }


def run_child(task: str, path: Path, batch_rows: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, str(path), "--batch-rows", str(batch_rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 x 20 (about 32 MB), to check the script")
    parser.add_argument("--n-samples", type=int, default=None)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument("--batch-rows", type=int, default=65_536)
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    parser.add_argument("--child", nargs=2, metavar=("TASK", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.batch_rows)))
        return
    d = 20 if args.quick else args.n_features
    n = args.n_samples or (200_000 if args.quick else 6_500_000)
    DATA.mkdir(exist_ok=True)
    path = DATA / f"bench_{n}x{d}.parquet"
    try:
        t = time.perf_counter()
        generate(path, n, d)
        size = os.path.getsize(path)
        print(f"file: {n:,} x {d} float64, {size / 1e9:.2f} GB, written in {time.perf_counter() - t:.1f} s")
        print(f"batch: {args.batch_rows:,} rows = {args.batch_rows * d * 8 / 1e6:.0f} MB of float64\n")
        arrow = run_child("pyarrow", path, args.batch_rows)
        one = run_child("pass", path, args.batch_rows)
        print(f"{'measurement':<34}{'time':>10}{'passes':>8}{'per pass':>10}{'/ pyarrow':>11}{'peak RSS':>11}")
        print(
            f"{'pyarrow read of the file':<34}{arrow['seconds']:>9.2f}s{1:>8}{arrow['seconds']:>9.2f}s"
            f"{1:>10.2f}x{arrow['rss_mb']:>8.0f} MB"
        )
        print(
            f"{'oneuron: one loss+gradient pass':<34}{one['seconds']:>9.2f}s{1:>8}{one['seconds']:>9.2f}s"
            f"{one['seconds'] / arrow['seconds']:>10.2f}x{one['rss_mb']:>8.0f} MB"
        )
        for solver in ("lbfgs", "newton"):
            fit = run_child(solver, path, args.batch_rows)
            per = fit["seconds"] / fit["passes"]
            print(
                f"{'oneuron fit, ' + solver:<34}{fit['seconds']:>9.2f}s{fit['passes']:>8}{per:>9.2f}s"
                f"{per / arrow['seconds']:>10.2f}x{fit['rss_mb']:>8.0f} MB"
            )
        print(
            f"\nfirst pass (rows, classes): {one['scan']:.2f} s. Goals: peak RSS <= 1 GB whatever the file size; "
            "time per pass <= 1.5x pyarrow's read."
        )
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)
            if DATA.exists() and not any(DATA.iterdir()):
                shutil.rmtree(DATA)


if __name__ == "__main__":
    main()
