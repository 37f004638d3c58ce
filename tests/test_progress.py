"""Progress reporting is a callback: a bar in a terminal, lines elsewhere, nothing when not asked."""

import importlib
import io

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from oneuron import LogisticRegression
from oneuron import _progress as progress
from oneuron._progress import FitMonitor

from .conftest import noisy_classification

pytest.importorskip("tqdm")


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_in_a_terminal(monkeypatch, capsys):
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(progress, "PROGRESS_DELAY", 0.0)  # show it at once (normally after ~1 s)
    monkeypatch.setattr(progress, "PROGRESS_REFRESH", 0.0)  # and redraw at every iteration
    X, y = noisy_classification(n_samples=200, n_features=5)
    with pytest.warns(ConvergenceWarning):
        model = LogisticRegression(solver="gd", verbose=1, max_iter=40, tol=0.0).fit(X, y)
    bar = terminal.getvalue()
    assert "gd" in bar and "loss=" in bar and "grad=" in bar and "/40" in bar
    assert f"{model.loss_curve_[-1]:.6g}" in bar  # the last loss is on the bar
    assert capsys.readouterr().out == ""  # no printed lines besides the bar
    assert len(model.loss_curve_) == 40


def test_short_fit_shows_no_bar(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    X, y = noisy_classification(n_samples=200, n_features=5)
    LogisticRegression(verbose=1).fit(X, y)  # well under the 1 s delay
    assert terminal.getvalue() == ""


def test_silent_without_verbose_and_lines_when_not_a_terminal(capsys):
    X, y = noisy_classification(n_samples=200, n_features=5)
    LogisticRegression().fit(X, y)
    assert capsys.readouterr() == ("", "")
    monitor = FitMonitor(verbose=1, max_iter=3)  # captured streams are not terminals
    for i, loss in enumerate([3.0, 2.0, 1.0], start=1):
        monitor(i, loss, 0.5)
    monitor.close()
    out, err = capsys.readouterr()
    assert out.count("cost") == 3 and err == ""
    np.testing.assert_array_equal(monitor.loss_curve, [3.0, 2.0, 1.0])


def test_monitor_closes_the_bar_when_the_fit_fails(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(progress, "PROGRESS_DELAY", 0.0)
    closed = []
    monkeypatch.setattr(FitMonitor, "close", lambda self: closed.append(True))
    X, y = noisy_classification(n_samples=50, n_features=3)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setitem(importlib.import_module("oneuron._estimator").SOLVERS, "gd", boom)
    with pytest.raises(KeyboardInterrupt):
        LogisticRegression(solver="gd", verbose=1).fit(X, y)
    assert closed == [True]
