"""``partial_fit``: learning from a stream of mini-batches, each seen once (glue for the estimator).

Each call cuts its rows into mini-batches of ``batch_size`` rows and makes one optimizer update per
mini-batch (see :mod:`oneuron._solvers.minibatch`); the optimizer's state is kept on the estimator between
calls, so a stream fed chunk by chunk trains as one run.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import validate_data

from oneuron._layout import Layout
from oneuron._objective import Objective
from oneuron._params import penalty_for, resolve
from oneuron._solvers import minibatch
from oneuron._validation import NonFiniteError
from oneuron.data import MemorySource

#: epochs of ``fit`` with a mini-batch solver when ``max_iter=None``.
DEFAULT_EPOCHS = 20

#: an epoch objective this many times its lowest value (at least 1) means the updates diverge
DIVERGENCE = 100.0

#: learning rate of ``solver="adam"`` with ``learning_rate="auto"``.
ADAM_LEARNING_RATE = 0.01


class OnlineState:
    """What ``partial_fit`` carries between calls: parameters, optimizer state, weight seen, step size."""

    def __init__(self, solver: str, classes: np.ndarray, n_params: int):
        self.solver = solver
        self.classes = classes
        self.theta = np.zeros(n_params)
        self.seen_weight = 0.0
        self.n_updates = 0
        self.learning_rate = None
        self.optimizer = None
        self.opt_state = None


def _check(estimator) -> str:
    """The mini-batch solver to use; parameters are checked by the estimators' table (``_validate_params``)."""
    solver = "sgd" if estimator.solver == "auto" else estimator.solver
    if solver not in minibatch.OPTIMIZERS:
        raise ValueError(
            f"solver={estimator.solver!r} cannot learn from mini-batches; partial_fit needs solver='sgd' or 'adam'."
        )
    if estimator.class_weight == "balanced":
        raise ValueError("class_weight='balanced' needs all labels at once; give partial_fit a dict of weights.")
    if resolve(estimator, stacklevel=5).penalty == "firth":  # scikit-learn's warnings and errors on penalty/l1_ratio
        raise ValueError("penalty='firth' needs all the data at once; partial_fit cannot fit it.")
    return solver


def partial_fit(estimator, X, y, classes=None, sample_weight=None):
    """One pass of mini-batch updates over ``(X, y)``, continuing from the estimator's current state.

    See :meth:`oneuron.LogisticRegression.partial_fit`.
    """
    estimator._validate_params()
    solver = _check(estimator)
    state: OnlineState | None = getattr(estimator, "_online", None)
    if state is None and hasattr(estimator, "coef_"):  # after fit: continue from the fitted model
        state = _state_from_fit(estimator, solver)
    first = state is None
    X, y = validate_data(
        estimator, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], y_numeric=False, reset=first
    )
    if first:
        if classes is None:
            raise ValueError("classes: the first call to partial_fit needs every class, e.g. classes=np.unique(y_all).")
        classes = np.unique(classes)
        if len(classes) < 2:
            raise ValueError("classes: logistic regression needs at least 2 classes.")
    elif classes is not None and not np.array_equal(np.unique(classes), state.classes):
        raise ValueError(f"classes={classes!r} differs from the classes of the first call ({state.classes!r}).")
    else:
        classes = state.classes
    unknown = np.setdiff1d(y, classes)
    if unknown.size:
        raise ValueError(
            f"y contains labels {unknown!r} not in classes={classes!r}; pass every class on the first call."
        )
    sample_weight = estimator._sample_weight(X, y, classes, sample_weight) if len(y) else np.zeros(0, X.dtype)
    y_idx = np.searchsorted(classes, y)
    K = len(classes)
    y_enc = y_idx.astype(X.dtype) if K == 2 else y_idx.astype(np.int32)

    if first:
        state = OnlineState(solver, classes, Layout(K, X.shape[1], estimator.fit_intercept).n_params)
        estimator.loss_curve_ = []
    losses = _run(estimator, state, X, y_enc, sample_weight)
    estimator.loss_curve_.extend(losses)
    estimator._online = state
    _finish(estimator, state, X)
    estimator.n_iter_ = np.array([state.n_updates], dtype=np.int32)
    return estimator


def _state_from_fit(estimator, solver: str) -> OnlineState:
    classes = estimator.classes_
    layout = Layout(len(classes), estimator.coef_.shape[1], estimator.fit_intercept)
    state = OnlineState(solver, classes, layout.n_params)
    state.theta = layout.from_coef(estimator.coef_, estimator.intercept_)
    if not hasattr(estimator, "loss_curve_"):
        estimator.loss_curve_ = []
    return state


def _run(estimator, state: OnlineState, X, y_enc, sample_weight, total_weight: float | None = None) -> list:
    """One update per mini-batch of the rows, in order; returns the mini-batch objective values.

    The penalty is scaled by ``total_weight`` or, when it is None (a stream), by the weight seen so far.
    """
    K = len(state.classes)
    losses = []
    for start in range(0, len(y_enc), estimator.batch_size):
        rows = slice(start, start + estimator.batch_size)
        source = MemorySource(X[rows], y_enc[rows], sample_weight[rows])
        if source.total_weight <= 0:
            continue
        state.seen_weight += source.total_weight
        S = state.seen_weight if total_weight is None else total_weight
        penalty = penalty_for(estimator, S)
        objective = Objective(source, K, penalty, estimator.fit_intercept)
        if state.optimizer is None:
            state.learning_rate = _learning_rate(estimator, state.solver, X[rows], K, penalty.l2_strength)
            options = {"momentum": estimator.momentum} if state.solver == "sgd" else {}
            state.optimizer = minibatch.OPTIMIZERS[state.solver](state.learning_rate, **options)
            state.opt_state = state.optimizer.init(state.theta)
        loss, state.theta, state.opt_state = minibatch.step(
            objective, state.optimizer, state.theta, state.opt_state, state.learning_rate
        )
        if not (np.isfinite(loss) and np.all(np.isfinite(state.theta))):
            raise NonFiniteError(
                f"{state.solver} diverged after {state.n_updates} updates: the objective or the coefficients became "
                f"NaN or infinite with learning_rate={state.learning_rate:g}. Lower learning_rate (or use "
                "learning_rate='auto'), or scale the features."
            )
        state.n_updates += 1
        losses.append(loss)
    return losses


def _finish(estimator, state: OnlineState, X) -> None:
    layout = Layout(len(state.classes), X.shape[1], estimator.fit_intercept)
    estimator._set_coefficients(layout, state.theta, state.classes)
    estimator._statistics = None  # the statistics of an earlier fit describe other coefficients
    estimator.solver_ = state.solver


def fit_epochs(estimator, X, y, sample_weight):
    """``fit`` with a mini-batch solver: ``max_iter`` epochs (20 by default) over shuffled mini-batches.

    Stops early when the mean mini-batch objective of an epoch changes by less than ``tol``; the penalty is
    scaled by the data's total weight, as in the full-batch objective.
    """
    solver = _check(estimator)
    X, classes, y_enc, sample_weight = estimator._training_data(X, y, sample_weight)
    K = len(classes)
    state = OnlineState(solver, classes, Layout(K, X.shape[1], estimator.fit_intercept).n_params)
    total = float(np.sum(sample_weight, dtype=np.float64))
    epochs = DEFAULT_EPOCHS if estimator.max_iter is None else estimator.max_iter
    rng = np.random.default_rng(_seed(estimator.random_state))
    curve, converged = [], False
    for _ in range(epochs):
        order = rng.permutation(len(y_enc))
        curve.append(float(np.mean(_run(estimator, state, X[order], y_enc[order], sample_weight[order], total))))
        if len(curve) > 1 and abs(curve[-1] - curve[-2]) < estimator.tol:
            converged = True
            break
    if len(curve) > 1 and curve[-1] > DIVERGENCE * max(min(curve), 1.0):
        warnings.warn(
            f"{solver} diverges: the epoch objective grew from {min(curve):.3g} to {curve[-1]:.3g} with "
            f"learning_rate={state.learning_rate:g}. Lower learning_rate (or use learning_rate='auto'), or scale "
            "the features.",
            ConvergenceWarning,
            stacklevel=4,
        )
    elif not converged and epochs:
        warnings.warn(
            f"{solver} did not converge in max_iter={epochs} epochs (epoch objective still changing by more than "
            f"tol={estimator.tol:g}). Increase max_iter or use solver='lbfgs'.",
            ConvergenceWarning,
            stacklevel=4,
        )
    _finish(estimator, state, X)
    estimator.n_iter_ = np.array([len(curve)], dtype=np.int32)
    estimator.loss_curve_ = curve
    return estimator


def _learning_rate(estimator, solver: str, X_first, n_classes: int, l2: float) -> float:
    """The step size: the estimator's ``learning_rate``, or by default ``(1 - momentum) / L`` for sgd (``L`` a
    curvature bound measured on the first mini-batch) and 0.01 for adam."""
    if estimator.learning_rate != "auto":
        return float(estimator.learning_rate)
    if solver == "adam":
        return ADAM_LEARNING_RATE
    L = minibatch.curvature_bound(X_first, n_classes, estimator.fit_intercept, l2)
    return (1.0 - estimator.momentum) / L


def _seed(random_state):
    """A seed for numpy's Generator from ``random_state`` (None: 0, so that fits repeat)."""
    if random_state is None:
        return 0
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    return random_state
