r"""Mini-batch optimizers (sgd, momentum, adam) for streams that are read once, in optax's shape.

An optimizer is a pair of pure functions with explicit state (optax's ``GradientTransformation``)::

    state = opt.init(params)
    updates, state = opt.update(grads, state, params)
    params = params + updates

built by chaining small transforms:

- ``trace(momentum)``: heavy-ball momentum, :math:`m \leftarrow \beta m + g`, update :math:`m`
  (Nesterov: :math:`g + \beta m`);
- ``scale_by_adam``: :math:`\mu \leftarrow \beta_1 \mu + (1-\beta_1) g`,
  :math:`\nu \leftarrow \beta_2 \nu + (1-\beta_2) g^2`, update
  :math:`\hat\mu / (\sqrt{\hat\nu} + \epsilon)` with the bias corrections
  :math:`\hat\mu = \mu / (1-\beta_1^t)`, :math:`\hat\nu = \nu / (1-\beta_2^t)`;
- ``scale(-learning_rate)``.

The gradient comes from an :class:`~oneuron._objective.Objective` over the mini-batch, so the penalty is the
objective's own: the batch's mean loss plus ``||w||^2 / (2 C S)``, an unbiased estimate of the full
objective's gradient when ``S`` is the full data's total weight (``partial_fit`` uses the weight seen so far,
which is ``S`` after one pass over the stream). An l1 part is applied by its proximal step after the update.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np


class GradientTransformation(NamedTuple):
    """``init(params) -> state`` and ``update(grads, state, params) -> (updates, state)``."""

    init: Callable[[np.ndarray], Any]
    update: Callable[[np.ndarray, Any, np.ndarray], tuple[np.ndarray, Any]]


def identity() -> GradientTransformation:
    """Pass the gradient through unchanged."""
    return GradientTransformation(lambda params: (), lambda g, state, params=None: (g, state))


def scale(factor: float) -> GradientTransformation:
    """Multiply the updates by ``factor``."""
    return GradientTransformation(lambda params: (), lambda g, state, params=None: (factor * g, state))


def trace(decay: float, nesterov: bool = False) -> GradientTransformation:
    """Momentum: ``m <- decay m + g``; the update is ``m`` (or ``g + decay m`` with Nesterov)."""

    def init(params):
        return np.zeros_like(params, dtype=np.float64)

    def update(g, m, params=None):
        m = decay * m + g
        return (g + decay * m if nesterov else m), m

    return GradientTransformation(init, update)


class AdamState(NamedTuple):
    count: int
    mu: np.ndarray
    nu: np.ndarray


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> GradientTransformation:
    """Adam's rescaling of the gradient by running estimates of its first and second moments."""

    def init(params):
        zeros = np.zeros_like(params, dtype=np.float64)
        return AdamState(0, zeros, zeros.copy())

    def update(g, state, params=None):
        count = state.count + 1
        mu = b1 * state.mu + (1 - b1) * g
        nu = b2 * state.nu + (1 - b2) * g * g
        mu_hat = mu / (1 - b1**count)
        nu_hat = nu / (1 - b2**count)
        return mu_hat / (np.sqrt(nu_hat) + eps), AdamState(count, mu, nu)

    return GradientTransformation(init, update)


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply transforms one after the other; the state is the tuple of their states."""

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(g, state, params=None):
        new_state = []
        for t, s in zip(transforms, state, strict=True):
            g, s = t.update(g, s, params)
            new_state.append(s)
        return g, tuple(new_state)

    return GradientTransformation(init, update)


def sgd(learning_rate: float, momentum: float = 0.0, nesterov: bool = False) -> GradientTransformation:
    """Stochastic gradient descent, with (Nesterov) momentum when ``momentum > 0``."""
    return chain(trace(momentum, nesterov) if momentum else identity(), scale(-learning_rate))


def adam(learning_rate: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> GradientTransformation:
    """Adam (Kingma & Ba, 2015)."""
    return chain(scale_by_adam(b1, b2, eps), scale(-learning_rate))


#: the mini-batch solvers ``partial_fit`` accepts.
OPTIMIZERS = {"sgd": sgd, "adam": adam}


def step(objective, optimizer: GradientTransformation, params: np.ndarray, state, learning_rate: float):
    """One update on the mini-batch behind ``objective``; returns ``(loss, params, state)``.

    ``loss`` is the objective (batch mean loss plus penalty) before the update. The l1 part of the penalty,
    if any, is applied after the update by its proximal step with step size ``learning_rate``.
    """
    loss, grad = objective.loss_gradient(params)
    updates, state = optimizer.update(grad, state, params)
    params = params + updates
    if not objective.penalty.is_smooth:
        w, b = objective.split(params)
        params = objective.join(objective.penalty.prox(w, learning_rate), b)
    return loss, params, state


def curvature_bound(X, n_classes: int, fit_intercept: bool, l2_strength: float) -> float:
    """An upper bound ``L`` of the mean loss' curvature on rows like ``X``.

    ``L = c (mean ||x||^2 + [fit_intercept]) + l2``, with ``c = 1/4`` for the sigmoid and ``1/2`` for the
    softmax (bounds of ``p(1-p)`` and of the softmax Hessian's norm); the mean squared row norm is the trace
    of ``X^T X / n``, which bounds its largest eigenvalue.
    """
    sq = X.multiply(X).sum() if hasattr(X, "multiply") else np.einsum("ij,ij->", X, X, dtype=np.float64)
    c = 0.25 if n_classes <= 2 else 0.5
    return c * (float(sq) / max(X.shape[0], 1) + float(fit_intercept)) + l2_strength
