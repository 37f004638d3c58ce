"""Cross-validated choice of ``C`` (and ``l1_ratio``): a regularization path per fold, warm-started along C.

For each fold and each ``l1_ratio`` the neuron is fitted on the training rows for every C in increasing
order (strongest penalty first), each fit starting from the previous solution, and scored on the held-out
rows. Each C starts from the previous C's evaluation at its solution, taken under the new penalty (the first
evaluation of each C costs no pass),
and for the binary head L-BFGS runs on variables rescaled by the Cholesky factor of the data Hessian (taken
once per path, again only when it has gone stale) plus each C's penalty: a handful of iterations per C
instead of dozens, under the same stopping rule ``max |gradient| <= tol``. The best (C, l1_ratio) maximizes
the score summed over folds, as in scikit-learn's ``LogisticRegressionCV``; its attributes follow scikit-learn 1.9's
new layout (``use_legacy_attributes=False``).
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy.linalg import cholesky, solve_triangular
from sklearn.metrics import get_scorer, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils import metadata_routing
from sklearn.utils._metadata_requests import _manual_routing
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_method_params, _deprecate_positional_args, validate_data

from oneuron import _validation as checks
from oneuron._estimator import DEFAULT_MAX_ITER, LogisticRegression, check_finite, choose_solver
from oneuron._inference import fit_statistics
from oneuron._objective import Objective
from oneuron._params import LRCV_CONSTRAINTS, check_classes, resolve_cv, set_cv_attributes, warn_not_converged
from oneuron._penalty import Penalty
from oneuron._solvers import SOLVERS
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


# Largest binary head (d + intercept) preconditioned along the path: one Hessian pass costs about d / 10
# gradient passes (benchmarks/RESULTS.md), and saves about 40 passes per fold at d = 100.
PRECONDITION_MAX_PARAMS = 300
# The Hessian is taken again at the next C's start when the previous C needed more iterations than this.
PRECONDITION_REFRESH_ITERS = 10


class _RescaledEvaluation:
    """An evaluation of ``G(u) = F(L^-T u)``: ``loss``, ``gradient = L^-1 grad F`` and the point ``u``."""

    def __init__(self, u, evaluation, L):
        self.theta, self.inner = u, evaluation
        self.loss = evaluation.loss
        self.gradient = solve_triangular(L, evaluation.gradient, lower=True)


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

    def evaluate(self, u) -> _RescaledEvaluation:
        if isinstance(u, _RescaledEvaluation):
            return u
        u = np.array(u, dtype=np.float64)
        return _RescaledEvaluation(u, self.objective.evaluate(self.theta(u)), self.L)


def _preconditioned_lbfgs(objective, curvature: np.ndarray, start, tol: float, max_iter: int):
    """L-BFGS preconditioned by ``P = curvature + penalty``, then plain L-BFGS to certify the stopping rule.

    ``curvature`` is the data term's Hessian at some earlier point of the path; ``start`` the evaluation at the
    start. The rescaled run stops at ``max |L^-1 g| <= tol / ||L||_inf``, which implies ``max |g| <= tol`` since
    ``g = L (L^-1 g)``; the plain run then costs no pass when the point already meets ``max |g| <= tol`` (it
    starts from the rescaled run's last evaluation), and finishes the job when the rescaled run stopped for
    another reason.
    """
    P = curvature.copy()
    idx = np.flatnonzero(objective.layout.penalized)
    P[idx, idx] += objective.penalty.l2_strength
    try:
        L = cholesky(P, lower=True)
    except np.linalg.LinAlgError:
        return SOLVERS["lbfgs"](objective, start, tol=tol, max_iter=max_iter)
    rescaled = _Rescaled(objective, L)
    u0 = _RescaledEvaluation(L.T @ start.theta, start, L)  # the start's evaluation: no pass
    first = SOLVERS["lbfgs"](rescaled, u0, tol=tol / np.max(np.abs(L).sum(axis=1)), max_iter=max_iter)
    x = rescaled.theta(first.x)
    inner = first.evaluation.inner if first.evaluation is not None else None
    rest = SOLVERS["lbfgs"](
        objective, inner if inner is not None else x, tol=tol, max_iter=max(max_iter - first.n_iter, 0)
    )
    # the rescaled run may have stopped by L-BFGS's other rule (no relative decrease left, e.g. float32 data),
    # which counts as converged for plain L-BFGS too; the plain run's line search can then fail from there
    converged = rest.converged or first.converged
    message = rest.message if rest.converged else first.message
    return Result(rest.x, rest.fun, first.n_iter + rest.n_iter, converged, message, rest.evaluation)


def _path(X, y_source, sample_weight, n_classes, Cs, penalty, l1_ratio, fit_intercept, solver, tol, max_iter, x0):
    """Fit every C in order, each from the previous solution; returns (thetas, n_iters, converged).

    Each C's fit starts from the previous C's evaluation at its solution, taken under the new penalty (the
    data term is the same): the first evaluation of each C costs no pass over the data.
    """
    source = MemorySource(X, y_source, sample_weight)
    data_term = Objective(source, n_classes, None, fit_intercept)
    start = data_term.evaluate(np.zeros(data_term.n_params) if x0 is None else x0)
    thetas, n_iter, ok = [], [], True
    curvature = None  # the data term's Hessian at the first point that needed iterations
    result = None
    for C in Cs:
        objective = data_term.with_penalty(Penalty.from_params(penalty, C, source.total_weight, l1_ratio))
        start = objective.evaluate(start)  # no pass: the previous evaluation under this C's penalty
        name = solver if solver != "auto" else choose_solver(objective, sp.issparse(X))
        iters = DEFAULT_MAX_ITER[name] if max_iter is None else max_iter
        if (
            name == "lbfgs"
            and objective.is_binary
            and objective.n_params <= PRECONDITION_MAX_PARAMS
            and np.max(np.abs(start.gradient)) > tol
        ):
            if curvature is None or result.n_iter > PRECONDITION_REFRESH_ITERS:  # a stale Hessian: take it anew
                curvature = data_term.hessian(start.theta)
            result = _preconditioned_lbfgs(objective, curvature, start, tol, iters)
        else:
            result = SOLVERS[name](objective, start, tol=tol, max_iter=iters)
        ok &= result.converged
        thetas.append(np.asarray(result.x).reshape(objective.n_rows, -1).copy())
        n_iter.append(result.n_iter)
        ev = result.evaluation
        start = ev if ev is not None and np.array_equal(ev.theta, result.x) else data_term.evaluate(result.x)
    return thetas, n_iter, ok


class LogisticRegressionCV(LogisticRegression):
    """Logistic regression (one neuron) with ``C`` and ``l1_ratio`` chosen by cross-validation.

    The parameters, their defaults, warnings and errors, and the fitted attributes (both layouts, see
    ``use_legacy_attributes``) are scikit-learn 1.9's ``LogisticRegressionCV``'s; the constraints are
    derived from :class:`~oneuron.LogisticRegression`'s (:mod:`oneuron._params`).

    Parameters
    ----------
    Cs : int or array-like, default=10
        The grid of C: an int n means ``np.logspace(-4, 4, n)`` (as scikit-learn).
    l1_ratios : array-like of float, default="warn"
        Grid of l1 shares, in [0, 1]: all 0 is l2, all 1 is l1, otherwise elastic net (scikit-learn 1.8+).
        The default is None with scikit-learn's FutureWarning (None: l2, unless ``penalty`` says otherwise).
    fit_intercept : bool, default=True
    cv : int, cross-validation generator or iterable, optional
        Folds, as ``sklearn.model_selection.check_cv`` reads them (default: 5-fold stratified). The same
        ``cv`` gives the same folds as scikit-learn's ``LogisticRegressionCV``; a splitter's ``groups`` are
        routed to it (``fit(X, y, groups=...)``) as there.
    dual : bool, default=False
        Only False (see :class:`~oneuron.LogisticRegression`).
    penalty : {"l2", "l1", "elasticnet"}, default="deprecated"
        Deprecated in scikit-learn 1.8 in favour of ``l1_ratios`` (setting it warns as there).
    scoring : str or callable, default="warn"
        Scorer for the held-out folds and for :meth:`score`; None is accuracy (weighted by ``sample_weight``).
        The default is None with scikit-learn 1.9's FutureWarning.
    solver : str, default="auto"
        As :class:`~oneuron.LogisticRegression`'s, without the mini-batch solvers.
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
    intercept_scaling : float, default=1.0
        Accepted; no effect (the intercept is never penalized).
    random_state : int, RandomState instance or None, default=None
        Accepted; the path's solvers are deterministic.
    use_legacy_attributes : bool, default="warn"
        scikit-learn 1.9's switch of the fitted layout: True (the default, with its FutureWarning) gives the
        legacy dicts per class, False the arrays below.
    statistics : {"auto", True, False}, default="auto"
        As :class:`~oneuron.LogisticRegression`'s: the statistics ``summary()`` needs, computed at the chosen
        coefficients on all the data.

    Attributes
    ----------
    Cs_ : ndarray (n_cs,)
    l1_ratios_ : ndarray (n_l1_ratios,)
        ``[None]`` when ``l1_ratios`` is None, as scikit-learn.
    coefs_paths_ : ndarray (n_folds, n_l1_ratios, n_cs, n_classes, n_features + fit_intercept)
        ``n_classes`` is 1 for a binary problem; the intercept is the last entry. Legacy: a dict, for each
        class (the positive class only when binary), of arrays (n_folds, n_cs[, n_l1_ratios], n_dof).
    scores_ : ndarray (n_folds, n_l1_ratios, n_cs)
        Legacy: a dict per class of (n_folds, n_cs[, n_l1_ratios]), the same array for every class.
    n_iter_ : ndarray (n_folds, n_l1_ratios, n_cs)
        Legacy: (1, n_folds, n_cs[, n_l1_ratios]).
    C_ : float
        Legacy: ndarray (1,) binary or (n_classes,), the value repeated.
    l1_ratio_ : float
        Legacy: as ``C_``.
    classes_, coef_, intercept_, n_features_in_ : as :class:`~oneuron.LogisticRegression`.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from oneuron import LogisticRegressionCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> cv = LogisticRegressionCV(Cs=5, cv=3, use_legacy_attributes=False).fit(X, y)
    >>> cv.Cs_.shape, cv.scores_.shape  # (folds, l1 ratios, values of C)
    ((5,), (3, 1, 5))
    >>> bool(cv.C_ in cv.Cs_), cv.predict(X[:3]).tolist()
    (True, [0, 0, 0])
    """

    # scikit-learn's: sample_weight of score() is routed to the scorer, not requested by score() itself
    __metadata_request__score = {"sample_weight": metadata_routing.UNUSED}
    _parameter_constraints: dict = LRCV_CONSTRAINTS

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios="warn",
        fit_intercept=True,
        cv=None,
        dual=False,
        penalty="deprecated",
        scoring="warn",
        solver="auto",
        tol=1e-4,
        max_iter=None,
        class_weight=None,
        n_jobs=None,
        verbose=0,
        refit=True,
        intercept_scaling=1.0,
        random_state=None,
        use_legacy_attributes="warn",
        statistics="auto",
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes
        self.statistics = statistics

    @property
    def partial_fit(self):
        """Not available: a cross-validated path needs all the data at once (``hasattr`` is False)."""
        raise AttributeError("LogisticRegressionCV has no partial_fit: use LogisticRegression(...).partial_fit.")

    def _grid_Cs(self) -> np.ndarray:
        if isinstance(self.Cs, numbers.Integral):
            return np.logspace(-4, 4, self.Cs)
        Cs = np.asarray(self.Cs, dtype=np.float64).ravel()
        if Cs.size == 0 or not np.all(Cs > 0):
            raise ValueError(f"Cs must be a positive int or a list of positive numbers, got Cs={self.Cs!r}.")
        return Cs

    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the grid, then set the coefficients for the best (C, l1_ratio).

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
        y : array-like (n_samples,)
        sample_weight : array-like (n_samples,), optional
        **params : dict
            Metadata for the splitter (``groups``) and the scorer, routed as scikit-learn's
            ``LogisticRegressionCV`` routes them.

        Returns
        -------
        self
        """
        self._validate_params()  # LogisticRegression's table, as scikit-learn derives the CV one
        _raise_for_params(params, self, "fit")
        grid = resolve_cv(self)
        Cs = self._grid_Cs()
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], ensure_all_finite=False)
        check_finite(X, self)
        check_classification_targets(y)
        classes, y_encoded = checks.unique_labels(y)
        checks.require_two_classes(classes)
        check_classes(self.solver, len(classes))
        n_classes = len(classes)
        sw = self._sample_weight(X, y, classes, sample_weight)  # class weights from the whole y
        y_source = y_encoded.astype(X.dtype) if n_classes == 2 else y_encoded.astype(np.int32)
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
        else:
            score_kwargs = dict(params)
            if sample_weight is not None:
                score_kwargs["sample_weight"] = sample_weight
            routed = _manual_routing({"splitter": {}, "scorer": {"score": score_kwargs}})
        folds = list(check_cv(self.cv, y, classifier=True).split(X, y, **routed.splitter.split))
        scorer = _scorer_for(grid.scoring, classes)
        raw_weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        penalty, solver = grid.penalty, grid.solver

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
                solver,
                self.tol,
                self.max_iter,
                None,
            )
            X_test, y_test = X[test], y[test]
            if scorer is None:
                score_params = {} if raw_weight is None else {"sample_weight": raw_weight[test]}
            else:
                score_params = _check_method_params(X, params=routed.scorer.score, indices=test)
            Z = _decision_values(X_test, np.array(thetas), self.fit_intercept)
            scores = [
                self._score_theta(theta, classes, X_test, y_test, score_params, scorer, z)
                for theta, z in zip(thetas, Z, strict=True)
            ]
            return np.array(thetas), np.array(n_iter), np.array(scores), ok

        ratios = grid.l1_ratios
        out = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(run)(train, test, r) for train, test in folds for r in ratios
        )
        n_folds, n_l1, n_cs = len(folds), len(ratios), len(Cs)
        paths = np.array([o[0] for o in out]).reshape(n_folds, n_l1, n_cs, *out[0][0].shape[1:])
        n_iter = np.array([o[1] for o in out]).reshape(n_folds, n_l1, n_cs)
        scores = np.array([o[2] for o in out]).reshape(n_folds, n_l1, n_cs)
        if not all(o[3] for o in out):
            warn_not_converged(self.solver, solver, int(n_iter.max()), self.max_iter, "along the path", 3)

        if self.refit:
            # ties are broken as scikit-learn does: first C, then first l1_ratio (C-major order)
            i_c, i_l1 = np.unravel_index(np.argmax(scores.sum(axis=0).T), (n_cs, n_l1))
            C, l1_ratio = float(Cs[i_c]), ratios[i_l1]
            # from the folds' mean solution; as scikit-learn's liblinear, which cannot warm-start, from zeros then
            # (the refit is then LogisticRegression(C=C_)'s fit, step for step)
            start = None if self.solver == "liblinear" else paths[:, i_l1, i_c].mean(axis=0).ravel()
            thetas, n_refit, ok = _path(
                X,
                y_source,
                sw,
                n_classes,
                [C],
                penalty,
                l1_ratio,
                self.fit_intercept,
                solver,
                self.tol,
                self.max_iter,
                start,
            )
            theta = thetas[0]
            if not ok:
                warn_not_converged(self.solver, solver, n_refit[0], self.max_iter, "in the refit on all data", 3)
        else:
            best = [np.unravel_index(np.argmax(s.T), (n_cs, n_l1))[::-1] for s in scores]
            theta = np.mean([paths[f, i, c] for f, (i, c) in enumerate(best)], axis=0)
            C = float(np.mean([Cs[c] for _, c in best]))
            l1_ratio = float(np.mean([ratios[i] for i, _ in best])) if penalty == "elasticnet" else 0.0
        self._set_theta(theta, classes)
        self.Cs_ = Cs
        self.l1_ratios_ = np.asarray(ratios)
        set_cv_attributes(self, grid, classes, paths, scores, n_iter, C, l1_ratio)
        self._keep_statistics(X, y_source, sw, n_classes, penalty, C, l1_ratio)
        return self

    @_deprecate_positional_args(version="1.11")
    def score(self, X, y, *, sample_weight=None, **score_params):
        """The ``scoring`` of the fitted model on ``(X, y)`` (accuracy when ``scoring`` is None), as
        scikit-learn's ``LogisticRegressionCV.score``; ``score_params`` are routed to the scorer.

        Returns
        -------
        float
        """
        _raise_for_params(score_params, self, "score")
        if sample_weight is not None:
            score_params["sample_weight"] = sample_weight
        scorer = self._get_scorer()
        if _routing_enabled():
            routed = process_routing(self, "score", **score_params)
        else:
            sw = score_params.get("sample_weight")
            routed = _manual_routing({"scorer": {"score": {} if sw is None else {"sample_weight": sw}}})
        return scorer(self, X, y, **routed.scorer.score)

    def get_metadata_routing(self):
        """Metadata routing: ``groups`` and the like to the splitter, scorer metadata to the scorer (in ``fit``
        and ``score``), as scikit-learn's ``LogisticRegressionCV``.

        Returns
        -------
        MetadataRouter
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(splitter=self.cv, method_mapping=MethodMapping().add(caller="fit", callee="split"))
            .add(
                scorer=self._get_scorer(),
                method_mapping=MethodMapping().add(caller="score", callee="score").add(caller="fit", callee="score"),
            )
        )

    def _get_scorer(self):
        scoring = None if isinstance(self.scoring, str) and self.scoring == "warn" else self.scoring
        return get_scorer(scoring or "accuracy")

    def _penalty_params(self):
        return self._chosen

    def _keep_statistics(self, X, y_source, sw, n_classes, kind: str, C: float, l1_ratio) -> None:
        """The inference statistics at the chosen coefficients, on all the data (see ``statistics``)."""
        source = MemorySource(X, y_source, sw)
        penalty = Penalty.from_params(kind, C, source.total_weight, 0.0 if l1_ratio is None else float(l1_ratio))
        self._chosen = (kind, float(C), penalty.l1_ratio)  # the penalty of the chosen coefficients, for summary()
        objective = Objective(source, n_classes, penalty, self.fit_intercept)
        self._statistics = None
        if self._wants_statistics(objective, penalty, firth=False):
            theta = objective.layout.from_coef(self.coef_, self.intercept_)
            self._statistics = fit_statistics(objective, theta)

    def _set_theta(self, theta: np.ndarray, classes) -> None:
        d = self.n_features_in_
        self.classes_ = classes
        self.coef_ = np.array(theta[:, :d], dtype=np.float64)
        self.intercept_ = theta[:, d].astype(np.float64) if self.fit_intercept else np.zeros(theta.shape[0])

    def _score_theta(self, theta, classes, X_test, y_test, score_params, scorer, z=None) -> float:
        """Score one path point on the held-out rows with a model holding those coefficients.

        ``z``, when given, is the point's decision values on ``X_test`` (computed for the whole path at once).
        """
        model = _PathPoint(fit_intercept=self.fit_intercept)
        model.n_features_in_ = self.n_features_in_
        LogisticRegressionCV._set_theta(model, theta, classes)
        if z is not None:
            model._known = (X_test, z)
        if scorer is None:
            return float(model.score(X_test, y_test, **score_params))
        return float(scorer(model, X_test, y_test, **score_params))


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
