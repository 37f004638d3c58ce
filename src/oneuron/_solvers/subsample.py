"""Tall data: start from the optimum of a row subsample, then finish on all rows with its Hessian.

The optimum of the objective on ``m`` rows drawn at random is within the sampling error (relative
``~ sqrt(params / m)``) of the full optimum: far closer than the first iterations of a cold start get, for the
price of passes over ``m`` rows. From there the full problem needs a few passes, under the same stopping rule
(``max |gradient| <= tol`` on all rows), so the answer is the full objective's optimum as from a cold start.

The subsample is fitted by the chosen solver. On all rows every step is ``d = -H_sub^{-1} g`` with one Hessian,
the subsample's at its optimum, and the full gradient ``g``: this converges linearly at a rate of about the two
Hessians' relative difference, each step one pass over all rows (the line search's evaluation). ``H_sub`` is
factorized once for the binary head with at most :data:`MAX_HESSIAN` parameters (scikit-learn's
"newton-cholesky" regime); otherwise (softmax head, many parameters) each step solves with it by conjugate
gradients on the subsample's Hessian products, which cost a pass over the subsample each. If a step does not
at least halve ``max |gradient|``, the chosen solver takes over from there.
"""

from __future__ import annotations

import functools

import numpy as np

from oneuron._solvers._linesearch import backtrack, stalled
from oneuron._solvers._result import Result, floor_result, notify
from oneuron._solvers.newton import SIGMA, _cholesky_direction

#: fits on more rows than this start from a subsample's optimum
MIN_ROWS = 200_000
#: the subsample has ``max(n / FRACTION, ROWS_PER_PARAM * params)`` rows (and at most ``n / 4``)
FRACTION = 10
ROWS_PER_PARAM = 50
#: largest number of parameters whose subsample Hessian is formed and reused
MAX_HESSIAN = 1000
#: iterations allowed to the subsample's fit, and its tolerance (at least ``tol``): its optimum is only
#: within the sampling error of the full one anyway, so a tighter fit is wasted
SUBSAMPLE_MAX_ITER = 200
SUB_TOL = 1e-4


def subsample_rows(objective) -> int | None:
    """Rows of the subsample :func:`solve` would start from, or None when the data are not tall enough."""
    n = objective.source.n_samples
    m = max(n // FRACTION, ROWS_PER_PARAM * objective.n_params)
    if n < MIN_ROWS or 4 * m > n:
        return None
    return m


def solve(objective, x0, *, then, tol: float = 1e-4, max_iter: int = 100, callback=None, rows: int | None = None):
    """Minimize ``objective`` from the optimum of a subsample of ``rows`` rows (see module docstring).

    Parameters
    ----------
    objective : Objective
    x0 : ndarray
        Start of the subsample's fit.
    then : callable
        The solver (``solve(objective, x0, tol=, max_iter=, callback=)``) for the subsample, and on all rows
        where the reused Hessian stops helping (or from ``x0`` when the subsample's fit does not converge: a
        class or a separation of its own, say).
    tol, max_iter, callback
        As every solver; ``max_iter`` and ``callback`` apply to the full-data iterations.
    rows : int, optional
        Subsample size; by default :func:`subsample_rows`. Without one (data not tall, or not in memory) this is
        ``then`` on the full data.
    """
    rows = subsample_rows(objective) if rows is None else rows
    sub = objective.subsample(rows) if rows else None
    if sub is None:
        return then(objective, x0, tol=tol, max_iter=max_iter, callback=callback)
    first = then(sub, x0, tol=max(tol, SUB_TOL), max_iter=min(max_iter, SUBSAMPLE_MAX_ITER))
    if not first.converged:
        return then(objective, x0, tol=tol, max_iter=max_iter, callback=callback)
    start = first.x
    return _fixed_hessian(objective, start, _direction(sub, start), then, tol, max_iter, callback)


def _direction(sub, x):
    """``g -> -H^{-1} g`` with ``H`` the subsample's Hessian at ``x``: factorized (binary head, at most
    :data:`MAX_HESSIAN` parameters), else solved by conjugate gradients on the subsample's Hessian products
    (each a pass over the subsample only, with the probabilities kept at ``x``)."""
    if sub.is_binary and sub.n_params <= MAX_HESSIAN:
        H = sub.evaluate(x, hessian=True).hessian()
        return lambda g: _cholesky_direction(H, g)
    ev = sub.evaluate(x, curvature=True)

    def cg(g):
        return sub.remove_symmetry(_cg(ev.hessp, g, CG_RTOL, CG_MAX))

    return cg


#: conjugate gradients on the subsample's Hessian stop at this residual relative to the gradient (its Hessian is
#: itself only that close to the full one), or after CG_MAX products
CG_RTOL = 0.05
CG_MAX = 50


def _cg(hessp, g, rtol, max_products):
    d = np.zeros_like(g)
    r = -g.copy()
    p = r.copy()
    rr = r @ r
    stop = rtol * rtol * rr
    for _ in range(max_products):
        Hp = hessp(p)
        curv = p @ Hp
        if curv <= 1e-16 * (p @ p):
            break
        a = rr / curv
        d += a * p
        r -= a * Hp
        rr_new = r @ r
        if rr_new <= stop:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return d if d.any() else -g


def strategy(solver, objective):
    """What ``solver="auto"`` runs: ``solver`` itself, or :func:`solve` with it where the data are tall
    (:func:`subsample_rows`) and the penalty smooth."""
    if not objective.penalty.is_smooth or subsample_rows(objective) is None:
        return solver
    return functools.partial(solve, then=solver)


def _fixed_hessian(objective, x0, direction, then, tol, max_iter, callback):
    """Newton steps with one Hessian for all of them (``direction(g) = -H^{-1} g``); ``then`` takes over where
    they stop helping."""
    ev = objective.evaluate(x0)
    x = ev.theta
    for it in range(1, max_iter + 1):
        f, g = ev.loss, ev.gradient
        gmax = float(np.max(np.abs(g)))
        if gmax <= tol:
            return Result(x, f, it - 1, True, "max|gradient| <= tol", ev)
        d = direction(g)
        slope = g @ d
        step = None
        if slope < 0:

            def evaluate(point, t):
                e = objective.evaluate(point)
                return e.loss, e

            step = backtrack(
                evaluate,
                x,
                d,
                f,
                slope,
                sigma=SIGMA,
                max_halvings=4,
                measure=lambda e: np.abs(e.gradient).sum(),
                measure_now=np.abs(g).sum(),
            )
        if step is None:
            break
        x, ev = step.x, step.evaluation
        if notify(callback, it, ev.loss, ev.gradient):
            return Result(x, ev.loss, it, True, "stopped by callback", ev)
        g_new = float(np.max(np.abs(ev.gradient)))
        if stalled(f, ev.loss, step.t * d):
            return floor_result(x, ev.loss, it, g_new, tol, "gradient", ev)
        if g_new > 0.5 * gmax and g_new > tol:  # the subsample's curvature no longer fits: the full solver
            break
    return then(objective, ev, tol=tol, max_iter=max_iter, callback=callback)
