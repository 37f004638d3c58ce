r"""
One neuron
==========

Logistic regression is a single artificial neuron. Given the features of one sample, a row
:math:`x` of the data matrix :math:`X`, it computes a weighted sum of them plus a bias, and squashes
that raw score into a probability with the sigmoid:

.. math::

   z = x \cdot w + b, \qquad p = \sigma(z) = \frac{1}{1 + e^{-z}}.

For all the rows at once this is one matrix product, ``z = X @ w + b``. The neuron is trained by
making the binary cross-entropy small: for a label :math:`y \in \{0, 1\}`

.. math::

   \ell(y, p) = -\bigl[y \log p + (1 - y) \log(1 - p)\bigr].

This page builds each piece with :mod:`oneuron.neuron`, the short file that is the whole lesson.
"""

# %%
# The weighted sum and the sigmoid
# --------------------------------
# :func:`~oneuron.neuron.forward` is the weighted sum and :func:`~oneuron.neuron.sigmoid` the
# activation. The sigmoid maps any real score to a probability: 0 is a coin flip, large positive scores
# mean "surely class 1", large negative ones "surely class 0".
import matplotlib.pyplot as plt
import numpy as np

from oneuron import neuron

X = np.array([[1.0, 2.0], [0.5, -1.0], [-3.0, 0.0]])  # three samples, two features
w = np.array([0.8, -0.4])
b = 0.1
z = neuron.forward(X, w, b)
p = neuron.sigmoid(z)
print("z =", z)
print("p =", p.round(4))

# %%
# The sigmoid is computed so that it never overflows, even for scores far beyond what ``exp`` can
# hold:
print(neuron.sigmoid(np.array([-1000.0, 0.0, 1000.0])))

# %%
# The loss, written in z
# ----------------------
# Written with :math:`p`, the cross-entropy takes :math:`\log 0 = -\infty` as soon as the sigmoid rounds
# to exactly 0 or 1 (for :math:`|z| > 37` in float64). Written with :math:`z` it is finite for any
# score:
#
# .. math::
#
#    \ell(y, z) = \log(1 + e^{z}) - y z = \operatorname{softplus}(z) - y z.
#
# :func:`~oneuron.neuron.softplus` computes :math:`\log(1 + e^z)` without overflow.
zs = np.linspace(-8, 8, 201)
fig, (ax_p, ax_l) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
ax_p.plot(zs, neuron.sigmoid(zs))
ax_p.axhline(0.5, color="0.7", lw=1)
ax_p.set(xlabel="z", ylabel="p = sigmoid(z)", title="The activation")
ax_l.plot(zs, neuron.softplus(zs) - zs, label="y = 1: softplus(z) - z")
ax_l.plot(zs, neuron.softplus(zs), label="y = 0: softplus(z)")
ax_l.set(xlabel="z", ylabel="loss", title="The cross-entropy, in z")
ax_l.legend()

with np.errstate(divide="ignore"):  # the naive form takes log(0)
    naive = -np.log(1 - neuron.sigmoid(np.array([40.0])))  # label 0, but z = 40
stable = neuron.softplus(np.array([40.0]))
print(
    f"loss of a confident mistake (y=0, z=40): "
    f"written in p {naive[0]}, written in z {stable[0]}"
)

# %%
# The gradient
# ------------
# The derivative of the loss with respect to the score is strikingly simple:
#
# .. math::
#
#    \frac{\partial \ell}{\partial z} = \sigma(z) - y = p - y,
#
# the *residual*: how far the prediction is from the label. By the chain rule, the gradient of the
# summed loss with respect to the weights is :math:`X^\top (p - y)`, and with respect to the bias
# :math:`\sum_i (p_i - y_i)`. One pass over the data gives the loss and its gradient:
# :func:`~oneuron.neuron.binary_loss_grad` returns both (with sample weights ``s``).
y = np.array([1.0, 0.0, 0.0])
s = np.ones(3)
loss, grad_w, grad_b = neuron.binary_loss_grad(X, y, s, w, b)
print("loss   =", round(loss, 6))
print("grad_w =", grad_w, "  X.T @ (p - y) =", X.T @ (p - y))
print("grad_b =", round(grad_b, 6))

# %%
# A finite-difference check confirms the formula: nudging each weight by ``h`` changes the loss by
# ``h`` times its gradient.
h = 1e-6
numeric = [
    (neuron.binary_loss_grad(X, y, s, w + h * e, b)[0] - loss) / h for e in np.eye(2)
]
print("finite differences:", np.round(numeric, 5))

# %%
# With more than two classes the sigmoid becomes a softmax over K weighted sums, a layer of K neurons,
# and the same formulas hold with vectors: :math:`\ell = \operatorname{logsumexp}(z) - z_y` and
# :math:`\partial\ell/\partial z = p - \operatorname{onehot}(y)`
# (:func:`~oneuron.neuron.multinomial_loss_grad`).
#
# Next: :doc:`plot_2_gradient_descent` uses this gradient to train the neuron.
