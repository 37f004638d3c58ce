r"""Compiled coordinate-descent loops on the quadratic model of a proximal Newton step.

The model, on a working set of parameters with gradient ``g``, Hessian ``H`` and l1 weights ``lam``, is

.. math::

    q(d) = g^T d + \tfrac12 d^T H d + \sum_j \lambda_j |x_j + d_j|,

and one coordinate step is a soft thresholding:

.. math::

    u = x_j + d_j,\quad a = H_{jj},\quad r = g_j + (H d)_j,\qquad
    x_j + d_j \leftarrow \operatorname{sign}(u - r/a)\,\max(|u - r/a| - \lambda_j/a, 0).

:func:`cd_dense` sweeps over a dense ``H``; :func:`cd_sparse` and :func:`cd_sparse_softmax` never form ``H``:
they keep ``r = [A 1] d`` through the sparse columns ``A`` of the working set, so a step costs one column's
non-zeros. Through sparse columns each sweep is followed by a conjugate-gradient Newton step on the support
found so far, projected onto its orthant: coordinate descent identifies the support fast but converges slowly
on ill-conditioned data (text: rare and frequent words), conjugate gradients converge fast once the support is
right. :func:`column_gram` forms ``[A 1].T diag(h) [A 1]`` for a few columns ``A`` of CSR rows in one scan
(the dense model's ``H`` on sparse data, without a CSC copy). The loops are compiled with numba when it is
installed; without it the same Python code runs (and ``column_gram`` takes scipy's column slice instead).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from oneuron import neuron
from oneuron._kernels import unsigned_index

#: sparse inner solver: coordinate-descent sweeps between two conjugate-gradient steps on the support, the
#: residual those steps aim at relative to the last sweep's largest step, and their cap on products with H
#: (measured on the sparse L1 path of benchmarks/bench_l1_path.py, see benchmarks/RESULTS.md)
SWEEPS_PER_CG = 1
CG_RATIO = 0.1
CG_MAX = 50
#: floor of the preconditioner's centered diagonal, relative to the Hessian's (a column that is almost
#: constant over the rows of non-zero curvature: rounding could leave its centered diagonal at zero or below)
CENTERED_FLOOR = 1e-3


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


def _sparse_hcolumn(start, stop, indices, weighted, h, mw, u, j):  # pragma: no cover - compiled by numba
    """``([A 1].T diag(h) u)_j``, with ``weighted = A.data * h[A.indices]`` (``j == mw``: the ones column)."""
    if j == mw:
        return (h * u).sum()
    s = 0.0
    for k in range(start[j], stop[j]):
        s += weighted[k] * u[indices[k]]
    return s


def _sparse_scatter(start, stop, indices, data, mw, v, r):  # pragma: no cover - compiled by numba when available
    """``r = [A 1] v`` (``r`` is overwritten)."""
    r[:] = 0.0
    for j in range(v.shape[0]):
        vj = v[j]
        if vj == 0.0:
            continue
        if j == mw:
            r += vj
        else:
            for k in range(start[j], stop[j]):
                r[indices[k]] += data[k] * vj


def _row_product(rptr, ridx, rdata, h, px, pb, u, hx):  # pragma: no cover - compiled by numba when available
    """``u = X p_x + p_b`` and ``hx = X.T diag(h) u`` through the CSR rows of X (``p_x`` is zero off the support);
    returns ``sum(h u)``, the intercept's entry. Per non-zero a gather from ``p_x`` and a scatter into ``hx``:
    vectors of X's columns, which stay in the first-level cache where the rows' vectors of a product through
    the columns do not."""
    hx[:] = 0.0
    hb = 0.0
    for i in range(rptr.shape[0] - 1):
        s = pb
        for k in range(rptr[i], rptr[i + 1]):
            s += rdata[k] * px[ridx[k]]
        u[i] = s
        t = h[i] * s
        hb += t
        for k in range(rptr[i], rptr[i + 1]):
            hx[ridx[k]] += rdata[k] * t
    return hb


def _sparse_model(h, l2, mw, g, x, lam, d, r):  # pragma: no cover - compiled by numba when available
    """``q(d) = g.d + d.H.d / 2 + sum_j lam_j (|x_j + d_j| - |x_j|)`` with ``r = [A 1] d``:
    ``d.H.d = sum_i h_i r_i^2 + l2 |d_w|^2``."""
    q = 0.5 * (h * r * r).sum()
    for j in range(g.shape[0]):
        q += g[j] * d[j] + lam[j] * (abs(x[j] + d[j]) - abs(x[j]))
        if j != mw:
            q += 0.5 * l2 * d[j] * d[j]
    return q


def _sparse_sweep(start, stop, indices, data, weighted, h, l2, mw, g, x, lam, a, d, r, below):  # pragma: no cover
    """One cyclic coordinate-descent sweep over the coordinates of curvature ``0 < a_j <= below``, keeping
    ``r = [A 1] d``; returns the largest step ``a_j |delta_j|`` and how many coordinates left or reached zero.

    ``(H d)_j = sum_i A_ij h_i r_i + l2 d_j``: each step costs the non-zeros of one column.
    """
    n = h.shape[0]
    biggest = 0.0
    changes = 0
    for j in range(g.shape[0]):
        if a[j] <= 0.0 or a[j] > below:
            continue
        hd = _sparse_hcolumn(start, stop, indices, weighted, h, mw, r, j)
        if j != mw:
            hd += l2 * d[j]
        u = x[j] + d[j]
        delta = _coordinate_minimizer(u, g[j] + hd, a[j], lam[j]) - u
        if delta != 0.0:
            if u == 0.0 or u + delta == 0.0:
                changes += 1
            d[j] += delta
            if j == mw:
                for i in range(n):
                    r[i] += delta
            else:
                for k in range(start[j], stop[j]):
                    r[indices[k]] += delta * data[k]
            step = abs(delta) * a[j]
            if step > biggest:
                biggest = step
    return biggest, changes


def _sparse_optimality(start, stop, indices, weighted, h, l2, mw, g, x, lam, a, d, r):  # pragma: no cover - numba
    """The model's largest minimum-norm subgradient at ``d`` (``r = [A 1] d``), over the coordinates a sweep
    visits: one read of the columns, no write."""
    worst = 0.0
    for j in range(g.shape[0]):
        if a[j] <= 0.0:
            continue
        slope = g[j] + _sparse_hcolumn(start, stop, indices, weighted, h, mw, r, j)
        if j != mw:
            slope += l2 * d[j]
        u = x[j] + d[j]
        if u > 0.0:
            v = abs(slope + lam[j])
        elif u < 0.0:
            v = abs(slope - lam[j])
        else:
            v = abs(slope) - lam[j]
        if v > worst:
            worst = v
    return worst


def _centered_diagonal(support, a, colsum, total, mw, mu, centered):  # pragma: no cover - compiled by numba
    """The preconditioner of :func:`_sparse_support_cg` on ``support``: each column's weighted mean ``mu`` and
    the diagonal of the centered Hessian, ``a_j - total mu_j^2`` (floored at ``CENTERED_FLOOR a_j``); returns
    the intercept's place in ``support`` (-1: none)."""
    pivot = -1
    for t in range(support.shape[0]):
        j = support[t]
        if j == mw:
            pivot = t
            centered[t] = 1.0
            continue
        mu[t] = colsum[j] / total if total > 0.0 else 0.0
        centered[t] = max(a[j] - total * mu[t] * mu[t], CENTERED_FLOOR * a[j])
    return pivot


def _precondition(res, mu, centered, total, pivot, z):  # pragma: no cover - compiled by numba when available
    r"""``z = M^{-1} res`` for ``M = D_c + total mu mu^T`` (no intercept: Sherman-Morrison) or, with the intercept
    (the column of ones, mean 1) at ``pivot``, ``M = [[D_c + total mu mu^T, total mu], [total mu^T, total]]``
    (its block elimination: ``z_w = D_c^{-1} (res_w - mu res_b)``, ``z_b = res_b / total - mu.z_w``).

    ``M`` is the Hessian ``[A 1].T diag(h) [A 1]`` with the off-diagonal part of its centered part
    ``(A - 1 mu^T).T diag(h) (A - 1 mu^T)`` dropped: Jacobi on the centered columns, and exact along the
    columns' common mode. Where every row has a few frequent words (text), that mode is the Jacobi-scaled
    Hessian's largest eigenvalue, tens of times its others, and the frequent words' own diagonal is mostly
    that mode, so Jacobi leaves a condition number in the hundreds that this ``M`` brings to a few.
    """
    ns = res.shape[0]
    if pivot >= 0:
        rb = res[pivot]
        dot = 0.0
        for t in range(ns):
            if t != pivot:
                z[t] = (res[t] - mu[t] * rb) / centered[t]
                dot += mu[t] * z[t]
        z[pivot] = rb / total - dot
        return
    dot = 0.0
    norm = 0.0
    for t in range(ns):
        z[t] = res[t] / centered[t]
        dot += mu[t] * z[t]
        norm += mu[t] * mu[t] / centered[t]
    coef = total * dot / (1.0 + total * norm)
    for t in range(ns):
        z[t] -= coef * mu[t] / centered[t]


def _sparse_support_cg(  # pragma: no cover - compiled by numba when available
    start, stop, indices, data, weighted, h, l2, mw, g, x, lam, a, colsum, d, r, tol, max_iter, rows
):
    r"""Newton step on the current support with its signs fixed, by preconditioned conjugate gradients.

    On the orthant of ``x + d`` the model is smooth: ``q = g.d + d.H.d / 2 + lam.sign(x + d) (x + d) + const``,
    so its minimizer over the support ``S`` solves ``H_SS s = -(g + H d + lam sign(x + d))_S``. Coordinate
    descent needs O(cond H) sweeps for that, conjugate gradients O(sqrt(cond M^-1 H)) products with ``H`` of the
    same cost, with ``M`` the centered diagonal plus the columns' common mode (:func:`_precondition`; ``colsum``
    is ``[A 1].T h``). Conjugate gradients stop once the residual is at most ``tol / 2`` (none is run when it
    is at most ``tol``). The step is then projected back onto the orthant (a coordinate that would change sign
    stops at zero); if that does not decrease the model, the step is cut to the first breakpoint (the first
    coordinate to reach zero: along it the smooth model decreases), then halved until the model decreases.
    ``d`` and ``r`` are updated only if it does (``r`` from ``[A 1] s``, which the products give, and the
    columns of the projected coordinates). Halving the projected step instead could take five halvings and
    leave the support's residual tens of times the target (one weight changing sign).

    ``rows`` (see :func:`_cd_sparse_sweeps`) chooses how the products are taken. Returns the number of products
    with ``H`` and, when the whole step was taken without projection, the model's
    largest minimum-norm subgradient after it (the residual on the support, a read of the other columns);
    otherwise -1.
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
    for t in range(ns):
        j = support[t]
        res[t] = -(g[j] + _sparse_hcolumn(start, stop, indices, weighted, h, mw, r, j) + lam[j] * sign[j])
        if j != mw:
            res[t] -= l2 * d[j]
    if ns == 0 or np.abs(res).max() <= tol:
        return 0, -1.0
    total = h.sum()
    mu = np.zeros(ns)
    centered = np.empty(ns)
    pivot = _centered_diagonal(support, a, colsum, total, mw, mu, centered)
    step = np.zeros(ns)
    z = np.empty(ns)
    _precondition(res, mu, centered, total, pivot, z)
    p = z.copy()
    rz = res @ z
    full = np.zeros(m)
    u = np.empty(n)
    astep = np.zeros(n)  # [A 1] step
    hp = np.empty(ns)
    products = 0
    rptr, ridx, rdata, columns, n_columns = rows
    by_rows = rptr.shape[0] > 0
    px = np.zeros(n_columns if by_rows else 0)
    hx = np.empty(n_columns if by_rows else 0)
    while products < max_iter:
        products += 1
        if by_rows:
            pb = 0.0
            for t in range(ns):
                j = support[t]
                if j == mw:
                    pb = p[t]
                else:
                    px[columns[j]] = p[t]
            hb = _row_product(rptr, ridx, rdata, h, px, pb, u, hx)
            for t in range(ns):
                j = support[t]
                hp[t] = hb if j == mw else hx[columns[j]] + l2 * p[t]
        else:
            for t in range(ns):
                full[support[t]] = p[t]
            _sparse_scatter(start, stop, indices, data, mw, full, u)
            for t in range(ns):
                j = support[t]
                hp[t] = _sparse_hcolumn(start, stop, indices, weighted, h, mw, u, j) + (l2 * p[t] if j != mw else 0.0)
        curvature = p @ hp
        if not curvature > 0.0:
            break
        alpha = rz / curvature
        step += alpha * p
        astep += alpha * u
        res -= alpha * hp
        if np.abs(res).max() <= 0.5 * tol:
            break
        _precondition(res, mu, centered, total, pivot, z)
        rz_next = res @ z
        p = z + (rz_next / rz) * p
        rz = rz_next
    before = _sparse_model(h, l2, mw, g, x, lam, d, r)
    trial = np.empty(m)
    r_trial = np.empty(n)
    # the first breakpoint: the largest t <= 1 at which no coordinate of the support has changed sign
    breakpoint = 1.0
    for s in range(ns):
        j = support[s]
        if lam[j] > 0.0 and step[s] * sign[j] < 0.0:
            tj = -(x[j] + d[j]) / step[s]
            if tj < breakpoint:
                breakpoint = tj
    t = 1.0
    for halvings in range(30):
        trial[:] = d
        projected = False
        for s in range(ns):
            j = support[s]
            v = d[j] + t * step[s]
            if lam[j] > 0.0 and (x[j] + v) * sign[j] <= 0.0:
                v = -x[j]  # projected onto the orthant: stops at zero instead of changing sign
                projected = True
            trial[j] = v
        r_trial[:] = r + t * astep
        if projected:  # the projected coordinates' columns: what projection changed in [A 1] trial
            for s in range(ns):
                j = support[s]
                change = trial[j] - (d[j] + t * step[s])
                if change != 0.0 and j != mw:
                    for k in range(start[j], stop[j]):
                        r_trial[indices[k]] += change * data[k]
        if _sparse_model(h, l2, mw, g, x, lam, trial, r_trial) < before:
            d[:] = trial
            r[:] = r_trial
            if halvings > 0 or projected:
                return products, -1.0
            # the whole step on the orthant: the model's slope on the support is -res, off it a read of the columns
            worst = np.abs(res).max()
            for j in range(m):
                if a[j] > 0.0 and lam[j] > 0.0 and x[j] + d[j] == 0.0:
                    slope = g[j] + _sparse_hcolumn(start, stop, indices, weighted, h, mw, r, j) + l2 * d[j]
                    worst = max(worst, abs(slope) - lam[j])
            return products, worst
        if t > breakpoint:
            t = breakpoint  # the projected step did not decrease the model: the step to the first breakpoint
        else:
            t *= 0.5
    return products, -1.0


def _cd_sparse_sweeps(  # pragma: no cover - compiled by numba when available
    start, stop, indices, data, h, l2, intercept, g, x, lam, max_passes, tol, rows
):
    """Minimize the quadratic model with ``H = [A 1].T diag(h) [A 1] + l2 I_w`` through A's sparse columns.

    Column ``j`` of ``A`` is ``indices[start[j]:stop[j]]``, ``data[start[j]:stop[j]]`` (row indices and values):
    the working set's columns of a CSC matrix, read where they are (``start, stop = indptr[:-1], indptr[1:]``
    for a matrix of those columns only).

    ``rows`` is ``(indptr, indices, data, columns, n_columns)``: X's CSR rows, from which the conjugate-gradient
    steps take their products with ``H`` (:func:`_row_product`; empty ``indptr``: through ``A``'s columns),
    and ``columns``, X's column of each of ``A``'s.

    Cyclic coordinate descent (which finds the support and signs of the solution quickly), and every
    ``SWEEPS_PER_CG`` sweeps a conjugate-gradient Newton step on the support found so far (which converges
    much faster than coordinate descent once the support is right, see :func:`_sparse_support_cg`).
    Stops after a sweep whose largest step ``a_j |delta_j|`` is at most ``tol``, or after a conjugate-gradient
    step that leaves the model's largest minimum-norm subgradient at most ``tol`` (a stricter measure than the
    sweep's), or after ``max_passes`` sweeps and products with ``H`` in all; returns ``(d, passes)``, the number
    of sweeps and products (each reads the working set's columns about twice).
    """
    n = h.shape[0]
    m = g.shape[0]
    mw = m - 1 if intercept else m  # the intercept's column index (``m``: none)
    weighted = np.empty(data.shape[0])  # A_ij h_i, so that (A.T diag(h) u)_j reads one array less
    a = np.zeros(m)
    colsum = np.zeros(m)  # ([A 1].T h)_j, for the conjugate gradients' preconditioner
    for j in range(m):
        if j == mw:
            a[j] = colsum[j] = h.sum()
        else:
            s = 0.0
            c = 0.0
            for k in range(start[j], stop[j]):
                weighted[k] = data[k] * h[indices[k]]
                s += weighted[k] * data[k]
                c += weighted[k]
            a[j] = s + l2
            colsum[j] = c
    d = np.zeros(m)
    r = np.zeros(n)
    sweeps = products = 0
    while sweeps + products < max_passes:
        sweeps += 1
        biggest, changes = _sparse_sweep(start, stop, indices, data, weighted, h, l2, mw, g, x, lam, a, d, r, np.inf)
        if biggest <= tol or sweeps + products >= max_passes:
            break
        if sweeps % SWEEPS_PER_CG == 0:
            # conjugate gradients to CG_RATIO times the last sweep's largest step (or tol), at most CG_MAX products;
            # to tol itself when the sweep kept the zero pattern; then one read of the columns checks the model's
            # optimality instead of another sweep
            target = tol if changes == 0 else max(tol, CG_RATIO * biggest)
            done, worst = _sparse_support_cg(
                start,
                stop,
                indices,
                data,
                weighted,
                h,
                l2,
                mw,
                g,
                x,
                lam,
                a,
                colsum,
                d,
                r,
                target,
                min(CG_MAX, max_passes - sweeps - products),
                rows,
            )
            products += done
            if done > 0 and worst < 0.0:
                worst = _sparse_optimality(start, stop, indices, weighted, h, l2, mw, g, x, lam, a, d, r)
            if done > 0 and worst <= tol:
                # a last sweep over the columns of at most the mean curvature (rare words: most columns, a quarter
                # of the non-zeros): the objective left by a coordinate at slope r_j is about r_j^2 / (2 a_j), so
                # the same tol on them leaves much more of it than on the frequent ones, and they are nearly
                # decoupled, so that one sweep solves them
                _sparse_sweep(start, stop, indices, data, weighted, h, l2, mw, g, x, lam, a, d, r, a.sum() / m)
                break
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


def _csr_column_gram(indptr, indices, data, h, slot, m, width):  # pragma: no cover - compiled by numba
    """``(A.T diag(h) A, A.T h)`` for the columns ``A`` of a CSR matrix that ``slot`` selects, in one scan of it.

    ``slot[j]`` is column ``j``'s place in ``A`` (-1: not selected), ``m`` the number selected and ``width`` the
    most entries of a row. Row ``i`` adds ``h_i a_i a_i.T`` over its selected entries ``a_i`` (duplicate entries
    of a column included, as a product with X sums them): for a few columns this reads X once, where their CSC
    copy reads and writes it several times.
    """
    n = indptr.shape[0] - 1
    G = np.zeros((m, m))
    border = np.zeros(m)
    where = np.empty(width, dtype=np.int64)
    value = np.empty(width)
    for i in range(n):
        c = 0
        for k in range(indptr[i], indptr[i + 1]):
            s = slot[indices[k]]
            if s >= 0:
                where[c] = s
                value[c] = data[k]
                c += 1
        hi = h[i]
        for a in range(c):
            va = hi * value[a]
            border[where[a]] += va
            for b in range(c):
                G[where[a], where[b]] += va * value[b]
    return G, border


def _selection(X, columns):
    """A CSR matrix's ``indptr`` and ``indices`` for the kernels, and ``slot``: each column's place among
    ``columns`` (-1: not selected)."""
    slot = np.full(X.shape[1], -1, dtype=np.int64)
    slot[columns] = np.arange(len(columns))
    return unsigned_index(X.indptr), unsigned_index(X.indices), slot


def column_gram(X, h: np.ndarray, columns: np.ndarray, with_ones: bool) -> np.ndarray:
    """``neuron.weighted_gram(X[:, columns], h, with_ones)`` for a CSR matrix ``X``, without copying its columns.

    Parameters
    ----------
    X : scipy.sparse CSR matrix (n, d)
    h : ndarray (n,)
        Per-row weights (the rows' curvature).
    columns : ndarray of int
        The selected columns, without repeats.
    with_ones : bool
        Border the Gram matrix with the column of ones (the intercept).

    Returns
    -------
    ndarray (m + with_ones, m + with_ones)
    """
    h = np.asarray(h, dtype=np.float64)
    if not COMPILED:  # the scan in Python would be slow: scipy's column slice and product instead
        return neuron.weighted_gram(X[:, columns], h, with_ones)
    indptr, indices, slot = _selection(X, columns)
    width = int(np.diff(X.indptr).max(initial=0))
    G, border = _column_gram(indptr, indices, X.data, h, slot, len(columns), width)
    if not with_ones:
        return G
    m = len(columns)
    H = np.empty((m + 1, m + 1))
    H[:m, :m], H[:m, m], H[m, :m], H[m, m] = G, border, border, h.sum()
    return H


def _csr_take_columns(indptr, indices, data, slot):  # pragma: no cover - compiled by numba when available
    """``(data, indices, indptr)`` of the columns of a CSR matrix that ``slot`` selects (``slot[j]``: column
    ``j``'s place, -1 if not selected); duplicate entries are kept (a product with X sums them).

    Two scans of X: one counts the selected entries, the other copies them (arrays of their exact size: new
    pages of an array of X's size would cost more than the scan).
    """
    n = indptr.shape[0] - 1
    out_indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        c = 0
        for k in range(indptr[i], indptr[i + 1]):
            if slot[indices[k]] >= 0:
                c += 1
        out_indptr[i + 1] = out_indptr[i] + c
    out_indices = np.empty(out_indptr[n], dtype=np.int64)
    out_data = np.empty(out_indptr[n])
    c = 0
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            s = slot[indices[k]]
            if s >= 0:
                out_indices[c] = s
                out_data[c] = data[k]
                c += 1
    return out_data, out_indices, out_indptr


def take_columns(X, columns: np.ndarray):
    """``X[:, columns]`` of a CSR matrix ``X`` as a float64 CSR matrix, in one scan of X (scipy's column slice
    without numba).

    Parameters
    ----------
    X : scipy.sparse CSR matrix (n, d)
    columns : ndarray of int
        The selected columns, without repeats.

    Returns
    -------
    scipy.sparse CSR matrix (n, len(columns)), float64
    """
    if not COMPILED:  # the scan in Python would be slow
        return X[:, columns].astype(np.float64)
    indptr, indices, slot = _selection(X, columns)
    arrays = _take_columns(indptr, indices, X.data, slot)
    return sp.csr_matrix(arrays, shape=(X.shape[0], len(columns)))


def _csr_take_columns_dense(indptr, indices, data, slot, m):  # pragma: no cover - compiled by numba when available
    """The columns of a CSR matrix that ``slot`` selects as a dense (rows, m) float64 array, in one scan of it
    (duplicate entries summed, as a product with X sums them)."""
    n = indptr.shape[0] - 1
    out = np.zeros((n, m))
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            s = slot[indices[k]]
            if s >= 0:
                out[i, s] += data[k]
    return out


def _csc_take_columns_dense(indptr, indices, data, columns, n):  # pragma: no cover - compiled by numba
    """The ``columns`` of a CSC matrix of ``n`` rows as a dense (n, len(columns)) float64 array (duplicate entries
    summed in their stored order, as :func:`_csr_take_columns_dense` sums them)."""
    out = np.zeros((n, columns.shape[0]))
    for t in range(columns.shape[0]):
        j = columns[t]
        for k in range(indptr[j], indptr[j + 1]):
            out[indices[k], t] += data[k]
    return out


def take_columns_dense(X, columns: np.ndarray) -> np.ndarray:
    """``X[:, columns].toarray()`` of a CSR or CSC matrix ``X`` in float64: for a few columns of many rows, where
    the dense kernels and BLAS then read them faster than their sparse form. From CSR rows in one scan of X,
    from a CSC matrix in a read of those columns' entries only.

    Parameters
    ----------
    X : scipy.sparse CSR or CSC matrix (n, d)
    columns : ndarray of int
        The selected columns, without repeats.

    Returns
    -------
    ndarray (n, len(columns)), float64, C-contiguous
    """
    if not COMPILED:  # the loops in Python would be slow
        return np.ascontiguousarray(X[:, columns].toarray(), dtype=np.float64)
    if X.format == "csc":
        indptr, indices = unsigned_index(X.indptr), unsigned_index(X.indices)
        return _csc_columns_dense(indptr, indices, X.data, np.asarray(columns, dtype=np.int64), X.shape[0])
    indptr, indices, slot = _selection(X, columns)
    return _take_columns_dense(indptr, indices, X.data, slot, len(columns))


try:  # compiled inner loops when numba is there; the Python loops above are the same code
    import numba

    COMPILED = True
    # compiled first: the sweeps below look it up as a global when numba compiles them
    _coordinate_minimizer = numba.njit(cache=True, nogil=True)(_coordinate_minimizer)
    _sparse_hcolumn = numba.njit(cache=True, nogil=True)(_sparse_hcolumn)
    _sparse_scatter = numba.njit(cache=True, nogil=True)(_sparse_scatter)
    _row_product = numba.njit(cache=True, nogil=True)(_row_product)
    _sparse_model = numba.njit(cache=True, nogil=True)(_sparse_model)
    _sparse_sweep = numba.njit(cache=True, nogil=True)(_sparse_sweep)
    _sparse_optimality = numba.njit(cache=True, nogil=True)(_sparse_optimality)
    _centered_diagonal = numba.njit(cache=True, nogil=True)(_centered_diagonal)
    _precondition = numba.njit(cache=True, nogil=True)(_precondition)
    _sparse_support_cg = numba.njit(cache=True, nogil=True)(_sparse_support_cg)
    cd_dense = numba.njit(cache=True, nogil=True)(_cd_sweeps)
    cd_sparse = numba.njit(cache=True, nogil=True)(_cd_sparse_sweeps)
    cd_sparse_softmax = numba.njit(cache=True, nogil=True)(_cd_sparse_softmax_sweeps)
    _column_gram = numba.njit(cache=True, nogil=True)(_csr_column_gram)
    _take_columns = numba.njit(cache=True, nogil=True)(_csr_take_columns)
    _take_columns_dense = numba.njit(cache=True, nogil=True)(_csr_take_columns_dense)
    _csc_columns_dense = numba.njit(cache=True, nogil=True)(_csc_take_columns_dense)
except ImportError:  # pragma: no cover
    COMPILED = False
    _column_gram = _csr_column_gram
    _take_columns = _csr_take_columns
    _take_columns_dense = _csr_take_columns_dense
    _csc_columns_dense = _csc_take_columns_dense
    cd_dense = _cd_sweeps
    cd_sparse = _cd_sparse_sweeps
    cd_sparse_softmax = _cd_sparse_softmax_sweeps
