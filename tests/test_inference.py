"""summary() against statsmodels' Logit and MNLogit fitted in the test; l2 and input checks."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.preprocessing import StandardScaler

from oneuron import LogisticRegression
from oneuron._separation import SeparationWarning

from .conftest import noisy_classification

sm = pytest.importorskip("statsmodels.api")

TIGHT = 1e-10


def _breast_cancer_5():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X[:, [0, 1, 4, 8, 9]]), y


def _unscaled():
    X, y = make_classification(400, 4, n_informative=3, n_redundant=0, flip_y=0.15, random_state=3)
    return X * np.array([1.0, 100.0, 0.01, 5.0]) + np.array([0.0, 50.0, 0.0, -3.0]), y


BINARY = {
    "synthetic": lambda: noisy_classification(n_samples=500, n_features=6),
    "breast_cancer_5": _breast_cancer_5,
    "unscaled": _unscaled,
}
MULTI = {
    "3class": lambda: noisy_classification(n_samples=400, n_features=4, n_classes=3, seed=2),
    "4class": lambda: noisy_classification(n_samples=600, n_features=5, n_classes=4, seed=1),
}


def fit_peer(peer, y, X, **kwargs):
    """statsmodels fitted tightly, its null model too (its default null fit, BFGS, stops at ~1e-8 in llnull)."""
    res = peer(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12, maxiter=100, **kwargs)
    res.set_null_options(method="newton", tol=1e-12, maxiter=100)
    return res


def assert_table_matches(table, res, alpha=0.05):
    """Our table (intercept first) against a statsmodels result (constant first) within 1e-6 relative."""
    ci = np.asarray(res.conf_int(alpha=alpha))
    params = np.asarray(res.params)
    expected = {
        "coef": params,
        "std_err": np.asarray(res.bse),
        "z": np.asarray(res.tvalues),
        "p_value": np.asarray(res.pvalues),
    }
    if params.ndim == 2:  # MNLogit: (terms, classes) -> class by class
        expected = {k: v.T.ravel() for k, v in expected.items()}
        ci = ci.reshape(params.shape[1], params.shape[0], 2).reshape(-1, 2)
    expected["ci_lower"], expected["ci_upper"] = ci[:, 0], ci[:, 1]
    for column, values in expected.items():
        np.testing.assert_allclose(table[column].to_numpy(), values, rtol=1e-6, err_msg=column)


def assert_statistics_match(summary, res):
    for ours, theirs in [
        (summary.log_likelihood, res.llf),
        (summary.ll_null, res.llnull),
        (summary.llr, res.llr),
        (summary.llr_pvalue, res.llr_pvalue),
        (summary.pseudo_r2, res.prsquared),
        (summary.aic, res.aic),
        (summary.bic, res.bic),
    ]:
        assert ours == pytest.approx(theirs, rel=1e-8)
    assert summary.n_obs == res.nobs
    assert summary.df_model == res.df_model
    assert summary.df_resid == res.df_resid


@pytest.mark.parametrize("name", BINARY)
def test_binary_summary_matches_statsmodels_logit(name):
    X, y = BINARY[name]()
    model = LogisticRegression(penalty=None, tol=TIGHT).fit(X, y)
    res = fit_peer(sm.Logit, y, X)
    summary = model.summary()
    assert list(summary.table.columns) == ["coef", "std_err", "z", "p_value", "ci_lower", "ci_upper"]
    assert list(summary.table.index) == ["intercept"] + [f"x{j}" for j in range(X.shape[1])]
    assert_table_matches(summary.table, res)
    assert_statistics_match(summary, res)
    assert_table_matches(model.summary(alpha=0.1).table, res, alpha=0.1)


@pytest.mark.parametrize("cov_type", ["HC0", "HC1"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_sandwich_covariances_match_statsmodels(cov_type, n_classes):
    X, y = noisy_classification(n_samples=400, n_features=4, n_classes=n_classes, seed=5)
    model = LogisticRegression(penalty=None, tol=TIGHT).fit(X, y)
    peer = sm.Logit if n_classes == 2 else sm.MNLogit
    res = fit_peer(peer, y, X, cov_type="HC0")
    summary = model.summary(cov_type=cov_type)
    assert summary.cov_type == cov_type
    if cov_type == "HC1":
        # statsmodels' discrete models return HC0 for cov_type="HC1" (cov_white_simple without its small-sample
        # correction), so the peer is its HC0 times n / (n - k), the HC1 definition
        n, k = len(y), len(summary.table)
        assert n == summary.n_obs
        se = np.ravel(np.asarray(res.bse).T) * np.sqrt(n / (n - k))
        np.testing.assert_allclose(summary.table["std_err"], se, rtol=1e-6)
        np.testing.assert_allclose(summary.table["z"], np.ravel(np.asarray(res.params).T) / se, rtol=1e-6)
        return
    assert_table_matches(summary.table, res)


@pytest.mark.parametrize("name", MULTI)
def test_multinomial_summary_matches_statsmodels_mnlogit(name):
    X, y = MULTI[name]()
    model = LogisticRegression(penalty=None, tol=TIGHT).fit(X, y)
    res = fit_peer(sm.MNLogit, y, X)
    summary = model.summary()
    assert summary.reference_class == model.classes_[0]
    assert list(summary.table.index.get_level_values("class").unique()) == list(model.classes_[1:])
    assert_table_matches(summary.table, res)
    assert_statistics_match(summary, res)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_sample_weights_are_frequency_weights(n_classes):
    X, y = noisy_classification(n_samples=250, n_features=3, n_classes=n_classes, seed=4)
    counts = np.random.default_rng(0).integers(0, 4, len(y))
    model = LogisticRegression(penalty=None, tol=TIGHT).fit(X, y, sample_weight=counts)
    Xr, yr = np.repeat(X, counts, axis=0), np.repeat(y, counts)
    peer = sm.Logit if n_classes == 2 else sm.MNLogit
    for cov_type in ("nonrobust", "HC0"):
        res = fit_peer(peer, yr, Xr, cov_type=cov_type)
        summary = model.summary(cov_type)
        assert summary.n_obs == counts.sum()
        assert_table_matches(summary.table, res)
        assert_statistics_match(summary, res)


def test_summary_on_given_data_and_feature_names():
    X, y = noisy_classification(n_samples=300, n_features=3)
    frame = pd.DataFrame(X, columns=["age", "dose", "weight"])
    labels = np.array(["no", "yes"])[y]
    model = LogisticRegression(penalty=None, tol=TIGHT).fit(frame, labels)
    summary = model.summary()
    assert list(summary.table.index) == ["intercept", "age", "dose", "weight"]
    again = model.summary(X=frame, y=labels)
    pd.testing.assert_frame_equal(summary.table, again.table)
    text = str(summary)
    for piece in ("dose", "intercept", "Log-Likelihood", "Pseudo R-squ.", f"{summary.aic:#.5g}", "P>|z|"):
        assert piece in text


def test_l2_summary_is_flagged_approximate_with_penalized_information():
    X, y = noisy_classification(n_samples=300, n_features=4)
    C = 0.05
    model = LogisticRegression(C=C, tol=TIGHT).fit(X, y)
    summary = model.summary()
    assert "approximate" in summary.method and any("approximate" in note for note in summary.notes)
    # peer: inverse of X~' diag(p(1-p)) X~ + diag(1/C) on the weights, intercept first
    Xt = np.column_stack([np.ones(len(X)), X])
    p = model.predict_proba(X)[:, 1]
    info = Xt.T @ (p * (1 - p))[:, None] * 1.0
    info = Xt.T @ ((p * (1 - p))[:, None] * Xt) + np.diag(np.r_[0.0, np.full(X.shape[1], 1 / C)])
    np.testing.assert_allclose(summary.table["std_err"], np.sqrt(np.diag(np.linalg.inv(info))), rtol=1e-8)
    assert "approximate" in str(summary)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"cov_type": "HC3"}, "cov_type"), ({"alpha": 1.5}, "alpha"), ({"alpha": 0}, "alpha")],
)
def test_bad_summary_arguments_raise_named_errors(kwargs, match):
    X, y = noisy_classification(n_samples=100, n_features=3)
    model = LogisticRegression(penalty=None).fit(X, y)
    with pytest.raises(ValueError, match=match):
        model.summary(**kwargs)
    with pytest.raises(ValueError, match="y"):
        model.summary(X=X)


def test_well_posed_fits_raise_no_separation_warning():
    for X, y in (noisy_classification(n_samples=300, n_features=5), _unscaled(), MULTI["3class"]()):
        with warnings.catch_warnings():
            warnings.simplefilter("error", SeparationWarning)
            LogisticRegression(penalty=None, tol=TIGHT).fit(X, y)


def test_without_intercept_matches_statsmodels_without_constant():
    X, y = noisy_classification(n_samples=300, n_features=4, seed=6)
    model = LogisticRegression(penalty=None, fit_intercept=False, tol=TIGHT).fit(X, y)
    res = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    res.set_null_options(method="newton", tol=1e-12, maxiter=100)
    summary = model.summary()
    assert list(summary.table.index) == [f"x{j}" for j in range(4)]
    assert_table_matches(summary.table, res)
    assert_statistics_match(summary, res)


def test_multinomial_l2_summary_is_finite_and_flagged():
    X, y = MULTI["3class"]()
    summary = LogisticRegression(C=0.1, tol=TIGHT).fit(X, y).summary(cov_type="HC1")
    assert np.all(np.isfinite(summary.table.to_numpy())) and np.all(summary.table["std_err"] > 0)
    assert "approximate" in summary.method


def test_summary_without_statistics_of_the_fit_asks_for_the_data():
    X, y = noisy_classification(n_samples=100, n_features=3)
    model = LogisticRegression(penalty=None, statistics=False).fit(X, y)
    with pytest.raises(ValueError, match=r"summary\(X=X, y=y"):
        model.summary()
    assert model.summary(X=X, y=y).n_obs == 100
    l1 = LogisticRegression(penalty="l1", C=0.5).fit(X, y)
    with pytest.raises(ValueError, match="no likelihood-based inference"):
        l1.summary()


# -- cluster-robust covariances, tests between models, the printed summary --------------------------------
def _fair():
    df = sm.datasets.fair.load_pandas().data
    return df.assign(affair=(df["affairs"] > 0).astype(int))


@pytest.mark.parametrize("two_way", [False, True])
def test_cluster_robust_errors_equal_statsmodels(two_way):
    df = _fair()
    X = df[["age", "yrs_married", "children", "educ"]]
    y = df["affair"]
    groups = df[["age", "occupation_husb"]].to_numpy().astype(int)
    groups = groups if two_way else groups[:, 1]
    model = LogisticRegression(penalty=None, tol=TIGHT).fit(X, y)
    summary = model.summary(cov_type="cluster", cov_kwds={"groups": groups}, X=X, y=y)
    res = fit_peer(sm.Logit, y.to_numpy(), X.to_numpy(), cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(summary.table["std_err"], res.bse, rtol=1e-8)
    np.testing.assert_allclose(summary.table["p_value"], res.pvalues, rtol=1e-6)
    assert summary.cov_type == "cluster" and summary.n_groups == ((df["age"].nunique(), 6) if two_way else (6,))
    assert "No. Clusters" in str(summary)


def test_multinomial_cluster_robust_errors_equal_statsmodels():
    X, y = MULTI["3class"]()
    groups = np.random.default_rng(1).integers(0, 25, len(y))
    model = LogisticRegression(penalty=None, tol=TIGHT).fit(X, y)
    summary = model.summary(cov_type="cluster", groups=groups, X=X, y=y)
    res = fit_peer(sm.MNLogit, y, X, cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(summary.table["std_err"], np.asarray(res.bse).T.ravel(), rtol=1e-8)


def test_cluster_needs_groups_and_data():
    X, y = noisy_classification(n_samples=120, n_features=3)
    model = LogisticRegression(penalty=None).fit(X, y)
    with pytest.raises(ValueError, match="groups=g, X=X, y=y"):
        model.summary(cov_type="cluster", groups=np.arange(120) % 4)
    with pytest.raises(ValueError, match="one cluster label per row"):
        model.summary(cov_type="cluster", groups=np.arange(10), X=X, y=y)
    with pytest.raises(ValueError, match="groups is for cov_type='cluster'"):
        model.summary(cov_type="HC0", groups=np.arange(120), X=X, y=y)


def test_likelihood_ratio_test_equals_the_hand_computation():
    from scipy.stats import chi2

    from oneuron import lr_test

    X, y = noisy_classification(n_samples=400, n_features=5, seed=3)
    full = LogisticRegression(penalty=None, tol=TIGHT).fit(X, y)
    small = LogisticRegression(penalty=None, tol=TIGHT).fit(X[:, :2], y)
    result = lr_test(small, full)
    ll_full = -len(y) * np.mean(
        -y * np.log(full.predict_proba(X)[:, 1]) - (1 - y) * np.log(full.predict_proba(X)[:, 0])
    )
    ll_small = np.sum(np.log(small.predict_proba(X[:, :2])[np.arange(len(y)), y]))
    assert result.statistic == pytest.approx(2 * (ll_full - ll_small), rel=1e-9)
    assert result.df == 3
    assert result.p_value == pytest.approx(chi2.sf(2 * (ll_full - ll_small), 3), rel=1e-8)
    with pytest.raises(ValueError, match="restricted"):
        lr_test(full, small)


def test_wald_test_equals_statsmodels():
    X, y = noisy_classification(n_samples=400, n_features=4, seed=8)
    model = LogisticRegression(penalty=None, tol=TIGHT).fit(X, y)
    res = fit_peer(sm.Logit, y, X)
    R = np.array([[0, 1, -1, 0, 0], [0, 0, 0, 1, 0]], dtype=float)
    theirs = res.wald_test(R, scalar=True)
    for restrictions in (R, "x0 = x1, x2 = 0"):
        ours = model.summary().wald_test(restrictions)
        assert ours.statistic == pytest.approx(float(theirs.statistic), rel=1e-6)
        assert ours.p_value == pytest.approx(float(theirs.pvalue), rel=1e-6)
        assert ours.df == 2
    assert model.summary().wald_test(["x0", "x1"]).df == 2


def test_spector_summary_shows_every_line_statsmodels_shows():
    data = sm.datasets.spector.load_pandas()
    model = LogisticRegression(penalty=None, tol=TIGHT).fit(data.exog, data.endog)
    summary = model.summary()
    res = sm.Logit(data.endog, sm.add_constant(data.exog)).fit(disp=0)
    theirs, ours = str(res.summary()), str(summary)
    labels = [
        "Dep. Variable:", "Model:", "Method:", "Date:", "Time:", "converged:", "Covariance Type:",
        "No. Observations:", "Df Residuals:", "Df Model:", "Pseudo R-squ.:", "Log-Likelihood:", "LL-Null:",
        "LLR p-value:", "coef", "std err", "z", "P>|z|", "[0.025", "0.975]",
    ]  # fmt: skip
    for label in labels:
        assert label in theirs and label in ours, label
    for extra in ("No. Iterations:", "Solver:", "LLR chi2:", "AIC:", "BIC:"):
        assert extra in ours
    assert "GRADE" in ours and "Logit" in ours
    row = next(line for line in ours.splitlines() if line.startswith("GPA"))
    assert row.split()[1:] == next(line for line in theirs.splitlines() if line.startswith("GPA")).split()[1:]
    width = {len(line) for line in ours.splitlines() if line.startswith(("GPA", "TUCE", "PSI", "intercept"))}
    assert len(width) == 1  # aligned columns
    assert len(repr(summary)) < 150 and "GRADE" in repr(summary)
    with_odds = str(model.summary(odds_ratios=True))
    assert "Odds ratios" in with_odds and f"{np.exp(summary.table.loc['GPA', 'coef']):.4f}" in with_odds


def test_html_repr_is_real_tables():
    from html.parser import HTMLParser

    data = sm.datasets.spector.load_pandas()
    summary = LogisticRegression(penalty=None).fit(data.exog, data.endog).summary()
    markup = summary._repr_html_()
    assert "<pre>" not in markup

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.open = [], []

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.tables.append([])
                self.open.append(True)
            elif tag == "tr":
                self.tables[-1].append([])

        def handle_data(self, data):
            if self.open and self.tables[-1] and self.lasttag in ("td", "th") and data.strip():
                self.tables[-1][-1].append(data)

        def handle_endtag(self, tag):
            if tag == "table":
                self.open.pop()

    parser = Tables()
    parser.feed(markup)
    assert not parser.open and len(parser.tables) == 2
    coefficients = parser.tables[1]
    assert coefficients[0][1:] == ["coef", "std err", "z", "P>|z|", "[0.025", "0.975]"]
    assert [row[0] for row in coefficients[1:]] == ["intercept", "GPA", "TUCE", "PSI"]
    assert all(len(row) == 7 for row in coefficients)
