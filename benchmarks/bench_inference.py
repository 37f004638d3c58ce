"""Fit plus full summary: oneuron against statsmodels ``Logit().fit()`` with its summary, in one run.

Data: ``n x d`` standard normal features, labels drawn from a logistic model with random weights (so the
maximum-likelihood estimate exists). Both sides fit without penalty to their tight default tolerance and
report coefficients, standard errors, z, p-values, intervals, log-likelihoods, LLR test, pseudo R2, AIC and
BIC; the script checks that the answers agree and prints the time ratio.

Run: ``python benchmarks/bench_inference.py`` (500,000 x 50) or ``--quick`` (50,000 x 20).
"""

from __future__ import annotations

import argparse

import numpy as np

from _timing import best_time


def make_data(n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.normal(scale=1.0 / np.sqrt(d), size=d)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ w + 0.3)))).astype(np.int64)
    return X, y


def run_oneuron(X, y):
    from oneuron import LogisticRegression

    # statistics=True: past statistics="auto"'s size bound (rows x parameters^2 <= 1e9) they are kept on request
    model = LogisticRegression(C=np.inf, tol=1e-8, statistics=True).fit(X, y)
    summary = model.summary()
    str(summary)
    return summary


def run_statsmodels(X, y):
    import statsmodels.api as sm

    res = sm.Logit(y, sm.add_constant(X, prepend=True)).fit(disp=0)
    str(res.summary())  # computes llnull, the tests and intervals, as ours does
    return res


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 x 20 instead of 500,000 x 50")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--d", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    n = args.n or (50_000 if args.quick else 500_000)
    d = args.d or (20 if args.quick else 50)
    X, y = make_data(n, d)

    t_ours, summary = best_time(lambda: run_oneuron(X, y), args.repeats)
    t_sm, res = best_time(lambda: run_statsmodels(X, y), args.repeats)

    table = summary.table
    ci = np.asarray(res.conf_int())

    def gap(a, b):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))

    gaps = {
        "coef": gap(table["coef"], res.params),
        "std_err": gap(table["std_err"], res.bse),
        "z": gap(table["z"], res.tvalues),
        "ci": max(gap(table["ci_lower"], ci[:, 0]), gap(table["ci_upper"], ci[:, 1])),
        "log_likelihood": gap(summary.log_likelihood, res.llf),
        "ll_null": gap(summary.ll_null, res.llnull),
        "aic": gap(summary.aic, res.aic),
        "bic": gap(summary.bic, res.bic),
        "pseudo_r2": gap(summary.pseudo_r2, res.prsquared),
    }
    print(f"data: {n:,} x {d} float64, best of {args.repeats}")
    print(f"oneuron  fit + summary: {t_ours:8.3f} s")
    print(f"statsmodels Logit.fit + summary: {t_sm:8.3f} s")
    print(f"ratio oneuron / statsmodels: {t_ours / t_sm:.3f}x (goal <= 0.2x)")
    print("largest relative differences: " + ", ".join(f"{k} {v:.1e}" for k, v in gaps.items()))
    same = max(gaps["coef"], gaps["std_err"], gaps["z"], gaps["ci"]) < 1e-5 and gaps["log_likelihood"] < 1e-8
    print("same answers:", "yes" if same else "NO")


if __name__ == "__main__":
    main()
