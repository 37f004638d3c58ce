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

import datetime
import html
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from scipy.stats import chi2 as _chi2
from scipy.stats import norm as _norm

from oneuron import neuron
from oneuron._objective import Objective
from oneuron._penalty import Penalty

COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")
COLUMNS = ["coef", "std_err", "z", "p_value", "ci_lower", "ci_upper"]

#: width of the text summary (statsmodels' 78 columns)
WIDTH = 78


def _forg(x: float, prec: int = 3) -> str:
    """statsmodels' number format: fixed with ``prec`` decimals, general format for very large or small values."""
    if not np.isfinite(x):
        return str(x)
    if abs(x) >= 1e4 or abs(x) < 1e-4:
        return f"{x:.{prec}g}"
    return f"{x:.{prec}f}"


@dataclass
class TestResult:
    """A chi-square test: the statistic, its degrees of freedom and p-value.

    Attributes
    ----------
    statistic : float
    df : float
    p_value : float
    name : str
        What was tested (``"likelihood ratio"`` or ``"Wald"``).

    Examples
    --------
    >>> from oneuron import TestResult
    >>> TestResult(statistic=3.84, df=1, p_value=0.05, name="Wald")
    Wald test: chi2(1) = 3.84, p-value = 0.05
    """

    __test__ = False  # not a pytest test class despite its name

    statistic: float
    df: float
    p_value: float
    name: str = "chi-square"

    def __repr__(self) -> str:
        return f"{self.name} test: chi2({self.df:g}) = {self.statistic:.6g}, p-value = {self.p_value:.4g}"


@dataclass
class Summary:
    """Inference for a fitted model, laid out as statsmodels' ``summary()``; ``print(summary)`` shows it.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``coef, std_err, z, p_value, ci_lower, ci_upper``; indexed by term (``"intercept"`` first, then
        the feature names or ``x0..``; the formula's term names for :func:`~oneuron.logit` models), or by
        ``(class, term)`` for a multinomial model (every class against ``reference_class``).
    log_likelihood, ll_null, llr, llr_pvalue, pseudo_r2, aic, bic : float
        Model statistics: ``llr = 2 (ll - ll_null)`` is the likelihood-ratio chi-square against the
        intercept-only model, on ``df_model`` degrees of freedom.
    n_obs : float
        Total sample weight (the number of rows without weights).
    df_model, df_resid : float
    cov_type : str
        ``"nonrobust"``, ``"HC0"``, ``"HC1"`` or ``"cluster"``.
    alpha : float
        The intervals have coverage ``1 - alpha``.
    cov : ndarray
        Covariance of the coefficients, in the row order of ``table``.
    method : str
        How the coefficients were estimated (``"MLE"``, Firth, L2-penalized).
    reference_class : object or None
        The class whose coefficients are fixed at 0 (multinomial only).
    notes : list of str
    dep_variable : str
        Name of the target (``"y"`` when it had none).
    model_name : str
        ``"Logit"`` (two classes) or ``"MNLogit"`` (multinomial).
    solver : str or None
        The solver that fitted the model.
    converged : bool or None
    n_iter : int or None
        Iterations of the solver.
    n_groups : tuple of int or None
        Number of clusters of each grouping (``cov_type="cluster"``).
    show_odds_ratios : bool
        ``str(summary)`` appends the odds ratios (relative risk ratios for a multinomial model).

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = (X[:, 0] + rng.logistic(size=200) > 0).astype(int)
    >>> s = LogisticRegression(penalty=None).fit(X, y).summary()
    >>> s.table.index.tolist()
    ['intercept', 'x0', 'x1']
    >>> s.odds_ratios.columns.tolist()
    ['odds_ratio', 'ci_lower', 'ci_upper']
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
    dep_variable: str = "y"
    model_name: str = "Logit"
    solver: str | None = None
    converged: bool | None = None
    n_iter: int | None = None
    n_groups: tuple | None = None
    show_odds_ratios: bool = False

    # -- derived tables -------------------------------------------------------------------------------------
    @property
    def odds_ratios(self):
        """``exp`` of the coefficients and of their interval bounds (relative risk ratios for a multinomial
        model): a DataFrame with columns ``odds_ratio`` (``rrr``), ``ci_lower``, ``ci_upper``."""
        t = np.exp(self.table[["coef", "ci_lower", "ci_upper"]])
        return t.rename(columns={"coef": "rrr" if self.reference_class is not None else "odds_ratio"})

    def conf_int(self):
        """The interval bounds: a DataFrame with columns ``ci_lower``, ``ci_upper`` indexed as ``table``."""
        return self.table[["ci_lower", "ci_upper"]]

    def wald_test(self, restrictions, q=None) -> TestResult:
        """Wald test of the linear restrictions ``R beta = q`` with this summary's covariance.

        Parameters
        ----------
        restrictions : str, list of str or array-like (r, k)
            Constraints as text over the term names (``"age = 0, educ = income"``; names that are not
            identifiers in backticks: ```C(occupation)[T.2.0]` = 0``; in a multinomial model the names are
            ``"class:term"``), a list of such constraints or of term names (each tested ``= 0``), or the
            matrix ``R`` with one column per row of ``table``.
        q : array-like (r,), optional
            Right-hand side for a matrix ``R`` (0 by default).

        Returns
        -------
        TestResult
            ``W = (R b - q)' (R V R')^-1 (R b - q)``, chi-square with ``r`` degrees of freedom.

        Examples
        --------
        >>> import numpy as np
        >>> from oneuron import LogisticRegression
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(300, 3))
        >>> y = (X[:, 0] + rng.logistic(size=300) > 0).astype(int)
        >>> s = LogisticRegression(penalty=None).fit(X, y).summary()
        >>> s.wald_test("x1 = 0, x2 = 0").df
        2.0
        """
        beta = self.table["coef"].to_numpy()
        R, q = self._restrictions(restrictions, q)
        diff = R @ beta - q
        V = R @ self.cov @ R.T
        statistic = float(diff @ np.linalg.solve(V, diff))
        df = float(np.linalg.matrix_rank(R))
        return TestResult(statistic, df, float(_chi2.sf(statistic, df)), "Wald")

    def _names(self) -> list[str]:
        if self.reference_class is None:
            return [str(t) for t in self.table.index]
        return [f"{c}:{t}" for c, t in self.table.index]

    def _restrictions(self, restrictions, q):
        names = self._names()
        if isinstance(restrictions, str) or (
            isinstance(restrictions, list | tuple) and restrictions and isinstance(restrictions[0], str)
        ):
            from formulaic.utils.constraints import LinearConstraints

            if not isinstance(restrictions, str):
                restrictions = ", ".join(r if any(op in r for op in "=<>") else f"`{r}` = 0" for r in restrictions)
            c = LinearConstraints.from_spec(restrictions, variable_names=names)
            return np.asarray(c.constraint_matrix, dtype=float), np.asarray(c.constraint_values, dtype=float)
        R = np.atleast_2d(np.asarray(restrictions, dtype=float))
        if R.shape[1] != len(names):
            raise ValueError(f"restrictions has {R.shape[1]} columns; the model has {len(names)} coefficients.")
        q = np.zeros(len(R)) if q is None else np.asarray(q, dtype=float).ravel()
        if q.shape != (len(R),):
            raise ValueError(f"q must have one value per restriction ({len(R)}), got shape {q.shape}.")
        return R, q

    # -- text ---------------------------------------------------------------------------------------------
    def _header(self) -> list[tuple[str, str]]:
        now = datetime.datetime.now()
        left = [
            ("Dep. Variable:", str(self.dep_variable)),
            ("Model:", self.model_name),
            ("Method:", "MLE" if self.method == "MLE" else self.method.split(":")[0].split(" (")[0]),
            ("Solver:", "?" if self.solver is None else str(self.solver)),
            ("Date:", now.strftime("%a, %d %b %Y")),
            ("Time:", now.strftime("%H:%M:%S")),
            ("converged:", "?" if self.converged is None else str(bool(self.converged))),
            ("No. Iterations:", "?" if self.n_iter is None else str(int(self.n_iter))),
            ("Covariance Type:", self.cov_type),
        ]
        if self.n_groups is not None:
            left.append(("No. Clusters:", " x ".join(str(g) for g in self.n_groups)))
        if self.reference_class is not None:
            left.append(("Reference class:", str(self.reference_class)))
        right = [
            ("No. Observations:", f"{self.n_obs:.10g}"),
            ("Df Residuals:", f"{self.df_resid:.10g}"),
            ("Df Model:", f"{self.df_model:.10g}"),
            ("Pseudo R-squ.:", f"{self.pseudo_r2:.4f}"),
            ("Log-Likelihood:", f"{self.log_likelihood:#.5g}"),
            ("LL-Null:", f"{self.ll_null:#.5g}"),
            ("LLR chi2:", f"{self.llr:#.5g}"),
            ("LLR p-value:", f"{self.llr_pvalue:#.4g}"),
            ("AIC:", f"{self.aic:#.5g}"),
            ("BIC:", f"{self.bic:#.5g}"),
        ]
        return left, right

    def _blocks(self):
        """``(title, frame)`` per coefficient block: one for two classes, one per class otherwise."""
        if self.reference_class is None:
            return [(str(self.dep_variable), self.table)]
        return [
            (f"{self.dep_variable}={c}", self.table.xs(c, level="class", drop_level=True))
            for c in self.table.index.get_level_values("class").unique()
        ]

    def _columns(self, ratios: bool = False) -> list[str]:
        lo, hi = f"[{self.alpha / 2:g}", f"{1 - self.alpha / 2:g}]"
        if ratios:
            return ["RRR" if self.reference_class is not None else "odds ratio", lo, hi]
        return ["coef", "std err", "z", "P>|z|", lo, hi]

    def _cells(self, frame, ratios: bool = False) -> list[list[str]]:
        if ratios:
            t = np.exp(frame[["coef", "ci_lower", "ci_upper"]].to_numpy())
            return [[_forg(a, 4), _forg(b), _forg(c)] for a, b, c in t]
        return [
            [_forg(r.coef, 4), _forg(r.std_err), f"{r.z:.3f}", f"{r.p_value:.3f}", _forg(r.ci_lower), _forg(r.ci_upper)]
            for r in frame.itertuples()
        ]

    def _table_text(self, ratios: bool = False) -> list[str]:
        blocks = self._blocks()
        names = [str(t) for _, f in blocks for t in f.index] + [t for t, _ in blocks]
        w0 = max(12, max(len(n) for n in names) + 1)
        cols = self._columns(ratios)
        width = max(WIDTH, w0 + 11 * len(self._columns()))
        lines = []
        for i, (title, frame) in enumerate(blocks):
            lines.append(("=" if i == 0 else "-") * width)
            head = title if len(blocks) > 1 else ""
            lines.append(f"{head:<{w0}}" + "".join(f"{c:>11}" for c in cols))
            lines.append("-" * width)
            for name, cells in zip(frame.index, self._cells(frame, ratios), strict=True):
                lines.append(f"{str(name):<{w0}}" + "".join(f"{c:>11}" for c in cells))
        lines.append("=" * width)
        return lines

    def __str__(self) -> str:
        left, right = self._header()
        title = "MNLogit Regression Results" if self.reference_class is not None else "Logit Regression Results"
        title = f"{title} (oneuron)"
        table = self._table_text()
        width = len(table[0])
        half = width // 2
        lines = [f"{title:^{width}}".rstrip(), "=" * width]
        for i in range(max(len(left), len(right))):
            lk, lv = left[i] if i < len(left) else ("", "")
            rk, rv = right[i] if i < len(right) else ("", "")
            lines.append(f"{lk:<20}{lv:>{half - 23}}   {rk:<20}{rv:>{width - half - 20}}".rstrip())
        lines += table
        if self.show_odds_ratios:
            what = "Relative risk ratios" if self.reference_class is not None else "Odds ratios"
            lines.append(f"{what} (exp of the coefficients and of their interval bounds)")
            lines += self._table_text(ratios=True)
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        classes = "" if self.reference_class is None else f", {len(self._blocks()) + 1} classes"
        return (
            f"<Summary: {self.model_name} of {self.dep_variable}{classes}, {self.n_obs:.10g} obs, "
            f"{len(self.table)} coefficients, {self.cov_type}, log-likelihood {self.log_likelihood:.6g}>"
        )

    def _repr_html_(self) -> str:  # notebooks: real tables
        e = html.escape
        left, right = self._header()
        rows = []
        for i in range(max(len(left), len(right))):
            lk, lv = left[i] if i < len(left) else ("", "")
            rk, rv = right[i] if i < len(right) else ("", "")
            rows.append(f"<tr><th>{e(lk)}</th><td>{e(lv)}</td><th>{e(rk)}</th><td>{e(rv)}</td></tr>")
        title = "MNLogit" if self.reference_class is not None else "Logit"
        out = [f'<table class="simpletable"><caption>{title} Regression Results (oneuron)</caption>', *rows, "</table>"]
        tables = [(self._columns(), False)]
        if self.show_odds_ratios:
            tables.append((self._columns(ratios=True), True))
        for cols, ratios in tables:
            for title, frame in self._blocks():
                out.append('<table class="simpletable">')
                out.append("<tr><th>" + e(title) + "</th>" + "".join(f"<th>{e(c)}</th>" for c in cols) + "</tr>")
                for name, cells in zip(frame.index, self._cells(frame, ratios), strict=True):
                    out.append(f"<tr><th>{e(str(name))}</th>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
                out.append("</table>")
        out += [f"<p>Note: {e(note)}</p>" for note in self.notes]
        return "\n".join(out)


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
    intercept = "Intercept" if getattr(model, "formula_", None) is not None else "intercept"
    return ([intercept] if model.fit_intercept else []) + names


def smooth_penalty(model, total_weight: float) -> Penalty:
    """The penalty whose objective ``model`` minimized (Firth's estimate: the unpenalized likelihood's)."""
    kind, C, l1_ratio = model._penalty_params()
    if kind == "firth":
        return Penalty(None)
    penalty = Penalty.from_params(kind, C, total_weight, l1_ratio)
    if not penalty.is_smooth:
        raise ValueError(f"summary() supports penalty=None, 'l2' or 'firth', not penalty={kind!r}.")
    return penalty


def _encoded(model, X, y, sample_weight):
    """``(X, class indices, sample weights)`` of given data, validated and encoded as the model's fit does."""
    from sklearn.utils.validation import validate_data

    if y is None:
        raise ValueError("summary() got X without y: pass both (or neither, to use the statistics kept at fit).")
    X, y = validate_data(model, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
    classes = model.classes_
    if not np.all(np.isin(y, classes)):
        raise ValueError(f"y has labels that the model was not fitted on; its classes are {list(classes)}.")
    encoded = np.searchsorted(classes, y)
    return X, encoded, model._sample_weight(X, y, classes, sample_weight)


def statistics_for(model, X, y, sample_weight=None) -> FitStatistics:
    """:class:`FitStatistics` of a fitted ``model`` on the data ``(X, y, sample_weight)``, encoded as its fit
    encodes its training data."""
    from oneuron.data import MemorySource

    X, encoded, sw = _encoded(model, X, y, sample_weight)
    classes = model.classes_
    source = MemorySource(X, encoded.astype(X.dtype) if len(classes) == 2 else encoded.astype(np.int32), sw)
    objective = Objective(source, len(classes), smooth_penalty(model, source.total_weight), model.fit_intercept)
    theta = objective.layout.from_coef(model.coef_, model.intercept_)
    return fit_statistics(objective, theta, firth=model.penalty == "firth")


def _score_rows(model, X, encoded, sw) -> np.ndarray:
    """Each row's weighted score ``s_i g_i`` (n, k), in the parameter order of ``theta`` (the layout's)."""
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    X = X.astype(np.float64)
    K = len(model.classes_)
    ones = [np.ones((len(X), 1))] if model.fit_intercept else []
    if K == 2:
        p = neuron.sigmoid(neuron.forward(X, model.coef_[0], float(model.intercept_[0])))
        r = sw * (p - encoded)
        return np.hstack([X * r[:, None], *(o * r[:, None] for o in ones)])
    P = neuron.softmax(neuron.forward_multi(X, model.coef_, model.intercept_))
    R = sw[:, None] * (P - (encoded[:, None] == np.arange(K)))
    Xt = np.hstack([X, *ones])  # (n, m)
    return (R[:, :, None] * Xt[:, None, :]).reshape(len(X), -1)


def cluster_meats(model, X, y, groups, sample_weight=None) -> list[tuple[float, np.ndarray, int]]:
    """The cluster-robust "meats" ``sum_g u_g u_g.T`` (``u_g`` the summed scores of cluster g) of given data.

    ``groups``: one label per row (one-way clustering), or two columns (two-way: the meats of each grouping
    and, with sign -1, of their intersection, as Cameron, Gelbach and Miller and statsmodels). Returns
    ``[(sign, meat, number of clusters), ...]``.
    """
    X, encoded, sw = _encoded(model, X, y, sample_weight)
    g = np.asarray(groups)
    if g.ndim == 2 and g.shape[1] == 1:
        g = g[:, 0]
    if g.ndim not in (1, 2) or len(g) != X.shape[0] or (g.ndim == 2 and g.shape[1] != 2):
        raise ValueError(
            f"groups must hold one cluster label per row ({X.shape[0]}), or two columns of them for two-way "
            f"clustering; got shape {g.shape}."
        )
    if g.dtype.kind == "f" and np.isnan(g).any():
        raise ValueError("groups has missing values (NaN): every row needs a cluster label.")
    columns = [g] if g.ndim == 1 else [g[:, 0], g[:, 1]]
    codes = [np.unique(c, return_inverse=True)[1].ravel() for c in columns]
    signs = [1.0] * len(codes)
    if len(codes) == 2:
        codes.append(np.unique(np.column_stack(codes), axis=0, return_inverse=True)[1].ravel())
        signs.append(-1.0)
    n_groups = [int(c.max()) + 1 for c in codes]
    k = (model.coef_.shape[1] + model.fit_intercept) * (1 if len(model.classes_) == 2 else len(model.classes_))
    sums = [np.zeros((G, k)) for G in n_groups]
    rows = max(64, CHUNK_BYTES // (8 * k))
    for a in range(0, X.shape[0], rows):
        scores = _score_rows(model, X[a : a + rows], encoded[a : a + rows], sw[a : a + rows])
        for U, c in zip(sums, codes, strict=True):
            np.add.at(U, c[a : a + rows], scores)
    return [(s, U.T @ U, G) for s, U, G in zip(signs, sums, n_groups, strict=True)]


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


def summarize(
    model,
    stats: FitStatistics,
    cov_type: str = "nonrobust",
    alpha: float = 0.05,
    *,
    cluster: list | None = None,
    odds_ratios: bool = False,
) -> Summary:
    """Inference for a fitted :class:`~oneuron.LogisticRegression` from its :class:`FitStatistics`.

    Parameters
    ----------
    model : LogisticRegression
        Fitted with ``penalty=None``, ``"l2"`` or ``"firth"``.
    stats : FitStatistics
        Computed at the model's estimate (at fit, or on given data by :func:`statistics_for`).
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}
    alpha : float
        ``1 - alpha`` intervals.
    cluster : list, optional
        ``cov_type="cluster"``: the meats of :func:`cluster_meats`. Each enters as statsmodels' CRV1,
        ``B M B`` times ``G / (G - 1) (n - 1) / (n - k)``; two-way clustering adds the two groupings' and
        subtracts their intersection's.
    odds_ratios : bool
        ``str(summary)`` also shows the odds ratios (relative risk ratios).

    Returns
    -------
    Summary
    """
    import pandas as pd

    _check(cov_type, alpha)
    if (cov_type == "cluster") != (cluster is not None):
        raise ValueError(
            "cov_type='cluster' needs the clusters and the data: summary(cov_type='cluster', groups=g, X=X, y=y)."
        )
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
    AB = A @ B
    if cov_type == "nonrobust":
        cov = AB @ A.T
    elif cov_type == "cluster":
        cov = sum(sign * G / (G - 1.0) * (S - 1.0) / (S - k) * (AB @ M @ AB.T) for sign, M, G in cluster)
    else:
        cov = AB @ stats.score_outer @ AB.T
        if cov_type == "HC1":
            cov *= S / (S - k)
    cov = 0.5 * (cov + cov.T)
    variance = np.diag(cov)
    if cov_type == "cluster" and np.any(variance < 0):
        # two-way clustering adds and subtracts covariances: it need not be positive semi-definite
        notes.append("the cluster-robust covariance has negative variances: their standard errors are NaN.")
        variance = np.where(variance < 0, np.nan, variance)
    se = np.sqrt(np.clip(variance, 0.0, None))
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
        dep_variable=str(getattr(model, "target_name_", None) or "y"),
        model_name="Logit" if K == 2 else "MNLogit",
        solver=getattr(model, "solver_", None),
        converged=getattr(model, "converged_", None),
        n_iter=int(np.max(model.n_iter_)) if getattr(model, "n_iter_", None) is not None else None,
        n_groups=None if cluster is None else tuple(G for sign, _, G in cluster if sign > 0),
        show_odds_ratios=bool(odds_ratios),
    )


def lr_test(restricted, full) -> TestResult:
    """Likelihood-ratio test of a restricted model against the fuller model it is nested in.

    Parameters
    ----------
    restricted, full : LogisticRegression or Summary
        Fitted models (unpenalized, on the same rows; the restricted model's terms a subset of the full
        model's) or their summaries.

    Returns
    -------
    TestResult
        ``2 (ll_full - ll_restricted)``, chi-square with ``k_full - k_restricted`` degrees of freedom.

    Examples
    --------
    >>> import numpy as np
    >>> from oneuron import LogisticRegression, lr_test
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = (X[:, 0] + rng.logistic(size=300) > 0).astype(int)
    >>> full = LogisticRegression(penalty=None).fit(X, y)
    >>> small = LogisticRegression(penalty=None).fit(X[:, :1], y)
    >>> lr_test(small, full).df
    2.0
    """
    small, big = (m if isinstance(m, Summary) else m.summary() for m in (restricted, full))
    if small.n_obs != big.n_obs:
        raise ValueError(
            f"the models were fitted on different data ({small.n_obs:g} and {big.n_obs:g} observations): a "
            "likelihood-ratio test compares nested models fitted on the same rows."
        )
    df = float(len(big.table) - len(small.table))
    if df <= 0:
        raise ValueError(
            f"the full model has {len(big.table)} coefficients, the restricted one {len(small.table)}: pass the "
            "restricted (smaller) model first, lr_test(restricted, full)."
        )
    if small.method != "MLE" or big.method != "MLE":
        raise ValueError("lr_test() compares maximum-likelihood fits: fit both models with penalty=None.")
    statistic = 2.0 * (big.log_likelihood - small.log_likelihood)
    return TestResult(float(statistic), df, float(_chi2.sf(statistic, df)), "likelihood ratio")
