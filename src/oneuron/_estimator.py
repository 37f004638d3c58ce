"""scikit-learn compatible estimators built on the neuron."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from oneuron import _validation as checks
from oneuron import neuron
from oneuron._external import external_source, is_dask, is_external, predict_lazy
from oneuron._firth import solve as firth_solve
from oneuron._inference import fit_statistics, statistics_for, summarize, term_names
from oneuron._layout import Layout
from oneuron._objective import Objective
from oneuron._penalty import PENALTIES, Penalty
from oneuron._progress import FitMonitor
from oneuron._separation import check_separation
from oneuron._solvers import NONSMOOTH_SOLVERS, SOLVERS, subsample
from oneuron._solvers.minibatch import OPTIMIZERS
from oneuron.data import MemorySource
from oneuron.data._parallel import blas_single_thread

#: iteration caps used when ``max_iter=None``.
DEFAULT_MAX_ITER = {
    "gd": 10_000,
    "lbfgs": 1000,
    "newton": 100,
    "newton-cholesky": 100,
    "newton-cg": 100,
    "firth": 100,
    "prox": 200,
}
#: ``statistics="auto"`` computes the inference statistics at the end of ``fit`` up to this many parameters
#: and this many rows x parameters^2 (the cost of the pass that forms the information matrix)
AUTO_STATISTICS_MAX_PARAMS = 1000
AUTO_STATISTICS_MAX_WORK = 1e9


def choose_solver(objective: Objective, sparse: bool) -> str:
    """The solver ``solver="auto"`` uses for this problem (measurements: benchmarks/RESULTS.md, issue 4).

    - Small data (``n * d <= 1e6``) and at most 1,000 parameters: Newton (Cholesky for the binary head,
      conjugate gradients for the softmax head). Time there is overhead per iteration, and Newton takes a
      handful of iterations where L-BFGS may take dozens (the lesson's digits: 11 against 37; a 3-class
      400 x 4 problem at tol=1e-10: 6 against 24, and L-BFGS stopped 1e-6 short of statsmodels' optimum).
    - Binary head, sparse: Newton-CG (Jacobi-preconditioned conjugate gradients on Hessian-vector products
      that reuse each row's curvature within a step). Text-like data is ill-conditioned: at 200,000 x 20,000
      and tol=1e-6 L-BFGS needed 232 passes (199 iterations, 11.3 s), Newton-CG 68 passes (7 steps, 3.0 s).
    - Otherwise L-BFGS: on large dense data one Hessian pass costs about ``d / 10`` gradient passes (444 ms
      against 48 ms at 200,000 x 100), while L-BFGS needs 7-8 one-pass evaluations on well-conditioned
      data; for the softmax head Newton-CG took more passes than L-BFGS (17 vs 11 at tol=1e-4).
    - Proximal Newton whenever the penalty has an l1 part (the only solver for it).

    On tall in-memory data with a smooth penalty ``fit`` runs the chosen solver first on a row subsample and
    finishes on all rows from its optimum with the subsample's Hessian (``_solvers/subsample.py``:
    :func:`subsample.strategy`).
    """
    if not objective.penalty.is_smooth:
        return "prox"
    n, d = objective.source.n_samples, objective.n_features
    if objective.is_binary and sparse:
        return "newton"
    if objective.n_params <= 1000 and n * d <= 1_000_000:
        return "newton"
    return "lbfgs"


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression as one neuron: ``p = sigmoid(X @ w + b)``, trained on binary cross-entropy.

    With three or more classes the neuron becomes a softmax layer (multinomial logistic regression). The
    objective and its optimum are scikit-learn's ``LogisticRegression``'s (see
    :class:`~oneuron._objective.Objective`), so coefficients agree with it.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet", None, "firth"}, default="l2"
        Penalty on the weights (the intercept is never penalized), scaled as scikit-learn's. ``"firth"``:
        Firth's bias-reduced regression (maximizes ``loglik + 0.5 log det I``; two classes), finite even on
        separated data; it has its own Fisher-scoring solver (``solver`` is ignored).
    C : float, default=1.0
        Inverse regularization strength; ``C=np.inf`` means no penalty.
    l1_ratio : float, optional
        Share of l1 in an elastic-net penalty, in [0, 1] (required with ``penalty="elasticnet"``).
    solver : {"auto", "gd", "lbfgs", "newton", "prox", "sgd", "adam"}, default="auto"
        ``"gd"`` is the lesson's batch gradient descent; ``"prox"`` is proximal Newton, the only solver for
        l1/elastic net; ``"auto"`` picks the fastest for the problem (on tall data, starting from the optimum
        of a row subsample; the answer is the same optimum). ``"sgd"`` and ``"adam"`` are mini-batch
        solvers: ``fit`` runs ``max_iter`` epochs of shuffled mini-batches, ``partial_fit`` one update per
        mini-batch.
    tol : float, default=1e-4
        Stopping tolerance: on ``max|gradient|`` for lbfgs/newton, on the minimum-norm subgradient for prox,
        on the change of the cost for gd.
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
        ``1`` shows a progress bar in a terminal (fits over about a second) and prints the cost at every
        iteration elsewhere (the lesson's ``debug``); ``>= 2`` always prints (see :mod:`oneuron._progress`).
    n_jobs : int, optional
        Threads used to evaluate the objective (all cores by default).
    batch_size : int, default=256
        Rows per mini-batch update of the mini-batch solvers ("sgd", "adam"; see :meth:`partial_fit`).
    momentum : float, default=0.9
        Momentum of ``solver="sgd"`` (0 for plain stochastic gradient descent).
    stopping : {"gradient", "cost"}, default="gradient"
        Stopping rule of ``solver="gd"``: ``max|gradient| <= tol`` as every other solver, or the lesson's
        ``|J - J_last| < tol`` (which can stop far from the optimum: use it to reproduce the lesson).
    statistics : {"auto", True, False}, default="auto"
        Compute at the end of ``fit`` what :meth:`summary` needs (the information matrix, the sandwich's
        "meat" and the log-likelihoods: one pass over the data, forming ``k x k`` matrices for ``k``
        parameters), so that ``summary()`` works without the data, after pickling and after
        ``oneuron.save``/``load``. ``"auto"`` does so for smooth penalties (None, "l2", "firth") when
        ``k <= 1000`` and ``n_samples * k**2 <= 1e9``; beyond that ``summary(X=..., y=...)`` computes them
        from given data. The model never keeps a reference to its training data.

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
        batch_size=256,
        momentum=0.9,
        stopping="gradient",
        statistics="auto",
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
        self.batch_size = batch_size
        self.momentum = momentum
        self.stopping = stopping
        self.statistics = statistics

    # -- parameter checks ---------------------------------------------------------------------------------
    def _check_params(self) -> None:
        if self.penalty not in (*PENALTIES, "firth"):
            raise ValueError(f"penalty={self.penalty!r} is not supported; use one of {(*PENALTIES, 'firth')}.")
        if self.penalty == "elasticnet":
            r = self.l1_ratio
            if isinstance(r, bool) or not isinstance(r, numbers.Real) or not 0 <= r <= 1:
                raise ValueError(f"l1_ratio must be a number in [0, 1] with penalty='elasticnet', got l1_ratio={r!r}.")
        if self.penalty in ("l1", "elasticnet") and self.solver not in ("auto", *NONSMOOTH_SOLVERS):
            raise ValueError(
                f"solver={self.solver!r} cannot handle penalty={self.penalty!r}; use solver='auto' or 'prox'."
            )
        if not isinstance(self.C, numbers.Real) or isinstance(self.C, bool) or np.isnan(self.C) or self.C <= 0:
            raise ValueError(f"C must be a positive number (np.inf for no penalty), got C={self.C!r}.")
        if self.solver not in ("auto", *SOLVERS, *OPTIMIZERS):
            raise ValueError(
                f"solver={self.solver!r} is not supported; use 'auto' or one of {sorted([*SOLVERS, *OPTIMIZERS])}."
            )
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
    def fit(self, X, y=None, sample_weight=None):
        """Fit the neuron to ``X`` (n_samples, n_features) and labels ``y``.

        Parameters
        ----------
        X : array-like, scipy.sparse matrix, dask array/DataFrame, or a file source
            Shape (n_samples, n_features); float32 data is fitted in float32. A source from
            :mod:`oneuron.data` (``parquet``, ``csv``, ``npy``) carries its own labels: then leave ``y`` out.
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
        self.__dict__.pop("_online", None)  # a fit starts afresh; partial_fit continues
        if is_external(X):  # a file source or a dask collection: data stays where it is
            source, classes = external_source(self, X, y, sample_weight)
            return self._solve(source, classes, sparse=False)
        if self.solver in OPTIMIZERS:
            from oneuron._online import fit_epochs

            return fit_epochs(self, X, y, sample_weight)
        X, classes, y_source, sample_weight = self._training_data(X, y, sample_weight)
        n_classes = len(classes)
        sample_weight, C = checks.rescale_sample_weight(sample_weight, self.C)  # sums beyond 1e30: scaled, exactly
        source = MemorySource(
            X, y_source, sample_weight.astype(X.dtype, copy=False), n_jobs=self.n_jobs, n_classes=n_classes
        )
        return self._solve(source, classes, sp.issparse(X), C=C, X=X)

    def _solve(self, source, classes, sparse: bool, C=None, X=None):
        """Build the objective over ``source`` and run the solver; sets the fitted attributes.

        ``C`` overrides ``self.C`` (rescaled with extreme sample weights); ``X``, when in memory, is named in
        the error an arithmetic overflow turns into.
        """
        C = self.C if C is None else C
        n_classes = len(classes)
        firth = self.penalty == "firth"
        if firth and n_classes > 2:
            raise ValueError("penalty='firth' supports two classes only; use penalty=None or 'l2' with more classes.")
        penalty = Penalty.from_params(None if firth else self.penalty, C, source.total_weight, self.l1_ratio)
        objective = Objective(source, n_classes, penalty, self.fit_intercept)
        checks.check_model_size(objective.n_params, n_classes, objective.n_features)

        solver = self.solver if self.solver != "auto" else choose_solver(objective, sparse)
        solver = "firth" if firth else solver
        max_iter = DEFAULT_MAX_ITER[solver] if self.max_iter is None else self.max_iter
        options = {"learning_rate": self.learning_rate, "stop": self.stopping} if solver == "gd" else {}
        x0 = self._start(objective.layout, classes)

        monitor = FitMonitor(self.verbose, max_iter, description=solver)  # loss_curve_, verbose, progress bar
        solve = firth_solve if firth else SOLVERS[solver]
        if self.solver == "auto" and not firth:
            solve = subsample.strategy(solve, objective)  # tall data: start from a row subsample's optimum
        hint = ", or lower learning_rate" if solver == "gd" and self.learning_rate != "auto" else ""
        try:
            # parallelism is over blocks (n_jobs), not inside BLAS
            with blas_single_thread(), checks.overflow_as_value_error(X, hint):
                result = solve(objective, x0, tol=self.tol, max_iter=max_iter, callback=monitor, **options)
        finally:
            monitor.close()
        if not result.converged:
            warnings.warn(
                f"{solver} did not converge: {result.message}. Increase max_iter, scale the features "
                "(e.g. StandardScaler), or loosen tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self._set_coefficients(objective.layout, result.x, classes)
        self.solver_ = solver
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.loss_curve_ = monitor.loss_curve
        self.objective_value_ = result.fun
        self.n_passes_ = objective.n_passes
        self._after_fit(objective, result, penalty, firth)
        return self

    def _after_fit(self, objective: Objective, result, penalty: Penalty, firth: bool):
        """Separation check (unpenalized fits) and the inference statistics, at the estimate: the model then
        keeps what ``summary()`` needs, not the data."""
        evaluation = result.evaluation
        if (
            evaluation is None
            or evaluation.objective is not objective
            or not np.array_equal(evaluation.theta, result.x)
        ):
            evaluation = None
        if penalty.kind is None and not firth:
            evaluation = evaluation or objective.evaluate(result.x)
            check_separation(evaluation, term_names(self), self.classes_, stacklevel=4)
        self._statistics = None
        if self._wants_statistics(objective, penalty, firth):
            self._statistics = fit_statistics(objective, result.x, firth=firth)

    def _penalty_params(self):
        """``(penalty, C, l1_ratio)`` of the objective the fitted coefficients minimize."""
        return self.penalty, self.C, self.l1_ratio

    def _wants_statistics(self, objective: Objective, penalty: Penalty, firth: bool) -> bool:
        if self.statistics is False or not (firth or penalty.is_smooth):
            return False
        if self.statistics is True:
            return True
        k = objective.n_params
        return k <= AUTO_STATISTICS_MAX_PARAMS and objective.source.n_samples * k * k <= AUTO_STATISTICS_MAX_WORK

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one pass of mini-batch steps over ``(X, y)``: for streams read once.

        Rows are cut into mini-batches of ``batch_size``; each makes one update of ``solver`` ("sgd" with
        ``momentum``, or "adam"; "auto" means "sgd"), whose state persists between calls. The penalty is
        scaled by the total weight seen so far, so after one pass over a stream the objective is the one
        ``fit`` minimizes.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix (n_samples, n_features)
        y : array-like (n_samples,)
        classes : array-like, optional
            Every class of the stream: required on the first call.
        sample_weight : array-like (n_samples,), optional

        Returns
        -------
        self
        """
        from oneuron._online import partial_fit

        return partial_fit(self, X, y, classes, sample_weight)

    def _training_data(self, X, y, sample_weight):
        """Validated ``X``, the sorted classes, ``y`` encoded for the objective (0/1 in X's dtype for two
        classes, int32 class indices otherwise) and the sample weights with ``class_weight`` applied."""
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], y_numeric=False)
        if not (y.ndim == 1 and y.dtype.kind in "biu"):  # 1-d integer labels always are (type_of_target is slow)
            check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        checks.require_two_classes(classes)
        sample_weight = self._sample_weight(X, y, classes, sample_weight)
        y_encoded = y_index.astype(X.dtype) if len(classes) == 2 else y_index.astype(np.int32)
        return X, classes, y_encoded, sample_weight

    def _sample_weight(self, X, y, classes, sample_weight) -> np.ndarray:
        if sample_weight is not None:
            sw = np.asarray(sample_weight)
            if sw.ndim == 1 and sw.size and (not np.issubdtype(sw.dtype, np.number) or not np.all(np.isfinite(sw))):
                raise ValueError("sample_weight must contain only finite numbers (found NaN, inf or non-numbers).")
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if self.class_weight is not None:
            # "balanced" counts each class by its total sample weight, as scikit-learn does
            cw = compute_class_weight(self.class_weight, classes=classes, y=y, sample_weight=sw)
            sw = sw * cw[np.searchsorted(classes, y)]
        if not np.any(sw > 0):
            raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight.")
        return sw

    def _start(self, layout: Layout, classes) -> np.ndarray:
        """Zeros (the lesson's start), or the current coefficients with ``warm_start``."""
        if self.warm_start and hasattr(self, "coef_") and np.array_equal(getattr(self, "classes_", None), classes):
            if self.coef_.shape[1] == layout.n_features:
                return layout.from_coef(self.coef_, self.intercept_)
        return np.zeros(layout.n_params)

    def _set_coefficients(self, layout: Layout, theta: np.ndarray, classes) -> None:
        self.classes_ = classes
        self.coef_, self.intercept_ = layout.to_coef(theta)

    # -- inference --------------------------------------------------------------------------------------
    def summary(self, cov_type="nonrobust", alpha=0.05, *, X=None, y=None, sample_weight=None):
        """Standard errors, z, p-values, intervals and model statistics (see ``_inference.py``).

        Parameters
        ----------
        cov_type : {"nonrobust", "HC0", "HC1"}, default="nonrobust"
            Inverse information, or White's sandwich (HC1: times ``n / (n - k)``).
        alpha : float, default=0.05
            The intervals have coverage ``1 - alpha``.
        X, y, sample_weight : optional
            Data to compute the statistics on (the training data, as in ``fit``); by default the statistics
            computed at the end of ``fit`` (see the ``statistics`` parameter), which the model keeps instead of
            the data.

        Returns
        -------
        Summary
            ``.table`` (pandas DataFrame) and the model statistics; ``print(summary)`` shows them.

        Examples
        --------
        >>> from sklearn.datasets import load_breast_cancer
        >>> from oneuron import LogisticRegression
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> model = LogisticRegression(penalty=None).fit(X[:, :3], y)
        >>> model.summary().table.columns.tolist()
        ['coef', 'std_err', 'z', 'p_value', 'ci_lower', 'ci_upper']
        """
        check_is_fitted(self)
        if X is not None:
            return summarize(self, statistics_for(self, X, y, sample_weight), cov_type, alpha)
        stats = getattr(self, "_statistics", None)
        if stats is None:
            kind, _, l1_ratio = self._penalty_params()
            why = (
                f"penalty={kind!r} has no likelihood-based inference"
                if kind in ("l1", "elasticnet") and l1_ratio != 0
                else "they were not computed at fit (statistics=False, or a model too large for statistics='auto')"
            )
            raise ValueError(
                f"summary() needs the statistics of the fit, and {why}: pass the training data, "
                "summary(X=X, y=y, sample_weight=...), or fit with statistics=True."
            )
        return summarize(self, stats, cov_type, alpha)

    # -- prediction: the neuron's forward pass ------------------------------------------------------------
    def decision_function(self, X) -> np.ndarray:
        """Raw scores ``z = X @ w + b``: shape (n,) for two classes, (n, n_classes) otherwise."""
        if is_dask(X):
            return predict_lazy(self, X, "decision_function")
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        dt = X.dtype
        with checks.overflow_as_value_error(X):
            if len(self.classes_) == 2:
                return np.asarray(neuron.forward(X, self.coef_[0].astype(dt), dt.type(self.intercept_[0])))
            return np.asarray(neuron.forward_multi(X, self.coef_.astype(dt), self.intercept_.astype(dt)))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in the order of ``classes_`` (float64)."""
        if is_dask(X):
            return predict_lazy(self, X, "predict_proba")
        z = np.asarray(self.decision_function(X), dtype=np.float64)  # float32 would round p to 1
        if z.ndim == 1:
            # sigmoid(-z), not 1 - p: keeps the tiny probabilities that 1 - p rounds to 0
            return np.column_stack([neuron.sigmoid(-z), neuron.sigmoid(z)])
        return neuron.softmax(z)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed without taking log(0)."""
        if is_dask(X):
            return predict_lazy(self, X, "predict_log_proba")
        z = np.asarray(self.decision_function(X), dtype=np.float64)
        if z.ndim == 1:
            return np.column_stack([neuron.log_sigmoid(-z), neuron.log_sigmoid(z)])
        return z - neuron.logsumexp(z)[:, None]

    def predict(self, X) -> np.ndarray:
        """Most probable class of each row."""
        if is_dask(X):
            return predict_lazy(self, X, "predict")
        z = self.decision_function(X)
        index = (z > 0).astype(np.intp) if z.ndim == 1 else z.argmax(axis=1)
        return self.classes_[index]

    def to_onnx(self, path=None, **options):
        """The fitted neuron as an ONNX graph (see :func:`oneuron._onnx.export_onnx`)."""
        from oneuron._onnx import export_onnx

        return export_onnx(self, path, **options)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy on ``(X, y)``; labels never seen in ``fit`` count as errors, with an UnseenLabelWarning."""
        check_is_fitted(self)
        checks.warn_unseen_labels(self.classes_, y)
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
