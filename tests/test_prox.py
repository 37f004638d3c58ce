"""Proximal Newton solver and the restricted Hessian it uses: checked against independent computations."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize

from oneuron import _cd_kernels as cd
from oneuron import _quadratic as quadratic
from oneuron import neuron
from oneuron._kernels import unsigned_index
from oneuron._objective import Objective
from oneuron._penalty import Penalty
from oneuron._quadratic import hessian_columns
from oneuron._solvers import prox
from oneuron.data import MemorySource

from .conftest import noisy_classification


def objective_for(X, y, n_classes, strength, l1_ratio, fit_intercept=True, weights=None):
    y = y.astype(float) if n_classes == 2 else y.astype(np.int32)
    sw = np.ones(len(y)) if weights is None else weights
    return Objective(
        MemorySource(X, y, sw, block_rows=97), n_classes, Penalty("elasticnet", strength, l1_ratio), fit_intercept
    )


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessian_columns_equals_hessp_columns(n_classes, sparse, fit_intercept, rng):
    X, y = noisy_classification(n_samples=250, n_features=8, n_classes=n_classes, seed=3)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    obj = objective_for(X, y, n_classes, 0.05, 0.4, fit_intercept, weights=rng.random(250))
    theta = rng.normal(size=obj.n_params) * 0.3
    full = np.column_stack([obj.hessp(theta, e) for e in np.eye(obj.n_params)])
    cols = np.array([0, 3, 7])
    idx = obj.layout.column_indices(cols)
    np.testing.assert_allclose(hessian_columns(obj.evaluate(theta), cols), full[np.ix_(idx, idx)], atol=1e-12)
    np.testing.assert_allclose(hessian_columns(obj.evaluate(theta)), full, atol=1e-12)


def test_optimality_is_the_minimum_norm_subgradient():
    x = np.array([0.0, 0.0, 2.0, -1.0, 0.5])
    g = np.array([0.3, -2.0, -0.5, 0.2, 0.1])
    lam = np.array([1.0, 1.0, 1.0, 1.0, 0.0])  # the last entry is unpenalized (an intercept)
    np.testing.assert_allclose(prox.optimality(x, g, lam), [0.0, 1.0, 0.5, 0.8, 0.1])


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_prox_reaches_the_optimum_of_a_smooth_reformulation(n_classes, l1_ratio):
    # |w| = u + v with u, v >= 0 turns the l1 problem into a smooth bound-constrained one for L-BFGS-B.
    X, y = noisy_classification(n_samples=300, n_features=20, n_classes=n_classes, seed=5)
    obj = objective_for(X, y, n_classes, 0.06, l1_ratio)
    lam = obj.penalty.l1_strength
    result = prox.solve(obj, np.zeros(obj.n_params), tol=1e-10)
    assert result.converged

    pen = np.zeros(obj.n_params, dtype=bool)
    pen[obj.layout.column_indices(np.arange(obj.n_features))] = True
    pen[obj.layout.column_indices(np.array([], dtype=np.intp))] = False
    n = obj.n_params

    def split_uv(z):
        return z[:n] - z[n:] * pen, z[n:]

    def fun(z):
        theta, v = split_uv(z)
        f, g = obj.loss_gradient(theta)
        u = z[:n]
        value = f + lam * (u[pen].sum() + v[pen].sum())
        gu = g + lam * pen
        gv = -g * pen + lam * pen
        return value, np.concatenate([gu, gv])

    bounds = [(0, None) if p else (None, None) for p in pen] + [(0, None) if p else (0, 0) for p in pen]
    ref = minimize(
        fun,
        np.zeros(2 * n),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 20_000},
    )
    assert result.fun <= ref.fun + 1e-12
    assert abs(result.fun - ref.fun) <= 1e-9 * abs(ref.fun)
    theta_ref, _ = split_uv(ref.x)
    np.testing.assert_allclose(obj.weights(result.x), obj.weights(theta_ref), atol=1e-4)
    zeros = obj.weights(result.x) == 0.0  # exact zeros, where the reference is (numerically) zero
    assert zeros.any()
    np.testing.assert_array_equal(zeros, np.abs(obj.weights(theta_ref)) < 1e-6)


def test_warm_start_from_the_optimum_takes_no_iteration():
    X, y = noisy_classification(n_samples=200, n_features=6)
    obj = objective_for(X, y, 2, 0.05, 1.0)
    first = prox.solve(obj, np.zeros(obj.n_params), tol=1e-9)
    again = prox.solve(obj, first.x, tol=1e-9)
    assert first.n_iter > 0 and again.n_iter == 0 and again.converged


def product_routes(A):
    """The two ways the sparse inner solver takes its conjugate-gradient products over the columns ``A`` (CSC):
    through ``A``'s columns, and through the CSR rows of a matrix whose columns ``A``'s are."""
    R = A.tocsr()
    rows = (unsigned_index(R.indptr), unsigned_index(R.indices), R.data)
    columns = (np.arange(A.shape[1], dtype=np.int64), A.shape[1])
    return [tuple(a[:0] for a in rows) + columns, rows + columns]


def test_coordinate_descent_kernels_agree_compiled_or_not_dense_or_sparse(rng):
    # the same quadratic model: on its Hessian, and through the sparse columns it is made of
    A = sp.random(50, 8, density=0.4, random_state=1, format="csc")
    h = rng.random(50) / 50
    A1 = np.column_stack([A.toarray(), np.ones(50)])
    H = A1.T @ (h[:, None] * A1)
    H[np.arange(8), np.arange(8)] += 0.01
    g, x = rng.normal(size=9) * 0.1, rng.normal(size=9) * 0.1
    lam = np.r_[np.full(8, 0.1), 0.0]
    reference = cd._cd_sweeps(H, g, x, lam, 1000, 1e-13)[0]
    assert np.any(x + reference == 0)  # some coordinates are thresholded to exact zeros
    np.testing.assert_allclose(cd.cd_dense(H, g, x, lam, 1000, 1e-13)[0], reference, atol=1e-12)
    for kernel in (cd._cd_sparse_sweeps, cd.cd_sparse):
        for rows in product_routes(A):
            d = kernel(A.indptr[:-1], A.indptr[1:], A.indices, A.data, h, 0.01, True, g, x, lam, 1000, 1e-13, rows)[0]
            np.testing.assert_allclose(d, reference, atol=1e-10)


def test_sparse_inner_solver_with_conjugate_gradient_steps_reaches_the_coordinate_descent_optimum(rng):
    # an ill-conditioned model (column scales spanning 1e-3..1, as rare and frequent words): the
    # conjugate-gradient steps on the support and their projection onto the orthant must land on the
    # minimizer that plain coordinate descent on the dense Hessian converges to
    n, m = 400, 60
    A = sp.random(n, m, density=0.15, random_state=2, format="csc") @ sp.diags(np.logspace(-3, 0, m))
    A = sp.csc_matrix(A)
    h = rng.random(n) / n
    A1 = np.column_stack([A.toarray(), np.ones(n)])
    H = A1.T @ (h[:, None] * A1)
    H[np.arange(m), np.arange(m)] += 1e-6
    g, x = rng.normal(size=m + 1) * 1e-3, np.r_[rng.normal(size=m) * (rng.random(m) < 0.5), 0.3]
    lam = np.r_[np.full(m, 2e-4), 0.0]
    reference, sweeps = cd._cd_sweeps(H, g, x, lam, 100_000, 1e-14)
    assert sweeps > 50  # the case coordinate descent finds hard
    assert 0 < np.sum(x + reference == 0) < m

    def model(d):
        return g @ d + d @ H @ d / 2 + lam @ (np.abs(x + d) - np.abs(x))

    indptr, indices = unsigned_index(A.indptr), unsigned_index(A.indices)
    for kernel in (cd._cd_sparse_sweeps, cd.cd_sparse):
        for rows in product_routes(A):
            d, passes = kernel(indptr[:-1], indptr[1:], indices, A.data, h, 1e-6, True, g, x, lam, 100_000, 1e-14, rows)
            np.testing.assert_allclose(d, reference, atol=1e-7 * np.abs(reference).max())
            np.testing.assert_array_equal(x + d == 0, x + reference == 0)  # the same exact zeros
            assert model(d) <= model(reference) + 1e-15 * abs(model(reference))
            # capped at three passes (sweeps and products): a step that decreases the model, not its minimizer
            capped, done = kernel(indptr[:-1], indptr[1:], indices, A.data, h, 1e-6, True, g, x, lam, 3, 1e-14, rows)
            assert done <= 3 < passes
            assert model(capped) < 0.0 and model(capped) > model(reference)


def test_sparse_inner_solver_reads_the_working_set_columns_in_place(rng):
    # the working set's columns of a wider CSC matrix, given by their ranges (start, stop), give the solve of the
    # matrix of those columns only
    n, d_all = 400, 50
    X = sp.random(n, d_all, density=0.1, random_state=5, format="csc")
    X = sp.csc_matrix(X + sp.csc_matrix(np.outer(np.ones(n), (rng.random(d_all) < 0.2) * 0.4)))
    columns = np.sort(rng.choice(d_all, size=20, replace=False))
    A = X[:, columns]
    h = rng.random(n) / n
    g, x = rng.normal(size=21) * 1e-2, np.r_[rng.normal(size=20) * (rng.random(20) < 0.5), 0.1]
    lam = np.r_[np.full(20, 3e-3), 0.0]
    ip, ipx = unsigned_index(A.indptr), unsigned_index(X.indptr)
    no_rows = product_routes(A)[0]
    expected = cd.cd_sparse(
        ip[:-1], ip[1:], unsigned_index(A.indices), A.data, h, 1e-4, True, g, x, lam, 1000, 1e-12, no_rows
    )
    start, stop = ipx[columns], ipx[columns + 1]
    got = cd.cd_sparse(start, stop, unsigned_index(X.indices), X.data, h, 1e-4, True, g, x, lam, 1000, 1e-12, no_rows)
    np.testing.assert_array_equal(got[0], expected[0])
    assert got[1] == expected[1]
    # the conjugate gradients' products through all of X's rows (its other columns off the working set) give the
    # same solve to rounding
    R = X.tocsr()
    rows = (unsigned_index(R.indptr), unsigned_index(R.indices), R.data, columns.astype(np.int64), d_all)
    by_rows = cd.cd_sparse(start, stop, unsigned_index(X.indices), X.data, h, 1e-4, True, g, x, lam, 1000, 1e-12, rows)
    np.testing.assert_allclose(by_rows[0], expected[0], rtol=1e-9, atol=1e-12)


def sparse_model_case(rng, intercept, n=300, m=25):
    """A quadratic model through sparse columns (frequent and rare ones), a point ``x`` with zeros, and the
    NumPy model: ``(kernel arguments, model arrays, [A 1], optimality(d), the two product routes)``."""
    A = sp.random(n, m, density=0.2, random_state=4, format="csc")
    A = sp.csc_matrix(A + sp.csc_matrix(np.outer(np.ones(n), (rng.random(m) < 0.3) * 0.5)))
    h, l2 = rng.random(n) / n, 1e-3
    B = np.column_stack([A.toarray(), np.ones(n)]) if intercept else A.toarray()
    H = B.T @ (h[:, None] * B)
    k = B.shape[1]
    H[np.arange(m), np.arange(m)] += l2
    g, x = rng.normal(size=k) * 1e-2, rng.normal(size=k) * (rng.random(k) < 0.5)
    lam = np.full(k, 4e-3)
    if intercept:
        lam[m] = 0.0
    weighted = A.data * h[A.indices]
    a = np.diag(H).copy()
    colsum = B.T @ h
    indptr = unsigned_index(A.indptr)
    args = (indptr[:-1], indptr[1:], unsigned_index(A.indices), A.data, weighted, h, l2, m if intercept else k)

    def slope(d):
        return g + H @ d

    def optimality(d):
        return prox.optimality(x + d, slope(d), lam)

    return args, (g, x, lam, a, colsum), B, optimality, product_routes(A)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("intercept", [True, False])
def test_sparse_model_optimality_and_conjugate_gradient_step_against_numpy(compiled, intercept, rng):
    # _sparse_optimality is the model's largest minimum-norm subgradient; a conjugate-gradient step keeps
    # r = [A 1] d and reports that optimality after it when it took the whole step (-1 otherwise)
    (start, stop, indices, data, weighted, h, l2, mw), (g, x, lam, a, colsum), B, optimality, routes = (
        sparse_model_case(rng, intercept)
    )
    optimal, cg = cd._sparse_optimality, cd._sparse_support_cg
    if not compiled and cd.COMPILED:
        optimal, cg = optimal.py_func, cg.py_func
    d = rng.normal(size=len(g)) * 0.1 * (rng.random(len(g)) < 0.7)
    d[x == 0] *= rng.random(np.sum(x == 0)) < 0.5  # some weights stay at zero
    worst = optimal(start, stop, indices, weighted, h, l2, mw, g, x, lam, a, d, B @ d)
    np.testing.assert_allclose(worst, optimality(d).max(), rtol=1e-12)
    steps = []
    for rows in routes:  # products through A's columns, then through its rows
        reports, d_route, r = [], d.copy(), B @ d
        for tol in (1e-3, 1e-6, 1e-9):
            products, worst = cg(
                start, stop, indices, data, weighted, h, l2, mw, g, x, lam, a, colsum, d_route, r, tol, 50, rows
            )
            np.testing.assert_allclose(r, B @ d_route, atol=1e-13)
            if worst >= 0:
                reports.append(products)
                np.testing.assert_allclose(worst, optimality(d_route).max(), rtol=1e-8, atol=1e-15)
        assert reports  # some step was taken whole
        steps.append(d_route)
    np.testing.assert_allclose(steps[1], steps[0], rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("compiled", [True, False])
def test_sparse_sweep_over_the_columns_of_small_curvature_only(compiled, rng):
    # the last sweep of the sparse inner solver visits the coordinates with a_j <= below: each of them is then at
    # its minimizer given the others at the time of its step, the others do not move, and r stays [A 1] d
    (start, stop, indices, data, weighted, h, l2, mw), (g, x, lam, a, colsum), B, _, _ = sparse_model_case(rng, True)
    sweep = cd._sparse_sweep if compiled or not cd.COMPILED else cd._sparse_sweep.py_func
    d = np.zeros(len(g))
    r = np.zeros(len(h))
    below = np.median(a)
    biggest, changes = sweep(start, stop, indices, data, weighted, h, l2, mw, g, x, lam, a, d, r, below)
    visited = a <= below
    assert biggest > 0 and changes > 0 and d[visited].any()
    np.testing.assert_array_equal(d[~visited], 0.0)
    np.testing.assert_allclose(r, B @ d, atol=1e-14)
    biggest, _ = sweep(start, stop, indices, data, weighted, h, l2, mw, g, x, lam, a, d, r, np.inf)
    assert biggest > 0 and d[~visited].any()


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("intercept", [True, False])
def test_conjugate_gradient_preconditioner_solves_its_matrix(compiled, intercept, rng):
    # M = the Hessian [A 1].T diag(h) [A 1] + l2 I_w on a support, with the off-diagonal part of its centered
    # part dropped: each column's weighted mean mu_j = (A.T h)_j / sum(h) and D_c = a_j - sum(h) mu_j^2
    n, m = 200, 12
    A = sp.random(n, m, density=0.3, random_state=3, format="csc")
    A = sp.csc_matrix(A + sp.csc_matrix(np.outer(np.ones(n), (rng.random(m) < 0.3) * 0.5)))  # frequent "words"
    h, l2 = rng.random(n) / n, 1e-3
    B = np.column_stack([A.toarray(), np.ones(n)])
    H = B.T @ (h[:, None] * B)
    H[np.arange(m), np.arange(m)] += l2
    a, colsum, total = np.diag(H).copy(), B.T @ h, h.sum()
    mw = m if intercept else m + 1  # the ones column's index; m + 1: none (not in the support)
    support = np.array([0, 2, 3, 5, 8, 11] + ([m] if intercept else []), dtype=np.int64)
    mu, centered = np.zeros(len(support)), np.empty(len(support))
    diagonal, precondition = cd._centered_diagonal, cd._precondition
    if not compiled and cd.COMPILED:
        diagonal, precondition = diagonal.py_func, precondition.py_func
    pivot = diagonal(support, a, colsum, total, mw, mu, centered)
    assert pivot == (len(support) - 1 if intercept else -1)
    w = support[support != m]
    mean = colsum[w] / total
    M = np.diag(a[w] - total * mean**2) + total * np.outer(mean, mean)
    if intercept:
        M = np.block([[M, total * mean[:, None]], [total * mean[None, :], np.array([[total]])]])
    np.testing.assert_allclose(M[np.ix_(range(len(w)), range(len(w)))].diagonal(), a[w], rtol=1e-12)
    res, z = rng.normal(size=len(support)), np.empty(len(support))
    precondition(res, mu, centered, total, pivot, z)
    np.testing.assert_allclose(z, np.linalg.solve(M, res), rtol=1e-10)
    # it captures the columns' common mode: M^-1 H is far better conditioned than Jacobi's D^-1 H
    Hs = H[np.ix_(support, support)]
    jacobi = np.linalg.eigvals(Hs / a[support][:, None]).real
    ours = np.linalg.eigvals(np.linalg.solve(M, Hs)).real
    assert ours.max() / ours.min() < jacobi.max() / jacobi.min() / 2


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_softmax_coordinate_descent_through_sparse_columns_equals_the_dense_hessian_one(fit_intercept, rng):
    # the softmax head's model through the sparse columns (R = [A 1] D and u = sum_c p_c R_c kept) has the
    # minimizer of coordinate descent on the K m x K m working-set Hessian, with the same exact zeros
    X, y = noisy_classification(n_samples=200, n_features=10, n_classes=3, seed=6)
    X = sp.csr_matrix(np.where(np.abs(X) > 0.6, X, 0.0))
    obj = objective_for(X, y, 3, 0.05, 0.7, fit_intercept, weights=rng.uniform(0.5, 2.0, 200))
    theta = rng.normal(size=obj.n_params) * 0.3
    cols = np.array([0, 2, 3, 5, 9])
    idx = obj.layout.column_indices(cols)
    lam_all = np.zeros(obj.n_params)
    lam_all[obj.layout.column_indices(np.arange(10))] = obj.penalty.l1_strength
    if fit_intercept:
        lam_all[obj.layout.column_indices(np.array([], dtype=np.intp))] = 0.0
    g, x, lam = obj.gradient(theta)[idx], theta[idx], lam_all[idx]
    reference = cd._cd_sweeps(hessian_columns(obj.evaluate(theta), cols), g, x, lam, 10_000, 1e-14)[0]
    assert np.any(x + reference == 0)
    rows = obj.evaluate(theta, curvature=True).rows  # each row's class probabilities
    P = np.ascontiguousarray(np.concatenate(rows).T)
    weights = np.concatenate([b[2] for b in obj.source.blocks()]) / obj.source.total_weight
    A = obj.source.sparse_columns()[:, cols]
    indptr, indices = unsigned_index(A.indptr), unsigned_index(A.indices)
    l2 = obj.penalty.l2_strength
    for kernel in (cd._cd_sparse_softmax_sweeps, cd.cd_sparse_softmax):
        d = kernel(indptr, indices, A.data, P, weights, l2, fit_intercept, g, x, lam, 10_000, 1e-14)[0]
        np.testing.assert_allclose(d, reference, atol=1e-9)
        np.testing.assert_array_equal(x + d == 0, x + reference == 0)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_ones", [True, False])
def test_column_gram_of_csr_rows_equals_the_gram_of_the_sliced_columns(compiled, dtype, with_ones, rng, monkeypatch):
    X = sp.random(300, 40, density=0.15, format="csr", random_state=1, dtype=dtype)
    # a duplicate entry of column 7 in row 0 (non-canonical CSR): products with X sum it, so must the Gram
    start = X.indptr[1]
    data, indices = np.insert(X.data, start, dtype(0.5)), np.insert(X.indices, start, 7)
    X = sp.csr_matrix((data, indices, np.r_[0, X.indptr[1:] + 1]), shape=X.shape)
    assert not X.has_canonical_format
    h = rng.random(300)
    cols = np.array([7, 0, 31, 12])
    monkeypatch.setattr(cd, "COMPILED", compiled and cd.COMPILED)
    dense = X.astype(np.float64).toarray()[:, cols]  # duplicates summed in float64
    expected = neuron_gram(dense, h, with_ones)
    np.testing.assert_allclose(cd.column_gram(X, h, cols, with_ones), expected, rtol=1e-12, atol=1e-14)


def neuron_gram(A, h, with_ones):
    B = np.column_stack([A, np.ones(len(A))]) if with_ones else A
    return B.T @ (h[:, None] * B)


def test_small_working_sets_on_sparse_rows_make_no_column_copy():
    # a fit whose working sets all stay small takes their Hessian from the CSR rows: no CSC copy of X
    X, y = noisy_classification(n_samples=400, n_features=30, n_classes=2, seed=4)
    X = sp.csr_matrix(np.where(np.abs(X) > 0.8, X, 0.0))
    obj = objective_for(X, y, 2, 0.2, 1.0, fit_intercept=True)
    result = prox.solve(obj, np.zeros(obj.n_params), tol=1e-10)
    assert result.converged and 0 < np.count_nonzero(obj.weights(result.x)) <= 3
    assert obj.source._csc is None
    dense = objective_for(X.toarray(), y, 2, 0.2, 1.0, fit_intercept=True)
    np.testing.assert_allclose(result.x, prox.solve(dense, np.zeros(dense.n_params), tol=1e-10).x, atol=1e-10)


@pytest.mark.parametrize("through_columns", [True, False])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_warm_started_sparse_path_reaches_the_optimum_of_the_dense_model(
    through_columns, fit_intercept, rng, monkeypatch
):
    # a path of warm starts on sparse rows ends at the optimum that cold starts on the same rows stored densely
    # reach: with coordinate descent through sparse columns (first model solved loosely, the next ones to 0.1 of
    # the optimality), and with the dense working-set model taken from the CSR rows (no CSC copy)
    if through_columns:
        monkeypatch.setattr(quadratic, "SPARSE_DENSE_MODEL_MAX_WORK", 0.0)
    X, y = noisy_classification(n_samples=1500, n_features=60, n_classes=2, seed=8)
    X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    weights = rng.uniform(0.5, 2.0, 1500)
    x, column_copies = None, []
    for strength in (0.02, 0.005, 0.001):
        obj = objective_for(X, y, 2, strength, 1.0, fit_intercept, weights=weights)
        result = prox.solve(obj, np.zeros(obj.n_params) if x is None else x, tol=1e-11)
        x = result.x
        assert result.converged
        column_copies.append(obj.source._csc is not None)
        dense = objective_for(X.toarray(), y, 2, strength, 1.0, fit_intercept, weights=weights)
        reference = prox.solve(dense, np.zeros(dense.n_params), tol=1e-11)
        np.testing.assert_allclose(x, reference.x, atol=1e-10)
        np.testing.assert_array_equal(x == 0, reference.x == 0)
    assert column_copies[-1] == through_columns  # the last working sets exceed n m^2 <= DENSE_MODEL_MAX_WORK


def test_first_sparse_model_is_solved_to_the_optimality_in_a_few_passes(monkeypatch):
    monkeypatch.setattr(quadratic, "SPARSE_DENSE_MODEL_MAX_WORK", 0.0)  # coordinate descent through columns
    X, y = noisy_classification(n_samples=1500, n_features=60, n_classes=2, seed=8)
    X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    obj = objective_for(X, y, 2, 0.01, 1.0)
    ev = obj.evaluate(np.zeros(obj.n_params), curvature=True)
    lam = np.where(obj.layout.penalized, obj.penalty.l1_strength, 0.0)
    opt = prox.optimality(ev.theta, ev.gradient, lam)
    cols = prox._working_columns(obj.layout, ev.theta, ev.gradient, obj.penalty.l1_strength)
    calls = []
    real = cd.cd_sparse

    def spy(*args):
        calls.append(args[-2])  # the inner tolerance
        passes.append(args[-3])
        return real(*args)

    passes = []

    monkeypatch.setattr(cd, "cd_sparse", spy)
    quadratic.working_set_step(ev, cols, lam, opt.max(), 1e-8, first=True)
    quadratic.working_set_step(ev, cols, lam, opt.max(), 1e-8)
    assert calls == [quadratic.FIRST_INNER_RATIO_SPARSE * opt.max(), quadratic.INNER_RATIO_SPARSE * opt.max()]
    # a model within NEAR_RATIO_SPARSE tol of the stopping rule (probably the last) is solved to a tenth of tol
    tol = opt.max() / quadratic.NEAR_RATIO_SPARSE
    quadratic.working_set_step(ev, cols, lam, opt.max(), tol)
    quadratic.working_set_step(ev, cols, lam, opt.max(), tol, first=True)
    assert calls[2:] == [0.1 * tol, quadratic.FIRST_INNER_RATIO_SPARSE * opt.max()]
    # the first model in at most FIRST_MAX_PASSES passes, the others until their tolerance
    first, later = quadratic.FIRST_MAX_PASSES, quadratic.MAX_SWEEPS
    assert passes == [first, later, later, first]


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_take_columns_of_csr_rows_equals_the_sliced_columns(compiled, dtype, monkeypatch):
    X = sp.random(300, 40, density=0.15, format="csr", random_state=2, dtype=dtype)
    start = X.indptr[1]  # a duplicate entry of column 7 in row 0: kept, so that products sum it as X's do
    data, indices = np.insert(X.data, start, dtype(0.5)), np.insert(X.indices, start, 7)
    X = sp.csr_matrix((data, indices, np.r_[0, X.indptr[1:] + 1]), shape=X.shape)
    monkeypatch.setattr(cd, "COMPILED", compiled and cd.COMPILED)
    cols = np.array([7, 0, 31, 12])
    A = cd.take_columns(X, cols)
    assert sp.issparse(A) and A.format == "csr" and A.dtype == np.float64 and A.shape == (300, 4)
    np.testing.assert_array_equal(A.toarray(), X.astype(np.float64).toarray()[:, cols])


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_take_columns_dense_of_csr_rows_equals_the_sliced_columns(compiled, dtype, monkeypatch):
    X = sp.random(300, 40, density=0.15, format="csr", random_state=2, dtype=dtype)
    start = X.indptr[1]  # a duplicate entry of column 7 in row 0: summed, as products with X sum it
    data, indices = np.insert(X.data, start, dtype(0.5)), np.insert(X.indices, start, 7)
    X = sp.csr_matrix((data, indices, np.r_[0, X.indptr[1:] + 1]), shape=X.shape)
    monkeypatch.setattr(cd, "COMPILED", compiled and cd.COMPILED)
    cols = np.array([7, 0, 31, 12])
    A = cd.take_columns_dense(X, cols)
    assert isinstance(A, np.ndarray) and A.dtype == np.float64 and A.flags.c_contiguous and A.shape == (300, 4)
    np.testing.assert_allclose(A, X.astype(np.float64).toarray()[:, cols], rtol=1e-15)
    # the same columns from the CSC copy (the duplicate summed in the same order): the same bits
    Xc = X.astype(np.float64).tocsc()
    B = cd.take_columns_dense(Xc, cols)
    assert B.dtype == np.float64 and B.flags.c_contiguous and A.tobytes() == B.tobytes()
    # and the loop itself, which numba compiles
    loop = cd._csc_take_columns_dense(Xc.indptr, Xc.indices, Xc.data, cols, Xc.shape[0])
    assert A.tobytes() == loop.tobytes()


@pytest.mark.parametrize("dense_columns", [True, False])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_small_working_sets_on_sparse_rows_are_solved_on_their_own_columns(
    dense_columns, fit_intercept, l1_ratio, rng, monkeypatch
):
    # Newton steps on the working set's columns (no pass over X each) end at the optimum that the one-model-per-pass
    # solver reaches, weighted rows, exact zeros included, in fewer passes; the columns taken dense or as CSR
    monkeypatch.setattr(prox, "RESTRICTED_DENSE_MAX_BYTES", 2**24 if dense_columns else 0)
    X, y = noisy_classification(n_samples=1200, n_features=40, n_classes=2, seed=5)
    X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    weights = rng.uniform(0.5, 2.0, 1200)
    lam = None
    results, passes = {}, {}
    for restricted in (True, False):
        monkeypatch.setattr(quadratic, "RESTRICTED_MAX_COLUMNS", 16 if restricted else 0)
        obj = objective_for(X, y, 2, 0.05, l1_ratio, fit_intercept, weights=weights)
        lam = np.where(obj.layout.penalized, obj.penalty.l1_strength, 0.0)
        results[restricted] = prox.solve(obj, np.zeros(obj.n_params), tol=1e-11)
        passes[restricted] = obj.n_passes
        assert results[restricted].converged
    x, reference = results[True].x, results[False].x
    assert 0 < np.count_nonzero(obj.weights(x)) <= 10
    np.testing.assert_allclose(x, reference, atol=1e-10)
    np.testing.assert_array_equal(x == 0, reference == 0)
    assert passes[True] < passes[False]
    # at a loose tol the weights still come out solved to RESTRICTED_RATIO * tol (the last working set held them)
    monkeypatch.setattr(quadratic, "RESTRICTED_MAX_COLUMNS", 16)
    obj = objective_for(X, y, 2, 0.05, l1_ratio, fit_intercept, weights=weights)
    x = prox.solve(obj, np.zeros(obj.n_params), tol=1e-5).x
    opt = prox.optimality(x, obj.evaluate(x).gradient, lam)
    assert opt[x != 0].max() <= prox.RESTRICTED_RATIO * 1e-5 and opt.max() <= 1e-5


def test_small_working_set_solve_is_not_taken_by_the_softmax_head_or_large_working_sets(monkeypatch):
    X, y = noisy_classification(n_samples=600, n_features=30, n_classes=3, seed=6)
    X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    calls = []
    real = prox._small_working_set
    monkeypatch.setattr(prox, "_small_working_set", lambda *a: calls.append(len(a[2])) or real(*a))
    assert prox.solve(objective_for(X, y, 3, 0.01, 1.0), np.zeros(3 * 31), tol=1e-8).converged
    assert calls == []
    X, y = noisy_classification(n_samples=1200, n_features=40, n_classes=2, seed=5)
    X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    for C in (0.05, 10.0):  # small working sets, then all 40 columns
        assert prox.solve(objective_for(X, y, 2, C, 1.0), np.zeros(41), tol=1e-8).converged
        assert calls and all(m + 1 <= quadratic.RESTRICTED_MAX_COLUMNS for m in calls)


@pytest.mark.parametrize("with_ones", [True, False])
def test_thin_gram_of_a_small_working_set_is_the_weighted_gram_exactly_symmetric(with_ones, rng):
    A = rng.normal(size=(500, 6))
    h = rng.random(500)
    H = prox._thin_gram(np.ascontiguousarray(A.T), h, with_ones)
    np.testing.assert_allclose(H, neuron.weighted_gram(A, h, with_ones), rtol=1e-13, atol=1e-12)
    assert np.array_equal(H, H.T)
