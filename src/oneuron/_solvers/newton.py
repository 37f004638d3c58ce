r"""Newton's method with a backtracking (Armijo) line search, in its two classic forms.

Each iteration solves ``H d = -g`` for the step direction, then halves the step until the objective
decreases enough: ``F(x + t d) <= F(x) + 1e-4 t g.d`` (the shared line search, ``_linesearch.py``). Near the
optimum full steps are taken and convergence is quadratic, which is what a statistician's tight tolerance
needs. Both stop when ``max |g| <= tol``.

- :func:`newton_cholesky`: the full Hessian ``[X 1].T diag(s p(1-p)) [X 1] / S + penalty`` is factorized by
  Cholesky (scikit-learn's "newton-cholesky"), for the binary head with few parameters. After a full step
  the next point's loss, gradient and Hessian come from one read of the data, and an accepted full step is
  doubled while the loss keeps falling faster than the quadratic model promised (nearly separable data,
  where full steps only halve the loss).
- :func:`newton_cg`: truncated Newton, ``H d = -g`` solved approximately by conjugate gradients on
  Hessian-vector products ("newton-cg"), for the softmax head and many features. The products reuse each
  row's curvature, kept by the evaluation of the accepted point; CG is preconditioned by the Hessian's
  diagonal when the evaluation provides it and stops on scikit-learn's l1 residual rule. CG iterates stay in
  the span of the gradients, which keeps the unpenalized softmax parameters on the same sum-to-zero solution
  as scikit-learn's.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from oneuron._solvers._linesearch import backtrack, require_finite, stalled
from oneuron._solvers._result import Result, floor_result, max_iter_result, notify

#: largest number of parameters for which :func:`solve` forms and factorizes the full Hessian.
MAX_DIRECT = 1000
#: Armijo's constant
SIGMA = 1e-4


def _cholesky_direction(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    # LAPACK directly: scipy.linalg.cho_factor/cho_solve's checks and wrappers cost more than a 65 x 65 solve
    L, info = scipy.linalg.lapack.dpotrf(H, lower=1, clean=0)
    if info == 0:
        step, info = scipy.linalg.lapack.dpotrs(L, g, lower=1)
        if info == 0 and np.all(np.isfinite(step)):
            return -step
    # singular (e.g. separable data without penalty, constant column): least-norm step
    return -scipy.linalg.lstsq(H, g, cond=1e-12)[0]


def _cg_direction(hessp, g: np.ndarray, max_cg: int, diagonal: np.ndarray | None = None) -> np.ndarray:
    """Approximately solve ``H d = -g`` by conjugate gradients (scikit-learn's ``_cg`` stopping rule).

    Stops when the residual's l1 norm ``sum |r|`` falls to ``eta * sum |g|`` with
    ``eta = min(0.5, sqrt(sum |g|))``: loose far from the optimum, where an exact Newton step is wasted,
    and tightening as ``g -> 0`` (superlinear convergence). The l1 norm of a long gradient is larger than its
    l2 norm, so this is looser than an l2 test at the same ``eta`` and takes fewer Hessian-vector products.

    With the Hessian's ``diagonal`` the iteration is preconditioned by it (Jacobi): on text-like data, whose
    column frequencies span decades, it cuts the products several-fold.
    """
    g1 = np.abs(g).sum()
    termcond = min(0.5, np.sqrt(g1)) * g1
    inv_m = None if diagonal is None else np.where(diagonal > 0, 1.0 / np.where(diagonal > 0, diagonal, 1.0), 1.0)
    d = np.zeros_like(g)
    r = -g.copy()
    z = r if inv_m is None else inv_m * r
    p = z.copy()
    rz = r @ z
    for _ in range(max_cg):
        Hp = hessp(p)
        curv = p @ Hp
        if curv <= 1e-16 * (p @ p):  # no positive curvature left: use what we have (or the gradient)
            return d if d.any() else -g
        a = rz / curv
        d += a * p
        r -= a * Hp
        if np.abs(r).sum() <= termcond:
            break
        z = r if inv_m is None else inv_m * r
        rz_new = r @ z
        p = z + (rz_new / rz) * p
        rz = rz_new
    return d


def _descent(d: np.ndarray, g: np.ndarray):
    """``(d, g.d)``, or the steepest descent direction where ``d`` is not a descent direction (rounding)."""
    slope = g @ d
    return (d, slope) if slope < 0 else (-g, -(g @ g))


def _line_search(evaluate, ev, d: np.ndarray, slope: float, max_ls: int):
    """Armijo backtracking from ``ev``'s point along ``d``; at the rounding floor a smaller ``sum |gradient|``
    is progress (as scikit-learn's newton solvers accept there)."""
    return backtrack(
        evaluate, ev.theta, d, ev.loss, slope, sigma=SIGMA, max_halvings=max_ls,
        measure=lambda e: np.abs(e.gradient).sum(), measure_now=np.abs(ev.gradient).sum(),
    )  # fmt: skip


def newton_cholesky(objective, x0, *, tol: float = 1e-4, max_iter: int = 100, callback=None, max_ls: int = 40):
    """Minimize ``objective`` by Newton's method with Cholesky-factorized Hessians (see module docstring).

    Parameters and result as :func:`solve`.
    """
    ev = objective.evaluate(x0, hessian=True)
    require_finite(ev.loss, ev.gradient)
    x = ev.theta
    t_last, gmax_last = 0.0, np.inf  # the first step is often extrapolated: then a fused Hessian is wasted
    for it in range(1, max_iter + 1):
        f, g = ev.loss, ev.gradient
        gmax = np.max(np.abs(g))
        if gmax <= tol:
            return Result(x, f, it - 1, True, "max|gradient| <= tol", ev)
        d, slope = _descent(objective.remove_symmetry(_cholesky_direction(ev.hessian(), g)), g)
        # after a full step the next is usually full too: then read the data once for the new point's loss,
        # gradient and Hessian (not when quadratic convergence, |g_next| ~ |g|^3 / |g_last|^2, predicts that
        # this step ends the fit)
        fuse = t_last == 1.0 and gmax**3 > tol * gmax_last**2
        gmax_last = gmax

        def evaluate(point, t, fuse=fuse):
            e = objective.evaluate(point, hessian=fuse and t == 1.0)
            return e.loss, e

        step = _line_search(evaluate, ev, d, slope, max_ls)
        if step is None:
            return Result(x, f, it - 1, False, "line search failed: no decrease along the Newton direction", ev)
        if step.t == 1.0:
            # the loss fell by more than the quadratic model promised (-slope / 2): the Hessian underrates how
            # far to go, as on nearly separable data, where full steps only halve the loss. Doubling the step
            # while the loss keeps falling costs one loss+gradient pass each, far less than a Newton iteration.
            while step.t < 64 and f - step.value > 1.1 * step.t * (-0.5 * slope):
                e2 = objective.evaluate(x + 2 * step.t * d)
                if not e2.loss < step.value:
                    break
                step.t, step.x, step.value, step.evaluation = 2 * step.t, x + 2 * step.t * d, e2.loss, e2
        x, ev, t_last = step.x, step.evaluation, step.t
        if notify(callback, it, ev.loss, ev.gradient):
            return Result(x, ev.loss, it, True, "stopped by callback", ev)
        if stalled(f, ev.loss, t_last * d):
            return floor_result(x, ev.loss, it, float(np.max(np.abs(ev.gradient))), tol, "gradient", ev)
    return max_iter_result(x, ev.loss, max_iter, float(np.max(np.abs(ev.gradient))), tol, "gradient", ev)


def newton_cg(objective, x0, *, tol: float = 1e-4, max_iter: int = 100, callback=None, max_ls: int = 40):
    """Minimize ``objective`` by truncated Newton with conjugate gradients (see module docstring).

    Parameters and result as :func:`solve`.
    """
    ev = objective.evaluate(x0, curvature=True)
    require_finite(ev.loss, ev.gradient)
    x = ev.theta
    max_cg = max(10, min(200, x.size))

    def evaluate(point, t):
        e = objective.evaluate(point, curvature=True)  # the next products' curvature, from the same pass
        return e.loss, e

    for it in range(1, max_iter + 1):
        f, g = ev.loss, ev.gradient
        if np.max(np.abs(g)) <= tol:
            return Result(x, f, it - 1, True, "max|gradient| <= tol", ev)
        d = objective.remove_symmetry(_cg_direction(ev.hessp, g, max_cg, ev.diagonal()))
        d, slope = _descent(d, g)
        step = _line_search(evaluate, ev, d, slope, max_ls)
        if step is None:
            return Result(x, f, it - 1, False, "line search failed: no decrease along the Newton direction", ev)
        x, ev = step.x, step.evaluation
        if notify(callback, it, ev.loss, ev.gradient):
            return Result(x, ev.loss, it, True, "stopped by callback", ev)
        if stalled(f, ev.loss, step.t * d):
            return floor_result(x, ev.loss, it, float(np.max(np.abs(ev.gradient))), tol, "gradient", ev)
    return max_iter_result(x, ev.loss, max_iter, float(np.max(np.abs(ev.gradient))), tol, "gradient", ev)


def solve(objective, x0, *, tol: float = 1e-4, max_iter: int = 100, callback=None, max_ls: int = 40):
    """Minimize ``objective`` by Newton's method: Cholesky for a small binary head, conjugate gradients else.

    Parameters
    ----------
    objective : Objective
    x0 : ndarray
    tol : float
        Stop when ``max |gradient| <= tol``.
    max_iter : int
    callback : callable, optional
        ``callback(iteration, loss, grad_norm)``.
    max_ls : int
        Largest number of step halvings in the line search.

    Returns
    -------
    Result
    """
    direct = objective.is_binary and objective.n_params <= MAX_DIRECT
    method = newton_cholesky if direct else newton_cg
    return method(objective, x0, tol=tol, max_iter=max_iter, callback=callback, max_ls=max_ls)
