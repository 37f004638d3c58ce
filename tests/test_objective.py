"""The objective equals scikit-learn's, over any blocking, dtype and storage of the same data."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import approx_fprime
from sklearn.metrics import log_loss

from oneuron._inference import fit_statistics
from oneuron._objective import Objective
from oneuron._penalty import Penalty
from oneuron.data import MemorySource

from .conftest import noisy_classification


def make_objective(X, y, n_classes, C=1.0, penalty="l2", s=None, block_rows=None, fit_intercept=True):
    s = np.ones(len(y)) if s is None else s
    y_enc = y.astype(X.dtype) if n_classes == 2 else y.astype(np.int32)
    source = MemorySource(X, y_enc, s.astype(X.dtype), block_rows=block_rows)
    return Objective(source, n_classes, Penalty.from_params(penalty, C, source.total_weight), fit_intercept)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_value_is_weighted_mean_log_loss_plus_scaled_l2(n_classes):
    X, y = noisy_classification(n_samples=300, n_features=8, n_classes=n_classes)
    s = np.random.default_rng(0).uniform(0.1, 3, len(y))
    C = 0.7
    obj = make_objective(X, y, n_classes, C=C, s=s)
    theta = np.random.default_rng(1).normal(size=obj.n_params) * 0.3
    w, b = obj.split(theta)
    Z = X @ np.atleast_2d(w).T + b
    P = (
        np.column_stack([1 / (1 + np.exp(Z[:, 0])), 1 / (1 + np.exp(-Z[:, 0]))])
        if n_classes == 2
        else (np.exp(Z) / np.exp(Z).sum(1, keepdims=True))
    )
    expected = log_loss(y, P, sample_weight=s) + np.sum(w**2) / (2 * C * s.sum())
    assert obj.loss(theta) == pytest.approx(expected, rel=1e-12)
    assert obj.loss_gradient(theta)[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gradient_and_hessian_match_finite_differences(n_classes, fit_intercept):
    X, y = noisy_classification(n_samples=200, n_features=6, n_classes=n_classes)
    obj = make_objective(X, y, n_classes, C=0.5, fit_intercept=fit_intercept, block_rows=37)
    rng = np.random.default_rng(2)
    theta, v = rng.normal(size=obj.n_params) * 0.2, rng.normal(size=obj.n_params)
    f, g = obj.loss_gradient(theta)
    np.testing.assert_allclose(g, approx_fprime(theta, obj.loss, 1e-7), rtol=1e-5, atol=1e-7)
    numeric_hv = (obj.gradient(theta + 1e-6 * v) - obj.gradient(theta - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(obj.hessp(theta, v), numeric_hv, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(obj.hessian(theta) @ v, numeric_hv, rtol=1e-5, atol=1e-8)


def test_one_evaluation_is_one_pass():
    X, y = noisy_classification(n_samples=1000, n_features=5)
    obj = make_objective(X, y, 2, block_rows=100)
    theta = np.zeros(obj.n_params)
    obj.loss_gradient(theta)
    assert obj.n_passes == 1
    obj.hessp(theta, theta)
    assert obj.n_passes == 2


@pytest.mark.parametrize("n_classes", [2, 3])
def test_blocking_sparse_and_float32_give_the_same_values(n_classes):
    X, y = noisy_classification(n_samples=500, n_features=10, n_classes=n_classes)
    X[X < 0.3] = 0.0
    theta = np.random.default_rng(3).normal(size=n_classes * 11 if n_classes > 2 else 11) * 0.3
    ref_f, ref_g = make_objective(X, y, n_classes).loss_gradient(theta)
    for variant in (
        make_objective(X, y, n_classes, block_rows=7),
        make_objective(sp.csr_matrix(X), y, n_classes, block_rows=64),
        make_objective(np.asfortranarray(X), y, n_classes),
    ):
        f, g = variant.loss_gradient(theta)
        assert f == pytest.approx(ref_f, rel=1e-12)
        np.testing.assert_allclose(g, ref_g, rtol=1e-10, atol=1e-12)
    f32, g32 = make_objective(X.astype(np.float32), y, n_classes).loss_gradient(theta)
    assert f32 == pytest.approx(ref_f, rel=1e-5)
    np.testing.assert_allclose(g32, ref_g, rtol=1e-3, atol=1e-5)


def test_integer_weights_equal_repeated_rows():
    X, y = noisy_classification(n_samples=120, n_features=4)
    counts = np.random.default_rng(4).integers(0, 4, len(y))
    theta = np.random.default_rng(5).normal(size=5)
    weighted = make_objective(X, y, 2, s=counts.astype(float)).loss_gradient(theta)
    repeated = make_objective(np.repeat(X, counts, axis=0), np.repeat(y, counts), 2).loss_gradient(theta)
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-12)
    np.testing.assert_allclose(weighted[1], repeated[1], rtol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_full_hessian_is_one_pass_and_score_outer_sums_per_row_gradients(n_classes, fit_intercept):
    X, y = noisy_classification(n_samples=90, n_features=4, n_classes=n_classes)
    s = np.random.default_rng(6).integers(1, 4, len(y)).astype(float)
    obj = make_objective(X, y, n_classes, penalty=None, s=s, block_rows=25, fit_intercept=fit_intercept)
    theta = np.random.default_rng(7).normal(size=obj.n_params) * 0.3
    H = obj.hessian(theta)
    assert obj.n_passes == 1 and np.allclose(H, H.T)
    stats = fit_statistics(obj, theta)  # the information, the sandwich's meat and more, in one pass
    assert obj.n_passes == 2
    np.testing.assert_allclose(stats.information, H * s.sum(), rtol=1e-12)
    # peer: each row's gradient from a one-row objective, outer products summed with the weights
    rows = [
        make_objective(X[i : i + 1], y[i : i + 1], n_classes, penalty=None, fit_intercept=fit_intercept).gradient(theta)
        for i in range(len(y))
    ]
    expected = sum(si * np.outer(g, g) for si, g in zip(s, rows, strict=True))
    np.testing.assert_allclose(stats.score_outer, expected, rtol=1e-10, atol=1e-12)


def test_an_evaluation_belongs_to_its_point():
    """Hessian products of an evaluation use the curvature at its theta, whatever was evaluated since; its
    Hessian, once computed, costs no pass; what callers get back is theirs to change."""
    X, y = noisy_classification(n_samples=200, n_features=4)
    obj = make_objective(X, y, 2, block_rows=50)
    rng = np.random.default_rng(8)
    theta1, theta2, v = rng.normal(size=(3, obj.n_params))
    first = obj.evaluate(theta1, curvature=True)
    second = obj.evaluate(theta2, curvature=True)
    np.testing.assert_allclose(first.hessp(v), obj.hessian(theta1) @ v, rtol=1e-12)
    np.testing.assert_allclose(second.hessp(v), obj.hessian(theta2) @ v, rtol=1e-12)
    assert not np.allclose(first.hessp(v), second.hessp(v))
    H = first.hessian()
    passes = obj.n_passes
    H[:] = 0.0
    assert np.any(first.hessian() != 0) and obj.n_passes == passes
    g = obj.gradient(theta1)
    g[:] = 0.0
    assert np.any(obj.gradient(theta1) != 0)


@pytest.mark.parametrize("penalty", ["l2", None])
def test_remove_symmetry_drops_only_flat_directions(penalty):
    """A step along a removed direction leaves the softmax objective unchanged; what remains is centred."""
    X, y = noisy_classification(n_samples=200, n_features=4, n_classes=3)
    obj = make_objective(X, y, 3, penalty=penalty)
    rng = np.random.default_rng(7)
    theta, step = rng.normal(size=obj.n_params) * 0.3, rng.normal(size=obj.n_params)
    kept = obj.remove_symmetry(step)
    removed = step - kept
    assert obj.loss(theta + removed) == pytest.approx(obj.loss(theta), rel=1e-13)
    M = kept.reshape(3, -1)
    np.testing.assert_allclose(M[:, 4].sum(), 0.0, atol=1e-12)  # intercepts centred
    if penalty is None:
        np.testing.assert_allclose(M.sum(axis=0), 0.0, atol=1e-12)
    else:
        np.testing.assert_array_equal(M[:, :4], step.reshape(3, -1)[:, :4])  # penalized weights untouched
    binary = make_objective(X, (y > 0).astype(int), 2)
    np.testing.assert_array_equal(binary.remove_symmetry(step[:5]), step[:5])


@pytest.mark.parametrize("storage", ["dense", "sparse", "float32"])
def test_kept_curvature_saves_a_pass_and_changes_no_number(storage):
    # a second-order solver asks its evaluations for the rows' curvature: the same pass keeps it, and the
    # products (Newton-CG's, the proximal solver's sparse model) reuse it
    X, y = noisy_classification(n_samples=500, n_features=12, seed=4)
    if storage == "sparse":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.8, X, 0.0))
    elif storage == "float32":
        X = X.astype(np.float32)
    s = np.random.default_rng(2).uniform(0.2, 2.0, len(y))
    theta = np.random.default_rng(3).normal(size=13) * 0.2
    v = np.random.default_rng(4).normal(size=13)
    plain, keeping = (make_objective(X, y, 2, s=s, block_rows=128) for _ in range(2))

    e0 = plain.evaluate(theta)
    e1 = keeping.evaluate(theta, curvature=True)
    # the same sums (float32 rows: the compiled loop with the curvature output may round differently)
    assert e1.loss == pytest.approx(e0.loss, rel=1e-14)
    np.testing.assert_allclose(e1.gradient, e0.gradient, rtol=1e-13, atol=1e-15)
    assert plain.n_passes == keeping.n_passes == 1

    np.testing.assert_allclose(e1.hessp(v), e0.hessp(v), rtol=1e-12)
    np.testing.assert_allclose(e1.diagonal(), e0.diagonal(), rtol=1e-12)
    assert keeping.n_passes == plain.n_passes - 1  # no curvature pass of its own
    for a, b in zip(e1.rows, e0.rows, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
