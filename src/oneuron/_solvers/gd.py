r"""Batch gradient descent: the lesson's training loop, with its flaws fixed.

Each iteration moves every parameter against the gradient of the mean loss::

    w <- w - alpha * dJ/dw,     b <- b - alpha * dJ/db

and stops, by default, when ``max |gradient| <= tol``, the rule of every other solver, which bounds the
distance to the optimum. ``stop="cost"`` is the lesson's rule instead, "the cost changed by less than
``tol``" (the lesson used ``|J - J_last| < 1e-5`` on a summed cost, i.e. ``1e-5 / n`` on the mean): where the
cost is flat it stops far from the optimum and cannot tell. Either way ``max_iter`` caps the iterations (the
lesson had no cap). Unlike the lesson, the gradient and cost are means over samples, not sums or averages
over features.

``learning_rate`` is the lesson's fixed ``alpha`` when it is a number. With ``"auto"`` each iteration
first tries a step 1.25 times the last accepted one and halves it until the cost falls enough (Armijo's
rule)::

    J(w - alpha g) <= J(w) - alpha |g|^2 / 2

so the cost falls at every iteration, whatever the scale of the features, without a step to tune.
"""

from __future__ import annotations

import numpy as np

from oneuron._solvers._result import Result, floor_result, notify

GROWTH = 1.25


def solve(
    objective, x0, *, tol: float = 1e-4, max_iter: int = 10_000, callback=None, learning_rate="auto", stop="gradient"
):
    """Minimize ``objective`` by batch gradient descent.

    Parameters
    ----------
    objective : Objective
    x0 : ndarray
        Starting parameters (the lesson starts from zeros).
    tol : float
        Stop when ``max |gradient| <= tol`` (``stop="gradient"``) or when the cost changes by less than ``tol``
        between iterations (``stop="cost"``).
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
    adaptive = learning_rate == "auto"
    alpha = 1.0 if adaptive else float(learning_rate)
    x = np.array(x0, dtype=np.float64)
    cost, grad = objective.loss_gradient(x)
    by_gradient = stop == "gradient"
    if by_gradient and np.max(np.abs(grad), initial=0.0) <= tol:
        return Result(x, cost, 0, True, "max|gradient| <= tol at the start")
    for it in range(1, max_iter + 1):
        cost_last = cost
        if adaptive:
            alpha *= GROWTH
            gg = grad @ grad
            while True:
                trial = x - alpha * grad
                if np.array_equal(trial, x):  # the step no longer moves x in float64: nothing left to gain
                    if by_gradient:
                        return floor_result(x, cost_last, it - 1, float(np.max(np.abs(grad))), tol, "gradient")
                    return Result(x, cost_last, it - 1, True, "no step along the gradient decreases the cost")
                cost, new_grad = objective.loss_gradient(trial)
                if cost <= cost_last - 0.5 * alpha * gg:
                    break
                alpha *= 0.5
            x, grad = trial, new_grad
        else:
            x -= alpha * grad  # the lesson's update
            cost, grad = objective.loss_gradient(x)
        if notify(callback, it, cost, grad):
            return Result(x, cost, it, True, "stopped by callback")
        if not np.isfinite(cost) or cost > 1e3 * max(cost_last, 1.0):
            return Result(x, cost, it, False, f"the cost diverges: learning_rate={alpha:g} is too large")
        if by_gradient and np.max(np.abs(grad)) <= tol:
            return Result(x, cost, it, True, "max|gradient| <= tol")
        if not by_gradient and abs(cost - cost_last) < tol:
            return Result(x, cost, it, True, "|J - J_last| < tol")
    rule = "max|gradient|" if by_gradient else "|J - J_last|"
    return Result(x, cost, max_iter, False, f"max_iter={max_iter} reached before {rule} <= tol={tol:g}")
