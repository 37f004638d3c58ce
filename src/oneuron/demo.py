"""The lesson's experiment: is this 8x8 digit a 2?

scikit-learn's ``load_digits`` (1,797 images), target "the digit is a 2", trained on all but the last 797
images and tested on those 797, as the original lesson did (it used gradient descent with alpha = 0.01,
took ~6,900 iterations and 12-30 s, and made 3 errors).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits

from oneuron.estimator import LogisticRegression

N_TEST = 797

#: The lesson divided its gradient by the 64 features instead of the 1,000 samples and summed its cost:
#: alpha = 0.01 there is a step of 0.01 * 1000 / 64 on the mean gradient, and its stop |dJ| < 1e-5 on the
#: summed cost is |dJ| < 1e-8 on the mean. No penalty, weights from zero.
LESSON = {"solver": "gd", "penalty": None, "learning_rate": 0.01 * 1000 / 64, "tol": 1e-8}

DEMO_RUNS = [
    ("the lesson, reproduced (gd, fixed alpha)", LESSON),
    ("gd with the automatic step", {"solver": "gd", "penalty": None, "tol": 1e-8}),
    ("oneuron's default (C=1)", {}),
]


def lesson_data():
    """``(X_train, y_train, X_test, y_test)``: raw pixel values 0..16, y = (digit == 2)."""
    digits = load_digits()
    X, y = digits.data, (digits.target == 2).astype(int)
    return X[:-N_TEST], y[:-N_TEST], X[-N_TEST:], y[-N_TEST:]


@dataclass
class DemoRun:
    """One fit of the lesson's experiment."""

    label: str
    model: LogisticRegression
    seconds: float
    accuracy: float
    misclassified: np.ndarray


def run(label: str, **params) -> DemoRun:
    """Fit ``LogisticRegression(**params)`` on the lesson's data and score it on the test images."""
    X_train, y_train, X_test, y_test = lesson_data()
    model = LogisticRegression(**params)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    predicted = model.predict(X_test)
    return DemoRun(label, model, seconds, float(np.mean(predicted == y_test)), np.flatnonzero(predicted != y_test))


def main() -> list[DemoRun]:
    """Run the experiment with the lesson's solver (``gd``) and with the default, and print the results."""
    runs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the lesson's log(0) warnings must not come back
        for label, params in DEMO_RUNS:
            runs.append(run(label, **params))
    print(f"The lesson's experiment: digits, 'is it a 2?', train {1797 - N_TEST} images, test {N_TEST}")
    for r in runs:
        print(
            f"\n{r.label}: solver={r.model.solver_}, {int(r.model.n_iter_[0])} iterations, "
            f"{r.seconds * 1000:.1f} ms, test accuracy {r.accuracy:.2%} ({len(r.misclassified)} errors)"
        )
        print(f"  misclassified test images (index in the test set): {r.misclassified.tolist()}")
    return runs
