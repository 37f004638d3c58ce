r"""Batch gradient descent: the lesson's training loop, with its flaws fixed.

Each iteration moves every parameter against the gradient of the mean loss::

    w <- w - alpha * dJ/dw,     b <- b - alpha * dJ/db

Unlike the lesson, the gradient and cost are means over samples, not sums or averages over features, and
there is an iteration cap. Two stopping rules:

- ``stop="gradient"`` (the default, as every other solver): ``max |dJ/dtheta| <= tol``, a measure of how far
  the optimum is;
- ``stop="cost"``: the lesson's ``|J - J_last| < tol`` (it used ``1e-5`` on a summed cost, i.e. ``1e-5 / n``
  on the mean). A small change of the cost can also mean slow progress far from the optimum, so this rule is
  for reproducing the lesson, not for fitting.

``learning_rate`` is the lesson's fixed ``alpha`` when it is a number. With ``"auto"`` each iteration
first tries a step 1.25 times the last accepted one and halves it until the cost falls enough (Armijo's
rule, the shared line search of ``_linesearch.py``)::

    J(w - alpha g) <= J(w) - alpha |g|^2 / 2

so the cost falls at every iteration, whatever the scale of the features, without a step to tune.
"""

from __future__ import annotations

import numpy as np

from oneuron._solvers._linesearch import backtrack, require_finite
from oneuron._solvers._result import Result, floor_result, max_iter_result, notify

GROWTH = 1.25
#: the first step (1.25) may be 2^-60 too long on unscaled data: halvings allowed in one line search
MAX_HALVINGS = 100
STOPS = ("gradient", "cost")


def solve(
    objective,
    x0,
    *,
    tol: float = 1e-4,
    max_iter: int = 10_000,
    callback=None,
    learning_rate="auto",
    stop: str = "gradient",
):
    """Minimize ``objective`` by batch gradient descent.

    Parameters
    ----------
    objective : Objective
    x0 : ndarray
        Starting parameters (the lesson starts from zeros).
    tol : float
        Stopping tolerance, on ``max |gradient|`` or on the change of the cost (see ``stop``).
    max_iter : int
        Iteration cap.
    callback : callable, optional
        ``callback(iteration, loss, grad_norm)``.
    learning_rate : float or "auto"
        The fixed step ``alpha``, or "auto" for a backtracking step (see the module docstring).
    stop : {"gradient", "cost"}
        The stopping rule (see the module docstring).

    Returns
    -------
    Result
    """
    if stop not in STOPS:
        raise ValueError(f"stop={stop!r} is not a stopping rule of gd; use one of {STOPS}.")
    adaptive = learning_rate == "auto"
    alpha = 1.0 if adaptive else float(learning_rate)
    ev = objective.evaluate(x0)
    x = ev.theta
    cost, grad = ev.loss, ev.gradient
    require_finite(cost, grad)
    if stop == "gradient" and np.max(np.abs(grad), initial=0.0) <= tol:
        return Result(x, cost, 0, True, "max|gradient| <= tol", ev)

    def evaluate(point, t):
        e = objective.evaluate(point)
        return e.loss, e

    for it in range(1, max_iter + 1):
        cost_last = cost
        if adaptive:
            step = backtrack(
                evaluate, x, -grad, cost, -(grad @ grad), sigma=0.5, t=alpha * GROWTH, max_halvings=MAX_HALVINGS
            )
            if step is None:  # no step along the gradient decreases the cost in float64
                return floor_result(x, cost, it - 1, float(np.max(np.abs(grad))), tol, "gradient", ev)
            alpha, x, ev = step.t, step.x, step.evaluation
        else:
            x = x - alpha * grad  # the lesson's update
            ev = objective.evaluate(x)
        cost, grad = ev.loss, ev.gradient
        if notify(callback, it, cost, grad):
            return Result(x, cost, it, True, "stopped by callback", ev)
        if not np.isfinite(cost) or cost > 1e3 * max(cost_last, 1.0):
            return Result(x, cost, it, False, f"the cost diverges: learning_rate={alpha:g} is too large", ev)
        if stop == "gradient" and np.max(np.abs(grad)) <= tol:
            return Result(x, cost, it, True, "max|gradient| <= tol", ev)
        if stop == "cost" and abs(cost - cost_last) < tol:
            return Result(x, cost, it, True, "|J - J_last| < tol", ev)
    if stop == "cost":
        return Result(x, cost, max_iter, False, f"max_iter={max_iter} reached before |J - J_last| < tol={tol:g}", ev)
    return max_iter_result(x, cost, max_iter, float(np.max(np.abs(grad))), tol, "gradient", ev)
