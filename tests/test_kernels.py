"""The compiled one-pass kernels equal neuron.py; one evaluation is one pass; threads change nothing;
float32 stays float32; fit does not copy X."""

import tracemalloc
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

import oneuron._estimator
from oneuron import LogisticRegression, neuron
from oneuron import _kernels as kernels
from oneuron._estimator import choose_solver
from oneuron._objective import Objective
from oneuron._penalty import Penalty
from oneuron.data import MemorySource
from oneuron.data._parallel import resolve_n_jobs

from .conftest import noisy_classification

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed (the NumPy path runs instead)")


def block_data(n_classes, dtype, sparse, seed=0):
    rng = np.random.default_rng(seed)
    n = 303  # not a multiple of 4: the four-rows-at-a-time kernel's remainder runs too
    X = rng.normal(size=(n, 12))
    X[rng.random(X.shape) < 0.6] = 0.0
    X = X.astype(dtype)
    y = rng.integers(0, n_classes, n)
    s = rng.uniform(0.2, 2.0, n).astype(dtype)
    return (sp.csr_matrix(X) if sparse else X), y, s


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("b", [0.0, -0.7])
def test_binary_kernels_equal_neuron(dtype, sparse, b):
    X, y, s = block_data(2, dtype, sparse)
    rng = np.random.default_rng(1)
    w, v = rng.normal(size=12), rng.normal(size=12)
    X64 = X.astype(np.float64)  # the reference in float64: the kernels accumulate in float64
    y64, s64 = y.astype(np.float64), s.astype(np.float64)
    rtol = 1e-12  # float32 entries are widened exactly: the same sums as in float64
    loss, g, gb = kernels.binary_loss_grad(X, y.astype(dtype), s, w, b)
    ref = neuron.binary_loss_grad(X64, y64, s64, w, b)
    assert loss == pytest.approx(ref[0], rel=rtol)
    np.testing.assert_allclose(g, ref[1], rtol=rtol, atol=1e-12)
    assert gb == pytest.approx(ref[2], rel=rtol, abs=1e-12)
    only_loss = kernels.binary_loss_grad(X, y.astype(dtype), s, w, b, want_grad=False)[0]
    assert only_loss == pytest.approx(ref[0], rel=1e-14)
    h, hb = kernels.binary_hessp(X, s, w, b, v, 0.3)
    ref_h = neuron.binary_hessp(X64, s64, w, b, v, 0.3)
    np.testing.assert_allclose(h, ref_h[0], rtol=rtol, atol=1e-12)
    assert hb == pytest.approx(ref_h[1], rel=rtol, abs=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("K", [3, 4])
def test_multinomial_kernels_equal_neuron(dtype, sparse, K):
    X, y, s = block_data(K, dtype, sparse)
    rng = np.random.default_rng(2)
    W, b, V, vb = rng.normal(size=(K, 12)), rng.normal(size=K), rng.normal(size=(K, 12)), rng.normal(size=K)
    X64, s64 = X.astype(np.float64), s.astype(np.float64)
    Y = (y[:, None] == np.arange(K)).astype(np.float64)
    loss, G, gb = kernels.multi_loss_grad(X, y.astype(np.int32), s, W, b)
    ref = neuron.multinomial_loss_grad(X64, Y, s64, W, b)
    assert loss == pytest.approx(ref[0], rel=1e-12)
    np.testing.assert_allclose(G, ref[1], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(gb, ref[2], rtol=1e-11, atol=1e-12)
    H, hb = kernels.multi_hessp(X, s, W, b, V, vb)
    ref_h = neuron.multinomial_hessp(X64, s64, W, b, V, vb)
    np.testing.assert_allclose(H, ref_h[0], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(hb, ref_h[1], rtol=1e-11, atol=1e-12)
    # the probabilities kept by the loss pass, and the product given them
    P = np.full((X.shape[0], K), np.nan)
    kernels.multi_loss_grad(X, y.astype(np.int32), s, W, b, want_grad=False, probabilities=P)
    np.testing.assert_allclose(P, neuron.softmax(neuron.forward_multi(X64, W, b)), rtol=1e-13, atol=1e-15)
    H, hb = kernels.probs_hessp(X, s, P, V, vb)
    ref_p = neuron.multinomial_probs_hessp(X64, s64, P, V, vb)
    np.testing.assert_allclose(H, ref_p[0], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(hb, ref_p[1], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(H, ref_h[0], rtol=1e-11, atol=1e-12)


def test_kernels_are_stable_for_huge_scores():
    X = np.array([[1e6], [-1e6], [0.0]])
    loss, g, gb = kernels.binary_loss_grad(X, np.array([0.0, 1.0, 1.0]), np.ones(3), np.ones(1), 0.0)
    assert np.isfinite(loss) and np.all(np.isfinite(g))
    assert loss == pytest.approx(2e6 + np.log(2))


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_objective_with_kernels_equals_objective_without(monkeypatch, n_classes, fit_intercept):
    X, y = noisy_classification(n_samples=500, n_features=9, n_classes=n_classes)
    y_enc = y.astype(float) if n_classes == 2 else y.astype(np.int32)
    theta = np.random.default_rng(3).normal(size=(n_classes if n_classes > 2 else 1) * (9 + fit_intercept)) * 0.3
    v = np.random.default_rng(4).normal(size=theta.size)

    def evaluate(Xs):
        source = MemorySource(Xs, y_enc, np.ones(len(y)), block_rows=64)
        obj = Objective(source, n_classes, Penalty.from_params("l2", 0.5, len(y)), fit_intercept)
        return (obj.loss(theta), *obj.loss_gradient(theta), obj.hessp(theta, v))

    fast = [evaluate(X), evaluate(sp.csr_matrix(X))]
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    slow = evaluate(X)
    for got in fast:
        for a, b in zip(got, slow, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


class CountingSource(MemorySource):
    """A MemorySource that counts how many times each block is handed to a block function."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.visits = np.zeros(len(self._ranges), dtype=int)

    def reduce(self, block_fn, *args):
        def counted(X_b, y_b, s_b, *rest):
            self.visits[np.searchsorted([a for a, _ in self._ranges], self._start_of(X_b))] += 1
            return block_fn(X_b, y_b, s_b, *rest)

        return super().reduce(counted, *args)

    def _start_of(self, X_b):
        return (X_b.__array_interface__["data"][0] - self.X.__array_interface__["data"][0]) // self.X.strides[0]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_one_loss_gradient_evaluation_reads_each_block_once(n_classes):
    X, y = noisy_classification(n_samples=1000, n_features=5, n_classes=n_classes)
    y_enc = y.astype(float) if n_classes == 2 else y.astype(np.int32)
    source = CountingSource(X, y_enc, np.ones(len(y)), block_rows=90, n_jobs=2)
    obj = Objective(source, n_classes, Penalty.from_params("l2", 1.0, len(y)))
    obj.loss_gradient(np.zeros(obj.n_params))
    assert obj.n_passes == 1
    assert source.visits.tolist() == [1] * len(source._ranges)
    obj.hessp(np.zeros(obj.n_params), np.ones(obj.n_params))
    assert obj.n_passes == 2 and source.visits.tolist() == [2] * len(source._ranges)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
def test_results_are_identical_for_any_n_jobs(n_classes, sparse):
    X, y = noisy_classification(n_samples=2000, n_features=10, n_classes=n_classes)
    Xs = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0)) if sparse else X
    y_enc = y.astype(float) if n_classes == 2 else y.astype(np.int32)
    theta = np.random.default_rng(5).normal(size=(n_classes if n_classes > 2 else 1) * 11) * 0.2
    results = []
    for n_jobs in (1, 2, 3):
        source = MemorySource(Xs, y_enc, np.ones(len(y)), block_rows=97, n_jobs=n_jobs)
        obj = Objective(source, n_classes, Penalty.from_params("l2", 1.0, len(y)))
        f, g = obj.loss_gradient(theta)
        results.append((f, g, obj.hessp(theta, theta)))
    for f, g, h in results[1:]:
        assert f == results[0][0]
        assert np.array_equal(g, results[0][1]) and np.array_equal(h, results[0][2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_sums_do_not_depend_on_where_the_unused_output_points(dtype, sparse, n_classes):
    """Without ``curvature`` (``probabilities``) a kernel gets a zero-length placeholder for it, whose data
    pointer is wherever the allocator put it. The sums must be the same bits wherever that is, and the same as
    when the output is asked for: a loop that sums while it may store to the output is compiled with a
    run-time overlap test of the output's would-be rows against the other arrays, and its scalar fallback
    sums in another order than its SIMD loop."""
    X, y, s = block_data(n_classes, dtype, sparse)
    n = X.shape[0]
    y = np.ascontiguousarray(y, dtype=np.float64 if n_classes == 2 else np.intp)
    s = np.ascontiguousarray(s, dtype=np.float64)
    rng = np.random.default_rng(6)
    blocks = kernels._csr(X) if sparse else (X,)
    if n_classes == 2:
        fn = kernels._binary_csr if sparse else kernels._binary_dense
        w, b, cols = rng.normal(size=12), -0.7, ()
    else:
        fn = kernels._multi_csr if sparse else kernels._multi_dense
        w, b, cols = rng.normal(size=(3, 12)), rng.normal(size=3), (3,)
    # zero-length outputs whose pointers are at the first row of s (of y: same dtype) or anywhere
    elsewhere = [s[:0].reshape(0, *cols), np.empty((0, *cols))] + ([y[:0]] if n_classes == 2 else [])
    reference = fn(*blocks, y, s, w, b, True, np.empty((n, *cols)))
    for placeholder in elsewhere:
        got = fn(*blocks, y, s, w, b, True, placeholder)
        assert got[0] == reference[0]
        assert np.array_equal(got[1], reference[1]) and np.array_equal(got[2], reference[2])


def test_fit_is_identical_for_n_jobs_1_and_2():
    X, y = noisy_classification(n_samples=60_000, n_features=20)  # 9.6 MB: three blocks
    # and a second fit with n_jobs=1: a fit does not depend on the fits before it in the process either
    one, two, again = (LogisticRegression(solver="lbfgs", n_jobs=n, tol=1e-8).fit(X, y) for n in (1, 2, 1))
    for other in (two, again):
        assert np.array_equal(one.coef_, other.coef_) and np.array_equal(one.intercept_, other.intercept_)


def test_float32_coefficients_within_1e4_of_float64():
    X, y = noisy_classification(n_samples=20_000, n_features=30, seed=3)  # well conditioned
    m64 = LogisticRegression(solver="lbfgs", tol=1e-8).fit(X, y)
    m32 = LogisticRegression(solver="lbfgs", tol=1e-8).fit(X.astype(np.float32), y)
    np.testing.assert_allclose(m32.coef_, m64.coef_, rtol=1e-4, atol=1e-4 * np.abs(m64.coef_).max())
    np.testing.assert_allclose(m32.intercept_, m64.intercept_, rtol=1e-4, atol=1e-4 * np.abs(m64.coef_).max())


@pytest.fixture
def seen_sources(monkeypatch):
    """Record every MemorySource the estimator builds."""
    seen = []

    class Recording(MemorySource):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self)

    monkeypatch.setattr(oneuron._estimator, "MemorySource", Recording)
    return seen


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["C", "F", "csr"])
def test_fit_does_not_copy_X(seen_sources, dtype, layout):
    X, y = noisy_classification(n_samples=3000, n_features=8)
    X = X.astype(dtype, order=layout if layout != "csr" else "C")
    if layout == "csr":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0).astype(dtype))
    model = LogisticRegression(solver="lbfgs", n_jobs=2).fit(X, y)
    (source,) = seen_sources
    if layout == "csr":
        assert source.X is X
        assert all(
            np.shares_memory(b.data, X.data) and np.shares_memory(b.indices, X.indices) for b, *_ in source.blocks()
        )
    else:
        assert np.shares_memory(source.X, X) and source.X.dtype == dtype
        assert all(np.shares_memory(b, X) for b, *_ in source.blocks())
    assert model.coef_.shape == (1, 8)


def test_fit_allocates_far_less_than_X():
    X, y = noisy_classification(n_samples=40_000, n_features=50)  # 16 MB
    LogisticRegression(solver="lbfgs").fit(X[:500], y[:500])  # warm-up: imports, kernel cache
    tracemalloc.start()
    LogisticRegression(solver="lbfgs").fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.25 * X.nbytes


def test_n_jobs_is_checked():
    assert resolve_n_jobs(None) >= 1 and resolve_n_jobs(-1) == resolve_n_jobs(None) and resolve_n_jobs(3) == 3
    X, y = noisy_classification(n_samples=50, n_features=3)
    with pytest.raises(ValueError, match="n_jobs"):
        LogisticRegression(n_jobs=0).fit(X, y)


def test_auto_solver_rule():
    def objective(n, d, k, sparse=False):
        shape_only = SimpleNamespace(n_samples=n, n_features=d, dtype=np.dtype(np.float64), total_weight=n)
        return Objective(shape_only, k), sparse

    assert choose_solver(*objective(1000, 64, 2)) == "newton"  # the lesson's digits
    assert choose_solver(*objective(1_000_000, 100, 2)) == "lbfgs"
    assert choose_solver(*objective(200_000, 50, 10)) == "lbfgs"
    assert choose_solver(*objective(400, 4, 3)) == "newton"  # small softmax problems: Newton-CG
    assert choose_solver(*objective(200_000, 20_000, 2, sparse=True)) == "newton"
    assert choose_solver(*objective(200_000, 20_000, 5, sparse=True)) == "lbfgs"


def test_blas_is_held_to_one_thread_while_blocks_run_in_parallel():
    from threadpoolctl import threadpool_info

    seen = []

    def block_fn(X_b, y_b, s_b):
        seen.append(max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), default=1))
        return (float(X_b.sum()),)

    X = np.ones((1000, 3))
    (total,) = MemorySource(X, np.zeros(1000), np.ones(1000), block_rows=100, n_jobs=2).reduce(block_fn)
    assert total == 3000.0 and len(seen) == 10 and set(seen) == {1}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_dense_hessian_equals_neuron(dtype, fit_intercept):
    """The dense (syrk, half-flop) Hessian equals the float64 one and the sparse path's."""
    X, y, s = block_data(2, dtype, sparse=False)
    w = np.random.default_rng(6).normal(size=12)
    H = neuron.binary_hessian(X, s, w.astype(dtype), dtype(-0.3), fit_intercept)
    H_sparse = neuron.binary_hessian(sp.csr_matrix(X.astype(np.float64)), s.astype(np.float64), w, -0.3, fit_intercept)
    ref = neuron.binary_hessian(X.astype(np.float64), s.astype(np.float64), w, -0.3, fit_intercept)
    np.testing.assert_allclose(H_sparse, ref, rtol=1e-12, atol=1e-12)
    if dtype == np.float64:
        np.testing.assert_allclose(H, ref, rtol=1e-12, atol=1e-12)
    else:  # float32 products (as neuron.binary_hessian on float32 data): only Newton's direction uses them
        np.testing.assert_allclose(H, ref, rtol=1e-5, atol=1e-6 * np.abs(ref).max())


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_threaded_reduce_works_in_a_forked_child():
    import multiprocessing

    X, y = noisy_classification(n_samples=2000, n_features=5)
    source = MemorySource(X, y.astype(float), np.ones(len(y)), block_rows=100, n_jobs=2)
    obj = Objective(source, 2, Penalty.from_params("l2", 1.0, len(y)))
    expected = obj.loss(np.zeros(6))  # starts the thread pool in this process
    with multiprocessing.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(obj.loss, (np.zeros(6),)).get(timeout=60)
    assert got == expected


def test_threads_follow_the_callers_floating_point_error_state():
    """numpy's error state is per thread: an overflow in a worker thread must raise as it would inline."""

    def overflowing(X_b, y_b, s_b):
        return (float(np.exp(X_b).sum()),)

    X = np.full((1000, 2), 1000.0)
    source = MemorySource(X, np.zeros(1000), np.ones(1000), block_rows=100, n_jobs=2)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        source.reduce(overflowing)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "newton-cholesky"])
def test_float32_fits_take_as_many_passes_as_float64(n_classes, solver):
    # the parameters reach the kernels in float64, so F(theta) on float32 data is as smooth as on float64
    # data: the line searches and stopping rules see the same function (X rounded to float32 for both)
    if solver == "newton-cholesky" and n_classes > 2:
        pytest.skip("Cholesky Newton is for the binary head")
    rng = np.random.default_rng(5)
    X = rng.standard_normal((20_000, 20)).astype(np.float32)
    W = rng.normal(size=(n_classes, 20)) / 3
    y = np.argmax(X @ W.T + rng.gumbel(size=(len(X), n_classes)), axis=1)
    for tol in (1e-4, 1e-8):
        fits = [LogisticRegression(solver=solver, tol=tol).fit(X.astype(dt), y) for dt in (np.float64, np.float32)]
        assert fits[0].n_passes_ == fits[1].n_passes_
        assert fits[0].n_iter_[0] == fits[1].n_iter_[0]
        assert fits[1].objective_value_ == pytest.approx(fits[0].objective_value_, rel=1e-12)


@pytest.mark.parametrize("storage", ["dense", "sparse", "float32"])
def test_softmax_products_with_kept_probabilities_equal_neuron(monkeypatch, storage):
    # the loss pass keeps each row's probabilities and the compiled product uses them: the same numbers as the
    # full Hessian and as neuron.py (no numba), and no pass of its own for the probabilities
    X, y = noisy_classification(n_samples=403, n_features=7, n_classes=4, seed=6)
    X = {"dense": X, "sparse": sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0)), "float32": X.astype(np.float32)}[
        storage
    ]
    s = np.random.default_rng(2).uniform(0.2, 2.0, len(y))
    rng = np.random.default_rng(7)
    theta, v = rng.normal(size=(2, 4 * 8)) * 0.3

    def products():
        obj = Objective(MemorySource(X, y.astype(np.int32), s, block_rows=101), 4, Penalty.from_params("l2", 0.5, 1))
        ev = obj.evaluate(theta, curvature=True)
        hv = ev.hessp(v)
        assert obj.n_passes == 2
        return ev.loss, hv, obj.hessian(theta) @ v

    rtol, atol = (1e-5, 1e-6) if storage == "float32" else (1e-11, 1e-13)  # NumPy computes in X's dtype
    loss, hv, full = products()
    np.testing.assert_allclose(hv, full, rtol=rtol, atol=atol)
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    loss_np, hv_np, _ = products()
    assert loss == pytest.approx(loss_np, rel=rtol)
    np.testing.assert_allclose(hv, hv_np, rtol=rtol, atol=atol)


def test_softmax_kernels_are_stable_for_huge_scores():
    # scores 1e6 apart: the other classes' exponentials vanish, the loss is the score gap
    X = np.array([[1e6], [-1e6], [0.0], [2.0], [3.0]])
    W, b = np.array([[1.0], [0.0], [-1.0]]), np.zeros(3)
    y, s = np.array([1, 0, 2, 0, 0], dtype=np.int32), np.ones(5)
    P = np.empty((5, 3))
    loss, G, gb = kernels.multi_loss_grad(X, y, s, W, b, probabilities=P)
    ref = neuron.multinomial_loss_grad(X, (y[:, None] == np.arange(3)).astype(float), s, W, b)
    assert loss == pytest.approx(ref[0], rel=1e-14)
    np.testing.assert_allclose(G, ref[1], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(P, neuron.softmax(neuron.forward_multi(X, W, b)), rtol=1e-14, atol=1e-300)


def test_fastmath_exp_and_log1p_agree_with_the_library_to_an_ulp_or_two():
    from oneuron import _fastmath

    rng = np.random.default_rng(0)
    x = -np.concatenate([rng.exponential(3.0, 20_000), rng.uniform(0, 745, 20_000), [0.0, 1e-300, 708.4, 745.1]])
    got = np.array([_fastmath.exp(v) for v in x])
    ref = np.exp(x)
    normal = ref > np.finfo(float).tiny
    assert np.max(np.abs(got[normal] - ref[normal]) / ref[normal]) <= 2 * np.finfo(float).eps
    assert np.max(np.abs(got[~normal] - ref[~normal])) <= 2 * np.nextafter(0, 1)  # subnormal results
    assert _fastmath.exp(-746.0) == 0.0 and _fastmath.exp(-np.inf) == 0.0 and np.isnan(_fastmath.exp(np.nan))
    e = np.concatenate([rng.random(20_000), np.exp(-rng.uniform(0, 700, 20_000)), [0.0, 1.0]])
    got = np.array([_fastmath.log1p(v) for v in e])
    ref = np.log1p(e)
    positive = ref > 0
    assert np.max(np.abs(got[positive] - ref[positive]) / ref[positive]) <= 3 * np.finfo(float).eps
    assert _fastmath.log1p(0.0) == 0.0 and np.isnan(_fastmath.log1p(np.nan))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [1.0, 30.0, 300.0])
def test_binary_kernel_equals_neuron_at_large_scores(dtype, scale):
    # scores far into both tails (exp(-|z|) down to subnormal and zero); rows 16 at a time and the remainder
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1_000 + 13, 7)).astype(dtype)
    w = rng.normal(size=7) * scale
    y = (rng.random(len(X)) < 0.5).astype(np.float64)
    s = rng.uniform(0.0, 2.0, len(X))
    X64 = X.astype(np.float64)
    h = np.empty(len(X))
    loss, g, gb = kernels.binary_loss_grad(X, y, s, w, 0.3, curvature=h)
    ref = neuron.binary_loss_grad(X64, y, s, w, 0.3)
    assert loss == pytest.approx(ref[0], rel=1e-12)
    np.testing.assert_allclose(g, ref[1], rtol=1e-12, atol=1e-12 * np.abs(ref[1]).max())
    assert gb == pytest.approx(ref[2], rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(h, neuron.binary_curvature(X64, s, w, 0.3), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("K", [2, 3, 5, 10, 37, 300])
@pytest.mark.parametrize("n", [1, 7, 8, 9, 203])
def test_softmax_tiles_equal_neuron(dtype, K, n):
    # the dense softmax kernels take rows eight at a time: blocks shorter than a tile, a multiple of it and
    # with a remainder; classes two at a time, the last three at once when K is odd (5, 37), or three alone; weights
    rng = np.random.default_rng(n + K)
    X = rng.normal(size=(n, 13)).astype(dtype)
    X64 = X.astype(np.float64)
    y = rng.integers(0, K, n)
    s = rng.uniform(0.2, 2.0, n)
    W, b, V, vb = rng.normal(size=(K, 13)), rng.normal(size=K), rng.normal(size=(K, 13)), rng.normal(size=K)
    P = np.full((n, K), np.nan)
    loss, G, gb = kernels.multi_loss_grad(X, y, s, W, b, probabilities=P)
    ref = neuron.multinomial_loss_grad(X64, (y[:, None] == np.arange(K)).astype(float), s, W, b)
    assert loss == pytest.approx(ref[0], rel=1e-12)
    np.testing.assert_allclose(G, ref[1], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(gb, ref[2], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(P, neuron.softmax(neuron.forward_multi(X64, W, b)), rtol=1e-13, atol=1e-15)
    assert kernels.multi_loss_grad(X, y, s, W, b, want_grad=False)[0] == pytest.approx(ref[0], rel=1e-12)
    ref_h = neuron.multinomial_hessp(X64, s, W, b, V, vb)
    for H, hb in (kernels.multi_hessp(X, s, W, b, V, vb), kernels.probs_hessp(X, s, P, V, vb)):
        np.testing.assert_allclose(H, ref_h[0], rtol=1e-10, atol=1e-11)
        np.testing.assert_allclose(hb, ref_h[1], rtol=1e-10, atol=1e-11)


def test_tile_exponential_equals_numpy():
    # the polynomial exp of the softmax tiles, over the whole range it sees (scores minus their row's max):
    # normal results to a couple of units in the last place, subnormal ones and zeros as np.exp gives them
    rng = np.random.default_rng(0)
    edges = [0.0, -0.0, -1e-300, -0.5 * np.log(2), -709.0, -745.0, -745.2, -746.0, -1e4, -np.inf]
    x = np.concatenate([edges, -rng.exponential(5.0, 5000), -rng.uniform(700.0, 760.0, 2000)])
    a = x.copy()
    kernels._exp_nonpositive(a)
    ref = np.exp(x)
    normal = ref >= np.finfo(np.float64).tiny
    np.testing.assert_allclose(a[normal], ref[normal], rtol=5e-16, atol=0)
    np.testing.assert_allclose(a[~normal], ref[~normal], rtol=0, atol=4 * np.finfo(np.float64).smallest_subnormal)
    a = np.array([np.nan, -1.0])
    kernels._exp_nonpositive(a)
    assert np.isnan(a[0]) and a[1] == pytest.approx(np.exp(-1.0), rel=1e-15)
