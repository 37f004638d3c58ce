"""The one line search and the one rounding-floor rule that every solver uses.

Near an optimum the objective changes by less than float64 can show: two values within :data:`FLOOR`
(relative) of each other are equal up to rounding. There a decrease test says nothing, so the line search
accepts a step that improves the solver's optimality measure instead, and a solver whose objective and
steps have both stopped moving (:func:`stalled`) reports it through :func:`floor_result`, which calls it
convergence only when the optimality measure is within ``tol``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from oneuron._validation import NonFiniteError

#: relative change of the objective that float64 cannot tell from rounding
FLOOR = 8 * np.finfo(float).eps
#: a step whose largest entry is below this no longer moves the parameters
STEP_FLOOR = 1e-12


def at_floor(f_new: float, f: float) -> bool:
    """True when ``f_new`` and ``f`` are equal up to float64 rounding."""
    return abs(f_new - f) <= FLOOR * max(abs(f), 1.0)


def stalled(f_last: float, f: float, step: np.ndarray) -> bool:
    """True when the objective no longer changes in float64 and the last step was negligible."""
    return at_floor(f, f_last) and float(np.max(np.abs(step), initial=0.0)) < STEP_FLOOR


def require_finite(value: float, gradient: np.ndarray | None = None, where: str = "at the start") -> None:
    """Raise :class:`~oneuron._validation.NonFiniteError` when the objective or its gradient is NaN or infinite.

    A solver cannot move from such a point (every comparison with NaN is false): without this check a line
    search would halve its step forever, or a solver would return its start (zeros) as if it had converged.
    """
    if not np.isfinite(value):
        what = f"objective is {value}"
    elif gradient is not None and not np.all(np.isfinite(gradient)):
        what = "gradient is " + ("NaN" if np.isnan(gradient).any() else "infinite")
    else:
        return
    raise NonFiniteError(
        f"the {what} {where}: the data, sample weights or class weights hold NaN or infinite values, or values "
        "too large for float64 arithmetic (scale the features)."
    )


@dataclass
class Step:
    """An accepted step: its length ``t``, the new point, its value and whatever ``evaluate`` returned."""

    t: float
    x: np.ndarray
    value: float
    evaluation: Any


def backtrack(
    evaluate: Callable,
    x: np.ndarray,
    d: np.ndarray,
    value: float,
    slope: float,
    *,
    sigma: float,
    t: float = 1.0,
    max_halvings: int = 40,
    measure: Callable | None = None,
    measure_now: float = np.inf,
) -> Step | None:
    """Armijo backtracking along ``d`` from ``x``.

    Tries ``t, t/2, t/4, ...`` and accepts the first point ``x + t d`` with

    .. math:: F(x + t d) \\le F(x) + \\sigma\\, t\\, \\text{slope}

    (``slope < 0`` the directional derivative, or the model's predicted decrease) or, where the two values are
    equal up to rounding (:func:`at_floor`), whose optimality ``measure`` is below ``measure_now``.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(point, t) -> (value, evaluation)``; a non-finite value is never accepted.
    x, d : ndarray
        The point and the direction.
    value, slope : float
        ``F(x)`` and the predicted rate of decrease along ``d``.
    sigma : float
        Armijo's constant.
    t : float
        The first step length tried.
    max_halvings : int
    measure : callable, optional
        ``measure(evaluation) -> float``, the optimality measure used at the rounding floor.
    measure_now : float
        The measure at ``x``.

    Returns
    -------
    Step or None
        None when no step length passed, or when the step no longer moves ``x`` in float64.

    Raises
    ------
    NonFiniteError
        When ``value``, ``slope`` or ``d`` is NaN or infinite: no step can be judged from there.
    """
    require_finite(value, None, "at the current point")
    if not (np.isfinite(slope) and np.all(np.isfinite(d))):
        raise NonFiniteError(
            "the search direction (or the predicted decrease along it) is NaN or infinite: the gradient or "
            "curvature overflowed float64; scale the features."
        )
    for _ in range(max_halvings):
        trial = x + t * d
        if np.array_equal(trial, x):
            return None
        new_value, evaluation = evaluate(trial, t)
        if np.isfinite(new_value):
            if new_value <= value + sigma * t * slope:
                return Step(t, trial, new_value, evaluation)
            if measure is not None and at_floor(new_value, value) and measure(evaluation) < measure_now:
                return Step(t, trial, new_value, evaluation)
        t *= 0.5
    return None
