"""
Performance
===========

oneuron's benchmarks time it against the library a user would otherwise reach for (scikit-learn,
statsmodels, pyarrow, dask-ml), in the same run, on the same data, to the same tolerance. The scripts
are in ``benchmarks/``; their results, with the machine and conditions of each run, are recorded in
``benchmarks/RESULTS.md``. This page reads the summary table of the latest full run from that file and
draws it.

Run the benchmarks yourself:

.. code-block:: sh

   make bench                                  # every script at full size (benchmarks/run_all.py)
   python benchmarks/run_all.py --quick        # every script at a small size, to check that they work
   python benchmarks/bench_speed.py --quick    # one script: oneuron against scikit-learn, small sizes

Times depend on the machine; the ratios are what to compare.
"""

# %%
# The latest full run
# -------------------
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

here = Path(globals().get("__file__", "plot_7_performance.py")).resolve().parent
root = next(
    folder
    for folder in [here, *here.parents]
    if (folder / "benchmarks" / "RESULTS.md").exists()
)
text = (root / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")

# the first table of the file: | issue | benchmark | oneuron | peer | ratio | goal | status |
lines = [
    line for line in text.split("\n\n## ", 2)[1].splitlines() if line.startswith("|")
]
header = [cell.strip() for cell in lines[0].strip("|").split("|")]
rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
table = pd.DataFrame(rows, columns=header)[["benchmark", "oneuron", "peer", "ratio"]]
for i in range(
    1, len(table)
):  # "same, float32" rows: spell out what they repeat from the row above
    above = table.iloc[i - 1]
    if re.match(r"(\d+\. )?same, ", table.at[i, "benchmark"]):
        table.at[i, "benchmark"] = above["benchmark"].replace("float64", "float32")
        if re.fullmatch(
            r"[0-9.,]+ m?s", table.at[i, "peer"]
        ):  # a bare time: the same peer as above
            table.at[i, "peer"] = re.sub(
                r"[0-9.,]+ m?s$", table.at[i, "peer"], above["peer"]
            )

SCRIPTS = [  # which script measures each row
    ("X.sum()", "bench_floor.py"),
    ("float64, tol", "bench_floor.py"),
    ("lesson", "bench_lesson.py"),
    ("L1 path", "bench_l1_path.py"),
    ("LogisticRegressionCV", "bench_cv.py"),
    ("summary", "bench_inference.py"),
    ("Parquet", "bench_parquet.py"),
    ("Dask", "bench_dask.py"),
    ("predict_proba", "bench_model_files.py"),
    ("", "bench_speed.py"),
]
table["command"] = [
    "python benchmarks/" + next(script for key, script in SCRIPTS if key in name)
    for name in table["benchmark"]
]
with pd.option_context("display.max_colwidth", 48, "display.width", 200):
    print(table.to_string(index=False))

# %%
# Time against the peer
# ---------------------
# Each bar is oneuron's time divided by the peer's: below 1, oneuron is faster. Rows that compare
# oneuron with itself (float32 against float64, cluster against memory) or that measure memory are left
# out.


def ratio(cell):
    match = re.fullmatch(r"\**([0-9.]+)\**", cell)
    return float(match.group(1)) if match else np.nan


against_itself = table["benchmark"].str.contains("vs our|vs in memory")
memory = table["oneuron"].str.contains("MB")
timed = table[table["ratio"].map(ratio).notna() & ~against_itself & ~memory]
timed = timed.assign(
    r=timed["ratio"].map(ratio), label=timed["benchmark"] + "\nvs " + timed["peer"]
).sort_values("r")

fig, ax = plt.subplots(figsize=(8, 0.45 * len(timed) + 1.2), layout="constrained")
ax.barh(timed["label"], timed["r"], color=np.where(timed["r"] < 1, "C0", "C3"))
ax.axvline(1, color="0.3", lw=1)
ax.set(
    xscale="log", xlabel="oneuron time / peer time (log scale; < 1: oneuron is faster)"
)
ax.tick_params(axis="y", labelsize=7)
ax.invert_yaxis()

# %%
# Every figure in ``benchmarks/RESULTS.md`` comes with the command that printed it, the machine it ran
# on and how loaded it was; the sections below the summary table explain what bounds the cases where a
# goal was missed.
