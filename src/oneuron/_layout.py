"""Where each parameter of the neuron lives in the flat vector the solvers work on.

Binary head: ``theta = [w_1 .. w_d, b]``. Softmax head with K classes (symmetric parametrization): the
K x (d + 1) matrix ``[W | b]`` raveled row by row, so class k's weights and then its intercept. Without an
intercept the ``b`` entries are absent. The weights are penalized, the intercepts never.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Layout:
    """The parameter layout of a neuron with ``n_classes`` outputs over ``n_features`` inputs.

    Parameters
    ----------
    n_classes : int
        2 for the binary head (one row of weights), K >= 3 for the softmax head (K rows).
    n_features : int
    fit_intercept : bool
    """

    n_classes: int
    n_features: int
    fit_intercept: bool = True

    @property
    def is_binary(self) -> bool:
        return self.n_classes <= 2

    @property
    def n_rows(self) -> int:
        """Rows of weights: 1 for the binary head, K for the softmax head."""
        return 1 if self.is_binary else self.n_classes

    @property
    def n_params(self) -> int:
        return self.n_rows * (self.n_features + self.fit_intercept)

    @cached_property
    def penalized(self) -> np.ndarray:
        """Boolean mask over ``theta``: True for the weights, False for the intercepts."""
        mask = np.ones((self.n_rows, self.n_features + self.fit_intercept), dtype=bool)
        if self.fit_intercept:
            mask[:, -1] = False
        return mask.ravel()

    def split(self, theta: np.ndarray):
        """``theta`` -> ``(w, b)``: ``w`` (d,) and float ``b`` (binary) or ``W`` (K, d) and ``b`` (K,)."""
        d = self.n_features
        if self.is_binary:
            return theta[:d], (float(theta[d]) if self.fit_intercept else 0.0)
        M = theta.reshape(self.n_classes, d + self.fit_intercept)
        return M[:, :d], (M[:, d] if self.fit_intercept else np.zeros(self.n_classes))

    def join(self, w, b) -> np.ndarray:
        """Inverse of :meth:`split` (float64); ``b`` is dropped without an intercept."""
        W = np.asarray(w, dtype=np.float64).reshape(self.n_rows, self.n_features)
        if not self.fit_intercept:
            return W.ravel().copy()
        return np.column_stack([W, np.reshape(np.asarray(b, dtype=np.float64), (self.n_rows, 1))]).ravel()

    def weights(self, theta: np.ndarray) -> np.ndarray:
        """The penalized entries of ``theta`` (everything but the intercepts), in the shape of ``w``/``W``."""
        return self.split(theta)[0]

    def to_coef(self, theta: np.ndarray):
        """``(coef_, intercept_)`` as scikit-learn shapes them: (1 or K, d) and (1 or K,), float64."""
        w, b = self.split(np.asarray(theta, dtype=np.float64))
        coef = np.atleast_2d(np.array(w, dtype=np.float64))
        intercept = np.atleast_1d(np.array(b, dtype=np.float64)) if self.fit_intercept else np.zeros(self.n_rows)
        return coef, intercept

    def from_coef(self, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """``theta`` of a model's ``coef_`` and ``intercept_`` (the inverse of :meth:`to_coef`)."""
        coef = np.asarray(coef, dtype=np.float64)[: self.n_rows]
        return self.join(coef, np.asarray(intercept, dtype=np.float64)[: self.n_rows])

    def column_indices(self, columns: np.ndarray) -> np.ndarray:
        """Flat indices in ``theta`` of the weights of ``columns`` in every class, then the intercepts.

        The order is class by class, each class's ``columns`` followed by its intercept: a working set's
        parameters in the order of its Hessian.
        """
        d1 = self.n_features + self.fit_intercept
        local = np.append(columns, self.n_features) if self.fit_intercept else np.asarray(columns, dtype=np.intp)
        return (np.arange(self.n_rows)[:, None] * d1 + local[None, :]).ravel().astype(np.intp)

    def remove_symmetry(self, step: np.ndarray, penalized_weights: bool) -> np.ndarray:
        """Remove from a step the directions along which a softmax objective is flat by symmetry.

        The softmax is unchanged when the same vector is added to every class's parameters:
        ``softmax(z + c) = softmax(z)``. The intercepts are never penalized, so adding one constant to all K of
        them leaves the objective unchanged, and without a penalty (``penalized_weights`` False) so does adding
        one vector to all K weight rows. A solver that steps along such a direction (rounding can make
        Newton-CG do so) wanders off scikit-learn's solution, the one whose class-mean is zero; subtracting the
        class-mean of those entries keeps it there. The binary head has no such direction.
        """
        if self.is_binary:
            return step
        M = np.array(step, dtype=np.float64).reshape(self.n_classes, -1)
        flat = slice(self.n_features, None) if penalized_weights else slice(None)
        M[:, flat] -= M[:, flat].mean(axis=0)
        return M.ravel()

    def center_intercepts(self, theta: np.ndarray) -> np.ndarray:
        """Softmax head: intercepts are defined up to a common shift (unpenalized); pick the zero-mean one."""
        theta = theta + 0.0  # -0.0 -> +0.0: the zeros print as zeros
        if self.is_binary or not self.fit_intercept:
            return theta
        W, b = self.split(theta)
        return self.join(W, b - b.mean())
