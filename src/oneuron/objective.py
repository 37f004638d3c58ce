"""The training objective: the only place that walks over the data.

Solvers ask an :class:`Objective` for values, gradients and curvature at a parameter vector; it adds up the
neuron's per-block sums (``neuron.py``) over the row blocks of a data source (``data/``) and adds the
penalty (``penalty.py``).
"""

from __future__ import annotations

import numpy as np

from oneuron import kernels, neuron
from oneuron.penalty import Penalty


# Block functions: module-level (so they can be shipped to Dask workers), each returns a tuple of sums.
# ``y`` holds encoded labels; parameters arrive already cast to the block's dtype. A block that a compiled
# kernel accepts (C-contiguous dense or CSR, float32/float64) is read once by the kernel (kernels.py);
# any other block (F-ordered, other sparse formats, numba missing) goes through neuron.py.
def _one_hot(y: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    return (y[:, None] == np.arange(n_classes)).astype(dtype)


def binary_loss_block(X, y, s, w, b):
    """Summed loss of one block (no gradient)."""
    if kernels.accepts(X):
        return (kernels.binary_loss_grad(X, y, s, w, b, want_grad=False)[0],)
    z = neuron.forward(X, w, b)
    return (float(s @ (neuron.softplus(z) - y * z)),)


def binary_loss_grad_block(X, y, s, w, b):
    """Summed loss and gradient of one block."""
    if kernels.accepts(X):
        return kernels.binary_loss_grad(X, y, s, w, b)
    return neuron.binary_loss_grad(X, y, s, w, b)


def binary_hessp_block(X, y, s, w, b, v_w, v_b):
    """Hessian-vector product of one block."""
    if kernels.accepts(X):
        return kernels.binary_hessp(X, s, w, b, v_w, v_b)
    return neuron.binary_hessp(X, s, w, b, v_w, v_b)


def binary_hessian_block(X, y, s, w, b, fit_intercept):
    """Full Hessian of one block."""
    if isinstance(X, np.ndarray):
        return (kernels.binary_hessian_dense(X, s, w, b, fit_intercept),)
    return (neuron.binary_hessian(X, s, w, b, fit_intercept),)


def multi_loss_block(X, y, s, W, b):
    """Summed softmax loss of one block (no gradient)."""
    if kernels.accepts(X):
        return (kernels.multi_loss_grad(X, y, s, W, b, want_grad=False)[0],)
    Z = neuron.forward_multi(X, W, b)
    return (float(s @ (neuron.logsumexp(Z) - Z[np.arange(len(y)), y.astype(np.intp)])),)


def multi_loss_grad_block(X, y, s, W, b):
    """Summed softmax loss and gradient of one block."""
    if kernels.accepts(X):
        return kernels.multi_loss_grad(X, y, s, W, b)
    return neuron.multinomial_loss_grad(X, _one_hot(y, W.shape[0], W.dtype), s, W, b)


def multi_hessp_block(X, y, s, W, b, V_W, v_b):
    """Softmax Hessian-vector product of one block."""
    if kernels.accepts(X):
        return kernels.multi_hessp(X, s, W, b, V_W, v_b)
    return neuron.multinomial_hessp(X, s, W, b, V_W, v_b)


class Objective:
    """Penalized, weighted log-loss of the neuron over a data source, as scikit-learn defines it.

    The objective is::

        F(w, b) = (1 / S) sum_i s_i l(y_i, z_i) + R(w) / (C S),     S = sum_i s_i

    with ``l`` the binary (sigmoid) or multinomial (softmax) cross-entropy and ``R`` the penalty's smooth
    part (see :mod:`oneuron.penalty`; an l1 part is left to proximal solvers). Its minimizer is
    scikit-learn's ``LogisticRegression`` solution for the same data and parameters.

    Conventions:
        - Parameters are one flat float64 vector ``theta``. Binary: ``[w_1..w_d, b]``. Multinomial
          (K classes, symmetric parametrization): the K x (d + 1) matrix ``[W | b]`` raveled row by row.
          Without an intercept the ``b`` entries are absent.
        - Every value/gradient evaluation is exactly one pass over the data (:attr:`n_passes` counts them);
          a Hessian-vector product is one more.
        - Sums over blocks are accumulated in float64 whatever the data's dtype.

    Parameters
    ----------
    source : Source
        Data, see :mod:`oneuron.data`.
    n_classes : int
        2 for the binary head, K >= 3 for the softmax head.
    penalty : Penalty
    fit_intercept : bool
    """

    def __init__(self, source, n_classes: int = 2, penalty: Penalty | None = None, fit_intercept: bool = True):
        self.source = source
        self.n_classes = int(n_classes)
        self.is_binary = self.n_classes <= 2
        self.n_rows = 1 if self.is_binary else self.n_classes
        self.n_features = source.n_features
        self.fit_intercept = bool(fit_intercept)
        self.penalty = penalty if penalty is not None else Penalty(None)
        self.n_params = self.n_rows * (self.n_features + self.fit_intercept)
        self.n_passes = 0

    # -- parameter layout -----------------------------------------------------------------------------
    def split(self, theta: np.ndarray):
        """``theta`` -> ``(w, b)``: ``w`` (d,) and float ``b`` (binary) or ``W`` (K, d) and ``b`` (K,)."""
        d = self.n_features
        if self.is_binary:
            return theta[:d], (float(theta[d]) if self.fit_intercept else 0.0)
        M = theta.reshape(self.n_classes, d + self.fit_intercept)
        return M[:, :d], (M[:, d] if self.fit_intercept else np.zeros(self.n_classes))

    def join(self, w, b) -> np.ndarray:
        """Inverse of :meth:`split`; ``b`` is dropped without an intercept."""
        if self.is_binary:
            w = np.ravel(w)
            return np.append(w, b) if self.fit_intercept else np.array(w, dtype=np.float64)
        W = np.asarray(w).reshape(self.n_classes, self.n_features)
        return np.column_stack([W, b]).ravel() if self.fit_intercept else np.array(W).ravel()

    def weights(self, theta: np.ndarray) -> np.ndarray:
        """The penalized entries of ``theta`` (everything but the intercept)."""
        return self.split(theta)[0]

    def _cast(self, *arrays):
        dt = self.source.dtype
        return [np.asarray(a, dtype=dt) for a in arrays]

    def _reduce(self, binary_fn, multi_fn, theta, *extra):
        self.n_passes += 1
        w, b = self._cast(*self.split(theta))
        if self.is_binary:
            b = b[()]  # a 0-d array of the data's dtype
        fn = binary_fn if self.is_binary else multi_fn
        return self.source.reduce(fn, w, b, *extra)

    # -- evaluations ----------------------------------------------------------------------------------
    def loss(self, theta: np.ndarray) -> float:
        """Objective value ``F(theta)`` (smooth part: without the penalty's l1 term)."""
        (loss,) = self._reduce(binary_loss_block, multi_loss_block, theta)
        return float(loss) / self.source.total_weight + self.penalty.smooth_value(self.weights(theta))

    def loss_gradient(self, theta: np.ndarray):
        """``F(theta)`` and its gradient, in one pass over the data."""
        loss, gw, gb = self._reduce(binary_loss_grad_block, multi_loss_grad_block, theta)
        S = self.source.total_weight
        w = self.weights(theta)
        f = float(loss) / S + self.penalty.smooth_value(w)
        return f, self.join(gw / S + self.penalty.smooth_gradient(w), gb / S)

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """Gradient of ``F`` (one pass)."""
        return self.loss_gradient(theta)[1]

    def hessp(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Hessian of ``F`` at ``theta`` times ``v`` (one pass)."""
        v_w, v_b = self.split(np.asarray(v, dtype=np.float64))
        v_w, v_b = self._cast(v_w, v_b)
        if self.is_binary:
            v_b = v_b[()]
        hw, hb = self._reduce(binary_hessp_block, multi_hessp_block, theta, v_w, v_b)
        S = self.source.total_weight
        return self.join(hw / S + self.penalty.l2_strength * self.weights(v), hb / S)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Full Hessian of ``F`` (binary head: one pass; softmax head: one pass per parameter)."""
        if not self.is_binary:
            return np.column_stack([self.hessp(theta, e) for e in np.eye(self.n_params)])
        (H,) = self._reduce(binary_hessian_block, None, theta, self.fit_intercept)
        H = H / self.source.total_weight
        d = self.n_features
        H[np.arange(d), np.arange(d)] += self.penalty.l2_strength
        return H
