"""Plots render without a display and save images of the expected size."""

import struct

import numpy as np
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


def test_coefficients_take_intervals_from_the_summary(binary):
    X, y = binary[1][:, :4], binary[2]
    model = LogisticRegression(penalty=None).fit(X, y)
    fig = plots.plot_coefficients(model)
    assert "confidence intervals" in fig.axes[0].get_title()
    lows = sorted(s[0][0] for s in fig.axes[0].collections[0].get_segments())
    np.testing.assert_allclose(lows, np.sort(model.summary().table["ci_lower"].to_numpy()[1:]))
    bare = LogisticRegression(penalty=None, statistics=False).fit(X, y)
    assert "confidence intervals" not in plots.plot_coefficients(bare).axes[0].get_title()
    odds = plots.plot_coefficients(model, odds_ratios=True).axes[0]
    assert odds.get_xscale() == "log" and "Odds ratios" in odds.get_title()


def test_coefficients_of_a_multinomial_model_show_every_class(multinomial):
    model, X, y = multinomial
    ax = plots.plot_coefficients(model).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"{c} vs {model.classes_[0]}" for c in model.classes_[1:]]
    assert len(ax.collections) >= len(model.classes_) - 1  # one set of error bars per class
    plain = LogisticRegression(statistics=False).fit(X, y)
    labels = [t.get_text() for t in plots.plot_coefficients(plain).axes[0].get_legend().get_texts()]
    assert labels == [f"class {c}" for c in plain.classes_]


def test_every_plot_draws_into_given_axes(binary, multinomial):
    from matplotlib.figure import Figure

    model, X, y = binary
    fig = Figure()
    axes = fig.subplots(2, 3)
    assert plots.plot_roc(model, X, y, ax=axes[0, 0]) is fig
    assert plots.plot_precision_recall(multinomial[0], multinomial[1], multinomial[2], ax=axes[0, 1]) is fig
    assert plots.plot_confusion_matrix(model, X, y, ax=axes[0, 2]) is fig
    assert plots.plot_calibration(model, X, y, ax=axes[1, :2]) is fig
    assert plots.plot_coefficients(model, ax=axes[1, 2]) is fig
    assert plots.plot_loss_curve(model, log_scale=False, ax=axes[1, 2]) is fig
    with pytest.raises(ValueError, match="ax must hold 2 Axes"):
        plots.plot_calibration(model, X, y, ax=axes[0, 0])


def test_legends_sit_beside_the_axes_and_calibration_counts_rows(multinomial):
    model, X, y = multinomial
    for draw in (plots.plot_roc, plots.plot_precision_recall, plots.plot_calibration):
        fig = draw(model, X, y)
        ax = fig.axes[0]
        fig.canvas.draw()
        legend = ax.get_legend().get_window_extent()
        assert legend.x0 >= ax.get_window_extent().x1  # right of the plotting area: covers no curve
    fig = plots.plot_calibration(model, X, y, n_bins=5)
    counts = [p.get_height() for p in fig.axes[1].patches]
    assert sum(counts) == len(y) * len(model.classes_)  # every row in one bin per one-vs-rest curve


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
