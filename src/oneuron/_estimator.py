"""scikit-learn compatible estimators built on the neuron."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _assert_all_finite, _check_sample_weight, check_is_fitted, validate_data

from oneuron import _validation as checks
from oneuron import neuron
from oneuron._external import external_source, is_external, predict_external
from oneuron._firth import solve as firth_solve
from oneuron._inference import cluster_meats, fit_statistics, statistics_for, summarize, term_names
from oneuron._layout import Layout
from oneuron._objective import Objective
from oneuron._params import LR_CONSTRAINTS, resolve, start_point, warn_not_converged
from oneuron._penalty import Penalty
from oneuron._progress import FitMonitor
from oneuron._separation import check_separation
from oneuron._solvers import SOLVERS, subsample
from oneuron._solvers.minibatch import OPTIMIZERS
from oneuron.data import MemorySource
from oneuron.data._memory import csr_fingerprint
from oneuron.data._parallel import blas_single_thread, finite_sum, resolve_n_jobs

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


#: rows a float32 fit's rounding check looks at first (see ``LogisticRegression._check_rounding``)
ROUNDING_PROBE_ROWS = 50_000


def _full_value(objective: Objective, theta: np.ndarray) -> float:
    """The objective at ``theta`` with its non-smooth part (l1) too."""
    return objective.loss(theta) + objective.penalty.nonsmooth_value(objective.weights(theta))


def choose_solver(objective: Objective, sparse: bool) -> str:
    """The solver ``solver="auto"`` uses for this problem (the measurements behind it: benchmarks/RESULTS.md).

    - Small data (``n * d <= 1e6``) and at most 1,000 parameters: Newton (Cholesky for the binary head,
      conjugate gradients for the softmax head). Time there is overhead per iteration, and Newton takes a
      handful of iterations where L-BFGS may take dozens, and reaches statsmodels' optimum at tight tol.
    - Binary head, sparse: Newton-CG (Jacobi-preconditioned conjugate gradients on Hessian-vector products
      that reuse each row's curvature within a step): text-like data is ill-conditioned, and L-BFGS needs
      several times more passes over it.
    - Otherwise L-BFGS: on large dense data one Hessian pass costs about ``d / 10`` gradient passes, while
      L-BFGS needs a few one-pass evaluations on well-conditioned data; for the softmax head Newton-CG takes
      more passes than L-BFGS at the default tol.
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


def check_finite(X, estimator) -> None:
    """scikit-learn's test of X for NaN and infinity (same errors, same ``assume_finite`` setting), with its
    first step, a sum of X, on the estimator's ``n_jobs`` threads."""
    if get_config()["assume_finite"]:
        return
    values = X.data if sp.issparse(X) else X
    if not finite_sum(values, resolve_n_jobs(estimator.n_jobs)):
        _assert_all_finite(values, estimator_name=type(estimator).__name__, input_name="X")


class _WarmData:
    """What a fit with ``warm_start=True`` on an in-memory sparse X keeps for the next fit on the same data.

    The kept :class:`~oneuron.data.MemorySource` carries what a fit builds from X (its row blocks and, once
    proximal Newton asked for it, the CSC copy of X), and :attr:`evaluation` is the last evaluation of a
    proximal Newton fit: the data term at the final point, which is the next fit's warm start (a
    regularization path changes only the penalty there, :meth:`Objective.rebase`).

    The next fit reuses them only on the data they were made from: the same X object holding the same three
    arrays (the row blocks are views of them), whose content has not changed since (its
    :func:`csr_fingerprint`: an in-place edit of ``X.data``, ``X.indices`` or ``X.indptr`` goes unseen only by a
    64-bit collision), the same encoded labels and sample weights (compared exactly with the source's own
    copies: n numbers each), the same number of classes and of threads. X is checked by a fingerprint rather
    than against a kept copy compared entry by entry: both read X once per fit, and cost about the same (the
    copy also a write of X when the data change), but the fingerprint keeps 64 bits where the copy would keep
    X's non-zeros a second time. Without numba there is no fingerprint, and nothing is kept.
    """

    __slots__ = ("source", "fingerprint", "arrays", "n_classes", "evaluation")

    def __init__(self, source: MemorySource, fingerprint: tuple, n_classes: int, evaluation=None):
        self.source = source
        self.fingerprint = fingerprint
        X = source.X
        self.arrays = (X.data, X.indices, X.indptr)  # the objects the source's row blocks are views of
        self.n_classes = n_classes
        self.evaluation = evaluation

    @classmethod
    def for_fit(cls, kept, X, fingerprint: tuple, y, sample_weight, n_jobs, n_classes: int) -> _WarmData:
        """The kept source and evaluation when ``kept`` (None, or the last fit's) was made on these data, else
        a new source. The source holds arrays of its own (``y`` is the fit's encoding, the weights are copied),
        so that no later edit of the caller's arrays reaches them."""
        if kept is not None and kept._made_on(X, fingerprint, y, sample_weight, n_jobs, n_classes):
            return cls(kept.source, fingerprint, n_classes, kept.evaluation)
        source = MemorySource(X, y, sample_weight.copy(), n_jobs=n_jobs, n_classes=n_classes)
        return cls(source, fingerprint, n_classes)

    def holds(self, X, fingerprint: tuple | None) -> bool:
        """Whether ``X`` (of that fingerprint) is the matrix the kept source reads, unchanged."""
        return (
            X is self.source.X
            and all(a is b for a, b in zip((X.data, X.indices, X.indptr), self.arrays, strict=True))
            and fingerprint is not None
            and fingerprint == self.fingerprint
        )

    def _made_on(self, X, fingerprint: tuple, y, sample_weight, n_jobs, n_classes: int) -> bool:
        source = self.source
        return (
            self.holds(X, fingerprint)
            and n_classes == self.n_classes
            and resolve_n_jobs(n_jobs) == source.n_jobs
            and y.dtype == source.y.dtype
            and np.array_equal(y, source.y)
            and sample_weight.dtype == source.sample_weight.dtype
            and np.array_equal(sample_weight, source.sample_weight)
        )

    def start(self, x0: np.ndarray):
        """The kept evaluation when its point is ``x0``, bit for bit (the solver's first evaluation is then
        :meth:`Objective.rebase`: no pass), else ``x0``."""
        theta = None if self.evaluation is None else self.evaluation.theta
        if theta is not None and theta.shape == x0.shape and theta.tobytes() == x0.tobytes():
            return self.evaluation
        return x0

    def keep(self, objective: Objective, evaluation) -> None:
        """Keep ``evaluation`` (a proximal Newton fit's last, on this source; None after other solvers) for the
        next fit, unless its per-row state (one number per row, or per row and class) outnumbers X's stored
        values."""
        source = self.source
        small = source.n_samples * objective.n_rows <= max(source.n_samples, source.X.nnz)
        ours = evaluation is not None and evaluation.objective.source is source
        self.evaluation = evaluation if ours and small else None


class LogisticRegression(LinearClassifierMixin, SparseCoefMixin, BaseEstimator):
    """Logistic regression as one neuron: ``p = sigmoid(X @ w + b)``, trained on binary cross-entropy.

    With three or more classes the neuron becomes a softmax layer (multinomial logistic regression). The
    objective and its optimum are scikit-learn's ``LogisticRegression``'s (see
    :class:`~oneuron._objective.Objective`), so coefficients agree with it.

    The parameters are scikit-learn 1.9's (same names, defaults, meaning, warnings and errors; the constraints
    are in :mod:`oneuron._params`), plus oneuron's own solvers and options.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet", None, "firth"}, default="deprecated"
        Deprecated in scikit-learn 1.8 in favour of ``l1_ratio`` and ``C`` (setting it warns as there), except
        oneuron's ``"firth"``: Firth's bias-reduced regression (maximizes ``loglik + 0.5 log det I``; two
        classes), finite even on separated data, with its own Fisher-scoring solver (``solver`` is ignored).
        The intercept is never penalized.
    C : float, default=1.0
        Inverse regularization strength; ``C=np.inf`` means no penalty.
    l1_ratio : float, default=0.0
        Share of l1 in the penalty, in [0, 1]: 0 is l2, 1 is l1 (lasso), in between elastic net, as in
        scikit-learn 1.8+.
    dual : bool, default=False
        Only False: oneuron solves the primal problem (``True`` raises, naming the reason).
    tol : float, default=1e-4
        Stopping tolerance: on ``max|gradient|`` for gd/lbfgs/newton, on the minimum-norm subgradient for
        prox; on the change of the cost for gd with ``stopping="cost"``.
    fit_intercept : bool, default=True
    intercept_scaling : float, default=1
        Accepted for scikit-learn compatibility; no effect, since the intercept is never penalized (it is
        liblinear's device to lessen the penalty on its synthetic intercept feature).
    class_weight : dict, "balanced" or None
        Weights per class, multiplied into the sample weights (as scikit-learn).
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of the mini-batch solvers ("sgd", "adam"); None means a fixed seed (0), so fits
        repeat. The full-batch solvers are deterministic and ignore it.
    solver : str, default="auto"
        oneuron's: ``"gd"`` is the lesson's batch gradient descent; ``"prox"`` proximal Newton, the solver for
        an l1 part; ``"newton"``, ``"lbfgs"``; ``"auto"`` picks the fastest for the problem. ``"sgd"`` and
        ``"adam"`` are mini-batch solvers: ``fit`` runs ``max_iter`` epochs of shuffled mini-batches,
        ``partial_fit`` one update per mini-batch. scikit-learn's names are accepted, with its rules on which
        penalties each takes, and run the oneuron solver that reaches the same optimum (the table in
        :mod:`oneuron._params`): lbfgs -> lbfgs, newton-cg / newton-cholesky -> newton, sag / saga /
        liblinear -> "auto".
    max_iter : int, optional
        Iteration cap; by default 10,000 for gd, 1,000 for lbfgs, 100 for newton. ``0`` fits nothing: the
        coefficients stay at their start (zeros, or the current ones with ``warm_start``), ``n_iter_ == 0``.
    verbose : int, default=0
        ``1`` shows a progress bar in a terminal (fits over about a second) and prints the cost at every
        iteration elsewhere (the lesson's ``debug``); ``>= 2`` always prints (see :mod:`oneuron._progress`).
    warm_start : bool, default=False
        Start a new ``fit`` from the current coefficients. With an in-memory scipy.sparse X the model also
        keeps what its fit built from the data, for the next ``fit`` on the same data (a regularization path
        over ``C``): a reference to X, copies of the encoded labels and sample weights, the column (CSC) copy
        of X's non-zeros that ``solver="prox"`` (an l1 part) makes (for two classes, at the first fit), and
        that solver's last evaluation (a gradient, and one number per row, or per row and class). The next fit
        reuses them only if X (by a 64-bit fingerprint of its entries: in-place edits are seen), the labels and
        the weights are unchanged, and then starts without a pass over X when the coefficients are still those
        of the last fit; its coefficients are those a fit without them gives. They are never pickled, copied,
        cloned or saved; a fit on other data, on dense data or with ``warm_start=False`` drops them. Without
        numba nothing is kept.
    n_jobs : int, optional
        Threads used to evaluate the objective (all cores by default).
    learning_rate : float or "auto", default="auto"
        Step size of ``solver="gd"`` (the lesson's alpha); "auto" is a backtracking step, which converges
        even on unscaled data.
    stopping : {"gradient", "cost"}, default="gradient"
        Stopping rule of ``solver="gd"``: ``"gradient"`` stops when ``max|gradient| <= tol``, as every other
        solver; ``"cost"`` is the lesson's ``|J - J_last| < tol``, which can stop far from the optimum where
        the cost is flat (a ConvergenceWarning cannot tell).
    batch_size : int, default=256
        Rows per mini-batch update of the mini-batch solvers ("sgd", "adam"; see :meth:`partial_fit`).
    momentum : float, default=0.9
        Momentum of ``solver="sgd"`` (0 for plain stochastic gradient descent).
    statistics : {"auto", True, False}, default="auto"
        Compute at the end of ``fit`` what :meth:`summary` needs (the information matrix, the sandwich's
        "meat" and the log-likelihoods: one pass over the data, forming ``k x k`` matrices for ``k``
        parameters), so that ``summary()`` works without the data, after pickling and after
        ``oneuron.save``/``load``. ``"auto"`` does so for smooth penalties (None, "l2", "firth") when
        ``k <= 1000`` and ``n_samples * k**2 <= 1e9``; beyond that ``summary(X=..., y=...)`` computes them
        from given data. The model keeps no reference to its training data (but with ``warm_start`` on
        sparse data, until the next fit; never in pickles or model files).

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
    converged_ : bool
        Whether the solver met ``tol`` within ``max_iter``.
    target_name_ : str or None
        Name of the target (``y.name`` of a pandas Series; the formula's left-hand side), shown by
        :meth:`summary`.
    formula_ : FormulaSpec
        Only for models fitted by :func:`~oneuron.logit`: the formula's encoding, applied to DataFrames given
        to ``predict``, ``predict_proba``, ``summary``, ...
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> from oneuron import LogisticRegression
    >>> model = LogisticRegression(max_iter=1000).fit(X, y)
    >>> model.classes_.tolist(), model.coef_.shape
    ([0, 1, 2], (3, 4))
    >>> model.predict(X[[0, 50, 100]]).tolist()
    [0, 1, 2]
    >>> round(model.score(X, y), 3)
    0.973
    >>> # the lesson's gradient descent, with its loss after every iteration
    >>> gd = LogisticRegression(solver="gd").fit(X[:100], y[:100] == 1)
    >>> gd.loss_curve_[0] > gd.loss_curve_[-1]
    True
    """

    _parameter_constraints: dict = LR_CONSTRAINTS

    def __init__(
        self,
        penalty="deprecated",
        *,
        C=1.0,
        l1_ratio=0.0,
        dual=False,
        tol=1e-4,
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        random_state=None,
        solver="auto",
        max_iter=None,
        verbose=0,
        warm_start=False,
        n_jobs=None,
        learning_rate="auto",
        stopping="gradient",
        batch_size=256,
        momentum=0.9,
        statistics="auto",
    ):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.learning_rate = learning_rate
        self.stopping = stopping
        self.batch_size = batch_size
        self.momentum = momentum
        self.statistics = statistics

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
        self._validate_params()  # the constraints table of oneuron._params, as scikit-learn checks it
        before = dict(self.__dict__)
        try:
            return self._fit(X, y, sample_weight)
        except BaseException:
            # a failed or interrupted fit (Ctrl-C included) leaves the estimator as it was
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_warm_data", None)  # a reference to the training data and copies of it (see _WarmData)
        return state

    def _fit(self, X, y, sample_weight):
        self.__dict__.pop("_online", None)  # a fit starts afresh; partial_fit continues
        kept = self.__dict__.pop("_warm_data", None)  # only a warm-started fit on sparse data keeps it again
        self.__dict__.pop("formula_", None)  # oneuron.logit sets it after its fit
        name = getattr(y, "name", None)
        self.target_name_ = None if name is None else str(name)
        if is_external(X):  # a file source or a dask collection: data stays where it is
            source, classes = external_source(self, X, y, sample_weight)
            return self._solve(source, classes, sparse=False)
        if self.solver in OPTIMIZERS:
            from oneuron._online import fit_epochs

            return fit_epochs(self, X, y, sample_weight)
        fingerprint = None

        def checked_before(X) -> bool:
            """Whether X is the matrix of the last warm-started fit, unchanged (checked for NaN then)."""
            nonlocal fingerprint
            fingerprint = csr_fingerprint(X) if self.warm_start else None  # None: dense X, or no numba
            return kept is not None and kept.holds(X, fingerprint)

        X, classes, y_source, sample_weight = self._training_data(X, y, sample_weight, checked_before)
        n_classes = len(classes)
        sample_weight, C = checks.rescale_sample_weight(sample_weight, self.C)  # sums beyond 1e30: scaled, exactly
        sample_weight = sample_weight.astype(X.dtype, copy=False)
        if fingerprint is None:
            source = MemorySource(X, y_source, sample_weight, n_jobs=self.n_jobs, n_classes=n_classes)
            return self._solve(source, classes, sp.issparse(X), C=C, X=X)
        warm = _WarmData.for_fit(kept, X, fingerprint, y_source, sample_weight, self.n_jobs, n_classes)
        self._solve(warm.source, classes, True, C=C, X=X, warm=warm)
        self._warm_data = warm
        return self

    def _solve(self, source, classes, sparse: bool, C=None, X=None, warm: _WarmData | None = None):
        """Build the objective over ``source`` and run the solver; sets the fitted attributes.

        ``C`` overrides ``self.C`` (rescaled with extreme sample weights); ``X``, when in memory, is named in
        the error an arithmetic overflow turns into. ``warm``: what the last fit kept on these data (see
        :class:`_WarmData`); proximal Newton starts from its evaluation when that is at the start point, and
        this fit's last evaluation is kept in it.
        """
        # a file or Dask source scales extreme weights itself (as rescale_sample_weight does in memory)
        C = (self.C if C is None else C) * getattr(source, "C_scale", 1.0)
        checks.check_C(C, source.total_weight, self.C)
        n_classes = len(classes)
        kind, l1_ratio, solver = resolve(self, n_classes)  # scikit-learn's semantics, warnings and errors
        firth = kind == "firth"
        if firth and n_classes > 2:
            raise ValueError("penalty='firth' supports two classes only; use penalty=None or 'l2' with more classes.")
        penalty = Penalty.from_params(None if firth else kind, C, source.total_weight, l1_ratio)
        objective = Objective(source, n_classes, penalty, self.fit_intercept)
        checks.check_model_size(objective.n_params, n_classes, objective.n_features)

        solver = solver if solver != "auto" else choose_solver(objective, sparse)
        max_iter = DEFAULT_MAX_ITER[solver] if self.max_iter is None else self.max_iter
        options = {"learning_rate": self.learning_rate, "stop": self.stopping} if solver == "gd" else {}
        x0 = self._start(objective.layout, classes)

        monitor = FitMonitor(self.verbose, max_iter, description=solver)  # loss_curve_, verbose, progress bar
        solve = start_point if max_iter == 0 else firth_solve if firth else SOLVERS[solver]
        if self.solver == "auto" and not firth and max_iter != 0:
            solve = subsample.strategy(solve, objective)  # tall data: start from a row subsample's optimum
        # the last fit's final evaluation, at this start: prox takes it (only prox, and not a subsample's fit,
        # whose objective is on other rows)
        warm_prox = warm is not None and solve is SOLVERS["prox"]
        start = warm.start(x0) if warm_prox else x0
        if warm_prox and objective.is_binary:
            # a regularization path, most likely: the column copy X's working sets are read from, made at its
            # first fit (its small working sets would otherwise each scan the rows), serves all of its fits
            source.sparse_columns()
        hint = ", or lower learning_rate" if solver == "gd" and self.learning_rate != "auto" else ""
        try:
            # parallelism is over blocks (n_jobs), not inside BLAS
            with blas_single_thread(), checks.overflow_as_value_error(X, hint):
                result = solve(objective, start, tol=self.tol, max_iter=max_iter, callback=monitor, **options)
        finally:
            monitor.close()
        if not np.all(np.isfinite(result.x)):
            raise checks.NonFiniteError(
                f"{solver} ended with NaN or infinite coefficients ({result.message or 'diverged'}); scale the features"
                f"{hint or ' or check the sample and class weights'}."
            )
        if not result.converged:
            warn_not_converged(self.solver, solver, result.n_iter, max_iter, result.message)
        # scikit-learn's dtypes: float32 data gives float32 coefficients (liblinear's are always float64)
        dtype = np.float64 if self.solver == "liblinear" else source.dtype
        self._set_coefficients(objective.layout, result.x, classes, dtype)
        self.solver_ = solver
        self.converged_ = bool(result.converged)
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.loss_curve_ = monitor.loss_curve
        self.objective_value_ = result.fun
        self.n_passes_ = objective.n_passes
        if not firth:  # Firth's estimate does not minimize the objective
            self._check_rounding(objective, x0, result)
        self._after_fit(objective, result, penalty, firth)
        if warm is not None:
            warm.keep(objective, result.evaluation if warm_prox else None)
        return self

    def _check_rounding(self, objective: Objective, x0: np.ndarray, result) -> None:
        """Warn when the coefficients as kept (float32 for float32 data) lose what the solver found.

        The solver works in float64. Rounding a coefficient to float32 moves it by up to ``eps32 / 2`` of
        itself, so ``z = x.w + b`` moves by up to ``eps32 / 2 * (sum_j |x_j w_j| + |b|)``: nothing where
        ``|z|`` is of that size, but where large collinear features cancel (``|z| << sum_j |x_j w_j|``) it can
        undo the fit. Warned: rounding raises the objective above its value at the start, or by more than
        ``eps32`` of it (the objective's own float32 resolution). For float32 data only; rows in memory beyond
        :data:`ROUNDING_PROBE_ROWS` are looked at only where the first ones show a rise (two evaluations on
        those rows): otherwise a pass or two over all rows.
        """
        if self.coef_.dtype == np.float64:
            return
        eps = np.finfo(self.coef_.dtype).eps
        kept = objective.layout.from_coef(self.coef_, self.intercept_)
        probe = objective.head(ROUNDING_PROBE_ROWS)
        if probe is not None:
            at_optimum = _full_value(probe, result.x)
            if not _full_value(probe, kept) > at_optimum + eps * abs(at_optimum):
                return
        rounded = _full_value(objective, kept)
        if not rounded > result.fun:
            return
        start = _full_value(objective, x0)
        if rounded > min(start, result.fun + eps * abs(start)):
            warnings.warn(
                f"the coefficients rounded to {self.coef_.dtype} (the dtype of X) lose the fit: the objective rises "
                f"from {result.fun:.7g} to {rounded:.7g} (at the start: {start:.7g}). Large collinear features "
                "cancel in X @ w by more than float32 resolves; fit float64 data (X.astype(np.float64)) or scale "
                "the features (e.g. StandardScaler).",
                ConvergenceWarning,
                stacklevel=5,
            )

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
            self._statistics = fit_statistics(objective, result.x, firth=firth, evaluation=evaluation)

    def _penalty_params(self):
        """``(penalty, C, l1_ratio)`` of the objective the fitted coefficients minimize (scikit-learn's
        semantics of ``penalty`` and ``l1_ratio``, resolved without warnings)."""
        resolved = resolve(self, warn=False)
        return resolved.penalty, self.C, resolved.l1_ratio

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

    def _training_data(self, X, y, sample_weight, checked_before=None):
        """Validated ``X``, the sorted classes, ``y`` encoded for the objective (0/1 in X's dtype for two
        classes, int32 class indices otherwise) and the sample weights with ``class_weight`` applied.

        ``checked_before(X)``, when given, says whether the validated X is known to hold no NaN or infinity
        (the unchanged matrix of an earlier fit): its check is then skipped.
        """
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], y_numeric=False, ensure_all_finite=False
        )
        if checked_before is None or not checked_before(X):
            check_finite(X, self)
        if not (y.ndim == 1 and y.dtype.kind in "biu"):  # 1-d integer labels always are (type_of_target is slow)
            check_classification_targets(y)
        classes, y_index = checks.unique_labels(y)
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
        checks.check_class_weight(self.class_weight)
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

    def _set_coefficients(self, layout: Layout, theta: np.ndarray, classes, dtype=np.float64) -> None:
        self.classes_ = classes
        coef, intercept = layout.to_coef(theta)
        self.coef_, self.intercept_ = coef.astype(dtype), intercept.astype(dtype)

    # -- inference --------------------------------------------------------------------------------------
    def summary(
        self,
        cov_type="nonrobust",
        alpha=0.05,
        *,
        X=None,
        y=None,
        sample_weight=None,
        groups=None,
        cov_kwds=None,
        odds_ratios=False,
    ):
        """Standard errors, z, p-values, intervals and model statistics, laid out as statsmodels' summary.

        Parameters
        ----------
        cov_type : {"nonrobust", "HC0", "HC1", "cluster"}, default="nonrobust"
            Inverse information; White's sandwich (HC1: times ``n / (n - k)``); or cluster-robust (CRV1, as
            statsmodels' ``cov_type="cluster"``), which needs ``groups`` and the data ``X, y``.
        alpha : float, default=0.05
            The intervals have coverage ``1 - alpha``.
        X, y, sample_weight : optional
            Data to compute the statistics on (the training data, as in ``fit``); by default the statistics
            computed at the end of ``fit`` (see the ``statistics`` parameter), which the model keeps instead of
            the data. A model from :func:`~oneuron.logit` takes the DataFrame as ``X`` and reads ``y`` from it.
        groups : array-like, or str (formula models), optional
            ``cov_type="cluster"``: one cluster label per row of ``X``, or two columns of labels for two-way
            clustering; for a formula model also column name(s) of the DataFrame.
        cov_kwds : dict, optional
            statsmodels' spelling: ``{"groups": groups}``.
        odds_ratios : bool, default=False
            Also print the odds ratios (relative risk ratios for a multinomial model) with their intervals;
            they are always available as ``summary.odds_ratios``.

        Returns
        -------
        Summary
            ``.table`` (pandas DataFrame) and the model statistics; ``print(summary)`` shows them.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_breast_cancer
        >>> from oneuron import LogisticRegression
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> model = LogisticRegression(C=np.inf).fit(X[:, :3], y)
        >>> model.summary().table.columns.tolist()
        ['coef', 'std_err', 'z', 'p_value', 'ci_lower', 'ci_upper']
        >>> groups = np.arange(len(y)) % 20
        >>> model.summary(cov_type="cluster", groups=groups, X=X[:, :3], y=y).n_groups
        (20,)
        """
        check_is_fitted(self)
        if cov_kwds:
            unknown = set(cov_kwds) - {"groups"}
            if unknown:
                raise ValueError(f"cov_kwds supports 'groups' only, got {sorted(unknown)}.")
            groups = cov_kwds.get("groups", groups)
        if cov_type == "cluster" and (groups is None or X is None):
            raise ValueError(
                "cov_type='cluster' needs the clusters and the data the model was fitted on: "
                "summary(cov_type='cluster', groups=g, X=X, y=y)."
            )
        if cov_type != "cluster" and groups is not None:
            raise ValueError(f"groups is for cov_type='cluster', not cov_type={cov_type!r}.")
        options = {"odds_ratios": odds_ratios}
        if X is not None:
            X, y, groups = self._inference_data(X, y, groups)
            if groups is not None:
                options["cluster"] = cluster_meats(self, X, y, groups, sample_weight)
            return summarize(self, statistics_for(self, X, y, sample_weight), cov_type, alpha, **options)
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
        return summarize(self, stats, cov_type, alpha, **options)

    def marginal_effects(self, X, *, at="overall", alpha=0.05, summary=None):
        """Marginal effects ``dP/dx`` with delta-method standard errors, as statsmodels' ``get_margeff``.

        Parameters
        ----------
        X : array-like or DataFrame
            The rows to average over (the training data for statsmodels' numbers); a DataFrame with the
            formula's columns for a :func:`~oneuron.logit` model.
        at : {"overall", "mean"}, default="overall"
            Average of the effects over the rows, or the effects at the rows' mean.
        alpha : float, default=0.05
        summary : Summary, optional
            Whose covariance to use (e.g. ``summary(cov_type="cluster", ...)``); by default ``summary()``.

        Returns
        -------
        pandas.DataFrame
            Columns ``dydx, std_err, z, p_value, ci_lower, ci_upper``; indexed by term, or by
            ``(class, term)`` for every class of a multinomial model.

        Examples
        --------
        >>> from sklearn.datasets import load_breast_cancer
        >>> from oneuron import LogisticRegression
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> model = LogisticRegression(penalty=None).fit(X[:, :2], y)
        >>> model.marginal_effects(X[:, :2]).columns.tolist()
        ['dydx', 'std_err', 'z', 'p_value', 'ci_lower', 'ci_upper']
        """
        from oneuron._margins import marginal_effects

        check_is_fitted(self)
        X = self._numeric(X, drop_missing=True)
        return marginal_effects(self, self.summary() if summary is None else summary, X, at, alpha)

    def predict_interval(self, X, *, alpha=0.05, summary=None):
        """Predicted probabilities with delta-method standard errors and intervals, as statsmodels'
        ``get_prediction(X).summary_frame()``.

        Parameters
        ----------
        X : array-like or DataFrame
            Rows to predict (a DataFrame with the formula's columns for a :func:`~oneuron.logit` model).
        alpha : float, default=0.05
        summary : Summary, optional
            Whose covariance to use; by default ``summary()``.

        Returns
        -------
        pandas.DataFrame
            Columns ``predicted, se, ci_lower, ci_upper`` (the probability of ``classes_[1]``);
            for a multinomial model the same four under each class (two-level columns).

        Examples
        --------
        >>> from sklearn.datasets import load_breast_cancer
        >>> from oneuron import LogisticRegression
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> model = LogisticRegression(penalty=None).fit(X[:, :2], y)
        >>> model.predict_interval(X[:3, :2]).columns.tolist()
        ['predicted', 'se', 'ci_lower', 'ci_upper']
        """
        from oneuron._margins import predictions

        check_is_fitted(self)
        X = self._numeric(X)
        return predictions(self, self.summary() if summary is None else summary, X, alpha)

    def _design(self, X):
        """A DataFrame through the formula of a :func:`~oneuron.logit` model; anything else as it is."""
        spec = getattr(self, "formula_", None)
        return spec.design(X) if spec is not None and hasattr(X, "columns") else X

    def _numeric(self, X, drop_missing: bool = False) -> np.ndarray:
        spec = getattr(self, "formula_", None)
        if spec is not None and hasattr(X, "columns"):
            X = spec._select(spec._matrix(X, "drop")) if drop_missing else spec.design(X)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        return X.toarray() if sp.issparse(X) else X

    def _inference_data(self, X, y, groups):
        """``(X, y, groups)`` for inference: a formula model's DataFrame through its formula (y and named
        group columns read from it, rows with missing values dropped as at fit)."""
        spec = getattr(self, "formula_", None)
        if spec is None or not hasattr(X, "columns"):
            return X, y, groups
        Xd, yd, g, index = spec.model_data(X, groups)
        if y is not None:
            y = np.asarray(y)[X.index.get_indexer(index)] if len(y) == len(X) else y
        return Xd, yd if y is None else y, g

    # -- prediction: the neuron's forward pass ------------------------------------------------------------
    def decision_function(self, X) -> np.ndarray:
        """Raw scores ``z = X @ w + b``: shape (n,) for two classes, (n, n_classes) otherwise."""
        if is_external(X):  # dask data (lazily) or a file source (streamed)
            return predict_external(self, X, "decision_function")
        check_is_fitted(self)
        X = validate_data(self, self._design(X), accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        dt = X.dtype
        coef = self.coef_.toarray() if sp.issparse(self.coef_) else self.coef_  # after sparsify()
        with checks.overflow_as_value_error(X):
            if len(self.classes_) == 2:
                return np.asarray(neuron.forward(X, coef[0].astype(dt), dt.type(self.intercept_[0])))
            return np.asarray(neuron.forward_multi(X, coef.astype(dt), self.intercept_.astype(dt)))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in the order of ``classes_`` (float64)."""
        if is_external(X):  # dask data (lazily) or a file source (streamed)
            return predict_external(self, X, "predict_proba")
        z = np.asarray(self.decision_function(X), dtype=np.float64)  # float32 would round p to 1
        if z.ndim == 1:
            # sigmoid(-z), not 1 - p: keeps the tiny probabilities that 1 - p rounds to 0
            return np.column_stack([neuron.sigmoid(-z), neuron.sigmoid(z)])
        return neuron.softmax(z)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed without taking log(0)."""
        if is_external(X):  # dask data (lazily) or a file source (streamed)
            return predict_external(self, X, "predict_log_proba")
        z = np.asarray(self.decision_function(X), dtype=np.float64)
        if z.ndim == 1:
            return np.column_stack([neuron.log_sigmoid(-z), neuron.log_sigmoid(z)])
        return z - neuron.logsumexp(z)[:, None]

    def predict(self, X) -> np.ndarray:
        """Most probable class of each row."""
        if is_external(X):  # dask data (lazily) or a file source (streamed)
            return predict_external(self, X, "predict")
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
