"""Data streamed from files: Parquet and CSV (read with pyarrow) and ``.npy`` (memory-mapped).

A file source never holds more than one batch of rows in memory. It reads the file once when it is built,
to learn the number of rows, the features, the classes (in ``np.unique`` order, as an in-memory fit encodes
them) and the total sample weight; after that every :meth:`StreamSource.reduce` is exactly one pass over the
file. Each batch is handed to a :class:`~oneuron.data._memory.MemorySource`, so the objective's block
functions (and any faster kernel behind them) run on it unchanged. A Parquet or CSV source built with
``target=None`` has no labels: it is read by nothing but :meth:`StreamSource.feature_batches`
(``model.predict(source)``), and its first pass is skipped.

The first read validates every row as a fit on arrays would (finite numbers, class labels, finite
non-negative weights: :func:`oneuron._validation.check_block`), with errors naming the file, the column and
the rows. It also fingerprints the data: each file's size and modification time, and a CRC-32 of every
batch. Every later pass checks them, so a file replaced or edited during a fit raises
:class:`~oneuron._validation.DataChangedError` naming it, instead of fitting a mix of two versions.

A directory is read as ``pyarrow.dataset`` reads one: files found recursively, paths with a component
starting with ``.`` or ``_`` skipped (Spark's ``_temporary/``, ``_SUCCESS``, hidden files), each directory
visited once however many symbolic links lead to it.

Examples
--------
>>> source = oneuron.data.parquet("train/", target="label")       # doctest: +SKIP
>>> model = oneuron.LogisticRegression().fit(source)                # doctest: +SKIP
>>> model.predict_proba(oneuron.data.parquet("new/", target=None))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from oneuron import _validation as checks
from oneuron._optional import require
from oneuron._validation import DataChangedError
from oneuron.data._memory import MemorySource, Source, add_into

#: most rows per batch read from a file (65,536 rows x 100 float64 features is 52 MB) ...
DEFAULT_BATCH_ROWS = 65_536
#: ... and at most this many bytes of features per batch, so that wide files get shorter batches.
DEFAULT_BATCH_BYTES = 2**25


def _crc(*arrays) -> int:
    """CRC-32 of the bytes of ``arrays`` (None counts as no bytes)."""
    crc = 0
    for a in arrays:
        if a is not None:
            crc = zlib.crc32(memoryview(np.ascontiguousarray(a)).cast("B"), crc)
    return crc


def _pyarrow():
    return require("pyarrow", "reading Parquet/CSV", "files")


def _float_dtype(types) -> np.dtype:
    """float32 when every feature column is float32, float64 otherwise (integers included)."""
    pa = _pyarrow()
    return np.dtype(np.float32) if all(t == pa.float32() for t in types) else np.dtype(np.float64)


def _merge(size: int, *parts) -> np.ndarray:
    out = np.zeros(size, dtype=parts[0][1].dtype)
    for index, values in parts:
        out[index] += values
    return out


class StreamSource(Source):
    """Base of the file sources: a first pass to learn sizes and classes, then one pass per evaluation.

    Subclasses set ``paths`` (the files read, for the fingerprint), ``n_features`` and ``dtype``
    before calling ``StreamSource.__init__``, and implement ``_raw_batches``, yielding
    ``(path, X_b, y_b, s_b)`` with raw (not encoded) labels and ``s_b`` None when there is no weight column.

    Attributes
    ----------
    n_samples, n_features : int
    dtype : numpy dtype
        float32 or float64, the dtype the model is fitted in.
    classes : ndarray
        Sorted distinct labels (``np.unique`` order).
    class_weight_sums : ndarray
        Total sample weight of each class.
    class_counts : ndarray
        Rows of each class.
    total_weight : float
        Sum of the sample weights (times the class weights, see :meth:`set_class_weight`).
    C_scale : float
        A power of two: weights whose sum would overflow (or underflow) float64 are divided by it, and the
        estimator multiplies ``C`` by it, which leaves the optimum unchanged.
    feature_names : ndarray of str or None

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, pandas as pd
    >>> import oneuron
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(1000, 3)), columns=["a", "b", "c"])
    >>> df["label"] = np.where(df["a"] + rng.normal(size=1000) > 0, "yes", "no")
    >>> path = os.path.join(tempfile.mkdtemp(), "train.parquet")
    >>> df.to_parquet(path)
    >>> source = oneuron.data.parquet(path, target="label", batch_rows=300)
    >>> isinstance(source, oneuron.data.StreamSource)
    True
    >>> source.n_samples, source.classes.tolist(), source.class_counts.tolist()
    (1000, ['no', 'yes'], [516, 484])
    >>> [len(X_b) for X_b in source.feature_batches()]
    [300, 300, 300, 100]

    """

    n_samples: int | None = None
    n_features: int
    dtype: np.dtype
    paths: list
    feature_names: np.ndarray | None = None
    weight_name = "weights"
    #: False for a source of features only (``target=None``): it can be predicted on, not fitted
    has_target: bool = True

    def __init__(self, batch_rows: int | None = None):
        if batch_rows is None:
            row_bytes = max(1, self.n_features) * np.dtype(self.dtype).itemsize
            batch_rows = int(max(256, min(DEFAULT_BATCH_ROWS, DEFAULT_BATCH_BYTES // row_bytes)))
        if isinstance(batch_rows, bool) or not isinstance(batch_rows, (int, np.integer)) or batch_rows < 1:
            raise ValueError(f"batch_rows must be a positive integer, got batch_rows={batch_rows!r}.")
        self.batch_rows = int(batch_rows)
        self.n_classes = 0
        self._class_factor = None
        self.C_scale = 1.0
        self._weight_exponent = 0
        if self.has_target:
            self._scan()

    def feature_batches(self) -> Iterator[np.ndarray]:
        """Yield the feature rows ``X_b`` only, one batch at a time (no first pass needed: for prediction)."""
        for _, X_b, _, _ in self._raw_batches(labels=False):
            yield X_b

    # -- to be provided by each file format -----------------------------------------------------------------
    def _raw_batches(self, labels: bool = True) -> Iterator[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]]:
        """``(path, X_b, y_b, s_b)`` batches; ``labels=False``: the feature columns alone (y_b, s_b None)."""
        raise NotImplementedError

    # -- fingerprint ------------------------------------------------------------------------------------------
    def _stat(self) -> list[tuple[str, int, int]]:
        out = []
        for path in self.paths:
            try:
                st = os.stat(path)
            except OSError as exc:
                raise DataChangedError(f"{path}: the file went away during the fit ({exc}).") from exc
            out.append((os.fspath(path), st.st_size, st.st_mtime_ns))
        return out

    def _check_files(self) -> None:
        for (path, size, mtime), (_, size_now, mtime_now) in zip(self._files, self._stat(), strict=True):
            if (size, mtime) != (size_now, mtime_now):
                raise DataChangedError(
                    f"{path} changed during the fit (size {size} -> {size_now} bytes, modification time changed: "
                    f"{mtime != mtime_now}): the model would mix two versions of the data. Fit again on a copy "
                    "that nothing writes to."
                )

    def _changed(self, path, first_row: int, n: int) -> DataChangedError:
        return DataChangedError(
            f"{path} changed during the fit: rows {first_row}..{first_row + n - 1} differ from the first read. "
            "Fit again on a copy that nothing writes to."
        )

    # -- first pass -----------------------------------------------------------------------------------------
    def _scan(self) -> None:
        self._files = self._stat()
        n = 0
        classes = None
        sums = counts = None
        largest = 0.0
        E = 0  # the sums are kept in units of 2^E, E the exponent of the largest weight: they never overflow
        fingerprints = []
        for path, X_b, y_b, s_b in self._raw_batches():
            checks.check_block(X_b, y_b, s_b, os.fspath(path), n, self.feature_names, self.weight_name)
            fingerprints.append([len(y_b), _crc(X_b, s_b), None])
            n += len(y_b)
            if s_b is not None and len(s_b) and np.max(s_b) > largest:
                largest = float(np.max(s_b))
                E_new = int(np.frexp(largest)[1])
                if sums is not None:
                    sums = np.ldexp(sums, E - E_new)
                E = E_new
            labels, inverse = np.unique(y_b, return_inverse=True)
            scaled = None if s_b is None else np.ldexp(np.asarray(s_b, dtype=np.float64), -E)
            w = np.bincount(inverse, weights=scaled, minlength=len(labels)).astype(np.float64)
            if s_b is None and E:
                w = np.ldexp(w, -E)
            c = np.bincount(inverse, minlength=len(labels)).astype(np.int64)
            if classes is None:
                classes, sums, counts = labels, w, c
            else:  # merge this batch's labels into the sorted classes seen so far
                merged = np.union1d(classes, labels)
                old, new = np.searchsorted(merged, classes), np.searchsorted(merged, labels)
                sums = _merge(len(merged), (old, sums), (new, w))
                counts = _merge(len(merged), (old, counts), (new, c))
                classes = merged
        self._check_files()
        if n == 0:
            shown = ", ".join(os.fspath(p) for p in self.paths[:3]) + (", ..." if len(self.paths) > 3 else "")
            raise ValueError(f"the data source ({shown}) holds no rows: check the path and filters.")
        checks.check_labels(classes, "the target")
        self._batch_fingerprints = fingerprints
        self.n_samples = n
        self.classes = classes
        self.n_classes = len(classes)
        self.class_counts = counts
        with np.errstate(over="ignore"):
            exponent = checks.weight_exponent(float(np.ldexp(np.sum(sums), E)), largest)
        # weights times 2^-exponent (np.ldexp: exact, and no factor 2^1000 to overflow), C times 2^exponent
        self._weight_exponent, self.C_scale = exponent, float(np.ldexp(1.0, exponent))
        self.class_weight_sums = np.ldexp(sums, E - exponent)
        self.total_weight = float(self.class_weight_sums.sum())
        if not self.total_weight > 0:
            raise ValueError("the sample weights sum to zero: at least one row needs a positive weight.")

    def set_class_weight(self, factors: np.ndarray | None) -> None:
        """Multiply each row's weight by ``factors[class of the row]`` (the estimator's ``class_weight``)."""
        self._class_factor = None if factors is None else np.asarray(factors, dtype=np.float64)
        f = 1.0 if factors is None else self._class_factor
        self.total_weight = float(np.sum(self.class_weight_sums * f))

    # -- passes ---------------------------------------------------------------------------------------------
    def encode(self, y_b: np.ndarray, where: str = "the target") -> np.ndarray:
        """Raw labels -> 0..K-1 (as the data's float dtype for two classes, int32 otherwise).

        A label that is not among the classes of the first read raises
        :class:`~oneuron._validation.DataChangedError`: it would otherwise index past the model's classes.
        """
        index = checks.encode_labels(self.classes, y_b, where)
        if self.n_classes == 2:
            return index.astype(self.dtype)
        return index.astype(np.int32)

    def batches(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(X_b, y_b, s_b)`` with encoded labels and weights, one batch at a time.

        Each batch is checked against the fingerprint of the first read, and the files' sizes and times
        before and after the pass (:class:`~oneuron._validation.DataChangedError` when they differ).
        """
        self._check_files()
        fingerprints = self._batch_fingerprints
        i = first_row = 0
        for path, X_b, y_b, s_b in self._raw_batches():
            if i >= len(fingerprints) or fingerprints[i][:2] != [len(y_b), _crc(X_b, s_b)]:
                raise self._changed(path, first_row, len(y_b))
            y_enc = self.encode(y_b, os.fspath(path))
            crc_y = _crc(y_enc)
            if fingerprints[i][2] is None:
                fingerprints[i][2] = crc_y  # labels: fingerprinted once encoded, at the first pass
            elif fingerprints[i][2] != crc_y:
                raise self._changed(path, first_row, len(y_b))
            if s_b is None:
                s = np.full(len(y_b), np.ldexp(1.0, -self._weight_exponent), dtype=self.dtype)
            else:
                s = np.asarray(s_b, dtype=np.float64)
                if self._weight_exponent:
                    s = np.ldexp(s, -self._weight_exponent)
            if self._class_factor is not None:
                s = s * self._class_factor[y_enc.astype(np.intp)]
            i += 1
            first_row += len(y_b)
            yield X_b, y_enc, s.astype(self.dtype, copy=False)
        if i != len(fingerprints):
            raise DataChangedError(
                f"{self.paths[-1]} changed during the fit: {first_row} rows read instead of {self.n_samples}."
            )
        self._check_files()

    def reduce(self, block_fn: Callable, *args) -> list:
        """Sum ``block_fn(X_b, y_b, s_b, *args)`` over the whole file: one pass, one batch in memory."""
        acc = None
        for X_b, y_b, s_b in self.batches():
            acc = add_into(acc, MemorySource(X_b, y_b, s_b).reduce(block_fn, *args))
        return acc

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_samples={self.n_samples}, n_features={self.n_features}, classes={self.n_classes})"
        )


def _walk(directory: str, suffixes: Sequence[str]) -> list[str]:
    """Files under ``directory`` ending in one of ``suffixes``, as ``pyarrow.dataset`` discovers them: no
    path component starting with ``.`` or ``_``; symbolic links followed, each directory visited once."""
    found, seen = [], set()
    stack = [directory]
    while stack:
        current = stack.pop()
        try:
            st = os.stat(current)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue  # reached again through a link: a loop, or the same data twice
        seen.add((st.st_dev, st.st_ino))
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.name.startswith((".", "_")):
                    continue
                if entry.is_dir():
                    stack.append(entry.path)
                elif entry.is_file() and entry.name.lower().endswith(tuple(suffixes)):
                    found.append(entry.path)
    files = {}
    for path in sorted(found):  # one file reached by two links is read once
        st = os.stat(path)
        files.setdefault((st.st_dev, st.st_ino), path)
    return sorted(files.values())


def _paths(path_or_dir, suffixes: Sequence[str]) -> list[str]:
    if isinstance(path_or_dir, (list, tuple)):
        paths = [os.fspath(p) for p in path_or_dir]
    elif os.path.isdir(path_or_dir):
        paths = _walk(os.fspath(path_or_dir), suffixes)
    else:
        paths = [os.fspath(path_or_dir)]
    missing = [p for p in paths if not os.path.isfile(p)]
    if not paths or missing:
        raise ValueError(
            f"path_or_dir={path_or_dir!r}: no such file(s) {missing or ''}; "
            f"give a file, a list or a directory of {suffixes} files."
        )
    return paths


class _TableSource(StreamSource):
    """Shared part of the Parquet and CSV sources: columns of a pyarrow record batch -> (X, y, s)."""

    def _setup_columns(self, names: list[str], types: dict, target: str | None, features, weight) -> None:
        twice = sorted({c for c in names if names.count(c) > 1})
        if twice:
            raise ValueError(
                f"{self.paths[0]}: columns {twice} appear more than once; give every column a distinct name "
                "(one of them would otherwise be dropped silently)."
            )
        self.has_target = target is not None
        if target is not None and target not in names:
            raise ValueError(
                f"target={target!r} is not a column of the file; columns are {names} "
                "(target=None for data without labels, to predict on)."
            )
        if weight is not None and weight not in names:
            raise ValueError(f"weight={weight!r} is not a column of the file; columns are {names}.")
        if features is None:
            features = [c for c in names if c not in (target, weight)]
        else:
            features = list(features)
            unknown = [c for c in features if c not in names]
            if unknown:
                raise ValueError(f"features: {unknown} are not columns of the file; columns are {names}.")
        if not features:
            raise ValueError("features: no feature columns left; name them with features=[...].")
        pa = _pyarrow()
        bad = [
            c
            for c in features
            if not (pa.types.is_floating(types[c]) or pa.types.is_integer(types[c]) or pa.types.is_boolean(types[c]))
        ]
        if bad:
            raise ValueError(
                f"features: columns {bad} are not numeric; encode them first or leave them out with features=[...]."
            )
        self.target, self.weight, self.features = target, weight, features
        self.weight_name = f"weight column {weight!r}"
        self.feature_names = np.asarray(features, dtype=object)
        self.n_features = len(features)
        self.dtype = _float_dtype([types[c] for c in features])

    def _columns(self, labels: bool = True) -> list[str]:
        if not labels:
            return list(self.features)
        return [*self.features] + [c for c in (self.target, self.weight) if c is not None]

    def _split_batch(self, batch, path, first_row: int, labels: bool = True):
        """A pyarrow RecordBatch -> ``(X_b, y_b, s_b)``.

        X is C-ordered although filled column by column (3x slower to fill than Fortran order): row blocks of a
        C-ordered batch are contiguous, which makes the Hessian's ``X.T @ X`` of a block about 4x faster.
        """
        if any(batch.column(c).null_count for c in self._columns(labels)):
            nulls = [c for c in self._columns(labels) if batch.column(c).null_count]
            row = first_row + int(np.argmax(batch.column(nulls[0]).is_null().to_numpy(zero_copy_only=False)))
            raise ValueError(
                f"{path}: columns {nulls} contain missing values (column {nulls[0]!r} at row {row}): impute or "
                "drop them before fitting."
            )
        X = np.empty((batch.num_rows, self.n_features), dtype=self.dtype)
        for j, c in enumerate(self.features):
            X[:, j] = batch.column(c).to_numpy(zero_copy_only=False)
        if not labels:
            return X, None, None
        y = batch.column(self.target).to_numpy(zero_copy_only=False) if self.has_target else None
        s = batch.column(self.weight).to_numpy(zero_copy_only=False).astype(np.float64) if self.weight else None
        return X, y, s


class ParquetSource(_TableSource):
    """Row batches of one Parquet file, a list of files or a directory of them (read with pyarrow).

    Memory holds one batch of ``batch_rows`` rows (of the selected columns) plus what pyarrow needs to decode
    one row group; write files with row groups of at most a few hundred MB.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, pandas as pd
    >>> import oneuron
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(1000, 3)), columns=["a", "b", "c"])
    >>> df["label"] = np.where(df["a"] + rng.normal(size=1000) > 0, "yes", "no")
    >>> path = os.path.join(tempfile.mkdtemp(), "train.parquet")
    >>> df.to_parquet(path)
    >>> source = oneuron.data.ParquetSource(path, target="label", batch_rows=256)
    >>> source
    ParquetSource(n_samples=1000, n_features=3, classes=2)
    >>> model = oneuron.LogisticRegression().fit(source)
    >>> model.feature_names_in_.tolist()
    ['a', 'b', 'c']

    """

    def __init__(
        self, path_or_dir, target: str | None = "y", features=None, weight=None, batch_rows: int | None = None
    ):
        import pyarrow.parquet as pq

        self.paths = _paths(path_or_dir, (".parquet", ".pq"))
        schema = pq.read_schema(self.paths[0])
        types = {f.name: f.type for f in schema}
        self._setup_columns([f.name for f in schema], types, target, features, weight)
        super().__init__(batch_rows)

    def _raw_batches(self, labels: bool = True):
        import pyarrow.parquet as pq

        row = 0
        for path in self.paths:
            # pre_buffer=False: pyarrow's default (True) buffers the column chunks of the whole file
            with pq.ParquetFile(path, pre_buffer=False) as f:
                columns = self._columns(labels)
                for batch in f.iter_batches(batch_size=self.batch_rows, columns=columns, use_threads=True):
                    yield (path, *self._split_batch(batch, path, row, labels))
                    row += batch.num_rows


class CSVSource(_TableSource):
    """Row batches of a CSV file (or a list/directory of them), streamed by ``pyarrow.csv.open_csv``.

    Feature columns are read as float64; the target keeps the type pyarrow infers from the first block
    (give ``target_type``, e.g. ``pyarrow.string()``, when the first block is not representative).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, pandas as pd
    >>> import oneuron
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(1000, 3)), columns=["a", "b", "c"])
    >>> df["label"] = np.where(df["a"] + rng.normal(size=1000) > 0, "yes", "no")
    >>> path = os.path.join(tempfile.mkdtemp(), "train.parquet")
    >>> path = path.replace(".parquet", ".csv")
    >>> df.to_csv(path, index=False)
    >>> oneuron.data.CSVSource(path, target="label", features=["a", "b"])
    CSVSource(n_samples=1000, n_features=2, classes=2)

    """

    def __init__(
        self,
        path_or_dir,
        target: str | None = "y",
        features=None,
        weight=None,
        batch_rows: int | None = None,
        delimiter: str = ",",
        target_type=None,
    ):
        import pyarrow.csv as pcsv

        self.paths = _paths(path_or_dir, (".csv", ".csv.gz"))
        self.delimiter = delimiter
        self.target_type = target_type
        with pcsv.open_csv(self.paths[0], parse_options=pcsv.ParseOptions(delimiter=delimiter)) as reader:
            schema = reader.schema
        types = {f.name: f.type for f in schema}
        self._setup_columns([f.name for f in schema], types, target, features, weight)
        self.dtype = np.dtype(np.float64)
        super().__init__(batch_rows)

    def _raw_batches(self, labels: bool = True):
        import pyarrow as pa
        import pyarrow.csv as pcsv

        column_types = {c: pa.float64() for c in self.features}
        if self.weight and labels:
            column_types[self.weight] = pa.float64()
        if self.target_type is not None and labels and self.has_target:
            column_types[self.target] = self.target_type
        convert = pcsv.ConvertOptions(include_columns=self._columns(labels), column_types=column_types)
        # ~ bytes per row guessed at 20 per column; pyarrow cuts blocks on bytes, we re-slice to batch_rows
        block_size = int(min(2**30, max(2**16, self.batch_rows * 20 * (self.n_features + 2))))
        read = pcsv.ReadOptions(block_size=block_size, use_threads=True)
        parse = pcsv.ParseOptions(delimiter=self.delimiter)
        row = 0
        for path in self.paths:
            try:
                with pcsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert) as reader:
                    for batch in reader:
                        for start in range(0, batch.num_rows, self.batch_rows):
                            part = batch.slice(start, self.batch_rows)
                            yield (path, *self._split_batch(part, path, row, labels))
                            row += part.num_rows
            except pa.ArrowInvalid as exc:
                raise ValueError(
                    f"{path}: {exc}. Pass target_type=pyarrow.string() (or the right type) if the target column's "
                    "type changes after the first block."
                ) from exc


class NpySource(StreamSource):
    """Row batches of ``.npy`` files opened with ``np.load(mmap_mode="r")``: nothing is read until used.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import oneuron
    >>> d = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 4))
    >>> np.save(os.path.join(d, "X.npy"), X); np.save(os.path.join(d, "y.npy"), (X[:, 0] > 0).astype(int))
    >>> source = oneuron.data.NpySource(os.path.join(d, "X.npy"), os.path.join(d, "y.npy"), batch_rows=400)
    >>> source
    NpySource(n_samples=1000, n_features=4, classes=2)

    """

    def __init__(self, X_path, y_path, sample_weight_path=None, batch_rows: int | None = None):
        try:
            self.X = np.load(X_path, mmap_mode="r")
            self.y = np.load(y_path, mmap_mode="r")
            self.s = None if sample_weight_path is None else np.load(sample_weight_path, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise ValueError(f"X_path/y_path: cannot memory-map the .npy files ({exc}).") from exc
        if self.X.ndim != 2 or self.y.ndim != 1 or len(self.y) != len(self.X):
            raise ValueError(
                "X_path must hold a 2-d array and y_path a 1-d array of as many rows; "
                f"got shapes {self.X.shape} and {self.y.shape}."
            )
        if self.s is not None and self.s.shape != self.y.shape:
            raise ValueError(f"sample_weight_path must hold {len(self.y)} weights, got shape {self.s.shape}.")
        for name, path, a in (
            ("X_path", X_path, self.X),
            ("y_path", y_path, self.y),
            ("weights", sample_weight_path, self.s),
        ):
            if a is not None and a.dtype.kind == "c":
                raise ValueError(
                    f"{name}={os.fspath(path)!r} holds complex numbers ({a.dtype}); complex data is not supported."
                )
            if a is not None and a.dtype.kind not in "biuf" and not (name == "y_path" and a.dtype.kind in "US"):
                raise ValueError(f"{name}={os.fspath(path)!r} holds {a.dtype} values; numbers are needed.")
        self.paths = [os.fspath(p) for p in (X_path, y_path, sample_weight_path) if p is not None]
        self.n_features = self.X.shape[1]
        self.dtype = self.X.dtype if self.X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        super().__init__(batch_rows)

    def _raw_batches(self, labels: bool = True):
        for start in range(0, len(self.y), self.batch_rows):
            stop = start + self.batch_rows
            # copies of the mapped rows: what is checked and fingerprinted is what the pass computes with
            yield (
                self.paths[0],
                np.array(self.X[start:stop], dtype=self.dtype),
                np.array(self.y[start:stop]),
                None if self.s is None else np.array(self.s[start:stop]),
            )


def parquet(
    path_or_dir, target: str | None = "y", features=None, weight=None, batch_rows: int | None = None
) -> ParquetSource:
    """Stream a Parquet file (or a directory or list of them) in row batches, for ``fit(source)``.

    Parameters
    ----------
    path_or_dir : str, path, or list of paths
        A ``.parquet`` file, a directory searched recursively for them, or a list of files.
    target : str, default="y"
        Column holding the labels.
    features : list of str, optional
        Feature columns, in this order; by default every column but ``target`` and ``weight``.
    weight : str, optional
        Column of sample weights.
    batch_rows : int, optional
        Rows per batch held in memory; by default as many as fit in 32 MB of features (at most 65,536), so
        that a wide file is read in shorter batches.

    Returns
    -------
    ParquetSource

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, pandas as pd
    >>> import oneuron
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(1000, 3)), columns=["a", "b", "c"])
    >>> df["label"] = np.where(df["a"] + rng.normal(size=1000) > 0, "yes", "no")
    >>> path = os.path.join(tempfile.mkdtemp(), "train.parquet")
    >>> df.to_parquet(path)
    >>> model = oneuron.LogisticRegression().fit(oneuron.data.parquet(path, target="label"))
    >>> model.classes_.tolist()
    ['no', 'yes']
    >>> # predict streams too, reading only the model's columns (target=None: no labels needed)
    >>> new = oneuron.data.parquet(path, target=None, features=list(model.feature_names_in_), batch_rows=256)
    >>> proba = model.predict_proba(new)
    >>> proba.shape
    (1000, 2)
    >>> np.allclose(proba, model.predict_proba(df[["a", "b", "c"]]))
    True

    """
    return ParquetSource(path_or_dir, target=target, features=features, weight=weight, batch_rows=batch_rows)


def csv(
    path_or_dir, target: str | None = "y", features=None, weight=None, batch_rows: int | None = None, **options
) -> CSVSource:
    """Stream a CSV file (or a directory or list of them) in row batches, for ``fit(source)``.

    Parameters are those of :func:`parquet`, plus ``delimiter`` and ``target_type`` (see :class:`CSVSource`).

    Returns
    -------
    CSVSource

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, pandas as pd
    >>> import oneuron
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(1000, 3)), columns=["a", "b", "c"])
    >>> df["label"] = np.where(df["a"] + rng.normal(size=1000) > 0, "yes", "no")
    >>> path = os.path.join(tempfile.mkdtemp(), "train.parquet")
    >>> path = path.replace(".parquet", ".csv")
    >>> df.to_csv(path, index=False)
    >>> source = oneuron.data.csv(path, target="label", batch_rows=256)
    >>> model = oneuron.LogisticRegression().fit(source)
    >>> round(float(np.mean(model.predict(source) == df['label'])), 2)
    0.74

    """
    return CSVSource(path_or_dir, target=target, features=features, weight=weight, batch_rows=batch_rows, **options)


def npy(X_path, y_path, sample_weight_path=None, batch_rows: int | None = None) -> NpySource:
    """Memory-map ``.npy`` files of features (n, d) and labels (n,) and stream them in row batches.

    Returns
    -------
    NpySource

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import oneuron
    >>> d = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 4))
    >>> np.save(os.path.join(d, "X.npy"), X); np.save(os.path.join(d, "y.npy"), (X[:, 0] > 0).astype(int))
    >>> model = oneuron.LogisticRegression().fit(oneuron.data.npy(os.path.join(d, "X.npy"), os.path.join(d, "y.npy")))
    >>> np.array_equal(model.predict(X), oneuron.LogisticRegression().fit(X, (X[:, 0] > 0).astype(int)).predict(X))
    True

    """
    return NpySource(X_path, y_path, sample_weight_path, batch_rows=batch_rows)
