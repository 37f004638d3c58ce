"""Formulas (oneuron.logit) against statsmodels' formula API, fitted in the test on its datasets."""

import numpy as np
import pandas as pd
import pytest

import oneuron

sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")
pytest.importorskip("formulaic")

TIGHT = 1e-10
FAIR = "affair ~ age + C(occupation) + C(religious)"
ANES = "PID ~ logpopul + selfLR + age + educ + income"


@pytest.fixture(scope="module")
def fair():
    df = sm.datasets.fair.load_pandas().data
    df["affair"] = (df["affairs"] > 0).astype(int)
    return df


@pytest.fixture(scope="module")
def anes():
    return sm.datasets.anes96.load_pandas().data


def peer(api, formula, data, **kwargs):
    return api(formula, data).fit(disp=0, method="newton", tol=1e-12, maxiter=100, **kwargs)


def assert_matches(table, res, names):
    """Our table (rows named ``names``) against a statsmodels result, to 1e-6."""
    ci = res.conf_int()
    for ours, theirs in [
        ("coef", res.params),
        ("std_err", res.bse),
        ("p_value", res.pvalues),
        ("ci_lower", ci.iloc[:, 0]),
        ("ci_upper", ci.iloc[:, 1]),
    ]:
        np.testing.assert_allclose(
            table[ours].to_numpy(), theirs[names].to_numpy(), rtol=1e-6, atol=1e-12, err_msg=ours
        )


def test_fair_with_categorical_terms_equals_statsmodels_logit(fair):
    model = oneuron.logit(FAIR, fair, tol=TIGHT)
    summary = model.summary()
    names = list(summary.table.index)
    assert names[:3] == ["Intercept", "age", "C(occupation)[T.2.0]"]
    res = peer(smf.logit, FAIR, fair)
    assert sorted(names) == sorted(res.params.index)
    assert_matches(summary.table, res, names)
    assert summary.log_likelihood == pytest.approx(res.llf, rel=1e-10)
    assert summary.llr == pytest.approx(res.llr, rel=1e-8)
    assert summary.dep_variable == "affair"
    assert summary.converged is True and summary.solver == model.solver_


def test_anes96_multinomial_equals_statsmodels_mnlogit(anes):
    model = oneuron.logit(ANES, anes, tol=TIGHT)
    assert len(model.classes_) == 7
    summary = model.summary()
    res = peer(smf.mnlogit, ANES, anes)
    ci = np.asarray(res.conf_int()).reshape(6, -1, 2)  # (classes - 1, terms, 2)
    expected = {
        "coef": np.asarray(res.params).T.ravel(),
        "std_err": np.asarray(res.bse).T.ravel(),
        "p_value": np.asarray(res.pvalues).T.ravel(),
        "ci_lower": ci[:, :, 0].ravel(),
        "ci_upper": ci[:, :, 1].ravel(),
    }
    assert list(summary.table.index.get_level_values("term")[:6]) == list(res.params.index)
    for column, values in expected.items():
        np.testing.assert_allclose(summary.table[column], values, rtol=1e-6, atol=1e-12, err_msg=column)
    assert summary.llr_pvalue == pytest.approx(res.llr_pvalue, rel=1e-6)
    ratios = summary.odds_ratios
    assert list(ratios.columns) == ["rrr", "ci_lower", "ci_upper"]
    np.testing.assert_allclose(ratios["rrr"], np.exp(expected["coef"]), rtol=1e-6)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_formula_model_predicts_new_frames_through_its_spec(fair):
    model = oneuron.logit("affair ~ age * C(religious) + np.log(yrs_married) + center(educ)", fair)
    new = fair.sample(40, random_state=0)
    design = model.formula_.design(new)
    np.testing.assert_array_equal(model.predict_proba(new), model.predict_proba(design.to_numpy()))
    shuffled = new[new.columns[::-1]]
    np.testing.assert_array_equal(model.predict_proba(new), model.predict_proba(shuffled))
    unseen = new.assign(religious=new["religious"].replace({1.0: 9.0}))
    with pytest.raises(ValueError, match="levels the model was not fitted on"):
        model.predict(unseen)


def test_saved_formula_model_predicts_identically_with_columns_reordered(fair, tmp_path):
    formula = "affair ~ age + C(occupation) + poly(yrs_married, 2) + center(educ) + np.log(age)"
    model = oneuron.logit(formula, fair)
    path = oneuron.save(model, tmp_path / "fair.oneuron")
    assert b"pickle" not in path.read_bytes()
    loaded = oneuron.load(path)
    new = fair.sample(100, random_state=1)
    new = new[list(np.random.default_rng(0).permutation(new.columns))]
    np.testing.assert_array_equal(loaded.predict_proba(new), model.predict_proba(new))
    np.testing.assert_array_equal(loaded.predict(new), model.predict(new))
    assert loaded.formula_.formula == formula
    assert loaded.converged_ == model.converged_ and loaded.target_name_ == "affair"
    pd.testing.assert_frame_equal(loaded.summary().table, model.summary().table)
    pd.testing.assert_frame_equal(loaded.summary(X=new).table, model.summary(X=new).table)


def test_formula_targets_text_labels_and_missing_rows(fair):
    df = fair.sample(600, random_state=2).copy()
    df["label"] = np.where(df["affairs"] > 0, "yes", "no")
    df.loc[df.index[:5], "age"] = np.nan
    model = oneuron.logit("label ~ age + educ", df)
    assert list(model.classes_) == ["no", "yes"]
    assert model.summary().n_obs == 595  # rows with missing values dropped, as statsmodels
    res = peer(smf.logit, "yes ~ age + educ", df.assign(yes=(df["label"] == "yes").astype(int)))
    np.testing.assert_allclose(model.summary().table["coef"], res.params.to_numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="missing|NaN|null"):
        model.predict(df.head(10))
    with pytest.raises(ValueError, match="the formula decides the intercept"):
        oneuron.logit("label ~ age", df, fit_intercept=False)
    no_intercept = oneuron.logit("label ~ age + educ - 1", df)
    assert not no_intercept.fit_intercept and list(no_intercept.summary().table.index) == ["age", "educ"]
