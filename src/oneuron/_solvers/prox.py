r"""Proximal Newton for l1 / elastic-net penalties (the method of glmnet and liblinear's newGLMNET).

The objective is ``F(x) + lam ||w||_1`` with ``F`` smooth (the loss plus any l2 part) and ``w`` the weights
(the intercepts are not penalized). Each outer iteration builds the quadratic model of ``F`` at ``x``,

.. math::

    q(d) = g^T d + \tfrac12 d^T H d + \lambda \lVert w + d_w \rVert_1,

on a *working set* of features (those with a non-zero weight or whose gradient violates the optimality
condition ``|g_j| <= lam``: with l1 the working set is small along most of a regularization path), and
minimizes it by cyclic coordinate descent. One coordinate step is a soft thresholding:

.. math::

    u = x_j + d_j,\quad a = H_{jj},\quad r = g_j + (H d)_j,\qquad
    x_j + d_j \leftarrow \operatorname{sign}(u - r/a)\,\max(|u - r/a| - \lambda/a, 0).

A backtracking line search on the full objective then accepts ``x + t d`` when
``F(x + t d) + lam ||.||_1 <= F(x) + lam ||w||_1 + sigma t Delta`` with
``Delta = g.d + lam (||w + d_w||_1 - ||w||_1) < 0``.

Stopping rule: the minimum-norm subgradient of the whole objective,

.. math::

    \operatorname{opt}_j = \begin{cases} |g_j + \lambda \operatorname{sign} x_j| & x_j \ne 0 \\
    \max(|g_j| - \lambda, 0) & x_j = 0 \end{cases}

(``|g_j|`` for the intercepts), is at most ``tol`` in every entry: the same measure as ``max|gradient|``
of the smooth solvers, and zero exactly at the optimum. Weights that the optimum sets to zero come out as
exact zeros.

The solver sees only the objective: its evaluations (one pass each) and the quadratic model's minimizer on a
working set (``_quadratic.working_set_step``: coordinate descent on the working-set Hessian, or through the
sparse columns of in-memory sparse data, using the curvature the accepted point's evaluation kept).
"""

from __future__ import annotations

import numpy as np

from oneuron import _cd_kernels as cd
from oneuron._objective import binary_pass
from oneuron._quadratic import INNER_RATIO, MAX_SWEEPS, optimality, penalized, working_set_step
from oneuron._solvers._linesearch import FLOOR, backtrack, require_finite, stalled
from oneuron._solvers._result import Result, floor_result, max_iter_result, notify

#: Armijo constant of the line search.
SIGMA = 0.01
#: a small working set of sparse rows (``_quadratic.RESTRICTED_MAX_COLUMNS``) is solved on its own columns until
#: its minimum-norm subgradient is at most RESTRICTED_RATIO times the tolerance, in at most RESTRICTED_MAX_ITER
#: Newton steps: a weight of little curvature ``a`` left at a subgradient ``opt`` is ``opt^2 / (2 a)`` above the
#: optimum, and solving a few columns well past ``tol`` costs little (see benchmarks/RESULTS.md)
RESTRICTED_RATIO = 0.1
RESTRICTED_MAX_ITER = 20
#: up to this size its columns are taken as a dense array (the dense pass reads a few dense columns about three
#: times as fast as their CSR form, and BLAS forms their Gram), beyond it as CSR
RESTRICTED_DENSE_MAX_BYTES = 2**24


def _working_columns(layout, x, g, lam_value):
    """Features with a non-zero weight in some class or whose gradient is near ``lam`` in some class."""
    W = layout.weights(x).reshape(layout.n_rows, layout.n_features)
    G = layout.weights(g).reshape(layout.n_rows, layout.n_features)
    keep = (W != 0).any(axis=0) | (np.abs(G) >= lam_value * (1 - 1e-3)).any(axis=0)
    return np.flatnonzero(keep)


def solve(objective, x0, *, tol: float = 1e-4, max_iter: int = 200, callback=None, max_ls: int = 40):
    """Minimize ``objective`` plus its penalty's l1 part by proximal Newton with coordinate descent.

    Parameters
    ----------
    objective : Objective
    x0 : ndarray
        Starting parameters (a warm start from a nearby solution makes a regularization path cheap).
    tol : float
        Stop when every entry of the minimum-norm subgradient is at most ``tol``.
    max_iter : int
        Cap on outer (Newton) iterations.
    callback : callable, optional
        ``callback(iteration, loss, opt)`` with ``loss`` the full objective and ``opt`` the optimality
        vector.
    max_ls : int
        Largest number of step halvings in the line search.

    Returns
    -------
    Result
        ``fun`` is the full objective, l1 part included.
    """
    layout = objective.layout
    lam_value = objective.penalty.l1_strength
    lam = np.where(layout.penalized, lam_value, 0.0)

    def l1(v):
        return float(lam @ np.abs(v))

    # sparse data: the next model's curvature comes with the accepted point's evaluation (no pass of its own);
    # the dense model (the working-set Hessian) reads X anyway, so nothing would be saved there
    keep = objective.has_sparse_columns

    def evaluate(point, t):
        e = objective.evaluate(point, curvature=keep)
        return e.loss + l1(point), e

    def measure(e):
        return float(optimality(e.theta, e.gradient, lam).max(initial=0.0))

    def done(x, total, n_iter, converged, message, ev):
        return Result(layout.center_intercepts(x), total, n_iter, converged, message, ev)

    ev = objective.evaluate(x0, curvature=keep)
    require_finite(ev.loss, ev.gradient)
    x = ev.theta
    total = ev.loss + l1(x)
    for it in range(1, max_iter + 1):
        # 1. optimality: the minimum-norm subgradient
        opt_max = measure(ev)
        if opt_max <= tol:
            return done(x, total, it - 1, True, "max|subgradient| <= tol", ev)
        # 2. the working set: non-zero weights and the features whose gradient violates |g_j| <= lam
        cols = _working_columns(layout, x, ev.gradient, lam_value)
        # 3. the Newton direction: the quadratic model minimized on the working set by coordinate descent
        d = np.zeros_like(x)
        d[layout.column_indices(cols)] = working_set_step(
            ev, cols, lam, opt_max, tol, first=it == 1, small_solve=_small_working_set
        )
        # 4. the predicted decrease; the l1 change is summed entry by entry so that it does not cancel in rounding
        delta = float(ev.gradient @ d) + float(lam @ (np.abs(x + d) - np.abs(x)))
        if not delta < 0:  # no descent left in float64: the model cannot improve on x
            return done(x, total, it - 1, opt_max <= max(tol, 1e-12), "no descent direction", ev)
        # 5. the line search on the full objective
        step = backtrack(
            evaluate, x, d, total, delta, sigma=SIGMA, max_halvings=max_ls, measure=measure, measure_now=opt_max
        )
        if step is None:
            return done(x, total, it - 1, False, "line search failed", ev)
        total_last = total
        x, total, ev = step.x, step.value, step.evaluation
        if notify(callback, it, total, optimality(x, ev.gradient, lam)):
            return done(x, total, it, True, "stopped by callback", ev)
        if stalled(total_last, total, step.t * d):
            result = floor_result(x, total, it, measure(ev), tol, "subgradient", ev)
            result.x = layout.center_intercepts(x)
            return result
    result = max_iter_result(x, total, max_iter, measure(ev), tol, "subgradient", ev)
    result.x = layout.center_intercepts(x)
    return result


def _small_working_set(evaluation, X, columns: np.ndarray, lam: np.ndarray, opt_max: float, tol: float) -> np.ndarray:
    r"""Minimize the objective itself (not only its model) over the working set; returns the step.

    Binary head on in-memory sparse rows ``X``. Every weight outside ``columns`` is zero (the working set holds
    the non-zero weights), so with ``A = X[:, columns]`` the rows' scores are ``z = A v_w + v_b`` and the
    objective restricted to the working set's parameters ``v`` is

    .. math::

        f(v) = \frac1S \sum_i s_i (\operatorname{softplus}(z_i) - y_i z_i) + \frac{l_2}2 \lVert v_w \rVert^2
        + \sum_j \lambda_j |v_j|,

    with gradient ``(A.T r / S + l2 v_w, sum(r) / S)``, ``r = s (p - y)``, and Hessian
    ``[A 1].T diag(s p (1 - p)) [A 1] / S + l2 I_w``. Proximal Newton steps on it (coordinate descent on the
    dense model, a backtracking line search on ``f``) cost the entries of ``A`` and a few operations per row
    (the objective's own block function, :data:`~oneuron._objective.binary_pass`, on ``A``), not a pass over
    X: the outer solver's pass then checks the other features (``A`` is taken dense up to
    :data:`RESTRICTED_DENSE_MAX_BYTES`, as CSR beyond). The first model is the one at the evaluation (its
    gradient and kept curvature). Stops once the minimum-norm subgradient of ``f`` is at
    most ``RESTRICTED_RATIO * tol``, or when ``f`` no longer decreases.
    """
    obj = evaluation.objective
    _, y, s = obj.source.rows()
    S, penalty, intercept = obj.source.total_weight, obj.penalty, obj.fit_intercept
    m = len(columns)
    if X.shape[0] * m * 8 <= RESTRICTED_DENSE_MAX_BYTES:  # dense columns: the dense pass and BLAS's Gram
        # from the CSC copy when there is one (a read of these columns), else in one scan of the CSR rows
        A = cd.take_columns_dense(obj.source.sparse_columns() if obj.source.made_sparse_columns else X, columns)
        At = np.ascontiguousarray(A.T)

        def gram(h):
            return _thin_gram(At, h, intercept)
    else:
        A = cd.take_columns(X, columns)

        def gram(h):
            return cd.column_gram(A, h, np.arange(m), intercept)

    idx = obj.layout.column_indices(columns)
    x0 = evaluation.theta[idx]
    g = evaluation.gradient[idx]
    h = np.concatenate(evaluation.rows).astype(np.float64)

    def evaluate(v):
        """``f(v)``, the gradient of its smooth part and the rows' curvature: one read of ``A``."""
        w = v[:m]
        loss, g_w, g_b, h = binary_pass(A, y, s, w, v[m] if intercept else 0.0, True, True, None)
        g_w = g_w / S + penalty.smooth_gradient(w)
        grad = np.append(g_w, g_b / S) if intercept else g_w
        return loss / S + penalty.smooth_value(w) + penalty.nonsmooth_value(w), grad, h

    v = x0.copy()
    f = evaluate(v)[0]
    target = RESTRICTED_RATIO * tol
    inner_tol = max(INNER_RATIO * opt_max, 0.1 * target)
    for _ in range(RESTRICTED_MAX_ITER):
        H = penalized(obj, gram(h), m + intercept)
        d = cd.cd_dense(H, g, v, lam, MAX_SWEEPS, inner_tol)[0]
        # predicted decrease, the l1 change summed entry by entry (as the outer solver's)
        delta = float(g @ d) + float(lam @ (np.abs(v + d) - np.abs(v)))
        if not delta < 0:
            break
        if delta > -FLOOR * abs(f):
            # a decrease float64 cannot show: the model's step, which the outer solver's line search checks by
            # its optimality measure
            v = v + d
            break
        step = backtrack(lambda point, t: _with_value(evaluate(point)), v, d, f, delta, sigma=SIGMA)
        if step is None:
            break
        v, (f, g, h) = step.x, step.evaluation
        opt = float(optimality(v, g, lam).max(initial=0.0))
        if opt <= target:
            break
        inner_tol = max(INNER_RATIO * opt, 0.1 * target)
    return v - x0


def _thin_gram(At: np.ndarray, h: np.ndarray, with_ones: bool) -> np.ndarray:
    """``neuron.weighted_gram(At.T, h, with_ones)`` for the few columns of a small working set, given as the rows
    of ``At`` (m, n): the product ``(At h) At.T`` of two short, wide matrices, which BLAS computes several times
    as fast as the symmetric update of tall, narrow ones; the upper triangle is mirrored, so that the result is
    exactly symmetric."""
    G = (At * h) @ At.T
    G = np.triu(G) + np.triu(G, 1).T
    if not with_ones:
        return G
    m = G.shape[0]
    border = At @ h
    H = np.empty((m + 1, m + 1))
    H[:m, :m], H[:m, m], H[m, :m], H[m, m] = G, border, border, h.sum()
    return H


def _with_value(result):
    """``(f, (f, gradient, curvature))``: an evaluation of the working set's objective as :func:`backtrack`
    takes it."""
    return result[0], result
