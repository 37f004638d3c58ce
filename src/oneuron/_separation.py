r"""Detection of complete and quasi-complete separation, where maximum-likelihood estimates do not exist.

The classes are *separated* when some direction ``beta != 0`` gives every row a non-negative margin
``y*_i x~_i . beta >= 0`` (``y* = +-1``, ``x~ = [x 1]``) with at least one positive (quasi-complete) or all
positive (complete separation). Then the log-likelihood keeps increasing along ``beta`` and the coefficients
of the features in ``beta`` diverge: a solver returns large arbitrary numbers.

Cheap certificate (binary, after the fit). By Stiemke's theorem no such ``beta`` exists iff there are weights
``lambda_i > 0`` with ``sum_i lambda_i y*_i x~_i = 0``. At a fitted ``theta`` the (sum) gradient gives
``sum_i s_i |y_i - p_i| y*_i x~_i = -g``; correcting it by the Newton step ``u = -H^-1 g``
(``H = sum_i s_i p_i (1 - p_i) x~_i x~_i.T``) gives exact weights::

    lambda_i = s_i (1 - p_obs,i) (1 - p_obs,i y*_i x~_i . u),      sum_i lambda_i y*_i x~_i = 0

which are all positive iff no row has ``p_obs,i y*_i x~_i . u >= 1``. So one Hessian and one pass over the
data prove that the estimate is finite; on separated data the Newton step still raises the separated rows'
margins by about 1 per iteration and the certificate fails. Only then is the linear program solved::

    max sum_i y*_i x~_i . beta   s.t.  y*_i x~_i . beta >= 0,  -1 <= beta_j <= 1   (columns scaled)

(Konis' linear-programming check); its solution names the features whose coefficients diverge, and a second
program (maximize the smallest margin) tells complete from quasi-complete separation. Multinomial models
(margins ``(beta_{y_i} - beta_k) . x~_i`` against the first class) get the linear program directly when it is
small.

Cost: with up to ``MAX_EAGER`` parameters the certificate runs after every unpenalized fit (its Hessian is
then reused by ``summary()``); with more, a pass first looks for fitted probabilities within ``1 - P_SIGN`` of
0 or 1 and the certificate runs only if there are some.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from oneuron import neuron

#: largest number of constraint-matrix entries (rows x parameters) for which the linear program is solved
#: (HiGHS's time grows quickly beyond it: benchmarks/RESULTS.md).
MAX_LP_SIZE = 5_000_000
#: largest multinomial program solved without a certificate (it is solved after every multinomial fit).
MAX_MULTI_LP_SIZE = 2_000_000
#: up to this many parameters the certificate (one Hessian, n p^2 flops) runs after every unpenalized fit;
#: above, only when some row's fitted probability of its class is >= P_SIGN (a sign of diverging coefficients:
#: separated rows reach it as the solver's gradient tolerance is met).
MAX_EAGER = 200
P_SIGN = 1 - 1e-4
#: at most this many terms are listed in the warning (all are in ``Separation.terms``).
MAX_NAMED = 10
#: a feature is named when its share of the separating direction (columns scaled to max |x| = 1) exceeds this.
SHARE = 0.05


class SeparationWarning(ConvergenceWarning):
    """The classes are (quasi-)completely separated: the unpenalized coefficients of some features diverge.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import oneuron
    >>> X, y = np.array([[-2.0], [-1.0], [1.0], [2.0]]), np.array([0, 0, 1, 1])  # x > 0 tells the classes apart
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = oneuron.LogisticRegression(penalty=None).fit(X, y)
    ...
    >>> any(issubclass(w.category, oneuron.SeparationWarning) for w in caught)
    True
    """


@dataclass
class Separation:
    """Outcome of the linear-programming check.

    Attributes
    ----------
    kind : {"complete", "quasi-complete"}
    terms : list of str
        Names of the parameters whose coefficients diverge (``"intercept"`` included when it does).
    direction : ndarray
        The separating direction found (in the scaled columns).
    """

    kind: str
    terms: list
    direction: np.ndarray


def _lp(A, n_params: int) -> tuple[float, np.ndarray, bool]:
    """Solve the separation program on constraint rows ``A`` (margins ``A beta >= 0``)."""
    A = sp.csr_matrix(A)
    A.eliminate_zeros()
    n = A.shape[0]
    c = -np.asarray(A.sum(axis=0)).ravel()
    # a parameter whose column is all zeros (a constant-zero feature) moves no margin: keep it at 0
    box = [(-1, 1) if used else (0, 0) for used in A.getnnz(axis=0) > 0]
    res = linprog(c, A_ub=-A, b_ub=np.zeros(n), bounds=box, method="highs")
    if res.status != 0 or -res.fun <= 1e-9 * max(1.0, np.abs(c).sum()):
        return 0.0, np.zeros(n_params), False
    # complete separation: some direction makes every margin positive (maximize the smallest margin t)
    ones = sp.csr_matrix(np.ones((n, 1)))
    res2 = linprog(
        np.r_[np.zeros(n_params), -1.0],
        A_ub=sp.hstack([-A, ones]).tocsr(),
        b_ub=np.zeros(n),
        bounds=[*box, (0, 1)],
        method="highs",
    )
    complete = res2.status == 0 and -res2.fun > 1e-9
    return -res.fun, res.x, complete


def _design(X, fit_intercept: bool) -> np.ndarray:
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    Xt = np.column_stack([X, np.ones(len(X))]) if fit_intercept else X
    scale = np.abs(Xt).max(axis=0)
    scale[scale == 0] = 1.0
    return Xt / scale


def find_separation(X, y, n_classes: int, fit_intercept: bool, names: list[str], classes=None) -> Separation | None:
    """Solve the linear program on the data; None when the classes are not separated.

    Parameters
    ----------
    X : array or sparse matrix (n, d)
        Rows of positive weight only.
    y : ndarray (n,)
        Encoded labels 0..K-1.
    n_classes : int
    fit_intercept : bool
    names : list of str
        Parameter names in the order ``[w..., b]`` (the intercept last).
    classes : sequence, optional
        Class labels, used in the names of multinomial parameters.
    """
    Xt = _design(X, fit_intercept)
    n, m = Xt.shape
    y = np.asarray(y).astype(np.intp)
    if n_classes <= 2:
        A = (2.0 * y - 1.0)[:, None] * Xt
        labels = list(names)
    else:
        # one constraint per row and rival class k != y_i: (beta_{y_i} - beta_k) . x~_i >= 0, beta_0 = 0
        K = n_classes
        rows, cols, vals = [], [], []
        r = 0
        for k in range(K):
            others = y != k
            idx = np.flatnonzero(others)
            block = np.arange(r, r + len(idx))
            r += len(idx)
            for cls, sign in ((y[idx], 1.0), (np.full(len(idx), k), -1.0)):
                keep = cls > 0  # class 0 is the reference: no parameters
                rr = np.repeat(block[keep], m)
                cc = ((cls[keep] - 1)[:, None] * m + np.arange(m)).ravel()
                rows.append(rr)
                cols.append(cc)
                vals.append(sign * Xt[idx[keep]].ravel())
        A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, (K - 1) * m))
        labels = [f"{name} (class {classes[k] if classes is not None else k})" for k in range(1, K) for name in names]
    value, beta, complete = _lp(A, A.shape[1])
    if value == 0.0:
        return None
    size = np.abs(beta)
    order = np.argsort(-size, kind="stable")
    terms = [labels[j] for j in order if size[j] > SHARE * size.max()]  # largest share first
    return Separation("complete" if complete else "quasi-complete", terms, beta)


def _training_rows(source):
    """``(X, y)`` of the rows of positive weight, when the source holds them in memory (else None)."""
    rows = source.rows()
    if rows is None:
        return None
    X, y, s = rows
    keep = np.asarray(s) > 0
    return X[keep] if not keep.all() else X, np.asarray(y)[keep]


def _moved_block(X, y, s, w, b, u_w, u_b, p_min):
    """Rows of positive weight whose observed-class score a step ``u`` raises by ``>= 1 / p_obs``, or whose
    observed-class probability is ``>= p_min``."""
    z = neuron.forward(X, w, b)
    sign = 2 * y - 1
    p_obs = neuron.sigmoid(sign * z)  # probability of the observed class
    moved = p_obs * sign * neuron.forward(X, u_w, u_b)
    return (float(np.count_nonzero((s > 0) & ((moved >= 1) | (p_obs >= p_min)))),)


def count_moved(objective, theta: np.ndarray, step: np.ndarray, p_min: float = 1.0) -> int:
    """Binary head: rows (of positive weight) with ``p_obs,i * y*_i (x~_i . step) >= 1`` (one pass).

    ``y* = +-1`` is the label's sign and ``p_obs`` the fitted probability of the observed class; rows with
    ``p_obs >= p_min`` count too.
    """
    u_w, u_b = objective.split(np.asarray(step, dtype=np.float64))
    (count,) = objective.reduce(_moved_block, theta, u_w, u_b, p_min)
    return int(count)


def certified_finite(evaluation) -> bool:
    """Binary head: True when the Newton-step certificate proves that the MLE exists (see module docstring)."""
    objective, theta, g = evaluation.objective, evaluation.theta, evaluation.gradient
    if objective.n_params <= 1000:
        H = evaluation.hessian()
        try:
            u = -scipy.linalg.cho_solve(scipy.linalg.cho_factor(H), g)
        except (np.linalg.LinAlgError, ValueError):
            return False  # singular information: collinear features or separation; let the program decide
    else:
        from scipy.sparse.linalg import LinearOperator, cg

        op = LinearOperator((objective.n_params,) * 2, matvec=evaluation.hessp)
        u, info = cg(op, -g, maxiter=100)
        if info != 0:
            return False
    return count_moved(objective, theta, u) == 0


def check_separation(evaluation, names: list[str], classes=None, stacklevel: int = 2):
    """After an unpenalized fit: warn (:class:`SeparationWarning`) when the classes are separated.

    Parameters
    ----------
    evaluation : Evaluation
        The (unpenalized) objective at the fitted parameters; the Hessian the check takes stays in it.
    names : list of str
        Term names as :func:`oneuron._inference.term_names` gives them (``"intercept"`` first).
    classes : sequence, optional
    stacklevel : int

    Returns
    -------
    Separation or None
    """
    objective, theta = evaluation.objective, evaluation.theta
    names = list(names)
    if objective.fit_intercept:  # parameter order [w..., b]
        names = names[1:] + names[:1]
    rows = _training_rows(objective.source)
    if objective.is_binary:
        if objective.n_params > MAX_EAGER and count_moved(objective, theta, np.zeros_like(theta), P_SIGN) == 0:
            return None  # no fitted probability near 0 or 1: no sign of diverging coefficients
        if certified_finite(evaluation):
            return None
    elif rows is None or len(rows[1]) * objective.n_params > MAX_MULTI_LP_SIZE:
        return None
    if rows is None or len(rows[1]) * objective.n_params > MAX_LP_SIZE:
        warnings.warn(
            "The fitted coefficients may diverge (the classes look separated), but the data is too large for "
            "the linear-programming check. Use penalty='firth' or 'l2' if the coefficients are huge.",
            SeparationWarning,
            stacklevel=stacklevel + 1,
        )
        return None
    found = find_separation(*rows, objective.n_classes, objective.fit_intercept, names, classes)
    if found is not None:
        shown = found.terms if len(found.terms) <= MAX_NAMED else [*found.terms[:MAX_NAMED], "..."]
        more = f" ({len(found.terms)} terms, largest first)" if len(found.terms) > MAX_NAMED else ""
        warnings.warn(
            f"{found.kind.capitalize()} separation: a linear combination of {shown}{more} separates the classes "
            f"{'perfectly' if found.kind == 'complete' else 'for part of the data'}, so the maximum-likelihood "
            "coefficients of these terms are infinite and the returned values are arbitrary (and their standard "
            "errors meaningless). Use penalty='firth' (finite, bias-reduced estimates) or penalty='l2', or "
            "drop or merge these features.",
            SeparationWarning,
            stacklevel=stacklevel + 1,
        )
    return found
