"""The command line on a big Parquet file: peak RSS of ``oneuron train`` and ``oneuron predict``, and the
start-up time of ``oneuron --help`` next to ``python -c pass``.

Generates a Parquet file (full size: 5,000,000 x 50 float64 features and an int8 label, about 2 GB,
uncompressed) in ``benchmarks/_data/`` and deletes it (and the predictions) at the end. Each command runs in
a fresh child process, so that its peak RSS is its own.

    python benchmarks/bench_cli.py            # >= 2 GB file (needs the disk space and minutes)
    python benchmarks/bench_cli.py --quick    # 200,000 x 20, to check that it works
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_parquet import generate

DATA = Path(__file__).resolve().parent / "_data"
#: runs a command and prints its peak RSS (the only child it waits for is the command)
PEAK = (
    "import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
    "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)"
)


def oneuron(*argv) -> list[str]:
    """The command as installed (``python -m oneuron._cli`` runs the same ``main``)."""
    return [sys.executable, "-m", "oneuron._cli", *map(str, argv)]


def peak_rss(command: list[str]) -> tuple[float, int]:
    """``(seconds, peak RSS in bytes)`` of a command; fails if it does."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    rc, rss = map(int, out.stdout.split()[-2:])
    if rc != 0:
        raise SystemExit(f"{' '.join(command)} exited with {rc}:\n{out.stderr}")
    return seconds, rss


def best_wall(command: list[str], repeats: int = 7) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small file: check that it works")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--features", type=int, default=None)
    parser.add_argument("--max-iter", type=int, default=15, help="solver iterations of the train run")
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    args = parser.parse_args(argv)
    n = args.rows or (200_000 if args.quick else 5_000_000)
    d = args.features or (20 if args.quick else 50)
    DATA.mkdir(exist_ok=True)
    path, model, predictions = DATA / "cli.parquet", DATA / "cli.oneuron", DATA / "cli_predictions.parquet"
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    try:
        start = time.perf_counter()
        generate(path, n, d, row_group=131_072)
        size = path.stat().st_size
        print(f"generated {path.name}: {n:,} rows x {d} features, {size / 2**30:.2f} GiB "
              f"in {time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip

        train = oneuron("train", path, "-t", "y", "-o", model, "--max-iter", args.max_iter, "--solver", "lbfgs")
        seconds, rss = peak_rss(train)
        print(f"oneuron train   : peak RSS {rss / 2**30:.3f} GiB, {seconds:.0f} s "
              f"(lbfgs, --max-iter {args.max_iter}, default --batch-rows)", flush=True)  # fmt: skip
        predict = oneuron("predict", model, path, "--proba", "-o", predictions)
        seconds, rss = peak_rss(predict)
        print(f"oneuron predict : peak RSS {rss / 2**30:.3f} GiB, {seconds:.0f} s "
              f"(--proba, Parquet output of {predictions.stat().st_size / 2**20:.0f} MiB)", flush=True)  # fmt: skip
    finally:
        if not args.keep:
            for p in (path, model, predictions):
                p.unlink(missing_ok=True)
            if DATA.exists() and not any(DATA.iterdir()):
                shutil.rmtree(DATA)

    helps = best_wall(oneuron("--help"))
    version = best_wall(oneuron("--version"))
    bare = best_wall([sys.executable, "-c", "pass"])
    print(f"oneuron --help  : {helps * 1e3:.0f} ms; --version {version * 1e3:.0f} ms; "
          f"python -c pass {bare * 1e3:.0f} ms (best of 7)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
