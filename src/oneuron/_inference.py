r"""Statistical inference for a fitted neuron: standard errors, z, p-values, intervals, likelihood-ratio test.

For ``penalty=None`` the estimate is the maximum-likelihood estimate and everything here is the textbook
Wald inference (what statsmodels' ``Logit``/``MNLogit`` report). With ``S = sum_i s_i`` the total sample
weight (sample weights are *frequency* weights: a row of weight 3 counts as three identical rows)::

    log-likelihood   ll = -sum_i s_i l(y_i, z_i)
    information      I  = S * Hessian of the mean loss           (observed = expected for the logit link)
    nonrobust        cov = I^-1
    HC0 (sandwich)   cov = I^-1 (sum_i s_i g_i g_i.T) I^-1       (g_i: gradient of row i's loss)
    HC1              cov = HC0 * n / (n - k)                     (n = S, k = number of parameters)
    z = coef / std_err,  p = 2 (1 - Phi(|z|)),  interval = coef +- Phi^-1(1 - alpha/2) std_err

and the model statistics ``ll_null`` (intercept-only model), ``llr = 2 (ll - ll_null)`` with its chi^2 p-value
on ``df_model = k - (K - 1)`` degrees of freedom (K - 1 = 1 for two classes), ``df_resid = n - k``,
McFadden's pseudo R^2 ``1 - ll/ll_null``, ``aic = -2 ll + 2 k`` and ``bic = -2 ll + log(n) k``.

Multinomial models are fitted in the symmetric parametrization (one row of weights per class); the summary
reports, as statsmodels' ``MNLogit`` does, the contrasts ``beta_k = theta_k - theta_0`` of every class against
the first (reference) class, with the covariance of that identified parametrization.

``penalty="l2"`` (approximate): the coefficients are the penalized estimate, shrunk toward 0; the covariance
is the inverse of the *penalized* information ``I + 1/C`` on the weights (the Laplace approximation of the
posterior under the Gaussian prior ``w ~ N(0, C)``; sandwich types use it as the bread). The shrinkage bias is
ignored, so z, p-values and intervals are approximate (and anti-conservative when C is small); ``ll``,
AIC and BIC are those of the unpenalized likelihood at the penalized estimate, with the nominal number of
parameters.

``penalty="firth"``: the estimate maximizes ``ll + 0.5 log det I``; the standard errors are ``I^-1`` at the
estimate (as R's ``logistf``), z and p-values are Wald, and the intervals are profile penalized-likelihood
intervals (see :mod:`oneuron._firth`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from scipy import stats

from oneuron._objective import Objective
from oneuron._penalty import Penalty

COV_TYPES = ("nonrobust", "HC0", "HC1")
COLUMNS = ["coef", "std_err", "z", "p_value", "ci_lower", "ci_upper"]


@dataclass
class Summary:
    """Inference for a fitted model; ``str(summary)`` renders it as a text table.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``coef, std_err, z, p_value, ci_lower, ci_upper``; indexed by term (``"intercept"`` first, then
        the feature names or ``x0..``), or by ``(class, term)`` for a multinomial model (every class against
        :attr:`reference_class`).
    log_likelihood, ll_null, llr, llr_pvalue, pseudo_r2, aic, bic : float
        Model statistics (see :mod:`oneuron._inference`).
    n_obs : float
        Total sample weight (the number of rows without weights).
    df_model, df_resid : float
    cov_type : str
    alpha : float
        The intervals have coverage ``1 - alpha``.
    cov : ndarray
        Covariance of the coefficients, in the row order of :attr:`table`.
    method : str
        How the coefficients were estimated.
    reference_class : object or None
        The class whose coefficients are fixed at 0 (multinomial only).
    notes : list of str

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2))
    >>> y = (X[:, 0] - 0.5 * X[:, 1] + rng.logistic(size=500) > 0).astype(int)
    >>> s = LogisticRegression(penalty=None).fit(X, y).summary()
    >>> s.table.columns.tolist()
    ['coef', 'std_err', 'z', 'p_value', 'ci_lower', 'ci_upper']
    >>> s.table.index.tolist()
    ['intercept', 'x0', 'x1']
    >>> s.n_obs, s.df_model
    (500.0, 2.0)
    >>> bool(s.table.loc['x0', 'p_value'] < 0.001)
    True
    """

    table: object
    log_likelihood: float
    ll_null: float
    llr: float
    llr_pvalue: float
    pseudo_r2: float
    aic: float
    bic: float
    n_obs: float
    df_model: float
    df_resid: float
    cov_type: str
    alpha: float
    cov: np.ndarray
    method: str = "MLE"
    reference_class: object = None
    notes: list = field(default_factory=list)

    def __str__(self) -> str:
        level = 100 * (1 - self.alpha)
        head = [
            ("Method", self.method),
            ("Covariance", self.cov_type),
            ("No. observations", f"{self.n_obs:g}"),
            ("Df model", f"{self.df_model:g}"),
            ("Df residuals", f"{self.df_resid:g}"),
            ("Log-likelihood", f"{self.log_likelihood:.6g}"),
            ("LL-null", f"{self.ll_null:.6g}"),
            ("LLR p-value", f"{self.llr_pvalue:.4g}"),
            ("Pseudo R2 (McFadden)", f"{self.pseudo_r2:.4f}"),
            ("AIC", f"{self.aic:.6g}"),
            ("BIC", f"{self.bic:.6g}"),
        ]
        if self.reference_class is not None:
            head.append(("Reference class", str(self.reference_class)))
        width = max(len(k) for k, _ in head)
        lines = ["Logistic regression results (oneuron)", "=" * 60]
        lines += [f"{k:<{width}}  {v}" for k, v in head]
        lines.append("=" * 60)
        table = self.table.rename(columns={"ci_lower": f"[{self.alpha / 2:g}", "ci_upper": f"{1 - self.alpha / 2:g}]"})
        lines.append(table.to_string(float_format=lambda v: f"{v:.4g}"))
        lines.append(f"(intervals: {level:g}%)")
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # notebooks
        return "<pre>" + str(self).replace("&", "&amp;").replace("<", "&lt;") + "</pre>"


def term_names(model) -> list[str]:
    """``["intercept", feature names...]`` (or ``x0..``) in the order the tables use."""
    names = getattr(model, "feature_names_in_", None)
    names = [str(v) for v in names] if names is not None else [f"x{j}" for j in range(model.coef_.shape[1])]
    return (["intercept"] if model.fit_intercept else []) + names


def source_for(model, X, y, sample_weight=None):
    """The data source of ``(X, y, sample_weight)`` encoded as ``model``'s fit encodes its training data."""
    from sklearn.utils.validation import validate_data

    from oneuron.data import MemorySource

    if y is None:
        raise ValueError("summary() got X without y: pass both (or neither, to use the training data).")
    X, y = validate_data(model, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
    classes = model.classes_
    if not np.all(np.isin(y, classes)):
        raise ValueError(f"y has labels that the model was not fitted on; its classes are {list(classes)}.")
    encoded = np.searchsorted(classes, y)
    sw = model._sample_weight(X, y, classes, sample_weight)
    return MemorySource(X, encoded.astype(X.dtype) if len(classes) == 2 else encoded.astype(np.int32), sw)


def _check(cov_type, alpha) -> None:
    if cov_type not in COV_TYPES:
        raise ValueError(f"cov_type={cov_type!r} is not supported; use one of {COV_TYPES}.")
    if not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number in (0, 1) (0.05 for 95% intervals), got alpha={alpha!r}.")


def _inverse(H: np.ndarray, notes: list) -> np.ndarray:
    """``H^-1`` by Cholesky; a pseudo-inverse (with a note) when H is singular."""
    try:
        c = scipy.linalg.cho_factor(H)
        return scipy.linalg.cho_solve(c, np.eye(len(H)))
    except (np.linalg.LinAlgError, ValueError):
        notes.append(
            "the information matrix is singular (collinear features or separated classes): "
            "a pseudo-inverse was used and the standard errors are not reliable."
        )
        return np.linalg.pinv(H, hermitian=True)


def null_log_likelihood(source, n_classes: int) -> float:
    """Log-likelihood of the intercept-only model (as statsmodels' ``llnull``), from one pass.

    The gradient of the mean loss at theta = 0 with respect to the intercepts is ``1/K - pi_k``, which gives
    the weighted class shares ``pi_k``; the intercept-only maximum is then ``S sum_k pi_k log pi_k``.
    """
    obj = Objective(source, n_classes, Penalty(None), fit_intercept=True)
    _, g = obj.loss_gradient(np.zeros(obj.n_params))
    _, gb = obj.split(g)
    K = max(n_classes, 2)
    pi = 1.0 / K - np.atleast_1d(gb)
    if obj.is_binary:
        pi = np.array([1.0 - pi[0], pi[0]])
    pi = np.clip(pi, 0.0, 1.0)
    return float(source.total_weight * np.sum(pi[pi > 0] * np.log(pi[pi > 0])))


def summarize(model, source, cov_type: str = "nonrobust", alpha: float = 0.05, objective=None) -> Summary:
    """Inference for a fitted :class:`~oneuron.LogisticRegression` on the data ``source`` it was fitted to.

    Parameters
    ----------
    model : LogisticRegression
        Fitted with ``penalty=None``, ``"l2"`` or ``"firth"``.
    source : Source
        The training data (encoded labels, sample weights as in the fit).
    cov_type : {"nonrobust", "HC0", "HC1"}
    alpha : float
        ``1 - alpha`` intervals.
    objective : Objective, optional
        The objective the model minimized on ``source``: evaluations it remembers at the estimate (the
        Hessian, the loss) are reused instead of new passes over the data.

    Returns
    -------
    Summary
    """
    import pandas as pd

    _check(cov_type, alpha)
    classes = model.classes_
    K = len(classes)
    firth = model.penalty == "firth"
    if firth:
        penalty = Penalty(None)
    else:
        penalty = Penalty.from_params(model.penalty, model.C, source.total_weight, model.l1_ratio)
        if not penalty.is_smooth:
            raise ValueError(f"summary() supports penalty=None, 'l2' or 'firth', not penalty={model.penalty!r}.")
    approximate = penalty.kind is not None
    obj = objective
    if obj is None or obj.source is not source or obj.penalty != penalty or obj.fit_intercept != model.fit_intercept:
        obj = Objective(source, K, penalty, model.fit_intercept)
    theta = obj.join(model.coef_[0] if K == 2 else model.coef_, model.intercept_[0] if K == 2 else model.intercept_)
    S = source.total_weight
    notes: list[str] = []

    H = obj.hessian(theta) * S  # (penalized) information
    m = obj.n_features + obj.fit_intercept
    # order of the reported parameters: intercept first within each class
    within = np.r_[m - 1, 0 : m - 1] if obj.fit_intercept else np.arange(m)
    if K == 2:
        A = np.eye(len(theta))[within]
        B = _inverse(H, notes)
    elif not approximate:
        # identified parametrization beta_k = theta_k - theta_0 (k >= 1): its information is the block of H
        # over classes 1..K-1 (the loss only depends on differences of class scores)
        keep = np.arange(m, K * m)
        A = np.zeros((len(keep), K * m))
        A[np.arange(len(keep)), keep] = 1.0
        A[np.arange(len(keep)), np.tile(np.arange(m), K - 1)] = -1.0
        Br = _inverse(H[np.ix_(keep, keep)], notes)
        B = np.zeros_like(H)
        B[np.ix_(keep, keep)] = Br
        A = A[(np.arange(K - 1)[:, None] * m + within).ravel()]
    else:
        A = np.zeros(((K - 1) * m, K * m))
        rows = np.arange((K - 1) * m)
        A[rows, m + rows] = 1.0
        A[rows, np.tile(np.arange(m), K - 1)] = -1.0
        A = A[(np.arange(K - 1)[:, None] * m + within).ravel()]
        B = np.linalg.pinv(H, hermitian=True)  # the common shift of the intercepts is not identified
    beta = A @ theta
    k = len(beta)
    if cov_type == "nonrobust":
        cov = A @ B @ A.T
    else:
        M = obj.score_outer(theta) * S
        AB = A @ B
        cov = AB @ M @ AB.T
        if cov_type == "HC1":
            cov *= S / (S - k)
    cov = 0.5 * (cov + cov.T)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = beta / se
    p = 2 * stats.norm.sf(np.abs(z))
    q = stats.norm.ppf(1 - alpha / 2)
    lower, upper = beta - q * se, beta + q * se

    ll = -S * (obj.loss(theta) - penalty.smooth_value(obj.weights(theta)))
    method = "MLE"
    if firth:
        from oneuron import _firth as firth_module

        method = "Firth penalized likelihood"
        lower, upper = firth_module.profile_intervals(obj, theta, alpha)
        lower, upper = lower[within], upper[within]
        notes.append(
            "Firth (Jeffreys-prior) penalized likelihood: standard errors, z and p-values are Wald (from I^-1 at "
            f"the estimate); the intervals are profile penalized-likelihood intervals ({100 * (1 - alpha):g}%); "
            "log-likelihood, AIC and BIC are the unpenalized ones at the Firth estimate."
        )
    if approximate:
        method = f"L2-penalized (C={model.C:g}): approximate"
        notes.append(
            f"penalty='l2' with C={model.C:g}: coefficients are shrunk toward 0 and the covariance is the inverse "
            "of the penalized information (Laplace approximation of the Gaussian-prior posterior). Wald "
            "standard errors, p-values and intervals ignore the shrinkage bias: they are approximate. Fit with "
            "penalty=None (or 'firth') for exact inference."
        )
    ll_null = null_log_likelihood(source, K)
    # the likelihood-ratio test is against the intercept-only model (K - 1 parameters), with or without an
    # intercept in the fitted model (as statsmodels)
    df_model = float(k - (K - 1 if K > 2 else 1))
    llr = 2.0 * (ll - ll_null)

    index = term_names(model)
    if K == 2:
        idx = pd.Index(index, name="term")
    else:
        idx = pd.MultiIndex.from_product([list(classes[1:]), index], names=["class", "term"])
    table = pd.DataFrame(np.column_stack([beta, se, z, p, lower, upper]), index=idx, columns=COLUMNS)
    return Summary(
        table=table,
        log_likelihood=float(ll),
        ll_null=ll_null,
        llr=float(llr),
        llr_pvalue=float(stats.chi2.sf(llr, df_model)),
        pseudo_r2=float(1.0 - ll / ll_null),
        aic=float(-2.0 * ll + 2.0 * k),
        bic=float(-2.0 * ll + np.log(S) * k),
        n_obs=float(S),
        df_model=df_model,
        df_resid=float(S - k),
        cov_type=cov_type,
        alpha=float(alpha),
        cov=cov,
        method=method,
        reference_class=classes[0] if K > 2 else None,
        notes=notes,
    )
