"""Dask: oneuron on a 2-worker LocalCluster vs oneuron in memory vs dask-ml's LogisticRegression.

Full size (the issue's question): 2,000,000 x 100 float64, generated on the workers. Every fit is scored by
the same yardstick: oneuron's objective (mean log-loss + l2) evaluated in memory at its coefficients.

    python benchmarks/bench_dask.py            # 2,000,000 x 100
    python benchmarks/bench_dask.py --quick    # 100,000 x 20, to check that it works
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from _timing import best_time


def objective_at(X, y, coef, intercept, C):
    from oneuron._objective import Objective
    from oneuron._penalty import Penalty
    from oneuron.data import MemorySource

    source = MemorySource(X, y.astype(X.dtype), np.ones(len(y), X.dtype))
    obj = Objective(source, 2, Penalty.from_params("l2", C, source.total_weight))
    return obj.loss(obj.join(np.ravel(coef), float(np.ravel(intercept)[0])))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 x 20, to check the script")
    parser.add_argument("--n-samples", type=int, default=None)
    parser.add_argument("--n-features", type=int, default=None)
    parser.add_argument("--chunk-rows", type=int, default=None, help="rows per partition (default: n / 8)")
    parser.add_argument(
        "--dask-ml-solvers", default="lbfgs", help="comma-separated dask-ml solvers to time (admm: add it, slow)"
    )
    args = parser.parse_args(argv)
    n = args.n_samples or (100_000 if args.quick else 2_000_000)
    d = args.n_features or (20 if args.quick else 100)
    C = 1.0

    import dask.array as da
    from distributed import Client, LocalCluster

    from oneuron import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, Client(cluster) as client:
        rs = da.random.RandomState(0)
        chunk = args.chunk_rows or -(-n // 8)
        X = rs.normal(size=(n, d), chunks=(chunk, d))
        w_true = np.random.default_rng(0).normal(size=d) / np.sqrt(d)
        y = ((X @ w_true + rs.logistic(size=n, chunks=chunk)) > 0).astype(np.int64)
        X, y = client.persist([X, y])
        X_np, y_np = client.compute([X, y], sync=True)
        print(f"data: {n:,} x {d} float64 ({X_np.nbytes / 1e9:.2f} GB), {X.npartitions} partitions, 2 workers")

        rows = []
        t_mem, m_mem = best_time(lambda: LogisticRegression(solver="lbfgs", C=C).fit(X_np, y_np), 2)
        rows.append(("oneuron in memory (lbfgs)", t_mem, m_mem.coef_, m_mem.intercept_, m_mem.n_passes_))
        t_dask, m_dask = best_time(lambda: LogisticRegression(solver="lbfgs", C=C).fit(X, y), 2)
        rows.append(("oneuron on the cluster (lbfgs)", t_dask, m_dask.coef_, m_dask.intercept_, m_dask.n_passes_))
        t_auto, m_auto = best_time(lambda: LogisticRegression(C=C).fit(X, y))
        rows.append(
            (
                f"oneuron on the cluster (auto: {m_auto.solver_})",
                t_auto,
                m_auto.coef_,
                m_auto.intercept_,
                m_auto.n_passes_,
            )
        )
        try:
            from dask_ml.linear_model import LogisticRegression as DaskMLLogisticRegression
        except ImportError:
            DaskMLLogisticRegression = None
            print("dask-ml not installed: skipped")
        for solver in filter(None, args.dask_ml_solvers.split(",") if DaskMLLogisticRegression else []):
            # dask-glm minimizes sum(loss) + ||beta||^2 / (2 C): the same optimum as ours with the same C
            # (up to its penalizing the intercept too)
            model = DaskMLLogisticRegression(solver=solver, C=C, max_iter=100)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t, model = best_time(lambda model=model: model.fit(X, y))
            rows.append((f"dask-ml {solver}", t, model.coef_, np.atleast_1d(model.intercept_), None))

        f_best = min(objective_at(X_np, y_np, c, b, C) for _, _, c, b, _ in rows)
        print(f"\n{'fit':<36}{'time':>10}{'passes':>8}{'objective - best':>18}{'vs in memory':>14}")
        for name, t, coef, b, passes in rows:
            gap = objective_at(X_np, y_np, coef, b, C) - f_best
            print(f"{name:<36}{t:>9.2f}s{passes if passes else '':>8}{gap:>18.2e}{t / t_mem:>13.2f}x")
        dml = [t for name, t, *_ in rows if name.startswith("dask-ml")]
        if dml:
            print(
                f"\noneuron cluster / in memory: {t_dask / t_mem:.2f}x (goal <= 1.5x); "
                f"oneuron cluster / fastest dask-ml: {t_dask / min(dml):.3f}x (goal <= 0.1x)"
            )


if __name__ == "__main__":
    main()
