"""The lesson's experiment: the original algorithm (flaws kept) against oneuron, in one run.

The reference below is the lesson's ``LogisticRegression`` rewritten from its description: X stored
features x samples, weights and bias from zero, alpha = 0.01, the gradient divided by the number of
features instead of samples, a summed cost, sigmoid and log applied element by element in Python, and a
stop at ``|J - J_last| < 1e-5`` with no iteration cap. Run: ``python benchmarks/bench_lesson.py``.
"""

from __future__ import annotations

import argparse
import math
import warnings

import numpy as np

from _timing import best_time
from oneuron import LogisticRegression
from oneuron._demo import LESSON, lesson_data


class LessonReference:
    """The lesson's class, flaws kept (see the module docstring)."""

    def __init__(self, X, Y, alpha=0.01, debug=False):
        self.X = X  # features x samples, as the lesson stored it
        self.Y = Y
        self.alpha = alpha
        self.debug = debug
        self.n_features, self.n_samples = X.shape
        self.w = np.zeros((self.n_features, 1))
        self.b = 0.0
        self.iterations = 0

    def sigmoid(self, z):
        return np.array([[1 / (1 + math.exp(-v)) if v > -700 else 0.0 for v in row] for row in z])

    def cost(self, A):
        # summed, not averaged; log applied element by element (log(0) gives -inf and a warning)
        total = 0.0
        for a, y in zip(A.ravel(), self.Y.ravel(), strict=True):
            total += -(y * np.log(a) + (1 - y) * np.log(1 - a))
        return total

    def fit(self, max_iter=None):
        J_last = np.inf
        while True:
            A = self.sigmoid(self.w.T @ self.X + self.b)
            J = self.cost(A)
            dZ = A - self.Y
            self.w -= self.alpha * (self.X @ dZ.T) / self.n_features  # the flaw: features, not samples
            self.b -= self.alpha * float(dZ.sum()) / self.n_features
            self.iterations += 1
            if self.debug:
                print(self.iterations, J)
            if abs(J - J_last) < 1e-5 or (max_iter is not None and self.iterations >= max_iter):
                return self
            J_last = J

    def predict(self, X):
        return (self.sigmoid(self.w.T @ X + self.b) > 0.5).astype(int).ravel()


def runtime_warnings(caught) -> int:
    """The lesson's log(0) and overflow warnings (oneuron's SeparationWarning on these separable images is
    information, not a numerical fault, and is not counted)."""
    return sum(issubclass(w.category, RuntimeWarning) for w in caught)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="cap the reference at 300 iterations")
    args = parser.parse_args(argv)
    X_train, y_train, X_test, y_test = lesson_data()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ref_seconds, ref = best_time(
            lambda: LessonReference(X_train.T, y_train[None, :], alpha=0.01).fit(300 if args.quick else None)
        )
    ref_errors = int(np.sum(ref.predict(X_test.T) != y_test))
    rows = [("lesson reference (flaws kept)", ref.iterations, ref_seconds, ref_errors, runtime_warnings(caught))]
    for label, params in [("oneuron default", {}), ("oneuron gd (lesson settings)", LESSON)]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            seconds, model = best_time(lambda p=params: LogisticRegression(**p).fit(X_train, y_train), 5)
        errors = int(np.sum(model.predict(X_test) != y_test))
        rows.append((label, int(model.n_iter_[0]), seconds, errors, runtime_warnings(caught)))

    print(f"{'':32s} {'iterations':>10s} {'fit time':>12s} {'test acc':>9s} {'errors':>6s} {'RuntimeWarnings':>15s}")
    for label, iterations, seconds, errors, n_warn in rows:
        print(
            f"{label:32s} {iterations:10d} {seconds * 1000:10.1f}ms {1 - errors / len(y_test):9.2%} "
            f"{errors:6d} {n_warn:15d}"
        )
    for label, _, seconds, _, _ in rows[1:]:
        print(f"speed-up of {label} over the reference: {ref_seconds / seconds:,.0f}x")


if __name__ == "__main__":
    main()
