"""Property-based tests: whatever the data, the model is a valid, deterministic, order-free classifier.

Hypothesis draws the *shape* of a problem (rows, features, classes, dtype, scale 1e-8..1e8, duplicate rows,
constant and collinear columns, extreme sample weights, dense or sparse, C- or F-order) and a seed; numpy
draws the numbers from the seed. The number of examples comes from the hypothesis profile registered in
``conftest.py``: a few hundred in ``make test``, more than 10,000 with ``make test-slow``.

Yardsticks. Fits use a tight tolerance, so two fits of the same problem reach the same optimum up to
rounding. Where the optimum is well determined the coefficients themselves agree; but collinear columns, scales
far from 1 and separable samples make it ill-conditioned: rounding-level differences in the summation order
then move the coefficients along almost-flat directions by far more than 1e-8 while the objective and the
predictions do not move. So every comparison is made on what the user sees and what the optimum is defined
by: the objective value (to 1e-8 of its value at w = 0) and the predicted probabilities (to 1e-6, averaged
over the rows with their sample weights), never on raw coefficients; and only where both fits did reach the
optimum (see ``test_invariant_to_row_order_and_memory_layout``). ``--hypothesis-show-statistics`` shows how
often each comparison was made.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from oneuron import LogisticRegression
from oneuron._objective import Objective
from oneuron._penalty import Penalty
from oneuron.data import MemorySource

DTYPES = ("float64", "float32", "int", "bool")


@dataclass
class Problem:
    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray | None
    sparse: bool
    order: str
    description: str

    def data(self, X=None):
        """``X`` in the problem's layout (C/F order, or CSR)."""
        X = self.X if X is None else X
        if self.sparse:
            return sp.csr_matrix(X)
        return np.asarray(X, order=self.order)


def make_problem(
    n_classes, n_features, n_samples, dtype, log_scale, n_duplicates, constant, collinear, weights, sparse, order, seed
) -> Problem:
    """The problem :func:`problems` draws for these choices (numpy draws the numbers from ``seed``)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    # labels with some signal (so that optima are interesting) and every class present
    W = rng.standard_normal((n_classes, n_features))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n_samples, n_classes)), axis=1)
    y[:n_classes] = np.arange(n_classes)
    if constant:
        X[:, rng.integers(n_features)] = rng.standard_normal()
    if collinear and n_features > 1:
        i, j = rng.choice(n_features, 2, replace=False)
        X[:, j] = rng.standard_normal() * X[:, i]
    if n_duplicates:
        rows = rng.integers(n_samples, size=n_duplicates)
        X, y = np.vstack([X, X[rows]]), np.concatenate([y, y[rows]])
    if dtype == "int":
        X = np.rint(X * max(10.0**log_scale, 1.0)).astype(np.int64)
    elif dtype == "bool":
        X = X > 0
    else:
        X = (X * 10.0**log_scale).astype(dtype)
    n = len(y)
    sample_weight = {
        "none": None,
        "uniform": rng.uniform(0.5, 2.0, n),
        "extreme": 10.0 ** rng.uniform(-8, 8, n),
        "some zero": np.where(rng.random(n) < 0.3, 0.0, 1.0),
    }[weights]
    if sample_weight is not None:
        sample_weight[:n_classes] = 1.0  # keep every class's weight positive
    description = (
        f"n={n} d={n_features} K={n_classes} {dtype} scale=1e{log_scale:.1f} dup={n_duplicates} "
        f"const={constant} collinear={collinear} weights={weights} sparse={sparse} order={order} seed={seed}"
    )
    return Problem(X, y, sample_weight, sparse, order, description)


@st.composite
def problems(draw, dtypes=DTYPES, max_classes=10, weights=("none", "uniform", "extreme", "some zero")):
    """A classification problem with the features that usually break things."""
    n_classes = draw(st.integers(2, max_classes))
    n_features = draw(st.integers(1, 8))
    n_samples = draw(st.integers(2 * n_classes, 60))
    return make_problem(
        n_classes,
        n_features,
        n_samples,
        dtype=draw(st.sampled_from(dtypes)),
        log_scale=draw(st.floats(-8, 8)),
        n_duplicates=draw(st.integers(0, 10)),
        constant=draw(st.booleans()),
        collinear=draw(st.booleans()),
        weights=draw(st.sampled_from(weights)),
        sparse=draw(st.booleans()),
        order=draw(st.sampled_from("CF")),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def fit(problem: Problem, X=None, y=None, sample_weight=None, **params) -> LogisticRegression:
    """Fit with RuntimeWarning as an error; a ConvergenceWarning (rounding floor on hard cases) is allowed.

    ``model.converged`` records whether the solver met the tolerance, ``model.rounding_lost`` whether the fit
    warned that its float32 coefficients lose what the float64 solver found.
    """
    params = {"tol": 1e-10, "max_iter": 300, **params}
    X = problem.data(X)
    y = problem.y if y is None else y
    sw = problem.sample_weight if sample_weight is None else sample_weight
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("always", ConvergenceWarning)
        model = LogisticRegression(**params).fit(X, y, sample_weight=sw)
    model.converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    model.rounding_lost = any("coefficients rounded to float32" in str(w.message) for w in caught)
    return model


def _objective(problem: Problem, model: LogisticRegression):
    X = np.asarray(problem.X, dtype=np.float64)
    y = np.searchsorted(model.classes_, problem.y)
    K = len(model.classes_)
    sw = np.ones(len(y)) if problem.sample_weight is None else problem.sample_weight
    source = MemorySource(X, y.astype(np.float64) if K == 2 else y.astype(np.int32), sw)
    objective = Objective(source, K, Penalty.from_params("l2", model.C, source.total_weight), True)
    # in float64 whatever the model's dtype (a float32 fit keeps float32 coefficients, as scikit-learn)
    coef, intercept = np.asarray(model.coef_, np.float64), np.asarray(model.intercept_, np.float64)
    b = float(intercept[0]) if K == 2 else intercept
    return objective, objective.join(coef, b)


def objective_at(problem: Problem, model: LogisticRegression) -> float:
    """The float64 objective of ``problem`` at ``model``'s coefficients: one yardstick for every fit."""
    objective, theta = _objective(problem, model)
    return objective.loss(theta)


def gradient_at(problem: Problem, model: LogisticRegression) -> float:
    """``max |gradient|`` of the float64 objective at ``model``'s coefficients, in units of the features' scale.

    The gradient for ``w_j`` is proportional to the size of feature ``j``; dividing by ``max |X_j|`` makes the
    test the same for features of size 1e-8 and 1e8 (it is the gradient for the features scaled to 1).
    """
    objective, theta = _objective(problem, model)
    g_w, g_b = objective.split(objective.gradient(theta))
    column_scale = np.max(np.abs(np.asarray(problem.X, dtype=np.float64)), axis=0)
    g_w = np.asarray(g_w) / np.where(column_scale > 0, column_scale, 1.0)
    return float(max(np.max(np.abs(g_w)), np.max(np.abs(g_b))))


def at_optimum(problem: Problem, model: LogisticRegression, within: float = 1e-9) -> bool:
    """Whether ``model`` is certified within ``within`` (relative to ``F(0)``) of the optimum.

    By the Newton decrement: ``F(theta) - F* ~ g.H^-1 g / 2``, exact for a quadratic, and the log-loss is that
    close to one near its optimum. Not by the penalty's modulus ``lam = 1 / (C S)`` alone (``|g|^2 / (2 lam)``):
    the intercepts are not penalized, so moving ``c t`` from a constant column's weight into the intercepts
    (``w_j + t``, ``b - c t``) leaves the data term as it is, and ``F``'s curvature that way is
    ``lam / (1 + c^2)``; with two constant columns of 5 and -20, ``lam / 426``. Nor by a small gradient alone:
    with weights summing to 1e9, ``lam`` is 1e-9.

    ``H`` is scaled to a unit diagonal; the softmax's common shift of the intercepts, along which ``F`` is
    constant, is left out, and a curvature below 1e-12 of the largest (float64 does not resolve it) counts as that.
    """
    objective, theta = _objective(problem, model)
    g, H = objective.gradient(theta), objective.hessian(theta)
    if not objective.is_binary:
        shift = ~objective.layout.penalized / np.sqrt(objective.n_classes)
        P = np.eye(len(g)) - np.outer(shift, shift)
        g, H = P @ g, P @ H @ P
    d = np.sqrt(np.maximum(np.diag(H), np.finfo(float).tiny))
    curvature, U = np.linalg.eigh(H / np.outer(d, d))
    g_along = U.T @ (g / d)
    gap = 0.5 * np.sum(g_along**2 / np.maximum(curvature, 1e-12 * curvature.max()))
    return bool(gap <= within * objective_at(problem, _zero_model(model)))


def assert_same_optimum(problem: Problem, a: LogisticRegression, b: LogisticRegression, *, rtol=1e-8, atol=1e-6):
    """Two fits of one problem reached the same optimum: equal objective values and predictions.

    Objective values are compared relative to the objective at ``w = 0`` (the start, ``log K`` without
    weights): near-separable problems have optima close to 0 where a plain relative test means nothing.
    """
    fa, fb = objective_at(problem, a), objective_at(problem, b)
    scale = objective_at(problem, _zero_model(a))
    assert abs(fa - fb) <= rtol * scale, (problem.description, fa, fb)
    # probabilities: the mean difference over the rows, weighted as in the objective (a row of weight 1e-8
    # barely constrains the optimum, so its own prediction is determined only to ~1e-8 / (C S) precision).
    # Allowed: atol, or what the gradients certify where that is larger: strong convexity (modulus lam) puts
    # each fit within |grad F| / lam of the optimum, and a row's probabilities move by at most |[x 1]| times
    # the parameters' move (softmax's Jacobian has norm <= 1). On a flat, nearly separable problem two fits
    # certified within 1e-9 of the optimal objective can differ in probability by more than 1e-6.
    X = np.asarray(problem.X, dtype=np.float64)
    sw = np.ones(len(problem.y)) if problem.sample_weight is None else problem.sample_weight
    diff = np.abs(a.predict_proba(X) - b.predict_proba(X)).max(axis=1)
    (obj_a, theta_a), (obj_b, theta_b) = _objective(problem, a), _objective(problem, b)
    distance = (np.linalg.norm(obj_a.gradient(theta_a)) + np.linalg.norm(obj_b.gradient(theta_b))) / (
        obj_a.penalty.l2_strength
    )
    certified = np.sqrt(np.max(np.sum(X**2, axis=1)) + 1.0) * distance
    assert sw @ diff <= max(atol, certified) * sw.sum(), (problem.description, diff.max(), certified)


def _zero_model(model: LogisticRegression) -> LogisticRegression:
    zero = LogisticRegression(C=model.C)
    zero.classes_ = model.classes_
    zero.coef_ = np.zeros_like(model.coef_)
    zero.intercept_ = np.zeros_like(model.intercept_)
    zero.n_features_in_ = model.n_features_in_
    return zero


SOLVERS = st.sampled_from(["auto", "gd", "lbfgs", "newton"])


@given(problems(), SOLVERS)
# float32, sparse, collinear features of size 1e8: Newton-CG finds the optimum, which its float32 coefficients lose
@example(make_problem(2, 2, 24, "float32", 7.8, 0, False, True, "none", True, "C", seed=30), "auto")
def test_probabilities_are_valid_and_the_fit_is_clean(problem, solver):
    model = fit(problem, solver=solver, tol=1e-6)
    X = problem.data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        proba = model.predict_proba(X)
        log_proba = model.predict_log_proba(X)
        predicted = model.predict(X)
    assert proba.shape == (len(problem.y), len(np.unique(problem.y)))
    assert np.all((proba >= 0) & (proba <= 1)), problem.description
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-6 if proba.dtype == np.float32 else 1e-12)
    assert np.all(np.isfinite(log_proba)) and np.all(log_proba <= 0)
    assert np.isfinite(model.objective_value_) and np.all(np.isfinite(model.loss_curve_))
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    assert set(predicted) <= set(model.classes_)
    # the fit never ends worse than where it started (w = 0 is the solvers' start): the solver's float64
    # parameters always; the coefficients as kept unless the fit warned that float32 cannot hold them (the solver
    # works in float64, and rounding w to float32 moves x.w by up to 6e-8 sum_j |x_j w_j|: on collinear features
    # of size 1e8 that cancel, by more than the fit gained)
    start = objective_at(problem, _zero_model(model))
    assert model.objective_value_ <= start * (1 + 1e-12), problem.description
    assert model.rounding_lost or objective_at(problem, model) <= start * (1 + 1e-12), problem.description


@given(problems(dtypes=("float64", "int", "bool")), st.sampled_from(["newton", "lbfgs"]))
# every column constant (5 and -20), weights spanning 1e12: L-BFGS stalled 1.8e-7 above the optimum in the flat
# direction that trades the constant columns' weights for the unpenalized intercepts
@example(
    make_problem(4, 2, 19, "int", 1.5251479600361275, 9, True, True, "extreme", True, "F", seed=493908246), "lbfgs"
)
# the one column constant (-197): L-BFGS on CSR rows stopped where F no longer falls in float64, 1.5e-7 above the
# optimum, with max|g| = 3e-7; the gradient bound |g|^2 / (2 lam) had certified it
@example(
    make_problem(4, 1, 33, "int", 2.461294697344968, 3, True, False, "uniform", False, "F", seed=4171165839), "lbfgs"
)
def test_invariant_to_row_order_and_memory_layout(problem, solver):
    """Shuffled rows, the other memory order and sparse-vs-dense reach the same optimum.

    Compared where both fits say they converged and the Newton decrement puts them within 1e-9 of the optimum
    (see :func:`at_optimum`): L-BFGS's relative-reduction test stops it where ``F`` no longer falls in float64,
    which along a nearly flat direction (a constant column against the intercepts) can be 1e-7 above the
    optimum, with ``max|g|`` far above ``tol``. On the worst drawn problems (features ~1e5 with collinear
    columns, weights spanning 1e16) the objective's condition number passes 1e16: the solvers then stop at the
    float64 rounding floor, at points that depend on the summation order, and there is no unique answer to
    compare to 1e-8.
    """
    reference = fit(problem, solver=solver)
    perm = np.random.default_rng(len(problem.y)).permutation(len(problem.y))
    sw = None if problem.sample_weight is None else problem.sample_weight[perm]
    shuffled = fit(problem, X=problem.X[perm], y=problem.y[perm], sample_weight=sw, solver=solver)
    other = Problem(problem.X, problem.y, problem.sample_weight, not problem.sparse, "FC"[problem.order == "F"], "")
    relaid = fit(other, solver=solver)
    if not reference.converged or not at_optimum(problem, reference):
        event("not compared: the reference fit did not converge, or is not certified at the optimum")
        return
    for model, name in ((shuffled, "row order"), (relaid, "layout")):
        if model.converged and at_optimum(problem, model):
            event(f"compared: {name}")
            assert_same_optimum(problem, reference, model)


@given(problems(), SOLVERS)
def test_repeated_fits_are_identical(problem, solver):
    """Bit-identical on repeated runs, also when the objective is evaluated on 2 threads."""
    first, second = fit(problem, solver=solver, tol=1e-6), fit(problem, solver=solver, tol=1e-6, n_jobs=2)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)
    assert first.loss_curve_ == second.loss_curve_
    np.testing.assert_array_equal(first.predict_proba(problem.data()), second.predict_proba(problem.data()))


@given(problems(dtypes=("float64",), weights=("none", "uniform", "some zero")))
def test_float32_is_close_to_float64(problem):
    """float32 data is fitted in float32 and lands close to the float64 fit.

    Weights spanning 1e-8..1e8 are left out here: a float32 sum over them keeps ~7 digits of the total, so
    the light rows vanish from the float32 objective and it is a different problem, not a rounded one.
    """
    m64 = fit(problem)
    m32 = fit(problem, X=problem.X.astype(np.float32), tol=1e-6)
    assert m32.coef_.dtype == np.float32  # as scikit-learn: float32 data, float32 coefficients
    assert m32.decision_function(problem.X.astype(np.float32)).dtype == np.float32
    # float32 rounds X (relative 6e-8) and sums each block in float32: where the float32 fit got near the
    # optimum (max|gradient| <= 1e-4 measured in float64; L-BFGS may also stop on its relative-reduction test,
    # which float32 noise meets early), its objective is within 1e-4 of the float64 optimum, relative to the
    # objective at w = 0, and its predictions are close in the weighted mean
    # (a float32 fit that stopped at its rounding floor says so: features of 1e6 summed in float32 can stall
    # it 1e-3 above the optimum, where its gradient, in units of the features' scale, is still under 1e-4)
    if not m32.converged or gradient_at(problem, m32) > 1e-4 or gradient_at(problem, m64) > 1e-8:
        event("not compared: a fit stopped short of its tolerance")
        return
    event("compared")
    f64, f32 = objective_at(problem, m64), objective_at(problem, m32)
    scale = objective_at(problem, _zero_model(m64))
    assert f32 >= f64 - 1e-10 * scale, problem.description  # float64 found the optimum
    assert f32 - f64 <= 1e-4 * scale, (problem.description, f64, f32)
    sw = np.ones(len(problem.y)) if problem.sample_weight is None else problem.sample_weight
    diff = np.abs(m32.predict_proba(problem.X.astype(np.float32)) - m64.predict_proba(problem.X)).max(axis=1)
    assert sw @ diff <= 1e-2 * sw.sum(), (problem.description, diff.max())


@given(st.data())
@settings(max_examples=len(DTYPES) * 5)
def test_the_strategy_reaches_every_dtype(data):
    """A guard on the generator itself: the drawn data has the dtype it claims."""
    dtype = data.draw(st.sampled_from(DTYPES))
    problem = data.draw(problems(dtypes=(dtype,)))
    expected = {"int": np.int64, "bool": np.bool_}.get(dtype, dtype)
    assert problem.X.dtype == np.dtype(expected)


def test_the_slow_profile_draws_at_least_ten_thousand_examples():
    property_tests = [
        f
        for name, f in globals().items()
        if name.startswith("test_") and "strategy" not in name and hasattr(f, "hypothesis")
    ]
    per_test = settings.get_profile("slow").max_examples
    assert len(property_tests) * per_test >= 10_000, (len(property_tests), per_test)
