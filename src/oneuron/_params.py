"""The estimators' parameters: one table of constraints, and what the parameters mean for a fit.

``LR_CONSTRAINTS`` is scikit-learn's ``LogisticRegression._parameter_constraints`` (the same names, types and
ranges) extended with oneuron's own values and parameters; ``LRCV_CONSTRAINTS`` is derived from it as
scikit-learn derives ``LogisticRegressionCV``'s. Both are checked by ``BaseEstimator._validate_params`` at the
start of ``fit`` and ``partial_fit``, so a bad value raises scikit-learn's ``InvalidParameterError``.

:func:`resolve` turns the parameters into what a fit uses, with scikit-learn 1.9's semantics, warnings and
errors: ``l1_ratio`` chooses the penalty (``penalty`` is deprecated there), ``C=np.inf`` means none, and
scikit-learn's solver names map to the oneuron solver that reaches the same optimum:

=================  ==============================================================================
scikit-learn       oneuron
=================  ==============================================================================
lbfgs              lbfgs
newton-cg          newton (conjugate-gradient steps)
newton-cholesky    newton (Cholesky steps)
sag, saga          "auto": newton or lbfgs for l2 / none; prox (proximal Newton) with an l1 part
liblinear          "auto" as for saga (binary only, primal only, as liblinear)
=================  ==============================================================================
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer_names
from sklearn.utils._param_validation import Hidden, Interval, StrOptions

from oneuron._solvers import SOLVERS
from oneuron._solvers.minibatch import OPTIMIZERS


class _Interval(Interval):
    """scikit-learn's ``Interval`` without booleans: ``C=True`` or ``max_iter=True`` is a mistake, not 1."""

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


#: scikit-learn's solver names.
SKLEARN_SOLVERS = ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")

#: scikit-learn's solver name -> the oneuron solver ("auto": the one ``choose_solver`` picks for the problem).
SOLVER_FOR = {
    "lbfgs": "lbfgs",
    "newton-cg": "newton-cg",
    "newton-cholesky": "newton-cholesky",
    "sag": "auto",
    "saga": "auto",
    "liblinear": "auto",
}

#: oneuron's full-batch solvers able to handle a penalty with an l1 part (besides "auto").
L1_SOLVERS = ("prox", "saga", "liblinear")

LR_CONSTRAINTS: dict = {
    "penalty": [
        StrOptions({"l1", "l2", "elasticnet", "firth"}),
        None,
        Hidden(StrOptions({"deprecated"})),
    ],
    "C": [_Interval(Real, 0, None, closed="right")],
    "l1_ratio": [_Interval(Real, 0, 1, closed="both"), None],
    "dual": ["boolean"],
    "tol": [_Interval(Real, 0, None, closed="left")],
    "fit_intercept": ["boolean"],
    "intercept_scaling": [_Interval(Real, 0, None, closed="neither")],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "random_state": ["random_state"],
    "solver": [StrOptions({"auto", *SKLEARN_SOLVERS, *SOLVERS, *OPTIMIZERS})],
    "max_iter": [_Interval(Integral, 0, None, closed="left"), None],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "n_jobs": [None, Integral],
    # oneuron's own
    "learning_rate": [StrOptions({"auto"}), _Interval(Real, 0, None, closed="neither")],
    "stopping": [StrOptions({"gradient", "cost"})],
    "statistics": ["boolean", StrOptions({"auto"})],
    # mini-batch solvers only (partial_fit, solver="sgd"/"adam")
    "batch_size": [_Interval(Integral, 1, None, closed="left")],
    "momentum": [_Interval(Real, 0, 1, closed="left")],
}

LRCV_CONSTRAINTS: dict = {
    name: rule
    for name, rule in LR_CONSTRAINTS.items()
    if name not in ("C", "l1_ratio", "warm_start", "learning_rate", "stopping", "batch_size", "momentum")
}
LRCV_CONSTRAINTS.update(
    {
        "solver": [StrOptions({"auto", *SKLEARN_SOLVERS, *SOLVERS})],
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), Hidden(StrOptions({"deprecated"}))],
        "Cs": [_Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": ["array-like", None, Hidden(StrOptions({"warn"}))],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None, Hidden(StrOptions({"warn"}))],
        "refit": ["boolean"],
        "use_legacy_attributes": ["boolean", Hidden(StrOptions({"warn"}))],
    }
)


class Resolved(NamedTuple):
    """What a fit uses: the penalty kind (None, "l2", "l1", "elasticnet" or "firth"), its l1 share, and the
    oneuron solver name ("auto": chosen for the problem)."""

    penalty: str | None
    l1_ratio: float
    solver: str


def _penalty_deprecated(cv: bool) -> str:
    if cv:
        return (
            "'penalty' was deprecated in version 1.8 and will be removed in"
            " 1.10. To avoid this warning, leave 'penalty' set to its default"
            " value and use 'l1_ratios' and 'Cs' instead."
            " Use l1_ratios=(0,) instead of penalty='l2',"
            " l1_ratios=(1,) instead of penalty='l1',"
            " l1_ratios set to floats between 0 and 1 instead of"
            " penalty='elasticnet', and Cs=(np.inf,) instead of penalty=None."
        )
    return (
        "'penalty' was deprecated in version 1.8 and will be removed in"
        " 1.10. To avoid this warning, leave 'penalty' set to its default"
        " value and use 'l1_ratio' or 'C' instead."
        " Use l1_ratio=0 instead of penalty='l2',"
        " l1_ratio=1 instead of penalty='l1',"
        " l1_ratio set to a float between 0 and 1 instead of"
        " penalty='elasticnet', and C=np.inf instead of penalty=None."
    )


def check_solver(solver: str, penalty, dual: bool) -> None:
    """scikit-learn's ``_check_solver`` rules and messages, for its solver names and oneuron's."""
    if solver not in ("auto", *L1_SOLVERS, *OPTIMIZERS) and penalty not in ("l2", None):
        hint = "" if solver in SKLEARN_SOLVERS else " Use solver='auto' or 'prox'."
        raise ValueError(f"Solver {solver} supports only 'l2' or None penalties, got {penalty} penalty.{hint}")
    if dual:
        if solver == "liblinear":
            raise ValueError(
                "dual=True is not supported: oneuron solves the primal problem, whose optimum is the one the dual "
                "formulation reaches (liblinear's dual is only faster when n_features > n_samples); use dual=False."
            )
        raise ValueError(f"Solver {solver} supports only dual=False, got dual={dual}")
    if penalty == "elasticnet" and solver in SKLEARN_SOLVERS and solver != "saga":
        raise ValueError(f"Only 'saga' solver supports elasticnet penalty, got solver={solver}.")
    if solver == "liblinear" and penalty is None:
        raise ValueError("C=np.inf as well as penalty=None is not supported for the liblinear solver")


def resolve(estimator, n_classes: int | None = None, warn: bool = True, stacklevel: int = 5) -> Resolved:
    """The penalty and solver a ``LogisticRegression`` fit uses, with scikit-learn 1.9's warnings and errors.

    ``warn=False`` repeats the resolution of a fit silently (for ``summary`` and each mini-batch);
    ``stacklevel`` points the warnings at the user's call.
    """
    penalty_param, l1_ratio, C = estimator.penalty, estimator.l1_ratio, estimator.C
    if penalty_param == "firth":
        return Resolved("firth", 0.0, "firth")
    if penalty_param == "deprecated":
        if l1_ratio is None or l1_ratio == 0:
            penalty = "l2"
            if l1_ratio is None and warn:
                warnings.warn(
                    "'l1_ratio=None' was deprecated in version 1.8 and will "
                    "trigger an error in 1.10. Use 0<=l1_ratio<=1 instead.",
                    FutureWarning,
                    stacklevel=stacklevel,
                )
        elif l1_ratio == 1:
            penalty = "l1"
        else:
            penalty = "elasticnet"
        if C == np.inf:
            penalty = None
    else:
        penalty = penalty_param
        if warn:
            warnings.warn(_penalty_deprecated(cv=False), FutureWarning, stacklevel=stacklevel)

    check_solver(estimator.solver, penalty, estimator.dual)
    if warn:
        if penalty != "elasticnet" and l1_ratio is not None and 0 < l1_ratio < 1:
            warnings.warn(
                f"l1_ratio parameter is only used when penalty is 'elasticnet'. Got (penalty={penalty})",
                stacklevel=stacklevel,
            )
        if (penalty_param == "l2" and l1_ratio != 0) or (penalty_param == "l1" and l1_ratio != 1):
            warnings.warn(
                f"Inconsistent values: penalty={penalty_param} with l1_ratio={l1_ratio}. penalty is deprecated. "
                "Please use l1_ratio only.",
                stacklevel=stacklevel,
            )
    if penalty == "elasticnet" and l1_ratio is None:
        raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
    if penalty_param is None and C != 1.0 and warn:
        warnings.warn("Setting penalty=None will ignore the C and l1_ratio parameters", stacklevel=stacklevel)
    if n_classes is not None:
        check_classes(estimator.solver, n_classes)
    ratio = {None: 0.0, "l2": 0.0, "l1": 1.0}.get(penalty, l1_ratio)
    return Resolved(penalty, float(ratio), SOLVER_FOR.get(estimator.solver, estimator.solver))


def check_classes(solver: str, n_classes: int) -> None:
    """scikit-learn's error for ``solver="liblinear"`` with three or more classes (liblinear is binary)."""
    if solver == "liblinear" and n_classes > 2:
        raise ValueError(
            "The 'liblinear' solver does not support multiclass classification"
            " (n_classes >= 3). Either use another solver or wrap the "
            "estimator in a OneVsRestClassifier to keep applying a "
            "one-versus-rest scheme."
        )


def penalty_for(estimator, total_weight: float):
    """The :class:`~oneuron._penalty.Penalty` of a fitted or fitting estimator (no warnings)."""
    from oneuron._penalty import Penalty

    r = resolve(estimator, warn=False)
    return Penalty.from_params(None if r.penalty == "firth" else r.penalty, estimator.C, total_weight, r.l1_ratio)


class ResolvedCV(NamedTuple):
    """What a ``LogisticRegressionCV`` fit uses."""

    penalty: str
    l1_ratios: list  # the grid as scikit-learn keeps it: [None] when l1_ratios is None
    solver: str
    scoring: object
    legacy: bool


def resolve_cv(estimator) -> ResolvedCV:
    """scikit-learn 1.9's ``LogisticRegressionCV`` semantics of ``penalty``, ``l1_ratios``, ``scoring`` and
    ``use_legacy_attributes``, with its warnings and errors."""
    name = type(estimator).__name__
    l1_ratios = estimator.l1_ratios
    if isinstance(l1_ratios, str) and l1_ratios == "warn":
        l1_ratios = None
        warnings.warn(
            "The default value for l1_ratios will change from None to (0.0,) "
            "in version 1.10. From version 1.10 onwards, only array-like "
            "with values in [0, 1] will be allowed, None will be forbidden. "
            "To avoid this warning, explicitly set a value, "
            "e.g. l1_ratios=(0,).",
            FutureWarning,
            stacklevel=3,
        )
    if estimator.penalty == "deprecated":
        if estimator.l1_ratios is None:
            warnings.warn(
                "'l1_ratios=None' was deprecated in version 1.8 and will "
                "trigger an error in 1.10. Use an array-like with values"
                "in [0, 1] instead.",
                FutureWarning,
                stacklevel=3,
            )
        if l1_ratios is None or np.all(np.asarray(l1_ratios) == 0):
            penalty = "l2"
        elif np.all(np.asarray(l1_ratios) == 1):
            penalty = "l1"
        else:
            penalty = "elasticnet"
    else:
        penalty = estimator.penalty
        warnings.warn(_penalty_deprecated(cv=True), FutureWarning, stacklevel=3)

    scoring = estimator.scoring
    if isinstance(scoring, str) and scoring == "warn":
        warnings.warn(
            "The default value of the parameter 'scoring' will change from None, "
            "i.e. accuracy, to 'neg_log_loss' in version 1.11. To silence this "
            "warning, explicitly set the scoring parameter: "
            "scoring='neg_log_loss' for the new, scoring='accuracy' or "
            "scoring=None for the old default.",
            FutureWarning,
            stacklevel=3,
        )
        scoring = None
    legacy = estimator.use_legacy_attributes
    if isinstance(legacy, str) and legacy == "warn":
        warnings.warn(
            f"The fitted attributes of {name} will be "
            "simplified in scikit-learn 1.10 to remove redundancy. Set"
            "`use_legacy_attributes=False` to enable the new behavior now, or "
            "set it to `True` to silence this warning during the transition period "
            "while keeping the deprecated behavior for the time being. The default "
            "value of use_legacy_attributes will change from True to False in "
            f"scikit-learn 1.10. See the docstring of {name} "
            "for more details.",
            FutureWarning,
            stacklevel=3,
        )
        legacy = True

    check_solver(estimator.solver, penalty, estimator.dual)
    if penalty == "elasticnet":
        if (
            l1_ratios is None
            or len(l1_ratios) == 0
            or any(not isinstance(r, Real) or r < 0 or r > 1 for r in l1_ratios)
        ):
            raise ValueError(
                f"l1_ratios must be an array-like of numbers between 0 and 1; got (l1_ratios={l1_ratios!r})"
            )
        grid = list(l1_ratios)
    else:
        if l1_ratios is not None and estimator.penalty != "deprecated":
            warnings.warn(
                f"l1_ratios parameter is only used when penalty is 'elasticnet'. Got (penalty={penalty})", stacklevel=3
            )
        grid = [None] if l1_ratios is None else list(l1_ratios)
    return ResolvedCV(penalty, grid, SOLVER_FOR.get(estimator.solver, estimator.solver), scoring, bool(legacy))


#: the opening of scikit-learn's ConvergenceWarning for each of its solvers, so users' filters match.
_NOT_CONVERGED = {
    "liblinear": "Liblinear failed to converge, increase the number of iterations.",
    "sag": "The max_iter was reached which means the coef_ did not converge.",
    "saga": "The max_iter was reached which means the coef_ did not converge.",
    "newton-cholesky": "Newton solver did not converge after {n_iter} iterations.",
}


def convergence_message(requested: str, used: str, n_iter: int, max_iter, reason: str) -> str:
    """The text of the ConvergenceWarning of a fit that stopped short of ``tol``, worded as scikit-learn's.

    ``requested`` is the ``solver`` parameter, ``used`` the oneuron solver that ran.
    """
    head = _NOT_CONVERGED.get(requested, "{solver} failed to converge after {n_iter} iteration(s).")
    head = head.format(solver=requested if requested != "auto" else used, n_iter=n_iter)
    ran = "" if used == requested else f" (oneuron's {used})"
    if max_iter is None or n_iter >= max_iter:  # stopped by the cap
        cap = "" if max_iter is None else f" (max_iter={max_iter})"
        return (
            f"{head}{ran} {reason}. Increase the number of iterations{cap}, scale the features "
            "(e.g. StandardScaler), or loosen tol."
        )
    return f"{head}{ran} {reason}. Scale the features (e.g. StandardScaler) or loosen tol."


def warn_not_converged(requested: str, used: str, n_iter: int, max_iter, reason: str, stacklevel: int = 5):
    """Issue the ConvergenceWarning of :func:`convergence_message`."""
    warnings.warn(
        convergence_message(requested, used, n_iter, max_iter, reason), ConvergenceWarning, stacklevel=stacklevel
    )


def start_point(objective, x0, *, tol: float, max_iter: int = 0, callback=None, **options):
    """The "solver" of ``max_iter=0``: no update at all, the starting point as it is (``n_iter_ == 0``).

    It counts as converged only when the start already meets ``max|gradient| <= tol``.
    """
    from oneuron._solvers._result import Result

    f, g = objective.loss_gradient(np.asarray(x0, dtype=np.float64))
    converged = bool(np.max(np.abs(g), initial=0.0) <= tol)
    return Result(np.array(x0, dtype=np.float64), float(f), 0, converged, "max_iter=0: no iteration was run")


def set_cv_attributes(model, grid: ResolvedCV, classes, paths, scores, n_iter, C: float, l1_ratio) -> None:
    """Set ``coefs_paths_``, ``scores_``, ``n_iter_``, ``C_`` and ``l1_ratio_`` in scikit-learn 1.9's layout.

    ``paths`` (n_folds, n_l1_ratios, n_cs, K, n_dof), ``scores`` and ``n_iter`` (n_folds, n_l1_ratios, n_cs)
    are the new layout (``use_legacy_attributes=False``); the legacy one keeps a dict per class (the positive
    class only when binary) with the C axis before the l1_ratio axis, which is dropped when ``l1_ratios`` is
    None, and repeats ``C_`` and ``l1_ratio_`` per class.
    """
    no_grid = grid.l1_ratios == [None]
    if not grid.legacy:
        model.coefs_paths_, model.scores_, model.n_iter_ = paths, scores, n_iter
        model.C_ = float(C)
        if no_grid:
            model.l1_ratio_ = 1.0 if model.penalty == "l1" else 0.0
        else:
            model.l1_ratio_ = float(l1_ratio)
        return
    keys = classes[1:] if len(classes) == 2 else classes
    by_c = np.swapaxes(paths, 1, 2)  # (n_folds, n_cs, n_l1_ratios, K, n_dof)
    scores_c, n_iter_c = np.swapaxes(scores, 1, 2), np.swapaxes(n_iter, 1, 2)[None]
    if no_grid:
        by_c, scores_c, n_iter_c = by_c[:, :, 0], scores_c[:, :, 0], n_iter_c[..., 0]
    model.coefs_paths_ = {key: by_c[..., k, :] for k, key in enumerate(keys)}
    model.scores_ = {key: scores_c.copy() for key in keys}
    model.n_iter_ = n_iter_c
    model.C_ = np.repeat(np.asarray([C]), len(keys))
    model.l1_ratio_ = np.repeat(np.asarray([l1_ratio]), len(keys))
