"""LogisticRegressionCV (5 folds, 10 values of C, l2) on 200,000 x 100: oneuron vs scikit-learn.

Both use the same folds (``cv=5``: stratified 5-fold) and their default solvers and tolerance (1e-4);
the script prints both times, the ratio, the chosen C and the largest difference between the fold scores.

    python benchmarks/bench_cv.py            # 200,000 x 100
    python benchmarks/bench_cv.py --quick    # 20,000 x 100, to check that it runs
    python benchmarks/bench_cv.py --reference  # also: both sides' scores against tightly converged ones

At the default tol both sides stop where ``max |gradient| <= 1e-4``, so their scores differ at that level, and
where two Cs' summed scores are that close the chosen C can differ: ``--reference`` fits scikit-learn's
newton-cholesky at tol=1e-8 (not timed) and prints how far each side's scores are from it.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from threadpoolctl import threadpool_limits

from oneuron import LogisticRegressionCV


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows instead of 200,000")
    parser.add_argument("--reference", action="store_true", help="compare with a tol=1e-8 fit (untimed)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for both (default 1)")
    args = parser.parse_args(argv)
    threadpool_limits(args.threads)
    n = 20_000 if args.quick else 200_000
    X, y = make_classification(n_samples=n, n_features=100, n_informative=20, flip_y=0.05, random_state=0)
    print(f"LogisticRegressionCV, {n:,} x 100, cv=5, Cs=10, scoring=neg_log_loss")

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SkLogisticRegressionCV(
            Cs=10, cv=5, l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False
        ).fit(X, y)
    t_theirs = time.perf_counter() - start

    start = time.perf_counter()
    ours = LogisticRegressionCV(Cs=10, cv=5, l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False)
    ours.fit(X, y)
    t_ours = time.perf_counter() - start

    print(f"scikit-learn {t_theirs:8.2f} s   C_ = {theirs.C_:.4g}")
    print(f"oneuron      {t_ours:8.2f} s   C_ = {ours.C_:.4g}")
    print(f"max |score difference| = {np.abs(ours.scores_ - theirs.scores_).max():.2e}")
    print(f"oneuron / scikit-learn: {t_ours / t_theirs:.3f}x (goal <= 0.3x)")
    if args.reference:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ref = SkLogisticRegressionCV(
                Cs=10,
                cv=5,
                l1_ratios=(0.0,),
                scoring="neg_log_loss",
                solver="newton-cholesky",
                tol=1e-8,
                use_legacy_attributes=False,
            ).fit(X, y)
        print(f"reference (newton-cholesky, tol=1e-8): C_ = {ref.C_:.4g}")
        for name, model in (("scikit-learn", theirs), ("oneuron", ours)):
            err = np.abs(model.scores_ - ref.scores_).max()
            print(f"  {name:12s} max |score - reference| = {err:.2e}   C_ = {model.C_:.4g}")


if __name__ == "__main__":
    main()
