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
installed, plain Python otherwise). Through sparse columns each sweep is followed by a conjugate-gradient
Newton step on the support found so far, projected onto its orthant: coordinate descent identifies the
support fast but converges slowly on ill-conditioned data (text: rare and frequent words), conjugate
gradients converge fast once the support is right (on the sparse benchmark path: ~500 passes instead of
~1,100 for coordinate descent alone).
"""

from __future__ import annotations

import numpy as np

from oneuron._kernels import unsigned_index
from oneuron._solvers._result import Result, floor_result, notify

#: Armijo constant of the line search.
SIGMA = 0.01
#: an inner solve stops when its largest step (in gradient units, ``a |delta|``) falls below this ratio times
#: the current optimality measure: on a dense working-set Hessian, and through sparse columns (measured on the
#: L1 paths of benchmarks/bench_l1_path.py, see benchmarks/RESULTS.md)
INNER_RATIO = 1e-2
INNER_RATIO_SPARSE = 0.1
#: sparse inner solver: coordinate-descent sweeps between two conjugate-gradient steps on the support, the
#: residual those steps aim at relative to the last sweep's largest step, and their cap on products with H
#: (measured on the sparse L1 path of benchmarks/bench_l1_path.py, see benchmarks/RESULTS.md)
SWEEPS_PER_CG = 1
CG_RATIO = 0.1
CG_MAX = 50


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


def _sparse_hcolumn(indptr, indices, weighted, h, mw, u, j):  # pragma: no cover - compiled by numba
    """``([A 1].T diag(h) u)_j``, with ``weighted = A.data * h[A.indices]`` (``j == mw``: the ones column)."""
    if j == mw:
        return (h * u).sum()
    s = 0.0
    for k in range(indptr[j], indptr[j + 1]):
        s += weighted[k] * u[indices[k]]
    return s


def _sparse_scatter(indptr, indices, data, mw, v, r):  # pragma: no cover - compiled by numba when available
    """``r = [A 1] v`` (``r`` is overwritten)."""
    r[:] = 0.0
    for j in range(v.shape[0]):
        vj = v[j]
        if vj == 0.0:
            continue
        if j == mw:
            r += vj
        else:
            for k in range(indptr[j], indptr[j + 1]):
                r[indices[k]] += data[k] * vj


def _sparse_model(h, l2, mw, g, x, lam, d, r):  # pragma: no cover - compiled by numba when available
    """``q(d) = g.d + d.H.d / 2 + sum_j lam_j (|x_j + d_j| - |x_j|)`` with ``r = [A 1] d``:
    ``d.H.d = sum_i h_i r_i^2 + l2 |d_w|^2``."""
    q = 0.5 * (h * r * r).sum()
    for j in range(g.shape[0]):
        q += g[j] * d[j] + lam[j] * (abs(x[j] + d[j]) - abs(x[j]))
        if j != mw:
            q += 0.5 * l2 * d[j] * d[j]
    return q


def _sparse_sweep(indptr, indices, data, weighted, h, l2, mw, g, x, lam, a, d, r):  # pragma: no cover
    """One cyclic coordinate-descent sweep, keeping ``r = [A 1] d``; returns the largest step ``a_j |delta_j|``.

    ``(H d)_j = sum_i A_ij h_i r_i + l2 d_j``: each step costs the non-zeros of one column.
    """
    n = h.shape[0]
    biggest = 0.0
    for j in range(g.shape[0]):
        if a[j] <= 0.0:
            continue
        hd = _sparse_hcolumn(indptr, indices, weighted, h, mw, r, j)
        if j != mw:
            hd += l2 * d[j]
        u = x[j] + d[j]
        delta = _coordinate_minimizer(u, g[j] + hd, a[j], lam[j]) - u
        if delta != 0.0:
            d[j] += delta
            if j == mw:
                for i in range(n):
                    r[i] += delta
            else:
                for k in range(indptr[j], indptr[j + 1]):
                    r[indices[k]] += delta * data[k]
            step = abs(delta) * a[j]
            if step > biggest:
                biggest = step
    return biggest


def _sparse_support_cg(  # pragma: no cover - compiled by numba when available
    indptr, indices, data, weighted, h, l2, mw, g, x, lam, a, d, r, tol, max_iter
):
    r"""Newton step on the current support with its signs fixed, by Jacobi-preconditioned conjugate gradients.

    On the orthant of ``x + d`` the model is smooth: ``q = g.d + d.H.d / 2 + lam.sign(x + d) (x + d) + const``,
    so its minimizer over the support ``S`` solves ``H_SS s = -(g + H d + lam sign(x + d))_S``. Coordinate
    descent needs O(cond H) sweeps for that, conjugate gradients O(sqrt(cond H)) products with ``H`` of the
    same cost. The step is then projected back onto the orthant (a coordinate that would change sign stops at
    zero) and halved until the model decreases; ``d`` and ``r`` are updated only if it does. Returns the number
    of products with ``H``.
    """
    n = h.shape[0]
    m = g.shape[0]
    support = np.empty(m, dtype=np.int64)
    ns = 0
    for j in range(m):
        if a[j] > 0.0 and (x[j] + d[j] != 0.0 or lam[j] == 0.0):
            support[ns] = j
            ns += 1
    support = support[:ns]
    sign = np.sign(x + d)
    res = np.empty(ns)  # minus the model's gradient on the support
    diag = np.empty(ns)
    for t in range(ns):
        j = support[t]
        res[t] = -(g[j] + _sparse_hcolumn(indptr, indices, weighted, h, mw, r, j) + lam[j] * sign[j])
        if j != mw:
            res[t] -= l2 * d[j]
        diag[t] = a[j]
    if ns == 0 or np.abs(res).max() <= tol:
        return 0
    step = np.zeros(ns)
    z = res / diag
    p = z.copy()
    rz = res @ z
    full = np.zeros(m)
    u = np.empty(n)
    hp = np.empty(ns)
    products = 0
    while products < max_iter:
        products += 1
        for t in range(ns):
            full[support[t]] = p[t]
        _sparse_scatter(indptr, indices, data, mw, full, u)
        for t in range(ns):
            j = support[t]
            hp[t] = _sparse_hcolumn(indptr, indices, weighted, h, mw, u, j) + (l2 * p[t] if j != mw else 0.0)
        curvature = p @ hp
        if not curvature > 0.0:
            break
        alpha = rz / curvature
        step += alpha * p
        res -= alpha * hp
        if np.abs(res).max() <= 0.5 * tol:
            break
        z = res / diag
        rz_next = res @ z
        p = z + (rz_next / rz) * p
        rz = rz_next
    before = _sparse_model(h, l2, mw, g, x, lam, d, r)
    trial = np.empty(m)
    r_trial = np.empty(n)
    t = 1.0
    for _ in range(30):
        trial[:] = d
        for s in range(ns):
            j = support[s]
            v = d[j] + t * step[s]
            if lam[j] > 0.0 and (x[j] + v) * sign[j] < 0.0:
                v = -x[j]  # projected onto the orthant: stops at zero instead of changing sign
            trial[j] = v
        _sparse_scatter(indptr, indices, data, mw, trial, r_trial)
        if _sparse_model(h, l2, mw, g, x, lam, trial, r_trial) < before:
            d[:] = trial
            r[:] = r_trial
            break
        t *= 0.5
    return products


def _cd_sparse_sweeps(indptr, indices, data, h, l2, intercept, g, x, lam, max_sweeps, tol):  # pragma: no cover
    """Minimize the quadratic model with ``H = [A 1].T diag(h) [A 1] + l2 I_w`` through A's sparse columns.

    Cyclic coordinate descent (which finds the support and signs of the solution quickly), and every
    ``SWEEPS_PER_CG`` sweeps a conjugate-gradient Newton step on the support found so far (which converges
    much faster than coordinate descent once the support is right, see :func:`_sparse_support_cg`).
    Stops after a sweep whose largest step ``a_j |delta_j|`` is at most ``tol``; returns ``(d, passes)``, the
    number of sweeps and products with ``H`` (each reads the working set's columns about twice).
    """
    n = h.shape[0]
    m = g.shape[0]
    mw = m - 1 if intercept else m  # the intercept's column index (``m``: none)
    weighted = np.empty(data.shape[0])  # A_ij h_i, so that (A.T diag(h) u)_j reads one array less
    a = np.zeros(m)
    for j in range(m):
        if j == mw:
            a[j] = h.sum()
        else:
            s = 0.0
            for k in range(indptr[j], indptr[j + 1]):
                weighted[k] = data[k] * h[indices[k]]
                s += weighted[k] * data[k]
            a[j] = s + l2
    d = np.zeros(m)
    r = np.zeros(n)
    sweeps = products = 0
    while sweeps < max_sweeps:
        sweeps += 1
        biggest = _sparse_sweep(indptr, indices, data, weighted, h, l2, mw, g, x, lam, a, d, r)
        if biggest <= tol:
            break
        if sweeps % SWEEPS_PER_CG == 0:
            # conjugate gradients to CG_RATIO times the last sweep's largest step (or tol), at most CG_MAX products
            cg_tol = 2 * max(tol, CG_RATIO * biggest)
            products += _sparse_support_cg(
                indptr, indices, data, weighted, h, l2, mw, g, x, lam, a, d, r, cg_tol, CG_MAX
            )
    return d, sweeps + products


def _cd_sparse_softmax_sweeps(  # pragma: no cover - compiled by numba when available
    indptr, indices, data, P, weights, l2, intercept, g, x, lam, max_sweeps, tol
):
    r"""Coordinate descent on the softmax head's quadratic model through A's sparse columns.

    The Hessian is ``sum_i s_i [a_i 1][a_i 1].T (x) (diag(p_i) - p_i p_i.T)`` (``s_i`` the row weights over
    ``S``); with ``R = [A 1] D`` (rows x classes, ``D`` the step by class) and ``u_i = sum_c p_ic R_ic`` kept
    up to date, the model's slope at weight ``j`` of class ``c`` is

    .. math:: g_{cj} + \sum_i A_{ij} s_i p_{ic} (R_{ic} - u_i) + l_2 d_{cj},

    one column's non-zeros per step, never the K m x K m matrix. Parameters are ordered class by class, each
    class's columns then its intercept (:meth:`Objective.column_indices`); ``P`` is (K, n). Returns
    ``(d, sweeps)``.
    """
    K, n = P.shape
    m = g.shape[0]
    per_class = m // K
    mw = per_class - 1 if intercept else per_class  # the intercept's place within a class (per_class: none)
    a = np.zeros(m)
    for c in range(K):
        for j in range(per_class):
            s = 0.0
            if j == mw:
                for i in range(n):
                    s += weights[i] * P[c, i] * (1.0 - P[c, i])
                a[c * per_class + j] = s
            else:
                for k in range(indptr[j], indptr[j + 1]):
                    i = indices[k]
                    s += data[k] * data[k] * weights[i] * P[c, i] * (1.0 - P[c, i])
                a[c * per_class + j] = s + l2
    d = np.zeros(m)
    R = np.zeros((K, n))
    u = np.zeros(n)
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 (returned after the loop)
        biggest = 0.0
        for c in range(K):
            for j in range(per_class):
                t = c * per_class + j
                if a[t] <= 0.0:
                    continue
                hd = 0.0
                if j == mw:
                    for i in range(n):
                        hd += weights[i] * P[c, i] * (R[c, i] - u[i])
                else:
                    for k in range(indptr[j], indptr[j + 1]):
                        i = indices[k]
                        hd += data[k] * weights[i] * P[c, i] * (R[c, i] - u[i])
                    hd += l2 * d[t]
                z = x[t] + d[t]
                delta = _coordinate_minimizer(z, g[t] + hd, a[t], lam[t]) - z
                if delta != 0.0:
                    d[t] += delta
                    if j == mw:
                        for i in range(n):
                            R[c, i] += delta
                            u[i] += P[c, i] * delta
                    else:
                        for k in range(indptr[j], indptr[j + 1]):
                            i = indices[k]
                            R[c, i] += delta * data[k]
                            u[i] += P[c, i] * delta * data[k]
                    step = abs(delta) * a[t]
                    if step > biggest:
                        biggest = step
        if biggest <= tol:
            break
    return d, sweeps


try:  # compiled inner loops when numba is there; the Python loops above are the same code
    import numba

    # compiled first: the sweeps below look it up as a global when numba compiles them
    _coordinate_minimizer = numba.njit(cache=True, nogil=True)(_coordinate_minimizer)
    _sparse_hcolumn = numba.njit(cache=True, nogil=True)(_sparse_hcolumn)
    _sparse_scatter = numba.njit(cache=True, nogil=True)(_sparse_scatter)
    _sparse_model = numba.njit(cache=True, nogil=True)(_sparse_model)
    _sparse_sweep = numba.njit(cache=True, nogil=True)(_sparse_sweep)
    _sparse_support_cg = numba.njit(cache=True, nogil=True)(_sparse_support_cg)
    _cd = numba.njit(cache=True, nogil=True)(_cd_sweeps)
    _cd_sparse = numba.njit(cache=True, nogil=True)(_cd_sparse_sweeps)
    _cd_sparse_softmax = numba.njit(cache=True, nogil=True)(_cd_sparse_softmax_sweeps)
except ImportError:  # pragma: no cover
    _cd = _cd_sweeps
    _cd_sparse = _cd_sparse_sweeps
    _cd_sparse_softmax = _cd_sparse_softmax_sweeps


def _newton_direction(objective, x, g, lam, idx, cols, opt_max, tol):
    """Minimize the quadratic model on the working set: through sparse columns when the objective offers
    them (sparse data, binary head), else on the working-set Hessian."""
    model = objective.sparse_curvature(x, cols) if hasattr(objective, "sparse_curvature") else None
    if model is not None:
        inner_tol = max(INNER_RATIO_SPARSE * opt_max, 0.1 * tol)
        A, h = model
        return _cd_sparse(
            unsigned_index(A.indptr),
            unsigned_index(A.indices),
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
    softmax = objective.sparse_softmax_curvature(x, cols) if hasattr(objective, "sparse_softmax_curvature") else None
    if softmax is not None:
        A, P, weights = softmax
        return _cd_sparse_softmax(
            unsigned_index(A.indptr),
            unsigned_index(A.indices),
            A.data,
            P,
            weights,
            objective.penalty.l2_strength,
            objective.fit_intercept,
            g[idx],
            x[idx],
            lam[idx],
            1000,
            max(INNER_RATIO_SPARSE * opt_max, 0.1 * tol),
        )[0]
    H = objective.hessian_columns(x, cols)
    return _cd(H, g[idx], x[idx], lam[idx], 1000, max(INNER_RATIO * opt_max, 0.1 * tol))[0]


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

    # sparse binary data: the next model's curvature comes with the accepted point's gradient (no pass of its
    # own); the dense model (hessian_columns) reads X anyway, so nothing would be saved there
    objective.keep_curvature = objective.is_binary and getattr(objective, "has_sparse_columns", False)
    f, g = objective.loss_gradient(x)
    total = f + l1(x)
    for it in range(1, max_iter + 1):
        opt = optimality(x, g, lam)
        opt_max = float(opt.max(initial=0.0))
        if opt_max <= tol:
            return Result(_center_intercepts(objective, x), total, it - 1, True, "max|subgradient| <= tol")
        cols = _working_columns(objective, x, g, lam_value)
        idx = objective.column_indices(cols)
        d_ws = _newton_direction(objective, x, g, lam, idx, cols, opt_max, tol)
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
            opt_max = float(optimality(x, g, lam).max(initial=0.0))
            return floor_result(_center_intercepts(objective, x), total, it, opt_max, tol, "subgradient")
    opt_max = float(optimality(x, g, lam).max(initial=0.0))
    converged = opt_max <= tol
    message = "" if converged else f"max_iter={max_iter} reached before max|subgradient| <= tol={tol:g}"
    return Result(_center_intercepts(objective, x), total, max_iter, converged, message)
