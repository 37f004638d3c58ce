"""The ``oneuron`` command: round trips on CSV and Parquet, exit codes and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn import metrics
from sklearn.datasets import load_breast_cancer, load_iris, make_classification

import oneuron
from oneuron import LogisticRegression, load
from oneuron._cli import main

from .conftest import timeless


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """Breast cancer (string labels) as CSV and Parquet, iris (3 classes) as Parquet, and broken files."""
    d = tmp_path_factory.mktemp("data")
    bc = load_breast_cancer(as_frame=True).frame
    bc["target"] = np.array(["malignant", "benign"])[bc["target"]]
    bc.insert(0, "id", np.arange(len(bc)))
    bc.to_csv(d / "bc.csv", index=False)
    bc.to_parquet(d / "bc.parquet")
    ir = load_iris(as_frame=True).frame
    ir.to_parquet(d / "iris.parquet")
    bc.assign(colour=np.where(bc["mean radius"] > 14, "red", "blue")).to_csv(d / "text.csv", index=False)
    (d / "empty.csv").write_bytes(b"")
    bc.iloc[:0].to_csv(d / "header_only.csv", index=False)
    (d / "not_a_model.oneuron").write_text("these are not the weights you are looking for\n")
    return d


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def library_model(df, target, drop=()):
    X = df.drop(columns=[target, *drop]).astype(np.float64)
    return LogisticRegression().fit(X, df[target].to_numpy()), X


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_train_predict_evaluate_round_trip(fmt, tables, tmp_path, capsys):
    data = tables / f"bc.{fmt}"
    df = pd.read_csv(data) if fmt == "csv" else pd.read_parquet(data)
    model_path = tmp_path / "bc.oneuron"
    code, out, err = run_cli(capsys, "train", data, "--target", "target", "--drop", "id", "-o", model_path)
    assert code == 0, err
    assert err == ""  # not a terminal: no progress bar
    assert "wrote" in out
    ours, X = library_model(df, "target", drop=["id"])
    cli_model = load(model_path)
    np.testing.assert_allclose(cli_model.coef_, ours.coef_, rtol=1e-10, atol=1e-12)

    out_path = tmp_path / f"pred.{fmt}"
    code, out, err = run_cli(capsys, "predict", model_path, data, "--proba", "-o", out_path)
    assert code == 0, err
    pred = pd.read_csv(out_path) if fmt == "csv" else pd.read_parquet(out_path)
    np.testing.assert_array_equal(pred["prediction"].to_numpy(), ours.predict(X))
    proba = pred[[f"proba_{c}" for c in ours.classes_]].to_numpy()
    np.testing.assert_allclose(proba, ours.predict_proba(X), rtol=1e-12, atol=1e-15)

    code, out, err = run_cli(capsys, "predict", model_path, data)  # to stdout
    assert code == 0
    assert out.splitlines()[1:] == [str(p) for p in ours.predict(X)]

    code, out, err = run_cli(capsys, "evaluate", model_path, data, "--target", "target", "--json")
    assert code == 0, err
    m = json.loads(out)
    y = df["target"].to_numpy()
    assert m["accuracy"] == pytest.approx(metrics.accuracy_score(y, ours.predict(X)))
    assert m["log_loss"] == pytest.approx(metrics.log_loss(y, ours.predict_proba(X)))
    assert m["roc_auc"] == pytest.approx(metrics.roc_auc_score(y == "malignant", ours.predict_proba(X)[:, 1]))
    assert m["f1"] == pytest.approx(metrics.f1_score(y, ours.predict(X), pos_label="malignant"))
    assert m["confusion_matrix"] == metrics.confusion_matrix(y, ours.predict(X)).tolist()


def test_multinomial_evaluate_table_and_plots(tables, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("oneuron.plots.DEFAULT_DPI", 30)  # small figures: a quicker test
    data = tables / "iris.parquet"
    model_path = tmp_path / "iris.oneuron"
    assert run_cli(capsys, "train", data, "-t", "target", "-o", model_path, "--solver", "lbfgs", "--C", "10")[0] == 0
    df = pd.read_parquet(data)
    X, y = df.drop(columns="target"), df["target"].to_numpy()
    ours = LogisticRegression(C=10, solver="lbfgs").fit(X, y)
    code, out, err = run_cli(capsys, "evaluate", model_path, data, "--target", "target", "--plots", tmp_path / "p")
    assert code == 0, err
    assert f"accuracy   {metrics.accuracy_score(y, ours.predict(X)):.6f}" in out
    assert f"precision  {metrics.precision_score(y, ours.predict(X), average='macro'):.6f}" in out
    assert "confusion matrix" in out
    for name in ("roc", "precision_recall", "calibration", "confusion_matrix", "loss_curve", "coefficients"):
        assert (tmp_path / "p" / f"{name}.png").stat().st_size > 1000

    code, out, err = run_cli(capsys, "summary", model_path)
    assert code == 0, err
    assert "intercept" in out and "petal width (cm)" in out
    if not hasattr(LogisticRegression, "summary"):
        assert "not available" in out


def bad_cases(d, model):
    """(argv, exit code, words the one-line message must contain)."""
    return {
        "missing file": (["train", d / "nope.csv", "-t", "target", "-o", model], 2, "does not exist"),
        "missing target column": (["train", d / "bc.csv", "-t", "label", "-o", model], 2, "'label' is not in"),
        "string column": (["train", d / "text.csv", "-t", "target", "-o", model], 1, "'colour'"),
        "empty file": (["train", d / "empty.csv", "-t", "target", "-o", model], 1, "empty"),
        "header only": (["train", d / "header_only.csv", "-t", "target", "-o", model], 1, "no rows"),
        "not a model": (["predict", d / "not_a_model.oneuron", d / "bc.csv"], 1, "not a oneuron model"),
        "missing model": (["summary", d / "nope.oneuron"], 2, "does not exist"),
        "wrong suffix": (["train", d / "not_a_model.oneuron", "-t", "target", "-o", model], 2, "CSV"),
        "missing output dir": (["train", d / "bc.csv", "-t", "target", "-o", d / "no" / "m"], 2, "does not exist"),
        "missing option": (["train", d / "bc.csv", "-o", model], 2, "--target COL or --formula"),
        "bad C": (["train", d / "bc.csv", "-t", "target", "--C", "-1", "-o", model], 2, "must be > 0"),
        "wrong columns": (["evaluate", d / "bc.oneuron", d / "iris.parquet", "-t", "target"], 2, "not in"),
    }


@pytest.mark.parametrize("case", list(bad_cases(Path("."), Path("."))))
def test_bad_usage_gives_exit_code_and_one_line(case, tables, tmp_path, capsys):
    if case == "wrong columns":
        assert main(["train", str(tables / "bc.csv"), "-t", "target", "-o", str(tables / "bc.oneuron"), "-q"]) == 0
    argv, expected, words = bad_cases(tables, tmp_path / "m.oneuron")[case]
    code, out, err = run_cli(capsys, *argv)
    assert code == expected
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert words in lines[-1]
    if expected == 1 or case not in ("missing option", "bad C"):  # argparse adds its usage line before
        assert len(lines) == 1, err
    assert not (tmp_path / "m.oneuron").exists()


def test_text_column_message_says_how_to_encode(tables, tmp_path, capsys):
    _, _, err = run_cli(capsys, "train", tables / "text.csv", "-t", "target", "-o", tmp_path / "m")
    assert "get_dummies" in err and "--drop" in err
    code, _, err = run_cli(capsys, "train", tables / "text.csv", "-t", "target", "--drop", "colour", "--drop", "id",
                           "-o", tmp_path / "m", "-q")  # fmt: skip
    assert code == 0, err


def test_debug_shows_the_exception(tables, tmp_path):
    from oneuron._cli import DataError

    with pytest.raises(DataError, match="colour"):
        main(["train", str(tables / "text.csv"), "-t", "target", "-o", str(tmp_path / "m"), "--debug"])


@pytest.mark.parametrize("command", [[], ["train"], ["predict"], ["evaluate"], ["summary"], ["demo"]])
def test_help_everywhere(command, capsys):
    code, out, _ = run_cli(capsys, *command, "--help")
    assert code == 0
    assert out.startswith("usage: oneuron")


def test_exit_codes_of_the_installed_command(tables, tmp_path):
    """The real process: exit status and stderr as a shell sees them (one call: starting Python and importing
    scikit-learn is slow; the other statuses are checked in-process above)."""

    def oneuron(*argv):
        return subprocess.run([sys.executable, "-m", "oneuron._cli", *map(str, argv)], capture_output=True, text=True)

    missing = oneuron("train", tmp_path / "missing.csv", "-t", "target", "-o", tmp_path / "x")
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "does not exist" in missing.stderr


@pytest.mark.slow
def test_demo_command_writes_figures(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "demo", "-o", tmp_path)
    assert code == 0
    assert "3 errors" in out
    for name in ("loss_curve.png", "weights_is_it_a_2.png", "misclassified.png"):
        assert (tmp_path / name).stat().st_size > 2000
    assert not (tmp_path / "learning.gif").exists()


def test_demo_animate_writes_a_gif(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "demo", "--animate", "-o", tmp_path)
    assert code == 0
    assert "learning.gif" in out
    assert (tmp_path / "learning.gif").read_bytes()[:6] == b"GIF89a"


def test_python_dash_m_oneuron_is_the_command():
    done = subprocess.run([sys.executable, "-m", "oneuron", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: oneuron")


def test_help_and_version_import_neither_numpy_nor_sklearn():
    """The real command: --help and --version answer without loading NumPy or scikit-learn."""
    script = (
        "import sys\n"
        "from oneuron._cli import main\n"
        "for argv in (['--help'], ['--version'], ['train', '--help'], ['predict', '--help']):\n"
        "    assert main(argv) == 0\n"
        "heavy = sorted(m for m in ('numpy', 'scipy', 'sklearn', 'pandas', 'pyarrow') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "usage: oneuron" in out and f"oneuron {oneuron.__version__}" in out
    assert out.splitlines()[-1] == "HEAVY []"


def test_the_cli_batch_default_is_the_sources():
    from oneuron._cli import DEFAULT_BATCH_ROWS
    from oneuron.data._files import DEFAULT_BATCH_ROWS as SOURCE_DEFAULT

    assert DEFAULT_BATCH_ROWS == SOURCE_DEFAULT


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """3 classes, 2,000 rows (5x the batch of 400 used below), an id column, as Parquet, CSV and a directory."""
    d = tmp_path_factory.mktemp("big")
    X, y = make_classification(
        n_samples=2_000, n_features=6, n_informative=4, n_redundant=0, n_classes=3, flip_y=0.1, random_state=3
    )
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(6)])
    df.insert(0, "row_id", [f"r{i:05d}" for i in range(len(df))])
    df["label"] = np.array(["low", "mid", "high"])[y]
    df.to_parquet(d / "big.parquet", row_group_size=300)
    df.to_csv(d / "big.csv", index=False)
    (d / "parts").mkdir()
    for i in range(4):
        df.iloc[i * 500 : (i + 1) * 500].to_parquet(d / "parts" / f"part-{i}.parquet")
    return d, df


@pytest.mark.parametrize("data", ["big.parquet", "big.csv", "parts"])
def test_streaming_train_and_predict_equal_the_in_memory_results(data, big, tmp_path, capsys):
    d, df = big
    X, y = df.drop(columns=["row_id", "label"]), df["label"].to_numpy()
    model_path = tmp_path / "m.oneuron"
    code, out, err = run_cli(capsys, "train", d / data, "-t", "label", "--drop", "row_id", "-o", model_path,
                             "--batch-rows", 400, "--tol", 1e-8)  # fmt: skip
    assert code == 0, err
    ours = LogisticRegression(tol=1e-8).fit(X, y)
    cli = load(model_path)
    np.testing.assert_allclose(cli.coef_, ours.coef_, rtol=1e-7, atol=1e-9)
    assert list(cli.feature_names_in_) == list(X.columns)
    assert f"trained on {len(df)} rows" in out
    assert f"training accuracy {np.mean(ours.predict(X) == y):.4f}" in out

    out_path = tmp_path / "pred.parquet"
    code, _, err = run_cli(capsys, "predict", model_path, d / data, "--proba", "--id", "row_id", "-o", out_path,
                           "--batch-rows", 400)  # fmt: skip
    assert code == 0, err
    pred = pd.read_parquet(out_path)
    assert list(pred.columns) == ["row_id", "prediction", "proba_high", "proba_low", "proba_mid"]
    assert pred["row_id"].tolist() == df["row_id"].tolist()  # the id column comes through, in order
    np.testing.assert_array_equal(pred["prediction"].to_numpy(), cli.predict(X))
    np.testing.assert_allclose(pred.iloc[:, 2:].to_numpy(), cli.predict_proba(X), rtol=1e-12, atol=1e-15)
    groups = [g["num_rows"] for g in pq.ParquetFile(out_path).metadata.to_dict()["row_groups"]]
    assert len(groups) >= 5 and max(groups) <= 400  # written batch by batch

    code, out, err = run_cli(capsys, "evaluate", model_path, d / data, "-t", "label", "--batch-rows", 400, "--json")
    assert code == 0, err
    m = json.loads(out)
    assert m["accuracy"] == pytest.approx(metrics.accuracy_score(y, cli.predict(X)))
    assert m["log_loss"] == pytest.approx(metrics.log_loss(y, cli.predict_proba(X)))
    assert m["f1"] == pytest.approx(metrics.f1_score(y, cli.predict(X), average="macro"))
    assert m["average"] == "macro average over 3 classes"


def test_predict_to_csv_and_stdout_carries_ids(big, tmp_path, capsys):
    d, df = big
    model_path = tmp_path / "m.oneuron"
    assert main(["train", str(d / "big.csv"), "-t", "label", "--drop", "row_id", "-o", str(model_path), "-q"]) == 0
    model = load(model_path)
    code, out, err = run_cli(capsys, "predict", model_path, d / "big.csv", "--id", "row_id", "--id", "label",
                             "--batch-rows", 300)  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "row_id,label,prediction" and len(lines) == len(df) + 1  # one header for 7 batches
    expected = model.predict(df.drop(columns=["row_id", "label"]))
    assert lines[1:] == [f"{i},{t},{p}" for i, t, p in zip(df["row_id"], df["label"], expected, strict=True)]


def test_every_penalty_and_class_weight_from_the_command_line(big, tmp_path, capsys):
    d, df = big
    two = df[df["label"] != "mid"]
    two.to_parquet(tmp_path / "two.parquet")
    X, y = two.drop(columns=["row_id", "label"]), two["label"].to_numpy()
    cases = {
        ("--penalty", "l1", "--C", "0.05"): LogisticRegression(penalty="l1", C=0.05, tol=1e-8),
        ("--penalty", "elasticnet", "--l1-ratio", "0.3", "--C", "0.1"): LogisticRegression(
            penalty="elasticnet", l1_ratio=0.3, C=0.1, tol=1e-8
        ),
        ("--penalty", "firth"): LogisticRegression(penalty="firth", tol=1e-8),
        ("--penalty", "none"): LogisticRegression(penalty=None, tol=1e-8),
        ("--class-weight", "balanced"): LogisticRegression(class_weight="balanced", tol=1e-8),
        ("--class-weight", "high:3,low:1"): LogisticRegression(class_weight={"high": 3.0, "low": 1.0}, tol=1e-8),
    }
    for options, reference in cases.items():
        model_path = tmp_path / "m.oneuron"
        code, _, err = run_cli(capsys, "train", tmp_path / "two.parquet", "-t", "label", "--drop", "row_id",
                               "-o", model_path, "--tol", "1e-8", "-q", *options)  # fmt: skip
        assert code == 0, (options, err)
        reference.fit(X, y)
        np.testing.assert_allclose(load(model_path).coef_, reference.coef_, rtol=1e-5, atol=1e-7, err_msg=options)
    assert np.sum(load(tmp_path / "m.oneuron").coef_ != 0) > 0
    for options, words in {
        ("--penalty", "elasticnet"): "--l1-ratio",
        ("--l1-ratio", "0.5"): "--l1-ratio",
        ("--class-weight", "nope:2"): "among the classes",
        ("--class-weight", "high:x"): "not a number",
    }.items():
        argv = ["train", tmp_path / "two.parquet", "-t", "label", "--drop", "row_id", "-o", tmp_path / "x"]
        code, _, err = run_cli(capsys, *argv, *options)
        assert code == 2 and words in err and err.count("\n") == 1, (options, err)


def test_nan_and_missing_columns_are_named_with_the_fix(big, tmp_path, capsys):
    d, df = big
    model_path = tmp_path / "m.oneuron"
    assert main(["train", str(d / "big.parquet"), "-t", "label", "--drop", "row_id", "-o", str(model_path), "-q"]) == 0
    broken = df.copy()
    broken.loc[1_500, "f2"] = np.nan
    broken.loc[1_700, "f4"] = np.inf
    broken.to_parquet(tmp_path / "nan.parquet")
    for argv in (
        ["predict", model_path, tmp_path / "nan.parquet"],
        ["evaluate", model_path, tmp_path / "nan.parquet", "-t", "label"],
        ["train", tmp_path / "nan.parquet", "-t", "label", "--drop", "row_id", "-o", tmp_path / "n.oneuron"],
    ):
        code, out, err = run_cli(capsys, *argv, "--batch-rows", 5000)
        assert code == 1, err
        assert "f2, f4" in err and "NaN or infinite" in err and "dropna" in err and err.count("\n") == 1
    broken.drop(columns="f3").to_csv(tmp_path / "no_f3.csv", index=False)
    code, out, err = run_cli(capsys, "predict", model_path, tmp_path / "no_f3.csv")
    assert code == 2 and "column 'f3' is not in" in err and err.count("\n") == 1
    code, out, err = run_cli(capsys, "predict", model_path, d / "big.parquet", "--id", "nope")
    assert code == 2 and "'nope' is not in" in err


def test_evaluate_names_the_averaging_and_refuses_an_unwritable_plot_path(tables, tmp_path, capsys):
    model_path = tmp_path / "bc.oneuron"
    assert main(["train", str(tables / "bc.csv"), "-t", "target", "--drop", "id", "-o", str(model_path), "-q"]) == 0
    code, out, err = run_cli(capsys, "evaluate", model_path, tables / "bc.csv", "-t", "target")
    assert code == 0, err
    assert "(positive class 'malignant')" in [line for line in out.splitlines() if line.startswith("precision")][0]
    (tmp_path / "file").write_text("not a directory")
    code, out, err = run_cli(capsys, "evaluate", model_path, tables / "bc.csv", "-t", "target",
                             "--plots", tmp_path / "file" / "figures")  # fmt: skip
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "cannot write plots to" in err and "Errno" not in err


def test_a_missing_optional_dependency_is_one_line_and_exit_2(tables, tmp_path, capsys, monkeypatch):
    model_path = tmp_path / "bc.oneuron"
    assert main(["train", str(tables / "bc.csv"), "-t", "target", "--drop", "id", "-o", str(model_path), "-q"]) == 0
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import matplotlib.figure now fails
    code, out, err = run_cli(capsys, "evaluate", model_path, tables / "bc.csv", "-t", "target", "--plots", tmp_path)
    assert code == 2
    assert err == "oneuron evaluate: error: plotting needs matplotlib: pip install 'oneuron[plots]'\n"


def test_summary_on_data_prints_the_statistical_table(tables, tmp_path, capsys):
    model_path = tmp_path / "bc.oneuron"
    assert main(["train", str(tables / "bc.csv"), "-t", "target", "--drop", "id", "-o", str(model_path), "-q"]) == 0
    code, out, err = run_cli(capsys, "summary", model_path, tables / "bc.csv", "-t", "target", "--drop", "id")
    assert code == 0, err
    df = pd.read_csv(tables / "bc.csv")
    expected = load(model_path).summary(X=df.drop(columns=["id", "target"]), y=df["target"].to_numpy())
    assert timeless(str(expected)) in timeless(out)
    code, out, err = run_cli(capsys, "summary", model_path, tables / "bc.csv")
    assert code == 2 and "--target" in err


def test_summary_prints_the_statistical_table_from_the_model_or_the_data(tmp_path, capsys):
    sm = pytest.importorskip("statsmodels.api")
    spector = sm.datasets.spector.load_pandas().data
    spector["cluster"] = np.arange(len(spector)) % 8
    data = tmp_path / "spector.csv"
    spector.to_csv(data, index=False)
    model = tmp_path / "m.oneuron"
    code, _, _ = run_cli(capsys, "train", data, "-t", "GRADE", "--penalty", "none", "--drop", "cluster", "-o", model)
    assert code == 0
    code, out, _ = run_cli(capsys, "summary", model)
    assert code == 0
    for label in ("Dep. Variable:", "GRADE", "LLR p-value:", "Log-Likelihood:", "P>|z|", "converged:"):
        assert label in out
    code, out, _ = run_cli(capsys, "summary", model, data, "-t", "GRADE", "--drop", "cluster", "--cov-type", "cluster",
                           "--groups", "cluster", "--odds-ratios")  # fmt: skip
    assert code == 0 and "cluster" in out and "No. Clusters:" in out and "Odds ratios" in out
    code, _, err = run_cli(capsys, "summary", model, data)
    assert code == 2 and "--target" in err


def test_train_with_a_formula_and_summarize_it(tmp_path, capsys):
    sm = pytest.importorskip("statsmodels.api")
    pytest.importorskip("formulaic")
    fair = sm.datasets.fair.load_pandas().data.sample(800, random_state=0)
    fair["affair"] = (fair["affairs"] > 0).astype(int)
    data = tmp_path / "fair.csv"
    fair.to_csv(data, index=False)
    model = tmp_path / "f.oneuron"
    code, out, _ = run_cli(capsys, "train", data, "--formula", "affair ~ age + C(religious)", "-o", model)
    assert code == 0 and "trained on 800 rows x 4 features" in out
    assert load(model).penalty is None  # a formula fits by maximum likelihood unless told otherwise
    code, out, _ = run_cli(capsys, "summary", model)
    assert code == 0 and "C(religious)[T.2.0]" in out and "affair" in out
    code, out, _ = run_cli(capsys, "summary", model, data, "--cov-type", "HC1")
    assert code == 0 and "HC1" in out
    code, out, _ = run_cli(capsys, "predict", model, data, "--proba")
    assert code == 0
    predicted = pd.read_csv(__import__("io").StringIO(out))
    np.testing.assert_allclose(predicted["proba_1"], load(model).predict_proba(fair)[:, 1], rtol=1e-12)
