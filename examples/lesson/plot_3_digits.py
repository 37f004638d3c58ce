r"""
The digits experiment
=====================

The lesson's experiment: train the neuron on the first 1,000 of scikit-learn's 1,797 digits to answer
*is this digit a 2?*, and test it on the last 797. This page runs it with the lesson's own settings,
draws what the neuron learned, shows the digits it gets wrong, and animates the training.
"""

# %%
# The lesson's settings
# ---------------------
# The lesson used gradient descent from zeros with :math:`\alpha = 0.01`, no penalty, and stopped when
# the cost changed by less than :math:`10^{-5}`. It divided its gradient by the 64 features instead of
# the 1,000 samples and summed its cost instead of averaging it. oneuron's cost and gradient are means
# over the samples, so the same run is a step of :math:`0.01 \times 1000 / 64` and a tolerance of
# :math:`10^{-5} / 1000`.
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from oneuron import LogisticRegression, SeparationWarning, plots

digits = load_digits()
X, y = digits.data, (digits.target == 2).astype(int)
X_train, y_train, X_test, y_test = X[:-797], y[:-797], X[-797:], y[-797:]

lesson = {
    "solver": "gd",
    "penalty": None,
    "learning_rate": 0.01 * 1000 / 64,
    "tol": 1e-8,
}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", SeparationWarning)
    model = LogisticRegression(**lesson).fit(X_train, y_train)
predicted = model.predict(X_test)
wrong = np.flatnonzero(predicted != y_test)
print(
    f"{model.n_iter_[0]:,} iterations, "
    f"test accuracy {np.mean(predicted == y_test):.2%}, {len(wrong)} errors"
)

# %%
# Without a penalty oneuron also checks whether the estimates are finite. Here they are not: the 1,000
# training images are *separable*, some weighted sum of the pixels tells the 2s from the rest
# perfectly, so the cost can only approach 0 as the weights grow without bound. The run stops by the
# lesson's rule, and its weights depend on where it stopped:
print(*{type(w.message).__name__ for w in caught})
print(str(caught[0].message)[:160], "...")

# %%
# The loss curve
# --------------
# :func:`oneuron.plots.plot_loss_curve` draws the model's ``loss_curve_``: a fast
# drop in the first dozens of iterations, then a long crawl.
loss_figure = plots.plot_loss_curve(
    model, title=f"The lesson's gradient descent: {model.n_iter_[0]:,} iterations"
)

# %%
# The weights as an image
# -----------------------
# Each of the 64 weights belongs to one pixel, so the weights themselves are an 8x8 image
# (:func:`oneuron.plots.plot_weights_image`). Ink on a red pixel raises the score :math:`z`, so makes
# "a 2" more likely; ink on a blue pixel lowers it. The white border pixels are almost always blank in
# every digit, so they carry no evidence either way.
weights_figure = plots.plot_weights_image(
    model, (8, 8), class_index=0, title='Weights of the "is it a 2?" neuron'
)

# %%
# The misclassified digits
# ------------------------
# The few test digits the neuron gets wrong, with the probability it gave to "a 2"
# (:func:`oneuron.plots.plot_images`):
p_two = model.predict_proba(X_test[wrong])[:, 1]
titles = [
    f"is a 2: {bool(y_test[i])}\nP(2) = {p:.3f}"
    for i, p in zip(wrong, p_two, strict=True)
]
errors_figure = plots.plot_images(
    X_test[wrong], (8, 8), titles=titles, suptitle="Misclassified test digits"
)

# %%
# Watch it learn
# --------------
# To see the neuron learn, pause the training: with ``warm_start=True`` each ``fit`` continues from the
# current weights, and with a fixed learning rate a series of short fits retraces the single long one
# exactly. The pauses are spread on a log scale, since most of the change happens early.
# :func:`oneuron.plots.animate_weights` turns the snapshots into an animation: the weights image on
# the left, the loss falling on the right. (The same animation is written by
# ``oneuron demo --animate``.)
stepper = LogisticRegression(**lesson, warm_start=True)
pauses = np.unique(np.geomspace(1, 8000, 30).astype(int))
iterations, snapshots, losses = [], [], []
with warnings.catch_warnings():
    warnings.simplefilter(
        "ignore", ConvergenceWarning
    )  # every pause, and the separation, is expected
    for pause in pauses:
        stepper.set_params(max_iter=int(pause) - len(losses)).fit(X_train, y_train)
        losses += stepper.loss_curve_
        iterations.append(len(losses))
        snapshots.append(stepper.coef_[0].copy())
        if len(losses) < pause:  # converged before this pause
            break
print(
    f"{len(snapshots)} frames; the paused run ends where the single run did: "
    f"{np.allclose(stepper.coef_, model.coef_)}"
)

animation = plots.animate_weights(
    snapshots,
    losses,
    (8, 8),
    iterations=iterations,
    interval=200,
    title='The "is it a 2?" neuron learning',
)

# %%
# The lesson took thousands of iterations to get here. :doc:`plot_4_newton_lbfgs` shows why, and how
# oneuron's default gets there in about ten.
