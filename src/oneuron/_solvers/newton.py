r"""Newton's method with a backtracking (Armijo) line search.

Each iteration solves ``H d = -g`` for the step direction and then halves the step until the objective
decreases enough: ``F(x + t d) <= F(x) + 1e-4 t g.d``. Near the optimum full steps are taken and the
convergence is quadratic, which is what a statistician's tight tolerance needs.

- Binary head with few parameters: the full Hessian ``[X 1].T diag(s p(1-p)) [X 1] / S + penalty`` is
  formed in one pass and factorized by Cholesky (scikit-learn's "newton-cholesky").
- Otherwise (softmax head, many features): truncated Newton, ``H d = -g`` solved approximately by conjugate
  gradients on Hessian-vector products ("newton-cg"). CG iterates stay in the span of the gradients, which
  keeps the unpenalized softmax parameters on the same sum-to-zero solution as scikit-learn's.

Speed (issue 4): a binary Newton step reads the data once for its new point's loss, gradient and Hessian
(:meth:`Objective.loss_gradient_hessian`); an accepted full step is doubled while the loss keeps falling
faster than the quadratic model promised (nearly separable data, where full steps only halve the loss).
Newton-CG reuses each row's curvature within a step (:meth:`Objective.hessp_operator`), preconditions CG by
the Hessian's diagonal when the operator provides it, and stops CG on scikit-learn's l1 residual rule.

Stops when ``max |g| <= tol``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from oneuron._solvers._result import Result, floor_result, notify

#: largest number of parameters for which the full Hessian is formed and factorized.
MAX_DIRECT = 1000


def _cholesky_direction(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    # LAPACK directly: scipy.linalg.cho_factor/cho_solve's checks and wrappers cost more than a 65 x 65 solve
    L, info = scipy.linalg.lapack.dpotrf(H, lower=1, clean=0)
    if info == 0:
        step, info = scipy.linalg.lapack.dpotrs(L, g, lower=1)
        if info == 0 and np.all(np.isfinite(step)):
            return -step
    # singular (e.g. separable data without penalty, constant column): least-norm step
    return -scipy.linalg.lstsq(H, g, cond=1e-12)[0]


def _cg_direction(hessp, g: np.ndarray, max_cg: int) -> np.ndarray:
    """Approximately solve ``H d = -g`` by conjugate gradients (scikit-learn's ``_cg`` stopping rule).

    Stops when the residual's l1 norm ``sum |r|`` falls to ``eta * sum |g|`` with
    ``eta = min(0.5, sqrt(sum |g|))``: loose far from the optimum, where an exact Newton step is wasted,
    and tightening as ``g -> 0`` (superlinear convergence). The l1 norm of a long gradient is larger than its
    l2 norm, so this is looser than an l2 test at the same ``eta`` and takes fewer Hessian-vector products.

    When ``hessp`` carries the Hessian's diagonal (``hessp.diagonal``) the iteration is preconditioned by it
    (Jacobi): on text-like data, whose column frequencies span decades, it cuts the products several-fold.
    """
    g1 = np.abs(g).sum()
    termcond = min(0.5, np.sqrt(g1)) * g1
    diag = getattr(hessp, "diagonal", None)
    inv_m = None if diag is None else np.where(diag > 0, 1.0 / np.where(diag > 0, diag, 1.0), 1.0)
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


def solve(objective, x0, *, tol: float = 1e-4, max_iter: int = 100, callback=None, max_ls: int = 40):
    """Minimize ``objective`` by Newton's method with line search.

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
    x = np.array(x0, dtype=np.float64)
    direct = objective.is_binary and objective.n_params <= MAX_DIRECT
    objective.keep_curvature = not direct  # Newton-CG: the accepted point's curvature comes with its gradient
    f, g = objective.loss_gradient_hessian(x)[:2] if direct else objective.loss_gradient(x)
    t_last = 0.0  # the first step is often extrapolated (then a fused Hessian would be wasted)
    gmax_last = np.inf
    for it in range(1, max_iter + 1):
        gmax = np.max(np.abs(g))
        if gmax <= tol:
            return Result(x, f, it - 1, True, "max|gradient| <= tol")
        if direct:
            d = _cholesky_direction(objective.hessian(x), g)
        else:
            d = _cg_direction(objective.hessp_operator(x), g, max_cg=max(10, min(200, x.size)))
            d = objective.remove_symmetry(d)
        slope = g @ d
        if slope >= 0:  # not a descent direction (numerical trouble): fall back to the gradient
            d, slope = -g, -(g @ g)
        # the full step is usually accepted: evaluate loss and gradient together, one pass per trial;
        # after a full step the next one is usually full too: then read the data once for the new point's
        # loss, gradient and Hessian (the Hessian is remembered for the next iteration)
        # (not when quadratic convergence, |g_next| ~ |g|^3 / |g_last|^2, predicts that this step ends the fit)
        fuse = direct and t_last == 1.0 and gmax**3 > tol * gmax_last**2
        gmax_last = gmax
        t = 1.0
        for _ in range(max_ls):
            trial = x + t * d
            if fuse and t == 1.0:
                f_new, g_new, _ = objective.loss_gradient_hessian(trial)
            else:
                f_new, g_new = objective.loss_gradient(trial)
            if f_new <= f + 1e-4 * t * slope:
                break
            # at the rounding floor the loss is noise: accept a step that shrinks the gradient (as sklearn's)
            if abs(f_new - f) <= 4 * np.finfo(float).eps * max(abs(f), 1.0) and np.abs(g_new).sum() < np.abs(g).sum():
                break
            t *= 0.5
        else:
            return Result(x, f, it - 1, False, "line search failed: no decrease along the Newton direction")
        if direct and t == 1.0:
            # the loss fell by more than the quadratic model promised (-slope / 2): the Hessian underrates how
            # far to go, as on nearly separable data, where full steps only halve the loss. Doubling the step
            # while the loss keeps falling costs one loss+gradient pass each, far less than a Newton iteration.
            while t < 64 and f - f_new > 1.1 * t * (-0.5 * slope):
                trial2 = x + 2 * t * d
                f2, g2 = objective.loss_gradient(trial2)
                if f2 >= f_new:
                    break
                trial, t, f_new, g_new = trial2, 2 * t, f2, g2
        x, t_last = trial, t
        f_last, f, g = f, f_new, g_new
        if notify(callback, it, f, g):
            return Result(x, f, it, True, "stopped by callback")
        # rounding floor: the objective can no longer change in float64 (converged only if the gradient says so)
        if abs(f_last - f) <= 4 * np.finfo(float).eps * max(abs(f), 1.0) and t * np.max(np.abs(d)) < 1e-12:
            return floor_result(x, f, it, float(np.max(np.abs(g))), tol, "gradient")
    converged = np.max(np.abs(g)) <= tol
    return Result(
        x,
        f,
        max_iter,
        converged,
        "" if converged else f"max_iter={max_iter} reached before max|gradient| <= tol={tol:g}",
    )
