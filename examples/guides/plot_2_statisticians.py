"""
For statisticians
=================

Without a penalty, :class:`oneuron.LogisticRegression` is the classical maximum-likelihood logistic
regression, and :meth:`~oneuron.LogisticRegression.summary` reports what statsmodels' ``Logit`` reports:
coefficients, standard errors, z statistics, p-values, confidence intervals, the log-likelihood and
the likelihood-ratio test. This guide puts the two side by side, then turns to robust standard errors,
separation and Firth's regression.

.. note::

   oneuron's default is scikit-learn's: an L2 penalty with ``C=1``. For inference pass
   ``penalty=None``. With a penalty the summary says that it is approximate.
"""

# %%
# The summary
# -----------
# Spector and Mazzeo's data (bundled with statsmodels): did a teaching method (``PSI``) improve the
# grades of 32 students, given their grade point average and a pre-test score? With a DataFrame the
# terms keep their column names.
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

from oneuron import LogisticRegression, SeparationWarning

spector = sm.datasets.spector.load_pandas()
X, y = spector.exog, spector.endog
model = LogisticRegression(penalty=None, tol=1e-10).fit(X, y)
summary = model.summary()
print(summary)

# %%
# The same table as a DataFrame, and the model statistics as attributes of the
# :class:`~oneuron.Summary`:
print(summary.table.round(4))
print(
    f"log-likelihood {summary.log_likelihood:.4f}, "
    f"LLR p-value {summary.llr_pvalue:.4g}, AIC {summary.aic:.3f}"
)

# %%
# Side by side with statsmodels
# -----------------------------
# statsmodels adds the intercept as a column; the estimates and standard errors agree to many digits.
result = sm.Logit(y, sm.add_constant(X)).fit(disp=0)
side_by_side = pd.DataFrame(
    {
        "oneuron coef": summary.table["coef"].to_numpy(),
        "statsmodels coef": result.params.to_numpy(),
        "oneuron std_err": summary.table["std_err"].to_numpy(),
        "statsmodels std_err": result.bse.to_numpy(),
    },
    index=summary.table.index,
)
print(side_by_side.round(6))
print("log-likelihoods:", round(summary.log_likelihood, 8), round(result.llf, 8))

# %%
# Robust standard errors
# ----------------------
# ``summary(cov_type="HC0")`` gives the sandwich (heteroskedasticity-robust) covariance, and
# ``"HC1"`` scales it by :math:`n / (n - k)` for small samples. (statsmodels' discrete models return
# HC0 when asked for HC1, so the comparison below is with its HC0.)
hc0 = model.summary(cov_type="HC0").table["std_err"]
hc1 = model.summary(cov_type="HC1").table["std_err"]
sm_hc0 = sm.Logit(y, sm.add_constant(X)).fit(disp=0, cov_type="HC0").bse
robust = pd.DataFrame(
    {
        "HC0": hc0.to_numpy(),
        "statsmodels HC0": sm_hc0.to_numpy(),
        "HC1": hc1.to_numpy(),
    },
    index=hc0.index,
)
print(robust.round(5))

# %%
# Separation, and Firth's regression
# ----------------------------------
# When a combination of the features separates the two classes perfectly, the likelihood keeps
# growing as the coefficients grow: the maximum-likelihood estimates are infinite. oneuron checks this
# after every unpenalized fit and raises a :class:`~oneuron.SeparationWarning` that names the terms
# involved. Here ``x`` alone separates the classes (every ``x > 0`` is a 1); the warning names the
# terms of the separating direction it found:
rng = np.random.default_rng(0)
toy = pd.DataFrame(
    {
        "x": np.r_[rng.uniform(-3, -0.1, 15), rng.uniform(0.1, 3, 15)],
        "z": rng.normal(size=30),
    }
)
label = (toy["x"] > 0).astype(int)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", SeparationWarning)
    separated = LogisticRegression(penalty=None).fit(toy, label)
print(caught[0].category.__name__ + ":", str(caught[0].message)[:150], "...")

# %%
# Firth's bias-reduced regression (``penalty="firth"``) maximizes the likelihood penalized by the
# Jeffreys prior. Its estimates are finite even under separation, and its summary has profile
# penalized-likelihood intervals, as R's ``logistf`` reports.
firth = LogisticRegression(penalty="firth").fit(toy, label)
print(firth.summary())

# %%
# On data without separation Firth's estimates are close to the maximum-likelihood ones, shrunk a
# little towards zero (less bias in small samples):
firth_spector = LogisticRegression(penalty="firth").fit(X, y)
print(
    pd.DataFrame(
        {"MLE": model.coef_[0], "Firth": firth_spector.coef_[0]}, index=X.columns
    ).round(4)
)
