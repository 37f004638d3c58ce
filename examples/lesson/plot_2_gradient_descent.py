r"""
Gradient descent
================

Training the neuron means finding the weights :math:`w` and bias :math:`b` that make the mean loss over
the :math:`n` training samples small:

.. math::

   J(w, b) = \frac{1}{n} \sum_{i=1}^n \ell(y_i, x_i \cdot w + b).

Gradient descent starts from zeros and repeatedly takes a step against the gradient, whose size is set
by the *learning rate* :math:`\alpha`:

.. math::

   w \leftarrow w - \alpha \, \frac{1}{n} X^\top (p - y), \qquad
   b \leftarrow b - \alpha \, \frac{1}{n} \sum_i (p_i - y_i).

It stops when the cost changes by less than a tolerance between two iterations.
"""

# %%
# The data: is this digit a 2?
# ----------------------------
# scikit-learn's digits are 1,797 images of 8x8 pixels, each pixel a gray level from 0 to 16. The
# lesson trains on the first 1,000 images and keeps the last 797 for testing; its label is 1 when the
# digit is a 2.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from oneuron import LogisticRegression, neuron

digits = load_digits()
X, y = digits.data, (digits.target == 2).astype(float)
X_train, y_train = X[:1000], y[:1000]
n, d = X_train.shape
print(f"{n} training images of {d} pixels, {int(y_train.sum())} of them a 2")

# %%
# Gradient descent by hand
# ------------------------
# Ten lines, with :func:`oneuron.neuron.binary_loss_grad` computing the summed loss and its gradient in
# one pass over the data:
alpha = 0.15
w, b = np.zeros(d), 0.0
ones = np.ones(n)
by_hand = []
for _ in range(300):
    loss, grad_w, grad_b = neuron.binary_loss_grad(X_train, y_train, ones, w, b)
    w -= alpha * grad_w / n
    b -= alpha * grad_b / n
    by_hand.append(neuron.binary_loss_grad(X_train, y_train, ones, w, b)[0] / n)
print(f"loss after 1 step {by_hand[0]:.4f}, after 300 steps {by_hand[-1]:.6f}")

# %%
# ``LogisticRegression(solver="gd")`` is this loop, vectorized and with its flaws handled (a cap on the
# iterations, a warning when it does not converge, a loss that never takes ``log(0)``). With the same
# learning rate, no penalty and the same number of iterations it follows exactly the same path:
# ``loss_curve_`` (an attribute of :class:`~oneuron.LogisticRegression`) holds the cost after each
# iteration.
with warnings.catch_warnings():
    warnings.simplefilter(
        "ignore", ConvergenceWarning
    )  # 300 iterations are not convergence
    model = LogisticRegression(
        solver="gd", penalty=None, learning_rate=alpha, max_iter=300, tol=0
    )
    model.fit(X_train, y_train)
print(
    "largest difference from the loop above:",
    np.max(np.abs(np.array(model.loss_curve_) - by_hand)),
)
print("same weights:", np.allclose(model.coef_[0], w, rtol=1e-12, atol=1e-12))

# %%
# The learning rate
# -----------------
# The cost starts at :math:`\log 2 \approx 0.69` (all weights zero, every :math:`p = 1/2`). Too small a
# step and it falls slowly. Too large a step overshoots: with raw pixels (0 to 16) the cost is steep, and
# a fixed step that suits the flat end of the descent first throws the weights far past the minimum
# (the cost jumps to 15 and more before it comes down). These 1,000 images happen to be separable (a
# 2 can be told apart from the rest perfectly), which is why even the large steps recover here.
#
# ``learning_rate="auto"`` (the default) needs no tuning: it tries a step 1.25 times the last one and
# halves it until the cost falls enough (Armijo's rule), so the cost falls at every iteration.
curves = {}
for rate in [0.01, 0.15, 1.0, "auto"]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = LogisticRegression(
            solver="gd", penalty=None, learning_rate=rate, max_iter=300, tol=0
        )
        m.fit(X_train, y_train)
    curves[rate] = m.loss_curve_
    print(
        f"learning_rate={rate!s:>5}: cost after the first step "
        f"{m.loss_curve_[0]:7.3f}, highest {max(m.loss_curve_):7.3f}, "
        f"after 300 steps {m.loss_curve_[-1]:.2g}"
    )

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for rate, curve in curves.items():
    ax.plot(np.arange(1, len(curve) + 1), curve, label=f"learning_rate={rate}")
ax.set(
    xscale="log",
    yscale="log",
    xlabel="iteration",
    ylabel="mean cross-entropy",
    title="Gradient descent",
)
ax.legend()

# %%
# The lesson's own run goes on for thousands of iterations with a fixed step: that is
# :doc:`plot_3_digits`.
