"""Tall data: start from the optimum of a row subsample, then finish on all rows.

The optimum of the objective on ``m`` rows drawn at random is within the sampling error (relative
``~ sqrt(params / m)``) of the full optimum: far closer than the first iterations of a cold start get, for the
price of passes over ``m`` rows. From there the full problem needs a few passes, under the same stopping rule
(``max |gradient| <= tol`` on all rows), so the answer is the full objective's optimum as from a cold start.

The subsample is fitted by the chosen solver. On all rows, for the binary head with at most
:data:`MAX_HESSIAN` parameters (scikit-learn's "newton-cholesky" regime), the subsample's Hessian at its
optimum is factorized once and reused for every step: ``d = -H_sub^{-1} g`` converges linearly at a rate of
about the two Hessians' relative difference, each step one pass (the line search's evaluation); if a step does
not at least halve ``max |gradient|``, the chosen solver takes over from there. Otherwise (softmax head, many
parameters) Newton-CG finishes: close to the optimum it needs one or two Newton steps, whose Hessian products
reuse the rows' kept probabilities or curvature, where a quasi-Newton method restarted without its memory
would take as many iterations as from zero.
"""

from __future__ import annotations

import functools

import numpy as np

from oneuron._solvers._linesearch import backtrack, stalled
from oneuron._solvers._result import Result, floor_result, notify
from oneuron._solvers.newton import SIGMA, _cholesky_direction, newton_cg

#: fits on more rows than this start from a subsample's optimum
MIN_ROWS = 200_000
#: the subsample has ``max(n / FRACTION, ROWS_PER_PARAM * params)`` rows (and at most ``n / 4``)
FRACTION = 10
ROWS_PER_PARAM = 50
#: largest number of parameters whose subsample Hessian is formed and reused
MAX_HESSIAN = 1000
#: iterations allowed to the subsample's fit
SUBSAMPLE_MAX_ITER = 200


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
    first = then(sub, x0, tol=max(tol, 1e-6), max_iter=min(max_iter, SUBSAMPLE_MAX_ITER))
    if not first.converged:
        return then(objective, x0, tol=tol, max_iter=max_iter, callback=callback)
    start = first.x
    if objective.is_binary and objective.n_params <= MAX_HESSIAN:
        H = sub.evaluate(start, hessian=True).hessian()
        return _fixed_hessian(objective, start, H, then, tol, max_iter, callback)
    return newton_cg(objective, start, tol=tol, max_iter=max_iter, callback=callback)


def strategy(solver, objective):
    """What ``solver="auto"`` runs: ``solver`` itself, or :func:`solve` with it where the data are tall
    (:func:`subsample_rows`), the penalty smooth and the subsample's Hessian can be reused (binary head, at
    most :data:`MAX_HESSIAN` parameters).

    For the softmax head the Newton-CG finish took as long as L-BFGS from zero on 200,000 x 50, 10 classes
    (benchmarks/RESULTS.md), so there ``solver`` runs alone.
    """
    reuse = objective.is_binary and objective.n_params <= MAX_HESSIAN
    if not (reuse and objective.penalty.is_smooth) or subsample_rows(objective) is None:
        return solver
    return functools.partial(solve, then=solver)


def _fixed_hessian(objective, x0, H, then, tol, max_iter, callback):
    """Newton steps with one Hessian ``H`` for all of them; ``then`` takes over where they stop helping."""
    ev = objective.evaluate(x0)
    x = ev.theta
    for it in range(1, max_iter + 1):
        f, g = ev.loss, ev.gradient
        gmax = float(np.max(np.abs(g)))
        if gmax <= tol:
            return Result(x, f, it - 1, True, "max|gradient| <= tol", ev)
        d = _cholesky_direction(H, g)
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
