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

The solver sees only the objective: ``loss_gradient`` (one pass), ``hessian_columns`` (one pass) or, for sparse
binary data, ``sparse_curvature`` (the working set's sparse columns and each row's curvature ``h``, one pass)
and the penalty's strengths. The coordinate descent runs on the working-set Hessian, or through the sparse
columns keeping ``r = A d`` so a step costs one column's non-zeros (compiled with numba when it is
installed, plain Python otherwise).
"""

from __future__ import annotations

import numpy as np

from oneuron.solvers._result import Result, notify

#: Armijo constant of the line search.
SIGMA = 0.01
#: an inner solve stops when its largest step (in gradient units, ``a |delta|``) falls below
#: ``INNER_RATIO`` times the current optimality measure (1e-2 measured best, see benchmarks/RESULTS.md).
INNER_RATIO = 1e-2


def _coordinate_minimizer(u, slope, a, lam):  # pragma: no cover - compiled by numba when available
    """Minimizer over z of the 1-d model ``slope (z - u) + a (z - u)^2 / 2 + lam |z|``.

    Soft thresholding of the Newton point ``u - slope / a`` at ``lam / a``.
    """
    z = u - slope / a
    t = lam / a
    if z > t:
        return z - t
    if z < -t:
        return z + t
    return 0.0


def _cd_sweeps(H, g, x, lam, max_sweeps, tol):  # pragma: no cover - compiled by numba when available
    """Coordinate descent on ``g.d + d.H.d / 2 + sum_j lam_j |x_j + d_j|``; returns ``(d, sweeps)``."""
    m = g.shape[0]
    d = np.zeros(m)
    Hd = np.zeros(m)
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 (returned after the loop)
        biggest = 0.0
        for j in range(m):
            a = H[j, j]
            if a <= 0.0:
                continue
            u = x[j] + d[j]
            delta = _coordinate_minimizer(u, g[j] + Hd[j], a, lam[j]) - u
            if delta != 0.0:
                d[j] += delta
                Hd += delta * H[j]  # H is symmetric: row j is column j, and contiguous
                step = abs(delta) * a
                if step > biggest:
                    biggest = step
        if biggest <= tol:
            break
    return d, sweeps


def _cd_sparse_sweeps(indptr, indices, data, h, l2, intercept, g, x, lam, max_sweeps, tol):  # pragma: no cover
    """The same coordinate descent with ``H = [A 1].T diag(h) [A 1] + l2 I_w``, through A's sparse columns.

    ``r = A d_w + d_b`` is kept up to date, so ``(H d)_j = sum_i A_ij h_i r_i + l2 d_j``: each step costs
    the non-zeros of one column instead of a row of a dense Hessian.
    """
    n = h.shape[0]
    m = g.shape[0]
    mw = m - 1 if intercept else m
    a = np.zeros(m)
    for j in range(mw):
        s = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            s += h[indices[k]] * data[k] * data[k]
        a[j] = s + l2
    if intercept:
        a[m - 1] = h.sum()
    d = np.zeros(m)
    r = np.zeros(n)
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 (returned after the loop)
        biggest = 0.0
        for j in range(m):
            if a[j] <= 0.0:
                continue
            hd = 0.0
            if j < mw:
                for k in range(indptr[j], indptr[j + 1]):
                    i = indices[k]
                    hd += data[k] * h[i] * r[i]
                hd += l2 * d[j]
            else:
                for i in range(n):
                    hd += h[i] * r[i]
            u = x[j] + d[j]
            delta = _coordinate_minimizer(u, g[j] + hd, a[j], lam[j]) - u
            if delta != 0.0:
                d[j] += delta
                if j < mw:
                    for k in range(indptr[j], indptr[j + 1]):
                        r[indices[k]] += delta * data[k]
                else:
                    for i in range(n):
                        r[i] += delta
                step = abs(delta) * a[j]
                if step > biggest:
                    biggest = step
        if biggest <= tol:
            break
    return d, sweeps


try:  # compiled inner loops when numba is there; the Python loops above are the same code
    import numba

    # compiled first: the sweeps below look it up as a global when numba compiles them
    _coordinate_minimizer = numba.njit(cache=True, nogil=True)(_coordinate_minimizer)
    _cd = numba.njit(cache=True, nogil=True)(_cd_sweeps)
    _cd_sparse = numba.njit(cache=True, nogil=True)(_cd_sparse_sweeps)
except ImportError:  # pragma: no cover
    _cd = _cd_sweeps
    _cd_sparse = _cd_sparse_sweeps


def _newton_direction(objective, x, g, lam, idx, cols, inner_tol):
    """Minimize the quadratic model on the working set: through sparse columns when the objective offers
    them (sparse data, binary head), else on the working-set Hessian."""
    model = objective.sparse_curvature(x, cols) if hasattr(objective, "sparse_curvature") else None
    if model is not None:
        A, h = model
        return _cd_sparse(
            A.indptr,
            A.indices,
            A.data,
            h,
            objective.penalty.l2_strength,
            objective.fit_intercept,
            g[idx],
            x[idx],
            lam[idx],
            1000,
            inner_tol,
        )[0]
    H = objective.hessian_columns(x, cols)
    return _cd(H, g[idx], x[idx], lam[idx], 1000, inner_tol)[0]


def optimality(x: np.ndarray, g: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Minimum-norm subgradient of ``F + sum_j lam_j |x_j|`` (per entry, absolute values)."""
    return np.where(x != 0, np.abs(g + lam * np.sign(x)), np.maximum(np.abs(g) - lam, 0.0))


def _working_columns(objective, x, g, lam_value):
    """Features with a non-zero weight in some class or whose gradient is near ``lam`` in some class."""
    W = objective.weights(x).reshape(objective.n_rows, objective.n_features)
    G = objective.weights(g).reshape(objective.n_rows, objective.n_features)
    keep = (W != 0).any(axis=0) | (np.abs(G) >= lam_value * (1 - 1e-3)).any(axis=0)
    return np.flatnonzero(keep)


def _center_intercepts(objective, x):
    """Softmax head: intercepts are defined up to a common shift (unpenalized); pick the zero-mean one."""
    x = x + 0.0  # -0.0 -> +0.0: the zeros print as zeros
    if objective.is_binary or not objective.fit_intercept:
        return x
    W, b = objective.split(x)
    return objective.join(W, b - b.mean())


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
    lam_value = objective.penalty.l1_strength
    x = np.array(x0, dtype=np.float64)
    penalized = np.zeros(objective.n_params, dtype=bool)
    penalized[objective.column_indices(np.arange(objective.n_features))] = True
    if objective.fit_intercept:
        penalized[objective.column_indices(np.array([], dtype=np.intp))] = False
    lam = np.where(penalized, lam_value, 0.0)

    def l1(v):
        return float(lam @ np.abs(v))

    f, g = objective.loss_gradient(x)
    total = f + l1(x)
    for it in range(1, max_iter + 1):
        opt = optimality(x, g, lam)
        opt_max = float(opt.max(initial=0.0))
        if opt_max <= tol:
            return Result(_center_intercepts(objective, x), total, it - 1, True, "max|subgradient| <= tol")
        cols = _working_columns(objective, x, g, lam_value)
        idx = objective.column_indices(cols)
        inner_tol = max(INNER_RATIO * opt_max, 0.1 * tol)
        d_ws = _newton_direction(objective, x, g, lam, idx, cols, inner_tol)
        d = np.zeros_like(x)
        d[idx] = d_ws
        # predicted decrease; the l1 change is summed entry by entry so that it does not cancel in rounding
        delta = float(g @ d) + float(lam @ (np.abs(x + d) - np.abs(x)))
        if not delta < 0:
            # no descent left in float64: the model cannot improve on x
            converged = opt_max <= max(tol, 1e-12)
            return Result(_center_intercepts(objective, x), total, it - 1, converged, "no descent direction")
        t = 1.0
        for _ in range(max_ls):
            trial = x + t * d
            f_new, g_new = objective.loss_gradient(trial)
            total_new = f_new + l1(trial)
            # the slack of a few ulps lets the last, tiny Newton steps through the rounding of the objective
            if total_new <= total + SIGMA * t * delta + 8 * np.finfo(float).eps * abs(total):
                break
            t *= 0.5
        else:
            return Result(_center_intercepts(objective, x), total, it - 1, False, "line search failed")
        total_last = total
        x, f, g, total = trial, f_new, g_new, total_new
        if notify(callback, it, total, optimality(x, g, lam)):
            return Result(_center_intercepts(objective, x), total, it, True, "stopped by callback")
        if abs(total_last - total) <= 4 * np.finfo(float).eps * max(abs(total), 1.0) and t * np.abs(d).max() < 1e-13:
            return Result(_center_intercepts(objective, x), total, it, True, "no further decrease possible in float64")
    opt_max = float(optimality(x, g, lam).max(initial=0.0))
    converged = opt_max <= tol
    message = "" if converged else f"max_iter={max_iter} reached before max|subgradient| <= tol={tol:g}"
    return Result(_center_intercepts(objective, x), total, max_iter, converged, message)
