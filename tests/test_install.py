"""A plain ``pip install`` (no extras) in a fresh virtual environment: the command line on a CSV file.

Slow (it builds a venv and installs the dependencies): run by ``.ci/run`` and ``make test-slow``.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

ROOT = Path(__file__).resolve().parent.parent
EXTRAS_PRESENT = "import importlib.util as u; print([m for m in ('matplotlib', 'dask', 'onnx') if u.find_spec(m)])"
PLOT_IN_PYTHON = "import sys, oneuron, oneuron.plots as p; p.plot_coefficients(oneuron.load(sys.argv[1]))"
HELP_MODULES = (
    "import sys; from oneuron._cli import main; main(['--help']); "
    "print(sorted(m for m in ('numpy', 'sklearn') if m in sys.modules))"
)


@pytest.fixture(scope="module")
def plain_venv(tmp_path_factory):
    venv = tmp_path_factory.mktemp("plain") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(ROOT)], check=True)
    return venv


def run(venv, *argv, cwd=None):
    return subprocess.run([str(venv / "bin" / "oneuron"), *map(str, argv)], capture_output=True, text=True, cwd=cwd)


@pytest.mark.slow
def test_plain_install_trains_predicts_and_summarizes_a_csv(plain_venv, tmp_path):
    python = plain_venv / "bin" / "python"
    extras = subprocess.run([str(python), "-c", EXTRAS_PRESENT], capture_output=True, text=True, check=True)
    assert extras.stdout.strip() == "[]"  # really without the extras
    kernels = subprocess.run([str(python), "-c", "import oneuron._kernels as k; print(k.AVAILABLE)"],
                             capture_output=True, text=True, check=True)  # fmt: skip
    assert kernels.stdout.strip() == "True"  # numba comes with a plain install

    bc = load_breast_cancer(as_frame=True).frame
    bc["target"] = np.array(["malignant", "benign"])[bc["target"]]
    bc.insert(0, "id", [f"p{i}" for i in range(len(bc))])
    bc.to_csv(tmp_path / "bc.csv", index=False)

    train = run(plain_venv, "train", tmp_path / "bc.csv", "-t", "target", "--drop", "id", "-o", tmp_path / "m.oneuron")
    assert train.returncode == 0, train.stderr
    assert "wrote" in train.stdout
    predict = run(plain_venv, "predict", tmp_path / "m.oneuron", tmp_path / "bc.csv", "--id", "id", "--proba",
                  "-o", tmp_path / "p.csv")  # fmt: skip
    assert predict.returncode == 0, predict.stderr
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "id,prediction,proba_benign,proba_malignant" and len(lines) == len(bc) + 1
    assert lines[1].startswith("p0,")
    summary = run(plain_venv, "summary", tmp_path / "m.oneuron", tmp_path / "bc.csv", "-t", "target", "--drop", "id")
    assert summary.returncode == 0, summary.stderr
    assert "mean radius" in summary.stdout and "std_err" in summary.stdout.replace("std err", "std_err")

    plots = run(plain_venv, "evaluate", tmp_path / "m.oneuron", tmp_path / "bc.csv", "-t", "target",
                "--plots", tmp_path / "figures")  # fmt: skip
    assert plots.returncode == 2
    assert plots.stderr == "oneuron evaluate: error: plotting needs matplotlib: pip install 'oneuron[plots]'\n"

    python_error = subprocess.run(
        [str(python), "-c", PLOT_IN_PYTHON, str(tmp_path / "m.oneuron")], capture_output=True, text=True
    )
    assert python_error.returncode == 1
    assert python_error.stderr.strip().splitlines()[-1] == (
        "oneuron._optional.MissingDependencyError: plotting needs matplotlib: pip install 'oneuron[plots]'"
    )


@pytest.mark.slow
def test_plain_install_help_is_light(plain_venv):
    python = plain_venv / "bin" / "python"
    out = subprocess.run([str(python), "-c", HELP_MODULES], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"
    version = run(plain_venv, "--version")
    assert version.returncode == 0 and version.stdout.startswith("oneuron ")
