"""The neuron: one weighted sum, one squashing function, one loss, and their derivatives.

This file is the lesson. Everything else in oneuron is a layer around these few functions.

For one block of rows ``X`` (samples x features; the original lesson stored features x samples) the neuron
computes a raw score per row and squashes it into a probability::

    z = X @ w + b                      (the weighted sum)
    p = sigmoid(z) = 1 / (1 + e^-z)    (the activation, "a" in the lesson)

and is trained by minimizing the binary cross-entropy, which we write in terms of z rather than p so that
it never takes log(0)::

    l(y, z) = -[y log p + (1 - y) log(1 - p)] = log(1 + e^z) - y z = softplus(z) - y z

The derivative of the loss with respect to z is strikingly simple, which is why the neuron is so cheap to
train::

    dl/dz   = p - y                    (the "residual")
    d2l/dz2 = p (1 - p)

and by the chain rule the gradient with respect to the weights of a block is ``X.T @ (s * (p - y))`` with
``s`` the sample weights. With K > 2 classes the sigmoid becomes a softmax over K weighted sums (a layer of
K neurons) and the same formulas hold with vectors: ``l = logsumexp(z) - z_y`` and ``dl/dz = p - onehot(y)``.

Every function works on one block and returns sums over its rows (not means): the objective adds blocks
up and divides by the total weight once. All functions are pure NumPy, keep the dtype of ``X`` and never
loop over rows in Python.
"""

from __future__ import annotations

import numpy as np


# ----------------------------------------------------------------------------------------------------------
# Activations. Both branch on the sign of z so that exp() only ever sees non-positive numbers: no overflow.
# ----------------------------------------------------------------------------------------------------------
def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-z))``, stable for any finite z.

    Parameters
    ----------
    z : ndarray
        Raw scores.

    Returns
    -------
    ndarray
        Probabilities in [0, 1], same shape and dtype as ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron.neuron import sigmoid
    >>> sigmoid(np.array([-1000.0, 0.0, 2.0])).round(4).tolist()  # no overflow warning
    [0.0, 0.5, 0.8808]
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    # z >= 0: 1 / (1 + e^-z);  z < 0: e^z / (1 + e^z)
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def softplus(z: np.ndarray) -> np.ndarray:
    """``log(1 + exp(z))`` computed as ``max(z, 0) + log1p(exp(-|z|))``: no overflow, no log(0).

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron.neuron import softplus
    >>> softplus(np.array([-1000.0, 0.0, 1000.0])).round(4).tolist()
    [0.0, 0.6931, 1000.0]
    """
    z = np.asarray(z)
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log(sigmoid(z)) = -softplus(-z)``, finite even where sigmoid(z) rounds to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron.neuron import log_sigmoid
    >>> log_sigmoid(np.array([-1000.0, 0.0])).round(4).tolist()  # log(0) would be -inf
    [-1000.0, -0.6931]
    """
    return -softplus(-np.asarray(z))


def logsumexp(z: np.ndarray) -> np.ndarray:
    """Row-wise ``log(sum_k exp(z_k))`` for a (n, K) array, shifted by the row maximum to avoid overflow.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron.neuron import logsumexp
    >>> logsumexp(np.array([[1000.0, 1000.0], [0.0, 0.0]])).round(4).tolist()
    [1000.6931, 0.6931]
    """
    zmax = z.max(axis=1, keepdims=True)
    return (zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)))[:, 0]


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise ``exp(z_k) / sum_j exp(z_j)`` for a (n, K) array.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron.neuron import softmax
    >>> softmax(np.array([[0.0, np.log(3.0)], [1000.0, 0.0]])).round(4).tolist()
    [[0.25, 0.75], [1.0, 0.0]]
    """
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------------------------------------
# Binary head: parameters w (d,) and b (scalar). y in {0, 1}, s >= 0 sample weights.
# ----------------------------------------------------------------------------------------------------------
def forward(X, w: np.ndarray, b: float) -> np.ndarray:
    """The weighted sum ``z = X @ w + b`` (X dense or scipy.sparse).

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron.neuron import forward
    >>> forward(np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([0.5, -1.0]), 0.25).tolist()
    [-1.25, -0.75]
    """
    return X @ w + b


def binary_loss_grad(X, y: np.ndarray, s: np.ndarray, w: np.ndarray, b: float):
    """Weighted log-loss of one block and its gradient, from one forward pass.

    Returns
    -------
    loss : float
        ``sum_i s_i * (softplus(z_i) - y_i z_i)``.
    grad_w : ndarray (d,)
        ``X.T @ (s * (p - y))``.
    grad_b : float
        ``sum_i s_i (p_i - y_i)``.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> y, s = np.array([0.0, 1.0, 1.0]), np.ones(3)
    >>> w, b = np.zeros(2), 0.0
    >>> loss, grad_w, grad_b = neuron.binary_loss_grad(X, y, s, w, b)
    >>> round(loss, 4), grad_w.tolist(), grad_b  # at w = 0 every p is 0.5: loss 3 log 2
    (2.0794, [-1.5, 0.5], -0.5)
    """
    z = forward(X, w, b)
    loss = float(s @ (softplus(z) - y * z))
    r = s * (sigmoid(z) - y)  # weighted residual: dl/dz
    return loss, X.T @ r, float(r.sum())


def binary_hessp(X, s: np.ndarray, w: np.ndarray, b: float, v_w: np.ndarray, v_b: float):
    """Hessian of the summed loss times a direction ``(v_w, v_b)``.

    With ``h = s * p (1 - p)`` (the curvature of each row), the Hessian is ``[X 1].T diag(h) [X 1]``, so::

        Hv = [X 1].T (h * (X v_w + v_b))

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> y, s = np.array([0.0, 1.0, 1.0]), np.ones(3)
    >>> w, b = np.zeros(2), 0.0
    >>> Hv_w, Hv_b = neuron.binary_hessp(X, s, w, b, np.array([1.0, 0.0]), 0.0)
    >>> Hv_w.tolist(), Hv_b
    ([1.25, -0.25], 0.75)
    >>> neuron.binary_hessian(X, s, w, b)[:, 0].tolist()  # the same: column 0 of H
    [1.25, -0.25, 0.75]
    """
    p = sigmoid(forward(X, w, b))
    t = s * p * (1 - p) * forward(X, v_w, v_b)
    return X.T @ t, float(t.sum())


def binary_curvature(X, s: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Curvature of each row's loss in its score: ``h_i = s_i d2l/dz2 = s_i p_i (1 - p_i)``.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> y, s = np.array([0.0, 1.0, 1.0]), np.ones(3)
    >>> w, b = np.zeros(2), 0.0
    >>> neuron.binary_curvature(X, s, w, b).tolist()  # p (1 - p) at p = 0.5
    [0.25, 0.25, 0.25]
    """
    p = sigmoid(forward(X, w, b))
    return s * p * (1 - p)


def curvature_hessp(X, h: np.ndarray, v_w: np.ndarray, v_b: float):
    """:func:`binary_hessp` given the rows' curvature ``h = binary_curvature(X, s, w, b)``.

    Within one Newton step every product has the same ``h``, so it is ``[X 1].T (h * (X v_w + v_b))``:
    one product with X each way, no sigmoid.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> y, s = np.array([0.0, 1.0, 1.0]), np.ones(3)
    >>> w, b = np.zeros(2), 0.0
    >>> h = neuron.binary_curvature(X, s, w, b)
    >>> Hv_w, Hv_b = neuron.curvature_hessp(X, h, np.array([1.0, 0.0]), 0.0)
    >>> Hv_w.tolist(), Hv_b
    ([1.25, -0.25], 0.75)
    """
    t = h * forward(X, v_w, v_b)
    return X.T @ t, float(t.sum())


def weighted_gram(X, c: np.ndarray, with_ones: bool = True) -> np.ndarray:
    """``[X 1].T diag(c) [X 1]`` in float64 (without the column of ones when ``with_ones`` is False).

    Every Hessian of the neuron has this shape, with ``c`` a per-row curvature. Where ``c >= 0`` it is
    ``U.T U`` with ``U = sqrt(c) X``, which BLAS computes as a symmetric rank-k update (half the flops of
    a general product); softmax cross-class curvatures ``-p_k p_j`` are negative and take the plain product.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron.neuron import weighted_gram
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> weighted_gram(X, np.array([1.0, 0.5])).round(4).tolist()  # [X 1].T diag(c) [X 1]
    [[5.5, 8.0, 2.5], [8.0, 12.0, 4.0], [2.5, 4.0, 1.5]]
    """
    c = np.asarray(c, dtype=np.float64)
    if hasattr(X, "multiply"):  # sparse
        CX = X.multiply(c[:, None]).tocsr()
        G = (X.T @ CX).toarray()
        border = np.asarray(CX.sum(axis=0)).ravel()
    elif np.all(c >= 0):
        U = X * np.sqrt(c).astype(X.dtype)[:, None]
        G, border = U.T @ U, c @ X
    else:
        CX = X * c[:, None]
        G, border = X.T @ CX, CX.sum(axis=0)
    G = np.asarray(G, dtype=np.float64)
    if not with_ones:
        return G
    d = G.shape[0]
    H = np.empty((d + 1, d + 1))
    H[:d, :d] = G
    H[:d, d] = H[d, :d] = border
    H[d, d] = c.sum()
    return H


def binary_hessian(X, s: np.ndarray, w: np.ndarray, b: float, fit_intercept: bool = True) -> np.ndarray:
    """Full Hessian ``[X 1].T diag(s p (1-p)) [X 1]`` of one block (drop the 1 column without intercept).

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> y, s = np.array([0.0, 1.0, 1.0]), np.ones(3)
    >>> w, b = np.zeros(2), 0.0
    >>> H = neuron.binary_hessian(X, s, w, b)
    >>> H.tolist()  # (d + 1) x (d + 1), the intercept last
    [[1.25, -0.25, 0.75], [-0.25, 0.75, 0.25], [0.75, 0.25, 0.75]]
    """
    return weighted_gram(X, binary_curvature(X, s, w, b), fit_intercept)


# ----------------------------------------------------------------------------------------------------------
# Softmax head: parameters W (K, d) and b (K,). Y is the (n, K) one-hot encoding of the labels.
# ----------------------------------------------------------------------------------------------------------
def forward_multi(X, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The K weighted sums ``Z = X @ W.T + b`` of shape (n, K).

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> Y, s = np.eye(3), np.ones(3)  # one-hot labels 0, 1, 2
    >>> W, b = np.zeros((3, 2)), np.zeros(3)
    >>> neuron.forward_multi(X, np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), b).tolist()
    [[0.0, 1.0, 0.0], [2.0, -1.0, 0.0], [1.0, 1.0, 0.0]]
    """
    return X @ W.T + b


def multinomial_loss_grad(X, Y: np.ndarray, s: np.ndarray, W: np.ndarray, b: np.ndarray):
    """Weighted softmax cross-entropy of one block and its gradient, from one forward pass.

    Returns
    -------
    loss : float
        ``sum_i s_i (logsumexp(z_i) - z_i . y_i)``.
    grad_W : ndarray (K, d)
        ``R.T @ X`` with ``R = s * (P - Y)``.
    grad_b : ndarray (K,)
        ``R.sum(axis=0)``.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> Y, s = np.eye(3), np.ones(3)  # one-hot labels 0, 1, 2
    >>> W, b = np.zeros((3, 2)), np.zeros(3)
    >>> loss, grad_W, grad_b = neuron.multinomial_loss_grad(X, Y, s, W, b)
    >>> round(loss, 4)  # 3 log 3: every class has p = 1/3
    3.2958
    >>> (grad_W.round(4) + 0.0).tolist(), (grad_b.round(4) + 0.0).tolist()  # + 0.0: no signed zeros
    ([[1.0, -0.6667], [-1.0, 1.3333], [0.0, -0.6667]], [0.0, 0.0, 0.0])
    """
    Z = forward_multi(X, W, b)
    lse = logsumexp(Z)
    loss = float(s @ (lse - (Z * Y).sum(axis=1)))
    R = s[:, None] * (np.exp(Z - lse[:, None]) - Y)  # P - Y with P = exp(Z - lse)
    return loss, np.asarray((X.T @ R).T), R.sum(axis=0)


def multinomial_curvature(X, s: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Curvature of each row's loss in its K scores, shape (n, K, K): ``s_i (diag(p_i) - p_i p_i.T)``.

    This is the Hessian of ``l = logsumexp(z) - z_y`` in ``z``; block (k, l) of the weights' Hessian is
    ``X.T diag(H[:, k, l]) X``.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> Y, s = np.eye(3), np.ones(3)  # one-hot labels 0, 1, 2
    >>> W, b = np.zeros((3, 2)), np.zeros(3)
    >>> neuron.multinomial_curvature(X, s, W, b)[0].round(4).tolist()  # diag(p) - p p.T
    [[0.2222, -0.1111, -0.1111], [-0.1111, 0.2222, -0.1111], [-0.1111, -0.1111, 0.2222]]
    """
    P = softmax(forward_multi(X, W, b))
    H = -P[:, :, None] * P[:, None, :]
    k = np.arange(P.shape[1])
    H[:, k, k] += P
    return s[:, None, None] * H


def multinomial_hessp(X, s: np.ndarray, W: np.ndarray, b: np.ndarray, V_W: np.ndarray, v_b: np.ndarray):
    """Hessian of the summed softmax loss times a direction ``(V_W, v_b)``.

    The curvature of one row with respect to its scores is ``diag(p) - p p.T``; applied to the score
    direction ``dz = V_W x + v_b`` it gives ``p * dz - p (p . dz)``, which is then pulled back through X.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> Y, s = np.eye(3), np.ones(3)  # one-hot labels 0, 1, 2
    >>> W, b = np.zeros((3, 2)), np.zeros(3)
    >>> V_W, v_b = np.zeros((3, 2)), np.array([1.0, 0.0, 0.0])
    >>> Hv_W, Hv_b = neuron.multinomial_hessp(X, s, W, b, V_W, v_b)
    >>> Hv_b.round(4).tolist()  # 3 rows x (1/3 - 1/9, -1/9, -1/9)
    [0.6667, -0.3333, -0.3333]
    """
    P = softmax(forward_multi(X, W, b))
    dZ = forward_multi(X, V_W, v_b)
    T = s[:, None] * P * (dZ - (P * dZ).sum(axis=1, keepdims=True))
    return np.asarray((X.T @ T).T), T.sum(axis=0)


def multinomial_probs_hessp(X, s: np.ndarray, P: np.ndarray, V_W: np.ndarray, v_b: np.ndarray):
    """:func:`multinomial_hessp` given the rows' probabilities ``P = softmax(forward_multi(X, W, b))``.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> Y, s = np.eye(3), np.ones(3)  # one-hot labels 0, 1, 2
    >>> W, b = np.zeros((3, 2)), np.zeros(3)
    >>> P = neuron.softmax(neuron.forward_multi(X, W, b))
    >>> V_W, v_b = np.zeros((3, 2)), np.array([1.0, 0.0, 0.0])
    >>> Hv_W, Hv_b = neuron.multinomial_probs_hessp(X, s, P, V_W, v_b)
    >>> np.allclose(Hv_b, neuron.multinomial_hessp(X, s, W, b, V_W, v_b)[1])
    True
    """
    dZ = forward_multi(X, V_W, v_b)
    T = s[:, None] * P * (dZ - (P * dZ).sum(axis=1, keepdims=True))
    return np.asarray((X.T @ T).T), T.sum(axis=0)


def _with_ones(X, fit_intercept: bool) -> np.ndarray:
    """Dense ``[X 1]`` (or ``X``) of one block, for the per-row outer products below."""
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    return np.column_stack([X, np.ones(len(X), dtype=X.dtype)]) if fit_intercept else X


def multinomial_hessian(X, s: np.ndarray, W: np.ndarray, b: np.ndarray, fit_intercept: bool = True) -> np.ndarray:
    """Full Hessian of the summed softmax loss of one block, in one pass.

    With ``x~ = [x 1]`` and parameters ordered class by class (``[W_k | b_k]`` for k = 0..K-1), the curvature
    of one row is ``diag(p) - p p.T`` in the scores, so::

        H = sum_i s_i (diag(p_i) - p_i p_i.T) kron (x~_i x~_i.T)

    computed as ``blockdiag_k(X~.T diag(s p_k) X~) - Q.T diag(s) Q`` with ``Q_i = p_i kron x~_i``.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> Y, s = np.eye(3), np.ones(3)  # one-hot labels 0, 1, 2
    >>> W, b = np.zeros((3, 2)), np.zeros(3)
    >>> H = neuron.multinomial_hessian(X, s, W, b)
    >>> H.shape  # K (d + 1) parameters, class by class
    (9, 9)
    >>> np.allclose(H, H.T)
    True
    """
    Xt = _with_ones(X, fit_intercept)
    P = softmax(forward_multi(X, W, b))
    n, m = Xt.shape
    K = P.shape[1]
    Q = (P[:, :, None] * Xt[:, None, :]).reshape(n, K * m)
    H = -(Q.T @ (s[:, None] * Q))
    for k in range(K):
        H[k * m : (k + 1) * m, k * m : (k + 1) * m] += Xt.T @ ((s * P[:, k])[:, None] * Xt)
    return H


def binary_score_outer(X, y: np.ndarray, s: np.ndarray, w: np.ndarray, b: float, fit_intercept: bool = True):
    """``sum_i s_i g_i g_i.T`` of one block, ``g_i = (p_i - y_i) x~_i`` the gradient of row i's loss.

    This is the "meat" of the sandwich covariance, with ``s`` read as frequency weights (a row of weight 3
    counts as three identical rows): ``[X 1].T diag(s (p - y)^2) [X 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> y, s = np.array([0.0, 1.0, 1.0]), np.ones(3)
    >>> w, b = np.zeros(2), 0.0
    >>> neuron.binary_score_outer(X, y, s, w, b).tolist()  # (p - y)^2 = 1/4 per row
    [[1.25, -0.25, 0.75], [-0.25, 0.75, 0.25], [0.75, 0.25, 0.75]]
    """
    Xt = _with_ones(X, fit_intercept)
    r = sigmoid(forward(X, w, b)) - y
    return Xt.T @ ((s * r * r)[:, None] * Xt)


def multinomial_score_outer(X, Y: np.ndarray, s: np.ndarray, W: np.ndarray, b: np.ndarray, fit_intercept=True):
    """``sum_i s_i g_i g_i.T`` with ``g_i = (p_i - y_i) kron x~_i`` (class-by-class order, as the Hessian).

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import neuron
    >>> X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    >>> Y, s = np.eye(3), np.ones(3)  # one-hot labels 0, 1, 2
    >>> W, b = np.zeros((3, 2)), np.zeros(3)
    >>> M = neuron.multinomial_score_outer(X, Y, s, W, b)
    >>> M.shape, np.allclose(M, M.T)
    ((9, 9), True)
    """
    Xt = _with_ones(X, fit_intercept)
    R = softmax(forward_multi(X, W, b)) - Y
    n, m = Xt.shape
    G = (R[:, :, None] * Xt[:, None, :]).reshape(n, R.shape[1] * m)
    return G.T @ (s[:, None] * G)
