"""L-BFGS-B from scipy.optimize, fed by the objective's one-pass loss and gradient.

Stopping rule as scikit-learn's: ``max |projected gradient| <= tol`` (``gtol``), with ``ftol = 64 eps`` at the
usual tolerances; for very tight ``tol`` the relative-reduction test is tightened too (``ftol = tol * 1e-6``),
or L-BFGS would stop at ``|g| ~ 1e-7`` on ill-conditioned problems, short of what was asked.

A stop by the relative-reduction test with ``max |gradient| > tol`` is not always the rounding floor: L-BFGS's
curvature pairs can stall it along a nearly flat direction (a constant column against the unpenalized
intercepts, say) well above the optimum. So it restarts from there with an empty memory, and the stop counts
(as scikit-learn counts it) only once a restart no longer lowers the objective in float64. Where L-BFGS-B
stalls, and whether a restart gets out, depends on SciPy's version (its L-BFGS-B was rewritten in 1.15).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from oneuron._solvers._linesearch import at_floor, require_finite
from oneuron._solvers._result import Result, notify


def solve(objective, x0, *, tol: float = 1e-4, max_iter: int = 1000, callback=None, memory: int = 10):
    """Minimize ``objective`` with scipy's L-BFGS-B.

    Parameters
    ----------
    objective : Objective
    x0 : ndarray or Evaluation
        The start, or the objective's evaluation there (then scipy's first call costs no pass).
    tol : float
        Gradient tolerance (``gtol``).
    max_iter : int
    callback : callable, optional
        ``callback(iteration, loss, grad_norm)``.
    memory : int
        Number of correction pairs kept (``maxcor``).

    Returns
    -------
    Result
    """
    first = objective.evaluate(x0)
    require_finite(first.loss, first.gradient)
    last = {"ev": first}

    def fun(x):
        ev = last["ev"]
        if not np.array_equal(x, ev.theta):
            ev = objective.evaluate(x)
        last["ev"] = ev
        return ev.loss, ev.gradient

    it = [0]

    def report(intermediate_result):
        it[0] += 1
        if notify(callback, it[0], intermediate_result.fun, last["ev"].gradient):
            raise StopIteration

    x, n_iter, restarted_from = first.theta, 0, None
    while True:
        res = minimize(
            fun,
            x,
            method="L-BFGS-B",
            jac=True,
            callback=report,
            options={
                "maxiter": max_iter - n_iter,
                "maxfun": max(15_000, 2 * max_iter),
                "maxcor": memory,
                "gtol": tol,
                "ftol": min(64 * np.finfo(float).eps, tol * 1e-6),
                "maxls": 50,
            },
        )
        n_iter += int(res.nit)
        ev = last["ev"] if np.array_equal(last["ev"].theta, res.x) else None
        if res.status == 99 or "callback" in str(res.message).lower():
            return Result(res.x, float(res.fun), it[0], True, "stopped by callback", ev)
        if restarted_from is not None and at_floor(float(res.fun), restarted_from.fun):  # the restart gained nothing
            return Result(res.x, float(res.fun), n_iter, True, str(restarted_from.message), ev)
        if res.status == 1:
            message = f"max_iter={max_iter} reached before max|gradient| <= tol={tol:g}"
            return Result(res.x, float(res.fun), n_iter, False, message, ev)
        converged = res.status == 0
        if not converged or np.max(np.abs(res.jac), initial=0.0) <= tol or n_iter >= max_iter:
            return Result(res.x, float(res.fun), n_iter, converged, str(res.message), ev)
        x, restarted_from = res.x, res  # stopped by the relative-reduction test short of tol: restart
