r"""Marginal effects and predicted probabilities with delta-method standard errors.

Both are smooth functions ``f(beta)`` of the reported coefficients ``beta`` (the rows of ``Summary.table``:
intercept first, class by class against the reference class for a multinomial model), so their covariance
is ``J V J'`` with ``V = Summary.cov`` and ``J`` the Jacobian of ``f``. ``J`` is taken by the complex step,
``J[:, l] = Im f(beta + i h e_l) / h`` with ``h = 1e-20``: exact to rounding (no difference is subtracted),
as statsmodels' ``margeff_cov_params`` does.

Average marginal effects (``at="overall"``, statsmodels' ``get_margeff()``)::

    binary        dP/dx_j   = mean_i p_i (1 - p_i) beta_j
    multinomial   dP_k/dx_j = mean_i P_ik (beta_kj - sum_m P_im beta_mj)      (beta_0 = 0, the reference)

and at the means (``at="mean"``) the same at the row of column means. Predicted probabilities (statsmodels'
``get_prediction(X).summary_frame()``): for two classes the interval is the linear predictor's Wald interval
mapped through the sigmoid (it stays within (0, 1)) and the standard error is the delta method's
``p (1 - p) se(x'beta)``; for more classes, each class probability ``+-`` its delta-method standard error.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm as _norm

STEP = 1e-20
COLUMNS = ["dydx", "std_err", "z", "p_value", "ci_lower", "ci_upper"]


def _design(model, X) -> np.ndarray:
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != model.coef_.shape[1]:
        raise ValueError(f"X must have {model.coef_.shape[1]} feature columns, got shape {X.shape}.")
    return np.hstack([np.ones((len(X), 1)), X]) if model.fit_intercept else X


def _probabilities(beta, Xt, n_classes):
    """Class probabilities (n, K) at the reported coefficients; complex ``beta`` propagates (complex step)."""
    m = Xt.shape[1]
    if n_classes == 2:
        z = Xt @ beta
        p = 1.0 / (1.0 + np.exp(-z))
        return np.stack([1.0 - p, p], axis=1)
    B = beta.reshape(n_classes - 1, m)
    Z = np.column_stack([np.zeros(len(Xt), dtype=beta.dtype), Xt @ B.T])
    Z = Z - Z.real.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def _effects(beta, Xt, n_classes, intercept: bool, average: bool):
    """dP/dx of every non-intercept feature: (d,) for two classes, (K, d) otherwise; averaged over rows."""
    m = Xt.shape[1]
    start = 1 if intercept else 0
    P = _probabilities(beta, Xt, n_classes)
    if n_classes == 2:
        p = P[:, 1]
        out = (p * (1 - p))[:, None] * beta[start:][None, :]  # (n, d)
    else:
        B = np.vstack([np.zeros((1, m), dtype=beta.dtype), beta.reshape(n_classes - 1, m)])[:, start:]  # (K, d)
        mean_b = P @ B  # (n, d)
        out = P[:, :, None] * (B[None, :, :] - mean_b[:, None, :])  # (n, K, d)
    return out.mean(axis=0) if average else out[0]


def _jacobian(f, beta):
    """``d f / d beta`` by the complex step: (size of f, len(beta))."""
    beta = np.asarray(beta, dtype=np.complex128)
    columns = []
    for j in range(len(beta)):
        b = beta.copy()
        b[j] += 1j * STEP
        columns.append(np.ravel(f(b)).imag / STEP)
    return np.column_stack(columns)


def _wald_frame(values, cov, index, alpha, columns):
    import pandas as pd

    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = values / se
    q = _norm.ppf(1 - alpha / 2)
    data = np.column_stack([values, se, z, 2 * _norm.sf(np.abs(z)), values - q * se, values + q * se])
    return pd.DataFrame(data, index=index, columns=columns)


def marginal_effects(model, summary, X, at: str = "overall", alpha: float = 0.05):
    """Marginal effects ``dP/dx`` of a fitted model on the rows ``X`` (numeric design), with delta-method
    standard errors from ``summary.cov``: a DataFrame as statsmodels' ``get_margeff().summary_frame()``."""
    import pandas as pd

    if at not in ("overall", "mean"):
        raise ValueError(f"at={at!r} is not supported; use 'overall' (average marginal effects) or 'mean'.")
    Xt = _design(model, X)
    if at == "mean":
        Xt = Xt.mean(axis=0, keepdims=True)
    K = len(model.classes_)
    beta = summary.table["coef"].to_numpy()

    def f(b):
        return _effects(b, Xt, K, model.fit_intercept, average=True)

    values = np.ravel(f(beta.astype(np.float64)))
    J = _jacobian(f, beta)
    cov = J @ summary.cov @ J.T
    names = list(summary.table.index.get_level_values(-1))[1 if model.fit_intercept else 0 : Xt.shape[1]]
    if K == 2:
        index = pd.Index(names, name="term")
    else:
        index = pd.MultiIndex.from_product([list(model.classes_), names], names=["class", "term"])
    return _wald_frame(values, cov, index, alpha, COLUMNS)


def predictions(model, summary, X, alpha: float = 0.05):
    """Predicted probabilities of the rows ``X`` (numeric design) with delta-method standard errors and
    intervals, as statsmodels' ``get_prediction(X).summary_frame()``."""
    import pandas as pd

    Xt = _design(model, X)
    K = len(model.classes_)
    beta = summary.table["coef"].to_numpy()
    q = _norm.ppf(1 - alpha / 2)
    if K == 2:
        eta = Xt @ beta
        se_eta = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", Xt, summary.cov, Xt), 0.0, None))
        p = 1.0 / (1.0 + np.exp(-eta))
        return pd.DataFrame(
            {
                "predicted": p,
                "se": p * (1 - p) * se_eta,
                "ci_lower": 1.0 / (1.0 + np.exp(-(eta - q * se_eta))),
                "ci_upper": 1.0 / (1.0 + np.exp(-(eta + q * se_eta))),
            }
        )
    P = _probabilities(beta.astype(np.float64), Xt, K)
    J = _jacobian(lambda b: _probabilities(b, Xt, K), beta).reshape(len(Xt), K, -1)  # (n, K, k)
    se = np.sqrt(np.clip(np.einsum("nkl,lm,nkm->nk", J, summary.cov, J), 0.0, None))
    frames = {
        c: pd.DataFrame(
            {
                "predicted": P[:, k],
                "se": se[:, k],
                "ci_lower": P[:, k] - q * se[:, k],
                "ci_upper": P[:, k] + q * se[:, k],
            }
        )
        for k, c in enumerate(model.classes_)
    }
    return pd.concat(frames, axis=1, names=["class", None])
