"""The lesson's experiment: is this 8x8 digit a 2?

scikit-learn's ``load_digits`` (1,797 images), target "the digit is a 2", trained on all but the last 797
images and tested on those 797, as the original lesson did (it used gradient descent with alpha = 0.01,
took ~6,900 iterations and 12-30 s, and made 3 errors).
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from oneuron._estimator import LogisticRegression
from oneuron._separation import SeparationWarning

N_TEST = 797

#: The lesson divided its gradient by the 64 features instead of the 1,000 samples and summed its cost:
#: alpha = 0.01 there is a step of 0.01 * 1000 / 64 on the mean gradient, and its stop |dJ| < 1e-5 on the
#: summed cost is |dJ| < 1e-8 on the mean (stopping="cost": the lesson's rule). No penalty, weights from zero.
LESSON = {"solver": "gd", "C": np.inf, "learning_rate": 0.01 * 1000 / 64, "tol": 1e-8, "stopping": "cost"}

DEMO_RUNS = [
    ("the lesson, reproduced (gd, fixed alpha)", LESSON),
    ("gd with the automatic step", {"solver": "gd", "C": np.inf, "tol": 1e-8, "stopping": "cost"}),
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
    separated: bool = False


def run(label: str, **params) -> DemoRun:
    """Fit ``LogisticRegression(**params)`` on the lesson's data and score it on the test images."""
    X_train, y_train, X_test, y_test = lesson_data()
    model = LogisticRegression(**params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SeparationWarning)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    separated = any(issubclass(w.category, SeparationWarning) for w in caught)
    for w in caught:  # anything else is passed on
        if not issubclass(w.category, SeparationWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    predicted = model.predict(X_test)
    accuracy = float(np.mean(predicted == y_test))
    return DemoRun(label, model, seconds, accuracy, np.flatnonzero(predicted != y_test), separated)


def main(output_dir: str | os.PathLike | None = None, animate: bool = False) -> list[DemoRun]:
    """Run the experiment with the lesson's solver (``gd``) and with the default, and print the results.

    With ``output_dir`` also write the figures of the lesson's run there (see :func:`write_figures`), and
    with ``animate`` the animation of its training (see :func:`write_animation`).
    """
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
    if any(r.separated for r in runs):
        print(
            "\nnote: the 1,000 training images are linearly separable (oneuron checked), so without a penalty the"
            "\n  best weights are infinitely large and the cost can only approach 0: the unpenalized runs stop where"
            "\n  the cost has flattened (the lesson's |J - J_last| < tol, or max|gradient| < tol), and their weights"
            "\n  depend on where they stopped. A penalty (the default C=1) or penalty='firth' gives a finite optimum."
        )
    if output_dir is not None:
        try:
            written = write_figures(runs[0], output_dir)
        except ImportError as exc:
            print(f"\nno figures written: {exc}")
        else:
            print(f"\nfigures of the lesson's run written to {output_dir}/: {', '.join(p.name for p in written)}")
            if animate:
                path = write_animation(output_dir)
                print(f"animation of the lesson's training written to {path}")
    return runs


def write_figures(lesson_run: DemoRun, output_dir: str | os.PathLike) -> list[Path]:
    """The lesson's loss curve, its weights as an 8x8 image and its misclassified test digits, as PNGs."""
    from oneuron import plots

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = lesson_run.model
    _, _, X_test, y_test = lesson_data()
    paths = [out / "loss_curve.png", out / "weights_is_it_a_2.png", out / "misclassified.png"]
    plots.plot_loss_curve(model, title=f"The lesson's gradient descent: {len(model.loss_curve_)} iterations",
                          path=paths[0])  # fmt: skip
    plots.plot_weights_image(
        model, (8, 8), class_index=0, title='Weights of the "is it a 2?" neuron', figsize=(4.6, 4.0), path=paths[1]
    )
    wrong = lesson_run.misclassified
    if len(wrong):
        p2 = model.predict_proba(X_test[wrong])[:, 1]
        titles = [f"test #{i}: is a 2: {bool(y_test[i])}\nP(2) = {p:.3f}" for i, p in zip(wrong, p2, strict=True)]
        plots.plot_images(X_test[wrong], (8, 8), titles=titles, suptitle="Misclassified test digits", path=paths[2])
    else:
        paths.pop()
    return paths


def learning_history(n_frames: int = 30):
    """The lesson's gradient descent, paused at ``n_frames`` iterations spread on a log scale.

    Returns ``(iterations, weights, losses)``: the iteration of each frame, ``coef_[0]`` at that iteration,
    and the loss after every iteration. Warm-started fits of ``max_iter`` more iterations each: with a fixed
    learning rate they retrace one uninterrupted fit exactly.
    """
    X_train, y_train, _, _ = lesson_data()
    model = LogisticRegression(**LESSON, warm_start=True)
    stops = np.unique(np.geomspace(1, 10 * N_TEST, n_frames).astype(int))
    iterations, weights, losses = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # each pause is a ConvergenceWarning, the data are separable
        for stop in stops:
            model.set_params(max_iter=int(stop) - len(losses)).fit(X_train, y_train)
            losses += model.loss_curve_
            iterations.append(len(losses))
            weights.append(model.coef_[0].copy())
            if len(losses) < stop:  # converged before the pause: the end
                break
    return np.array(iterations), np.array(weights), losses


def write_animation(output_dir: str | os.PathLike, n_frames: int = 30) -> Path:
    """The lesson's training as a GIF: the weights as an 8x8 image and the falling loss, frame by frame."""
    from oneuron import plots

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    iterations, weights, losses = learning_history(n_frames)
    path = out / "learning.gif"
    plots.animate_weights(
        weights, losses, (8, 8), iterations=iterations, title='The "is it a 2?" neuron learning', path=path
    )
    return path
