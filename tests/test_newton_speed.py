"""Newton speed: kept curvature equals the one-pass product; the CG inner
solve uses scikit-learn's l1 stopping rule; the Newton-CG fit reaches the same optimum with fewer full passes."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from oneuron import LogisticRegression
from oneuron._objective import Objective
from oneuron._penalty import Penalty
from oneuron._solvers import newton
from oneuron._solvers.newton import _cg_direction
from oneuron.data import MemorySource

from .conftest import noisy_classification


def make_objective(n_classes, sparse, dtype, fit_intercept, source_cls=MemorySource, seed=0):
    rng = np.random.default_rng(seed)
    n = 501
    X = rng.normal(size=(n, 9))
    X[rng.random(X.shape) < 0.5] = 0.0
    X = X.astype(dtype)
    y = rng.integers(0, n_classes, n)
    y = y.astype(dtype) if n_classes == 2 else y.astype(np.int32)
    s = rng.uniform(0.3, 2.0, n).astype(dtype)
    source = source_cls(sp.csr_matrix(X) if sparse else X, y, s, block_rows=128)
    return Objective(source, n_classes, Penalty.from_params("l2", 0.7, source.total_weight), fit_intercept)


class ReduceOnlySource(MemorySource):
    """A source that keeps no per-block state (as a file or Dask source)."""

    keeps_blocks = False

    def reduce(self, block_fn, *args):
        parts = [block_fn(*block, *args) for block in self.blocks()]
        return [np.sum([np.asarray(p[k], dtype=np.float64) for p in parts], axis=0) for k in range(len(parts[0]))]


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_evaluation_products_equal_hessp(n_classes, sparse, dtype, fit_intercept):
    obj = make_objective(n_classes, sparse, dtype, fit_intercept)
    rng = np.random.default_rng(1)
    theta = rng.normal(size=obj.n_params)
    ev = obj.evaluate(theta, curvature=True)
    # float32: the NumPy path computes the curvature in float32, the kernels in float64
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    for _ in range(3):
        v = rng.normal(size=obj.n_params)
        ref = obj.hessp(theta, v)
        np.testing.assert_allclose(ev.hessp(v), ref, rtol=rtol, atol=rtol * np.abs(ref).max())


@pytest.mark.parametrize("n_classes", [2, 3])
def test_evaluation_products_count_passes_and_fall_back_without_map(n_classes):
    obj = make_objective(n_classes, True, np.float64, True)
    theta = np.random.default_rng(2).normal(size=obj.n_params)
    v = np.ones(obj.n_params)
    ev = obj.evaluate(theta)
    assert obj.n_passes == 1
    ev.hessp(v)
    ev.hessp(v)
    assert obj.n_passes == 1 + 1 + 2  # the rows' curvature at the first product, then one per product
    kept = obj.evaluate(theta, curvature=True)  # the curvature from the evaluation's own pass
    kept.hessp(v)
    assert obj.n_passes == 4 + 1 + 1
    plain = make_objective(n_classes, True, np.float64, True, source_cls=ReduceOnlySource)
    ev = plain.evaluate(theta, curvature=True)
    assert plain.n_passes == 1
    np.testing.assert_allclose(ev.hessp(v), obj.hessp(theta, v), rtol=1e-12)
    assert plain.n_passes == 2


def test_products_reuse_the_curvature(monkeypatch):
    """Within a Newton-CG fit on memory, no product recomputes the sigmoid: the one-pass product is not used,
    and the fit reaches the same optimum as with it (and as scikit-learn's newton-cg)."""
    X, y = noisy_classification(n_samples=800, n_features=40)
    X = sp.csr_matrix(np.where(np.abs(X) < 0.8, 0.0, X))
    monkeypatch.setattr(newton, "MAX_DIRECT", 0)  # conjugate gradients, not Cholesky
    calls = []
    original = Objective.hessp
    monkeypatch.setattr(Objective, "hessp", lambda *a: calls.append(1) or original(*a))
    cached = LogisticRegression(solver="newton", tol=1e-10).fit(X, y)
    assert cached.solver_ == "newton" and not calls
    monkeypatch.setattr(Objective, "MAX_STATE_BYTES", 0)  # forces the one-pass product
    plain = LogisticRegression(solver="newton", tol=1e-10).fit(X, y)
    assert calls
    np.testing.assert_allclose(cached.coef_, plain.coef_, rtol=1e-8, atol=1e-10)
    sk = SkLogisticRegression(solver="newton-cg", tol=1e-10).fit(X, y)
    np.testing.assert_allclose(cached.coef_, sk.coef_, rtol=1e-6, atol=1e-8)


def cg_steps(rule_l2: bool, H, g):
    count = [0]

    def hessp(v):
        count[0] += 1
        return H @ v

    if not rule_l2:
        return _cg_direction(hessp, g, max_cg=500), count[0]
    # the former rule: ||r||_2 <= min(0.5, sqrt(||g||_2)) ||g||_2, by running until it holds
    d, r, p = np.zeros_like(g), -g.copy(), -g.copy()
    eta = min(0.5, np.sqrt(np.linalg.norm(g)))
    while np.linalg.norm(r) > eta * np.linalg.norm(g):
        Hp = hessp(p)
        a = (r @ r) / (p @ Hp)
        d += a * p
        r_new = r - a * Hp
        p = r_new + (r_new @ r_new) / (r @ r) * p
        r = r_new
    return d, count[0]


def test_cg_stops_on_the_l1_residual_rule_of_scikit_learn():
    rng = np.random.default_rng(3)
    n = 2000
    A = rng.normal(size=(n, n)) / np.sqrt(n)
    H = A @ A.T + np.diag(rng.uniform(1e-3, 1.0, n))
    g = rng.normal(size=n) * 1e-3
    d, steps = cg_steps(False, H, g)
    g1 = np.abs(g).sum()
    assert np.abs(H @ d + g).sum() <= min(0.5, np.sqrt(g1)) * g1 * (1 + 1e-9)
    _, steps_l2 = cg_steps(True, H, g)
    assert steps < steps_l2  # looser in l1 on a long vector: fewer products


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_fused_hessian_pass_equals_separate_passes(sparse, dtype, fit_intercept):
    obj = make_objective(2, sparse, dtype, fit_intercept)
    theta = np.random.default_rng(4).normal(size=obj.n_params)
    ev = obj.evaluate(theta, hessian=True)
    f, g, H = ev.loss, ev.gradient, ev.hessian()
    assert obj.n_passes == 1
    fresh = make_objective(2, sparse, dtype, fit_intercept)
    f_ref, g_ref = fresh.loss_gradient(theta)
    assert f == pytest.approx(f_ref, rel=1e-13)
    np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-14)
    H_ref = fresh.hessian(theta)
    # float32: the Gram matrix is summed in float32 either way (from float64 or float32 curvatures)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(H, H_ref, rtol=tol, atol=tol * np.abs(H_ref).max())
    # the evaluation holds its Hessian: asking it again costs no pass
    np.testing.assert_array_equal(ev.hessian(), H)
    assert obj.n_passes == 1


def test_binary_newton_reads_the_data_once_per_iteration():
    X, y = noisy_classification(n_samples=400, n_features=10)
    model = LogisticRegression(solver="newton", tol=1e-10).fit(X, y)
    sk = SkLogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-7, atol=1e-9)
    # one fused pass per full step, instead of a loss+gradient and a Hessian pass each; besides: the start's,
    # the first step's Hessian (not fused: first steps are often extrapolated) and the last step's
    assert model.n_passes_ <= model.n_iter_[0] + 3


def test_newton_extrapolates_on_nearly_separable_data():
    """The lesson's digits (is it a 2?): full Newton steps only halve the loss there; doubling them while the
    loss keeps falling reaches scikit-learn's optimum in fewer iterations than its newton-cholesky."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    X, y = digits.data[:1000], (digits.target[:1000] == 2).astype(int)
    model = LogisticRegression(solver="newton", tol=1e-8).fit(X, y)
    sk = SkLogisticRegression(solver="newton-cholesky", tol=1e-8).fit(X, y)
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-5, atol=1e-7)
    assert model.n_iter_[0] < sk.n_iter_[0]


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_binary_operator_carries_the_hessian_diagonal(sparse, fit_intercept):
    obj = make_objective(2, sparse, np.float64, fit_intercept)
    theta = np.random.default_rng(5).normal(size=obj.n_params)
    ev = obj.evaluate(theta, curvature=True)
    np.testing.assert_allclose(ev.diagonal(), np.diag(obj.hessian(theta)), rtol=1e-12)


def test_preconditioned_cg_solves_the_newton_system_with_fewer_products():
    rng = np.random.default_rng(6)
    n = 300
    scale = np.logspace(0, 3, n)  # badly scaled columns, as text-like data
    A = rng.normal(size=(2 * n, n)) * scale
    H = A.T @ A / (2 * n) + np.eye(n)
    g = rng.normal(size=n)
    counts = {}
    for name, diag in (("plain", None), ("jacobi", np.diag(H).copy())):
        calls = [0]

        def hessp(v, calls=calls):
            calls[0] += 1
            return H @ v

        d = _cg_direction(hessp, g, max_cg=2000, diagonal=diag)
        g1 = np.abs(g).sum()
        assert np.abs(H @ d + g).sum() <= min(0.5, np.sqrt(g1)) * g1 * (1 + 1e-9)
        counts[name] = calls[0]
    assert counts["jacobi"] < counts["plain"]
