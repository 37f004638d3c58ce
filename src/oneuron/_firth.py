r"""Firth's bias-reduced logistic regression (binary), and its profile penalized-likelihood intervals.

Firth (1993) removes the first-order bias of the maximum-likelihood estimate by maximizing the log-likelihood
penalized by the Jeffreys prior::

    l*(theta) = l(theta) + 1/2 log det I(theta),       I(theta) = [X 1].T diag(s p (1 - p)) [X 1]

whose maximum is finite even when the classes are separated. Its gradient is the modified score (leverages
``h_i = s_i p_i (1 - p_i) x~_i.T I^-1 x~_i``)::

    U*(theta) = sum_i (s_i (y_i - p_i) + h_i (1/2 - p_i)) x~_i

and, as R's ``logistf``, we climb it with the Fisher-scoring step ``theta <- theta + I^-1 U*``, halving the
step until ``l*`` does not decrease and capping it at 5 per coordinate. Each evaluation is two passes over
the data: one for ``I`` (the objective's Hessian), one for ``l`` and ``U*``.

Profile interval for coefficient j: the values ``c`` where the profile penalized likelihood
``max {l*(theta) : theta_j = c}`` falls ``chi2_1(1 - alpha) / 2`` below ``l*(theta_hat)`` (the same
constrained steps on the other coordinates, with the full-model ``I``), found by Brent's method.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy import optimize, stats

from oneuron import neuron
from oneuron._solvers._linesearch import backtrack, stalled
from oneuron._solvers._result import Result, notify

#: largest step per coordinate (as logistf's ``maxstep``).
MAX_STEP = 5.0


def _firth_block(X, y, s, w, b, fit_intercept, info_inv):
    """Log-likelihood and Firth's modified score of one block, with the leverages
    ``h_i = s_i p_i (1 - p_i) x~_i.T I^-1 x~_i``::

        U*_j = sum_i (s_i (y_i - p_i) + h_i (1/2 - p_i)) x~_ij
    """
    Xt = neuron._with_ones(X, fit_intercept).astype(np.float64, copy=False)
    z = neuron.forward(X, w, b)
    loglik = -float(s @ (neuron.softplus(z) - y * z))
    p = neuron.sigmoid(z).astype(np.float64)
    h = s * p * (1 - p) * ((Xt @ info_inv) * Xt).sum(axis=1)
    return loglik, Xt.T @ (s * (y - p) + h * (0.5 - p))


def penalized_loglik(objective, theta: np.ndarray):
    """``l*(theta)``, the modified score ``U*``, the information ``I`` and ``I^-1`` (two passes)."""
    S = objective.source.total_weight
    info = objective.hessian(theta) * S  # the objective is unpenalized: this is I(theta)
    try:
        c = scipy.linalg.cho_factor(info)
    except (np.linalg.LinAlgError, ValueError):
        return -np.inf, None, info, None
    logdet = 2.0 * np.sum(np.log(np.diag(c[0])))
    info_inv = scipy.linalg.cho_solve(c, np.eye(len(info)))
    loglik, score = objective.reduce(_firth_block, theta, objective.fit_intercept, info_inv)
    return float(loglik) + 0.5 * logdet, np.asarray(score), info, info_inv


def _penalized(objective):
    """``point, t -> (-l*, penalized_loglik(point))`` for the line search (-inf where I is singular)."""

    def evaluate(point, t):
        state = penalized_loglik(objective, point)
        return (-state[0] if state[1] is not None else np.inf), state

    return evaluate


def _ascend(objective, x0, free, tol, max_iter, callback=None, state=None):
    """Maximize ``l*`` over the coordinates ``free`` (the others stay at ``x0``); returns Result and state."""
    S = objective.source.total_weight
    x = np.array(x0, dtype=np.float64)
    f, U, info, _ = state if state is not None else penalized_loglik(objective, x)
    if U is None:
        return Result(x, np.inf, 0, False, "the information matrix is singular at the start"), None
    for it in range(1, max_iter + 1):
        if np.max(np.abs(U[free])) / S <= tol:
            return Result(x, -f / S, it - 1, True, "max|modified score| / S <= tol"), (f, U, info, None)
        d = np.zeros_like(x)
        d[free] = scipy.linalg.solve(info[np.ix_(free, free)], U[free], assume_a="pos")
        big = np.max(np.abs(d))
        if big > MAX_STEP:
            d *= MAX_STEP / big
        # the shared line search on -l*: halve until l* does not decrease (sigma = 0)
        step = backtrack(
            _penalized(objective),
            x,
            d,
            -f,
            0.0,
            sigma=0.0,
            measure=lambda st: np.max(np.abs(st[1][free])),
            measure_now=np.max(np.abs(U[free])),
        )
        if step is None:
            return Result(x, -f / S, it - 1, False, "step halving failed to increase the penalized likelihood"), (
                f,
                U,
                info,
                None,
            )
        f_last = f
        x, (f, U, info, _) = step.x, step.evaluation
        if notify(callback, it, -f / S, -U / S):
            return Result(x, -f / S, it, True, "stopped by callback"), (f, U, info, None)
        if stalled(-f_last, -f, step.t * d):
            return Result(x, -f / S, it, True, "no further increase possible in float64"), (f, U, info, None)
    converged = np.max(np.abs(U[free])) / S <= tol
    message = "" if converged else f"max_iter={max_iter} reached before max|modified score| / S <= tol={tol:g}"
    return Result(x, -f / S, max_iter, converged, message), (f, U, info, None)


def solve(objective, x0, *, tol: float = 1e-4, max_iter: int = 100, callback=None) -> Result:
    """Maximize Firth's penalized log-likelihood (binary head, unpenalized ``objective``).

    Parameters
    ----------
    objective : Objective
        Binary, without penalty.
    x0 : ndarray
    tol : float
        Stop when ``max |U*| / S <= tol`` (the modified score per unit of sample weight).
    max_iter : int
    callback : callable, optional
        ``callback(iteration, loss, grad_norm)`` with ``loss = -l*/S``.

    Returns
    -------
    Result
        ``fun`` is ``-l*(x) / S``.
    """
    if not objective.is_binary:
        raise ValueError("penalty='firth' supports two classes only.")
    free = np.arange(objective.n_params)
    return _ascend(objective, x0, free, tol, max_iter, callback)[0]


def profile_intervals(objective, theta: np.ndarray, alpha: float = 0.05, tol: float = 1e-10):
    """Profile penalized-likelihood ``1 - alpha`` intervals of every coefficient (in ``theta``'s order).

    Returns
    -------
    lower, upper : ndarray
        ``-inf``/``inf`` where the profile does not fall far enough (an unbounded side).
    """
    n = len(theta)
    f_hat, _, _, info_inv = penalized_loglik(objective, theta)
    target = f_hat - stats.chi2.ppf(1 - alpha, 1) / 2
    se = np.sqrt(np.diag(info_inv))
    lower, upper = np.full(n, -np.inf), np.full(n, np.inf)
    for j in range(n):
        free = np.setdiff1d(np.arange(n), [j])
        for side, out in ((-1.0, lower), (1.0, upper)):
            warm = [theta.copy()]

            def drop(c, j=j, free=free, warm=warm):
                x0 = warm[0].copy()
                x0[j] = c
                res, _ = _ascend(objective, x0, free, tol, 200)
                warm[0] = res.x
                return -res.fun * objective.source.total_weight - target

            step, c = 2.0 * se[j], theta[j]
            for _ in range(30):
                c_far = theta[j] + side * step
                if drop(c_far) < 0:
                    break
                c, step = c_far, 2.0 * step
            else:
                continue  # the profile never falls below the target: an infinite bound
            warm[0] = theta.copy()
            out[j] = optimize.brentq(drop, c, c_far, xtol=1e-12 * max(1.0, abs(c)), rtol=1e-14)
    return lower, upper
