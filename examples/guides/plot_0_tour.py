"""
A five-minute tour
==================

Fit a model, read its coefficients and its statistics, put it in a scikit-learn pipeline, save it to
a file and draw it. Every line below ran while this page was built.
"""

# %%
# Fit and predict
# ---------------
# :class:`oneuron.LogisticRegression` is used like scikit-learn's: ``fit``, ``predict``,
# ``predict_proba``, ``score``. The breast-cancer data has 569 tumours, 30 measurements each.
import tempfile
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import oneuron
from oneuron import LogisticRegression, plots

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

model = make_pipeline(StandardScaler(), LogisticRegression())
model.fit(X_train, y_train)
print(f"test accuracy {model.score(X_test, y_test):.3f}")
print(
    "P(benign) of the first 3 test tumours:",
    model.predict_proba(X_test[:3])[:, 1].round(3),
)

# %%
# It works anywhere scikit-learn expects a classifier, here cross-validation:
scores = cross_val_score(
    make_pipeline(StandardScaler(), LogisticRegression()), X, y, cv=5
)
print("5-fold accuracy:", scores.round(3))

# %%
# What the neuron learned, and how
# --------------------------------
# The fitted neuron is ``coef_`` (one weight per feature) and ``intercept_`` (the bias). oneuron also
# tells you how it got there: the solver it chose, its iterations, and the cost after each one.
neuron = model[-1]
print(
    "solver:",
    neuron.solver_,
    "| iterations:",
    neuron.n_iter_[0],
    "| final cost:",
    round(neuron.loss_curve_[-1], 5),
)
weights = pd.Series(neuron.coef_[0], index=X.columns)
print(weights.sort_values(key=abs, ascending=False).head(3).round(2))

# %%
# Statistics
# ----------
# Without a penalty the model is the classical maximum-likelihood logistic regression, and
# :meth:`~oneuron.LogisticRegression.summary` gives what statsmodels gives: standard errors, z
# statistics, p-values and confidence intervals. Here on four features, standardized:
features = ["mean radius", "mean texture", "mean smoothness", "mean concavity"]
Xs = (X[features] - X[features].mean()) / X[features].std()
stats_model = LogisticRegression(penalty=None).fit(Xs, y)
summary = stats_model.summary()
print(summary)

# %%
# Save, load, draw
# ----------------
# :func:`oneuron.save` writes a model file (JSON and arrays with a checksum, no pickle);
# :func:`oneuron.load` reads it back. :mod:`oneuron.plots` draws a fitted model.
path = Path(tempfile.mkdtemp()) / "tumours.oneuron"
oneuron.save(stats_model, path)
again = oneuron.load(path)
print(
    "same predictions after loading:",
    (again.predict(Xs) == stats_model.predict(Xs)).all(),
)

coefficients = plots.plot_coefficients(stats_model)

# %%
# Where next: :ref:`the lesson <lesson>` explains the neuron and its training; the other
# :ref:`guides <guides>` cover each feature.
