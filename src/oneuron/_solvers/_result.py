"""The value every solver returns, and how solvers report an iteration or a stop at the rounding floor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Result:
    """Outcome of a solver run.

    Attributes
    ----------
    x : ndarray
        Final parameters (flat vector, see ``_layout.Layout``).
    fun : float
        Objective value at ``x``.
    n_iter : int
        Iterations taken.
    converged : bool
        Whether the stopping criterion was met (False: ``max_iter`` reached or the solver gave up).
    message : str
        Why the solver stopped.
    evaluation : Evaluation or None
        The objective's evaluation at ``x`` when the solver holds one (its Hessian may come with it).
    """

    x: np.ndarray
    fun: float
    n_iter: int
    converged: bool
    message: str = ""
    evaluation: Any = None


def notify(callback, iteration: int, loss: float, grad: np.ndarray) -> bool:
    """Report one iteration; True when the callback asks to stop."""
    if callback is None:
        return False
    return bool(callback(iteration, float(loss), float(np.linalg.norm(grad))))


def floor_result(x, fun: float, n_iter: int, measure: float, tol: float, name: str, evaluation=None) -> Result:
    """The result of a solver stopped at the rounding floor: its objective can no longer change in float64.

    That is convergence only if the optimality ``measure`` (max|gradient| or max|subgradient|) is within
    ``tol``; otherwise ``tol`` is below what float64 resolves for this problem and the caller should say so.
    """
    if measure <= tol:
        return Result(x, fun, n_iter, True, "no further decrease possible in float64", evaluation)
    message = f"no further decrease possible in float64 with max|{name}| = {measure:.3g} > tol={tol:g}"
    return Result(x, fun, n_iter, False, message, evaluation)


def max_iter_result(x, fun: float, max_iter: int, measure: float, tol: float, name: str, evaluation=None) -> Result:
    """The result of a solver that used its ``max_iter`` iterations (converged if the measure says so)."""
    converged = measure <= tol
    message = "" if converged else f"max_iter={max_iter} reached before max|{name}| <= tol={tol:g}"
    return Result(x, fun, max_iter, converged, message, evaluation)
