"""Solvers: plain functions ``solve(objective, x0, *, tol, max_iter, callback, ...) -> Result``.

A solver never touches data: it sees only the :class:`~oneuron._objective.Objective`. Each iteration is
reported to ``callback(iteration, loss, grad_norm)``; a callback that returns True stops the solver
(early stopping).
"""

from oneuron._solvers import gd, lbfgs, newton, prox
from oneuron._solvers._result import Result

SOLVERS = {"gd": gd.solve, "lbfgs": lbfgs.solve, "newton": newton.solve, "prox": prox.solve}

__all__ = ["Result", "SOLVERS", "gd", "lbfgs", "newton", "prox"]

#: solvers that handle a penalty with an l1 part
NONSMOOTH_SOLVERS = ("prox",)
