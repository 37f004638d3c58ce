r"""The quadratic model of a proximal Newton step on a working set of features, and its minimizer.

At an evaluation with gradient ``g`` and Hessian ``H`` the model of the l1-penalized objective is

.. math::

    q(d) = g^T d + \tfrac12 d^T H d + \sum_j \lambda_j |x_j + d_j|

restricted to the weights of a working set of columns (and the intercepts). :func:`working_set_step`
minimizes it by coordinate descent (``_cd_kernels.py``) in the cheapest form the data allows:

- sparse in-memory data beyond a few dozen working-set columns, binary head: through their sparse columns
  ``A`` and each row's curvature ``h`` (``H = [A 1].T diag(h / S) [A 1]``), never forming ``H``;
- sparse in-memory data, softmax head: the same with each row's class probabilities (``H`` would be
  K m x K m, and grows with the square of the non-zero weights);
- sparse in-memory data, binary head, a working set of a few parameters: not the model only but the objective
  itself on the working set, by the solver's ``small_solve`` (``_solvers/prox.py``: proximal Newton steps on
  the working set's columns, taken from the CSR rows in one scan);
- otherwise: the working-set Hessian, formed in one pass (sparse in-memory data, binary head: from the
  kept curvature in one scan of the CSR rows, without a pass of the objective or a copy of the columns).
"""

from __future__ import annotations

import numpy as np

from oneuron import _cd_kernels as cd
from oneuron import neuron
from oneuron._kernels import unsigned_index
from oneuron._objective import Evaluation, _in_dtype_of

#: an inner solve stops when its largest step (in gradient units, ``a |delta|``) falls below this ratio times
#: the current optimality measure: on a dense working-set Hessian, and through sparse columns (measured on the
#: L1 paths of benchmarks/bench_l1_path.py, see benchmarks/RESULTS.md)
INNER_RATIO = 1e-2
INNER_RATIO_SPARSE = 0.1
#: the same for the first model of a solve through sparse columns (binary head): at a warm start on a
#: regularization path the optimality measure is only the change of ``lam`` (``|lam_new - lam_old|`` on the
#: non-zero weights), not the model's error over the step, which at large C is ten times larger
FIRST_INNER_RATIO_SPARSE = 1.0
#: and at most this many passes over its columns (sweeps and products with ``H``): where many features enter at
#: once (large C on a path) the first model's support is still changing after them, and the model at the point
#: they reach is the one worth solving; a first model whose support is right is solved within them (on the
#: sparse L1 path of benchmarks/bench_l1_path.py, three data seeds, 5-15% less time than no cap, the same
#: objectives)
FIRST_MAX_PASSES = 4
#: the same, binary head: a model whose optimality measure is within this many times ``tol`` is probably the last
#: of the solve, and is solved to a tenth of ``tol`` (not of the measure), so that the solve ends well inside its
#: stopping rule: a weight left at slope ``r_j`` with curvature ``a_j`` is about ``r_j^2 / (2 a_j)`` above its
#: optimum, and rare words have ``a_j`` a thousand times below the frequent ones (benchmarks/RESULTS.md)
NEAR_RATIO_SPARSE = 10.0
#: cap on coordinate-descent sweeps of one inner solve (through sparse columns: sweeps and products with ``H``)
MAX_SWEEPS = 1000
#: binary head through sparse columns: the conjugate gradients' products with ``H`` go through the CSR rows of X
#: (every column, two vectors of X's columns in the first-level cache) instead of the working set's columns (two
#: vectors of the rows in the second-level cache) when the working set holds at least this share of X's
#: non-zeros (measured on the sparse L1 path of benchmarks/bench_l1_path.py)
ROWS_MIN_SHARE = 0.8
#: sparse in-memory rows, binary head: a working set of at most this many parameters is not only modelled but
#: solved on its own columns, by the solver's ``small_solve`` (beyond a few dozen columns of frequent words the
#: Hessian of each of its steps, ``sum_i c_i^2`` products for ``c_i`` selected entries in row i, costs more
#: than the passes it saves)
RESTRICTED_MAX_COLUMNS = 16
#: up to this many rows x working-set parameters^2, sparse data takes the dense working-set Hessian too: the
#: same model as for the same rows stored densely, so that sparse and dense inputs give the same fit (where
#: the optimum is not unique, as with duplicate columns under l1, the same one)
DENSE_MODEL_MAX_WORK = 1e6
#: binary head on sparse in-memory rows: the dense working-set model also up to this many stored entries of X
#: times working-set columns (a bound on the products of :func:`_cd_kernels.column_gram`'s one scan, which it
#: makes at every Newton step): about a dozen columns of a large matrix, where coordinate descent through sparse
#: columns would first need the CSC copy of X (made once, and kept across a warm-started path's fits)
SPARSE_DENSE_MODEL_MAX_WORK = 1e7


def optimality(x: np.ndarray, g: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Minimum-norm subgradient of ``F + sum_j lam_j |x_j|`` (per entry, absolute values)."""
    return np.where(x != 0, np.abs(g + lam * np.sign(x)), np.maximum(np.abs(g) - lam, 0.0))


def _take_columns(X, columns):
    return X if columns is None else X[:, columns]


def _binary_hessian_columns(X, y, s, w, b, columns, intercept):
    """Hessian of one block's summed loss in the weights of ``columns`` (and the intercept)."""
    h = neuron.binary_curvature(X, s, *_in_dtype_of(X, w, b))
    return (neuron.weighted_gram(_take_columns(X, columns), h, intercept),)


def _multi_hessian_columns(X, y, s, W, b, columns, intercept):
    """Softmax Hessian of one block in the weights of ``columns`` of every class, class by class."""
    Hz = neuron.multinomial_curvature(X, s, *_in_dtype_of(X, W, b))
    A = _take_columns(X, columns)
    K = W.shape[0]
    m = A.shape[1] + intercept
    H = np.empty((K, m, K, m), dtype=np.float64)
    for k in range(K):
        for j in range(k, K):
            H[k, :, j, :] = neuron.weighted_gram(A, Hz[:, k, j], intercept)
            H[j, :, k, :] = H[k, :, j, :].T
    return (H.reshape(K * m, K * m),)


def hessian_columns(evaluation: Evaluation, columns: np.ndarray | None = None) -> np.ndarray:
    """Hessian of ``F`` at the evaluation, restricted to the weights of ``columns`` (all when None) and the
    intercepts, in the order of :meth:`~oneuron._layout.Layout.column_indices` (one pass)."""
    obj = evaluation.objective
    if columns is not None:
        columns = np.asarray(columns, dtype=np.intp)
    block = _binary_hessian_columns if obj.is_binary else _multi_hessian_columns
    (H,) = obj.reduce(block, evaluation.theta, columns, obj.fit_intercept)
    m = (obj.n_features if columns is None else len(columns)) + obj.fit_intercept
    return penalized(obj, H, m)


def penalized(obj, H, m):
    """The data term's summed Hessian ``H`` over the total weight, plus the l2 part on the weights."""
    H = H / obj.source.total_weight
    diag = np.tile(np.r_[np.ones(m - int(obj.fit_intercept)), np.zeros(int(obj.fit_intercept))], obj.n_rows)
    H[np.diag_indices_from(H)] += obj.penalty.l2_strength * diag
    return H


def sparse_rows(obj):
    """The source's in-memory sparse (CSR) matrix, or None."""
    rows = obj.source.rows() if obj.source.has_sparse_columns else None
    return None if rows is None else rows[0]


def _binary_hessian_sparse_columns(evaluation: Evaluation, X, columns: np.ndarray) -> np.ndarray:
    """:func:`hessian_columns` of the binary head on in-memory sparse rows ``X``, from the curvature the
    evaluation kept: one scan of the CSR matrix, no pass of the objective and no column copy."""
    obj = evaluation.objective
    h = np.concatenate(evaluation.rows).astype(np.float64)
    H = cd.column_gram(X, h, columns, obj.fit_intercept)
    return penalized(obj, H, len(columns) + obj.fit_intercept)


def _row_weights(X, y, s):
    return np.asarray(s, dtype=np.float64)


def working_set_step(
    evaluation: Evaluation,
    columns: np.ndarray,
    lam: np.ndarray,
    opt_max: float,
    tol: float,
    first: bool = False,
    small_solve=None,
) -> np.ndarray:
    """Minimize the model over the working set ``columns``; returns the step on its parameters.

    Parameters
    ----------
    evaluation : Evaluation
        The objective at the current point ``x`` (its gradient is the model's ``g``).
    columns : ndarray of int
        The working set's features; its parameters are ``layout.column_indices(columns)``.
    lam : ndarray
        l1 weight of every parameter (0 for the intercepts).
    opt_max : float
        The current optimality measure: the inner solve stops at a fraction of it.
    tol : float
        The outer tolerance (a floor for the inner one).
    first : bool
        The first model of a solve (through sparse columns, binary head: solved only to ``opt_max``, in at most
        :data:`FIRST_MAX_PASSES` passes, see :data:`FIRST_INNER_RATIO_SPARSE`).
    small_solve : callable, optional
        ``small_solve(evaluation, X, columns, lam, opt_max, tol) -> step``: the solver's minimization of the
        objective itself on a working set of at most :data:`RESTRICTED_MAX_COLUMNS` parameters of in-memory
        sparse rows ``X`` (binary head), taken instead of the model's.
    """
    obj = evaluation.objective
    idx = obj.layout.column_indices(columns)
    g, x, lam = evaluation.gradient[idx], evaluation.theta[idx], lam[idx]
    l2 = obj.penalty.l2_strength
    sparse = obj.source.has_sparse_columns
    small = obj.source.n_samples * len(idx) ** 2 <= DENSE_MODEL_MAX_WORK
    X = sparse_rows(obj) if obj.is_binary else None
    if X is not None and not small and evaluation.rows is not None:
        small = X.nnz * len(columns) <= SPARSE_DENSE_MODEL_MAX_WORK
    rows = evaluation.rows if sparse and not small else None
    S = obj.source.total_weight
    if rows is not None:
        inner_tol = max(INNER_RATIO_SPARSE * opt_max, 0.1 * tol)
        if obj.is_binary:
            if first:
                inner_tol = max(FIRST_INNER_RATIO_SPARSE * opt_max, 0.1 * tol)
            elif opt_max <= NEAR_RATIO_SPARSE * tol:
                inner_tol = 0.1 * tol
            h = np.concatenate(rows).astype(np.float64) / S
            # the working set's columns read in place from the CSC copy: their ranges, not a copy of them
            Xc = obj.source.sparse_columns()
            start, stop = unsigned_index(Xc.indptr[columns]), unsigned_index(Xc.indptr[columns + 1])
            indices = unsigned_index(Xc.indices)
            # the conjugate gradients' products through X's rows where the working set holds most of X
            R = obj.source.rows()[0]
            rows = (unsigned_index(R.indptr), unsigned_index(R.indices), R.data)
            if int((stop - start).sum()) < ROWS_MIN_SHARE * R.nnz:
                rows = tuple(a[:0] for a in rows)  # (none: through the working set's columns)
            rows += (columns.astype(np.int64), R.shape[1])
            passes = FIRST_MAX_PASSES if first else MAX_SWEEPS
            args = (start, stop, indices, Xc.data, h, l2, obj.fit_intercept, g, x, lam, passes, inner_tol, rows)
            return cd.cd_sparse(*args)[0]
        A = obj.source.sparse_columns()[:, columns]
        indptr, indices = unsigned_index(A.indptr), unsigned_index(A.indices)
        P = np.ascontiguousarray(np.concatenate(rows).T, dtype=np.float64)
        weights = np.concatenate(obj.source.map(_row_weights)) / S
        args = (indptr, indices, A.data, P, weights, l2, obj.fit_intercept, g, x, lam, MAX_SWEEPS, inner_tol)
        return cd.cd_sparse_softmax(*args)[0]
    if X is not None and evaluation.rows is not None:
        if small_solve is not None and len(idx) <= RESTRICTED_MAX_COLUMNS:
            return small_solve(evaluation, X, columns, lam, opt_max, tol)
        H = _binary_hessian_sparse_columns(evaluation, X, columns)
    else:
        H = hessian_columns(evaluation, columns)
    return cd.cd_dense(H, g, x, lam, MAX_SWEEPS, max(INNER_RATIO * opt_max, 0.1 * tol))[0]
