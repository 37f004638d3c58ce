"""The training objective: the only place that walks over the data.

Solvers ask an :class:`Objective` for values, gradients and curvature at a parameter vector; it adds up the
neuron's per-block sums (``neuron.py``) over the row blocks of a data source (``data/``) and adds the
penalty (``penalty.py``).
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

from oneuron import _kernels as kernels
from oneuron import neuron
from oneuron._penalty import Penalty
from oneuron.data._memory import add_into


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


def binary_loss_grad_hessian_block(X, y, s, w, b, fit_intercept):
    """Summed loss, gradient and full Hessian of one block in one pass (what a Newton step's new point needs)."""
    if kernels.accepts(X):
        h = np.empty(X.shape[0])
        loss, gw, gb = kernels.binary_loss_grad(X, y, s, w, b, curvature=h)
    else:
        loss, gw, gb = neuron.binary_loss_grad(X, y, s, w, b)
        h = neuron.binary_curvature(X, s, w, b)
    return loss, gw, gb, neuron.weighted_gram(X, h, fit_intercept)


def binary_hessian_block(X, y, s, w, b, fit_intercept):
    """Full Hessian of one block (the curvature in float64 where a kernel reads X, as in the fused pass)."""
    if kernels.accepts(X):
        return (neuron.weighted_gram(X, binary_curvature_block(X, y, s, w, b), fit_intercept),)
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


def multi_hessian_block(X, y, s, W, b, fit_intercept):
    """Full softmax Hessian of one block."""
    return (neuron.multinomial_hessian(X, s, W, b, fit_intercept),)


def binary_score_outer_block(X, y, s, w, b, fit_intercept):
    """Sum of the outer products of the per-row gradients (sandwich "meat") of one block."""
    return (neuron.binary_score_outer(X, y, s, w, b, fit_intercept),)


def multi_score_outer_block(X, y, s, W, b, fit_intercept):
    """Softmax sandwich "meat" of one block."""
    return (neuron.multinomial_score_outer(X, _one_hot(y, W.shape[0], W.dtype), s, W, b, fit_intercept),)


def binary_moved_block(X, y, s, w, b, u_w, u_b, p_min):
    """Rows of positive weight whose observed-class score a step ``u`` raises by ``>= 1 / p_obs``, or whose
    observed-class probability is ``>= p_min``."""
    z = neuron.forward(X, w, b)
    sign = 2 * y - 1
    p_obs = neuron.sigmoid(sign * z)  # probability of the observed class
    moved = p_obs * sign * neuron.forward(X, u_w, u_b)
    return (float(np.count_nonzero((s > 0) & ((moved >= 1) | (p_obs >= p_min)))),)


def binary_firth_block(X, y, s, w, b, fit_intercept, info_inv):
    """Log-likelihood and Firth's modified score of one block (see :mod:`oneuron._firth`).

    With ``h_i = s_i p_i (1 - p_i) x~_i.T I^-1 x~_i`` (the leverages)::

        U*_j = sum_i (s_i (y_i - p_i) + h_i (1/2 - p_i)) x~_ij
    """
    Xt = neuron._with_ones(X, fit_intercept).astype(np.float64, copy=False)
    z = neuron.forward(X, w, b)
    loglik = -float(s @ (neuron.softplus(z) - y * z))
    p = neuron.sigmoid(z).astype(np.float64)
    h = s * p * (1 - p) * ((Xt @ info_inv) * Xt).sum(axis=1)
    return loglik, Xt.T @ (s * (y - p) + h * (0.5 - p))


# Newton-CG within one step: the rows' curvature is computed once (a pass), then each Hessian-vector
# product reuses it (in-memory sources only, see Objective.hessp_operator).
def binary_loss_grad_curvature_block(X, y, s, w, b):
    """Summed loss and gradient of one block, and each row's curvature ``s p (1 - p)`` (kept per row), in one
    pass."""
    if kernels.accepts(X):
        h = np.empty(X.shape[0])
        return (*kernels.binary_loss_grad(X, y, s, w, b, curvature=h), h)
    return (*neuron.binary_loss_grad(X, y, s, w, b), neuron.binary_curvature(X, s, w, b))


def binary_curvature_block(X, y, s, w, b):
    """Each row's curvature ``s p (1 - p)`` (a per-block array, not a sum), as the one-pass product has it."""
    if kernels.accepts(X):
        h = np.empty(X.shape[0])
        kernels.binary_loss_grad(X, y, s, w, b, want_grad=False, curvature=h)
        return h
    return neuron.binary_curvature(X, s, w, b)


def multi_probs_block(X, y, s, W, b):
    """Each row's class probabilities, shape (rows, K) (float64 where a kernel would compute in float64)."""
    if kernels.accepts(X):
        W, b = W.astype(np.float64), b.astype(np.float64)
    return neuron.softmax(neuron.forward_multi(X, W, b))


def binary_curvature_hessp_block(X, y, s, h, v_w, v_b):
    """Hessian-vector product of one block given its rows' curvature ``h``."""
    if kernels.accepts(X):
        return kernels.curvature_hessp(X, h, v_w, v_b)
    return neuron.curvature_hessp(X, h, v_w, v_b)


def binary_curvature_diagonal_block(X, y, s, h):
    """``(sum_i h_i x_ij^2 for each j, sum_i h_i)``: the diagonal of one block's Hessian, given ``h``."""
    if sp.issparse(X):
        X2 = sp.csr_matrix((np.square(X.data, dtype=np.float64), X.indices, X.indptr), shape=X.shape)
    else:
        X2 = np.square(X, dtype=np.float64)
    return X2.T @ h, float(h.sum())


def multi_probs_hessp_block(X, y, s, P, V_W, v_b):
    """Softmax Hessian-vector product of one block given its rows' probabilities ``P``."""
    if kernels.accepts(X):
        s, V_W, v_b = s.astype(np.float64), V_W.astype(np.float64), v_b.astype(np.float64)
    return neuron.multinomial_probs_hessp(X, s, P, V_W, v_b)


def _take_columns(X, columns):
    return X if columns is None else X[:, columns]


def binary_hessian_columns_block(X, y, s, w, b, columns, intercept):
    """Hessian of one block's summed loss in the weights of ``columns`` (and the intercept)."""
    h = neuron.binary_curvature(X, s, w, b)
    return (neuron.weighted_gram(_take_columns(X, columns), h, intercept),)


def multi_hessian_columns_block(X, y, s, W, b, columns, intercept):
    """Softmax Hessian of one block in the weights of ``columns`` of every class, class by class."""
    Hz = neuron.multinomial_curvature(X, s, W, b)
    A = _take_columns(X, columns)
    K = W.shape[0]
    m = (A.shape[1] if columns is not None else X.shape[1]) + intercept
    H = np.empty((K, m, K, m), dtype=np.float64)
    for k in range(K):
        for j in range(k, K):
            H[k, :, j, :] = neuron.weighted_gram(A, Hz[:, k, j], intercept)
            H[j, :, k, :] = H[k, :, j, :].T
    return (H.reshape(K * m, K * m),)


class Objective:
    """Penalized, weighted log-loss of the neuron over a data source, as scikit-learn defines it.

    The objective is::

        F(w, b) = (1 / S) sum_i s_i l(y_i, z_i) + R(w) / (C S),     S = sum_i s_i

    with ``l`` the binary (sigmoid) or multinomial (softmax) cross-entropy and ``R`` the penalty's smooth
    part (see :mod:`oneuron._penalty`; an l1 part is left to proximal solvers). Its minimizer is
    scikit-learn's ``LogisticRegression`` solution for the same data and parameters.

    Conventions:
        - Parameters are one flat float64 vector ``theta``. Binary: ``[w_1..w_d, b]``. Multinomial
          (K classes, symmetric parametrization): the K x (d + 1) matrix ``[W | b]`` raveled row by row.
          Without an intercept the ``b`` entries are absent.
        - Every value/gradient evaluation is exactly one pass over the data (:attr:`n_passes` counts them);
          a Hessian-vector product is one more. ``loss_gradient`` and ``hessian`` remember their last
          evaluation: asking again at the same theta (e.g. inference after a fit) costs no pass.
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
        self._last = {}  # name -> (theta, value) of the last loss_gradient / hessian / curvature evaluation
        #: set by a second-order solver (binary head, in-memory data): ``loss_gradient`` then also keeps each
        #: row's curvature, so that a Hessian at the point the line search accepted costs no pass of its own
        self.keep_curvature = False
        self._columns = None  # sparse X by columns (CSC), made by the first sparse_curvature call

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

    def remove_symmetry(self, step: np.ndarray) -> np.ndarray:
        """Remove from a step the directions along which the objective is flat by symmetry.

        The softmax is unchanged when the same vector is added to every class's parameters:
        ``softmax(z + c) = softmax(z)``. The intercepts are never penalized, so adding one constant to all K of
        them leaves ``F`` unchanged, and without a penalty so does adding one vector to all K weight rows. A
        solver that steps along such a direction (rounding can make Newton-CG do so) wanders off scikit-learn's
        solution, the one whose class-mean is zero; subtracting the class-mean of those entries keeps it there.
        The binary head has no such direction.
        """
        if self.is_binary:
            return step
        M = np.array(step, dtype=np.float64).reshape(self.n_classes, -1)
        flat = slice(None) if self.penalty.strength == 0 else slice(self.n_features, None)
        M[:, flat] -= M[:, flat].mean(axis=0)
        return M.ravel()

    def weights(self, theta: np.ndarray) -> np.ndarray:
        """The penalized entries of ``theta`` (everything but the intercept)."""
        return self.split(theta)[0]

    def _cast(self, *arrays):
        dt = self.source.dtype
        return [np.asarray(a, dtype=dt) for a in arrays]

    def _pass_params(self, theta: np.ndarray):
        """Count one pass and give ``(w, b)`` in the data's dtype, as every pass reads them."""
        self.n_passes += 1
        w, b = self._cast(*self.split(theta))
        return w, (b[()] if self.is_binary else b)  # binary: b as a scalar of the data's dtype

    def _reduce(self, binary_fn, multi_fn, theta, *extra):
        fn = binary_fn if self.is_binary else multi_fn
        return self.source.reduce(fn, *self._pass_params(theta), *extra)

    @property
    def has_sparse_columns(self) -> bool:
        """Whether the data is an in-memory sparse matrix, whose columns :meth:`sparse_curvature` and
        :meth:`sparse_softmax_curvature` can slice."""
        return sp.issparse(getattr(self.source, "X", None))

    # -- evaluations ----------------------------------------------------------------------------------
    def loss(self, theta: np.ndarray) -> float:
        """Objective value ``F(theta)`` (smooth part: without the penalty's l1 term)."""
        last = self._recall("loss_gradient", theta)
        if last is not None:
            return last[0]
        (loss,) = self._reduce(binary_loss_block, multi_loss_block, theta)
        return float(loss) / self.source.total_weight + self.penalty.smooth_value(self.weights(theta))

    def _recall(self, name: str, theta: np.ndarray):
        """The last ``name`` evaluation if it was at this very ``theta`` (no pass), else None."""
        last = self._last.get(name)
        return last[1] if last is not None and np.array_equal(last[0], theta) else None

    def loss_gradient(self, theta: np.ndarray):
        """``F(theta)`` and its gradient, in one pass over the data (none if the last call had this theta)."""
        last = self._recall("loss_gradient", theta)
        if last is not None:
            return last[0], last[1].copy()
        if self.keep_curvature and self.is_binary and hasattr(self.source, "map"):
            parts = self.source.map(binary_loss_grad_curvature_block, *self._pass_params(theta))
            loss, gw, gb = functools.reduce(add_into, (part[:3] for part in parts), None)
            self._last["curvature"] = (np.array(theta, dtype=np.float64), [part[3] for part in parts])
        else:
            loss, gw, gb = self._reduce(binary_loss_grad_block, multi_loss_grad_block, theta)
        return self._finish_loss_gradient(theta, loss, gw, gb)

    def _finish_loss_gradient(self, theta, loss, gw, gb):
        S = self.source.total_weight
        w = self.weights(theta)
        f = float(loss) / S + self.penalty.smooth_value(w)
        g = self.join(gw / S + self.penalty.smooth_gradient(w), gb / S)
        self._last["loss_gradient"] = (np.array(theta, dtype=np.float64), (f, g.copy()))
        return f, g

    def loss_gradient_hessian(self, theta: np.ndarray):
        """Binary head: ``F(theta)``, its gradient and its full Hessian in one pass; all three remembered.

        Newton's method needs the three at each accepted point: reading the data once for them saves the
        Hessian's own pass (its ``z = X w`` and sigmoid).
        """
        loss, gw, gb, H = self._reduce(binary_loss_grad_hessian_block, None, theta, self.fit_intercept)
        f, g = self._finish_loss_gradient(theta, loss, gw, gb)
        return f, g, self._finish_hessian(theta, H)

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

    #: largest per-row state (bytes) :meth:`hessp_operator` keeps: n x K float64 probabilities for the softmax
    MAX_CACHED_BYTES = 2**28

    def hessp_operator(self, theta: np.ndarray):
        """``v -> hessp(theta, v)`` for many ``v`` at one ``theta`` (the inner loop of Newton-CG).

        On an in-memory source (one with ``map``) the rows' curvature at ``theta`` is computed once (one pass:
        ``h = s p (1 - p)``, or the softmax probabilities) and kept per block; each product then costs
        ``[X 1].T (h * (X v_w + v_b))``, without recomputing ``z = X w`` and its sigmoid (scikit-learn's
        newton-cg does the same). Each product still counts as a pass. For the binary head the operator also
        carries the Hessian's diagonal as ``.diagonal`` (one more pass; a Jacobi preconditioner for conjugate
        gradients). Other sources, and softmax state larger than :attr:`MAX_CACHED_BYTES`, get the one-pass
        :meth:`hessp` (no state between passes).
        """
        mapper = getattr(self.source, "map", None)
        if mapper is None or self.source.n_samples * self.n_rows * 8 > self.MAX_CACHED_BYTES:
            return lambda v: self.hessp(theta, v)
        state = self._recall("curvature", theta) if self.is_binary else None
        if state is None:
            self.n_passes += 1
            # parameters in the data's dtype, as every pass has them (hessp, loss_gradient): the same numbers
            w, b = self._cast(*self.split(np.asarray(theta, dtype=np.float64)))
            block_fn = binary_curvature_block if self.is_binary else multi_probs_block
            state = mapper(block_fn, w, b)
        hessp_block = binary_curvature_hessp_block if self.is_binary else multi_probs_hessp_block
        S = self.source.total_weight

        def hessp(v: np.ndarray) -> np.ndarray:
            self.n_passes += 1
            v_w, v_b = self._cast(*self.split(np.asarray(v, dtype=np.float64)))
            hw, hb = self.source.reduce(hessp_block, v_w, v_b, state=state)
            return self.join(hw / S + self.penalty.l2_strength * self.weights(v), hb / S)

        if self.is_binary:  # the Hessian's diagonal, for a preconditioner (one more read of X)
            self.n_passes += 1
            dw, db = self.source.reduce(binary_curvature_diagonal_block, state=state)
            hessp.diagonal = self.join(dw / S + self.penalty.l2_strength, db / S)
        return hessp

    def column_indices(self, columns: np.ndarray) -> np.ndarray:
        """Flat indices in ``theta`` of the weights of ``columns`` in every class, then the intercepts.

        The order is the one of :meth:`hessian_columns`: class by class, each class's ``columns`` followed
        by its intercept.
        """
        d1 = self.n_features + self.fit_intercept
        local = np.append(columns, self.n_features) if self.fit_intercept else np.asarray(columns)
        return (np.arange(self.n_rows)[:, None] * d1 + local[None, :]).ravel()

    def sparse_curvature(self, theta: np.ndarray, columns: np.ndarray):
        """Binary head on an in-memory sparse matrix: ``(X[:, columns]`` as CSC, ``h / S)``, or None.

        ``h`` is each row's curvature (:func:`oneuron.neuron.binary_curvature`), so that the Hessian of the
        loss in those weights is ``A.T diag(h / S) A``: a solver can then run coordinate descent on the
        quadratic model through the sparse columns, at a cost of their non-zeros, without forming it.
        None for any other head or source (then use :meth:`hessian_columns`). The first call keeps a CSC
        copy of X (as many non-zeros as X; liblinear copies its input too), so that later calls slice columns
        (0.4 ms on average along the sparse path of benchmarks/bench_l1_path.py) instead of selecting and
        converting them (about 3 ms there, at 576,000 non-zeros).
        """
        if not self.is_binary or not self.has_sparse_columns:
            return None
        blocks = self._recall("curvature", theta)
        if blocks is not None:  # kept by the loss_gradient call at this theta
            h = np.concatenate(blocks)
        else:
            self.n_passes += 1
            w, b = self.split(theta)
            h = neuron.binary_curvature(self.source.X, self.source.sample_weight.astype(np.float64), w, b)
        return self._sparse_columns(columns), h / self.source.total_weight

    def sparse_softmax_curvature(self, theta: np.ndarray, columns: np.ndarray):
        """Softmax head on an in-memory sparse matrix: ``(X[:, columns]`` as CSC, ``P``, ``s / S)``, or None.

        ``P`` (K, n) holds each row's class probabilities, so that the Hessian of the loss is
        ``sum_i (s_i / S) [x_i 1][x_i 1].T (x) (diag(p_i) - p_i p_i.T)``: coordinate descent can run through
        the sparse columns (:meth:`sparse_curvature` for the softmax head) instead of forming the K m x K m
        working-set Hessian, which grows with the square of the non-zero weights (9 GB at 12,500 of them).
        One pass; None for any other head or source.
        """
        if self.is_binary or not self.has_sparse_columns:
            return None
        self.n_passes += 1
        W, b = self.split(theta)
        P = np.concatenate(self.source.map(multi_probs_block, W, b))
        weights = self.source.sample_weight.astype(np.float64) / self.source.total_weight
        return self._sparse_columns(columns), np.ascontiguousarray(P.T, dtype=np.float64), weights

    def _sparse_columns(self, columns: np.ndarray):
        if self._columns is None:
            self._columns = sp.csc_matrix(self.source.X, dtype=np.float64)
        return self._columns[:, columns]

    def hessian_columns(self, theta: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """Hessian of ``F`` restricted to the weights of ``columns`` (all when None) and the intercepts.

        One pass; its rows and columns are ordered as :meth:`column_indices`. This is what a proximal
        Newton solver needs on its working set of features: ``[X_A 1].T diag(h) [X_A 1] / S`` plus the
        smooth penalty on the diagonal (binary head; the softmax head has K x K such blocks).
        """
        if columns is not None:
            columns = np.asarray(columns, dtype=np.intp)
        (H,) = self._reduce(
            binary_hessian_columns_block, multi_hessian_columns_block, theta, columns, self.fit_intercept
        )
        H = H / self.source.total_weight
        m = (self.n_features if columns is None else len(columns)) + self.fit_intercept
        diag = np.tile(np.r_[np.ones(m - int(self.fit_intercept)), np.zeros(int(self.fit_intercept))], self.n_rows)
        H[np.diag_indices_from(H)] += self.penalty.l2_strength * diag
        return H

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Full Hessian of ``F`` (one pass; none if the last call had this theta)."""
        last = self._recall("hessian", theta)
        if last is not None:
            return last.copy()
        (H,) = self._reduce(binary_hessian_block, multi_hessian_block, theta, self.fit_intercept)
        return self._finish_hessian(theta, H)

    def _finish_hessian(self, theta, H):
        H = H / self.source.total_weight
        if self.penalty.l2_strength:
            penalized = np.flatnonzero(self.join(np.ones_like(self.weights(theta)), 0.0 * self.split(theta)[1]))
            H[penalized, penalized] += self.penalty.l2_strength
        self._last["hessian"] = (np.array(theta, dtype=np.float64), H.copy())
        return H

    def score_outer(self, theta: np.ndarray) -> np.ndarray:
        """``(1/S) sum_i s_i g_i g_i.T``, ``g_i`` the gradient of row i's loss (one pass).

        The "meat" of the sandwich covariance ``H^-1 M H^-1 / S``, with sample weights read as frequency
        weights. The penalty does not enter.
        """
        (M,) = self._reduce(binary_score_outer_block, multi_score_outer_block, theta, self.fit_intercept)
        return M / self.source.total_weight

    def count_moved(self, theta: np.ndarray, step: np.ndarray, p_min: float = 1.0) -> int:
        """Binary head: rows (of positive weight) with ``p_obs,i * y*_i (x~_i . step) >= 1`` (one pass).

        ``y* = +-1`` is the label's sign and ``p_obs`` the fitted probability of the observed class; rows
        with ``p_obs >= p_min`` count too. See :mod:`oneuron._separation` for its use.
        """
        u_w, u_b = self.split(np.asarray(step, dtype=np.float64))
        u_w, u_b = self._cast(u_w, u_b)
        (count,) = self._reduce(binary_moved_block, None, theta, u_w, u_b[()], p_min)
        return int(count)

    def firth_terms(self, theta: np.ndarray, info_inv: np.ndarray):
        """Binary head: log-likelihood (a sum, not a mean) and Firth's modified score, in one pass.

        ``info_inv`` is the inverse of the information ``I = S * hessian(theta)`` at the same ``theta``.
        """
        loglik, score = self._reduce(binary_firth_block, None, theta, self.fit_intercept, info_inv)
        return float(loglik), np.asarray(score)
