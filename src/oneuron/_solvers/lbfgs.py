"""L-BFGS-B from scipy.optimize, fed by the objective's one-pass loss and gradient.

Stopping rule as scikit-learn's: ``max |projected gradient| <= tol`` (``gtol``), with ``ftol = 64 eps`` at the
usual tolerances; for very tight ``tol`` the relative-reduction test is tightened too (``ftol = tol * 1e-6``),
or L-BFGS would stop at ``|g| ~ 1e-7`` on ill-conditioned problems, short of what was asked.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from oneuron._solvers._linesearch import require_finite
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
        if ev is not first or not np.array_equal(x, first.theta):
            ev = objective.evaluate(x)
        last["ev"] = ev
        return ev.loss, ev.gradient

    it = [0]

    def report(intermediate_result):
        it[0] += 1
        if notify(callback, it[0], intermediate_result.fun, last["ev"].gradient):
            raise StopIteration

    res = minimize(
        fun,
        first.theta,
        method="L-BFGS-B",
        jac=True,
        callback=report,
        options={
            "maxiter": max_iter,
            "maxfun": max(15_000, 2 * max_iter),
            "maxcor": memory,
            "gtol": tol,
            "ftol": min(64 * np.finfo(float).eps, tol * 1e-6),
            "maxls": 50,
        },
    )
    ev = last["ev"] if np.array_equal(last["ev"].theta, res.x) else None
    if res.status == 99 or "callback" in str(res.message).lower():
        return Result(res.x, float(res.fun), it[0], True, "stopped by callback", ev)
    converged = res.status == 0
    message = str(res.message)
    if res.status == 1:
        message = f"max_iter={max_iter} reached before max|gradient| <= tol={tol:g}"
    return Result(res.x, float(res.fun), int(res.nit), converged, message, ev)
