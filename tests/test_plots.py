"""Plots render without a display and save images of the expected size."""

import struct

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from oneuron import LogisticRegression, plots  # noqa: E402
from oneuron._demo import LESSON, learning_history, lesson_data, run, write_figures  # noqa: E402

from .conftest import breast_cancer_scaled, iris  # noqa: E402


def png_size(path):
    """(width, height) from a PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def assert_png(path, figure):
    width, height = png_size(path)
    w_in, h_in = figure.get_size_inches()
    assert (width, height) == (round(w_in * figure.dpi), round(h_in * figure.dpi))
    pixels = matplotlib.image.imread(path)
    assert pixels.std() > 0.01  # something is drawn, not a blank canvas


@pytest.fixture(scope="module")
def binary():
    X, y = breast_cancer_scaled()
    return LogisticRegression(solver="lbfgs").fit(X, y), X, y


@pytest.fixture(scope="module")
def multinomial():
    X, y = iris()
    return LogisticRegression().fit(X, y), X, y


DPI = 50  # small images keep the test quick; sizes are checked against figsize * dpi all the same

PLOTS = {
    "loss_curve": lambda m, X, y, p: plots.plot_loss_curve(m, path=p, dpi=DPI),
    "roc": lambda m, X, y, p: plots.plot_roc(m, X, y, path=p, dpi=DPI),
    "precision_recall": lambda m, X, y, p: plots.plot_precision_recall(m, X, y, path=p, dpi=DPI),
    "calibration": lambda m, X, y, p: plots.plot_calibration(m, X, y, path=p, dpi=DPI),
    "confusion_matrix": lambda m, X, y, p: plots.plot_confusion_matrix(m, X, y, path=p, dpi=DPI),
    "coefficients": lambda m, X, y, p: plots.plot_coefficients(m, path=p, dpi=DPI),
}
CASES = [(name, "binary") for name in sorted(PLOTS)] + [
    (name, "multinomial") for name in ("roc", "precision_recall", "calibration", "confusion_matrix")
]


@pytest.mark.parametrize("name,kind", CASES)
def test_plot_renders_png_of_expected_size(name, kind, request, tmp_path):
    model, X, y = request.getfixturevalue(kind)
    path = tmp_path / f"{name}.png"
    fig = PLOTS[name](model, X, y, path)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert_png(path, fig)


def test_svg_output(binary, tmp_path):
    model, X, y = binary
    plots.plot_roc(model, X, y, path=tmp_path / "roc.svg")
    text = (tmp_path / "roc.svg").read_text()
    assert "<svg" in text and "</svg>" in text


def test_coefficients_with_intervals(binary, tmp_path):
    model, X, y = binary
    coef = model.coef_[0]
    fig = plots.plot_coefficients(model, intervals=np.c_[coef - 0.1, coef + 0.2], path=tmp_path / "c.svg")
    assert (tmp_path / "c.svg").read_text().rstrip().endswith("</svg>")
    ax = fig.axes[0]
    assert "confidence intervals" in ax.get_title()
    segments = ax.collections[0].get_segments()  # the error bars: one segment per weight
    lows = sorted(s[0][0] for s in segments)
    np.testing.assert_allclose(lows, np.sort(coef - 0.1))
    with pytest.raises(ValueError, match="intervals must have shape"):
        plots.plot_coefficients(model, intervals=np.zeros((3, 2)))


def test_coefficients_take_intervals_from_a_summary(binary):
    model, X, y = binary

    class WithSummary(LogisticRegression):
        def summary(self):
            d = self.coef_.shape[1]
            names = [f"x{i}" for i in range(d)]
            table = {"coef": self.coef_[0], "[0.025": self.coef_[0] - 1, "0.975]": self.coef_[0] + 1}
            return pd.DataFrame(table, index=names)

    fancy = WithSummary().fit(X, y)
    fig = plots.plot_coefficients(fancy)
    assert "confidence intervals" in fig.axes[0].get_title()
    assert "confidence intervals" not in plots.plot_coefficients(model).axes[0].get_title()


def test_weights_image(multinomial, tmp_path):
    X, y = lesson_data()[:2]
    model = LogisticRegression(max_iter=500).fit(X, y)
    fig = plots.plot_weights_image(model, (8, 8), path=tmp_path / "w.png", dpi=DPI)
    assert_png(tmp_path / "w.png", fig)
    image = fig.axes[0].images[0].get_array()
    np.testing.assert_array_equal(image, model.coef_[0].reshape(8, 8))
    with pytest.raises(ValueError, match="pixels"):
        plots.plot_weights_image(multinomial[0], (8, 8))


def test_demo_figures(tmp_path):
    lesson = run("quick", solver="gd", penalty=None, tol=1e-3)
    paths = write_figures(lesson, tmp_path)
    assert [p.name for p in paths][:2] == ["loss_curve.png", "weights_is_it_a_2.png"]
    for p in paths:
        assert png_size(p)[0] > 100 and p.stat().st_size > 2000


def test_animate_weights_writes_a_gif(tmp_path):
    frames = np.outer(np.linspace(0.1, 1, 4), np.arange(-8.0, 8.0))
    anim = plots.animate_weights(frames, [4.0, 3.0, 2.0, 1.5, 1.2, 1.0], (4, 4), path=tmp_path / "a.gif", dpi=40)
    data = (tmp_path / "a.gif").read_bytes()
    assert data[:6] in (b"GIF87a", b"GIF89a")
    assert data.count(b"\x21\xf9\x04") == 4  # one graphic control block per frame
    image = anim._fig.axes[0].images[0].get_array()
    np.testing.assert_array_equal(image, frames[-1].reshape(4, 4))  # the last frame drawn was saved last
    with pytest.raises(ValueError, match="pixels"):
        plots.animate_weights(frames, [1.0], (3, 3))
    with pytest.raises(ValueError, match="iterations"):
        plots.animate_weights(frames, [1.0, 0.5], (4, 4), iterations=[1, 2, 3, 9])


def test_learning_history_retraces_one_fit():
    iterations, weights, losses = learning_history(n_frames=8)
    one_fit = run("lesson", **LESSON).model
    assert iterations[-1] == len(losses) == one_fit.n_iter_[0]
    np.testing.assert_allclose(losses, one_fit.loss_curve_, rtol=0, atol=0)
    np.testing.assert_array_equal(weights[-1], one_fit.coef_[0])
    assert np.all(np.diff(iterations) > 0)
