"""Solvers: plain functions ``solve(objective, x0, *, tol, max_iter, callback, ...) -> Result``.

A solver never touches data: it sees only the objective and its evaluations. Each iteration is reported to
``callback(iteration, loss, grad_norm)``; a callback that returns True stops the solver (early stopping).
"""

from oneuron._solvers import gd, lbfgs, newton, prox, subsample
from oneuron._solvers._result import Result

SOLVERS = {
    "gd": gd.solve,
    "lbfgs": lbfgs.solve,
    "newton": newton.solve,
    "newton-cholesky": newton.newton_cholesky,
    "newton-cg": newton.newton_cg,
    "prox": prox.solve,
}

__all__ = ["Result", "SOLVERS", "gd", "lbfgs", "newton", "prox", "subsample"]

#: solvers that handle a penalty with an l1 part
NONSMOOTH_SOLVERS = ("prox",)
