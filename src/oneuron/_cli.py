"""The ``oneuron`` command: a thin layer over the library.

::

    oneuron train DATA --target COL [--penalty l2|none] [--C C] [--solver S] -o MODEL
    oneuron predict MODEL DATA [-o OUT] [--proba]
    oneuron evaluate MODEL DATA --target COL [--plots DIR] [--json]
    oneuron summary MODEL
    oneuron demo [--output DIR] [--animate]

DATA is a CSV or Parquet file with one row per sample and one column per feature. Exit status: 0 on
success, 2 on bad usage (unknown option, missing file, unknown column), 1 on bad data (empty file, text
columns, a file that is not a model, a fit that fails). Errors are one line on standard error; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")


class UsageError(Exception):
    """The command line is wrong (exit status 2)."""


class DataError(Exception):
    """The files named are unusable (exit status 1)."""


# ----------------------------------------------------------------------------------------------------------
# data files
# ----------------------------------------------------------------------------------------------------------
def read_table(path: str):
    """A CSV or Parquet file as a pandas DataFrame, with errors as :class:`UsageError` / :class:`DataError`."""
    import pandas as pd

    p = Path(path)
    name = p.name.lower()
    if not p.exists():
        raise UsageError(f"DATA file {path!r} does not exist.")
    if p.is_dir():
        raise UsageError(f"DATA {path!r} is a directory; give a CSV or Parquet file.")
    if not name.endswith(CSV_SUFFIXES + PARQUET_SUFFIXES):
        raise UsageError(f"DATA {path!r} must be a CSV (.csv) or Parquet (.parquet) file.")
    if p.stat().st_size == 0:
        raise DataError(f"DATA file {path!r} is empty.")
    try:
        if name.endswith(PARQUET_SUFFIXES):
            df = pd.read_parquet(p)
        else:
            df = pd.read_csv(p, sep="\t" if name.endswith(".tsv") else ",")
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"DATA file {path!r} is empty.") from exc
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        kind = "Parquet" if name.endswith(PARQUET_SUFFIXES) else "CSV"
        raise DataError(f"DATA file {path!r} could not be read as {kind}: {_first_line(exc)}") from exc
    if len(df) == 0:
        raise DataError(f"DATA file {path!r} has no rows.")
    return df


def split_columns(df, path: str, target: str | None, drop: list[str], feature_names=None):
    """``(X, y)`` from a DataFrame: y is the target column (None without one), X the numeric features.

    Text and categorical feature columns are refused with the way to encode them.
    """
    for col in [c for c in [target, *drop] if c is not None]:
        if col not in df.columns:
            raise UsageError(f"column {col!r} is not in {path!r}; its columns are: {_list(df.columns)}.")
    y = df[target].to_numpy() if target is not None else None
    if y is not None and df[target].isna().any():
        raise DataError(f"target column {target!r} of {path!r} has missing values; drop those rows first.")
    if feature_names is not None:
        missing = [f for f in feature_names if f not in df.columns]
        if missing:
            raise DataError(f"{path!r} lacks columns the model was trained on: {_list(missing)}.")
        features = df[list(feature_names)]
    else:
        features = df.drop(columns=[c for c in [target, *drop] if c is not None])
    if features.shape[1] == 0:
        raise DataError(f"{path!r} has no feature columns besides the target {target!r}.")
    text = [c for c in features.columns if not _is_numeric(features[c])]
    if text:
        first = text[0]
        example = features[first].dropna().iloc[0] if features[first].notna().any() else None
        raise DataError(
            f"column {first!r} of {path!r} holds text (e.g. {example!r}); oneuron needs numbers: encode "
            f"{_list(text)} first (one column per category, e.g. pandas.get_dummies(df, columns={text!r}), "
            "or map each category to a number), or leave them out with --drop."
        )
    return features.astype(np.float64), y


def _is_numeric(column) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def _list(items, limit: int = 12) -> str:
    items = [str(i) for i in items]
    return ", ".join(items[:limit]) + (f", ... ({len(items)} in all)" if len(items) > limit else "")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _check_output(path: str, **inputs) -> None:
    from oneuron._paths import SamePathError, refuse_inputs

    try:
        refuse_inputs(path, inputs)
    except SamePathError as exc:
        raise UsageError(f"cannot write {path!r}: {exc}") from exc
    parent = Path(path).parent
    if not parent.is_dir():
        raise UsageError(f"cannot write {path!r}: directory {str(parent)!r} does not exist.")
    if Path(path).is_dir():
        raise UsageError(f"cannot write {path!r}: it is a directory; give a file name.")


def load_model(path: str):
    from oneuron._persist import ModelFileError, load

    p = Path(path)
    if not p.exists():
        raise UsageError(f"MODEL file {path!r} does not exist.")
    if p.is_dir():
        raise UsageError(f"MODEL {path!r} is a directory; give a file written by 'oneuron train'.")
    try:
        return load(p)
    except ModelFileError as exc:
        raise DataError(str(exc)) from exc


# ----------------------------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------------------------
def cmd_train(args) -> int:
    from oneuron import LogisticRegression
    from oneuron._persist import save
    from oneuron._progress import is_terminal

    df = read_table(args.data)
    _check_output(args.output, DATA=args.data)
    X, y = split_columns(df, args.data, args.target, args.drop)
    verbose = 1 if (not args.quiet and is_terminal(sys.stderr)) else 0  # a progress bar, only in a terminal
    model = LogisticRegression(
        penalty=None if args.penalty == "none" else args.penalty,
        C=args.C,
        solver=args.solver,
        tol=args.tol,
        max_iter=args.max_iter,
        verbose=verbose,
    )
    try:
        model.fit(X, y)
    except ValueError as exc:
        raise DataError(f"cannot fit {args.data!r}: {_first_line(exc)}") from exc
    save(model, args.output)
    accuracy = float(np.mean(model.predict(X) == y))
    if not args.quiet:
        print(
            f"trained on {len(y)} rows x {X.shape[1]} features, classes {_list(model.classes_)}: "
            f"solver {model.solver_}, {int(model.n_iter_[0])} iterations, training accuracy {accuracy:.4f}; "
            f"wrote {args.output}"
        )
    return EXIT_OK


def _features_for(model, df, path: str, drop: list[str], target: str | None = None):
    names = getattr(model, "feature_names_in_", None)
    X, y = split_columns(df, path, target, drop, feature_names=None if names is None else list(names))
    if X.shape[1] != model.n_features_in_:
        raise DataError(f"{path!r} has {X.shape[1]} feature columns, the model expects {model.n_features_in_}.")
    return (X if names is not None else X.to_numpy()), y


def cmd_predict(args) -> int:
    import pandas as pd

    model = load_model(args.model)
    df = read_table(args.data)
    if args.output is not None:
        _check_output(args.output, MODEL=args.model, DATA=args.data)
    X, _ = _features_for(model, df, args.data, args.drop)
    try:
        out = pd.DataFrame({"prediction": model.predict(X)})
        if args.proba:
            proba = model.predict_proba(X)
            for k, c in enumerate(model.classes_):
                out[f"proba_{c}"] = proba[:, k]
    except ValueError as exc:
        raise DataError(f"cannot predict {args.data!r}: {_first_line(exc)}") from exc
    if args.output is None:
        out.to_csv(sys.stdout, index=False)
    else:  # all at once: a reader never sees half a file, and Ctrl-C leaves the previous one
        from oneuron._paths import atomic_write

        parquet = str(args.output).lower().endswith(PARQUET_SUFFIXES)
        atomic_write(
            args.output, lambda tmp: out.to_parquet(tmp, index=False) if parquet else out.to_csv(tmp, index=False)
        )
    return EXIT_OK


def evaluate_metrics(model, X, y) -> dict:
    """Accuracy, log-loss, ROC AUC, precision, recall, F1 and the confusion matrix of ``model`` on ``(X, y)``.

    Binary models report precision/recall/F1 of the second class (``classes_[1]``), multinomial ones their
    macro average over classes; ROC AUC is one-vs-rest (macro) with more than two classes.
    """
    from sklearn import metrics

    classes = model.classes_
    unknown = sorted({str(v) for v in np.unique(y)} - {str(c) for c in classes})
    if unknown:
        raise DataError(f"the target has labels the model never saw: {_list(unknown)}.")
    proba = model.predict_proba(X)
    predicted = model.predict(X)
    binary = len(classes) == 2
    average = {"average": "binary", "pos_label": classes[1]} if binary else {"average": "macro"}
    result = {
        "n_samples": len(y),
        "accuracy": metrics.accuracy_score(y, predicted),
        "log_loss": metrics.log_loss(y, proba, labels=classes),
        "roc_auc": None,
        "precision": metrics.precision_score(y, predicted, zero_division=0, **average),
        "recall": metrics.recall_score(y, predicted, zero_division=0, **average),
        "f1": metrics.f1_score(y, predicted, zero_division=0, **average),
        "classes": [c.item() if isinstance(c, np.generic) else c for c in classes],
        "confusion_matrix": metrics.confusion_matrix(y, predicted, labels=classes).tolist(),
    }
    if len(np.unique(y)) == len(classes):  # AUC needs every class present
        if binary:
            result["roc_auc"] = metrics.roc_auc_score(y == classes[1], proba[:, 1])
        else:
            result["roc_auc"] = metrics.roc_auc_score(y, proba, multi_class="ovr", labels=classes)
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in result.items()}


def _format_metrics(m: dict) -> str:
    lines = [f"{'samples':<10} {m['n_samples']}"]
    for key in ("accuracy", "log_loss", "roc_auc", "precision", "recall", "f1"):
        value = m[key]
        lines.append(f"{key:<10} {'n/a (a class is missing)' if value is None else f'{value:.6f}'}")
    labels = [str(c) for c in m["classes"]]
    width = max(len(s) for s in labels + [str(v) for row in m["confusion_matrix"] for v in row]) + 2
    lines.append("confusion matrix (rows: true class, columns: predicted class)")
    lines.append(" " * width + "".join(f"{s:>{width}}" for s in labels))
    for label, row in zip(labels, m["confusion_matrix"], strict=True):
        lines.append(f"{label:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


def cmd_evaluate(args) -> int:
    model = load_model(args.model)
    df = read_table(args.data)
    X, y = _features_for(model, df, args.data, args.drop, target=args.target)
    try:
        m = evaluate_metrics(model, X, y)
    except ValueError as exc:
        raise DataError(f"cannot evaluate on {args.data!r}: {_first_line(exc)}") from exc
    print(json.dumps(m, indent=1) if args.json else _format_metrics(m))
    if args.plots:
        written = write_evaluation_plots(model, X, y, args.plots)
        if not args.json:
            print(f"plots written to {args.plots}: {', '.join(p.name for p in written)}")
    return EXIT_OK


def write_evaluation_plots(model, X, y, directory) -> list[Path]:
    """ROC, precision-recall, calibration, confusion matrix and (when recorded) loss curve as PNGs."""
    from oneuron import plots

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    figures = {
        "roc.png": lambda p: plots.plot_roc(model, X, y, path=p),
        "precision_recall.png": lambda p: plots.plot_precision_recall(model, X, y, path=p),
        "calibration.png": lambda p: plots.plot_calibration(model, X, y, path=p),
        "confusion_matrix.png": lambda p: plots.plot_confusion_matrix(model, X, y, path=p),
        "coefficients.png": lambda p: plots.plot_coefficients(model, path=p),
    }
    if getattr(model, "loss_curve_", None):
        figures["loss_curve.png"] = lambda p: plots.plot_loss_curve(model, path=p)
    written = []
    for name, draw in figures.items():
        draw(out / name)
        written.append(out / name)
    return written


def cmd_summary(args) -> int:
    model = load_model(args.model)
    print(f"{type(model).__name__}: classes {_list(model.classes_)}, {model.n_features_in_} features, "
          f"penalty={model.penalty!r}, C={model.C!r}, solver {getattr(model, 'solver_', '?')}, "
          f"{int(model.n_iter_[0])} iterations")  # fmt: skip
    table = None
    if hasattr(model, "summary"):
        try:
            table = model.summary()
        except Exception as exc:  # the table needs something this model does not have
            print(f"statistical table not available for this model: {_first_line(exc)}")
    else:
        print("statistical table not available: this version of oneuron has no model.summary().")
    if table is not None:
        print(table)
        return EXIT_OK
    names = getattr(model, "feature_names_in_", None)
    names = [str(n) for n in names] if names is not None else [f"x{i}" for i in range(model.n_features_in_)]
    rows = ["intercept", *names]
    heads = [str(c) for c in model.classes_] if model.coef_.shape[0] > 1 else ["coef"]
    values = np.column_stack([model.intercept_, model.coef_]).T  # (1 + d, K)
    width = max(len(r) for r in rows) + 2
    print(f"{'':<{width}}" + "".join(f"{h:>14}" for h in heads))
    for r, row in zip(rows, values, strict=True):
        print(f"{r:<{width}}" + "".join(f"{v:>14.6g}" for v in row))
    return EXIT_OK


def cmd_demo(args) -> int:
    from oneuron import _demo as demo

    demo.main(output_dir=None if args.no_plots else args.output, animate=args.animate)
    return EXIT_OK


def cmd_demo_cluster(args) -> int:
    from oneuron import _demo_cluster as demo_cluster

    demo_cluster.main(args.n_samples, args.n_features, args.workers)
    return EXIT_OK


# ----------------------------------------------------------------------------------------------------------
# parser
# ----------------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``oneuron`` command."""
    from oneuron._version import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback on errors"
    )
    parser = argparse.ArgumentParser(
        prog="oneuron",
        description="Logistic regression as one neuron: train, predict, evaluate, inspect.",
        epilog="Exit status: 0 success, 1 bad data, 2 bad usage. DATA files: CSV (.csv, .tsv) or Parquet.",
    )
    parser.add_argument("--version", action="version", version=f"oneuron {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser("train", parents=[common], help="fit a model on a CSV/Parquet file and save it")
    train.add_argument("data", metavar="DATA", help="training data (CSV or Parquet), one row per sample")
    train.add_argument("--target", "-t", required=True, metavar="COL", help="column holding the labels")
    train.add_argument("--output", "-o", required=True, metavar="MODEL", help="model file to write")
    train.add_argument("--penalty", choices=["l2", "none"], default="l2", help="penalty on the weights")
    train.add_argument("--C", type=_positive_float, default=1.0, help="inverse penalty strength (default 1)")
    train.add_argument(
        "--solver", choices=["auto", "gd", "lbfgs", "newton"], default="auto", help="optimizer (default auto)"
    )
    train.add_argument("--tol", type=_positive_float, default=1e-4, help="stopping tolerance (default 1e-4)")
    train.add_argument("--max-iter", type=int, default=None, help="iteration cap")
    train.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no report")
    _add_drop(train)
    train.set_defaults(func=cmd_train)

    predict = sub.add_parser("predict", parents=[common], help="predict the class of each row of DATA")
    predict.add_argument("model", metavar="MODEL", help="model file written by 'oneuron train'")
    predict.add_argument("data", metavar="DATA", help="CSV or Parquet file with the model's feature columns")
    predict.add_argument("--output", "-o", metavar="OUT", help="write CSV or Parquet here (default: stdout)")
    predict.add_argument("--proba", action="store_true", help="also write each class's probability")
    _add_drop(predict)
    predict.set_defaults(func=cmd_predict)

    evaluate = sub.add_parser("evaluate", parents=[common], help="score a model on labelled data")
    evaluate.add_argument("model", metavar="MODEL", help="model file written by 'oneuron train'")
    evaluate.add_argument("data", metavar="DATA", help="CSV or Parquet file with features and the target")
    evaluate.add_argument("--target", "-t", required=True, metavar="COL", help="column holding the labels")
    evaluate.add_argument("--plots", metavar="DIR", help="also write ROC, PR, calibration, ... PNGs here")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    _add_drop(evaluate)
    evaluate.set_defaults(func=cmd_evaluate)

    summary = sub.add_parser("summary", parents=[common], help="print a model's coefficients / statistics")
    summary.add_argument("model", metavar="MODEL", help="model file written by 'oneuron train'")
    summary.set_defaults(func=cmd_summary)

    demo = sub.add_parser("demo", parents=[common], help="run the lesson's experiment (digits: is it a 2?)")
    demo.add_argument("--output", "-o", default="demo_output", metavar="DIR", help="where figures go")
    demo.add_argument("--no-plots", action="store_true", help="print only, write no figures")
    demo.add_argument("--animate", action="store_true", help="also write the training as an animation (GIF)")
    demo.set_defaults(func=cmd_demo)

    cluster = sub.add_parser("demo-cluster", parents=[common], help="fit on generated data on a local Dask cluster")
    cluster.add_argument("--n-samples", type=int, default=1_000_000, help="rows generated (default 1,000,000)")
    cluster.add_argument("--n-features", type=int, default=20, help="features generated (default 20)")
    cluster.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    cluster.set_defaults(func=cmd_demo_cluster)
    return parser


def _add_drop(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--drop", action="append", default=[], metavar="COL", help="leave a column out (repeatable), e.g. an id"
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``oneuron`` command; returns the exit status (0 ok, 1 bad data, 2 bad usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or argparse's own usage error (status 2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `oneuron predict ... | head`: the reader left, nothing is wrong
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the final flush at exit does not fail again
        return 141
    except (UsageError, DataError, ValueError, OSError) as exc:
        if args.debug:
            raise
        status = EXIT_USAGE if isinstance(exc, UsageError) else EXIT_DATA
        print(f"oneuron {args.command}: error: {_first_line(exc)}", file=sys.stderr)
        return status
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"oneuron {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
