"""scikit-learn compatible estimators built on the neuron."""

from __future__ import annotations

import numbers
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from oneuron import checks, neuron
from oneuron.data import MemorySource
from oneuron.objective import Objective
from oneuron.penalty import PENALTIES, Penalty
from oneuron.solvers import SOLVERS

#: iteration caps used when ``max_iter=None``.
DEFAULT_MAX_ITER = {"gd": 10_000, "lbfgs": 1000, "newton": 100}


def choose_solver(objective: Objective, sparse: bool) -> str:
    """The solver ``solver="auto"`` uses for this problem.

    Newton with a Cholesky-factorized Hessian when the binary problem has few parameters (its Hessian costs
    one pass and ``n d^2`` flops, and a handful of iterations reach any tolerance); L-BFGS otherwise.
    """
    if objective.is_binary and objective.n_params <= 200 and not sparse:
        return "newton"
    return "lbfgs"


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression as one neuron: ``p = sigmoid(X @ w + b)``, trained on binary cross-entropy.

    With three or more classes the neuron becomes a softmax layer (multinomial logistic regression). The
    objective and its optimum are scikit-learn's ``LogisticRegression``'s (see
    :class:`~oneuron.objective.Objective`), so coefficients agree with it.

    Parameters
    ----------
    penalty : {"l2", None}, default="l2"
        Penalty on the weights (the intercept is never penalized).
    C : float, default=1.0
        Inverse regularization strength; ``C=np.inf`` means no penalty.
    l1_ratio : float, optional
        Share of l1 in an elastic-net penalty.
    solver : {"auto", "gd", "lbfgs", "newton"}, default="auto"
        ``"gd"`` is the lesson's batch gradient descent; ``"auto"`` picks the fastest for the problem.
    tol : float, default=1e-4
        Stopping tolerance: on ``max|gradient|`` for lbfgs/newton, on the change of the cost for gd.
    max_iter : int, optional
        Iteration cap; by default 10,000 for gd, 1,000 for lbfgs, 100 for newton.
    fit_intercept : bool, default=True
    learning_rate : float or "auto", default="auto"
        Step size of ``solver="gd"`` (the lesson's alpha); "auto" is ``1/L`` with ``L`` the curvature bound
        of the objective, which converges even on unscaled data.
    class_weight : dict, "balanced" or None
        Weights per class, multiplied into the sample weights (as scikit-learn).
    warm_start : bool, default=False
        Start a new ``fit`` from the current coefficients.
    verbose : int, default=0
        ``>= 1`` prints the cost at every iteration (the lesson's ``debug``).
    n_jobs : int, optional
        Threads used to evaluate the objective (all cores by default).

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
    coef_ : ndarray (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray (1,) or (n_classes,)
    n_iter_ : ndarray (1,)
    loss_curve_ : list of float
        Objective value after each iteration.
    solver_ : str
        The solver actually used.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.
    """

    def __init__(
        self,
        penalty="l2",
        *,
        C=1.0,
        l1_ratio=None,
        solver="auto",
        tol=1e-4,
        max_iter=None,
        fit_intercept=True,
        learning_rate="auto",
        class_weight=None,
        warm_start=False,
        verbose=0,
        n_jobs=None,
    ):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.fit_intercept = fit_intercept
        self.learning_rate = learning_rate
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.verbose = verbose
        self.n_jobs = n_jobs

    # -- parameter checks ---------------------------------------------------------------------------------
    def _check_params(self) -> None:
        if self.penalty not in PENALTIES:
            raise ValueError(f"penalty={self.penalty!r} is not supported; use one of {PENALTIES}.")
        if self.penalty in ("l1", "elasticnet"):
            raise ValueError(f"penalty={self.penalty!r} is not available yet; use 'l2' or None.")
        if not isinstance(self.C, numbers.Real) or isinstance(self.C, bool) or np.isnan(self.C) or self.C <= 0:
            raise ValueError(f"C must be a positive number (np.inf for no penalty), got C={self.C!r}.")
        if self.solver not in ("auto", *SOLVERS):
            raise ValueError(f"solver={self.solver!r} is not supported; use 'auto' or one of {sorted(SOLVERS)}.")
        if not isinstance(self.tol, numbers.Real) or not np.isfinite(self.tol) or self.tol < 0:
            raise ValueError(f"tol must be a finite number >= 0, got tol={self.tol!r}.")
        if self.max_iter is not None and (
            not isinstance(self.max_iter, numbers.Integral) or isinstance(self.max_iter, bool) or self.max_iter < 0
        ):
            raise ValueError(f"max_iter must be a non-negative integer or None, got max_iter={self.max_iter!r}.")
        lr = self.learning_rate
        if not (lr == "auto" or (isinstance(lr, numbers.Real) and np.isfinite(lr) and lr > 0)):
            raise ValueError(f"learning_rate must be 'auto' or a positive number, got learning_rate={lr!r}.")

    # -- fitting ------------------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the neuron to ``X`` (n_samples, n_features) and labels ``y``.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
            float32 data is fitted in float32.
        y : array-like (n_samples,)
            Labels of any type; two distinct values give the binary head, more the softmax head.
        sample_weight : array-like (n_samples,), optional
            Non-negative weights per sample.

        Returns
        -------
        self
        """
        before = dict(self.__dict__)
        try:
            return self._fit(X, y, sample_weight)
        except BaseException:
            # a failed or interrupted fit (Ctrl-C included) leaves the estimator as it was
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _fit(self, X, y, sample_weight):
        self._check_params()
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], y_numeric=False)
        check_classification_targets(y)
        classes, y_encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y contains only one class ({classes[0]!r}): logistic regression needs samples of at least 2 classes."
            )
        sample_weight = self._sample_weight(X, y, classes, sample_weight)
        n_classes = len(classes)
        y_source = y_encoded.astype(X.dtype) if n_classes == 2 else y_encoded.astype(np.int32)
        sample_weight, C = checks.rescale_sample_weight(sample_weight, self.C)  # sums beyond 1e30: scaled, exactly
        source = MemorySource(X, y_source, sample_weight.astype(X.dtype, copy=False))
        checks.limit_block_rows(source, n_classes)  # many classes: bounded (rows x classes) temporaries
        penalty = Penalty.from_params(self.penalty, C, source.total_weight, self.l1_ratio)
        objective = Objective(source, n_classes, penalty, self.fit_intercept)
        checks.check_model_size(objective.n_params, n_classes, objective.n_features)

        solver = self.solver if self.solver != "auto" else choose_solver(objective, sp.issparse(X))
        max_iter = DEFAULT_MAX_ITER[solver] if self.max_iter is None else self.max_iter
        options = {"learning_rate": self.learning_rate} if solver == "gd" else {}
        x0 = self._start(objective, classes)

        loss_curve = []

        def callback(iteration, loss, grad_norm):
            loss_curve.append(loss)
            if self.verbose:
                print(f"iteration {iteration:5d}   cost {loss:.8f}   |gradient| {grad_norm:.3e}", file=sys.stdout)

        hint = ", or lower learning_rate" if solver == "gd" and self.learning_rate != "auto" else ""
        with checks.overflow_as_value_error(X, hint):
            result = SOLVERS[solver](objective, x0, tol=self.tol, max_iter=max_iter, callback=callback, **options)
        if not result.converged:
            warnings.warn(
                f"{solver} did not converge: {result.message}. Increase max_iter, scale the features "
                "(e.g. StandardScaler), or loosen tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self._set_coefficients(objective, result.x, classes)
        self.solver_ = solver
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.loss_curve_ = loss_curve
        self.objective_value_ = result.fun
        self.n_passes_ = objective.n_passes
        return self

    def _sample_weight(self, X, y, classes, sample_weight) -> np.ndarray:
        if sample_weight is not None:
            sw = np.asarray(sample_weight)
            if sw.ndim == 1 and sw.size and (not np.issubdtype(sw.dtype, np.number) or not np.all(np.isfinite(sw))):
                raise ValueError("sample_weight must contain only finite numbers (found NaN, inf or non-numbers).")
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if self.class_weight is not None:
            sw = sw * compute_class_weight(self.class_weight, classes=classes, y=y)[np.searchsorted(classes, y)]
        if not np.any(sw > 0):
            raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight.")
        return sw

    def _start(self, objective: Objective, classes) -> np.ndarray:
        """Zeros (the lesson's start), or the current coefficients with ``warm_start``."""
        if self.warm_start and hasattr(self, "coef_") and np.array_equal(getattr(self, "classes_", None), classes):
            if self.coef_.shape[1] == objective.n_features:
                b = float(self.intercept_[0]) if objective.is_binary else self.intercept_
                return objective.join(self.coef_, b)
        return np.zeros(objective.n_params)

    def _set_coefficients(self, objective: Objective, theta: np.ndarray, classes) -> None:
        w, b = objective.split(theta)
        self.classes_ = classes
        self.coef_ = np.atleast_2d(np.array(w, dtype=np.float64))
        self.intercept_ = (
            np.atleast_1d(np.array(b, dtype=np.float64)) if self.fit_intercept else np.zeros(self.coef_.shape[0])
        )

    # -- prediction: the neuron's forward pass ------------------------------------------------------------
    def decision_function(self, X) -> np.ndarray:
        """Raw scores ``z = X @ w + b``: shape (n,) for two classes, (n, n_classes) otherwise."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        dt = X.dtype
        with checks.overflow_as_value_error(X):
            if len(self.classes_) == 2:
                return np.asarray(neuron.forward(X, self.coef_[0].astype(dt), dt.type(self.intercept_[0])))
            return np.asarray(neuron.forward_multi(X, self.coef_.astype(dt), self.intercept_.astype(dt)))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in the order of ``classes_``."""
        z = self.decision_function(X)
        if z.ndim == 1:
            p = neuron.sigmoid(z)
            return np.column_stack([1 - p, p])
        return neuron.softmax(z)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed without taking log(0)."""
        z = self.decision_function(X)
        if z.ndim == 1:
            return np.column_stack([neuron.log_sigmoid(-z), neuron.log_sigmoid(z)])
        return z - neuron.logsumexp(z)[:, None]

    def predict(self, X) -> np.ndarray:
        """Most probable class of each row."""
        z = self.decision_function(X)
        index = (z > 0).astype(np.intp) if z.ndim == 1 else z.argmax(axis=1)
        return self.classes_[index]

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy on ``(X, y)``; labels never seen in ``fit`` count as errors, with an UnseenLabelWarning."""
        check_is_fitted(self)
        checks.warn_unseen_labels(self.classes_, y)
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
