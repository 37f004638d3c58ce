"""
Data bigger than memory
=======================

Every oneuron solver sees the data only through a *source* that hands it row blocks, one pass per
evaluation of the cost. So a model can be fitted on files streamed in batches (bounded memory), on a
stream read once (:meth:`~oneuron.LogisticRegression.partial_fit`), or on a Dask collection spread over
a cluster, and the full-batch fits give the same coefficients as in memory.
"""

# %%
# Some data, written to files
# ---------------------------
# 20,000 rows and 10 features here, to keep the page quick; the same code streams files of any size.
import tempfile
from pathlib import Path

import dask.array as da
import numpy as np
import pandas as pd

import oneuron
from oneuron import LogisticRegression

rng = np.random.default_rng(0)
n, d = 20_000, 10
X = rng.normal(size=(n, d))
y = (X @ rng.normal(size=d) + rng.logistic(size=n) > 0).astype(int)
frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(d)]).assign(label=y)

folder = Path(tempfile.mkdtemp())
frame.to_parquet(folder / "train.parquet", row_group_size=4096)
frame.to_csv(folder / "train.csv", index=False)
np.save(folder / "X.npy", X)
np.save(folder / "y.npy", y)

in_memory = LogisticRegression().fit(X, y)

# %%
# Files, streamed in row batches
# ------------------------------
# :func:`oneuron.data.parquet`, :func:`oneuron.data.csv` and :func:`oneuron.data.npy` describe the files;
# ``fit(source)`` reads them one batch at a time, for every pass of the solver. The labels come from the
# source. A directory or a list of files works too.
sources = {
    "parquet": oneuron.data.parquet(
        folder / "train.parquet", target="label", batch_rows=4096
    ),
    "csv": oneuron.data.csv(folder / "train.csv", target="label", batch_rows=4096),
    "npy": oneuron.data.npy(folder / "X.npy", folder / "y.npy", batch_rows=4096),
}
for name, source in sources.items():
    model = LogisticRegression().fit(source)
    gap = np.max(np.abs(model.coef_ - in_memory.coef_))
    print(
        f"{name:8} {model.n_iter_[0]} iterations, "
        f"largest difference from the in-memory fit {gap:.1e}"
    )

# %%
# A stream read once: partial_fit
# -------------------------------
# When the data can be read only once (a stream, or files too large to pass over many times),
# :meth:`~oneuron.LogisticRegression.partial_fit` takes chunk after chunk, with the mini-batch solvers
# ``"sgd"`` (with momentum) or ``"adam"``: one update per ``batch_size`` rows. The first call names every
# class.
online = LogisticRegression(solver="adam", batch_size=256)
for start in range(0, n, 5000):
    online.partial_fit(X[start : start + 5000], y[start : start + 5000], classes=[0, 1])
agreement = np.mean(online.predict(X) == in_memory.predict(X))
print(
    f"after one pass: predictions agree with the full-batch fit "
    f"on {agreement:.1%} of the rows"
)

# %%
# Dask
# ----
# Dask arrays and DataFrames go straight into ``fit``. Under a ``dask.distributed`` ``Client`` the
# partitions are computed once and kept on the workers, each evaluation sends the parameters out and
# adds up the partitions' losses and gradients; without one, Dask's local scheduler is used, as here.
# ``predict_proba`` on Dask input returns a lazy Dask array.
X_dask = da.from_array(X, chunks=(5000, d))
y_dask = da.from_array(y, chunks=5000)
dask_model = LogisticRegression().fit(X_dask, y_dask)
print(
    "largest difference from the in-memory fit",
    f"{np.max(np.abs(dask_model.coef_ - in_memory.coef_)):.1e}",
)
proba = dask_model.predict_proba(X_dask)
print(type(proba).__name__, proba.shape, "->", proba[:3].compute().round(3).tolist())

# %%
# On a real cluster, create the client first (``from distributed import Client; client = Client(...)``).
# ``oneuron demo-cluster`` starts a local cluster and fits on data generated on its workers (see
# :doc:`plot_5_command_line`).
