"""
For scikit-learn users
======================

:class:`oneuron.LogisticRegression` is a drop-in for :class:`sklearn.linear_model.LogisticRegression`:
the same parameters where they exist (``penalty``, ``C``, ``l1_ratio``, ``class_weight``,
``fit_intercept``, ``max_iter``, ``tol``, ``warm_start``), the same objective, so the same
coefficients, and the same fitted attributes (``coef_``, ``intercept_``, ``classes_``, ``n_iter_``,
``n_features_in_``, ``feature_names_in_``). Change the import and keep the rest of your code.
"""

# %%
# The same coefficients
# ---------------------
# Both minimize the same penalized cross-entropy, so where both converge they agree to the tolerance.
import numpy as np
from sklearn import linear_model
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from oneuron import LogisticRegression, LogisticRegressionCV

X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)
for C in [0.05, 1.0, 20.0]:
    theirs = linear_model.LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    ours = LogisticRegression(C=C, tol=1e-10).fit(X, y)
    gap = np.max(np.abs(ours.coef_ - theirs.coef_)) / np.max(np.abs(theirs.coef_))
    print(f"C={C:<5}: largest coefficient difference, relative: {gap:.1e}")

# %%
# Three or more classes give a softmax layer, as in scikit-learn:
X_iris, y_iris = load_iris(return_X_y=True)
ours = LogisticRegression().fit(X_iris, y_iris)
theirs = linear_model.LogisticRegression(max_iter=1000).fit(X_iris, y_iris)
print(
    "classes:",
    ours.classes_,
    "| coef_ shape:",
    ours.coef_.shape,
    "| same as scikit-learn:",
    theirs.coef_.shape,
)
print(
    "predictions agree on",
    np.mean(ours.predict(X_iris) == theirs.predict(X_iris)) * 100,
    "% of the flowers",
)

# %%
# Pipelines, grid search, clone
# -----------------------------
# It is a scikit-learn estimator (``get_params``, ``set_params``, ``clone``), so every meta-estimator
# takes it:
search = GridSearchCV(
    make_pipeline(StandardScaler(), LogisticRegression()),
    {"logisticregression__C": [0.01, 0.1, 1, 10]},
)
search.fit(*load_breast_cancer(return_X_y=True))
print("best C:", search.best_params_, f"accuracy {search.best_score_:.3f}")

# %%
# :class:`oneuron.LogisticRegressionCV` chooses ``C`` (and ``l1_ratio``) by cross-validation like
# :class:`sklearn.linear_model.LogisticRegressionCV`, with the same folds for the same ``cv``, and
# scikit-learn 1.9's attribute layouts (the legacy one, per class, is still the default there):
cv_model = LogisticRegressionCV(Cs=8, cv=5, use_legacy_attributes=False).fit(X, y)
print(f"C_ = {cv_model.C_:.4g}, scores_ shape {np.shape(cv_model.scores_)}")

# %%
# What differs
# ------------
#
# .. list-table::
#    :header-rows: 1
#    :widths: 22 39 39
#
#    * -
#      - scikit-learn
#      - oneuron
#    * - solvers
#      - ``lbfgs`` (default), ``liblinear``, ``newton-cg``, ``newton-cholesky``, ``sag``, ``saga``
#      - ``auto`` (default: picks Newton, L-BFGS or proximal Newton for the problem), ``gd`` (the
#        lesson's), ``lbfgs``, ``newton``, ``prox`` (L1 and elastic net), ``sgd`` and ``adam``
#        (mini-batch)
#    * - how the fit went
#      - ``n_iter_``
#      - also ``loss_curve_`` (the cost after each iteration), ``solver_``, ``objective_value_``
#    * - statistics
#      - none
#      - :meth:`~oneuron.LogisticRegression.summary` (standard errors, p-values, robust covariances),
#        ``penalty="firth"``, a warning naming the terms when the data are separated
#    * - data
#      - in memory
#      - also files streamed in batches (:mod:`oneuron.data`) and Dask collections
#    * - saving
#      - pickle or joblib
#      - :func:`oneuron.save` / :func:`oneuron.load` (no pickle, checksummed), :func:`oneuron.export_onnx`
#
# scikit-learn 1.8 deprecates ``penalty`` in favour of ``l1_ratio`` and ``C=np.inf``. In oneuron
# ``penalty`` chooses the penalty (``l1_ratio`` is read only with ``penalty="elasticnet"``), and
# ``C=np.inf`` is the same model as ``penalty=None``.
#
# The gradient-descent extras (``learning_rate``) and the mini-batch ones (``batch_size``,
# ``momentum``, :meth:`~oneuron.LogisticRegression.partial_fit`) have no scikit-learn counterpart in
# this estimator.
