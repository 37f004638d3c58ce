"""Penalties on the weights (never on the intercept), scaled as scikit-learn scales them.

With ``S`` the total sample weight, the penalized objective is ``mean loss + R(w) / (C S)`` where::

    none:        R(w) = 0
    l2:          R(w) = ||w||^2 / 2
    l1:          R(w) = ||w||_1
    elasticnet:  R(w) = (1 - r) ||w||^2 / 2 + r ||w||_1       (r = l1_ratio)

The smooth (l2) part is added to the loss and its gradient; the l1 part is handled by the proximal solvers
through :meth:`Penalty.prox` (soft thresholding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PENALTIES = (None, "none", "l2", "l1", "elasticnet")


@dataclass(frozen=True)
class Penalty:
    """A penalty ``R(w) / (C S)``; ``strength`` is ``1 / (C S)`` (0 for no penalty).

    Parameters
    ----------
    kind : {None, "l2", "l1", "elasticnet"}
    strength : float
        ``1 / (C S)``.
    l1_ratio : float
        Share of the l1 term (1 for "l1", 0 for "l2").
    """

    kind: str | None = "l2"
    strength: float = 0.0
    l1_ratio: float = 0.0

    @classmethod
    def from_params(cls, penalty, C: float, total_weight: float, l1_ratio=None) -> Penalty:
        """Build from estimator parameters; ``C = inf`` or ``penalty=None`` means no penalty."""
        if penalty in (None, "none") or np.isinf(C):
            return cls(None, 0.0, 0.0)
        ratio = {"l2": 0.0, "l1": 1.0}.get(penalty, l1_ratio)
        return cls(penalty, 1.0 / (C * total_weight), float(ratio))

    @property
    def l2_strength(self) -> float:
        """Coefficient ``a`` of the smooth part ``a ||w||^2 / 2``."""
        return self.strength * (1.0 - self.l1_ratio)

    @property
    def l1_strength(self) -> float:
        """Coefficient ``a`` of the non-smooth part ``a ||w||_1``."""
        return self.strength * self.l1_ratio

    @property
    def is_smooth(self) -> bool:
        """True when there is no l1 part (every smooth solver applies)."""
        return self.l1_strength == 0.0

    def smooth_value(self, w: np.ndarray) -> float:
        """``l2_strength * ||w||^2 / 2``."""
        a = self.l2_strength
        return 0.5 * a * float(np.vdot(w, w)) if a else 0.0

    def smooth_gradient(self, w: np.ndarray) -> np.ndarray:
        """Gradient of the smooth part, ``l2_strength * w``."""
        return self.l2_strength * w

    def nonsmooth_value(self, w: np.ndarray) -> float:
        """``l1_strength * ||w||_1``."""
        a = self.l1_strength
        return a * float(np.abs(w).sum()) if a else 0.0

    def prox(self, w: np.ndarray, step: float) -> np.ndarray:
        """Proximal step of the l1 part: soft thresholding ``sign(w) max(|w| - step a, 0)``."""
        t = step * self.l1_strength
        if t == 0.0:
            return w
        return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)
