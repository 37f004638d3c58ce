"""
L1 and elastic net
==================

An L1 penalty (``penalty="l1"``) sets coefficients exactly to zero, so the model selects features; an
elastic net (``penalty="elasticnet"``, ``l1_ratio`` between 0 and 1) mixes L1 with L2, which keeps
groups of correlated features together. Both are scikit-learn's objectives, solved by proximal Newton
(``solver="prox"``, which ``solver="auto"`` picks whenever the penalty has an L1 part).
"""

# %%
# The regularization path
# -----------------------
# Fit the model for a range of ``C`` from strong to weak regularization. With ``warm_start=True`` each
# fit starts from the previous solution, which makes the whole path cheap.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from oneuron import LogisticRegression, LogisticRegressionCV

data = load_breast_cancer()
X, y = StandardScaler().fit_transform(data.data), data.target
Cs = np.logspace(-2.5, 1, 25)


def path(**params):
    model = LogisticRegression(warm_start=True, **params)
    return np.array([model.set_params(C=C).fit(X, y).coef_[0].copy() for C in Cs])


l1_path = path(penalty="l1")
enet_path = path(penalty="elasticnet", l1_ratio=0.5)

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
for ax, coefs, title in [
    (axes[0], l1_path, "L1"),
    (axes[1], enet_path, "elastic net, l1_ratio=0.5"),
]:
    ax.plot(Cs, coefs, lw=1.2)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(xscale="log", xlabel="C (weaker regularization to the right)", title=title)
axes[0].set_ylabel("coefficient")

# %%
# How many of the 30 features each model keeps:
for C, l1, enet in list(zip(Cs, l1_path, enet_path, strict=True))[::6]:
    print(
        f"C = {C:7.4f}: L1 keeps {np.count_nonzero(l1):2d}, "
        f"elastic net keeps {np.count_nonzero(enet):2d}"
    )

# %%
# The features L1 keeps at a strong penalty:
strong = LogisticRegression(penalty="l1", C=0.05).fit(X, y)
print(data.feature_names[strong.coef_[0] != 0].tolist())

# %%
# Choosing C by cross-validation
# ------------------------------
# :class:`oneuron.LogisticRegressionCV` fits one warm-started path per fold and picks ``C`` (and
# ``l1_ratio``, given several) with the best mean score:
cv = LogisticRegressionCV(
    Cs=10,
    cv=5,
    l1_ratios=[0.2, 0.8],
    scoring="neg_log_loss",
    use_legacy_attributes=False,
).fit(X, y)
print(
    f"C_ = {cv.C_:.4g}, l1_ratio_ = {cv.l1_ratio_}, "
    f"{np.count_nonzero(cv.coef_)} features kept"
)
