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
intervals (see ``_firth.py``).

A fitted model keeps :class:`FitStatistics`, not its data: the information ``I``, the sandwich's "meat"
``sum_i s_i g_i g_i.T``, the log-likelihoods and the weighted class totals, all from one pass at the end of
``fit`` (:func:`fit_statistics`). Every covariance type above and every statistic of the summary follow
from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from scipy.stats import chi2 as _chi2
from scipy.stats import norm as _norm

from oneuron import neuron
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
        ``reference_class``).
    log_likelihood, ll_null, llr, llr_pvalue, pseudo_r2, aic, bic : float
        Model statistics (see :mod:`oneuron._inference`).
    n_obs : float
        Total sample weight (the number of rows without weights).
    df_model, df_resid : float
    cov_type : str
    alpha : float
        The intervals have coverage ``1 - alpha``.
    cov : ndarray
        Covariance of the coefficients, in the row order of ``table``.
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


#: Firth's profile intervals are computed at fit for this ``alpha`` (other levels need the data again).
PROFILE_ALPHA = 0.05


@dataclass
class FitStatistics:
    """What inference needs about the data, computed at the estimate at the end of ``fit``.

    Attributes
    ----------
    theta : ndarray
        The estimate these statistics belong to.
    information : ndarray (k, k)
        ``S`` times the Hessian of the objective at ``theta`` (with its l2 penalty, if any).
    score_outer : ndarray (k, k)
        ``sum_i s_i g_i g_i.T``, ``g_i`` the gradient of row i's loss (the sandwich's "meat").
    log_likelihood : float
        ``-sum_i s_i l_i`` at ``theta``.
    class_totals : ndarray (K,)
        Total sample weight of each class (the intercept-only model's fit).
    profile : ndarray (2, k) or None
        Firth fits: profile penalized-likelihood ``1 - PROFILE_ALPHA`` intervals, in ``theta``'s order.
    """

    theta: np.ndarray
    information: np.ndarray
    score_outer: np.ndarray
    log_likelihood: float
    class_totals: np.ndarray
    profile: np.ndarray | None = None

    @property
    def n_obs(self) -> float:
        return float(self.class_totals.sum())

    @property
    def ll_null(self) -> float:
        """Log-likelihood of the intercept-only model (as statsmodels' ``llnull``): ``S sum_k pi_k log pi_k``."""
        pi = self.class_totals / self.class_totals.sum()
        pi = pi[pi > 0]
        return float(self.class_totals.sum() * np.sum(pi * np.log(pi)))

    def to_arrays(self) -> dict:
        """The statistics as named float64 arrays (what a model file stores)."""
        out = {
            "theta": self.theta,
            "information": self.information,
            "score_outer": self.score_outer,
            "log_likelihood": np.array([self.log_likelihood]),
            "class_totals": self.class_totals,
        }
        if self.profile is not None:
            out["profile"] = self.profile
        return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}

    @classmethod
    def from_arrays(cls, arrays: dict, n_params: int, n_classes: int) -> FitStatistics:
        """Inverse of :meth:`to_arrays`, checking every shape against the model's (ValueError naming the field)."""
        shapes = {
            "theta": (n_params,),
            "information": (n_params, n_params),
            "score_outer": (n_params, n_params),
            "log_likelihood": (1,),
            "class_totals": (max(n_classes, 2),),
            "profile": (2, n_params),
        }
        unknown = set(arrays) - set(shapes)
        if unknown:
            raise ValueError(f"statistics: unknown field(s) {sorted(unknown)}")
        for name, shape in shapes.items():
            if name not in arrays:
                if name == "profile":
                    continue
                raise ValueError(f"statistics: the field {name!r} is missing")
            a = arrays[name]
            if a.shape != shape or a.dtype.kind != "f":
                raise ValueError(f"statistics: {name!r} has shape {a.shape}, expected {shape}")
            if not np.all(np.isfinite(a)) and name != "profile":
                raise ValueError(f"statistics: {name!r} holds non-finite values")
        return cls(
            theta=arrays["theta"],
            information=arrays["information"],
            score_outer=arrays["score_outer"],
            log_likelihood=float(arrays["log_likelihood"][0]),
            class_totals=arrays["class_totals"],
            profile=arrays.get("profile"),
        )


#: rows per piece of a block in the statistics pass: the weighted copies of X it makes stay small
CHUNK_BYTES = 2**18


def _in_chunks(block_fn):
    """``block_fn`` summed over pieces of a block, so that its temporaries (weighted copies of X) stay small."""

    def chunked(X, y, s, *args):
        rows = max(64, CHUNK_BYTES // (8 * max(1, X.shape[1])))
        total = None
        for a in range(0, X.shape[0], rows):
            part = block_fn(X[a : a + rows], y[a : a + rows], s[a : a + rows], *args)
            total = part if total is None else tuple(t + p for t, p in zip(total, part, strict=True))
        return total

    chunked.__name__ = chunked.__qualname__ = block_fn.__name__ + "_in_chunks"
    return chunked


def _binary_statistics_chunk(X, y, s, w, b, fit_intercept, want_hessian):
    X = X.astype(np.float64)  # a small piece: the matrices are summed in float64 whatever X's dtype
    z = neuron.forward(X, w, b)
    s = s.astype(np.float64)
    p = neuron.sigmoid(z)
    r = p - y
    loglik = -float(s @ (neuron.softplus(z) - y * z))
    H = neuron.weighted_gram(X, s * p * (1 - p), fit_intercept) if want_hessian else 0.0
    M = neuron.weighted_gram(X, s * r * r, fit_intercept)
    positive = float(s @ y)
    return H, M, loglik, np.array([float(s.sum()) - positive, positive])


def _multi_statistics_chunk(X, y, s, W, b, fit_intercept, want_hessian):
    X = X.astype(np.float64)
    s = s.astype(np.float64)
    K = W.shape[0]
    labels = y.astype(np.intp)
    Y = (labels[:, None] == np.arange(K)).astype(np.float64)
    Z = neuron.forward_multi(X, W, b)
    loglik = -float(s @ (neuron.logsumexp(Z) - Z[np.arange(len(labels)), labels]))
    H = neuron.multinomial_hessian(X, s, W, b, fit_intercept) if want_hessian else 0.0
    M = neuron.multinomial_score_outer(X, Y, s, W, b, fit_intercept)
    return H, M, loglik, np.bincount(labels, weights=s, minlength=K).astype(np.float64)


#: one block's Hessian, sandwich meat, log-likelihood and class totals, from one ``z`` per row (the softmax
#: head's in the layout's class-by-class parameter order)
_binary_statistics = _in_chunks(_binary_statistics_chunk)
_multi_statistics = _in_chunks(_multi_statistics_chunk)


def fit_statistics(objective: Objective, theta: np.ndarray, firth: bool = False, evaluation=None) -> FitStatistics:
    """The statistics of :class:`FitStatistics` at ``theta``: one pass over the data (more for Firth's
    profile intervals, which re-fit with one coefficient fixed).

    ``evaluation``, the objective's evaluation at ``theta`` (a solver's last), lends its Hessian when its pass
    computed one: the statistics pass then forms only the sandwich's meat.
    """
    theta = np.asarray(theta, dtype=np.float64)
    known = None
    if evaluation is not None and evaluation.objective is objective and np.array_equal(evaluation.theta, theta):
        known = evaluation._data_hessian
    block = _binary_statistics if objective.is_binary else _multi_statistics
    H, M, loglik, totals = objective.reduce(block, theta, objective.fit_intercept, known is None)
    H = H if known is None else known
    information = objective._penalized_hessian(H) * objective.source.total_weight
    profile = None
    if firth:
        from oneuron import _firth

        profile = np.array(_firth.profile_intervals(objective, theta, PROFILE_ALPHA))
    return FitStatistics(theta, information, np.asarray(M), float(loglik), np.asarray(totals), profile)


def term_names(model) -> list[str]:
    """``["intercept", feature names...]`` (or ``x0..``) in the order the tables use."""
    names = getattr(model, "feature_names_in_", None)
    names = [str(v) for v in names] if names is not None else [f"x{j}" for j in range(model.coef_.shape[1])]
    return (["intercept"] if model.fit_intercept else []) + names


def smooth_penalty(model, total_weight: float) -> Penalty:
    """The penalty whose objective ``model`` minimized (Firth's estimate: the unpenalized likelihood's)."""
    kind, C, l1_ratio = model._penalty_params()
    if kind == "firth":
        return Penalty(None)
    penalty = Penalty.from_params(kind, C, total_weight, l1_ratio)
    if not penalty.is_smooth:
        raise ValueError(f"summary() supports penalty=None, 'l2' or 'firth', not penalty={kind!r}.")
    return penalty


def statistics_for(model, X, y, sample_weight=None) -> FitStatistics:
    """:class:`FitStatistics` of a fitted ``model`` on the data ``(X, y, sample_weight)``, encoded as its fit
    encodes its training data."""
    from sklearn.utils.validation import validate_data

    from oneuron.data import MemorySource

    if y is None:
        raise ValueError("summary() got X without y: pass both (or neither, to use the statistics kept at fit).")
    X, y = validate_data(model, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
    classes = model.classes_
    if not np.all(np.isin(y, classes)):
        raise ValueError(f"y has labels that the model was not fitted on; its classes are {list(classes)}.")
    encoded = np.searchsorted(classes, y)
    sw = model._sample_weight(X, y, classes, sample_weight)
    source = MemorySource(X, encoded.astype(X.dtype) if len(classes) == 2 else encoded.astype(np.int32), sw)
    objective = Objective(source, len(classes), smooth_penalty(model, source.total_weight), model.fit_intercept)
    theta = objective.layout.from_coef(model.coef_, model.intercept_)
    return fit_statistics(objective, theta, firth=model.penalty == "firth")


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


def summarize(model, stats: FitStatistics, cov_type: str = "nonrobust", alpha: float = 0.05) -> Summary:
    """Inference for a fitted :class:`~oneuron.LogisticRegression` from its :class:`FitStatistics`.

    Parameters
    ----------
    model : LogisticRegression
        Fitted with ``penalty=None``, ``"l2"`` or ``"firth"``.
    stats : FitStatistics
        Computed at the model's estimate (at fit, or on given data by :func:`statistics_for`).
    cov_type : {"nonrobust", "HC0", "HC1"}
    alpha : float
        ``1 - alpha`` intervals.

    Returns
    -------
    Summary
    """
    import pandas as pd

    _check(cov_type, alpha)
    classes = model.classes_
    K = len(classes)
    firth = model.penalty == "firth"
    C = model._penalty_params()[1]
    S = stats.n_obs
    penalty = smooth_penalty(model, S)
    approximate = penalty.kind is not None
    theta = stats.theta
    notes: list[str] = []

    H = stats.information
    m = model.coef_.shape[1] + model.fit_intercept
    # order of the reported parameters: intercept first within each class
    within = np.r_[m - 1, 0 : m - 1] if model.fit_intercept else np.arange(m)
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
        AB = A @ B
        cov = AB @ stats.score_outer @ AB.T
        if cov_type == "HC1":
            cov *= S / (S - k)
    cov = 0.5 * (cov + cov.T)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = beta / se
    p = 2 * _norm.sf(np.abs(z))
    q = _norm.ppf(1 - alpha / 2)
    lower, upper = beta - q * se, beta + q * se

    ll = stats.log_likelihood
    method = "MLE"
    if firth:
        if stats.profile is None or alpha != PROFILE_ALPHA:
            raise ValueError(
                f"Firth's profile intervals were computed at fit for alpha={PROFILE_ALPHA}; for alpha={alpha} "
                "pass the training data: summary(alpha=..., X=X, y=y)."
            )
        method = "Firth penalized likelihood"
        lower, upper = stats.profile[0][within], stats.profile[1][within]
        notes.append(
            "Firth (Jeffreys-prior) penalized likelihood: standard errors, z and p-values are Wald (from I^-1 at "
            f"the estimate); the intervals are profile penalized-likelihood intervals ({100 * (1 - alpha):g}%); "
            "log-likelihood, AIC and BIC are the unpenalized ones at the Firth estimate."
        )
    if approximate:
        method = f"L2-penalized (C={C:g}): approximate"
        notes.append(
            f"penalty='l2' with C={C:g}: coefficients are shrunk toward 0 and the covariance is the inverse "
            "of the penalized information (Laplace approximation of the Gaussian-prior posterior). Wald "
            "standard errors, p-values and intervals ignore the shrinkage bias: they are approximate. Fit with "
            "penalty=None (or 'firth') for exact inference."
        )
    ll_null = stats.ll_null
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
        llr_pvalue=float(_chi2.sf(llr, df_model)),
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
