"""
The command line
================

The ``oneuron`` command trains, applies, evaluates and inspects models on CSV or Parquet files, without
writing Python: one row per sample, one column per feature, and a target column. Models are written as
oneuron model files (see :doc:`plot_6_model_files`). ``python -m oneuron`` is the same command.

Each command below ran while this page was built (``run`` passes it to the command's entry point and
prints the command, what it printed and a non-zero exit status).
"""

# %%
# The commands
# ------------

# sphinx_gallery_start_ignore
import contextlib
import io
import os
import shlex
import tempfile
from pathlib import Path

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from oneuron._cli import main

workdir = Path(tempfile.mkdtemp())


def run(command):
    print(f"$ {command}")
    out, here = io.StringIO(), os.getcwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                status = main(shlex.split(command)[1:])
            except SystemExit as stop:  # --help
                status = stop.code
    finally:
        os.chdir(here)
    print(out.getvalue(), end="")
    if status:
        print(f"(exit status {status})")


# sphinx_gallery_end_ignore
run("oneuron --help")

# %%
# Train on a CSV file
# -------------------
# Two files of the breast-cancer data, with the label in the column ``malignant``:
frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "malignant"})
frame["malignant"] = 1 - frame["malignant"]
train, test = train_test_split(frame, random_state=0)
train.to_csv(workdir / "train.csv", index=False)
test.to_csv(workdir / "test.csv", index=False)

run("oneuron train --help")

# %%
run("oneuron train train.csv --target malignant -o tumours.oneuron")

# %%
# Predict, evaluate, summarize
# ----------------------------
# ``predict`` writes a CSV (to standard output without ``-o``); ``--proba`` adds the probabilities:
run("oneuron predict tumours.oneuron test.csv --proba -o predictions.csv")
print("".join((workdir / "predictions.csv").read_text().splitlines(keepends=True)[:4]))

# %%
# ``evaluate`` scores a model on labelled data; ``--plots DIR`` also draws the ROC, precision-recall,
# calibration and confusion-matrix figures there, and ``--json`` prints the metrics as JSON:
run("oneuron evaluate tumours.oneuron test.csv --target malignant")

# %%
# ``summary`` prints what a model file holds. The statistical table needs the training data, which a
# model file does not keep: in Python, ``model.summary(X=..., y=...)`` computes it
# (see :doc:`plot_2_statisticians`).
run("oneuron summary tumours.oneuron")

# %%
# Errors
# ------
# Mistakes get one line on standard error and an exit status: 2 for bad usage (an unknown option, a
# missing file or column), 1 for bad data (an empty file, text columns, a file that is not a model).
# ``--debug`` shows the traceback instead.
run("oneuron train train.csv --target diagnosis -o x.oneuron")

# %%
# The demos
# ---------
# ``oneuron demo`` runs the lesson's experiment (:ref:`the lesson <lesson>`) and writes its figures to
# ``demo_output/``; ``--animate`` adds the animation of the neuron learning. ``oneuron demo-cluster``
# starts a local Dask cluster and fits on data generated on its workers.
run("oneuron demo --help")
