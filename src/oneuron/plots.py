"""Pictures of a fitted neuron: loss curve, ROC, precision-recall, calibration, confusion matrix,
coefficients with confidence intervals, and the weights of image data drawn as an image.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot's global state (so it works
without a display and nothing leaks between calls) and, given ``path``, also saves it; the format follows
the suffix (``.png``, ``.svg``, ``.pdf``). A figure of ``figsize=(w, h)`` inches saved at ``dpi`` is exactly
``w*dpi x h*dpi`` pixels. matplotlib is imported only when a plot is made (``pip install oneuron[plots]``).

With more than two classes, ROC, precision-recall and calibration curves are drawn one class against the
rest. Every function takes ``ax=`` to draw into Axes of a figure of your own (then it neither lays the
figure out nor gives it a title above the axes); legends sit beside the axes, never over a curve.
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


def _new_figure(figsize, dpi, nrows=1, ncols=1, ax=None):
    """A new figure with a grid of axes, or the given ``ax`` (an Axes, or as many Axes as the grid has)."""
    if ax is not None:
        axes = np.empty(nrows * ncols, dtype=object)
        given = list(ax) if isinstance(ax, list | tuple | np.ndarray) else [ax]
        given = list(np.ravel(np.array(given, dtype=object)))
        if len(given) != nrows * ncols:
            raise ValueError(f"ax must hold {nrows * ncols} Axes for this plot, got {len(given)}.")
        axes[:] = given
        return given[0].figure, axes.reshape(nrows, ncols)
    Figure = require("matplotlib.figure", "plotting", "plots").Figure
    fig = Figure(figsize=figsize, dpi=dpi or DEFAULT_DPI)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _layout(fig, ax) -> None:
    """``tight_layout`` on figures made here; a caller's figure (``ax=`` given) is left as it is laid out."""
    if ax is None:
        fig.tight_layout()


def _legend_outside(ax, **kwargs) -> None:
    """The legend to the right of the axes, where it cannot cover a curve."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small", **kwargs)


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
    ax=None,
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
    ax : matplotlib.axes.Axes or pair of Axes, optional
        Draw into these instead of a new figure (two Axes with ``log_scale=True``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from oneuron import plots
    >>> fig = plots.plot_loss_curve([3.0, 2.0, 1.5, 1.4])
    >>> len(fig.axes)
    2
    """
    losses = np.asarray(getattr(model_or_losses, "loss_curve_", model_or_losses), dtype=float)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError("model_or_losses needs a non-empty loss curve: fit the model first (loss_curve_).")
    iterations = np.arange(1, losses.size + 1)
    given = ax
    fig, axes = _new_figure(figsize, dpi, 1, 2 if log_scale else 1, ax=ax)
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
    if given is None:
        fig.suptitle(title or f"Training loss ({losses.size} iterations)")
    else:
        ax.set_title(title or f"Training loss ({losses.size} iterations)")
    _layout(fig, given)
    return _finish(fig, path)


def plot_roc(model, X, y, *, path=None, figsize=(7.0, 5.0), dpi: int | None = None, ax=None):
    """ROC curve(s) of ``model`` on ``(X, y)``, with the area under each (legend beside the axes).

    Parameters
    ----------
    model : LogisticRegression
    X, y : array-like
    path : str or path-like, optional
    figsize : (float, float)
    dpi : int, optional
    ax : matplotlib.axes.Axes, optional
        Draw into this Axes (of a figure of your own) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from oneuron import LogisticRegression, plots
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = LogisticRegression(solver="lbfgs", max_iter=50).fit(X[:, :3], y)
    >>> plots.plot_roc(model, X[:, :3], y).axes[0].get_title()
    'ROC curve'
    """
    from sklearn.metrics import RocCurveDisplay

    y, classes, proba = _proba_columns(model, X, y)
    given = ax
    fig, axes = _new_figure(figsize, dpi, ax=ax)
    ax = axes[0, 0]
    for i, (k, label, name) in enumerate(_one_vs_rest(classes)):
        RocCurveDisplay.from_predictions(y == label, proba[:, k], name=name, ax=ax, plot_chance_level=i == 0)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curve")
    _legend_outside(ax)
    _layout(fig, given)
    return _finish(fig, path)


def plot_precision_recall(model, X, y, *, path=None, figsize=(7.0, 5.0), dpi: int | None = None, ax=None):
    """Precision-recall curve(s) of ``model`` on ``(X, y)``, with the average precision of each (legend beside
    the axes, where it covers no curve).

    Parameters
    ----------
    model : LogisticRegression
    X, y : array-like
    path : str or path-like, optional
    figsize : (float, float)
    dpi : int, optional
    ax : matplotlib.axes.Axes, optional
        Draw into this Axes (of a figure of your own) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from oneuron import LogisticRegression, plots
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(solver="lbfgs").fit(X, y)
    >>> plots.plot_precision_recall(model, X, y).axes[0].get_title()
    'Precision-recall curve'
    """
    from sklearn.metrics import PrecisionRecallDisplay

    y, classes, proba = _proba_columns(model, X, y)
    given = ax
    fig, axes = _new_figure(figsize, dpi, ax=ax)
    ax = axes[0, 0]
    for k, label, name in _one_vs_rest(classes):
        PrecisionRecallDisplay.from_predictions(y == label, proba[:, k], name=name, ax=ax)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("Precision-recall curve")
    _legend_outside(ax)
    _layout(fig, given)
    return _finish(fig, path)


def plot_calibration(model, X, y, *, n_bins: int = 10, path=None, figsize=(7.0, 6.0), dpi: int | None = None, ax=None):
    """Reliability diagram: mean predicted probability against the observed frequency, per bin, with the
    number of rows in each bin (a histogram below, and next to each point).

    Parameters
    ----------
    model : LogisticRegression
    X, y : array-like
    n_bins : int, default=10
        Bins of equal width on [0, 1].
    path : str or path-like, optional
    figsize : (float, float)
    dpi : int, optional
    ax : pair of matplotlib.axes.Axes, optional
        Draw the diagram into ``ax[0]`` and the bin counts into ``ax[1]`` instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from oneuron import LogisticRegression, plots
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = LogisticRegression(solver="lbfgs", max_iter=50).fit(X[:, :3], y)
    >>> fig = plots.plot_calibration(model, X[:, :3], y)
    >>> fig.axes[1].get_ylabel()
    'rows per bin'
    """
    from sklearn.calibration import calibration_curve

    y, classes, proba = _proba_columns(model, X, y)
    given = ax
    if ax is None:
        Figure = require("matplotlib.figure", "plotting", "plots").Figure
        fig = Figure(figsize=figsize, dpi=dpi or DEFAULT_DPI)
        ax, ax_n = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    else:
        fig, axes = _new_figure(figsize, dpi, 2, 1, ax=ax)
        ax, ax_n = axes[0, 0], axes[1, 0]
    ax.plot([0, 1], [0, 1], linestyle="--", color="gray", label="perfectly calibrated")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    curves = _one_vs_rest(classes)
    width = (edges[1] - edges[0]) / len(curves)
    for i, (k, label, name) in enumerate(curves):
        observed, predicted = calibration_curve(y == label, proba[:, k], n_bins=n_bins, strategy="uniform")
        counts = np.histogram(proba[:, k], bins=edges)[0]
        (line,) = ax.plot(predicted, observed, marker="o", label=name)
        for px, py, n in zip(predicted, observed, counts[counts > 0], strict=False):
            ax.annotate(f"{n}", (px, py), textcoords="offset points", xytext=(4, -9), fontsize="x-small",
                        color=line.get_color())  # fmt: skip
        ax_n.bar(edges[:-1] + i * width, counts, width=width, align="edge", color=line.get_color(), alpha=0.7)
    ax.set_ylabel("fraction of positives")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    _legend_outside(ax)
    ax.set_title("Calibration (numbers: rows per bin)")
    ax_n.set_xlabel("mean predicted probability")
    ax_n.set_ylabel("rows per bin")
    ax_n.set_xlim(0, 1)
    _layout(fig, given)
    return _finish(fig, path)


def plot_confusion_matrix(
    model, X, y, *, normalize: str | None = None, path=None, figsize=(5.0, 4.5), dpi: int | None = None, ax=None
):
    """Confusion matrix of ``model`` on ``(X, y)`` (rows: true class, columns: predicted class).

    Parameters
    ----------
    normalize : {"true", "pred", "all"}, optional
        As :func:`sklearn.metrics.confusion_matrix`.
    ax : matplotlib.axes.Axes, optional
        Draw into this Axes (of a figure of your own) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from oneuron import LogisticRegression, plots
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(solver="lbfgs").fit(X, y)
    >>> plots.plot_confusion_matrix(model, X, y).axes[0].get_title()
    'Confusion matrix'
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    y = np.asarray(y)
    given = ax
    fig, axes = _new_figure(figsize, dpi, ax=ax)
    ConfusionMatrixDisplay.from_predictions(
        y, model.predict(X), labels=model.classes_, normalize=normalize, ax=axes[0, 0], colorbar=True
    )
    axes[0, 0].set_title("Confusion matrix")
    _layout(fig, given)
    return _finish(fig, path)


def _summary_of(model):
    """``model.summary()`` when the model offers one (unpenalized or l2 fits with their statistics), else None."""
    if not hasattr(model, "summary"):
        return None
    try:
        return model.summary()
    except (ValueError, AttributeError):  # no statistical table for this model (l1, statistics not kept, ...)
        return None


def _coefficient_rows(model, summary, feature_names):
    """``(names, series)``: the feature names and, per series (a class), ``(label, coef, lower, upper)``; the
    bounds are None without a summary."""
    coef = np.asarray(model.coef_)
    d = coef.shape[1]
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    names = [str(n) for n in feature_names] if feature_names is not None else [f"x{i}" for i in range(d)]
    if len(names) != d:
        raise ValueError(f"feature_names has {len(names)} names for {d} coefficients; pass one name per feature.")
    start = 1 if model.fit_intercept else 0
    if summary is not None:
        table = summary.table
        if summary.reference_class is None:
            t = table.iloc[start:]
            return names, [(None, t["coef"].to_numpy(), t["ci_lower"].to_numpy(), t["ci_upper"].to_numpy())]
        series = []
        for c in table.index.get_level_values("class").unique():
            t = table.xs(c, level="class").iloc[start:]
            label = f"{_name(c)} vs {_name(summary.reference_class)}"
            series.append((label, t["coef"].to_numpy(), t["ci_lower"].to_numpy(), t["ci_upper"].to_numpy()))
        return names, series
    if coef.shape[0] == 1:
        return names, [(None, coef[0], None, None)]
    return names, [(f"class {_name(c)}", coef[k], None, None) for k, c in enumerate(model.classes_)]


def plot_coefficients(
    model,
    *,
    intervals=None,
    feature_names: Sequence[str] | None = None,
    class_index: int | None = None,
    summary=None,
    odds_ratios: bool = False,
    path=None,
    figsize=None,
    dpi: int | None = None,
    ax=None,
):
    """The weights as a dot plot, with confidence intervals whenever a summary has them.

    A multinomial model shows every class, one marker (and colour) per class, labelled in a legend: the
    contrasts against the reference class when its summary is available (as ``summary().table``), else
    each class's row of ``coef_``.

    Parameters
    ----------
    model : LogisticRegression
        A fitted model.
    intervals : array-like (n_features, 2), optional
        Lower and upper bounds per weight (two classes). By default taken from ``summary``.
    feature_names : sequence of str, optional
        Defaults to ``model.feature_names_in_`` or ``x0, x1, ...``.
    class_index : int, optional
        Draw only this series (class) of a multinomial model.
    summary : Summary, optional
        Where the intervals come from (e.g. ``model.summary(cov_type="HC1")``); by default
        ``model.summary()`` when the model has one.
    odds_ratios : bool, default=False
        Draw ``exp(weight)`` (odds ratios; relative risk ratios for a multinomial model) on a log axis, with
        the line of no effect at 1.
    path : str or path-like, optional
    figsize : (float, float), optional
    dpi : int, optional
    ax : matplotlib.axes.Axes, optional
        Draw into this Axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from oneuron import LogisticRegression, plots
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(solver="lbfgs").fit(X, y)
    >>> fig = plots.plot_coefficients(model, odds_ratios=True)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2]
    ['1 vs 0', '2 vs 0']
    """
    summary = _summary_of(model) if summary is None and intervals is None else summary
    names, series = _coefficient_rows(model, summary, feature_names)
    d = len(names)
    if intervals is not None:
        a = np.asarray(intervals, dtype=float)
        if a.shape != (d, 2):
            raise ValueError(f"intervals must have shape ({d}, 2) (lower, upper per weight), got {a.shape}.")
        series = [(series[0][0], series[0][1], a[:, 0], a[:, 1])]
    if class_index is not None:
        series = [series[class_index]]
    has_bounds = series[0][2] is not None
    figsize = figsize or (7.4 if len(series) > 1 else 6.4, max(2.5, 0.28 * d * max(1, len(series) / 2) + 1.2))
    given = ax
    fig, axes = _new_figure(figsize, dpi, ax=ax)
    ax = axes[0, 0]
    transform = np.exp if odds_ratios else (lambda v: v)
    offsets = np.linspace(-0.3, 0.3, len(series)) if len(series) > 1 else [0.0]
    for i, (label, coef, low, high) in enumerate(series):
        pos = np.arange(d)[::-1] + offsets[i]
        c = transform(np.asarray(coef, dtype=float))
        if low is not None:
            lo, hi = transform(np.asarray(low, dtype=float)), transform(np.asarray(high, dtype=float))
            ax.errorbar(c, pos, xerr=[c - lo, hi - c], fmt="o", color=f"C{i}", capsize=3, label=label, markersize=4)
        else:
            ax.plot(c, pos, "o", color=f"C{i}", label=label)
    ax.axvline(1.0 if odds_ratios else 0.0, color="gray", linewidth=0.8)
    if odds_ratios:
        ax.set_xscale("log")
    ax.set_yticks(np.arange(d)[::-1], names, fontsize="small" if d > 20 else None)
    what = "relative risk ratio" if len(series) > 1 and has_bounds else "odds ratio"
    ax.set_xlabel(f"{what} (exp(weight), log scale)" if odds_ratios else "weight")
    level = f" with {100 * (1 - summary.alpha):g}% confidence intervals" if has_bounds and summary is not None else ""
    ax.set_title(
        ("Odds ratios" if odds_ratios else "Coefficients")
        + (level or (" with confidence intervals" if has_bounds else ""))
    )
    if len(series) > 1:
        _legend_outside(ax, title="class")
    _layout(fig, given)
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
    ax=None,
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
    ax : matplotlib.axes.Axes or sequence of Axes, optional
        Draw into these (one per image) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from oneuron import LogisticRegression, plots
    >>> X, y = load_digits(return_X_y=True)
    >>> model = LogisticRegression(solver="lbfgs", max_iter=30).fit(X / 16, y == 2)
    >>> plots.plot_weights_image(model, (8, 8)).axes[0].get_xticks().size
    0
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
    given = ax
    if ax is not None:
        nrows, ncols = 1, n
    fig, axes = _new_figure(figsize, dpi, nrows, ncols, ax=ax)
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
    if given is None:
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
    ax=None,
):
    """A grid of small grayscale images (e.g. the misclassified digits), each with a title.

    Parameters
    ----------
    images : array-like (n, height * width)
    shape : (int, int)
    titles : sequence of str, optional
        One per image.
    ncols : int, default=6
    ax : sequence of matplotlib.axes.Axes, optional
        One Axes per image, instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import plots
    >>> len(plots.plot_images(np.eye(4), (2, 2)).axes)
    4
    """
    images = np.asarray(images, dtype=float).reshape(-1, *shape)
    n = len(images)
    if n == 0:
        raise ValueError("images is empty: nothing to draw.")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    given = ax
    if ax is not None:
        nrows, ncols = 1, n
    fig, axes = _new_figure((1.9 * ncols, 2.2 * nrows + (0.4 if suptitle else 0)), dpi, nrows, ncols, ax=ax)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i < n:
            ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize="small")
    if suptitle and given is None:
        fig.suptitle(suptitle)
    _layout(fig, given)
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
    ax=None,
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
    ax : pair of matplotlib.axes.Axes, optional
        Draw the weights into ``ax[0]`` and the loss into ``ax[1]`` instead of a new figure.

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

    given = ax
    fig, axes = _new_figure(figsize, dpi, 1, 2, ax=ax)
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
    _layout(fig, given)

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
