"""Cross-validated choice of ``C`` (and ``l1_ratio``): a regularization path per fold, warm-started along C.

For each fold and each ``l1_ratio`` the neuron is fitted on the training rows for every C in increasing
order (strongest penalty first), each fit starting from the previous solution, and scored on the held-out
rows. Along a path the data term is remembered across Cs (the first evaluation of each C costs no pass),
and for the binary head L-BFGS runs on variables rescaled by the Cholesky factor of the data Hessian (taken
once per path, again only when it has gone stale) plus each C's penalty: a handful of iterations per C
instead of dozens, under the same stopping rule ``max |gradient| <= tol``. The best (C, l1_ratio) maximizes
the score summed over folds, as in scikit-learn's ``LogisticRegressionCV``; its attributes follow scikit-learn 1.9's
new layout (``use_legacy_attributes=False``).
"""

from __future__ import annotations

import inspect
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy.linalg import cholesky, solve_triangular
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from oneuron import _validation as checks
from oneuron._estimator import DEFAULT_MAX_ITER, LogisticRegression, choose_solver
from oneuron._objective import Objective, binary_loss_grad_block, multi_loss_grad_block
from oneuron._penalty import Penalty
from oneuron._solvers import NONSMOOTH_SOLVERS, SOLVERS
from oneuron._solvers._result import Result
from oneuron.data import MemorySource


def _scorer_for(scoring, classes):
    """The scorer, told every class label (a test fold may miss some), as scikit-learn does."""
    if scoring is None:
        return None
    scorer = get_scorer(scoring)
    params = inspect.signature(scorer._score_func).parameters if hasattr(scorer, "_score_func") else {}
    if "labels" not in params:
        return scorer
    extra = {"pos_label": classes[-1]} if len(classes) == 2 and "pos_label" in params else {}
    return make_scorer(
        scorer._score_func,
        greater_is_better=scorer._sign == 1,
        response_method=scorer._response_method,
        labels=classes,
        **extra,
        **getattr(scorer, "_kwargs", {}),
    )


class _PathObjective(Objective):
    """The objective along a regularization path: one data source, the penalty swapped at each C.

    With ``L`` the data term and ``R_C`` the penalty, ``F_C(theta) = L(theta) + R_C(w)``: ``L`` and its gradient at
    the last point are remembered across penalties, so the first evaluation of each C, at the previous C's
    solution, costs no pass over the data.
    """

    def __init__(self, source, n_classes, fit_intercept):
        super().__init__(source, n_classes, None, fit_intercept)
        self._data_term = None  # (theta, (loss sum, gradient sums)) of the last pass

    def set_penalty(self, penalty: Penalty) -> None:
        self.penalty = penalty
        self._last = {}  # remembered values include the old penalty

    def loss_gradient(self, theta: np.ndarray):
        last = self._data_term
        if last is not None and np.array_equal(last[0], theta):
            loss, gw, gb = last[1]
        else:
            loss, gw, gb = self._reduce(binary_loss_grad_block, multi_loss_grad_block, theta)
            self._data_term = (np.array(theta, dtype=np.float64), (loss, gw, gb))
        return self._finish_loss_gradient(theta, loss, gw, gb)  # this C's penalty on the remembered data term


# Largest binary head (d + intercept) preconditioned along the path: one Hessian pass costs about d / 10
# gradient passes (benchmarks/RESULTS.md, issue 4), and saves about 40 passes per fold at d = 100.
PRECONDITION_MAX_PARAMS = 300
# The Hessian is taken again at the next C's start when the previous C needed more iterations than this.
PRECONDITION_REFRESH_ITERS = 10


def _penalized(objective) -> np.ndarray:
    """Flat indices of the penalized entries of theta (all but the intercepts)."""
    ones = objective.join(np.ones((objective.n_rows, objective.n_features)), np.zeros(objective.n_rows))
    return np.flatnonzero(ones)


class _Rescaled:
    """The objective seen through the change of variables ``theta = L^-T u``: ``G(u) = F(L^-T u)``.

    With ``L L^T = P`` a Cholesky factor of an approximate Hessian ``P``, the Hessian of ``G`` is
    ``L^-1 H L^-T``, close to the identity: L-BFGS on ``G`` needs a few iterations where on ``F`` it needs
    dozens. The gradient is ``grad G(u) = L^-1 grad F(theta)``.
    """

    def __init__(self, objective, L: np.ndarray):
        self.objective, self.L = objective, L
        self.n_params = objective.n_params

    def theta(self, u: np.ndarray) -> np.ndarray:
        return solve_triangular(self.L, u, trans="T", lower=True)

    def loss_gradient(self, u: np.ndarray):
        f, g = self.objective.loss_gradient(self.theta(u))
        return f, solve_triangular(self.L, g, lower=True)


def _preconditioned_lbfgs(objective, curvature: np.ndarray, x0: np.ndarray, tol: float, max_iter: int):
    """L-BFGS preconditioned by ``P = curvature + penalty``, then plain L-BFGS to certify the stopping rule.

    ``curvature`` is the data term's Hessian at some earlier point of the path. The rescaled run stops at
    ``max |L^-1 g| <= tol / ||L||_inf``, which implies ``max |g| <= tol`` since ``g = L (L^-1 g)``; the plain run
    then costs no pass when the point already meets ``max |g| <= tol`` (the objective remembers it), and
    finishes the job when the rescaled run stopped for another reason.
    """
    P = curvature.copy()
    idx = _penalized(objective)
    P[idx, idx] += objective.penalty.l2_strength
    try:
        L = cholesky(P, lower=True)
    except np.linalg.LinAlgError:
        return SOLVERS["lbfgs"](objective, x0, tol=tol, max_iter=max_iter)
    rescaled = _Rescaled(objective, L)
    first = SOLVERS["lbfgs"](rescaled, L.T @ x0, tol=tol / np.max(np.abs(L).sum(axis=1)), max_iter=max_iter)
    rest = SOLVERS["lbfgs"](objective, rescaled.theta(first.x), tol=tol, max_iter=max(max_iter - first.n_iter, 0))
    # the rescaled run may have stopped by L-BFGS's other rule (no relative decrease left, e.g. float32 data),
    # which counts as converged for plain L-BFGS too; the plain run's line search can then fail from there
    converged = rest.converged or first.converged
    return Result(
        rest.x, rest.fun, first.n_iter + rest.n_iter, converged, rest.message if rest.converged else first.message
    )


def _path(X, y_source, sample_weight, n_classes, Cs, penalty, l1_ratio, fit_intercept, solver, tol, max_iter, x0):
    """Fit every C in order, each from the previous solution; returns (thetas, n_iters, converged)."""
    source = MemorySource(X, y_source, sample_weight)
    objective = _PathObjective(source, n_classes, fit_intercept)
    x = x0
    thetas, n_iter, ok = [], [], True
    curvature = None  # the data term's Hessian at the first point that needed iterations
    result = None
    for C in Cs:
        objective.set_penalty(Penalty.from_params(penalty, C, source.total_weight, l1_ratio))
        name = solver if solver != "auto" else choose_solver(objective, sp.issparse(X))
        start = np.zeros(objective.n_params) if x is None else x
        iters = DEFAULT_MAX_ITER[name] if max_iter is None else max_iter
        if (
            name == "lbfgs"
            and objective.is_binary
            and objective.n_params <= PRECONDITION_MAX_PARAMS
            and np.max(np.abs(objective.loss_gradient(start)[1])) > tol  # no pass: remembered from the last C
        ):
            if curvature is None or result.n_iter > PRECONDITION_REFRESH_ITERS:  # a stale Hessian: take it anew
                curvature = objective.hessian(start)
                curvature[_penalized(objective), _penalized(objective)] -= objective.penalty.l2_strength
            result = _preconditioned_lbfgs(objective, curvature, start, tol, iters)
        else:
            result = SOLVERS[name](objective, start, tol=tol, max_iter=iters)
        x = result.x
        ok &= result.converged
        thetas.append(x.reshape(objective.n_rows, -1).copy())
        n_iter.append(result.n_iter)
    return thetas, n_iter, ok


class LogisticRegressionCV(LogisticRegression):
    """Logistic regression (one neuron) with ``C`` and ``l1_ratio`` chosen by cross-validation.

    Parameters
    ----------
    Cs : int or array-like, default=10
        The grid of C: an int n means ``np.logspace(-4, 4, n)`` (as scikit-learn).
    l1_ratios : array-like of float, optional
        Grid of l1 shares for ``penalty="elasticnet"`` (required there); ignored otherwise.
    fit_intercept : bool, default=True
    cv : int, cross-validation generator or iterable, optional
        Folds, as ``sklearn.model_selection.check_cv`` reads them (default: 5-fold stratified). The same
        ``cv`` gives the same folds as scikit-learn's ``LogisticRegressionCV``.
    penalty : {"l2", "l1", "elasticnet"}, default="l2"
    scoring : str or callable, optional
        Scorer for the held-out folds; None is accuracy (weighted by ``sample_weight``), as scikit-learn 1.9.
    solver : {"auto", "gd", "lbfgs", "newton", "prox"}, default="auto"
    tol : float, default=1e-4
    max_iter : int, optional
    class_weight : dict, "balanced" or None
        "balanced" is computed once on the whole ``y``, as scikit-learn does.
    n_jobs : int, optional
        Folds (and l1 ratios) fitted in parallel threads.
    verbose : int, default=0
    refit : bool, default=True
        Refit on all data with the best C (from the folds' mean solution); otherwise average the folds' best
        coefficients.

    Attributes
    ----------
    Cs_ : ndarray (n_cs,)
    l1_ratios_ : ndarray (n_l1_ratios,)
        0 for l2, 1 for l1.
    coefs_paths_ : ndarray (n_folds, n_l1_ratios, n_cs, n_classes, n_features + fit_intercept)
        ``n_classes`` is 1 for a binary problem; the intercept is the last entry.
    scores_ : ndarray (n_folds, n_l1_ratios, n_cs)
    n_iter_ : ndarray (n_folds, n_l1_ratios, n_cs)
    C_ : float
    l1_ratio_ : float
    classes_, coef_, intercept_, n_features_in_ : as :class:`~oneuron.LogisticRegression`.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from oneuron import LogisticRegressionCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> cv = LogisticRegressionCV(Cs=5, cv=3).fit(X, y)
    >>> cv.Cs_.shape, cv.scores_.shape  # (folds, l1 ratios, values of C)
    ((5,), (3, 1, 5))
    >>> bool(cv.C_ in cv.Cs_), cv.predict(X[:3]).tolist()
    (True, [0, 0, 0])
    """

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios=None,
        fit_intercept=True,
        cv=None,
        penalty="l2",
        scoring=None,
        solver="auto",
        tol=1e-4,
        max_iter=None,
        class_weight=None,
        n_jobs=None,
        verbose=0,
        refit=True,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit

    @property
    def partial_fit(self):
        """Not available: a cross-validated path needs all the data at once (``hasattr`` is False)."""
        raise AttributeError("LogisticRegressionCV has no partial_fit: use LogisticRegression(...).partial_fit.")

    def _grid(self):
        """Validated ``(Cs, l1_ratios)``."""
        if self.penalty not in ("l2", "l1", "elasticnet"):
            raise ValueError(f"penalty={self.penalty!r} is not supported; use 'l2', 'l1' or 'elasticnet'.")
        if isinstance(self.Cs, numbers.Integral) and not isinstance(self.Cs, bool):
            if self.Cs < 1:
                raise ValueError(f"Cs must be a positive int or a list of positive numbers, got Cs={self.Cs!r}.")
            Cs = np.logspace(-4, 4, self.Cs)
        else:
            Cs = np.asarray(self.Cs, dtype=np.float64).ravel()
            if Cs.size == 0 or not np.all(Cs > 0):
                raise ValueError(f"Cs must be a positive int or a list of positive numbers, got Cs={self.Cs!r}.")
        if self.penalty == "elasticnet":
            ratios = np.asarray(self.l1_ratios if self.l1_ratios is not None else [], dtype=np.float64).ravel()
            if ratios.size == 0 or not np.all((ratios >= 0) & (ratios <= 1)):
                raise ValueError(
                    f"l1_ratios must be a list of numbers in [0, 1] with penalty='elasticnet', got {self.l1_ratios!r}."
                )
        else:
            ratios = np.array([1.0 if self.penalty == "l1" else 0.0])
        if self.solver not in ("auto", *SOLVERS):
            raise ValueError(f"solver={self.solver!r} is not supported; use 'auto' or one of {sorted(SOLVERS)}.")
        if self.penalty != "l2" and self.solver not in ("auto", *NONSMOOTH_SOLVERS):
            raise ValueError(f"solver={self.solver!r} cannot handle penalty={self.penalty!r}; use 'auto' or 'prox'.")
        if not isinstance(self.tol, numbers.Real) or not np.isfinite(self.tol) or self.tol < 0:
            raise ValueError(f"tol must be a finite number >= 0, got tol={self.tol!r}.")
        if self.max_iter is not None and (
            not isinstance(self.max_iter, numbers.Integral) or isinstance(self.max_iter, bool) or self.max_iter < 0
        ):
            raise ValueError(f"max_iter must be a non-negative integer or None, got max_iter={self.max_iter!r}.")
        return Cs, ratios

    def fit(self, X, y, sample_weight=None):
        """Cross-validate the grid, then set the coefficients for the best (C, l1_ratio).

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
        y : array-like (n_samples,)
        sample_weight : array-like (n_samples,), optional

        Returns
        -------
        self
        """
        Cs, ratios = self._grid()
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32])
        check_classification_targets(y)
        classes, y_encoded = np.unique(y, return_inverse=True)
        checks.require_two_classes(classes)
        n_classes = len(classes)
        raw_weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        sw = self._sample_weight(X, y, classes, sample_weight)  # class weights from the whole y
        y_source = y_encoded.astype(X.dtype) if n_classes == 2 else y_encoded.astype(np.int32)
        folds = list(check_cv(self.cv, y, classifier=True).split(X, y))
        scorer = _scorer_for(self.scoring, classes)
        penalty = self.penalty

        def run(train, test, ratio):
            thetas, n_iter, ok = _path(
                X[train],
                y_source[train],
                sw[train],
                n_classes,
                Cs,
                penalty,
                ratio,
                self.fit_intercept,
                self.solver,
                self.tol,
                self.max_iter,
                None,
            )
            sw_test = None if raw_weight is None else raw_weight[test]
            X_test, y_test = X[test], y[test]
            Z = _decision_values(X_test, np.array(thetas), self.fit_intercept)
            scores = [
                self._score_theta(theta, classes, X_test, y_test, sw_test, scorer, z)
                for theta, z in zip(thetas, Z, strict=True)
            ]
            return np.array(thetas), np.array(n_iter), np.array(scores), ok

        out = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(run)(train, test, r) for train, test in folds for r in ratios
        )
        n_folds, n_l1, n_cs = len(folds), len(ratios), len(Cs)
        paths = np.array([o[0] for o in out]).reshape(n_folds, n_l1, n_cs, *out[0][0].shape[1:])
        self.coefs_paths_ = paths
        self.n_iter_ = np.array([o[1] for o in out]).reshape(n_folds, n_l1, n_cs)
        self.scores_ = np.array([o[2] for o in out]).reshape(n_folds, n_l1, n_cs)
        self.Cs_ = Cs
        self.l1_ratios_ = ratios
        if not all(o[3] for o in out):
            warnings.warn(
                "Some fits along the regularization path did not converge: increase max_iter or scale the features.",
                ConvergenceWarning,
                stacklevel=2,
            )

        if self.refit:
            # ties are broken as scikit-learn does: first C, then first l1_ratio (C-major order)
            i_c, i_l1 = np.unravel_index(np.argmax(self.scores_.sum(axis=0).T), (n_cs, n_l1))
            self.C_, self.l1_ratio_ = float(Cs[i_c]), float(ratios[i_l1])
            start = paths[:, i_l1, i_c].mean(axis=0)
            thetas, _, ok = _path(
                X,
                y_source,
                sw,
                n_classes,
                [self.C_],
                penalty,
                self.l1_ratio_,
                self.fit_intercept,
                self.solver,
                self.tol,
                self.max_iter,
                start.ravel(),
            )
            theta = thetas[0]
            if not ok:
                warnings.warn("The refit on all data did not converge.", ConvergenceWarning, stacklevel=2)
        else:
            best = [np.unravel_index(np.argmax(s.T), (n_cs, n_l1))[::-1] for s in self.scores_]
            theta = np.mean([paths[f, i, c] for f, (i, c) in enumerate(best)], axis=0)
            self.C_ = float(np.mean([Cs[c] for _, c in best]))
            self.l1_ratio_ = float(np.mean([ratios[i] for i, _ in best]))
        self._set_theta(theta, classes)
        return self

    def _set_theta(self, theta: np.ndarray, classes) -> None:
        d = self.n_features_in_
        self.classes_ = classes
        self.coef_ = np.array(theta[:, :d], dtype=np.float64)
        self.intercept_ = theta[:, d].astype(np.float64) if self.fit_intercept else np.zeros(theta.shape[0])

    def _score_theta(self, theta, classes, X_test, y_test, sw_test, scorer, z=None) -> float:
        """Score one path point on the held-out rows with a model holding those coefficients.

        ``z``, when given, is the point's decision values on ``X_test`` (computed for the whole path at once).
        """
        model = _PathPoint(fit_intercept=self.fit_intercept)
        model.n_features_in_ = self.n_features_in_
        LogisticRegressionCV._set_theta(model, theta, classes)
        if z is not None:
            model._known = (X_test, z)
        if scorer is None:
            return float(model.score(X_test, y_test, sample_weight=sw_test))
        extra = {} if sw_test is None else {"sample_weight": sw_test}  # as scikit-learn routes it
        return float(scorer(model, X_test, y_test, **extra))


def _decision_values(X, thetas: np.ndarray, fit_intercept: bool) -> list[np.ndarray]:
    """Decision values of every path point on ``X`` from one matrix product (``thetas``: (n_cs, K, d + b)).

    Each is what ``decision_function`` returns: (n,) for the binary head, (n, K) otherwise, in ``X``'s dtype.
    """
    n_cs, n_rows, width = thetas.shape
    d = X.shape[1]
    W = thetas[:, :, :d].reshape(n_cs * n_rows, d).astype(X.dtype)
    b = (thetas[:, :, d].ravel() if fit_intercept else np.zeros(n_cs * n_rows)).astype(X.dtype)
    Z = np.asarray(X @ W.T + b).reshape(X.shape[0], n_cs, n_rows)
    return [Z[:, k, 0] if n_rows == 1 else Z[:, k, :] for k in range(n_cs)]


class _PathPoint(LogisticRegression):
    """A model for one path point that already knows its decision values on the held-out rows.

    ``_known = (X_test, z)``: asked about that very array, it returns ``z`` instead of a new pass (and of
    re-validating ``X_test``, already validated by ``fit``); asked about any other, it computes as usual.
    """

    _known = None

    def decision_function(self, X) -> np.ndarray:
        if self._known is not None and X is self._known[0]:
            return self._known[1]
        return super().decision_function(X)
