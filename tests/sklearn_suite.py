"""Run the installed scikit-learn's ``test_logistic.py`` against oneuron's estimators.

The file is copied to a temporary folder with one change: its import line
``from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, SGDClassifier`` takes the two
estimators from oneuron (everything else, ``SGDClassifier`` included, stays scikit-learn's). No test body is
edited. scikit-learn's own ``conftest.py`` (fixtures such as ``global_random_seed``) is loaded beside it.

Run as a script to print each test's outcome::

    python tests/sklearn_suite.py [-k EXPR] [-n WORKERS]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import sklearn

TEST_FILE = Path(sklearn.__file__).parent / "linear_model" / "tests" / "test_logistic.py"

IMPORT_LINE = "from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, SGDClassifier\n"
SWAPPED = (
    "from oneuron import LogisticRegression, LogisticRegressionCV\nfrom sklearn.linear_model import SGDClassifier\n"
)

CONFTEST = "from sklearn.conftest import *  # noqa: F401,F403  (fixtures and hooks of scikit-learn's tests)\n"


def swapped_source() -> str:
    """The test file's text with only its import line changed."""
    text = TEST_FILE.read_text()
    if text.count(IMPORT_LINE) != 1:
        raise RuntimeError(f"{TEST_FILE} no longer has the import line {IMPORT_LINE!r}")
    return text.replace(IMPORT_LINE, SWAPPED)


def run(select: str | None = None, workers: int = 2, timeout: float = 3600) -> dict[str, tuple[str, str]]:
    """Run the swapped file; returns ``{test id: (outcome, message)}``, outcome in passed/failed/skipped."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_logistic.py").write_text(swapped_source())
        (folder / "conftest.py").write_text(CONFTEST)
        report = folder / "report.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", tmp, "-o", "addopts="]
        cmd += [f"--junitxml={report}", "test_logistic.py"]
        if workers > 1:
            cmd += ["-n", str(workers)]
        if select:
            cmd += ["-k", select]
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parents[1] / "src")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
        if not report.exists():
            raise RuntimeError(f"pytest wrote no report:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return _outcomes(report)


def _outcomes(report: Path) -> dict[str, tuple[str, str]]:
    out = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name")
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", (child.get("message") or "")[:300]
                break
            if child.tag == "skipped":
                outcome, message = "skipped", (child.get("message") or "")[:300]
        out[name] = (outcome, message)
    return out


def base_name(test_id: str) -> str:
    """``test_foo[params]`` -> ``test_foo``."""
    return re.sub(r"\[.*$", "", test_id)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("-k", default=None)
    parser.add_argument("-n", type=int, default=2)
    args = parser.parse_args()
    results = run(args.k, args.n)
    for test_id, (outcome, message) in sorted(results.items()):
        print(f"{outcome:8s} {test_id}  {message}")
    counts = {}
    for outcome, _ in results.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    print(counts)
