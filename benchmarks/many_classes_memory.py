"""Peak memory of a fit where every row is its own class (a huge number of classes).

oneuron shrinks its row blocks so that the (rows x classes) softmax temporaries stay about 4 MB; the
parameters (classes x features) and the solver's state are what remains. scikit-learn is timed and measured
in the same run on the same data, at the same number of L-BFGS iterations.

    python benchmarks/many_classes_memory.py            # n = K = 2,000 and 4,000
    python benchmarks/many_classes_memory.py --quick    # n = K = 1,000
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
from sklearn import linear_model

from oneuron import LogisticRegression


def measure(make_model, X, y):
    tracemalloc.start()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter; "could be a regression problem"
        make_model().fit(X, y)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, seconds


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size, for validation")
    parser.add_argument("--features", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = [1000] if args.quick else [2000, 4000]
    print(f"every row its own class, {args.features} features, {args.iterations} L-BFGS iterations")
    print(f"{'n = K':>7} {'oneuron MiB':>12} {'sklearn MiB':>12} {'ratio':>6} {'oneuron s':>10} {'sklearn s':>10}")
    for n in sizes:
        X = np.random.default_rng(0).standard_normal((n, args.features))
        y = np.arange(n)
        ours = measure(lambda: LogisticRegression(solver="lbfgs", max_iter=args.iterations), X, y)
        theirs = measure(lambda: linear_model.LogisticRegression(solver="lbfgs", max_iter=args.iterations), X, y)
        ratio = theirs[0] / ours[0]
        print(f"{n:>7} {ours[0]:>12.1f} {theirs[0]:>12.1f} {ratio:>6.1f} {ours[1]:>10.2f} {theirs[1]:>10.2f}")


if __name__ == "__main__":
    main()
