"""Marginal effects and prediction intervals against statsmodels' get_margeff and get_prediction."""

import numpy as np
import pytest

import oneuron

sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")
pytest.importorskip("formulaic")

FAIR = "affair ~ age + C(occupation) + C(religious) + yrs_married"
ANES = "PID ~ logpopul + selfLR + age + educ + income"


@pytest.fixture(scope="module")
def fair():
    df = sm.datasets.fair.load_pandas().data
    df["affair"] = (df["affairs"] > 0).astype(int)
    model = oneuron.logit(FAIR, df, tol=1e-10)
    res = smf.logit(FAIR, df).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    return df, model, res


@pytest.fixture(scope="module")
def anes():
    df = sm.datasets.anes96.load_pandas().data
    model = oneuron.logit(ANES, df, tol=1e-10)
    res = smf.mnlogit(ANES, df).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    return df, model, res


def assert_margins(ours, theirs):
    for mine, peer in [("dydx", "dy/dx"), ("std_err", "Std. Err."), ("z", "z"), ("p_value", "Pr(>|z|)")]:
        # to 1e-6 of each column's scale: an effect near 0 differs by what the two optimizers' tolerances leave
        expected = theirs[peer].to_numpy()
        atol = 1e-6 * np.abs(expected).max()
        np.testing.assert_allclose(ours[mine].to_numpy(), expected, rtol=1e-6, atol=atol, err_msg=mine)
    np.testing.assert_allclose(ours["ci_lower"].to_numpy(), theirs["Conf. Int. Low"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours["ci_upper"].to_numpy(), theirs["Cont. Int. Hi."].to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("at", ["overall", "mean"])
def test_binary_marginal_effects_equal_get_margeff(fair, at):
    df, model, res = fair
    ours = model.marginal_effects(df, at=at)
    theirs = res.get_margeff(at=at).summary_frame().loc[list(ours.index)]
    assert_margins(ours, theirs)


@pytest.mark.parametrize("at", ["overall", "mean"])
def test_multinomial_marginal_effects_equal_get_margeff(anes, at):
    df, model, res = anes
    ours = model.marginal_effects(df, at=at)
    theirs = res.get_margeff(at=at).summary_frame()
    assert len(ours) == len(theirs) == 7 * 5  # every class, the reference included
    assert_margins(ours, theirs)


def test_marginal_effects_with_a_cluster_summary_use_its_covariance(fair):
    df, model, _ = fair
    clustered = model.summary(cov_type="cluster", groups="occupation_husb", X=df)
    ours = model.marginal_effects(df, summary=clustered)
    plain = model.marginal_effects(df)
    np.testing.assert_allclose(ours["dydx"], plain["dydx"], rtol=1e-12)
    assert not np.allclose(ours["std_err"], plain["std_err"])


def test_prediction_intervals_equal_get_prediction(fair):
    df, model, res = fair
    new = df.sample(50, random_state=3)
    ours = model.predict_interval(new)
    theirs = res.get_prediction(new).summary_frame()
    assert list(ours.columns) == list(theirs.columns) == ["predicted", "se", "ci_lower", "ci_upper"]
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours["predicted"], model.predict_proba(new)[:, 1], rtol=1e-12)
    wide = model.predict_interval(new, alpha=0.01)
    assert np.all(wide["ci_lower"] < ours["ci_lower"])


def test_multinomial_prediction_intervals_are_delta_method(anes):
    df, model, _ = anes
    out = model.predict_interval(df.head(5))
    assert list(out.columns.get_level_values(0).unique()) == list(model.classes_)
    np.testing.assert_allclose(
        out.xs("predicted", axis=1, level=1).to_numpy(), model.predict_proba(df.head(5)), rtol=1e-12
    )
    assert np.all(out.xs("se", axis=1, level=1).to_numpy() > 0)


def test_marginal_effects_reject_bad_arguments(fair):
    df, model, _ = fair
    with pytest.raises(ValueError, match="at="):
        model.marginal_effects(df, at="median")
