"""The command line never overwrites its inputs, and writes its outputs all at once."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from oneuron._cli import EXIT_OK, EXIT_USAGE, main
from oneuron._paths import SamePathError, atomic_write, refuse_inputs, same_file

from .conftest import noisy_classification


@pytest.fixture
def files(tmp_path):
    X, y = noisy_classification(n_samples=80, n_features=3)
    data = tmp_path / "data.csv"
    pd.DataFrame(X, columns=["a", "b", "c"]).assign(target=y).to_csv(data, index=False)
    model = tmp_path / "model.oneuron"
    assert main(["train", str(data), "-t", "target", "-o", str(model), "-q"]) == EXIT_OK
    return data, model


def test_same_file_sees_through_links(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("x\n")
    os.symlink(a, tmp_path / "soft.csv")
    os.link(a, tmp_path / "hard.csv")
    assert same_file(a, tmp_path / "soft.csv") and same_file(a, tmp_path / "hard.csv")
    assert same_file(tmp_path / "sub" / ".." / "a.csv", a)
    assert not same_file(a, tmp_path / "new.csv")
    with pytest.raises(SamePathError, match="is the DATA"):
        refuse_inputs(tmp_path / "soft.csv", {"DATA": a})


@pytest.mark.parametrize(
    "which,link", [("model", None), ("data", None), ("data", "symlink"), ("model", "hardlink")], ids=str
)
def test_predict_refuses_to_overwrite_an_input(files, tmp_path, capsys, which, link):
    data, model = files
    target = model if which == "model" else data
    out = target
    if link == "symlink":
        out = tmp_path / "out.csv"
        os.symlink(target, out)
    elif link == "hardlink":
        out = tmp_path / "out.csv"
        os.link(target, out)
    before = target.read_bytes()
    assert main(["predict", str(model), str(data), "-o", str(out)]) == EXIT_USAGE
    assert "would be overwritten" in capsys.readouterr().err
    assert target.read_bytes() == before


def test_train_refuses_to_overwrite_its_data(files, capsys):
    data, _ = files
    before = data.read_bytes()
    assert main(["train", str(data), "-t", "target", "-o", str(data)]) == EXIT_USAGE
    assert "is the DATA" in capsys.readouterr().err
    assert data.read_bytes() == before


def test_predictions_are_written_atomically(files, tmp_path, monkeypatch):
    data, model = files
    out = tmp_path / "pred.csv"
    out.write_text("previous\n")

    def crash(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", crash)
    assert main(["predict", str(model), str(data), "-o", str(out)]) != EXIT_OK  # interrupted mid-write
    monkeypatch.undo()
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert main(["predict", str(model), str(data), "-o", str(out)]) == EXIT_OK
    assert len(pd.read_csv(out)) == 80


def test_atomic_write_keeps_the_format_suffix(tmp_path):
    frame = pd.DataFrame({"p": np.arange(3)})
    atomic_write(tmp_path / "p.csv.gz", lambda tmp: frame.to_csv(tmp, index=False))
    assert (tmp_path / "p.csv.gz").read_bytes()[:2] == b"\x1f\x8b"  # gzip, as the name says
