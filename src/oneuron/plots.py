"""Pictures of a fitted neuron: loss curve, ROC, precision-recall, calibration, confusion matrix,
coefficients with confidence intervals, and the weights of image data drawn as an image.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot's global state (so it works
without a display and nothing leaks between calls) and, given ``path``, also saves it; the format follows
the suffix (``.png``, ``.svg``, ``.pdf``). A figure of ``figsize=(w, h)`` inches saved at ``dpi`` is exactly
``w*dpi x h*dpi`` pixels. matplotlib is imported only when a plot is made (``pip install oneuron[plots]``).

With more than two classes, ROC, precision-recall and calibration curves are drawn one class against the
rest.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from oneuron._optional import require

__all__ = [
    "plot_calibration",
    "plot_coefficients",
    "plot_confusion_matrix",
    "plot_images",
    "plot_loss_curve",
    "plot_precision_recall",
    "plot_roc",
    "plot_weights_image",
    "save_figure",
]

#: resolution of figures whose ``dpi`` is not given (pixels per inch).
DEFAULT_DPI = 100


def _new_figure(figsize, dpi, nrows=1, ncols=1):
    Figure = require("matplotlib.figure", "plotting", "plots").Figure
    fig = Figure(figsize=figsize, dpi=dpi or DEFAULT_DPI)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _finish(fig, path):
    if path is not None:
        fig.savefig(os.fspath(path), dpi=fig.dpi)
    return fig


def save_figure(fig, path: str | os.PathLike) -> None:
    """Save ``fig`` to ``path``; PNG, SVG or PDF after the suffix, at the figure's own size and dpi.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> import oneuron
    >>> from oneuron import plots
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = oneuron.LogisticRegression(solver="gd").fit(X, y)
    >>> import os, tempfile
    >>> fig = plots.plot_roc(model, X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "roc.svg")
    >>> plots.save_figure(fig, path)
    >>> os.path.getsize(path) > 0
    True
    """
    _finish(fig, path)


def _proba_columns(model, X, y):
    """``(y, classes, probabilities)``: probabilities (n, K) in the order of ``model.classes_``."""
    y = np.asarray(y)
    classes = np.asarray(model.classes_)
    return y, classes, model.predict_proba(X)


def _name(label) -> str:
    """A class label as text (``3``, ``yes``), without numpy's ``np.int64(3)`` repr."""
    return str(label.item() if isinstance(label, np.generic) else label)


def _one_vs_rest(classes):
    """(column, label, name) of each curve: the positive class only for a binary model."""
    if len(classes) == 2:
        return [(1, classes[1], f"positive class {_name(classes[1])}")]
    return [(k, c, f"{_name(c)} vs rest") for k, c in enumerate(classes)]


# ----------------------------------------------------------------------------------------------------------
def plot_loss_curve(
    model_or_losses,
    *,
    log_scale: bool = True,
    title: str | None = None,
    path=None,
    figsize=(6.4, 4.0),
    dpi: int | None = None,
):
    """The objective after each iteration (``model.loss_curve_``).

    Parameters
    ----------
    model_or_losses : LogisticRegression or sequence of float
        A fitted model, or the loss values themselves.
    log_scale : bool, default=True
        Draw ``loss - min(loss)`` on a log axis as well (how fast the optimum is approached).
    title : str, optional
    path : str or path-like, optional
        Save the figure there.
    figsize : (float, float)
    dpi : int, optional
        Pixels per inch; :data:`DEFAULT_DPI` by default.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> import oneuron
    >>> from oneuron import plots
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = oneuron.LogisticRegression(solver="gd").fit(X, y)
    >>> fig = plots.plot_loss_curve(model)  # path='loss.png' would save it
    >>> type(fig).__name__, len(fig.axes)
    ('Figure', 2)
    """
    losses = np.asarray(getattr(model_or_losses, "loss_curve_", model_or_losses), dtype=float)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError("model_or_losses needs a non-empty loss curve: fit the model first (loss_curve_).")
    iterations = np.arange(1, losses.size + 1)
    fig, axes = _new_figure(figsize, dpi, 1, 2 if log_scale else 1)
    ax = axes[0, 0]
    ax.plot(iterations, losses, color="C0")
    if losses.min() > 0 and losses.max() > 10 * losses.min():
        ax.set_yscale("log")  # an early spike (a large fixed step) would flatten the rest of the curve
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost (mean log-loss + penalty)")
    ax.grid(alpha=0.3)
    if log_scale:
        gap = losses - losses.min()
        ax2 = axes[0, 1]
        keep = gap > 0
        ax2.semilogy(iterations[keep], gap[keep], color="C1")
        ax2.set_xlabel("iteration")
        ax2.set_ylabel("cost - final cost")
        ax2.grid(alpha=0.3, which="both")
    fig.suptitle(title or f"Training loss ({losses.size} iterations)")
    fig.tight_layout()
    return _finish(fig, path)


def plot_roc(model, X, y, *, path=None, figsize=(5.0, 5.0), dpi: int | None = None):
    """ROC curve(s) of ``model`` on ``(X, y)``, with the area under each.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> import oneuron
    >>> from oneuron import plots
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = oneuron.LogisticRegression(solver="gd").fit(X, y)
    >>> fig = plots.plot_roc(model, X, y)
    >>> fig.axes[0].get_xlabel()
    'false positive rate'
    """
    from sklearn.metrics import RocCurveDisplay

    y, classes, proba = _proba_columns(model, X, y)
    fig, axes = _new_figure(figsize, dpi)
    ax = axes[0, 0]
    for i, (k, label, name) in enumerate(_one_vs_rest(classes)):
        RocCurveDisplay.from_predictions(y == label, proba[:, k], name=name, ax=ax, plot_chance_level=i == 0)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curve")
    fig.tight_layout()
    return _finish(fig, path)


def plot_precision_recall(model, X, y, *, path=None, figsize=(5.0, 5.0), dpi: int | None = None):
    """Precision-recall curve(s) of ``model`` on ``(X, y)``, with the average precision of each.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> import oneuron
    >>> from oneuron import plots
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = oneuron.LogisticRegression(solver="gd").fit(X, y)
    >>> fig = plots.plot_precision_recall(model, X, y)
    >>> fig.axes[0].get_xlabel()
    'recall'
    """
    from sklearn.metrics import PrecisionRecallDisplay

    y, classes, proba = _proba_columns(model, X, y)
    fig, axes = _new_figure(figsize, dpi)
    ax = axes[0, 0]
    for k, label, name in _one_vs_rest(classes):
        PrecisionRecallDisplay.from_predictions(y == label, proba[:, k], name=name, ax=ax)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("Precision-recall curve")
    fig.tight_layout()
    return _finish(fig, path)


def plot_calibration(model, X, y, *, n_bins: int = 10, path=None, figsize=(5.0, 5.0), dpi: int | None = None):
    """Reliability diagram: mean predicted probability against the observed frequency, per bin.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> import oneuron
    >>> from oneuron import plots
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = oneuron.LogisticRegression(solver="gd").fit(X, y)
    >>> fig = plots.plot_calibration(model, X, y, n_bins=5)
    >>> fig.axes[0].get_xlabel()
    'mean predicted probability'
    """
    from sklearn.calibration import calibration_curve

    y, classes, proba = _proba_columns(model, X, y)
    fig, axes = _new_figure(figsize, dpi)
    ax = axes[0, 0]
    ax.plot([0, 1], [0, 1], linestyle="--", color="gray", label="perfectly calibrated")
    for k, label, name in _one_vs_rest(classes):
        observed, predicted = calibration_curve(y == label, proba[:, k], n_bins=n_bins, strategy="uniform")
        ax.plot(predicted, observed, marker="o", label=name)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("fraction of positives")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize="small")
    ax.set_title("Calibration")
    fig.tight_layout()
    return _finish(fig, path)


def plot_confusion_matrix(
    model, X, y, *, normalize: str | None = None, path=None, figsize=(5.0, 4.5), dpi: int | None = None
):
    """Confusion matrix of ``model`` on ``(X, y)`` (rows: true class, columns: predicted class).

    Parameters
    ----------
    normalize : {"true", "pred", "all"}, optional
        As :func:`sklearn.metrics.confusion_matrix`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> import oneuron
    >>> from oneuron import plots
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = oneuron.LogisticRegression(solver="gd").fit(X, y)
    >>> fig = plots.plot_confusion_matrix(model, X, y)
    >>> fig.axes[0].get_title()
    'Confusion matrix'
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    y = np.asarray(y)
    fig, axes = _new_figure(figsize, dpi)
    ConfusionMatrixDisplay.from_predictions(
        y, model.predict(X), labels=model.classes_, normalize=normalize, ax=axes[0, 0], colorbar=True
    )
    axes[0, 0].set_title("Confusion matrix")
    fig.tight_layout()
    return _finish(fig, path)


def _summary_intervals(model, n_coef: int):
    """(lower, upper) for the coefficients from ``model.summary()`` when it offers them, else None."""
    if not hasattr(model, "summary"):
        return None
    try:
        s = model.summary()
    except Exception:  # no statistical table for this model (penalized, not fitted with data kept, ...)
        return None
    table = s.conf_int() if callable(getattr(s, "conf_int", None)) else getattr(s, "conf_int", s)
    columns = [str(c).lower() for c in getattr(table, "columns", [])]
    if columns:  # a table: pick the lower and upper bound columns by name
        low = [i for i, c in enumerate(columns) if "lower" in c or c.startswith("[0.") or c in ("ci_low", "low")]
        high = [i for i, c in enumerate(columns) if "upper" in c or c.endswith("]") or c in ("ci_high", "high")]
        if not (low and high):
            return None
        table = table.iloc[:, [low[0], high[0]]]
        index = [str(i).lower() for i in getattr(table, "index", [])]
        keep = [i for i, name in enumerate(index) if name not in ("intercept", "const", "(intercept)", "bias")]
        table = table.iloc[keep] if index else table
    try:
        a = np.asarray(table, dtype=float)
    except (TypeError, ValueError):
        return None
    if a.ndim != 2 or a.shape[1] != 2 or a.shape[0] < n_coef:
        return None
    return a[:n_coef, 0], a[:n_coef, 1]


def plot_coefficients(
    model,
    *,
    intervals=None,
    feature_names: Sequence[str] | None = None,
    class_index: int = 0,
    path=None,
    figsize=None,
    dpi: int | None = None,
):
    """The weights as a dot plot, with confidence intervals where they are known.

    Parameters
    ----------
    model : LogisticRegression
        A fitted model.
    intervals : array-like (n_features, 2), optional
        Lower and upper bounds per weight. By default taken from ``model.summary()`` when the model offers
        a statistical table with confidence intervals; otherwise the weights are drawn without intervals.
    feature_names : sequence of str, optional
        Defaults to ``model.feature_names_in_`` or ``x0, x1, ...``.
    class_index : int, default=0
        Which row of ``coef_`` to draw (multinomial models).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> import oneuron
    >>> from oneuron import plots
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = oneuron.LogisticRegression(solver="gd").fit(X, y)
    >>> fig = plots.plot_coefficients(model)
    >>> type(fig).__name__
    'Figure'
    """
    coef = np.asarray(model.coef_)[class_index]
    d = coef.size
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    names = [str(n) for n in feature_names] if feature_names is not None else [f"x{i}" for i in range(d)]
    if len(names) != d:
        raise ValueError(f"feature_names has {len(names)} names for {d} coefficients; pass one name per feature.")
    if intervals is not None:
        a = np.asarray(intervals, dtype=float)
        if a.shape != (d, 2):
            raise ValueError(f"intervals must have shape ({d}, 2) (lower, upper per weight), got {a.shape}.")
        bounds = a[:, 0], a[:, 1]
    else:
        bounds = _summary_intervals(model, d) if np.asarray(model.coef_).shape[0] == 1 else None
    figsize = figsize or (6.4, max(2.5, 0.28 * d + 1.2))
    fig, axes = _new_figure(figsize, dpi)
    ax = axes[0, 0]
    pos = np.arange(d)[::-1]
    if bounds is not None:
        low, high = bounds
        ax.errorbar(
            coef,
            pos,
            xerr=[coef - low, high - coef],
            fmt="o",
            color="C0",
            ecolor="C0",
            capsize=3,
            label="weight and confidence interval",
        )
    else:
        ax.plot(coef, pos, "o", color="C0", label="weight")
    ax.axvline(0, color="gray", linewidth=0.8)
    ax.set_yticks(pos, names, fontsize="small" if d > 20 else None)
    ax.set_xlabel("weight")
    ax.set_title("Coefficients" + (" with confidence intervals" if bounds is not None else ""))
    fig.tight_layout()
    return _finish(fig, path)


def plot_weights_image(
    model,
    shape: tuple[int, int],
    *,
    class_index: int | None = None,
    title: str | None = None,
    path=None,
    figsize=None,
    dpi: int | None = None,
):
    """The weights of image data drawn as images: red pixels push towards the class, blue ones away.

    Parameters
    ----------
    model : LogisticRegression
        Fitted on flattened images (``n_features == shape[0] * shape[1]``).
    shape : (int, int)
        Height and width of an image (8x8 for scikit-learn's digits).
    class_index : int, optional
        One row of ``coef_``; by default every row (one image per class of a multinomial model).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> import oneuron
    >>> from oneuron import plots
    >>> X, y = load_digits(return_X_y=True)
    >>> model = oneuron.LogisticRegression(max_iter=200).fit(X / 16, y == 2)
    >>> fig = plots.plot_weights_image(model, (8, 8))
    >>> type(fig).__name__
    'Figure'
    """
    coef = np.asarray(model.coef_)
    h, w = shape
    if coef.shape[1] != h * w:
        raise ValueError(f"shape={shape} has {h * w} pixels but the model has {coef.shape[1]} weights.")
    rows = [class_index] if class_index is not None else list(range(coef.shape[0]))
    n = len(rows)
    ncols = min(n, 5)
    nrows = -(-n // ncols)
    figsize = figsize or (2.6 * ncols + 1.2, 2.7 * nrows + 0.6)
    fig, axes = _new_figure(figsize, dpi, nrows, ncols)
    limit = float(np.max(np.abs(coef[rows]))) or 1.0
    for i, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.set_axis_off()
            continue
        r = rows[i]
        image = ax.imshow(coef[r].reshape(h, w), cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        if coef.shape[0] > 1:
            ax.set_title(f"class {_name(model.classes_[r])}")
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.85, label="weight")
    fig.suptitle(title or "Weights as an image")
    return _finish(fig, path)


def plot_images(
    images,
    shape: tuple[int, int],
    *,
    titles: Sequence[str] | None = None,
    ncols: int = 6,
    suptitle: str | None = None,
    path=None,
    dpi: int | None = None,
):
    """A grid of small grayscale images (e.g. the misclassified digits), each with a title.

    Parameters
    ----------
    images : array-like (n, height * width)
    shape : (int, int)
    titles : sequence of str, optional
        One per image.
    ncols : int, default=6

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from oneuron import plots
    >>> X, y = load_digits(return_X_y=True)
    >>> fig = plots.plot_images(X[:6], (8, 8), titles=[str(v) for v in y[:6]], suptitle="digits")
    >>> len(fig.axes) >= 6
    True
    """
    images = np.asarray(images, dtype=float).reshape(-1, *shape)
    n = len(images)
    if n == 0:
        raise ValueError("images is empty: nothing to draw.")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = _new_figure((1.9 * ncols, 2.2 * nrows + (0.4 if suptitle else 0)), dpi, nrows, ncols)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i < n:
            ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize="small")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return _finish(fig, path)


def animate_weights(
    weights,
    losses: Sequence[float],
    shape: tuple[int, int],
    *,
    iterations: Sequence[int] | None = None,
    interval: int = 150,
    title: str | None = None,
    path=None,
    figsize=(8.4, 3.6),
    dpi: int | None = None,
):
    """An animation of a neuron learning: its weights as an image, and the loss falling, frame by frame.

    Parameters
    ----------
    weights : array-like (n_frames, height * width)
        The weights of one neuron at each frame (e.g. ``coef_[0]`` after each of a series of warm-started
        fits).
    losses : sequence of float
        The loss after each iteration (``loss_curve_``, joined over the fits).
    shape : (int, int)
        Height and width of an image (8x8 for scikit-learn's digits).
    iterations : sequence of int, optional
        The iteration each frame shows (1-based, at most ``len(losses)``); by default spread evenly.
    interval : int, default=150
        Milliseconds between frames.
    title : str, optional
    path : str or path-like, optional
        Save the animation there as a GIF (matplotlib's ``PillowWriter``).

    Returns
    -------
    matplotlib.animation.FuncAnimation

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import plots
    >>> frames = np.linspace(0, 1, 3)[:, None] * np.arange(4.0)
    >>> anim = plots.animate_weights(frames, [3.0, 2.0, 1.0], (2, 2))
    >>> type(anim).__name__
    'FuncAnimation'
    """
    animation = require("matplotlib.animation", "plotting", "plots")
    weights = np.asarray(weights, dtype=float).reshape(len(weights), -1)
    losses = np.asarray(losses, dtype=float)
    h, w = shape
    if weights.shape[1] != h * w:
        raise ValueError(f"shape={shape} has {h * w} pixels but each frame has {weights.shape[1]} weights.")
    if len(weights) == 0 or len(losses) == 0:
        raise ValueError("weights and losses must not be empty.")
    if iterations is None:
        iterations = np.linspace(1, len(losses), len(weights)).round().astype(int)
    iterations = np.asarray(iterations, dtype=int)
    if len(iterations) != len(weights) or iterations.min() < 1 or iterations.max() > len(losses):
        raise ValueError("iterations must give one iteration in 1..len(losses) per frame.")

    fig, axes = _new_figure(figsize, dpi, 1, 2)
    ax_w, ax_l = axes[0]
    limit = float(np.max(np.abs(weights))) or 1.0
    image = ax_w.imshow(weights[0].reshape(h, w), cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    ax_w.set_xticks([])
    ax_w.set_yticks([])
    fig.colorbar(image, ax=ax_w, shrink=0.85, label="weight")
    steps = np.arange(1, len(losses) + 1)
    ax_l.plot(steps, losses, color="0.85", lw=1.5)
    (line,) = ax_l.plot([], [], color="C0", lw=2)
    (dot,) = ax_l.plot([], [], "o", color="C3")
    ax_l.set_xscale("log")
    ax_l.set_yscale("log")
    ax_l.set_xlabel("iteration")
    ax_l.set_ylabel("loss")
    ax_l.grid(True, which="both", alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()

    def draw(frame):
        it = int(iterations[frame])
        image.set_data(weights[frame].reshape(h, w))
        ax_w.set_title(f"weights after {it:,} iterations", fontsize="medium")
        line.set_data(steps[:it], losses[:it])
        dot.set_data([it], [losses[it - 1]])
        return image, line, dot

    draw(0)
    anim = animation.FuncAnimation(fig, draw, frames=len(weights), interval=interval, blit=False)
    if path is not None:
        anim.save(os.fspath(path), writer=animation.PillowWriter(fps=max(1, round(1000 / interval))), dpi=fig.dpi)
    return anim
