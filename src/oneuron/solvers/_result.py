"""The value every solver returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Result:
    """Outcome of a solver run.

    Attributes
    ----------
    x : ndarray
        Final parameters (flat vector, see :class:`~oneuron.objective.Objective`).
    fun : float
        Objective value at ``x``.
    n_iter : int
        Iterations taken.
    converged : bool
        Whether the stopping criterion was met (False: ``max_iter`` reached or the solver gave up).
    message : str
        Why the solver stopped.
    """

    x: np.ndarray
    fun: float
    n_iter: int
    converged: bool
    message: str = ""


def notify(callback, iteration: int, loss: float, grad: np.ndarray) -> bool:
    """Report one iteration; True when the callback asks to stop."""
    if callback is None:
        return False
    return bool(callback(iteration, float(loss), float(np.linalg.norm(grad))))
