"""The ``oneuron`` command: a thin layer over the library.

::

    oneuron train DATA --target COL [--penalty l2|l1|elasticnet|firth|none] [--C C] [--l1-ratio R]
                  [--class-weight balanced|LABEL:W,...] [--solver S] -o MODEL
    oneuron predict MODEL DATA [-o OUT] [--proba] [--id COL]
    oneuron evaluate MODEL DATA --target COL [--plots DIR] [--json]
    oneuron train DATA --formula "y ~ x1 + C(group)" -o MODEL
    oneuron summary MODEL [DATA --target COL] [--cov-type T] [--groups COL] [--odds-ratios]
    oneuron demo [--output DIR] [--animate]

DATA is a CSV or Parquet file, or a directory of them, with one row per sample and one column per feature.
It is read in batches of rows (``--batch-rows``): ``train`` fits on the stream (one pass per evaluation of
the objective), ``predict`` writes its output batch by batch, ``evaluate`` keeps one probability per row
and class. Exit status: 0 on success, 2 on bad usage (unknown option, missing file, unknown or missing
column, a missing optional dependency), 1 on bad data (empty file, text or missing values, a file that is
not a model, a fit that fails). Errors are one line on standard error; ``--debug`` shows the traceback.

Only the standard library is imported at module level: ``oneuron --help`` and ``--version`` load neither
NumPy nor scikit-learn.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from oneuron._optional import MissingDependencyError

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
#: rows read at a time; the file sources' default (``oneuron.data._files.DEFAULT_BATCH_ROWS``)
DEFAULT_BATCH_ROWS = 65_536
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")


class UsageError(Exception):
    """The command line is wrong (exit status 2)."""


class DataError(Exception):
    """The files named are unusable (exit status 1)."""


# ----------------------------------------------------------------------------------------------------------
# data files, read in batches of rows
# ----------------------------------------------------------------------------------------------------------
class Table:
    """A CSV or Parquet file, or a directory of them, read with pyarrow in batches of ``batch_rows`` rows.

    Errors are :class:`UsageError` (a path that is missing or of the wrong kind) or :class:`DataError` (a file
    that cannot be read). ``types`` maps each column name to its pyarrow type (from the first file).
    """

    def __init__(self, path: str, batch_rows: int = DEFAULT_BATCH_ROWS):
        self.path, self.batch_rows = path, batch_rows
        p = Path(path)
        if not p.exists():
            raise UsageError(f"DATA {path!r} does not exist.")
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(PARQUET_SUFFIXES))
            csvs = sorted(str(f) for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(CSV_SUFFIXES))
            if found and csvs:
                raise UsageError(f"DATA directory {path!r} holds both CSV and Parquet files; keep one kind.")
            if not found and not csvs:
                raise UsageError(f"DATA directory {path!r} holds no CSV (.csv) or Parquet (.parquet) files.")
            self.kind, self.paths = ("parquet", found) if found else ("csv", csvs)
        else:
            name = p.name.lower()
            if not name.endswith(CSV_SUFFIXES + PARQUET_SUFFIXES):
                raise UsageError(f"DATA {path!r} must be a CSV (.csv) or Parquet (.parquet) file, or a directory.")
            self.kind, self.paths = ("parquet" if name.endswith(PARQUET_SUFFIXES) else "csv"), [str(p)]
        for f in self.paths:
            if Path(f).stat().st_size == 0:
                raise DataError(f"DATA file {f!r} is empty.")
        self.delimiter = "\t" if self.kind == "csv" and self.paths[0].lower().endswith(".tsv") else ","
        with self._reading():
            if self.kind == "parquet":
                import pyarrow.parquet as pq

                schema = pq.read_schema(self.paths[0])
            else:
                import pyarrow.csv as pcsv

                with pcsv.open_csv(self.paths[0], parse_options=self._parse_options()) as reader:
                    schema = reader.schema
        # pandas writes its index into Parquet as __index_level_N__ columns: not data
        self.types = {f.name: f.type for f in schema if not _PANDAS_INDEX.fullmatch(f.name)}
        if len(set(schema.names)) != len(schema.names):
            raise DataError(f"DATA {path!r} has two columns of the same name; rename one.")

    def _parse_options(self):
        import pyarrow.csv as pcsv

        return pcsv.ParseOptions(delimiter=self.delimiter)

    def _reading(self):
        return _Reading(self.path, "Parquet" if self.kind == "parquet" else "CSV")

    @property
    def columns(self) -> list[str]:
        return list(self.types)

    def require_columns(self, names) -> None:
        """UsageError (exit 2) naming the columns of ``names`` that DATA lacks."""
        missing = [c for c in names if c not in self.types]
        if missing:
            what = f"column {missing[0]!r} is" if len(missing) == 1 else f"columns {_list(map(repr, missing))} are"
            raise UsageError(f"{what} not in {self.path!r}; its columns are: {_list(self.columns)}.")

    def require_numeric(self, features: list[str]) -> None:
        """DataError naming the text columns among ``features``, with the ways to encode them."""
        import pyarrow as pa

        def numeric(t) -> bool:
            return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_null(t)

        text = [c for c in features if not numeric(self.types[c])]
        if text:
            first = text[0]
            example = self.first_value(first)
            raise DataError(
                f"column {first!r} of {self.path!r} holds text{f' (e.g. {example!r})' if example else ''}; "
                f"oneuron needs numbers: encode {_list(text)} first (one column per category, e.g. "
                f"pandas.get_dummies(df, columns={text!r}), or map each category to a number), or leave them out "
                "with --drop."
            )

    def require_rows(self) -> None:
        """DataError when no file holds a row."""
        if not any(batch.num_rows for batch in self._first_batches()):
            raise DataError(f"DATA {self.path!r} has no rows.")

    def _first_batches(self):
        for path in self.paths:
            for batch in self._file_batches(path, None, {}):
                yield batch
                break

    def first_value(self, column: str):
        for path in self.paths:
            for batch in self._file_batches(path, [column], {}):
                values = batch.column(0).drop_null()
                if len(values):
                    return values[0].as_py()
        return None

    def batches(self, columns: list[str], floats=()):
        """pyarrow RecordBatches of ``columns`` (those in ``floats`` read as float64 from CSV), in file order."""
        import pyarrow as pa

        types = {c: pa.float64() for c in floats}
        for path in self.paths:
            yield from self._file_batches(path, columns, types)

    def _file_batches(self, path: str, columns, csv_types: dict):
        with self._reading():
            if self.kind == "parquet":
                import pyarrow.parquet as pq

                with pq.ParquetFile(path, pre_buffer=False) as f:
                    yield from f.iter_batches(batch_size=self.batch_rows, columns=columns, use_threads=True)
                return
            import pyarrow.csv as pcsv

            convert = pcsv.ConvertOptions(include_columns=columns or [], column_types=csv_types)
            block = int(min(2**30, max(2**16, self.batch_rows * 20 * (len(columns or self.types) + 1))))
            read = pcsv.ReadOptions(block_size=block, use_threads=True)
            with pcsv.open_csv(
                path, read_options=read, parse_options=self._parse_options(), convert_options=convert
            ) as r:
                for batch in r:
                    for start in range(0, batch.num_rows, self.batch_rows):
                        yield batch.slice(start, self.batch_rows)

    def frame(self):
        """The whole table as a pandas DataFrame (for formulas, which encode a DataFrame)."""
        import pyarrow as pa

        return pa.Table.from_batches(list(self.batches(self.columns))).to_pandas()

    def source(self, target: str, features: list[str]):
        """The library's file source (``oneuron.data.parquet`` / ``csv``) of ``features`` and ``target``.

        Its batches are checked for NaN and infinity (the columns are named in the error).
        """
        with self._reading():
            cls = _finite_source_class(self.kind)
            options = {} if self.kind == "parquet" else {"delimiter": self.delimiter}
            try:
                return cls(self.paths, target=target, features=features, batch_rows=self.batch_rows, **options)
            except ValueError as exc:
                raise DataError(f"cannot use {self.path!r}: {_first_line(exc)}") from exc


class _Reading:
    """Context: pyarrow's read errors become one-line DataErrors naming the data."""

    def __init__(self, path: str, kind: str):
        self.path, self.kind = path, kind

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, (UsageError, DataError, MissingDependencyError, GeneratorExit)):
            return False
        import pyarrow as pa

        if isinstance(exc, (pa.ArrowException, OSError)) and not isinstance(exc, BrokenPipeError):
            raise DataError(f"DATA {self.path!r} could not be read as {self.kind}: {_first_line(exc)}") from exc
        return False


def _finite_source_class(kind: str):
    """ParquetSource or CSVSource whose feature columns must hold finite numbers (errors name the columns)."""
    from oneuron.data._files import CSVSource, ParquetSource

    base = ParquetSource if kind == "parquet" else CSVSource

    class FiniteSource(base):
        def _split_batch(self, batch, path, first_row: int, labels: bool = True):
            require_finite(batch, self.features, path)
            return super()._split_batch(batch, path, first_row, labels)

    return FiniteSource


def require_finite(batch, features: list[str], where: str) -> None:
    """DataError naming the columns of a pyarrow batch that hold missing, NaN or infinite values, with the fix."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def bad(column) -> bool:
        if column.null_count:
            return True
        return pa.types.is_floating(column.type) and not pc.all(pc.is_finite(column)).as_py()

    columns = [c for c in features if bad(batch.column(c))]
    if columns:
        raise DataError(
            f"column{'s' if len(columns) > 1 else ''} {_list(columns)} of {where!r} hold missing, NaN or infinite "
            "values: impute them (e.g. with the column's mean) or drop those rows first (e.g. pandas' dropna), "
            "or leave the columns out with --drop."
        )


def feature_matrix(batch, features: list[str], where: str):
    """float64 (rows, features) array of a pyarrow batch; missing, NaN or infinite values are a DataError."""
    import numpy as np

    require_finite(batch, features, where)
    X = np.empty((batch.num_rows, len(features)), dtype=np.float64)
    for j, c in enumerate(features):
        X[:, j] = batch.column(c).to_numpy(zero_copy_only=False)
    return X


def model_input(model, batch, features: list[str], where: str):
    """What the model predicts from: a float64 matrix, or for a formula model the batch as a DataFrame."""
    if getattr(model, "formula_", None) is not None:
        return batch.select(features).to_pandas()
    return feature_matrix(batch, features, where)


def numeric(model, features: list[str]) -> list[str]:
    """The columns read as float64 (a formula model's columns keep their types: categories are text)."""
    return [] if getattr(model, "formula_", None) is not None else features


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


def model_features(model, table: Table, drop: list[str], also: list[str] = ()) -> list[str]:
    """The columns of ``table`` the model reads, in its order: by name when it knows them, else by position
    (a formula model: every column but ``drop`` and ``also``; its formula picks and encodes them)."""
    names = getattr(model, "feature_names_in_", None)
    table.require_columns(drop)
    if getattr(model, "formula_", None) is not None:
        return [c for c in table.columns if c not in (*drop, *also)]
    if names is not None:
        features = [str(n) for n in names]
        table.require_columns(features)
    else:
        features = [c for c in table.columns if c not in (*drop, *also)]
        if len(features) != model.n_features_in_:
            raise UsageError(
                f"{table.path!r} has {len(features)} feature columns, the model expects {model.n_features_in_} "
                "(it was fitted without column names: leave the other columns out with --drop)."
            )
    table.require_numeric(features)
    return features


# ----------------------------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------------------------
def parse_class_weight(text: str | None, classes):
    """``None``, ``"balanced"`` or ``"LABEL:WEIGHT,LABEL:WEIGHT"`` -> the estimator's ``class_weight``."""
    if text is None or text == "balanced":
        return text
    by_name = {str(c): c for c in classes}
    weights = {}
    for item in text.split(","):
        label, sep, value = item.rpartition(":")
        if not sep or label not in by_name:
            raise UsageError(
                f"--class-weight {text!r}: give 'balanced' or LABEL:WEIGHT pairs separated by commas, with labels "
                f"among the classes {_list(by_name)}."
            )
        try:
            weights[by_name[label]] = float(value)
        except ValueError:
            raise UsageError(f"--class-weight: {value!r} (the weight of {label!r}) is not a number.") from None
    return weights


def _penalty_options(args) -> dict:
    """The estimator parameters of ``--penalty`` in scikit-learn 1.9's terms (``l1_ratio``; no penalty is
    ``C=inf``), so that the command line gives no deprecation warning."""
    options = {
        "none": {"C": float("inf")},
        "l2": {"C": args.C, "l1_ratio": 0.0},
        "l1": {"C": args.C, "l1_ratio": 1.0},
        "elasticnet": {"C": args.C, "l1_ratio": args.l1_ratio},
        "firth": {"C": args.C, "penalty": "firth"},
    }
    return options[args.penalty]


def cmd_train(args) -> int:
    from oneuron._estimator import LogisticRegression
    from oneuron._external import batch_predictor
    from oneuron._persist import save
    from oneuron._progress import is_terminal

    formula = getattr(args, "formula", None)
    if (formula is None) == (args.target is None):
        raise UsageError("give either --target COL or --formula 'y ~ terms' (the formula names the target).")
    args.penalty = args.penalty or ("none" if formula else "l2")
    if (args.penalty == "elasticnet") != (args.l1_ratio is not None):
        raise UsageError("--l1-ratio goes with --penalty elasticnet, and --penalty elasticnet needs --l1-ratio.")
    table = Table(args.data, args.batch_rows)
    _check_output(args.output, DATA=args.data)
    verbose = 1 if (not args.quiet and is_terminal(sys.stderr)) else 0  # a progress bar, only in a terminal
    params = dict(**_penalty_options(args), solver=args.solver, tol=args.tol, max_iter=args.max_iter, verbose=verbose)
    if formula is not None:  # formulaic encodes a DataFrame: the table is read into memory
        from oneuron._formula import logit

        table.require_columns(args.drop)
        table.require_rows()
        df = table.frame()
        try:
            model = logit(formula, df.drop(columns=args.drop), context={}, **params)
            _, y, _, rows = model.formula_.model_data(df)
        except (ValueError, KeyError) as exc:
            raise DataError(f"cannot fit {formula!r} on {args.data!r}: {_first_line(exc)}") from exc
        save(model, args.output)
        n_rows, accuracy = len(y), float((model.predict(df.loc[rows]) == y).mean())
    else:
        table.require_columns([args.target, *args.drop])
        features = [c for c in table.columns if c not in (args.target, *args.drop)]
        if not features:
            raise DataError(f"{args.data!r} has no feature columns besides the target {args.target!r}.")
        table.require_rows()
        table.require_numeric(features)
        source = table.source(args.target, features)
        model = LogisticRegression(**params, class_weight=parse_class_weight(args.class_weight, source.classes))
        try:
            model.fit(source)
        except ValueError as exc:
            raise DataError(f"cannot fit {args.data!r}: {_first_line(exc)}") from exc
        model.target_name_ = args.target
        save(model, args.output)
        n_rows, accuracy = source.n_samples, None
        if not args.quiet:
            plain, right = batch_predictor(model), 0
            for X_b, y_b, _ in source.batches():  # one more pass: the training accuracy
                right += int((plain.predict(X_b) == source.classes[y_b.astype(int)]).sum())
            accuracy = right / n_rows
    if not args.quiet:
        print(
            f"trained on {n_rows} rows x {model.n_features_in_} features, classes {_list(model.classes_)}: "
            f"solver {model.solver_}, {int(model.n_iter_[0])} iterations, training accuracy {accuracy:.4f}; "
            f"wrote {args.output}"
        )
    return EXIT_OK


class PredictionWriter:
    """Writes prediction batches (pyarrow tables) to a Parquet file, a CSV file or standard output, as they come."""

    def __init__(self, output: str | None):
        self.output = output
        self.parquet = output is not None and output.lower().endswith(PARQUET_SUFFIXES)
        self._writer = self._file = None
        self._schema = None

    def write(self, table) -> None:
        if self._schema is None:
            self._schema = table.schema
            if self.parquet:
                import pyarrow.parquet as pq

                self._writer = pq.ParquetWriter(self.output, self._schema)
            else:
                self._file = sys.stdout if self.output is None else open(self.output, "w", newline="")
            header = True
        else:
            table, header = table.cast(self._schema), False  # a later file may type an id column differently
        if self.parquet:
            self._writer.write_table(table)
        else:
            table.to_pandas().to_csv(self._file, header=header, index=False)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._file is not None and self._file is not sys.stdout:
            self._file.close()


def cmd_predict(args) -> int:
    import numpy as np
    import pyarrow as pa

    from oneuron._external import batch_predictor

    model = load_model(args.model)
    table = Table(args.data, args.batch_rows)
    if args.output is not None:
        _check_output(args.output, MODEL=args.model, DATA=args.data)
    table.require_columns(args.id)
    features = model_features(model, table, args.drop, also=args.id)
    out_names = ["prediction", *(f"proba_{c}" for c in model.classes_)] if args.proba else ["prediction"]
    clash = [c for c in args.id if c in out_names]
    if clash:
        raise UsageError(f"--id {clash[0]!r} has the name of an output column; rename it first.")
    table.require_rows()
    plain = batch_predictor(model)

    def write_all(destination):
        writer = PredictionWriter(destination)
        try:
            for batch in table.batches(list(dict.fromkeys([*args.id, *features])), floats=numeric(model, features)):
                X = model_input(model, batch, features, args.data)
                columns = {c: batch.column(c) for c in args.id}
                try:
                    columns["prediction"] = pa.array(plain.predict(X))
                    if args.proba:
                        proba = plain.predict_proba(X)
                        for k, c in enumerate(model.classes_):
                            columns[f"proba_{c}"] = pa.array(np.ascontiguousarray(proba[:, k]))
                except ValueError as exc:
                    raise DataError(f"cannot predict {args.data!r}: {_first_line(exc)}") from exc
                writer.write(pa.table(columns))
        finally:
            writer.close()

    if args.output is None:
        write_all(None)
    else:  # batch by batch into a temporary file, moved over the output once complete: never half a file
        from oneuron._paths import atomic_write

        atomic_write(args.output, write_all)
    return EXIT_OK


def evaluate_metrics(classes, y_index, proba) -> dict:
    """Accuracy, log-loss, ROC AUC, precision, recall, F1 and the confusion matrix from probabilities.

    ``y_index`` holds the true class of each row as an index into ``classes``, ``proba`` the predicted
    probabilities (n, K). Binary models report precision/recall/F1 of the positive class (``classes[1]``),
    multinomial ones their macro average over classes (``"average"`` says which); ROC AUC is one-vs-rest
    (macro) with more than two classes, and None when a class is missing from the data.
    """
    import numpy as np
    from sklearn import metrics

    K = len(classes)
    labels = np.arange(K)
    predicted = proba.argmax(axis=1)
    binary = K == 2
    average = {"average": "binary", "pos_label": 1} if binary else {"average": "macro", "labels": labels}
    result = {
        "n_samples": len(y_index),
        "accuracy": metrics.accuracy_score(y_index, predicted),
        "log_loss": metrics.log_loss(y_index, proba, labels=labels),
        "roc_auc": None,
        "precision": metrics.precision_score(y_index, predicted, zero_division=0, **average),
        "recall": metrics.recall_score(y_index, predicted, zero_division=0, **average),
        "f1": metrics.f1_score(y_index, predicted, zero_division=0, **average),
        "average": f"positive class {_plain(classes[1])!r}" if binary else f"macro average over {K} classes",
        "classes": [_plain(c) for c in classes],
        "confusion_matrix": metrics.confusion_matrix(y_index, predicted, labels=labels).tolist(),
    }
    if len(np.unique(y_index)) == K:  # AUC needs every class present
        if binary:
            result["roc_auc"] = metrics.roc_auc_score(y_index, proba[:, 1])
        else:
            result["roc_auc"] = metrics.roc_auc_score(y_index, proba, multi_class="ovr", labels=labels)
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in result.items()}


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _format_metrics(m: dict) -> str:
    lines = [f"{'samples':<10} {m['n_samples']}"]
    for key in ("accuracy", "log_loss", "roc_auc", "precision", "recall", "f1"):
        value = m[key]
        text = "n/a (a class is missing)" if value is None else f"{value:.6f}"
        if key in ("precision", "recall", "f1"):
            text += f"  ({m['average']})"
        lines.append(f"{key:<10} {text}")
    labels = [str(c) for c in m["classes"]]
    width = max(len(s) for s in labels + [str(v) for row in m["confusion_matrix"] for v in row]) + 2
    lines.append("confusion matrix (rows: true class, columns: predicted class)")
    lines.append(" " * width + "".join(f"{s:>{width}}" for s in labels))
    for label, row in zip(labels, m["confusion_matrix"], strict=True):
        lines.append(f"{label:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


def _class_index(classes, y, where: str):
    """Index of each label of ``y`` in the sorted ``classes``; labels the model never saw are a DataError."""
    import numpy as np

    try:
        index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
        known = classes[index] == y
    except (TypeError, ValueError) as exc:  # e.g. text labels for a model fitted on numbers
        raise DataError(f"the target of {where!r} holds labels of another type than the model's classes "
                        f"({_list(classes)}).") from exc  # fmt: skip
    if not np.all(known):
        raise DataError(f"the target of {where!r} has labels the model never saw: {_list(np.unique(y[~known]))}.")
    return index


def cmd_evaluate(args) -> int:
    import numpy as np

    from oneuron._external import batch_predictor

    model = load_model(args.model)
    table = Table(args.data, args.batch_rows)
    table.require_columns([args.target])
    features = model_features(model, table, args.drop, also=[args.target])
    if args.plots:
        plots_dir = Path(args.plots)
        try:
            plots_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write plots to {args.plots!r}: {exc.strerror or _first_line(exc)}.") from exc
        if not os.access(plots_dir, os.W_OK):
            raise UsageError(f"cannot write plots to {args.plots!r}: the directory is not writable.")
    table.require_rows()
    plain = batch_predictor(model)
    indices, probas = [], []
    for batch in table.batches(list(dict.fromkeys([args.target, *features])), floats=numeric(model, features)):
        if batch.column(args.target).null_count:
            raise DataError(f"target column {args.target!r} of {args.data!r} has missing values; drop those rows.")
        X = model_input(model, batch, features, args.data)
        y = batch.column(args.target).to_numpy(zero_copy_only=False)
        indices.append(_class_index(model.classes_, y, args.data).astype(np.int32))
        try:
            probas.append(plain.predict_proba(X))
        except ValueError as exc:
            raise DataError(f"cannot evaluate on {args.data!r}: {_first_line(exc)}") from exc
    y_index, proba = np.concatenate(indices), np.concatenate(probas)
    m = evaluate_metrics(model.classes_, y_index, proba)
    print(json.dumps(m, indent=1) if args.json else _format_metrics(m))
    if args.plots:
        written = write_evaluation_plots(model, proba, model.classes_[y_index], args.plots)
        if not args.json:
            print(f"plots written to {args.plots}: {', '.join(p.name for p in written)}")
    return EXIT_OK


class _Scored:
    """A fitted model whose probabilities on the evaluation data are already known (for the plots)."""

    def __init__(self, model, proba):
        self._model, self._proba = model, proba

    def __getattr__(self, name):
        return getattr(self._model, name)

    def predict_proba(self, X):
        return self._proba

    def predict(self, X):
        return self._model.classes_[self._proba.argmax(axis=1)]


def write_evaluation_plots(model, proba, y, directory) -> list:
    """ROC, precision-recall, calibration, confusion matrix, coefficients and (when recorded) loss curve PNGs.

    ``proba`` are the model's probabilities for the rows whose labels are ``y``.
    """
    from oneuron import plots

    out, scored = Path(directory), _Scored(model, proba)
    figures = {
        "roc.png": lambda p: plots.plot_roc(scored, None, y, path=p),
        "precision_recall.png": lambda p: plots.plot_precision_recall(scored, None, y, path=p),
        "calibration.png": lambda p: plots.plot_calibration(scored, None, y, path=p),
        "confusion_matrix.png": lambda p: plots.plot_confusion_matrix(scored, None, y, path=p),
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
    import numpy as np

    from oneuron._params import resolve

    model = load_model(args.model)
    print(f"{type(model).__name__}: classes {_list(model.classes_)}, {model.n_features_in_} features, "
          f"penalty={resolve(model, warn=False).penalty!r}, C={model.C!r}, solver {getattr(model, 'solver_', '?')}, "
          f"{int(model.n_iter_[0])} iterations")  # fmt: skip
    formula = getattr(model, "formula_", None)
    if args.data is None and (args.target or args.groups):
        raise UsageError("--target and --groups need a DATA file: oneuron summary MODEL DATA --target COL.")
    if args.cov_type == "cluster" and not args.groups:
        raise UsageError("--cov-type cluster needs --groups COL (and DATA).")
    options = {"cov_type": args.cov_type, "odds_ratios": args.odds_ratios}
    if args.data is None:
        try:
            print(model.summary(**options))  # from the statistics the fit kept
            return EXIT_OK
        except ValueError as exc:
            if args.cov_type != "nonrobust":
                raise DataError(f"cannot compute the statistical table: {_first_line(exc)}") from exc
            print(f"statistical table not available for this model: {_first_line(exc)}")
    else:
        if formula is None and args.target is None:
            raise UsageError("summary MODEL DATA needs --target COL: the statistics need the labels.")
        table = Table(args.data, args.batch_rows)
        table.require_columns([*(args.groups or []), *([] if args.target is None else [args.target])])
        table.require_rows()
        groups = None if not args.groups else args.groups[0] if len(args.groups) == 1 else args.groups
        try:
            if formula is not None:  # the formula encodes the table (read into memory)
                print(model.summary(X=table.frame(), groups=groups, **options))
                return EXIT_OK
            features = model_features(model, table, args.drop, also=[args.target, *(args.groups or [])])
            columns = list(dict.fromkeys([args.target, *features, *(args.groups or [])]))
            X, y, g = [], [], []
            for batch in table.batches(columns, floats=features):
                X.append(feature_matrix(batch, features, args.data))
                y.append(batch.column(args.target).to_numpy(zero_copy_only=False))
                if args.groups:
                    g.append(batch.select(args.groups).to_pandas().to_numpy())
            X, y = np.concatenate(X), np.concatenate(y)
            _class_index(model.classes_, y, args.data)
            g = None if not args.groups else np.concatenate(g)
            g = g[:, 0] if g is not None and g.shape[1] == 1 else g
            import pandas as pd

            named = getattr(model, "feature_names_in_", None) is not None
            print(model.summary(X=pd.DataFrame(X, columns=features) if named else X, y=y, groups=g, **options))
        except ValueError as exc:
            raise DataError(f"cannot summarize on {args.data!r}: {_first_line(exc)}") from exc
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
        epilog="Exit status: 0 success, 1 bad data, 2 bad usage. DATA: a CSV (.csv, .tsv) or Parquet file, or a "
        "directory of them, read in batches of rows.",
    )
    parser.add_argument("--version", action="version", version=f"oneuron {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser("train", parents=[common], help="fit a model on CSV/Parquet data and save it")
    train.add_argument("data", metavar="DATA", help="training data (CSV or Parquet file, or a directory of them)")
    train.add_argument("--target", "-t", metavar="COL", help="column holding the labels (or --formula)")
    train.add_argument("--formula", "-f", metavar="FORMULA", help='model formula, e.g. "y ~ age + C(group)"')
    train.add_argument("--output", "-o", required=True, metavar="MODEL", help="model file to write")
    train.add_argument(
        "--penalty",
        choices=["l2", "l1", "elasticnet", "firth", "none"],
        default=None,
        help="penalty on the weights (default l2, none with --formula; firth: bias-reduced, two classes)",
    )
    train.add_argument("--C", type=_positive_float, default=1.0, help="inverse penalty strength (default 1)")
    train.add_argument(
        "--l1-ratio", type=_ratio, default=None, metavar="R", help="share of l1 in --penalty elasticnet, in [0, 1]"
    )
    train.add_argument(
        "--class-weight",
        metavar="W",
        default=None,
        help="'balanced', or LABEL:WEIGHT pairs separated by commas (e.g. 'yes:5,no:1')",
    )
    train.add_argument(
        "--solver",
        choices=["auto", "gd", "lbfgs", "newton", "prox"],
        default="auto",
        help="optimizer (default auto)",
    )
    train.add_argument("--tol", type=_positive_float, default=1e-4, help="stopping tolerance (default 1e-4)")
    train.add_argument("--max-iter", type=int, default=None, help="iteration cap")
    train.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no report")
    _add_drop(train)
    _add_batch_rows(train)
    train.set_defaults(func=cmd_train)

    predict = sub.add_parser("predict", parents=[common], help="predict the class of each row of DATA")
    predict.add_argument("model", metavar="MODEL", help="model file written by 'oneuron train'")
    predict.add_argument("data", metavar="DATA", help="CSV or Parquet data with the model's feature columns")
    predict.add_argument("--output", "-o", metavar="OUT", help="write CSV or Parquet here (default: stdout)")
    predict.add_argument("--proba", action="store_true", help="also write each class's probability")
    predict.add_argument(
        "--id", action="append", default=[], metavar="COL", help="copy this column into the output (repeatable)"
    )
    _add_drop(predict)
    _add_batch_rows(predict)
    predict.set_defaults(func=cmd_predict)

    evaluate = sub.add_parser("evaluate", parents=[common], help="score a model on labelled data")
    evaluate.add_argument("model", metavar="MODEL", help="model file written by 'oneuron train'")
    evaluate.add_argument("data", metavar="DATA", help="CSV or Parquet data with features and the target")
    evaluate.add_argument("--target", "-t", required=True, metavar="COL", help="column holding the labels")
    evaluate.add_argument("--plots", metavar="DIR", help="also write ROC, PR, calibration, ... PNGs here")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    _add_drop(evaluate)
    _add_batch_rows(evaluate)
    evaluate.set_defaults(func=cmd_evaluate)

    summary = sub.add_parser(
        "summary", parents=[common], help="print a model's coefficients, or its statistics on DATA"
    )
    summary.add_argument("model", metavar="MODEL", help="model file written by 'oneuron train'")
    summary.add_argument(
        "data", metavar="DATA", nargs="?", help="training data: the statistical table (read into memory)"
    )
    summary.add_argument("--target", "-t", metavar="COL", help="column holding the labels (with DATA)")
    _add_drop(summary)
    _add_batch_rows(summary)
    summary.add_argument(
        "--cov-type", choices=["nonrobust", "HC0", "HC1", "cluster"], default="nonrobust", help="covariance"
    )
    summary.add_argument("--groups", action="append", metavar="COL", help="cluster column(s) of DATA (cluster)")
    summary.add_argument("--odds-ratios", action="store_true", help="also print the odds ratios")
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


def _add_batch_rows(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--batch-rows",
        type=_positive_int,
        default=DEFAULT_BATCH_ROWS,
        metavar="N",
        help=f"rows read at a time: memory is about N x columns x 8 bytes (default {DEFAULT_BATCH_ROWS:,})",
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
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
    except (UsageError, DataError, MissingDependencyError, ValueError, OSError) as exc:
        if args.debug:
            raise
        status = EXIT_USAGE if isinstance(exc, (UsageError, MissingDependencyError)) else EXIT_DATA
        print(f"oneuron {args.command}: error: {_first_line(exc)}", file=sys.stderr)
        return status
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"oneuron {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
