"""The training objective: the only place that walks over the data.

Solvers ask an :class:`Objective` for an :class:`Evaluation` at a parameter vector: the value, the gradient
and, on demand, Hessian products, all at that one point. The objective adds up the neuron's per-block sums
(:mod:`oneuron.neuron`, or the compiled kernels of ``_kernels.py``) over the row blocks of a data source
(:mod:`oneuron.data`) and adds the penalty (``_penalty.py``). It keeps no state between calls but a count of
passes: what a solver needs again at a point travels in the evaluation it holds.

Other layers run their own per-block sums at a point through :meth:`Objective.reduce` (inference, separation,
Firth's modified score): they write the block function, the objective walks the data.
"""

from __future__ import annotations

import numpy as np

from oneuron import _kernels as kernels
from oneuron import neuron
from oneuron._layout import Layout
from oneuron._penalty import Penalty
from oneuron.data._memory import MemorySource, add_into


# ----------------------------------------------------------------------------------------------------------
# Block functions: ``fn(X, y, s, w, b, *args)`` on one block of rows, returning a tuple of sums (or, run
# through ``Source.map``, per-row arrays kept for later passes). ``y`` holds encoded labels (0/1 for the binary
# head, class indices for the softmax head); the parameters arrive in float64.
# ----------------------------------------------------------------------------------------------------------
class _Block:
    """One block computation, by a compiled kernel where one accepts the block, else by ``neuron.py``'s NumPy.

    The kernels read C-contiguous float32/float64 arrays and CSR matrices, in float64 arithmetic whatever the
    dtype of X; anything else (F-ordered arrays, other sparse formats, numba missing) goes through NumPy, on
    the block widened to float64 (a copy of one block of a float32 X), so that both give the same sums up to
    their order. (A class rather than a closure, so that Dask can ship it to its workers.)
    """

    __slots__ = ("compiled", "numpy")

    def __init__(self, compiled, numpy):
        self.compiled, self.numpy = compiled, numpy

    def __call__(self, X, *args):
        if kernels.accepts(X):
            return self.compiled(X, *args)
        return self.numpy(X if X.dtype == np.float64 else X.astype(np.float64), *args)


def _in_dtype_of(X, *arrays):
    """Parameters in X's dtype, for NumPy/BLAS products on a block the kernels read (a float32 block stays
    float32: no float64 copy of it)."""
    return [np.asarray(a, dtype=X.dtype) for a in arrays]


def _extras(X, sums, h, keep_rows, hessian):
    """Append the block's Hessian ``[X 1].T diag(h) [X 1]`` (a sum) and/or the rows' curvature ``h`` (kept)."""
    if hessian is not None:
        sums = (*sums, neuron.weighted_gram(X, h, hessian))
    return (*sums, h) if keep_rows else sums


def _binary_pass_compiled(X, y, s, w, b, grad, keep_rows, hessian):
    h = np.empty(X.shape[0]) if keep_rows or hessian is not None else None
    sums = kernels.binary_loss_grad(X, y, s, w, b, want_grad=grad, curvature=h)
    return _extras(X, sums, h, keep_rows, hessian)


# The NumPy side of each block function gets a float64 block (see _Block) and float64 parameters.
def _binary_pass_numpy(X, y, s, w, b, grad, keep_rows, hessian):
    if grad:
        sums = neuron.binary_loss_grad(X, y, s, w, b)
    else:
        z = neuron.forward(X, w, b)
        sums = (float(s @ (neuron.softplus(z) - y * z)), np.zeros(0), 0.0)
    h = neuron.binary_curvature(X, s, w, b) if keep_rows or hessian is not None else None
    return _extras(X, sums, h, keep_rows, hessian)


#: binary head, one read of X: ``(loss, grad_w, grad_b[, Hessian][, rows' curvature s p (1 - p)])``;
#: arguments ``grad`` (bool), ``keep_rows`` (bool), ``hessian`` (None, or whether it has the intercept's row)
binary_pass = _Block(_binary_pass_compiled, _binary_pass_numpy)


def _one_hot(y: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    return (y[:, None] == np.arange(n_classes)).astype(dtype)


def _multi_pass_compiled(X, y, s, W, b, grad, keep_rows, hessian):
    P = np.empty((X.shape[0], W.shape[0])) if keep_rows else None
    sums = kernels.multi_loss_grad(X, y, s, W, b, want_grad=grad, probabilities=P)
    if hessian is not None:
        sums = (*sums, neuron.multinomial_hessian(X, s, *_in_dtype_of(X, W, b), hessian))
    return (*sums, P) if keep_rows else sums


def _multi_pass_numpy(X, y, s, W, b, grad, keep_rows, hessian):
    if grad:
        sums = neuron.multinomial_loss_grad(X, _one_hot(y, W.shape[0], W.dtype), s, W, b)
    else:
        Z = neuron.forward_multi(X, W, b)
        sums = (float(s @ (neuron.logsumexp(Z) - Z[np.arange(len(y)), y.astype(np.intp)])), np.zeros(0), 0.0)
    return _multi_extras(X, s, W, b, sums, keep_rows, hessian)


def _multi_extras(X, s, W, b, sums, keep_rows, hessian):
    if hessian is not None:
        sums = (*sums, neuron.multinomial_hessian(X, s, W, b, hessian))
    if keep_rows:  # each row's class probabilities (rows, K), in float64
        sums = (*sums, neuron.softmax(neuron.forward_multi(X, W, b)))
    return sums


#: softmax head, as :data:`binary_pass`; the rows kept are their class probabilities (rows, K)
multi_pass = _Block(_multi_pass_compiled, _multi_pass_numpy)


def _binary_hessp_numpy(X, y, s, w, b, v_w, v_b):
    return neuron.binary_hessp(X, s, w, b, v_w, v_b)


def _binary_hessp_compiled(X, y, s, w, b, v_w, v_b):
    return kernels.binary_hessp(X, s, w, b, v_w, v_b)


def _multi_hessp_numpy(X, y, s, W, b, V_W, v_b):
    return neuron.multinomial_hessp(X, s, W, b, V_W, v_b)


def _multi_hessp_compiled(X, y, s, W, b, V_W, v_b):
    return kernels.multi_hessp(X, s, W, b, V_W, v_b)


#: Hessian-vector products of one block without kept state: ``(Hv_w, Hv_b)``
binary_hessp = _Block(_binary_hessp_compiled, _binary_hessp_numpy)
multi_hessp = _Block(_multi_hessp_compiled, _multi_hessp_numpy)


# Products with the state kept per block by an evaluation (``Source.map(..., state=...)``: the block's entry
# comes after ``s``): the rows' curvature h (binary) or probabilities P (softmax).
def _curvature_hessp_compiled(X, y, s, h, v_w, v_b):
    return kernels.curvature_hessp(X, h, v_w, v_b)


def _curvature_hessp_numpy(X, y, s, h, v_w, v_b):
    return neuron.curvature_hessp(X, h, v_w, v_b)


curvature_hessp = _Block(_curvature_hessp_compiled, _curvature_hessp_numpy)


def _probs_hessp_compiled(X, y, s, P, V_W, v_b):
    return kernels.probs_hessp(X, s, P, V_W, v_b)


def _probs_hessp_numpy(X, y, s, P, V_W, v_b):
    return neuron.multinomial_probs_hessp(X, s.astype(np.float64), P, V_W, v_b)


#: softmax Hessian-vector product of one block given its rows' probabilities ``P`` (float64)
probs_hessp = _Block(_probs_hessp_compiled, _probs_hessp_numpy)


def curvature_diagonal(X, y, s, h):
    """``(sum_i h_i x_ij^2 for each j, sum_i h_i)``: the diagonal of one block's Hessian, given ``h``."""
    if hasattr(X, "multiply"):  # sparse
        X2 = X.multiply(X).astype(np.float64)
    else:
        X2 = np.square(X, dtype=np.float64)
    return X2.T @ h, float(h.sum())


class Objective:
    """Penalized, weighted log-loss of the neuron over a data source, as scikit-learn defines it.

    The objective is::

        F(w, b) = (1 / S) sum_i s_i l(y_i, z_i) + R(w) / (C S),     S = sum_i s_i

    with ``l`` the binary (sigmoid) or multinomial (softmax) cross-entropy and ``R`` the penalty's smooth
    part (see ``_penalty.py``; an l1 part is left to proximal solvers). Its minimizer is scikit-learn's
    ``LogisticRegression`` solution for the same data and parameters.

    Conventions:
        - Parameters are one flat float64 vector ``theta`` laid out by :class:`~oneuron._layout.Layout`
          (binary ``[w, b]``; softmax ``[W | b]`` row by row). Without an intercept the ``b`` entries are
          absent.
        - Every evaluation is exactly one pass over the data (:attr:`n_passes` counts them); a Hessian-vector
          product is one more. Nothing is remembered between calls: an :class:`Evaluation` carries what a
          second-order solver needs again at its point.
        - Parameters reach the compiled kernels in float64 whatever the data's dtype, and block sums are
          accumulated in float64.

    Parameters
    ----------
    source : Source
        Data, see :mod:`oneuron.data`.
    n_classes : int
        2 for the binary head, K >= 3 for the softmax head.
    penalty : Penalty
    fit_intercept : bool
    """

    #: largest per-row state (bytes) an evaluation keeps: n x K float64 probabilities for the softmax head
    MAX_STATE_BYTES = 2**28

    def __init__(self, source, n_classes: int = 2, penalty: Penalty | None = None, fit_intercept: bool = True):
        self.source = source
        self.layout = Layout(int(n_classes), source.n_features, bool(fit_intercept))
        self.penalty = penalty if penalty is not None else Penalty(None)
        self.n_passes = 0

    def with_penalty(self, penalty: Penalty) -> Objective:
        """The same data term with another penalty (a regularization path); passes are counted apart."""
        return Objective(self.source, self.n_classes, penalty, self.fit_intercept)

    def subsample(self, n_rows: int, seed: int = 0) -> Objective | None:
        """The same objective on ``n_rows`` rows drawn without replacement (a copy of them), or None when the
        source does not hold its rows in memory (or the drawn rows have no weight).

        Its data term is the weighted mean over the drawn rows and its penalty is this one, so its optimum is
        this objective's up to the sampling error. Passes are counted apart.
        """
        rows = self.source.rows()
        if rows is None:
            return None
        idx = np.sort(np.random.default_rng(seed).choice(self.source.n_samples, size=n_rows, replace=False))
        return self._on_rows(*(a[idx] for a in rows))

    def head(self, n_rows: int) -> Objective | None:
        """As :meth:`subsample`, on the first ``n_rows`` rows (views of them: nothing is copied); None also when
        the source has no more rows than that."""
        rows = self.source.rows()
        if rows is None or self.source.n_samples <= n_rows:
            return None
        return self._on_rows(*(a[:n_rows] for a in rows))

    def _on_rows(self, X, y, s) -> Objective | None:
        if not np.sum(s, dtype=np.float64) > 0:  # every row without weight: no objective
            return None
        n_jobs = getattr(self.source, "n_jobs", None)
        source = MemorySource(X, y, s, n_jobs=n_jobs, n_classes=self.n_classes)
        return Objective(source, self.n_classes, self.penalty, self.fit_intercept)

    # -- the layout, for the solvers --------------------------------------------------------------------
    n_classes = property(lambda self: self.layout.n_classes)
    n_features = property(lambda self: self.layout.n_features)
    fit_intercept = property(lambda self: self.layout.fit_intercept)
    is_binary = property(lambda self: self.layout.is_binary)
    n_rows = property(lambda self: self.layout.n_rows)
    n_params = property(lambda self: self.layout.n_params)

    def split(self, theta):
        return self.layout.split(theta)

    def join(self, w, b):
        return self.layout.join(w, b)

    def weights(self, theta):
        return self.layout.weights(theta)

    def remove_symmetry(self, step: np.ndarray) -> np.ndarray:
        """See :meth:`Layout.remove_symmetry`: the weights are flat too when there is no penalty."""
        return self.layout.remove_symmetry(step, penalized_weights=self.penalty.strength != 0)

    @property
    def has_sparse_columns(self) -> bool:
        """Whether the source offers its sparse columns (an in-memory sparse matrix), for coordinate descent.

        Answered without making them: a fit that never needs them never pays for the column copy."""
        return self.source.has_sparse_columns

    # -- passes -------------------------------------------------------------------------------------------
    def reduce(self, block_fn, theta: np.ndarray, *args) -> list:
        """``sum over blocks of block_fn(X_b, y_b, s_b, w, b, *args)`` at ``theta``: one pass over the data.

        ``w, b`` are ``theta`` split by the layout, in float64. This is how other layers (inference,
        separation, Firth) evaluate their own per-block sums without touching the data themselves.
        """
        self.n_passes += 1
        w, b = self.split(np.asarray(theta, dtype=np.float64))
        return self.source.reduce(block_fn, w, b, *args)

    def _map(self, block_fn, theta: np.ndarray, *args) -> list:
        self.n_passes += 1
        w, b = self.split(np.asarray(theta, dtype=np.float64))
        return self.source.map(block_fn, w, b, *args)

    def _can_keep_rows(self) -> bool:
        return self.source.keeps_blocks and self.source.n_samples * self.n_rows * 8 <= self.MAX_STATE_BYTES

    @property
    def _pass(self):
        return binary_pass if self.is_binary else multi_pass

    def loss(self, theta: np.ndarray) -> float:
        """Objective value ``F(theta)`` (smooth part: without the penalty's l1 term); one pass."""
        (loss, *_) = self.reduce(self._pass, theta, False, False, None)
        return float(loss) / self.source.total_weight + self.penalty.smooth_value(self.weights(theta))

    def loss_gradient(self, theta: np.ndarray):
        """``(F(theta), gradient)`` in one pass (what first-order solvers and scipy's minimizers need)."""
        ev = self.evaluate(theta)
        return ev.loss, ev.gradient

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """Gradient of ``F`` at ``theta`` (one pass)."""
        return self.evaluate(theta).gradient

    def evaluate(self, theta, *, curvature: bool = False, hessian: bool = False) -> Evaluation:
        """``F``, its gradient and what was asked for at ``theta``, in one pass over the data.

        Parameters
        ----------
        theta : ndarray or Evaluation
            A point, or an evaluation of the same data term (at the end of the last fit of a regularization
            path, say): then no pass, the evaluation is taken under this objective's penalty
            (:meth:`rebase`).
        curvature : bool
            Keep each row's curvature (binary: ``s p (1 - p)``; softmax: the probabilities) in the evaluation,
            from the same pass, so that its Hessian products cost no ``z = X w`` (in-memory sources whose
            state fits in :attr:`MAX_STATE_BYTES`; otherwise ignored).
        hessian : bool
            Also sum the full Hessian in the same pass (Newton-Cholesky's next point).
        """
        if isinstance(theta, Evaluation):
            return self.rebase(theta)
        theta = np.array(theta, dtype=np.float64)
        H_arg = self.fit_intercept if hessian else None
        state = None
        if curvature and self._can_keep_rows():
            parts = self._map(self._pass, theta, True, True, H_arg)
            sums = None
            for part in parts:
                sums = add_into(sums, part[:-1])
            state = [part[-1] for part in parts]
        else:
            sums = self.reduce(self._pass, theta, True, False, H_arg)
        return Evaluation(self, theta, tuple(sums[:3]), state, sums[3] if hessian else None)

    def hessp(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Hessian of ``F`` at ``theta`` times ``v``: one pass, nothing kept (see :meth:`Evaluation.hessp`)."""
        v = np.asarray(v, dtype=np.float64)
        v_w, v_b = self.split(v)
        hw, hb = self.reduce(binary_hessp if self.is_binary else multi_hessp, theta, v_w, v_b)
        return self._finish_hessp(hw, hb, v)

    def _finish_hessp(self, hw, hb, v):
        S = self.source.total_weight
        return self.join(hw / S + self.penalty.l2_strength * self.weights(v), hb / S)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Full Hessian of ``F`` at ``theta`` (one pass)."""
        return self._penalized_hessian(self._data_hessian(theta))

    def _data_hessian(self, theta: np.ndarray) -> np.ndarray:
        (H,) = self.reduce(_hessian_block(self.is_binary), theta, self.fit_intercept)
        return H

    def _penalized_hessian(self, data_hessian: np.ndarray) -> np.ndarray:
        H = data_hessian / self.source.total_weight
        if self.penalty.l2_strength:
            idx = np.flatnonzero(self.layout.penalized)
            H[idx, idx] += self.penalty.l2_strength
        return H

    def rebase(self, evaluation: Evaluation) -> Evaluation:
        """``evaluation`` (of the same data term at the same point) under this objective's penalty: no pass."""
        if evaluation.objective.source is not self.source:
            raise ValueError("rebase: the evaluation was made on another data source.")
        return Evaluation(self, evaluation.theta, evaluation._sums, evaluation._state, evaluation._data_hessian)


class Evaluation:
    """The objective at one point: ``loss``, ``gradient`` and, on demand, its curvature there.

    An evaluation belongs to its point: its Hessian products and Hessian are always those at :attr:`theta`,
    whatever the objective was asked since (as scikit-learn's ``gradient_hessian_product`` returns a
    ``hessp`` bound to its point). The per-row state that makes the products cheap is computed once, in the
    evaluation's pass or at its first product, and kept here.

    Attributes
    ----------
    theta : ndarray
    loss : float
        ``F(theta)`` (smooth part).
    gradient : ndarray
    """

    def __init__(self, objective: Objective, theta: np.ndarray, sums: tuple, state=None, data_hessian=None):
        self.objective = objective
        self.theta = theta
        self._sums = sums  # the data term's sums: loss, gradient of w, gradient of b (before dividing by S)
        self._state = state
        self._data_hessian = data_hessian
        loss, gw, gb = sums
        S = objective.source.total_weight
        penalty = objective.penalty
        w = objective.weights(theta)
        self.loss = float(loss) / S + penalty.smooth_value(w)
        self.gradient = objective.join(gw / S + penalty.smooth_gradient(w), gb / S)

    @property
    def rows(self) -> list | None:
        """The per-block state (the rows' curvature, or probabilities), computed now if the source keeps it."""
        if self._state is None and self.objective._can_keep_rows():
            obj = self.objective
            self._state = [part[-1] for part in obj._map(obj._pass, self.theta, False, True, None)]
        return self._state

    def hessp(self, v: np.ndarray) -> np.ndarray:
        """Hessian of ``F`` at :attr:`theta` times ``v`` (one pass).

        With the rows' curvature in hand (in-memory data) a product is ``[X 1].T (h * (X v_w + v_b))``: no
        sigmoid, no ``z = X w`` (scikit-learn's newton-cg does the same); otherwise one full product pass.
        """
        obj = self.objective
        rows = self.rows
        if rows is None:
            return obj.hessp(self.theta, v)
        obj.n_passes += 1
        v = np.asarray(v, dtype=np.float64)
        v_w, v_b = obj.split(v)
        hw, hb = obj.source.reduce(curvature_hessp if obj.is_binary else probs_hessp, v_w, v_b, state=rows)
        return obj._finish_hessp(hw, hb, v)

    def diagonal(self) -> np.ndarray | None:
        """Binary head with kept curvature: the Hessian's diagonal (one pass; a Jacobi preconditioner), else None."""
        obj = self.objective
        if not obj.is_binary or self.rows is None:
            return None
        obj.n_passes += 1
        dw, db = obj.source.reduce(curvature_diagonal, state=self.rows)
        S = obj.source.total_weight
        return obj.join(dw / S + obj.penalty.l2_strength, db / S)

    def hessian(self) -> np.ndarray:
        """Full Hessian of ``F`` at :attr:`theta` (one pass, unless the evaluation's pass summed it)."""
        if self._data_hessian is None:
            self._data_hessian = self.objective._data_hessian(self.theta)
        return self.objective._penalized_hessian(self._data_hessian)


def _binary_hessian(X, y, s, w, b, fit_intercept):
    return (binary_pass(X, y, s, w, b, False, False, fit_intercept)[3],)


def _multi_hessian(X, y, s, W, b, fit_intercept):
    return (neuron.multinomial_hessian(X, s, *_in_dtype_of(X, W, b), fit_intercept),)


def _hessian_block(is_binary: bool):
    return _binary_hessian if is_binary else _multi_hessian
