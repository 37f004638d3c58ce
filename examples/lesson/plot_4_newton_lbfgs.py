r"""
Why gradient descent is slow, and what Newton and L-BFGS do
===========================================================

The lesson's gradient descent needed thousands of iterations on the digits. oneuron's default needs
about ten. This page measures why, on the lesson's data, with the counts computed while this page was
built.

To compare solvers fairly they must aim at the same, finite optimum, so all fits below use oneuron's
default penalty (L2, ``C=1``). An iteration counts as "there" once the cost is within
:math:`10^{-6}` (relative) of the optimum.
"""

# %%
# The iteration counts
# --------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from oneuron import LogisticRegression, neuron

digits = load_digits()
X_raw, y = digits.data[:1000], (digits.target[:1000] == 2).astype(int)
X_scaled = StandardScaler().fit_transform(X_raw)
data = {"raw pixels (0..16)": X_raw, "standardized pixels": X_scaled}


def iterations_to_optimum(curve, best, rel=1e-6):
    """The first iteration whose cost is within ``rel`` of ``best`` (None if never)."""
    hits = np.flatnonzero(np.asarray(curve) - best <= rel * abs(best))
    return int(hits[0]) + 1 if len(hits) else None


solvers = {
    "gd, fixed step 0.156": {"solver": "gd", "learning_rate": 0.01 * 1000 / 64},
    "gd, automatic step": {"solver": "gd"},
    "lbfgs": {"solver": "lbfgs"},
    "newton": {"solver": "newton"},
}
curves, counts = {}, {}
for data_name, X in data.items():
    best = LogisticRegression(solver="newton", tol=1e-12).fit(X, y).objective_value_
    for solver_name, params in solvers.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            m = LogisticRegression(tol=1e-12, max_iter=10_000, **params).fit(X, y)
        curves[data_name, solver_name] = np.asarray(m.loss_curve_) - best
        counts[data_name, solver_name] = iterations_to_optimum(m.loss_curve_, best)

print(f"{'iterations to the optimum':32}" + "".join(f"{name:>24}" for name in data))
for solver_name in solvers:
    row = [counts[data_name, solver_name] for data_name in data]
    print(
        f"{solver_name:32}"
        + "".join(f"{'> 10,000' if c is None else f'{c:,}':>24}" for c in row)
    )

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
for ax, data_name in zip(axes, data, strict=True):
    for solver_name in solvers:
        gap = np.maximum(curves[data_name, solver_name], 1e-16)
        ax.plot(np.arange(1, len(gap) + 1), gap, label=solver_name)
    ax.set(xscale="log", yscale="log", xlabel="iteration", title=data_name)
axes[0].set_ylabel("cost - optimum")
axes[1].legend(loc="lower left")

# %%
# Why: the shape of the cost
# --------------------------
# Gradient descent walks downhill with one step size for every direction. How far it can step is set
# by the steepest direction of the cost (a larger step overshoots there), and how fast it then makes
# progress is set by the flattest one. The ratio of the two, the *condition number* of the Hessian
# (the matrix of second derivatives), is what it pays: roughly :math:`\kappa \log(1/\varepsilon)`
# iterations to reach precision :math:`\varepsilon`.
#
# The Hessian of the mean loss is :math:`\frac1n [X\,1]^\top \operatorname{diag}(p(1-p)) [X\,1]`
# (:func:`oneuron.neuron.binary_hessian`), plus :math:`I / (C n)` on the weights for the penalty. Raw
# pixels range from 0 to 16 with very different spreads (the border pixels are almost always 0), so
# some directions are thousands of times steeper than others. Standardizing the pixels (mean 0,
# variance 1) evens them out.
for data_name, X in data.items():
    m = LogisticRegression(solver="newton", tol=1e-10).fit(X, y)
    p = m.predict_proba(X)[:, 1]
    H = neuron.binary_hessian(X, np.ones(len(y)), m.coef_[0], m.intercept_[0]) / len(y)
    H[:-1, :-1] += np.eye(X.shape[1]) / len(y)  # the L2 penalty, C = 1
    eigenvalues = np.linalg.eigvalsh(H)
    print(
        f"{data_name:22}: condition number of the Hessian "
        f"{eigenvalues[-1] / eigenvalues[0]:12,.0f}"
    )

# %%
# What Newton and L-BFGS do instead
# ---------------------------------
# **Newton's method** uses the curvature itself. At each iteration it solves
# :math:`H \Delta = -g` for the step (one Cholesky factorization of a 65 x 65 matrix here) and lands at
# the minimum of the local quadratic model of the cost. Steep and flat directions are rescaled alike,
# so the condition number no longer matters, and near the optimum each step doubles the number of
# correct digits. Each iteration reads the data once to build the Hessian, which is cheap when the
# number of features is small: ``solver="auto"`` picks Newton for problems like this one.
#
# **L-BFGS** builds an approximation of the inverse Hessian from the last few gradients and steps
# (changes in the weights and in the gradient), so each iteration costs about one gradient, whatever
# the number of features. It needs more iterations than Newton but far fewer than gradient descent, and
# is the default for large dense data.
#
# Standardizing the features also helps gradient descent a lot, as the table shows, and costs nothing:
# a :class:`~sklearn.pipeline.Pipeline` with :class:`~sklearn.preprocessing.StandardScaler` in front of
# the model is the usual way to do it.
default = LogisticRegression().fit(X_raw, y)
print(
    f"the default on raw pixels: solver={default.solver_!r}, "
    f"{default.n_iter_[0]} iterations"
)
